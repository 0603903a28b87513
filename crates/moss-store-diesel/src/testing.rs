//! Test harness: a fresh, migrated database per test, on SQLite (always) and on Postgres
//! (when one can be had).
//!
//! Where the Postgres comes from, in order:
//! 1. `MOSS_TEST_DATABASE_URL`: a server URL (CI sets it). Each test creates its own database
//!    on it and drops it again.
//! 2. Otherwise, local Postgres binaries (`initdb` and `pg_ctl` in one directory on `PATH`, or
//!    the newest `/usr/lib/postgresql/*/bin`): the first test that needs Postgres starts ONE
//!    throwaway cluster for the whole test process, in a temp dir, listening only on a Unix
//!    socket in that dir (`listen_addresses = ''`, so no TCP port can clash). Each test still
//!    gets a database of its own. As root (initdb refuses to run as root) the cluster runs as
//!    the `postgres` system user, through `runuser` (or `su`).
//!    `MOSS_TEST_PG_BINDIR=<dir>` makes the harness use that directory only (an empty or
//!    missing directory simulates a machine without Postgres).
//! 3. Otherwise the Postgres cases are skipped with a one-line notice, unless
//!    `MOSS_REQUIRE_POSTGRES=1`, which turns the skip into a failure.
//!
//! Clean-up of the throwaway cluster does not depend on the test process exiting cleanly (the
//! workspace forbids `unsafe`, so there is no `atexit`): the cluster is started by a small
//! watchdog shell that reads its stdin from a pipe whose only write end is held by the test
//! process. When the test process ends, however it ends (even SIGKILL), the kernel closes that
//! end, the watchdog's `read` returns, and it stops the cluster (`pg_ctl stop -m immediate`)
//! and removes the temp dir. The watchdog runs in a process group of its own and ignores
//! SIGINT/SIGTERM/SIGHUP/SIGPIPE, so a Ctrl-C of the test run (or a runner killing the test's
//! process group) still gets cleaned up; a cluster left behind by a watchdog that was itself
//! SIGKILLed is swept by the next test process that starts one (its owner pid is gone).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::connection::{Backend, DatabaseUrl, PoolSettings};
use crate::migrate;
use crate::store::DieselStore;

/// Set once the "which Postgres" or "skipped" notice has been printed.
static NOTICE: AtomicBool = AtomicBool::new(false);
/// The test process's Postgres server, found (or started) once.
static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// Prefix of the throwaway clusters' temp dirs.
const DIR_PREFIX: &str = "moss-pg-";
/// The socket's port number: only names the socket file, as nothing listens on TCP.
const SOCKET_PORT: u16 = 5432;

