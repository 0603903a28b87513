//! Embedded migrations (top-level `migrations/{postgres,sqlite}`), applied once even when
//! several instances start together (Postgres: under an advisory lock).

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::{DatabaseUrl, MossConnection};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
/// Arbitrary, fixed key of the advisory lock taken while migrating.
const LOCK_KEY: i64 = 0x6d6f_7373_6d69_6772;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies pending migrations; returns the versions applied.
pub fn run_pending(url: &DatabaseUrl) -> Result<Vec<String>, BoxError> {
    let mut conn = url.connect()?;
    run_on(&mut conn)
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
