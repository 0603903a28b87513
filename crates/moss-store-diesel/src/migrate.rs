//! Embedded migrations (top-level `migrations/{postgres,sqlite}`), applied once even when
//! several instances start together (Postgres: under an advisory lock).

use diesel::ConnectionError;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::{DatabaseUrl, MossConnection};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
/// Arbitrary, fixed key of the advisory lock taken while migrating.
const LOCK_KEY: i64 = 0x6d6f_7373_6d69_6772;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`run_pending`] failed: telling the two apart tells an operator where to look.
#[derive(Debug)]
pub enum MigrateError {
    /// The database could not be reached or opened; no migration was tried.
    Connect(ConnectionError),
    /// Connected, but applying the migrations failed.
    Migrate(BoxError),
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect to the database: {e}"),
            Self::Migrate(e) => write!(f, "migration failed: {e}"),
        }
    }
}

impl std::error::Error for MigrateError {}

/// Applies pending migrations; returns the versions applied.
pub fn run_pending(url: &DatabaseUrl) -> Result<Vec<String>, MigrateError> {
    let mut conn = url.connect().map_err(MigrateError::Connect)?;
    run_on(&mut conn).map_err(MigrateError::Migrate)
}

/// Applies pending migrations on an open connection.
pub fn run_on(conn: &mut MossConnection) -> Result<Vec<String>, BoxError> {
    match conn {
        MossConnection::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(ToString::to_string).collect());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))?;
            result
        }
        MossConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(ToString::to_string).collect()),
    }
}

/// Reverts every applied migration (used by the up/down/up test).
pub fn revert_all(conn: &mut MossConnection) -> Result<(), BoxError> {
    match conn {
        MossConnection::Pg(c) => c.revert_all_migrations(POSTGRES).map(|_| ()),
        MossConnection::Sqlite(c) => c.revert_all_migrations(SQLITE).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_be_reached_is_a_connect_error() {
        // Nothing listens on port 1; the connection is refused at once.
        let url = DatabaseUrl::parse("postgres://moss@127.0.0.1:1/moss").unwrap();
        let e = run_pending(&url).unwrap_err();
        assert!(matches!(e, MigrateError::Connect(_)), "{e:?}");
        assert!(e.to_string().starts_with("cannot connect to the database: "), "{e}");
    }

    #[test]
    fn a_migration_that_fails_is_a_migrate_error() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("taken.db"));
        // A table the first migration creates is already there, with another shape.
        url.connect()
            .unwrap()
            .batch_execute("CREATE TABLE workspaces (x INTEGER)")
            .unwrap();
        let e = run_pending(&url).unwrap_err();
        assert!(matches!(e, MigrateError::Migrate(_)), "{e:?}");
        assert!(e.to_string().starts_with("migration failed: "), "{e}");
    }
}