/// A migrated database that lives as long as this value.
#[derive(Debug)]
pub struct TestDatabase {
    url: DatabaseUrl,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<tempfile::TempDir>,
    /// Postgres: (server URL, database name) to drop at the end.
    pg: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database on `backend`; `None` when Postgres is not available (and not required).
    pub fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres(),
        }
    }

    /// A migrated SQLite file in a temporary directory.
    #[allow(clippy::expect_used)]
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = DatabaseUrl::Sqlite(dir.path().join("moss-test.db"));
        migrate::run_pending(&url).expect("migrate sqlite");
        Self {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A migrated database of its own on the test Postgres server, if there is one.
    ///
    /// # Panics
    /// When there is no Postgres and `MOSS_REQUIRE_POSTGRES=1`, or when the server fails.
    #[allow(clippy::expect_used)]
    pub fn postgres() -> Option<Self> {
        let server = postgres_server()?;
        let name = database_name();
        let mut admin = PgConnection::establish(&server).expect("connect to the test Postgres server");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        Some(Self::migrated_postgres(server, name))
    }

    /// Like [`postgres`](Self::postgres), with extra `CREATE DATABASE` options, e.g.
    /// `TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'` to prove that no ordering
    /// depends on the database's default collation. `None` as well when the server refuses the
    /// options (no ICU, Postgres older than 15, ...), saying so on stderr.
    pub fn postgres_with(create_options: &str) -> Option<Self> {
        let server = postgres_server()?;
        let name = database_name();
        let created = PgConnection::establish(&server)
            .map_err(|e| e.to_string())
            .and_then(|mut admin| {
                admin
                    .batch_execute(&format!("CREATE DATABASE {name} {create_options}"))
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = created {
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: test skipped: CREATE DATABASE ... {create_options} failed: {e}"
            );
            return None;
        }
        Some(Self::migrated_postgres(server, name))
    }

    #[allow(clippy::expect_used)]
    fn migrated_postgres(server: String, name: String) -> Self {
        // Constructed first, so that the database is dropped even when migrating panics.
        let db = Self {
            url: DatabaseUrl::Postgres(with_database(&server, &name)),
            _dir: None,
            pg: Some((server, name)),
        };
        migrate::run_pending(&db.url).expect("migrate postgres");
        db
    }

    /// The database's URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The backend of this database.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// The URL as a `DATABASE_URL` string.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(u) => u.clone(),
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        }
    }

    /// A store on this database with a small pool.
    pub fn store(&self) -> DieselStore {
        DieselStore::new(
            self.url.clone(),
            PoolSettings {
                size: 4,
                ..PoolSettings::default()
            },
        )
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.pg
            && let Ok(mut admin) = PgConnection::establish(server)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The admin URL of the test Postgres server, finding or starting it on first use; `None`
/// (after a notice) when there is none.
///
/// # Panics
/// When there is none and `MOSS_REQUIRE_POSTGRES=1`.
#[allow(clippy::panic)]
fn postgres_server() -> Option<String> {
    match SERVER.get_or_init(Server::find) {
        Ok(server) => {
            notice_once(|| server.notice());
            Some(server.url.clone())
        }
        Err(reason) => {
            if std::env::var("MOSS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("MOSS_REQUIRE_POSTGRES=1 but no Postgres for the tests: {reason}");
            }
            notice_once(|| {
                format!(
                    "NOTICE: Postgres tests skipped: {reason}. Set MOSS_TEST_DATABASE_URL=postgres://... or install Postgres to run them."
                )
            });
            None
        }
    }
}

/// A fresh database name.
fn database_name() -> String {
    format!("moss_test_{}", uuid::Uuid::now_v7().simple())
}

/// Prints `line` to stderr once per process. Written to the stream directly, not with
/// `eprintln!`, so that the test harness's output capture does not swallow it.
fn notice_once(line: impl FnOnce() -> String) {
    if !NOTICE.swap(true, Ordering::SeqCst) {
        let _ = writeln!(std::io::stderr(), "{}", line());
    }
}

/// The Postgres server the tests create their databases on.
#[derive(Debug)]
struct Server {
    /// Admin URL (database `postgres`).
    url: String,
    /// Where it comes from, for the notice.
    origin: Origin,
}

#[derive(Debug)]
enum Origin {
    /// `MOSS_TEST_DATABASE_URL`.
    External,
    /// The throwaway cluster.
    Local {
        description: String,
        /// The write end of the watchdog's stdin: closed by the kernel when this process ends,
        /// which tells the watchdog to stop the cluster and remove its directory.
        _lifeline: ChildStdin,
    },
}

impl Server {
    fn find() -> Result<Self, String> {
        if let Some(url) = std::env::var("MOSS_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            return Ok(Self {
                url: url.trim().to_owned(),
                origin: Origin::External,
            });
        }
        start_local_cluster()
    }

    fn notice(&self) -> String {
        match &self.origin {
            Origin::External => {
                let shown = DatabaseUrl::parse(&self.url).map_or_else(|_| self.url.clone(), |u| u.redacted());
                format!("NOTICE: Postgres tests use MOSS_TEST_DATABASE_URL ({shown})")
            }
            Origin::Local { description, .. } => {
                format!("NOTICE: Postgres tests use a throwaway cluster: {description}")
            }
        }
    }
}

