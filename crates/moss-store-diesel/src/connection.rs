//! The connection type, the database URL forms, and the r2d2 pool.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

/// One connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum MossConnection {
    /// Postgres.
    Pg(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite (embedded file).
    Sqlite,
}

/// A parsed `DATABASE_URL`. The backend comes from the scheme, never from trying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://...` or `postgresql://...`.
    Postgres(String),
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db` or a bare `*.db` path.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Parses the accepted forms; anything else is an error naming the variable.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() || path == "/" {
                return Err("DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://moss.db".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.ends_with(".db") && !raw.contains("://") {
            return Ok(Self::Sqlite(PathBuf::from(raw)));
        }
        Err(format!(
            "DATABASE_URL: unsupported value {raw:?}; use postgres://..., postgresql://..., sqlite://path.db, sqlite:///abs/path.db or a path ending in .db"
        ))
    }

    /// The backend this URL names.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s => {
                    let creds = &url[s + 3..at];
                    match creds.split_once(':') {
                        Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                        None => url.clone(),
                    }
                }
                _ => url.clone(),
            },
            Self::Sqlite(p) => format!("sqlite://{}", p.display()),
        }
    }

    /// SQLite: the file's path when there is no file there, so that a command which must not
    /// create a database can refuse (`None` for Postgres, whose server says itself).
    pub fn missing_file(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) if !path.exists() => Some(path),
            _ => None,
        }
    }

    /// SQLite: creates the file's missing parent directories, so that connecting creates the
    /// database. Only the commands that may create a database call this.
    pub fn create_parent_dirs(&self) -> std::io::Result<()> {
        match self {
            Self::Sqlite(path) => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) => std::fs::create_dir_all(parent),
                None => Ok(()),
            },
            Self::Postgres(_) => Ok(()),
        }
    }

    /// Opens one connection (SQLite: with its pragmas; a missing file is created, but not its
    /// directory: see [`Self::create_parent_dirs`]).
    pub fn connect(&self) -> Result<MossConnection, ConnectionError> {
        match self {
            Self::Postgres(url) => PgConnection::establish(url).map(MossConnection::Pg),
            Self::Sqlite(path) => {
                let path = path
                    .to_str()
                    .ok_or_else(|| ConnectionError::InvalidConnectionUrl("path is not UTF-8".into()))?;
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(MossConnection::Sqlite(conn))
            }
        }
    }
}

/// Pool size and checkout timeout.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Connections kept at most (`MOSS_DB_POOL_SIZE`).
    pub size: u32,
    /// How long a request waits for a connection (`MOSS_DB_TIMEOUT`).
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            size: 10,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A connection idle for less than this is handed out without a validation query: it was
/// just used successfully, and a failure on it discards it (see [`Pooled`]).
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// A pooled connection and what the pool needs to know about it.
///
/// Checking a connection with `SELECT 1` at every checkout costs a round trip per request.
/// Instead a connection is checked only when it has been idle for [`FRESH_FOR`] or more (the
/// database may have restarted or dropped it meanwhile); one whose unit of work failed for a
/// connection-level reason (`DomainError::Unavailable`) is marked and closed when it comes
/// back, so the next request gets a new one.
#[derive(Debug)]
pub struct Pooled {
    /// The connection.
    pub conn: MossConnection,
    /// When it was last given back to the pool.
    returned_at: std::time::Instant,
    /// Its last unit of work failed in a way that may have left it unusable.
    pub failed: bool,
}

impl std::fmt::Debug for MossConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pg(_) => "MossConnection::Pg",
            Self::Sqlite(_) => "MossConnection::Sqlite",
        })
    }
}

/// r2d2 manager that opens connections for one [`DatabaseUrl`].
#[derive(Debug)]
pub struct Manager(pub DatabaseUrl);

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Pooled, ConnectionError> {
        Ok(Pooled {
            conn: self.0.connect()?,
            returned_at: std::time::Instant::now(),
            failed: false,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), ConnectionError> {
        if pooled.returned_at.elapsed() < FRESH_FOR {
            return Ok(());
        }
        pooled
            .conn
            .batch_execute("SELECT 1")
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    /// A connection given back while unwinding from a panic, or still inside a transaction
    /// (or with its transaction state broken), is closed rather than reused: otherwise the next
    /// unit of work would run inside the abandoned transaction, as a savepoint whose "commit"
    /// commits nothing. So is one whose work failed at the connection level.
    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.returned_at = std::time::Instant::now();
        std::thread::panicking() || pooled.failed || diesel::r2d2::R2D2Connection::is_broken(&mut pooled.conn)
    }
}

/// The pool type.
pub type Pool = r2d2::Pool<Manager>;

/// Builds a pool without connecting: the first checkout connects, so a server can start while
/// the database is away and recover when it returns.
pub fn pool(url: DatabaseUrl, settings: PoolSettings) -> Pool {
    r2d2::Pool::builder()
        .max_size(settings.size.max(1))
        .min_idle(Some(0))
        .connection_timeout(settings.timeout)
        .test_on_check_out(true)
        .build_unchecked(Manager(url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("postgres://u:p@h/db", Some(Backend::Postgres))]
    #[case("postgresql://h/db", Some(Backend::Postgres))]
    #[case("sqlite://moss.db", Some(Backend::Sqlite))]
    #[case("sqlite:///tmp/moss.db", Some(Backend::Sqlite))]
    #[case("data/moss.db", Some(Backend::Sqlite))]
    #[case("postgress://h/db", None)]
    #[case("mysql://h/db", None)]
    #[case("moss.sqlite", None)]
    #[case("", None)]
    #[case("sqlite://", None)]
    fn backend_comes_from_the_scheme(#[case] raw: &str, #[case] backend: Option<Backend>) {
        assert_eq!(DatabaseUrl::parse(raw).ok().map(|u| u.backend()), backend);
    }

    #[test]
    fn sqlite_paths_keep_relative_and_absolute_forms() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://a/b.db"),
            Ok(DatabaseUrl::Sqlite("a/b.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///a/b.db"),
            Ok(DatabaseUrl::Sqlite("/a/b.db".into()))
        );
    }

    /// A manager's connection to a fresh SQLite file, counting the statements it runs.
    fn counted() -> (
        Manager,
        Pooled,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
        tempfile::TempDir,
    ) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let manager = Manager(DatabaseUrl::Sqlite(dir.path().join("pool.db")));
        let mut pooled = r2d2::ManageConnection::connect(&manager).unwrap();
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        pooled
            .conn
            .set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
                if matches!(event, diesel::connection::InstrumentationEvent::StartQuery { .. }) {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            });
        (manager, pooled, count, dir)
    }

    #[test]
    fn a_connection_just_given_back_is_handed_out_without_a_validation_query() {
        use r2d2::ManageConnection;
        use std::sync::atomic::Ordering;
        let (manager, mut pooled, count, _dir) = counted();
        assert!(!manager.has_broken(&mut pooled));
        manager.is_valid(&mut pooled).unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 0, "no round trip for a fresh connection");
        pooled.returned_at -= FRESH_FOR;
        manager.is_valid(&mut pooled).unwrap();
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "an idle connection is checked with one query"
        );
    }

    #[test]
    fn a_connection_whose_work_failed_is_closed_when_given_back() {
        use r2d2::ManageConnection;
        let (manager, mut pooled, _count, _dir) = counted();
        pooled.failed = true;
        assert!(manager.has_broken(&mut pooled));
    }

    #[test]
    fn connecting_creates_no_directory_and_only_create_parent_dirs_does() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("a/b/moss.db"));
        assert_eq!(url.missing_file(), Some(dir.path().join("a/b/moss.db").as_path()));
        assert!(url.connect().is_err(), "no directory, no database");
        assert!(!dir.path().join("a").exists(), "connect created a directory");
        url.create_parent_dirs().unwrap();
        url.connect().unwrap();
        assert_eq!(url.missing_file(), None);
        let pg = DatabaseUrl::parse("postgres://h/db").unwrap();
        assert_eq!(pg.missing_file(), None);
        pg.create_parent_dirs().unwrap();
    }

    #[test]
    fn errors_name_the_variable_and_redaction_hides_passwords() {
        assert!(DatabaseUrl::parse("nope").unwrap_err().starts_with("DATABASE_URL"));
        let url = DatabaseUrl::parse("postgres://moss:secret@db:5432/moss").unwrap();
        assert_eq!(url.redacted(), "postgres://moss:***@db:5432/moss");
    }
}
