//! Test doubles for the ports: a [`FakeTx`] made of mockall mocks, a [`FakeStore`] that runs
//! work on one and records whether it committed, and builders for actors and stored records.
//!
//! A mock with no expectations panics when called, so a fresh [`FakeTx`] asserts that a use
//! case touches no port at all; add expectations only for the calls a test allows.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::TimeDelta;

use crate::activity::{ActivityRepo, MockActivityRepo};
use crate::actor::{Actor, ActorKind, Role, Scope};
use crate::audit::{AuditRepo, MockAuditRepo};
use crate::commitment::Commitment;
use crate::company::model::{Company, CompanyChanges, Domain};
use crate::contact::model::{Contact, ContactChanges};
use crate::custom_field::{CustomField, CustomFieldRepo, EntityType};
use crate::deal::Deal;
use crate::deal::ports::{DealRepo, MockDealRepo};
use crate::engagement::{EngagementRepo, MockEngagementRepo};
use crate::error::Result;
use crate::followup::FollowUp;
use crate::id::TypedId;
use crate::id::{CompanyId, ContactId, CustomFieldId, KeyId, MemberId, WorkspaceId};
use crate::idempotency::{IdempotencyRepo, MockIdempotencyRepo};
use crate::interaction::Interaction;
use crate::key::model::ApiKey;
use crate::key::ports::{KeyRepo, MockKeyRepo};
use crate::record::{Common, Form, MockRecordRepo, Record, RecordRepo, Renderer, Snapshot};
use crate::store::{Mode, RequestContext, Store, Tx};
use crate::tag::ports::{MockTagRepo, TagRepo};
use crate::text::EmailAddress;
use crate::time::{Timestamp, now};
use crate::value::{Number, Patch};
use crate::workspace::model::Member;
use crate::workspace::ports::{MockWorkspaceRepo, WorkspaceRepo};

/// A unit of work whose repositories are mocks, one public field per port.
#[derive(Default)]
pub struct FakeTx {
    /// Workspaces and members.
    pub workspaces: MockWorkspaceRepo,
    /// API keys.
    pub keys: MockKeyRepo,
    /// Contacts.
    pub contacts: MockRecordRepo<Contact>,
    /// Companies.
    pub companies: MockRecordRepo<Company>,
    /// Deals.
    pub deals: MockRecordRepo<Deal>,
    /// Deals' extras.
    pub deal_extras: MockDealRepo,
    /// Interactions.
    pub interactions: MockRecordRepo<Interaction>,
    /// Commitments.
    pub commitments: MockRecordRepo<Commitment>,
    /// Follow-ups.
    pub followups: MockRecordRepo<FollowUp>,
    /// Custom-field definitions, as records.
    pub custom_field_definitions: MockRecordRepo<CustomField>,
    /// Custom-field definitions for records: none unless a test adds some.
    pub custom_fields: FakeCustomFields,
    /// Engagement records in bulk.
    pub engagements: MockEngagementRepo,
    /// Timelines.
    pub activity: MockActivityRepo,
    /// Search.
    pub search: crate::search::MockSearchRepo,
    /// Tags.
    pub tags: MockTagRepo,
    /// The audit log.
    pub audit: MockAuditRepo,
    /// Idempotency records.
    pub idempotency: MockIdempotencyRepo,
    /// Savepoints run, and how each ended.
    pub savepoints: Vec<Outcome>,
}

/// Definitions a unit test gives (none by default): record writes read them; any other call
/// fails.
#[derive(Debug, Default)]
pub struct FakeCustomFields {
    /// The workspace's definitions.
    pub definitions: Vec<CustomField>,
}

impl CustomFieldRepo for FakeCustomFields {
    fn definitions(&mut self, _: WorkspaceId, entity: EntityType) -> Result<Vec<CustomField>> {
        Ok(self
            .definitions
            .iter()
            .filter(|d| d.entity_type == entity)
            .cloned()
            .collect())
    }
    fn holding(&mut self, _: CustomFieldId, _: &str) -> Result<u64> {
        Err(crate::error::DomainError::Internal(
            "FakeCustomFields::holding is not faked".into(),
        ))
    }
    fn count_values(&mut self, _: CustomFieldId) -> Result<u64> {
        Err(crate::error::DomainError::Internal(
            "FakeCustomFields::count_values is not faked".into(),
        ))
    }
    fn adopt(&mut self, _: &CustomField) -> Result<u64> {
        Err(crate::error::DomainError::Internal(
            "FakeCustomFields::adopt is not faked".into(),
        ))
    }
    fn schedule_purge(&mut self, _: WorkspaceId, _: CustomFieldId, _: Timestamp) -> Result<()> {
        Err(crate::error::DomainError::Internal(
            "FakeCustomFields::schedule_purge is not faked".into(),
        ))
    }
    fn purge_pending(&mut self) -> Result<bool> {
        Err(crate::error::DomainError::Internal(
            "FakeCustomFields::purge_pending is not faked".into(),
        ))
    }
    fn purge(&mut self, _: i64) -> Result<u64> {
        Err(crate::error::DomainError::Internal(
            "FakeCustomFields::purge is not faked".into(),
        ))
    }
}

