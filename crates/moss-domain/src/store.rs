//! The unit of work: every read and write goes through [`Store`], and every mutation through
//! one function, [`apply`], which writes the change's audit entry. `mutate` (CLI, setup) and
//! `answer` (the API, with its Idempotency-Key claim and stored answer) both use it, inside one
//! transaction, so a change, its audit entry, the key's claim and the stored answer commit
//! together or not at all.

use std::sync::Arc;

use crate::activity::ActivityRepo;
use crate::actor::Actor;
use crate::audit::{AuditEntry, AuditEvent, AuditRepo};
use crate::commitment::Commitment;
use crate::company::Company;
use crate::contact::Contact;
use crate::custom_field::{CustomField, CustomFieldRepo};
use crate::deal::Deal;
use crate::deal::ports::DealRepo;
use crate::engagement::EngagementRepo;
use crate::error::{DomainError, Result};
use crate::followup::FollowUp;
use crate::idempotency::{Claim, ClaimOutcome, IdempotencyRepo, Rendered, StoredResponse};
use crate::interaction::Interaction;
use crate::key::ports::KeyRepo;
use crate::record::{RecordRepo, Renderer};
use crate::tag::ports::TagRepo;
use crate::time::now;
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
    fn contacts(&mut self) -> &mut dyn RecordRepo<Contact>;
    /// Companies.
    fn companies(&mut self) -> &mut dyn RecordRepo<Company>;
    /// Deals.
    fn deals(&mut self) -> &mut dyn RecordRepo<Deal>;
    /// Deals' stage history, contact links and pipeline.
    fn deal_extras(&mut self) -> &mut dyn DealRepo;
    /// Interactions.
    fn interactions(&mut self) -> &mut dyn RecordRepo<Interaction>;
    /// Commitments.
    fn commitments(&mut self) -> &mut dyn RecordRepo<Commitment>;
    /// Follow-ups.
    fn followups(&mut self) -> &mut dyn RecordRepo<FollowUp>;
    /// Custom-field definitions, as records.
    fn custom_field_definitions(&mut self) -> &mut dyn RecordRepo<CustomField>;
    /// Custom-field definitions, for the records they apply to.
    fn custom_fields(&mut self) -> &mut dyn CustomFieldRepo;
    /// Engagement records in bulk: the cascades of a contact's or a deal's delete.
    fn engagements(&mut self) -> &mut dyn EngagementRepo;
    /// Activity timelines.
    fn activity(&mut self) -> &mut dyn ActivityRepo;
    /// The search index, for cross-entity search.
    fn search(&mut self) -> &mut dyn crate::search::SearchRepo;
    /// Tags.
    fn tags(&mut self) -> &mut dyn TagRepo;
    /// The audit log (append only).
    fn audit(&mut self) -> &mut dyn AuditRepo;
    /// Idempotency records.
    fn idempotency(&mut self) -> &mut dyn IdempotencyRepo;
    /// Runs `work` in a savepoint: what it wrote is undone when it returns `Err`, while the
    /// enclosing transaction goes on.
    fn savepoint(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
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

/// Who asked for a mutation, for its audit entry, and how its records render.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The caller.
    pub actor: Actor,
    /// The request id (generated `req_...` for the CLI).
    pub request_id: String,
    /// The client IP, when the request came over the network.
    pub ip: Option<String>,
    /// Renders the snapshots of the change's records (the composition root's one renderer).
    pub renderer: Arc<dyn Renderer>,
}

/// The result of a mutating use case: its value and the audit events it must write.
/// A mutation cannot be returned without saying what to audit: one event for most changes,
/// one per record for a bulk change, none (see [`Change::unchanged`]) for a write that changed
/// no stored value.
#[derive(Debug)]
pub struct Change<T> {
    /// What the use case produced.
    pub value: T,
    /// The audit entries to write with it, in order.
    pub events: Vec<AuditEvent>,
}

impl<T> Change<T> {
    /// A change that writes one audit entry.
    pub fn new(value: T, event: AuditEvent) -> Self {
        Self {
            value,
            events: vec![event],
        }
    }

    /// A write that changed no stored value: no audit entry (contract.md, Audit log).
    pub fn unchanged(value: T) -> Self {
        Self {
            value,
            events: Vec::new(),
        }
    }
}

/// What the API answered to a mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The mutation ran now (or failed with a stored 404/409); send this.
    Fresh(StoredResponse),
    /// An earlier request with the same Idempotency-Key answered this; send it again.
    Replayed(StoredResponse),
}