/// The watchdog. Arguments: `$1` mode (`start` or `sweep`), `$2` bin dir, `$3` cluster dir,
/// `$4` socket port, `$5` how to become `postgres` (empty, or the path of `runuser` or `su`).
/// `start` prints `ready` or one line saying why not, then waits for EOF on stdin and cleans
/// up; `sweep` only cleans up.
const WATCHDOG: &str = r#"
set -u
mode=$1 bin=$2 base=$3 port=$4 runner=$5
trap '' INT TERM HUP QUIT PIPE
as_pg() {
    case $runner in
        '') "$@" ;;
        */runuser) "$runner" -u postgres -- "$@" ;;
        *) "$runner" -s /bin/sh postgres -c 'exec "$0" "$@"' "$@" ;;
    esac
}
cleanup() {
    if [ -f "$base/data/postmaster.pid" ]; then
        as_pg "$bin/pg_ctl" -D "$base/data" -m immediate -w -t 30 stop >/dev/null 2>&1 </dev/null
    fi
    rm -rf "$base"
}
tail1() { tail -n 3 "$1" 2>/dev/null | tr '\n' ' '; }
if [ "$mode" = sweep ]; then cleanup; exit 0; fi
if ! as_pg "$bin/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C -N >"$base/initdb.log" 2>&1 </dev/null; then
    echo "initdb failed: $(tail1 "$base/initdb.log")"
    cleanup
    exit 1
fi
cat >>"$base/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$base'
port = $port
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
if ! as_pg "$bin/pg_ctl" -D "$base/data" -l "$base/postgres.log" -w -t 60 start >/dev/null 2>&1 </dev/null; then
    echo "pg_ctl start failed: $(tail1 "$base/postgres.log")"
    cleanup
    exit 1
fi
echo ready
exec >/dev/null 2>&1
read -r _ || :
cleanup
"#;

/// Starts the throwaway cluster and its watchdog; `Err` says why it could not.
fn start_local_cluster() -> Result<Server, String> {
    let started = Instant::now();
    let bin = find_postgres_bin().ok_or_else(|| {
        if std::env::var_os("MOSS_TEST_PG_BINDIR").is_some() {
            "no initdb and pg_ctl in MOSS_TEST_PG_BINDIR".to_owned()
        } else {
            "MOSS_TEST_DATABASE_URL is not set and there are no Postgres binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin".to_owned()
        }
    })?;
    let parent = cluster_parent_dir();
    let base = tempfile::Builder::new()
        .prefix(DIR_PREFIX)
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a temp dir in {}: {e}", parent.display()))?
        .keep();
    let result = spawn_watchdog(&bin, &base);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&base);
    }
    let lifeline = result?;
    let version = command_output(Command::new(bin.join("pg_ctl")).arg("--version"))
        .map(|v| v.replace("pg_ctl (PostgreSQL)", "PostgreSQL"))
        .unwrap_or_else(|| "Postgres".to_owned());
    let description = format!(
        "{version} from {}, socket in {} (started in {:.1} s)",
        bin.display(),
        base.display(),
        started.elapsed().as_secs_f64()
    );
    let url = format!(
        "postgres://postgres@/postgres?host={}&port={SOCKET_PORT}",
        base.display()
    );
    Ok(Server {
        url,
        origin: Origin::Local {
            description,
            _lifeline: lifeline,
        },
    })
}

/// Starts the watchdog in `base`, waits until the cluster accepts connections, and returns the
/// watchdog's stdin (the lifeline).
fn spawn_watchdog(bin: &Path, base: &Path) -> Result<ChildStdin, String> {
    let runner = postgres_runner(base)?;
    sweep_stale_clusters(bin, base.parent().unwrap_or(Path::new("/")), runner.as_deref());
    std::fs::write(base.join("owner.pid"), std::process::id().to_string())
        .map_err(|e| format!("cannot write to {}: {e}", base.display()))?;
    let mut child = watchdog_command("start", bin, base, runner.as_deref())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let lifeline = child.stdin.take().ok_or("the watchdog has no stdin")?;
    let stdout = child.stdout.take().ok_or("the watchdog has no stdout")?;
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    match line.trim() {
        "ready" => Ok(lifeline),
        "" => {
            let _ = child.wait();
            Err("the throwaway Postgres cluster did not start".to_owned())
        }
        reason => {
            let _ = child.wait();
            Err(format!("the throwaway Postgres cluster did not start: {reason}"))
        }
    }
}