impl FakeTx {
    /// Mocks without expectations: any port call panics.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Tx for FakeTx {
    fn workspaces(&mut self) -> &mut dyn WorkspaceRepo {
        &mut self.workspaces
    }
    fn keys(&mut self) -> &mut dyn KeyRepo {
        &mut self.keys
    }
    fn contacts(&mut self) -> &mut dyn RecordRepo<Contact> {
        &mut self.contacts
    }
    fn companies(&mut self) -> &mut dyn RecordRepo<Company> {
        &mut self.companies
    }
    fn deals(&mut self) -> &mut dyn RecordRepo<Deal> {
        &mut self.deals
    }
    fn deal_extras(&mut self) -> &mut dyn DealRepo {
        &mut self.deal_extras
    }
    fn interactions(&mut self) -> &mut dyn RecordRepo<Interaction> {
        &mut self.interactions
    }
    fn commitments(&mut self) -> &mut dyn RecordRepo<Commitment> {
        &mut self.commitments
    }
    fn followups(&mut self) -> &mut dyn RecordRepo<FollowUp> {
        &mut self.followups
    }
    fn engagements(&mut self) -> &mut dyn EngagementRepo {
        &mut self.engagements
    }
    fn custom_field_definitions(&mut self) -> &mut dyn RecordRepo<CustomField> {
        &mut self.custom_field_definitions
    }
    fn custom_fields(&mut self) -> &mut dyn CustomFieldRepo {
        &mut self.custom_fields
    }
    fn activity(&mut self) -> &mut dyn ActivityRepo {
        &mut self.activity
    }
    fn search(&mut self) -> &mut dyn crate::search::SearchRepo {
        &mut self.search
    }
    fn tags(&mut self) -> &mut dyn TagRepo {
        &mut self.tags
    }
    fn audit(&mut self) -> &mut dyn AuditRepo {
        &mut self.audit
    }
    fn idempotency(&mut self) -> &mut dyn IdempotencyRepo {
        &mut self.idempotency
    }
    fn savepoint(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let result = work(self);
        self.savepoints.push(if result.is_ok() {
            Outcome::Committed
        } else {
            Outcome::RolledBack
        });
        result
    }
}

/// The values a mock was called with, shared between its `returning` closure and the test.
#[derive(Debug)]
pub struct Calls<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Calls<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for Calls<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T: Clone> Calls<T> {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records one call.
    pub fn push(&self, value: T) {
        lock(&self.0).push(value);
    }
    /// Every call recorded so far, in order.
    pub fn all(&self) -> Vec<T> {
        lock(&self.0).clone()
    }
}

/// How a unit of work run by [`FakeStore`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The work returned `Ok`: a real store would commit.
    Committed,
    /// The work returned `Err`: a real store would roll back.
    RolledBack,
}

/// A [`Store`] that runs every unit of work on one [`FakeTx`] and logs how each ended.
pub struct FakeStore {
    tx: Mutex<FakeTx>,
    log: Mutex<Vec<(Mode, Outcome)>>,
}

impl FakeStore {
    /// A store whose units of work run on `tx`.
    pub fn new(tx: FakeTx) -> Self {
        Self {
            tx: Mutex::new(tx),
            log: Mutex::new(Vec::new()),
        }
    }

    /// Each unit of work run so far, in order, with its mode and outcome.
    pub fn outcomes(&self) -> Vec<(Mode, Outcome)> {
        lock(&self.log).clone()
    }

    /// The mocks, for adding expectations between units of work.
    pub fn tx(&self) -> MutexGuard<'_, FakeTx> {
        lock(&self.tx)
    }
}