/// What a change left: the use case's value and, rendered in its transaction, the snapshot of
/// each record its events carry, in event order.
#[derive(Debug)]
pub struct Applied<T> {
    /// What the use case produced.
    pub value: T,
    /// The JSON of each snapshot, in the order of the events carrying one.
    pub snapshots: Vec<String>,
}

impl<T> Applied<T> {
    /// The JSON of the record a one-record change left, if it changed one (a no-op update
    /// carries none).
    pub fn snapshot(&self) -> Option<&str> {
        match self.snapshots.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Runs a use case, renders the snapshots its events carry and writes its audit entries: the
/// one way a change is made.
pub fn apply<T>(
    tx: &mut dyn Tx,
    ctx: &RequestContext,
    op: impl FnOnce(&mut dyn Tx, &Actor) -> Result<Change<T>>,
) -> Result<Applied<T>> {
    let change = op(tx, &ctx.actor)?;
    let mut snapshots = Vec::new();
    for mut event in change.events {
        if let Some(snapshot) = event.snapshot.take() {
            snapshots.push(ctx.renderer.render(&snapshot));
        }
        tx.audit().insert_audit(&AuditEntry::record(ctx, event))?;
    }
    Ok(Applied {
        value: change.value,
        snapshots,
    })
}

/// Whether an error answer is kept for replays: the handler's own 404 and 409. Everything
/// else (400, 5xx) rolls back, so the client can fix or retry with the same key.
fn is_stored(e: &DomainError) -> bool {
    matches!(e, DomainError::NotFound(_) | DomainError::Conflict(_))
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
        self.run_once(Mode::Write, |tx| apply(tx, ctx, op).map(|a| a.value))
    }

    /// Runs a mutation for the API and renders its answer inside the same transaction.
    ///
    /// With a `claim` (an Idempotency-Key): a key already used with the same fingerprint
    /// replays the stored answer and changes nothing; with another fingerprint it is
    /// `Conflict`. Otherwise the change, its audit entry, the claim and the answer (including
    /// a 404 or 409 from the use case, whose partial writes are undone) commit together.
    /// Other errors roll everything back and are returned, so a retry runs afresh.
    pub fn answer<T>(
        &self,
        ctx: &RequestContext,
        claim: Option<&Claim>,
        op: impl FnOnce(&mut dyn Tx, &Actor) -> Result<Change<T>>,
        render: impl Fn(std::result::Result<&Applied<T>, &DomainError>) -> Rendered,
    ) -> Result<Answer> {
        self.run_once(Mode::Write, |tx| {
            let Some(claim) = claim else {
                let value = apply(tx, ctx, op)?;
                return Ok(Answer::Fresh(render(Ok(&value)).sent));
            };
            if let ClaimOutcome::Used { fingerprint, response } = tx.idempotency().claim(claim, now())? {
                if fingerprint != claim.fingerprint {
                    return Err(DomainError::Conflict(
                        "Idempotency-Key was used for a different request.".into(),
                    ));
                }
                return Ok(Answer::Replayed(response));
            }
            let mut op = Some(op);
            let mut value = None;
            let outcome = tx.savepoint(&mut |tx| {
                let op = op
                    .take()
                    .ok_or_else(|| DomainError::Internal("mutation ran twice".into()))?;
                value = Some(apply(tx, ctx, op)?);
                Ok(())
            });
            let rendered = match (outcome, &value) {
                (Ok(()), Some(v)) => render(Ok(v)),
                (Err(e), _) if is_stored(&e) => render(Err(&e)),
                (Err(e), _) => return Err(e),
                (Ok(()), None) => return Err(DomainError::Internal("mutation produced no value".into())),
            };
            tx.idempotency().store_response(claim, rendered.to_keep())?;
            Ok(Answer::Fresh(rendered.sent))
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
    use crate::record::Snapshot;
    use crate::testing::{Calls, FakeStore, FakeTx, Outcome, owner};

    fn ctx(actor: Actor) -> RequestContext {
        RequestContext {
            ip: Some("203.0.113.7".into()),
            ..crate::testing::context(actor, "req-1")
        }
    }

    fn created(id: ContactId) -> Change<&'static str> {
        Change::new("done", AuditEvent::new("contact", "created", id))
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
    fn apply_renders_each_snapshot_with_the_contexts_renderer_in_event_order() {
        let ws = WorkspaceId::generate();
        let (a, b) = (crate::testing::stored_contact(ws), crate::testing::stored_company(ws));
        let mut tx = FakeTx::new();
        let entries = Calls::new();
        let sink = entries.clone();
        tx.audit.expect_insert_audit().times(3).returning(move |e| {
            sink.push(e.event_type.clone());
            Ok(())
        });
        let (sa, sb) = (Snapshot::Contact(a.clone()), Snapshot::Company(b.clone()));
        let applied = apply(&mut tx, &ctx(Actor::system(ws)), |_, _| {
            Ok(Change {
                value: 7,
                events: vec![
                    AuditEvent::new("contact", "updated", a.id).with_snapshot(sa),
                    AuditEvent::new("api_key", "revoked", "key_1"),
                    AuditEvent::new("company", "created", b.id).with_snapshot(sb),
                ],
            })
        })
        .unwrap();
        assert_eq!(applied.value, 7);
        assert_eq!(
            applied.snapshots,
            [
                format!(r#"{{"contact":"{}"}}"#, a.id),
                format!(r#"{{"company":"{}"}}"#, b.id)
            ]
        );
        // Two snapshots: not a one-record change.
        assert_eq!(applied.snapshot(), None);
        assert_eq!(entries.all(), ["contact.updated", "api_key.revoked", "company.created"]);
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
        tx.deal_extras
            .expect_remove_contact_links()
            .times(1)
            .returning(|_, _| Ok(Vec::new()));
        tx.engagements
            .expect_delete_of_contact()
            .times(1)
            .returning(|_, _| Ok(Default::default()));
        tx.contacts.expect_delete().times(1).returning(|_, _| Ok(true));
        tx.audit
            .expect_insert_audit()
            .withf(|e| e.event_type == "contact.deleted")
            .times(1)
            .returning(|_| Ok(()));
        let fake = FakeStore::new(tx);
        let store: &dyn Store = &fake;

        store
            .mutate(&ctx(actor), |tx, actor| {
                crate::record::service::delete::<crate::contact::Contact>(tx, actor, id)
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

    mod answer {
        use super::*;
        use crate::id::KeyId;
        use crate::idempotency::{Claim, ClaimOutcome, Fingerprint, IdempotencyKey, Rendered, StoredResponse};

        fn claim(body: &[u8]) -> Claim {
            Claim {
                api_key: KeyId::generate(),
                key: IdempotencyKey::parse("retry-1").unwrap(),
                fingerprint: Fingerprint::of("POST", "/api/v1/contacts", "", body),
                expires_at: now(),
            }
        }

        fn response(status: u16, body: &str) -> StoredResponse {
            StoredResponse {
                status,
                location: None,
                body: body.as_bytes().to_vec(),
            }
        }

        fn render(r: std::result::Result<&Applied<&'static str>, &DomainError>) -> Rendered {
            match r.map(|a| a.value) {
                Ok(v) => Rendered {
                    sent: response(201, &format!("sent:{v}")),
                    kept: Some(response(201, &format!("kept:{v}"))),
                },
                Err(e) => Rendered::same(response(409, &e.to_string())),
            }
        }

        #[test]
        fn a_used_key_with_the_same_fingerprint_replays_and_runs_nothing() {
            let c = claim(b"{}");
            let stored = response(201, "first");
            let mut tx = FakeTx::new();
            let (fp, st) = (c.fingerprint, stored.clone());
            tx.idempotency.expect_claim().times(1).returning(move |_, _| {
                Ok(ClaimOutcome::Used {
                    fingerprint: fp,
                    response: st.clone(),
                })
            });
            let fake = FakeStore::new(tx);
            let store: &dyn Store = &fake;
            let answer = store
                .answer(
                    &ctx(owner()),
                    Some(&c),
                    |_, _| -> Result<Change<&'static str>> { panic!("ran twice") },
                    render,
                )
                .unwrap();
            assert_eq!(answer, Answer::Replayed(stored));
        }

        #[test]
        fn a_used_key_with_another_fingerprint_is_a_conflict_and_stores_nothing() {
            let c = claim(b"{}");
            let mut tx = FakeTx::new();
            let other = Fingerprint::of("POST", "/api/v1/contacts", "", b"{\"a\":1}");
            tx.idempotency.expect_claim().returning(move |_, _| {
                Ok(ClaimOutcome::Used {
                    fingerprint: other,
                    response: response(201, "x"),
                })
            });
            let fake = FakeStore::new(tx);
            let store: &dyn Store = &fake;
            let err = store
                .answer(
                    &ctx(owner()),
                    Some(&c),
                    |_, _| -> Result<Change<&'static str>> { panic!("ran") },
                    render,
                )
                .unwrap_err();
            assert_eq!(
                err,
                DomainError::Conflict("Idempotency-Key was used for a different request.".into())
            );
            assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::RolledBack)]);
        }

        #[test]
        fn a_fresh_claim_stores_the_kept_answer_and_sends_the_other() {
            let c = claim(b"{}");
            let mut tx = FakeTx::new();
            tx.idempotency
                .expect_claim()
                .times(1)
                .returning(|_, _| Ok(ClaimOutcome::Claimed));
            let stored = Calls::new();
            let sink = stored.clone();
            tx.idempotency.expect_store_response().times(1).returning(move |_, r| {
                sink.push(r.clone());
                Ok(())
            });
            tx.audit.expect_insert_audit().times(1).returning(|_| Ok(()));
            let fake = FakeStore::new(tx);
            let store: &dyn Store = &fake;
            let answer = store
                .answer(
                    &ctx(owner()),
                    Some(&c),
                    |_, _| Ok(created(ContactId::generate())),
                    render,
                )
                .unwrap();
            assert_eq!(answer, Answer::Fresh(response(201, "sent:done")));
            assert_eq!(stored.all(), [response(201, "kept:done")]);
            assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::Committed)]);
        }

        #[rstest]
        #[case::not_found(DomainError::NotFound("gone".into()), true)]
        #[case::conflict(DomainError::Conflict("taken".into()), true)]
        #[case::validation(DomainError::field("company_id", "unknown"), false)]
        #[case::internal(DomainError::Internal("boom".into()), false)]
        #[case::unavailable(DomainError::Unavailable("down".into()), false)]
        fn only_404_and_409_answers_are_stored(#[case] error: DomainError, #[case] stored: bool) {
            let c = claim(b"{}");
            let mut tx = FakeTx::new();
            tx.idempotency
                .expect_claim()
                .times(1)
                .returning(|_, _| Ok(ClaimOutcome::Claimed));
            tx.idempotency
                .expect_store_response()
                .times(usize::from(stored))
                .returning(|_, _| Ok(()));
            let fake = FakeStore::new(tx);
            let store: &dyn Store = &fake;
            let e = error.clone();
            let result = store.answer(
                &ctx(owner()),
                Some(&c),
                move |_, _| Err::<Change<&'static str>, _>(e),
                render,
            );
            if stored {
                assert_eq!(result.unwrap(), Answer::Fresh(response(409, &error.to_string())));
                assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::Committed)]);
                assert_eq!(
                    fake.tx().savepoints,
                    [Outcome::RolledBack],
                    "the use case's writes are undone"
                );
            } else {
                assert_eq!(result.unwrap_err(), error);
                assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::RolledBack)]);
            }
        }

        #[test]
        fn a_failure_after_writing_rolls_back_claim_change_and_audit() {
            let c = claim(b"{}");
            let mut tx = FakeTx::new();
            tx.idempotency
                .expect_claim()
                .times(1)
                .returning(|_, _| Ok(ClaimOutcome::Claimed));
            tx.audit.expect_insert_audit().times(1).returning(|_| Ok(()));
            tx.idempotency
                .expect_store_response()
                .times(1)
                .returning(|_, _| Err(DomainError::Internal("disk full".into())));
            let fake = FakeStore::new(tx);
            let store: &dyn Store = &fake;
            let err = store
                .answer(
                    &ctx(owner()),
                    Some(&c),
                    |_, _| Ok(created(ContactId::generate())),
                    render,
                )
                .unwrap_err();
            assert_eq!(err, DomainError::Internal("disk full".into()));
            assert_eq!(fake.outcomes(), [(Mode::Write, Outcome::RolledBack)]);
        }

        #[test]
        fn without_a_key_nothing_is_claimed_or_stored() {
            let mut tx = FakeTx::new();
            tx.audit.expect_insert_audit().times(1).returning(|_| Ok(()));
            let fake = FakeStore::new(tx);
            let store: &dyn Store = &fake;
            let answer = store
                .answer(&ctx(owner()), None, |_, _| Ok(created(ContactId::generate())), render)
                .unwrap();
            assert_eq!(answer, Answer::Fresh(response(201, "sent:done")));
        }
    }
}