fn watchdog_command(mode: &str, bin: &Path, base: &Path, runner: Option<&Path>) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(WATCHDOG)
        .arg("moss-pg-watchdog")
        .arg(mode)
        .arg(bin)
        .arg(base)
        .arg(SOCKET_PORT.to_string())
        .arg(runner.map(Path::as_os_str).unwrap_or_default())
        // Postgres (as its own user) cannot necessarily enter the test's working directory.
        .current_dir(base.parent().unwrap_or(Path::new("/")))
        // Its own process group: a Ctrl-C (or a test runner's kill) aimed at the test's group
        // must not interrupt initdb or pg_ctl half-way, nor the clean-up.
        .process_group(0);
    cmd
}

/// How to run the Postgres binaries: directly (`None`), or, when this process runs as root
/// (initdb refuses to), as the `postgres` user through `runuser` or `su`. Makes `base` theirs.
fn postgres_runner(base: &Path) -> Result<Option<PathBuf>, String> {
    // The owner of a directory just created is this process's effective uid.
    let euid = std::fs::metadata(base)
        .map_err(|e| format!("cannot stat {}: {e}", base.display()))?
        .uid();
    if euid != 0 {
        return Ok(None);
    }
    let id =
        |flag: &str| command_output(Command::new("id").args([flag, "postgres"])).and_then(|s| s.parse::<u32>().ok());
    let (Some(uid), Some(gid)) = (id("-u"), id("-g")) else {
        return Err("running as root (initdb refuses to) and there is no `postgres` user to run it as".to_owned());
    };
    let runner = ["runuser", "su"]
        .iter()
        .find_map(|name| find_program(name))
        .ok_or_else(|| {
            "running as root (initdb refuses to) and neither runuser nor su is available to become `postgres`"
                .to_owned()
        })?;
    std::os::unix::fs::chown(base, Some(uid), Some(gid))
        .map_err(|e| format!("cannot hand {} to the postgres user: {e}", base.display()))?;
    Ok(Some(runner))
}

/// Stops and removes clusters left in `parent` by test processes that are gone and whose
/// watchdog did not clean up (it was killed with SIGKILL).
fn sweep_stale_clusters(bin: &Path, parent: &Path, runner: Option<&Path>) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !entry.file_name().to_str().is_some_and(|n| n.starts_with(DIR_PREFIX)) {
            continue;
        }
        // A directory without an owner is being set up by another process: leave it. Nor is
        // one whose owner is alive touched (its watchdog will clean up).
        let Some(owner) = std::fs::read_to_string(dir.join("owner.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        else {
            continue;
        };
        if !process_alive(owner) {
            let _ = watchdog_command("sweep", bin, &dir, runner)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A directory for the cluster: the temp dir, unless its path is too long for a Unix socket
/// path (about 100 bytes, including `/moss-pg-XXXXXX/.s.PGSQL.5432`).
fn cluster_parent_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    if tmp.as_os_str().len() <= 60 {
        tmp
    } else {
        PathBuf::from("/tmp")
    }
}

/// The directory holding `initdb` and `pg_ctl`: `MOSS_TEST_PG_BINDIR` if set (and only it),
/// else the first such directory on `PATH`, else the newest `/usr/lib/postgresql/<v>/bin`.
fn find_postgres_bin() -> Option<PathBuf> {
    let has_both = |dir: &Path| is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"));
    if let Some(dir) = std::env::var_os("MOSS_TEST_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return has_both(&dir).then_some(dir);
    }
    if let Some(dir) = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).find(|d| has_both(d))) {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.split('.').next()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `name` on `PATH` or in the usual sbin directories.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

/// A command's trimmed stdout, when it succeeds.
fn command_output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://postgres@/postgres?host=/tmp/moss-pg-a/b&port=5432", "x"),
            "postgres://postgres@/x?host=/tmp/moss-pg-a/b&port=5432"
        );
    }
}
