//! [`DieselStore`]: the domain's [`Store`] port on an r2d2 pool.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Mutex;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use moss_domain::activity::ActivityRepo;
use moss_domain::audit::AuditRepo;
use moss_domain::commitment::Commitment;
use moss_domain::company::Company;
use moss_domain::contact::Contact;
use moss_domain::custom_field::{CustomField, EntityType};
use moss_domain::deal::Deal;
use moss_domain::deal::ports::DealRepo;
use moss_domain::engagement::EngagementRepo;
use moss_domain::followup::FollowUp;
use moss_domain::idempotency::IdempotencyRepo;
use moss_domain::interaction::Interaction;
use moss_domain::key::ports::KeyRepo;
use moss_domain::record::RecordRepo;
use moss_domain::store::{Mode, Store, Tx};
use moss_domain::tag::ports::TagRepo;
use moss_domain::workspace::ports::WorkspaceRepo;
use moss_domain::{DomainError, Result};

use crate::connection::{Backend, DatabaseUrl, MossConnection, Pool, PoolSettings, pool};
use crate::error;

/// The storage port on diesel.
pub struct DieselStore {
    pool: Pool,
    backend: Backend,
    /// SQLite has one writer at a time; taking this lock before `BEGIN` makes writers queue in
    /// the process instead of failing with SQLITE_BUSY on a lock upgrade.
    sqlite_writer: Option<Mutex<()>>,
    /// Test-only fault injection: the next write unit fails after its work has written.
    #[cfg(feature = "testing")]
    fail_next_write: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl DieselStore {
    /// A store over a new pool for `url` (no connection is made until first use).
    pub fn new(url: DatabaseUrl, settings: PoolSettings) -> Self {
        let backend = url.backend();
        Self {
            pool: pool(url, settings),
            backend,
            sqlite_writer: (backend == Backend::Sqlite).then(|| Mutex::new(())),
            #[cfg(feature = "testing")]
            fail_next_write: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Test-only: makes the next write unit of work fail with `Internal` after everything in
    /// it has been written, as a crash or a lost connection before COMMIT would.
    #[cfg(feature = "testing")]
    pub fn fail_next_write(&self) {
        self.fail_next_write.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn injected_failure(&self) -> bool {
        #[cfg(feature = "testing")]
        {
            self.fail_next_write.swap(false, std::sync::atomic::Ordering::SeqCst)
        }
        #[cfg(not(feature = "testing"))]
        {
            false
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Store for DieselStore {
    fn run<'a>(&self, mode: Mode, work: &mut (dyn FnMut(&mut dyn Tx) -> Result<()> + 'a)) -> Result<()> {
        let mut pooled = self.pool.get().map_err(error::pool)?;
        let conn: &mut MossConnection = &mut pooled.conn;
        let result = match mode {
            Mode::Read => work(&mut DieselTx::new(conn)),
            Mode::Write => {
                let _writer = self
                    .sqlite_writer
                    .as_ref()
                    .map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
                let fail = || self.injected_failure();
                write_transaction(conn, &mut |tx| {
                    work(tx)?;
                    if fail() {
                        return Err(DomainError::Internal("injected failure after writing".into()));
                    }
                    Ok(())
                })
            }
        };
        if matches!(result, Err(DomainError::Unavailable(_))) {
            pooled.failed = true;
        }
        result
    }

    fn ping(&self) -> Result<()> {
        use diesel::connection::SimpleConnection;
        let mut pooled = self.pool.get().map_err(error::pool)?;
        let result = pooled.conn.batch_execute("SELECT 1").map_err(error::db);
        pooled.failed = result.is_err();
        result
    }
}

/// All repositories on one connection.
pub(crate) struct DieselTx<'c> {
    pub(crate) conn: &'c mut MossConnection,
    /// The custom-field definitions read in this unit of work, by workspace and entity type: a
    /// write checks a record's values against them (the domain) and then stores the record split
    /// by them (`repo::record`) on one read. Forgotten by every write of a definition and by a
    /// savepoint rolled back.
    pub(crate) definitions: HashMap<(String, EntityType), Rc<[CustomField]>>,
}

impl<'c> DieselTx<'c> {
    pub(crate) fn new(conn: &'c mut MossConnection) -> Self {
        Self {
            conn,
            definitions: HashMap::new(),
        }
    }

    /// The workspace's definitions for an entity type, read once per unit of work.
    pub(crate) fn definitions_of(&mut self, ws: &str, entity: EntityType) -> Result<Rc<[CustomField]>> {
        let key = (ws.to_owned(), entity);
        if let Some(d) = self.definitions.get(&key) {
            return Ok(d.clone());
        }
        let read: Rc<[CustomField]> = crate::repo::custom_field::definitions(self.conn, ws, entity)?.into();
        self.definitions.insert(key, read.clone());
        Ok(read)
    }
}

impl Tx for DieselTx<'_> {
    fn workspaces(&mut self) -> &mut dyn WorkspaceRepo {
        self
    }
    fn keys(&mut self) -> &mut dyn KeyRepo {
        self
    }
    fn contacts(&mut self) -> &mut dyn RecordRepo<Contact> {
        self
    }
    fn companies(&mut self) -> &mut dyn RecordRepo<Company> {
        self
    }
    fn deals(&mut self) -> &mut dyn RecordRepo<Deal> {
        self
    }
    fn deal_extras(&mut self) -> &mut dyn DealRepo {
        self
    }
    fn interactions(&mut self) -> &mut dyn RecordRepo<Interaction> {
        self
    }
    fn commitments(&mut self) -> &mut dyn RecordRepo<Commitment> {
        self
    }
    fn followups(&mut self) -> &mut dyn RecordRepo<FollowUp> {
        self
    }
    fn engagements(&mut self) -> &mut dyn EngagementRepo {
        self
    }
    fn activity(&mut self) -> &mut dyn ActivityRepo {
        self
    }
    fn search(&mut self) -> &mut dyn moss_domain::search::SearchRepo {
        self
    }
    fn custom_field_definitions(&mut self) -> &mut dyn RecordRepo<moss_domain::custom_field::CustomField> {
        self
    }
    fn custom_fields(&mut self) -> &mut dyn moss_domain::custom_field::CustomFieldRepo {
        self
    }
    fn tags(&mut self) -> &mut dyn TagRepo {
        self
    }
    fn audit(&mut self) -> &mut dyn AuditRepo {
        self
    }
    fn idempotency(&mut self) -> &mut dyn IdempotencyRepo {
        self
    }
    fn savepoint(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        // Inside a transaction, diesel's transaction manager opens a SAVEPOINT.
        TxManager::begin_transaction(self.conn).map_err(error::db)?;
        match work(self) {
            Ok(()) => TxManager::commit_transaction(self.conn).map_err(error::db),
            Err(e) => {
                self.definitions.clear();
                TxManager::rollback_transaction(self.conn).map_err(error::db)?;
                Err(e)
            }
        }
    }
}

type TxManager = <MossConnection as Connection>::TransactionManager;

/// Runs `work` in one transaction: committed when it returns `Ok`, rolled back otherwise.
///
/// SQLite transactions start with `BEGIN IMMEDIATE`, which takes the database's write lock at
/// once (waiting up to `busy_timeout` for it). With a plain (deferred) `BEGIN`, a unit of work
/// that reads before it writes fails with "database is locked" as soon as another connection to
/// the file (another process: `moss` commands next to `moss serve`) has written in between,
/// and no busy timeout helps.
fn write_transaction(conn: &mut MossConnection, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
    match conn {
        MossConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        MossConnection::Pg(_) => TxManager::begin_transaction(conn),
    }
    .map_err(error::db)?;
    match work(&mut DieselTx::new(conn)) {
        Ok(()) => TxManager::commit_transaction(conn).map_err(error::db),
        Err(e) => {
            // A failed rollback leaves the transaction manager broken and the pool then discards
            // the connection (`connection::Manager::has_broken`); the work's error is the news.
            if let Err(rollback) = TxManager::rollback_transaction(conn) {
                tracing::warn!(cause = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}
