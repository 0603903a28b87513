//! What each subcommand does. Every change goes through the same domain services and unit of
//! work as the API, audited with actor `system` and a generated `req_` id.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use moss_domain::audit::{AuditFilter, AuditSort, list_audit};
use moss_domain::id::{KeyId, RequestIdValue, WorkspaceId};
use moss_domain::key::NewKey;
use moss_domain::key::service::{create_key, list_keys, revoke_key};
use moss_domain::page::{MAX_PER_PAGE, SortOrder};
use moss_domain::store::RequestContext;
use moss_domain::workspace::service::{CreatedWorkspace, add_member, create_workspace, list_members};
use moss_domain::workspace::{MemberSort, NewMember, Workspace};
use moss_domain::{Actor, DomainError, PageRequest, Role, Scope, Store};
use moss_http::dto;
use moss_store_diesel::migrate::{self, MigrateError};
use moss_store_diesel::{Backend, DatabaseUrl, DieselStore, PoolSettings, normalize};
use serde_json::{Value, json};

use crate::cli::{
    AuditCommand, Cli, Command, KeyCommand, LogFormat, MemberCommand, RoleArg, ScopeArg, ServeArgs, WorkspaceCommand,
};
use crate::output;
use crate::server::{self, ServerSettings};

/// A failed command: what to print and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code (contract: 1 general/conflict, 2 validation, 3 auth/permission, 4 not found, 5 rate limited).
    pub code: i32,
    /// Message for stderr.
    pub message: String,
    /// The error envelope for `--json`.
    pub envelope: Option<Value>,
}

impl CliError {
    fn general(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
            envelope: None,
        }
    }
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
            envelope: None,
        }
    }
}

impl From<DomainError> for CliError {
    fn from(e: DomainError) -> Self {
        let code = match &e {
            DomainError::Validation(_) => 2,
            DomainError::Unauthorized | DomainError::Forbidden(_) => 3,
            DomainError::NotFound(_) => 4,
            DomainError::Conflict(_) | DomainError::Unavailable(_) | DomainError::Internal(_) => 1,
        };
        let api = moss_http::ApiError::from(e.clone());
        let message = match &api.details {
            Some(details) => {
                let lines: Vec<String> = details
                    .iter()
                    .map(|d| format!("  {}: {}", d.field, d.message))
                    .collect();
                format!("{}\n{}", api.message, lines.join("\n"))
            }
            None if matches!(e, DomainError::Internal(_) | DomainError::Unavailable(_)) => e.to_string(),
            None => api.message.clone(),
        };
        Self {
            code,
            message,
            envelope: Some(api.body(&RequestIdValue::generate().to_string())),
        }
    }
}

type Outcome = Result<(), CliError>;

fn open_store(url: &str, pool: PoolSettings) -> Result<(DatabaseUrl, DieselStore), CliError> {
    let url = DatabaseUrl::parse(url).map_err(CliError::usage)?;
    let store = DieselStore::new(url.clone(), pool);
    Ok((url, store))
}

/// For `serve` and `migrate`, the only commands that may create a SQLite database: its missing
/// parent directories, so that connecting creates the file.
fn create_parent_dirs(url: &DatabaseUrl) -> Outcome {
    url.create_parent_dirs()
        .map_err(|e| CliError::general(format!("cannot create the directory of {}: {e}", url.redacted())))
}

/// For every other command: a SQLite file that is not there is a mistyped path or a database
/// not made yet, never a reason to create an empty one.
fn require_existing(url: &DatabaseUrl) -> Outcome {
    match url.missing_file() {
        Some(path) => Err(CliError::general(format!(
            "no database at {}: the file does not exist (check DATABASE_URL); run `moss migrate` or `moss serve` first to create one",
            std::path::absolute(path).unwrap_or_else(|_| path.to_owned()).display()
        ))),
        None => Ok(()),
    }
}

fn system_context(workspace_id: WorkspaceId) -> RequestContext {
    RequestContext {
        actor: Actor::system(workspace_id),
        request_id: RequestIdValue::generate().to_string(),
        ip: None,
        renderer: moss_http::render::renderer(),
    }
}

fn workspace_by_slug(store: &dyn Store, slug: &str) -> Result<Workspace, CliError> {
    let slug_owned = slug.to_owned();
    store
        .read(move |tx| tx.workspaces().workspace_by_slug(&slug_owned))?
        .ok_or_else(|| DomainError::NotFound(format!("No workspace with slug {slug}.")).into())
}

