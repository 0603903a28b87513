//! A merge or a contact delete that fails midway leaves nothing changed, on both backends.
//!
//! The failure switch is a unit of work whose contact deletes fail: both use cases delete a
//! contact only after they moved or deleted everything else (interactions, commitments,
//! follow-ups, deal links), so the switch trips after every other write of the mutation, and
//! the transaction must undo all of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use moss_domain::activity::ActivityRepo;
use moss_domain::actor::Actor;
use moss_domain::audit::AuditRepo;
use moss_domain::commitment::{Commitment, CommitmentChanges, CommitmentFilter, CommitmentSort};
use moss_domain::company::Company;
use moss_domain::contact::merge::merge;
use moss_domain::contact::{Contact, ContactChanges, ContactFilter, ContactSort};
use moss_domain::deal::ports::DealRepo;
use moss_domain::deal::{Deal, DealChanges};
use moss_domain::engagement::EngagementRepo;
use moss_domain::followup::{FollowUp, FollowUpChanges, FollowUpFilter, FollowUpSort};
use moss_domain::id::{ContactId, WorkspaceId};
use moss_domain::idempotency::IdempotencyRepo;
use moss_domain::interaction::{Interaction, InteractionChanges, InteractionFilter, InteractionSort, InteractionType};
use moss_domain::key::ports::KeyRepo;
use moss_domain::page::{Page, PageRequest};
use moss_domain::record::service::{create, delete};
use moss_domain::record::{Extras, ListFilter, RecordRepo};
use moss_domain::store::{Mode, RequestContext, Store, Tx, apply};
use moss_domain::tag::ports::TagRepo;
use moss_domain::text::{EmailAddress, TagName};
use moss_domain::value::Patch;
use moss_domain::workspace::ports::WorkspaceRepo;
use moss_domain::workspace::{Slug, Workspace};
use moss_domain::{DomainError, Result};
use moss_store_diesel::Backend;
use moss_store_diesel::testing::TestDatabase;
use rstest::rstest;

/// The failure switch: every port of the real unit of work, but deleting a contact fails.
struct FailingContactDelete<'a> {
    tx: &'a mut dyn Tx,
}

const SWITCH: &str = "the test's failure switch";

impl RecordRepo<Contact> for FailingContactDelete<'_> {
    fn insert(&mut self, record: &Contact) -> Result<()> {
        self.tx.contacts().insert(record)
    }
    fn update(&mut self, record: &Contact, before: &Contact) -> Result<()> {
        self.tx.contacts().update(record, before)
    }
    fn delete(&mut self, _: WorkspaceId, _: ContactId) -> Result<bool> {
        Err(DomainError::Internal(SWITCH.into()))
    }
    fn get(&mut self, ws: WorkspaceId, id: ContactId) -> Result<Option<Contact>> {
        self.tx.contacts().get(ws, id)
    }
    fn get_many(&mut self, ws: WorkspaceId, ids: &[ContactId]) -> Result<Vec<Contact>> {
        self.tx.contacts().get_many(ws, ids)
    }
    fn id_by_unique(&mut self, ws: WorkspaceId, key: &str) -> Result<Option<ContactId>> {
        self.tx.contacts().id_by_unique(ws, key)
    }
    fn list(
        &mut self,
        ws: WorkspaceId,
        filter: &ListFilter<ContactFilter>,
        page: &PageRequest<ContactSort>,
    ) -> Result<Page<Contact>> {
        self.tx.contacts().list(ws, filter, page)
    }
}

