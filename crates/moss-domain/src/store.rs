//! The unit of work: every read and write goes through [`Store`], and every mutation through
//! [`Store::mutate`] (on `dyn Store`), which commits the change and its audit entry together.

use crate::actor::Actor;
use crate::audit::{AuditEntry, AuditEvent, AuditRepo};
use crate::company::ports::CompanyRepo;
use crate::contact::ports::ContactRepo;
use crate::error::{DomainError, Result};
use crate::key::ports::KeyRepo;
use crate::tag::ports::TagRepo;
use crate::workspace::ports::WorkspaceRepo;

/// Whether a unit of work reads only or may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads; no transaction is opened.
    Read,
    /// One transaction: committed when the work returns `Ok`, rolled back otherwise.
    Write,
}

/// Every repository, bound to one connection (and, in [`Mode::Write`], one transaction).
pub trait Tx {
    /// Workspaces and members.
    fn workspaces(&mut self) -> &mut dyn WorkspaceRepo;
    /// API keys.
    fn keys(&mut self) -> &mut dyn KeyRepo;
    /// Contacts.
    fn contacts(&mut self) -> &mut dyn ContactRepo;
    /// Companies.
    fn companies(&mut self) -> &mut dyn CompanyRepo;
    /// Tags.
    fn tags(&mut self) -> &mut dyn TagRepo;
    /// The audit log (append only).
    fn audit(&mut self) -> &mut dyn AuditRepo;
}

/// The storage port: runs work against a connection from the pool.
pub trait Store: Send + Sync {
    /// Runs `work` in `mode`. In [`Mode::Write`] everything `work` did commits together when
    /// it returns `Ok` and nothing is kept when it returns `Err`.
    /// Returns `Unavailable` when no connection can be had within the pool's timeout.
    fn run<'a>(&self, mode: Mode, work: &mut (dyn FnMut(&mut dyn Tx) -> Result<()> + 'a)) -> Result<()>;

    /// Checks that the database answers.
    fn ping(&self) -> Result<()>;
}

/// Who asked for a mutation, for its audit entry.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The caller.
    pub actor: Actor,
    /// The request id (generated `req_...` for the CLI).
    pub request_id: String,
    /// The client IP, when the request came over the network.
    pub ip: Option<String>,
}

/// The result of a mutating use case: its value and the audit event it must write.
/// A mutation cannot be returned without saying what to audit.
#[derive(Debug)]
pub struct Change<T> {
    /// What the use case produced.
    pub value: T,
    /// The audit entry to write with it.
    pub audit: AuditEvent,
}

impl dyn Store {
    /// Runs a read-only unit of work and returns its value.
    pub fn read<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        self.run_once(Mode::Read, f)
    }

    /// Runs a mutation: the change and its audit entry commit in one transaction, or neither does.
    pub fn mutate<T>(
        &self,
        ctx: &RequestContext,
        op: impl FnOnce(&mut dyn Tx, &Actor) -> Result<Change<T>>,
    ) -> Result<T> {
        self.run_once(Mode::Write, |tx| {
            let change = op(tx, &ctx.actor)?;
            tx.audit().insert_audit(&AuditEntry::record(ctx, change.audit))?;
            Ok(change.value)
        })
    }

    fn run_once<R>(&self, mode: Mode, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut f = Some(f);
        let mut out = None;
        self.run(mode, &mut |tx| {
            let f = f.take().ok_or_else(|| DomainError::Internal("unit of work ran twice".into()))?;
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| DomainError::Internal("unit of work did not run".into()))
    }
}
