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

impl dyn Store + '_ {
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
            let f = f
                .take()
                .ok_or_else(|| DomainError::Internal("unit of work ran twice".into()))?;
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| DomainError::Internal("unit of work did not run".into()))
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::actor::ActorKind;
    use crate::id::{ContactId, WorkspaceId};
    use crate::testing::{Calls, FakeStore, FakeTx, Outcome, owner};

    fn ctx(actor: Actor) -> RequestContext {
        RequestContext {
            actor,
            request_id: "req-1".into(),
            ip: Some("203.0.113.7".into()),
        }
    }

    fn created(id: ContactId) -> Change<&'static str> {
        Change {
            value: "done",
            audit: AuditEvent::new("contact", "created", id),
        }
    }

    #[rstest]
    #[case::api_key(owner())]
    #[case::command_line(Actor::system(WorkspaceId::generate()))]
    fn a_successful_mutation_writes_its_audit_entry_and_commits(#[case] actor: Actor) {
        let ctx = ctx(actor);
        let target = ContactId::generate();
        let mut tx = FakeTx::new();
        let entries = Calls::new();
        let sink = entries.clone();
        tx.audit.expect_insert_audit().times(1).returning(move |e| {
            sink.push(e.clone());
            Ok(())
        });
        let fake = FakeStore::new(tx);
        let store: &dyn Store = &fake;

        let value = store
            .mutate(&ctx, |_, actor| {
                assert_eq!(*actor, ctx.actor);
                Ok(created(target))
            })
            .unwrap();

        assert_eq!(value, "done");
        assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::Committed)]);
        let entries = entries.all();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.workspace_id, ctx.actor.workspace_id);
        assert_eq!(entry.event_type, "contact.created");
        assert_eq!(entry.target_type, "contact");
        assert_eq!(entry.target_id, target.to_string());
        assert_eq!(entry.request_id, "req-1");
        assert_eq!(entry.ip.as_deref(), Some("203.0.113.7"));
        assert!(entry.metadata.is_empty());
        match ctx.actor.kind {
            ActorKind::ApiKey => {
                assert_eq!(entry.actor_type, "api_key");
                assert!(entry.actor_id.is_some());
                assert_eq!(entry.actor_id, ctx.actor.key_id.map(|k| k.to_string()));
            }
            ActorKind::System => {
                assert_eq!(entry.actor_type, "system");
                assert_eq!(entry.actor_id, None);
            }
        }
    }

    #[test]
    fn a_failed_mutation_writes_no_audit_entry_and_rolls_back() {
        // No expectation on the audit mock: writing an entry would panic.
        let fake = FakeStore::new(FakeTx::new());
        let store: &dyn Store = &fake;
        let conflict = DomainError::Conflict("taken".into());

        let result = store.mutate(&ctx(owner()), |_, _| Err::<Change<()>, _>(conflict.clone()));

        assert_eq!(result.unwrap_err(), conflict);
        assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::RolledBack)]);
    }

    #[test]
    fn a_failed_audit_write_fails_the_whole_mutation() {
        let mut tx = FakeTx::new();
        tx.audit
            .expect_insert_audit()
            .times(1)
            .returning(|_| Err(DomainError::Internal("disk full".into())));
        let fake = FakeStore::new(tx);
        let store: &dyn Store = &fake;

        let result = store.mutate(&ctx(owner()), |_, _| Ok(created(ContactId::generate())));

        assert_eq!(result.unwrap_err(), DomainError::Internal("disk full".into()));
        assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::RolledBack)]);
    }

    #[test]
    fn the_mutation_runs_on_the_stores_transaction() {
        let actor = owner();
        let id = ContactId::generate();
        let mut tx = FakeTx::new();
        tx.contacts.expect_delete_contact().times(1).returning(|_, _| Ok(true));
        tx.audit
            .expect_insert_audit()
            .withf(|e| e.event_type == "contact.deleted")
            .times(1)
            .returning(|_| Ok(()));
        let fake = FakeStore::new(tx);
        let store: &dyn Store = &fake;

        store
            .mutate(&ctx(actor), |tx, actor| {
                crate::contact::service::delete_contact(tx, actor, id)
            })
            .unwrap();

        assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::Committed)]);
    }

    #[test]
    fn a_read_runs_once_in_read_mode_and_writes_no_audit_entry() {
        let fake = FakeStore::new(FakeTx::new());
        let store: &dyn Store = &fake;
        let mut runs = 0;

        let value = store
            .read(|_| {
                runs += 1;
                Ok(42)
            })
            .unwrap();

        assert_eq!((value, runs), (42, 1));
        assert_eq!(fake.outcomes(), [(Mode::Read, Outcome::Committed)]);
    }
}