impl Tx for FailingContactDelete<'_> {
    fn workspaces(&mut self) -> &mut dyn WorkspaceRepo {
        self.tx.workspaces()
    }
    fn keys(&mut self) -> &mut dyn KeyRepo {
        self.tx.keys()
    }
    fn contacts(&mut self) -> &mut dyn RecordRepo<Contact> {
        self
    }
    fn companies(&mut self) -> &mut dyn RecordRepo<Company> {
        self.tx.companies()
    }
    fn deals(&mut self) -> &mut dyn RecordRepo<Deal> {
        self.tx.deals()
    }
    fn deal_extras(&mut self) -> &mut dyn DealRepo {
        self.tx.deal_extras()
    }
    fn interactions(&mut self) -> &mut dyn RecordRepo<Interaction> {
        self.tx.interactions()
    }
    fn commitments(&mut self) -> &mut dyn RecordRepo<Commitment> {
        self.tx.commitments()
    }
    fn followups(&mut self) -> &mut dyn RecordRepo<FollowUp> {
        self.tx.followups()
    }
    fn engagements(&mut self) -> &mut dyn EngagementRepo {
        self.tx.engagements()
    }
    fn activity(&mut self) -> &mut dyn ActivityRepo {
        self.tx.activity()
    }
    fn search(&mut self) -> &mut dyn moss_domain::search::SearchRepo {
        self.tx.search()
    }
    fn custom_field_definitions(&mut self) -> &mut dyn RecordRepo<moss_domain::custom_field::CustomField> {
        self.tx.custom_field_definitions()
    }
    fn custom_fields(&mut self) -> &mut dyn moss_domain::custom_field::CustomFieldRepo {
        self.tx.custom_fields()
    }
    fn tags(&mut self) -> &mut dyn TagRepo {
        self.tx.tags()
    }
    fn audit(&mut self) -> &mut dyn AuditRepo {
        self.tx.audit()
    }
    fn idempotency(&mut self) -> &mut dyn IdempotencyRepo {
        self.tx.idempotency()
    }
    fn savepoint(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.tx.savepoint(work)
    }
}

/// A workspace with two contacts, the source with an interaction, a commitment, a follow-up,
/// tags, a phone and two deal links (one deal also linked to the target).
struct World {
    store: Box<dyn Store>,
    ws: WorkspaceId,
    ctx: RequestContext,
    source: ContactId,
    target: ContactId,
    _db: TestDatabase,
}

fn world(backend: Backend) -> Option<World> {
    let db = TestDatabase::new(backend)?;
    let store: Box<dyn Store> = Box::new(db.store());
    let w = Workspace {
        id: WorkspaceId::generate(),
        name: "Cascades".into(),
        slug: Slug::parse("slug", "cascades").unwrap(),
        created_at: moss_domain::time::now(),
        updated_at: moss_domain::time::now(),
    };
    let ws = w.id;
    store
        .mutate(&moss_domain::testing::context(Actor::system(ws), "setup"), |tx, _| {
            tx.workspaces().insert_workspace(&w)?;
            Ok(moss_domain::store::Change::unchanged(()))
        })
        .unwrap();
    let ctx = moss_domain::testing::context(Actor::system(ws), "req-cascade");
    let contact = |changes: ContactChanges, tags: &[&str]| {
        let extras = Extras {
            tags: tags.iter().map(|t| TagName::parse("tags", t).unwrap()).collect(),
            ..Extras::default()
        };
        store
            .mutate(&ctx, move |tx, a| create::<Contact>(tx, a, changes, extras))
            .unwrap()
            .id
    };
    let source = contact(
        ContactChanges {
            first_name: Some("Augusta".into()),
            phone: Patch::Set("+44 20 7946 0000".into()),
            email: Patch::Set(EmailAddress::parse("email", "augusta@example.com").unwrap()),
            ..ContactChanges::default()
        },
        &["duplicate"],
    );
    let target = contact(
        ContactChanges {
            first_name: Some("Ada".into()),
            ..ContactChanges::default()
        },
        &[],
    );
    store
        .mutate(&ctx, |tx, a| {
            create::<Interaction>(
                tx,
                a,
                InteractionChanges {
                    contact_id: Some(source),
                    kind: Some(InteractionType::Call),
                    occurred_at: Some(moss_domain::time::now()),
                    ..InteractionChanges::default()
                },
                Extras::default(),
            )
        })
        .unwrap();
    store
        .mutate(&ctx, |tx, a| {
            let changes = CommitmentChanges {
                contact_id: Some(source),
                description: Some("Send the deck".into()),
                ..CommitmentChanges::default()
            };
            create::<Commitment>(tx, a, changes, Extras::default())
        })
        .unwrap();
    store
        .mutate(&ctx, |tx, a| {
            let changes = FollowUpChanges {
                contact_id: Some(source),
                title: Some("Call back".into()),
                due_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
                ..FollowUpChanges::default()
            };
            create::<FollowUp>(tx, a, changes, Extras::default())
        })
        .unwrap();
    for (name, also_target) in [("Shared", true), ("Own", false)] {
        let deal = store
            .mutate(&ctx, |tx, a| {
                let changes = DealChanges {
                    name: Some(name.into()),
                    ..DealChanges::default()
                };
                create::<Deal>(tx, a, changes, Extras::default())
            })
            .unwrap()
            .id;
        store
            .mutate(&ctx, |tx, _| {
                let at = moss_domain::time::now();
                tx.deal_extras()
                    .link_contact(ws, deal, source, Some("Buyer".into()), at)?;
                if also_target {
                    tx.deal_extras().link_contact(ws, deal, target, None, at)?;
                }
                Ok(moss_domain::store::Change::unchanged(()))
            })
            .unwrap();
    }
    Some(World {
        store,
        ws,
        ctx,
        source,
        target,
        _db: db,
    })
}

