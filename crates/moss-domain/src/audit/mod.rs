//! The audit log: one append-only entry per successful mutation.

use std::collections::BTreeMap;

use crate::actor::{Actor, ActorKind, Permission};
use crate::error::Result;
use crate::id::{AuditId, WorkspaceId};
use crate::page::{Page, PageRequest, SortField};
use crate::record::Snapshot;
use crate::store::RequestContext;
use crate::time::{Timestamp, now};
use crate::value::Value;

/// What a mutation reports about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Singular resource name: `contact`, `company`, `api_key`, `workspace`, `member`.
    pub target_type: &'static str,
    /// Verb: `created`, `updated`, `deleted`, `revoked`.
    pub verb: &'static str,
    /// Public id of the target.
    pub target_id: String,
    /// For updates `{"changes": {field: {old, new}}}`; otherwise `{}` or a short summary.
    /// Never a secret.
    pub metadata: BTreeMap<String, Value>,
    /// The workspace the entry belongs to when it is not the actor's (a workspace being created).
    pub workspace_id: Option<WorkspaceId>,
    /// The record right after the change, for the events of records (see [`Snapshot`]).
    pub snapshot: Option<Box<Snapshot>>,
}

impl AuditEvent {
    /// An event with empty metadata.
    pub fn new(target_type: &'static str, verb: &'static str, target_id: impl ToString) -> Self {
        Self {
            target_type,
            verb,
            target_id: target_id.to_string(),
            metadata: BTreeMap::new(),
            workspace_id: None,
            snapshot: None,
        }
    }

    /// The same event carrying the record as the change left it.
    #[must_use]
    pub fn with_snapshot(mut self, snapshot: Snapshot) -> Self {
        self.snapshot = Some(Box::new(snapshot));
        self
    }

    /// An update event listing each changed field's old and new value.
    pub fn updated(
        target_type: &'static str,
        target_id: impl ToString,
        changes: Vec<(&'static str, Value, Value)>,
    ) -> Self {
        let mut map = BTreeMap::new();
        for (field, old, new) in changes {
            let mut pair = BTreeMap::new();
            pair.insert("old".to_owned(), old);
            pair.insert("new".to_owned(), new);
            map.insert(field.to_owned(), Value::Map(pair));
        }
        let mut metadata = BTreeMap::new();
        metadata.insert("changes".to_owned(), Value::Map(map));
        Self {
            target_type,
            verb: "updated",
            target_id: target_id.to_string(),
            metadata,
            workspace_id: None,
            snapshot: None,
        }
    }

    /// `<target_type>.<verb>`.
    pub fn event_type(&self) -> String {
        format!("{}.{}", self.target_type, self.verb)
    }
}

/// Records one field's change for an update event, if its value differs.
pub fn diff(changes: &mut Vec<(&'static str, Value, Value)>, field: &'static str, old: Value, new: Value) {
    if old != new {
        changes.push((field, old, new));
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// `aud_` id.
    pub id: AuditId,
    /// Workspace the entry belongs to.
    pub workspace_id: WorkspaceId,
    /// `<target_type>.<verb>`.
    pub event_type: String,
    /// Singular resource name.
    pub target_type: String,
    /// Public id of the target.
    pub target_id: String,
    /// `api_key`, `user` or `system`.
    pub actor_type: String,
    /// The key's id for `api_key`; null for `system`.
    pub actor_id: Option<String>,
    /// The request id of the request that made the change.
    pub request_id: String,
    /// Client IP; null for the CLI.
    pub ip: Option<String>,
    /// Details of the change.
    pub metadata: BTreeMap<String, Value>,
    /// When it happened.
    pub created_at: Timestamp,
}

impl AuditEntry {
    /// The entry for `event`, made in `ctx`.
    pub fn record(ctx: &RequestContext, event: AuditEvent) -> Self {
        let actor = &ctx.actor;
        Self {
            id: AuditId::generate(),
            workspace_id: event.workspace_id.unwrap_or(actor.workspace_id),
            event_type: event.event_type(),
            target_type: event.target_type.to_owned(),
            target_id: event.target_id,
            actor_type: actor.kind.as_str().to_owned(),
            actor_id: match actor.kind {
                ActorKind::ApiKey => actor.key_id.map(|k| k.to_string()),
                ActorKind::System => None,
            },
            request_id: ctx.request_id.clone(),
            ip: ctx.ip.clone(),
            metadata: event.metadata,
            created_at: now(),
        }
    }
}

/// Filters of the audit log; they combine with AND and match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// `contact.created`, ...
    pub event_type: Option<String>,
    /// `contact`, `api_key`, ...
    pub target_type: Option<String>,
    /// Public id of the target.
    pub target_id: Option<String>,
    /// `api_key`, `user` or `system`.
    pub actor_type: Option<String>,
    /// Public id of the actor.
    pub actor_id: Option<String>,
    /// The request id that made the change.
    pub request_id: Option<String>,
}

/// Sort fields of the audit log (newest first by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditSort {
    /// When the entry was written.
    CreatedAt,
}

impl SortField for AuditSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt)];
    const DEFAULT: Self = Self::CreatedAt;
}

/// The audit log's port. There is deliberately no update or delete.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AuditRepo {
    /// Appends one entry.
    fn insert_audit(&mut self, entry: &AuditEntry) -> Result<()>;
    /// A page of the workspace's entries matching `filter`, ties broken by id.
    fn list_audit(
        &mut self,
        workspace_id: WorkspaceId,
        filter: &AuditFilter,
        page: &PageRequest<AuditSort>,
    ) -> Result<Page<AuditEntry>>;
}

/// A page of the caller's audit log (owners only).
pub fn list_audit(
    tx: &mut dyn crate::store::Tx,
    actor: &Actor,
    filter: &AuditFilter,
    page: &PageRequest<AuditSort>,
) -> Result<Page<AuditEntry>> {
    actor.authorize(Permission::OwnerRead)?;
    tx.audit().list_audit(actor.workspace_id, filter, page)
}