/// A panicking mock poisons the mutex; the test has failed already, so keep going.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store for FakeStore {
    fn run<'a>(&self, mode: Mode, work: &mut (dyn FnMut(&mut dyn Tx) -> Result<()> + 'a)) -> Result<()> {
        let result = work(&mut *lock(&self.tx));
        let outcome = if result.is_ok() {
            Outcome::Committed
        } else {
            Outcome::RolledBack
        };
        lock(&self.log).push((mode, outcome));
        result
    }

    fn ping(&self) -> Result<()> {
        Ok(())
    }
}

/// An API-key actor in a fresh workspace with this role and scope.
pub fn actor(role: Role, scope: Scope) -> Actor {
    Actor {
        workspace_id: WorkspaceId::generate(),
        member_id: Some(MemberId::generate()),
        role,
        key_id: Some(KeyId::generate()),
        scope,
        kind: ActorKind::ApiKey,
    }
}

/// An owner with a full-scope key.
pub fn owner() -> Actor {
    actor(Role::Owner, Scope::Full)
}

/// A member (not owner) with a full-scope key.
pub fn member() -> Actor {
    actor(Role::Member, Scope::Full)
}

/// An owner with a read-only key.
pub fn read_only_owner() -> Actor {
    actor(Role::Owner, Scope::ReadOnly)
}

/// A time well in the past, for stored records' timestamps.
pub fn an_hour_ago() -> Timestamp {
    now() - TimeDelta::hours(1)
}

/// The common fields of a stored record of `ws`: no tags, no custom fields, an hour old.
pub fn stored_common(ws: WorkspaceId) -> Common {
    let at = an_hour_ago();
    Common {
        workspace_id: ws,
        tags: Vec::new(),
        custom_fields: BTreeMap::new(),
        created_at: at,
        updated_at: at,
    }
}

/// A stored contact of `ws`: Ada Lovelace, `ada@example.com`, no company, no tags.
pub fn stored_contact(ws: WorkspaceId) -> Contact {
    Contact {
        id: ContactId::generate(),
        first_name: "Ada".into(),
        last_name: Some("Lovelace".into()),
        email: Some(EmailAddress::from_stored("ada@example.com".into())),
        phone: None,
        title: Some("Analyst".into()),
        linkedin_url: None,
        company_id: None,
        notes: None,
        common: stored_common(ws),
    }
}

/// A stored company of `ws`: Acme, `acme.com`, no tags.
pub fn stored_company(ws: WorkspaceId) -> Company {
    Company {
        id: CompanyId::generate(),
        name: "Acme".into(),
        domain: Some(Domain::from_stored("acme.com".into())),
        industry: None,
        website: None,
        phone: None,
        notes: None,
        common: stored_common(ws),
    }
}

/// A stored deal in `ws`: a won deal of 1,500.00 EUR with a lost-free history.
pub fn stored_deal(ws: WorkspaceId) -> Deal {
    let common = stored_common(ws);
    Deal {
        id: crate::id::DealId::generate(),
        name: "Big renewal".into(),
        stage: crate::deal::Stage::Won,
        value: Some(150_000),
        currency: crate::deal::model::Currency::parse("currency", "EUR").unwrap_or(crate::deal::model::Currency::USD),
        expected_close: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
        company_id: None,
        notes: Some("Signed".into()),
        lost_reason: None,
        closed_at: Some(common.updated_at),
        stage_changed_at: common.updated_at,
        common,
    }
}

/// A stored member of `ws` with this role, `grace@example.com`.
pub fn stored_member(ws: WorkspaceId, role: Role) -> Member {
    let at = an_hour_ago();
    Member {
        id: MemberId::generate(),
        workspace_id: ws,
        email: EmailAddress::from_stored("grace@example.com".into()),
        name: Some("Grace".into()),
        role,
        created_at: at,
        updated_at: at,
    }
}

