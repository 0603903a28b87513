//! The `moss` command line.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Moss: a self-hostable server for the Moss CRM REST API.
#[derive(Debug, Parser)]
#[command(name = "moss", version, about)]
pub struct Cli {
    /// Database: postgres://..., postgresql://..., sqlite://path.db, sqlite:///abs/path.db or a path ending in .db.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://moss.db")]
    pub database_url: String,

    /// Print results as the API's JSON envelope.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server (migrates first; bootstraps a workspace on an empty database).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage members of a workspace.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the OpenAPI 3.1 document of the API (as served at /api/v1/openapi.json).
    Openapi,
}

/// `moss audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List a workspace's audit entries, newest first.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Only this event type (e.g. contact.created).
        #[arg(long)]
        event_type: Option<String>,
        /// Only this target type (e.g. contact).
        #[arg(long)]
        target_type: Option<String>,
        /// Only this target id.
        #[arg(long)]
        target_id: Option<String>,
        /// Only this actor type (api_key, user, system).
        #[arg(long)]
        actor_type: Option<String>,
        /// Only this actor id.
        #[arg(long)]
        actor_id: Option<String>,
        /// Only entries written by this request id.
        #[arg(long)]
        request_id: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
}

/// `moss serve` settings; every one is also an environment variable.
#[derive(Debug, Args)]
#[command(
    after_help = "Environment only:\n  RUST_LOG  Log filter, e.g. debug or moss=debug,actix_web=info [default: info,actix_server=warn]\n\nLogs go to stderr; the first-start owner key goes to stdout."
)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MOSS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Database connections per instance (at least 1).
    #[arg(long, env = "MOSS_DB_POOL_SIZE", default_value_t = 10, value_parser = at_least("MOSS_DB_POOL_SIZE", 1u32))]
    pub db_pool_size: u32,
    /// Seconds a request waits for a database connection before answering 503 (at least 1).
    #[arg(long, env = "MOSS_DB_TIMEOUT", default_value_t = 5, value_parser = at_least("MOSS_DB_TIMEOUT", 1u64))]
    pub db_timeout: u64,
    /// Seconds between passes that reclaim the stored values of deleted custom-field
    /// definitions (their values vanish from reads at once; at least 1).
    #[arg(long, env = "MOSS_RECLAIM_INTERVAL", default_value_t = 5, value_parser = at_least("MOSS_RECLAIM_INTERVAL", 1u64))]
    pub reclaim_interval: u64,
    /// Apply pending migrations at start (`--migrate false` / MOSS_MIGRATE=false to skip).
    #[arg(long, env = "MOSS_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,
    /// Skip migrations at start (same as `--migrate false`).
    #[arg(long)]
    pub no_migrate: bool,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "MOSS_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Seconds an Idempotency-Key's answer is kept for replays (86400, 24 hours, to 315360000, 10 years).
    #[arg(long, env = "MOSS_IDEMPOTENCY_TTL", default_value_t = 86_400, value_parser = between("MOSS_IDEMPOTENCY_TTL", 86_400u64, 315_360_000))]
    pub idempotency_ttl: u64,
    /// Sustained requests per second per API key (per instance).
    #[arg(long, env = "MOSS_RATE_LIMIT_RPS", default_value_t = 100, value_parser = at_least("MOSS_RATE_LIMIT_RPS", 1u32))]
    pub rate_limit_rps: u32,
    /// Burst of requests per API key (per instance).
    #[arg(long, env = "MOSS_RATE_LIMIT_BURST", default_value_t = 200, value_parser = at_least("MOSS_RATE_LIMIT_BURST", 1u32))]
    pub rate_limit_burst: u32,
    /// Failed authentications per second per client IP before answering 429.
    #[arg(long, env = "MOSS_AUTH_FAILURE_RPS", default_value_t = 10, value_parser = at_least("MOSS_AUTH_FAILURE_RPS", 1u32))]
    pub auth_failure_rps: u32,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "MOSS_REQUEST_TIMEOUT", default_value_t = 30, value_parser = at_least("MOSS_REQUEST_TIMEOUT", 1u64))]
    pub request_timeout: u64,
    /// Seconds a request's body may take to arrive before it is answered 408.
    #[arg(long, env = "MOSS_BODY_TIMEOUT", default_value_t = moss_http::DEFAULT_BODY_TIMEOUT_SECS, value_parser = at_least("MOSS_BODY_TIMEOUT", 1u64))]
    pub body_timeout: u64,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, env = "MOSS_KEEP_ALIVE", default_value_t = 5)]
    pub keep_alive: u64,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, env = "MOSS_CLIENT_TIMEOUT", default_value_t = 5, value_parser = at_least("MOSS_CLIENT_TIMEOUT", 1u64))]
    pub client_timeout: u64,
    /// Proxies (comma-separated CIDRs) whose X-Forwarded-For names the client; empty: none.
    #[arg(long, env = "MOSS_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Seconds in-flight requests may take to finish after SIGTERM/SIGINT.
    #[arg(long, env = "MOSS_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Log format on stderr.
    #[arg(long, env = "MOSS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// A parser of whole numbers of at least `min` for the setting `var`. (clap's own range check
/// names only the flag, while the value may have come from the environment variable.)
fn at_least<T: Number>(var: &'static str, min: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync {
    number(var, move |n| n >= min, format!("of at least {min}"))
}

/// A parser of whole numbers from `min` to `max` for the setting `var`, as [`at_least`].
fn between<T: Number>(var: &'static str, min: T, max: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync {
    number(var, move |n| (min..=max).contains(&n), format!("from {min} to {max}"))
}

/// A parser of whole numbers for which `fits` holds; `wanted` says which, in the message.
fn number<T: Number>(
    var: &'static str,
    fits: impl Fn(T) -> bool + Clone + Send + Sync,
    wanted: String,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync {
    move |raw: &str| {
        raw.parse::<T>()
            .ok()
            .filter(|n| fits(*n))
            .ok_or_else(|| format!("{var} must be a whole number {wanted}"))
    }
}

/// The unsigned integer types of settings.
trait Number: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static {}
impl Number for u32 {}
impl Number for u64 {}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// `moss workspace ...`.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace with its first owner and prints the owner's API key once.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Unique slug: 1-63 lowercase letters, digits, hyphens.
        #[arg(long)]
        slug: String,
        /// Email of the first owner.
        #[arg(long, default_value = "owner@localhost")]
        owner_email: String,
    },
}

/// Member roles on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Works with CRM data.
    Member,
    /// Also manages keys, members and the audit log.
    Owner,
}

/// `moss member ...`.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a member to a workspace.
    Add {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Email, unique in the workspace.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Role.
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
    },
    /// List a workspace's members.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
    },
}

/// Key scopes on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// Reads and writes.
    Full,
    /// Reads only.
    #[value(name = "read_only", alias = "read-only")]
    ReadOnly,
}

/// `moss key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key and print it once.
    Create {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Label.
        #[arg(long)]
        name: String,
        /// Scope.
        #[arg(long, value_enum, default_value_t = ScopeArg::Full)]
        scope: ScopeArg,
        /// Member the key acts as (default: the first owner).
        #[arg(long)]
        member: Option<String>,
        /// Expiry, RFC 3339 (e.g. 2030-01-31T12:00:00Z), in the future.
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// List a workspace's active keys.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
    },
    /// Revoke a key; it gets 401 from then on.
    Revoke {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Key id (key_...).
        #[arg(long)]
        id: String,
        /// Required: revoking cannot be undone.
        #[arg(long)]
        confirm: bool,
    },
}
