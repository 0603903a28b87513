//! Test harness: a fresh, migrated database per test, on SQLite (always) and on Postgres
//! (when one can be had).
//!
//! Postgres comes from `MOSS_TEST_DATABASE_URL` (a server URL; each test creates and later
//! drops its own database on it). Without it the Postgres cases are skipped with a notice,
//! unless `MOSS_REQUIRE_POSTGRES=1`, which turns the skip into a failure.

use std::sync::atomic::{AtomicBool, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::connection::{Backend, DatabaseUrl, PoolSettings};
use crate::migrate;
use crate::store::DieselStore;

static SKIP_NOTICE: AtomicBool = AtomicBool::new(false);

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
        Self { url, _dir: Some(dir), pg: None }
    }

    /// A migrated database of its own on the test Postgres server, if there is one.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn postgres() -> Option<Self> {
        let Some(server) = postgres_server() else {
            if std::env::var("MOSS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("MOSS_REQUIRE_POSTGRES=1 but no Postgres: set MOSS_TEST_DATABASE_URL");
            }
            if !SKIP_NOTICE.swap(true, Ordering::SeqCst) {
                eprintln!("NOTICE: Postgres tests skipped: set MOSS_TEST_DATABASE_URL=postgres://... to run them");
            }
            return None;
        };
        let name = format!("moss_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&server).expect("connect to MOSS_TEST_DATABASE_URL");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        let url = DatabaseUrl::Postgres(with_database(&server, &name));
        migrate::run_pending(&url).expect("migrate postgres");
        Some(Self { url, _dir: None, pg: Some((server, name)) })
    }

    /// The database's URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
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
        DieselStore::new(self.url.clone(), PoolSettings { size: 4, ..PoolSettings::default() })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.pg {
            if let Ok(mut admin) = PgConnection::establish(server) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The server URL of the test Postgres, if any.
fn postgres_server() -> Option<String> {
    std::env::var("MOSS_TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())
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
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(with_database("postgres://h/db?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
    }
}