/// A stored, active, full-scope key of `ws` that was never used.
pub fn stored_key(ws: WorkspaceId) -> ApiKey {
    ApiKey {
        id: KeyId::generate(),
        workspace_id: ws,
        member_id: MemberId::generate(),
        name: "CI".into(),
        scope: Scope::Full,
        prefix: "moss_k_abcde".into(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        created_at: an_hour_ago(),
    }
}

/// A valid contact create: Ada, `Ada@Example.com`, nothing else.
pub fn new_contact() -> ContactChanges {
    ContactChanges {
        first_name: Some("Ada".into()),
        email: Patch::Set(EmailAddress::from_stored("Ada@Example.com".into())),
        ..ContactChanges::default()
    }
}

/// A valid company create: Acme, `acme.com`, nothing else.
pub fn new_company() -> CompanyChanges {
    CompanyChanges {
        name: Some("Acme".into()),
        domain: Patch::Set(Domain::from_stored("acme.com".into())),
        ..CompanyChanges::default()
    }
}

/// A renderer for tests: `{"contact":"cnt_..."}` (the kind and the id of the record).
#[derive(Debug)]
pub struct IdRenderer;

impl Renderer for IdRenderer {
    fn render(&self, snapshot: &Snapshot) -> String {
        let (kind, id) = match snapshot {
            Snapshot::Contact(c) => ("contact", c.id.to_string()),
            Snapshot::Company(c) => ("company", c.id.to_string()),
            Snapshot::Deal(d) => ("deal", d.id.to_string()),
            Snapshot::Interaction(i) => ("interaction", i.id.to_string()),
            Snapshot::Commitment(c) => ("commitment", c.id.to_string()),
            Snapshot::FollowUp(f) => ("followup", f.id.to_string()),
            Snapshot::CustomField(d) => ("custom_field", d.id.to_string()),
        };
        format!(r#"{{"{kind}":"{id}"}}"#)
    }
}

/// The context of a mutation by `actor`, rendering with [`IdRenderer`].
pub fn context(actor: Actor, request_id: &str) -> RequestContext {
    RequestContext {
        actor,
        request_id: request_id.to_owned(),
        ip: None,
        renderer: Arc::new(IdRenderer),
    }
}

/// A body for tests: each field absent (not named), `null`, a string or a number.
#[derive(Debug, Clone, Default)]
pub struct MapForm {
    strings: BTreeMap<&'static str, Patch<String>>,
    numbers: BTreeMap<&'static str, Patch<Number>>,
    booleans: BTreeMap<&'static str, Patch<bool>>,
}

impl MapForm {
    /// No field sent.
    pub fn new() -> Self {
        Self::default()
    }
    /// `name` sent as this string.
    #[must_use]
    pub fn set(mut self, name: &'static str, value: &str) -> Self {
        self.strings.insert(name, Patch::Set(value.to_owned()));
        self
    }
    /// `name` sent as `null`.
    #[must_use]
    pub fn null(mut self, name: &'static str) -> Self {
        self.strings.insert(name, Patch::Null);
        self.numbers.insert(name, Patch::Null);
        self.booleans.insert(name, Patch::Null);
        self
    }
    /// `name` sent as this boolean.
    #[must_use]
    pub fn boolean(mut self, name: &'static str, value: bool) -> Self {
        self.booleans.insert(name, Patch::Set(value));
        self
    }
    /// `name` sent as this number.
    #[must_use]
    pub fn number(mut self, name: &'static str, value: Number) -> Self {
        self.numbers.insert(name, Patch::Set(value));
        self
    }
    /// Every string field as sent (`Patch::Absent` ones left out).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: Patch<String>) -> Self {
        if value != Patch::Absent {
            self.strings.insert(name, value);
        }
        self
    }
}

impl Form for MapForm {
    fn string(&mut self, name: &'static str) -> Patch<String> {
        self.strings.remove(name).unwrap_or_default()
    }
    fn number(&mut self, name: &'static str) -> Patch<Number> {
        self.numbers.remove(name).unwrap_or_default()
    }
    fn boolean(&mut self, name: &'static str) -> Patch<bool> {
        self.booleans.remove(name).unwrap_or_default()
    }
    fn strings(&mut self, _: &'static str) -> Patch<Vec<String>> {
        Patch::Absent
    }
}

/// The record a create of this body makes (no storage): its fields read, then applied to its
/// blank in a fresh workspace.
pub fn created<R: Record>(form: &mut MapForm) -> std::result::Result<R, Vec<crate::error::FieldError>> {
    let changes = crate::record::read_own::<R>(form, true)?;
    let at = now();
    let common = Common {
        created_at: at,
        updated_at: at,
        ..stored_common(WorkspaceId::generate())
    };
    let mut record = R::blank(R::Id::generate(), common);
    record
        .apply(changes, at, &mut crate::record::Diff::default())
        .map_err(|e| match e {
            crate::error::DomainError::Validation(v) => v,
            other => vec![crate::error::FieldError::new("", other.to_string())],
        })?;
    Ok(record)
}