/// Everything a merge or a contact delete could change, as the ports read it.
#[derive(Debug, PartialEq)]
struct State {
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    commitments: Vec<Commitment>,
    followups: Vec<FollowUp>,
    source_deals: Vec<String>,
    target_deals: Vec<String>,
    audit_entries: u64,
}

fn state(w: &World) -> State {
    let ws = w.ws;
    let (source, target) = (w.source, w.target);
    w.store
        .read(move |tx| {
            let page = |n| PageRequest::<ContactSort> {
                per_page: n,
                ..PageRequest::first()
            };
            Ok(State {
                contacts: tx.contacts().list(ws, &ListFilter::default(), &page(250))?.items,
                interactions: tx
                    .interactions()
                    .list(
                        ws,
                        &ListFilter::<InteractionFilter>::default(),
                        &PageRequest::<InteractionSort>::first(),
                    )?
                    .items,
                commitments: tx
                    .commitments()
                    .list(
                        ws,
                        &ListFilter::<CommitmentFilter>::default(),
                        &PageRequest::<CommitmentSort>::first(),
                    )?
                    .items,
                followups: tx
                    .followups()
                    .list(
                        ws,
                        &ListFilter::<FollowUpFilter>::default(),
                        &PageRequest::<FollowUpSort>::first(),
                    )?
                    .items,
                source_deals: tx.deal_extras().deals_of_contact(ws, source)?,
                target_deals: tx.deal_extras().deals_of_contact(ws, target)?,
                audit_entries: tx
                    .audit()
                    .list_audit(ws, &Default::default(), &PageRequest::first())?
                    .total,
            })
        })
        .unwrap()
}

/// Runs `op` through the failure switch in one write unit of work; it must fail with the switch.
fn run_failing<T: 'static>(w: &World, op: impl FnOnce(&mut dyn Tx, &Actor) -> Result<moss_domain::store::Change<T>>) {
    let mut op = Some(op);
    let result = w.store.run(Mode::Write, &mut |tx| {
        let mut failing = FailingContactDelete { tx };
        let op = op.take().expect("runs once");
        apply(&mut failing, &w.ctx, op).map(|_| ())
    });
    assert_eq!(result, Err(DomainError::Internal(SWITCH.into())));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_merge_that_fails_midway_leaves_nothing_changed(#[case] backend: Backend) {
    let Some(w) = world(backend) else { return };
    let before = state(&w);
    assert_eq!(before.source_deals.len(), 2);
    assert_eq!(before.interactions[0].contact_id, w.source);
    let (source, target) = (w.source, w.target);
    run_failing(&w, move |tx, a| merge(tx, a, source, target, false));
    assert_eq!(state(&w), before, "nothing moved, nothing filled, no entry");
    // Without the switch the same merge goes through: the switch was the only obstacle.
    w.store
        .mutate(&w.ctx, move |tx, a| merge(tx, a, source, target, false))
        .unwrap();
    let after = state(&w);
    assert_eq!(after.source_deals, Vec::<String>::new());
    assert_eq!(after.target_deals.len(), 2);
    assert!(after.interactions.iter().all(|i| i.contact_id == target));
    assert_eq!(after.contacts.len(), 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_contact_delete_that_fails_midway_leaves_nothing_changed(#[case] backend: Backend) {
    let Some(w) = world(backend) else { return };
    let before = state(&w);
    let source = w.source;
    run_failing(&w, move |tx, a| delete::<Contact>(tx, a, source));
    assert_eq!(state(&w), before, "its records, its links and the log are all there");
    w.store
        .mutate(&w.ctx, move |tx, a| delete::<Contact>(tx, a, source))
        .unwrap();
    let after = state(&w);
    assert!(after.interactions.is_empty() && after.commitments.is_empty() && after.followups.is_empty());
    assert!(after.source_deals.is_empty());
    assert_eq!(after.target_deals.len(), 1, "the target's own link stays");
}