/// Writes a command's output. When stdout cannot take it (a closed pipe), the command fails
/// with exit 1 instead of panicking.
fn say(text: &str) -> Outcome {
    output::to_stdout(text).map_err(|e| CliError::general(format!("cannot write to stdout: {e}")))
}

/// [`say`] for output that holds a key shown only this once: when stdout cannot take it, the
/// output goes to stderr with the error, so that the key is not lost.
fn say_once(text: &str) -> Outcome {
    output::to_stdout(text).map_err(|e| {
        CliError::general(format!(
            "cannot write to stdout ({e}); the output follows here, as it holds a key shown only this once:\n{}",
            text.trim_end()
        ))
    })
}

/// `v` as pretty JSON on a line of its own.
fn json_text(v: &Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Outcome {
    refuse_json(&cli)?;
    match cli.command {
        Command::Serve(args) => serve(&cli.database_url, args),
        Command::Migrate => {
            let url = DatabaseUrl::parse(&cli.database_url).map_err(CliError::usage)?;
            create_parent_dirs(&url)?;
            let applied = migrate_now(&url)?;
            let normalized =
                normalize::run(&url).map_err(|e| CliError::general(format!("normalizing text failed: {e}")))?;
            if cli.json {
                return say(&json_text(&json!({ "data": {
                    "applied": applied,
                    "normalized": { "rewritten": normalized.rewritten, "collisions": normalized.collisions },
                } })));
            }
            let mut text = if applied.is_empty() {
                "Database is up to date.\n".to_owned()
            } else {
                format!("Applied {} migration(s): {}\n", applied.len(), applied.join(", "))
            };
            text.push_str(&normalized_report(&normalized));
            say(&text)
        }
        Command::Workspace(cmd) => workspace(&cli.database_url, cli.json, cmd),
        Command::Member(cmd) => member(&cli.database_url, cli.json, cmd),
        Command::Key(cmd) => key(&cli.database_url, cli.json, cmd),
        Command::Audit(cmd) => audit(&cli.database_url, cli.json, cmd),
        Command::Openapi => say(&moss_http::openapi::document_json()),
    }
}

/// What the text normalization step did, for `moss migrate`'s output.
fn normalized_report(done: &normalize::Normalized) -> String {
    let mut text = match done.rewritten {
        0 => "Stored text is normalized (NFC, folded keys).\n".to_owned(),
        n => format!("Normalized the text of {n} row(s) (NFC, folded keys).\n"),
    };
    if !done.collisions.is_empty() {
        text.push_str(
            "Left unchanged, since normalized they would collide with another row (merge or edit them, \
             then run moss migrate again):\n",
        );
        for row in &done.collisions {
            text.push_str(&format!("  {row}\n"));
        }
    }
    text
}

/// `--json` is a global flag, but `serve` and `openapi` have one form of output each: taking it
/// there silently would let a script believe it gets an envelope.
fn refuse_json(cli: &Cli) -> Outcome {
    let why = match cli.command {
        Command::Serve(_) if cli.json => {
            "`moss serve` prints no JSON envelope (for JSON logs, use MOSS_LOG_FORMAT=json)"
        }
        Command::Openapi if cli.json => "`moss openapi` always prints the JSON document",
        _ => return Ok(()),
    };
    Err(CliError::usage(format!("--json is not accepted here: {why}")))
}

/// Applies pending migrations. A database that cannot be reached says so, with its URL (password
/// hidden): "migration failed" would send the operator looking at the schema.
fn migrate_now(url: &DatabaseUrl) -> Result<Vec<String>, CliError> {
    migrate::run_pending(url).map_err(|e| migrate_error(url, e))
}

/// The message of a failed [`migrate_now`]: which of connecting or migrating failed.
fn migrate_error(url: &DatabaseUrl, e: MigrateError) -> CliError {
    match e {
        MigrateError::Connect(cause) => {
            let verb = match url.backend() {
                Backend::Postgres => "connect to",
                Backend::Sqlite => "open",
            };
            let cause = cause.to_string();
            CliError::general(format!(
                "cannot {verb} the database at {}: {}",
                url.redacted(),
                cause.trim_end()
            ))
        }
        MigrateError::Migrate(cause) => CliError::general(format!("migration failed: {cause}")),
    }
}

/// The store of an admin command: an existing database, migrated.
fn admin_store(url: &str) -> Result<Box<dyn Store>, CliError> {
    let (url, store) = open_store(
        url,
        PoolSettings {
            size: 2,
            ..PoolSettings::default()
        },
    )?;
    require_existing(&url)?;
    migrate_now(&url)?;
    Ok(Box::new(store))
}

fn create_workspace_now(
    store: &dyn Store,
    name: &str,
    slug: &str,
    owner_email: &str,
) -> Result<CreatedWorkspace, CliError> {
    let ctx = system_context(WorkspaceId::generate());
    let (name, slug, email) = (name.to_owned(), slug.to_owned(), owner_email.to_owned());
    Ok(store.mutate(&ctx, move |tx, _| create_workspace(tx, &name, &slug, &email))?)
}

fn workspace(url: &str, as_json: bool, cmd: WorkspaceCommand) -> Outcome {
    let store = admin_store(url)?;
    let WorkspaceCommand::Create {
        name,
        slug,
        owner_email,
    } = cmd;
    let created = create_workspace_now(&*store, &name, &slug, &owner_email)?;
    if as_json {
        let mut data = dto::workspace(&created.workspace);
        if let Value::Object(map) = &mut data {
            map.insert("owner_key".into(), json!(created.secret.expose()));
        }
        say_once(&json_text(&json!({ "data": data })))
    } else {
        say_once(&format!(
            "Created workspace {} ({}), {}\nOwner {} key (shown once): {}\n",
            created.workspace.name,
            created.workspace.slug.as_str(),
            created.workspace.id,
            created.owner.email.as_str(),
            created.secret.expose()
        ))
    }
}

fn member(url: &str, as_json: bool, cmd: MemberCommand) -> Outcome {
    let store = admin_store(url)?;
    match cmd {
        MemberCommand::Add {
            workspace,
            email,
            name,
            role,
        } => {
            let ws = workspace_by_slug(&*store, &workspace)?;
            let role = match role {
                RoleArg::Member => Role::Member,
                RoleArg::Owner => Role::Owner,
            };
            let input = NewMember { email, name, role };
            let m = store.mutate(&system_context(ws.id), move |tx, actor| add_member(tx, actor, input))?;
            if as_json {
                say(&json_text(&json!({ "data": dto::member(&m) })))
            } else {
                say(&format!(
                    "Added {} ({}) to {} as {}\n",
                    m.email.as_str(),
                    m.id,
                    ws.slug.as_str(),
                    m.role.as_str()
                ))
            }
        }
        MemberCommand::List { workspace } => {
            let ws = workspace_by_slug(&*store, &workspace)?;
            let actor = Actor::system(ws.id);
            let all = collect_pages(usize::MAX, |page| {
                let req = PageRequest {
                    page,
                    per_page: MAX_PER_PAGE,
                    sort: MemberSort::CreatedAt,
                    order: SortOrder::Asc,
                };
                let actor = actor.clone();
                store.read(move |tx| list_members(tx, &actor, &req))
            })?;
            if as_json {
                say(&json_text(&list_envelope(all.iter().map(dto::member).collect())))
            } else {
                say(&lines(all.iter().map(|m| {
                    format!(
                        "{}  {:<6}  {}  {}",
                        m.id,
                        m.role.as_str(),
                        m.email.as_str(),
                        m.name.as_deref().unwrap_or("")
                    )
                })))
            }
        }
    }
}

/// Each item on a line of its own.
fn lines(items: impl Iterator<Item = String>) -> String {
    items.map(|line| line + "\n").collect()
}

/// Every item of a paged list, fetched 250 at a time, at most `limit` of them.
fn collect_pages<T>(
    limit: usize,
    mut fetch: impl FnMut(u32) -> moss_domain::Result<moss_domain::Page<T>>,
) -> Result<Vec<T>, CliError> {
    let mut all = Vec::new();
    for page in 1.. {
        let p = fetch(page)?;
        let done = p.items.len() < MAX_PER_PAGE as usize;
        all.extend(p.items);
        if done || all.len() >= limit {
            break;
        }
    }
    all.truncate(limit);
    Ok(all)
}

fn list_envelope(data: Vec<Value>) -> Value {
    let total = data.len();
    json!({ "data": data, "meta": { "page": 1, "per_page": total.max(1), "total": total, "total_pages": usize::from(total > 0) } })
}

fn key(url: &str, as_json: bool, cmd: KeyCommand) -> Outcome {
    let store = admin_store(url)?;
    match cmd {
        KeyCommand::Create {
            workspace,
            name,
            scope,
            member,
            expires_at,
        } => {
            let ws = workspace_by_slug(&*store, &workspace)?;
            let scope = match scope {
                ScopeArg::Full => Scope::Full,
                ScopeArg::ReadOnly => Scope::ReadOnly,
            };
            let input = NewKey::parse(
                &name,
                Some(scope.as_str()),
                expires_at.as_deref(),
                moss_domain::time::now(),
            )
            .map_err(DomainError::Validation)?;
            let member_id = match member {
                Some(email) => {
                    let lower = email.trim().to_lowercase();
                    let found = store.read(move |tx| tx.workspaces().member_by_email(ws.id, &lower))?;
                    Some(
                        found
                            .ok_or_else(|| {
                                DomainError::NotFound(format!("No member {email} in workspace {workspace}."))
                            })?
                            .id,
                    )
                }
                None => None,
            };
            let created = store.mutate(&system_context(ws.id), move |tx, actor| {
                create_key(tx, actor, input, member_id)
            })?;
            if as_json {
                say_once(&json_text(
                    &json!({ "data": dto::created_api_key(&created.key, Some(created.secret.expose())) }),
                ))
            } else {
                say_once(&format!(
                    "Created key {} ({}, {})\nKey (shown once): {}\n",
                    created.key.id,
                    created.key.name,
                    created.key.scope.as_str(),
                    created.secret.expose()
                ))
            }
        }
        KeyCommand::List { workspace } => {
            let ws = workspace_by_slug(&*store, &workspace)?;
            let actor = Actor::system(ws.id);
            let all = collect_pages(usize::MAX, |page| {
                let req = PageRequest {
                    page,
                    per_page: MAX_PER_PAGE,
                    sort: moss_domain::key::KeySort::CreatedAt,
                    order: SortOrder::Asc,
                };
                let actor = actor.clone();
                store.read(move |tx| list_keys(tx, &actor, &req))
            })?;
            if as_json {
                say(&json_text(&list_envelope(all.iter().map(dto::api_key).collect())))
            } else {
                say(&lines(all.iter().map(|k| {
                    format!("{}  {}...  {:<9}  {}", k.id, k.prefix, k.scope.as_str(), k.name)
                })))
            }
        }
        KeyCommand::Revoke { workspace, id, confirm } => {
            if !confirm {
                return Err(CliError::usage(
                    "Revoking a key cannot be undone; add --confirm to go ahead.",
                ));
            }
            let ws = workspace_by_slug(&*store, &workspace)?;
            let key_id = KeyId::parse(&id).ok_or_else(|| DomainError::NotFound("API key not found.".into()))?;
            store.mutate(&system_context(ws.id), move |tx, actor| revoke_key(tx, actor, key_id))?;
            if as_json {
                say(&json_text(&json!({ "data": null })))
            } else {
                say(&format!("Revoked {id}\n"))
            }
        }
    }
}

/// Logs go to stderr, and a line that cannot be written (the reader of the logs has gone) is
/// dropped: logging must never stop the server from serving or from shutting down.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| output::LogWriter)
        // Its internal errors would go to stderr with `eprintln!`, which panics when it fails.
        .log_internal_errors(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

fn serve(url: &str, args: ServeArgs) -> Outcome {
    init_logging(args.log_format);
    // Every setting is checked before anything is done.
    let settings = ServerSettings {
        workers: args.workers,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        idempotency_ttl: Duration::from_secs(args.idempotency_ttl),
        rate_limits: moss_http::ratelimit::RateLimitSettings {
            rps: args.rate_limit_rps,
            burst: args.rate_limit_burst,
            auth_failure_rps: args.auth_failure_rps,
        },
        request_timeout: Duration::from_secs(args.request_timeout),
        body_timeout: Duration::from_secs(args.body_timeout),
        keep_alive: Duration::from_secs(args.keep_alive),
        client_timeout: Duration::from_secs(args.client_timeout),
        trusted_proxies: args.trusted_proxies.parse().map_err(CliError::usage)?,
        handle_signals: true,
        db_threads: usize::try_from(args.db_pool_size).unwrap_or(usize::MAX),
        db_timeout: Duration::from_secs(args.db_timeout),
        reclaim_every: Duration::from_secs(args.reclaim_interval),
    };
    let bind = bind_addresses(&args.bind)?;
    let pool = PoolSettings {
        size: args.db_pool_size,
        timeout: Duration::from_secs(args.db_timeout),
    };
    let (db_url, store) = open_store(url, pool)?;
    create_parent_dirs(&db_url)?;
    if args.migrate && !args.no_migrate {
        let applied = migrate_now(&db_url)?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied migrations");
        }
        // Text written before Moss normalized its input, once per database (`moss migrate`
        // runs it again on demand).
        match normalize::run_once(&db_url) {
            Ok(Some(done)) => {
                tracing::info!(rewritten = done.rewritten, "normalized stored text (NFC, folded keys)");
                for row in &done.collisions {
                    tracing::warn!(row = %row, "left unnormalized: it would collide with another row; see docs/operations.md");
                }
            }
            Ok(None) => {}
            Err(e) => return Err(CliError::general(format!("normalizing text failed: {e}"))),
        }
    }
    let store: Arc<dyn Store> = Arc::new(store);
    // Bind before bootstrapping: if the address is taken, the first owner key must not be
    // created (and so lost, as it is printed only once) by a run that cannot serve.
    let listener =
        TcpListener::bind(&bind[..]).map_err(|e| CliError::general(format!("cannot listen on {}: {e}", args.bind)))?;
    let addr = listener.local_addr().map_err(|e| CliError::general(e.to_string()))?;
    let welcome = match bootstrap(&*store)? {
        Some(key) => Welcome::OwnerKey(key),
        None => Welcome::MakeKeyIn(workspace_for_a_key(&*store, &db_url)),
    };
    tracing::info!(%addr, database = %db_url.redacted(), "moss serving");
    print_banner(&addr.to_string(), &welcome);
    let system = actix_web::rt::System::new();
    system
        .block_on(async move { server::build(listener, store, settings)?.await })
        .map_err(|e| CliError::general(format!("server error: {e}")))
}

/// The addresses `MOSS_BIND` names. One that does not parse (or resolve) is a bad setting, exit
/// 2; one that parses but cannot be bound (taken, not this machine's) fails later, exit 1.
fn bind_addresses(bind: &str) -> Result<Vec<SocketAddr>, CliError> {
    let bad = |why: String| {
        CliError::usage(format!(
            "MOSS_BIND: {bind:?} is not an address to listen on, such as 127.0.0.1:8080 ({why})"
        ))
    };
    let addrs: Vec<SocketAddr> = bind.to_socket_addrs().map_err(|e| bad(e.to_string()))?.collect();
    if addrs.is_empty() {
        return Err(bad("it resolves to no address".into()));
    }
    Ok(addrs)
}

/// On an empty database: workspace `Default` (slug `default`) with owner `owner@localhost`.
/// Returns the owner's key, to print once.
fn bootstrap(store: &dyn Store) -> Result<Option<String>, CliError> {
    if store.read(|tx| tx.workspaces().count_workspaces())? > 0 {
        return Ok(None);
    }
    let ctx = system_context(WorkspaceId::generate());
    match store.mutate(&ctx, |tx, _| {
        create_workspace(tx, "Default", "default", "owner@localhost")
    }) {
        Ok(created) => Ok(Some(created.secret.expose().to_owned())),
        // Another instance starting at the same moment bootstrapped first.
        Err(DomainError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the banner says after the address.
enum Welcome {
    /// First start: the bootstrapped owner's key, shown only this once.
    OwnerKey(String),
    /// Later starts: how to make a key, in this workspace.
    MakeKeyIn(String),
}

/// The workspace the banner's `moss key create` line names: one that exists, `default` (the
/// bootstrap's) when it does, else the oldest. A failed lookup only costs the hint.
fn workspace_for_a_key(store: &dyn Store, url: &DatabaseUrl) -> String {
    let lookup = || -> Result<Option<String>, DomainError> {
        if store.read(|tx| tx.workspaces().workspace_by_slug("default"))?.is_some() {
            return Ok(Some("default".to_owned()));
        }
        moss_store_diesel::oldest_workspace_slug(url)
    };
    match lookup() {
        Ok(slug) => slug.unwrap_or_else(|| "default".to_owned()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot find a workspace to name in the banner");
            "default".to_owned()
        }
    }
}

/// The first-start banner: the address and, on the first start only, the owner key.
fn banner(addr: &str, welcome: &Welcome) -> String {
    let base = format!("http://{addr}");
    let mut lines = vec![String::new(), format!("Moss is serving {base}/api/v1")];
    match welcome {
        Welcome::OwnerKey(key) => lines.extend([
            String::new(),
            "Created workspace \"Default\" (slug default) with owner owner@localhost.".to_owned(),
            "Owner API key, shown only this once:".to_owned(),
            String::new(),
            format!("    {key}"),
            String::new(),
            "Try it:".to_owned(),
            String::new(),
            format!("    curl -s {base}/api/v1/contacts -H \"X-API-Key: {key}\""),
        ]),
        Welcome::MakeKeyIn(slug) => lines.extend([
            format!("Make a key with: moss key create --workspace {slug} --name my-key"),
            format!("Then: curl -s {base}/api/v1/contacts -H \"X-API-Key: <key>\""),
        ]),
    }
    lines.push(String::new());
    lines.join("\n") + "\n"
}

/// Prints the banner on stdout. When stdout cannot take it (nobody reads it) and it holds the
/// first owner key, it goes to stderr instead: that key is shown only this once. The server
/// serves either way.
fn print_banner(addr: &str, welcome: &Welcome) {
    let text = banner(addr, welcome);
    match output::to_stdout(&text) {
        Ok(()) => {}
        Err(e) if matches!(welcome, Welcome::OwnerKey(_)) => output::to_stderr(&format!(
            "moss: cannot write the banner to stdout ({e}); it follows here, as its owner key is shown only this once:\n{text}"
        )),
        Err(e) => tracing::warn!(error = %e, "cannot write the banner to stdout"),
    }
}

fn audit(url: &str, as_json: bool, cmd: AuditCommand) -> Outcome {
    let store = admin_store(url)?;
    let AuditCommand::List {
        workspace,
        event_type,
        target_type,
        target_id,
        actor_type,
        actor_id,
        request_id,
        limit,
    } = cmd;
    let ws = workspace_by_slug(&*store, &workspace)?;
    let filter = AuditFilter {
        event_type,
        target_type,
        target_id,
        actor_type,
        actor_id,
        request_id,
    };
    let actor = Actor::system(ws.id);
    let entries = collect_pages(limit.max(1) as usize, |page| {
        let req = PageRequest {
            page,
            per_page: MAX_PER_PAGE,
            sort: AuditSort::CreatedAt,
            order: SortOrder::Desc,
        };
        let (actor, filter) = (actor.clone(), filter.clone());
        store.read(move |tx| list_audit(tx, &actor, &filter, &req))
    })?;
    if as_json {
        say(&json_text(&list_envelope(
            entries.iter().map(dto::audit_entry).collect(),
        )))
    } else {
        say(&lines(entries.iter().map(|e| {
            format!(
                "{}  {:<20}  {}  {}:{}  {}",
                moss_domain::time::to_rfc3339(&e.created_at),
                e.event_type,
                e.target_id,
                e.actor_type,
                e.actor_id.as_deref().unwrap_or("-"),
                e.request_id
            )
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_connection_is_not_called_a_failed_migration_and_hides_the_password() {
        // Nothing listens on port 1: the connection is refused at once.
        let url = DatabaseUrl::parse("postgres://moss:secret@127.0.0.1:1/moss").unwrap();
        let e = migrate_now(&url).unwrap_err();
        assert_eq!(e.code, 1);
        assert!(
            e.message
                .starts_with("cannot connect to the database at postgres://moss:***@127.0.0.1:1/moss: "),
            "{}",
            e.message
        );
        assert!(
            !e.message.contains("secret") && !e.message.contains("migration"),
            "{}",
            e.message
        );
        let failed = MigrateError::Migrate("relation \"workspaces\" already exists".into());
        let e = migrate_error(&url, failed);
        assert_eq!(e.code, 1);
        assert_eq!(e.message, "migration failed: relation \"workspaces\" already exists");
    }
}
