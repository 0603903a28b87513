//! The connection type, the database URL forms, and the r2d2 pool.

use std::path::PathBuf;
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

    /// Opens one connection (SQLite: with its pragmas; the file is created if missing).
    pub fn connect(&self) -> Result<MossConnection, ConnectionError> {
        match self {
            Self::Postgres(url) => PgConnection::establish(url).map(MossConnection::Pg),
            Self::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                }
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

/// r2d2 manager that opens connections for one [`DatabaseUrl`].
#[derive(Debug)]
pub struct Manager(pub DatabaseUrl);

impl r2d2::ManageConnection for Manager {
    type Connection = MossConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<MossConnection, ConnectionError> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut MossConnection) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    /// A connection given back while unwinding from a panic, or still inside a transaction
    /// (or with its transaction state broken), is closed rather than reused: otherwise the next
    /// unit of work would run inside the abandoned transaction, as a savepoint whose "commit"
    /// commits nothing.
    fn has_broken(&self, conn: &mut MossConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
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

    #[test]
    fn errors_name_the_variable_and_redaction_hides_passwords() {
        assert!(DatabaseUrl::parse("nope").unwrap_err().starts_with("DATABASE_URL"));
        let url = DatabaseUrl::parse("postgres://moss:secret@db:5432/moss").unwrap();
        assert_eq!(url.redacted(), "postgres://moss:***@db:5432/moss");
    }
}
