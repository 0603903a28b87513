//! Activity timelines: everything that happened to a contact or a deal, newest first, built by
//! the database from the records and the audit log at each read (no table of its own), so a
//! deleted record leaves the timeline with it and a deal linked later brings its earlier moves.

use std::collections::BTreeMap;

use crate::actor::{Actor, Permission};
use crate::contact::Contact;
use crate::deal::Deal;
use crate::error::{FieldError, Result};
use crate::id::{ContactId, DealId, WorkspaceId};
use crate::page::{Page, PageRequest, SortField};
use crate::record::service::not_found;
use crate::store::Tx;
use crate::time::Timestamp;
use crate::value::Value;

crate::named_values! {
    /// What an item is about.
    pub enum ActivityType ("type") {
        /// An interaction.
        Interaction = "interaction",
        /// A deal's stage move.
        Deal = "deal",
        /// A follow-up created or completed.
        FollowUp = "followup",
        /// A commitment created or completed.
        Commitment = "commitment",
        /// A contact: linked to or unlinked from a deal, merged into a contact.
        Contact = "contact",
    }
}

/// One item of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityItem {
    /// Unique in the timeline: the interaction's or the created record's id, or the id of the
    /// audit entry behind the item.
    pub id: String,
    /// What it is about.
    pub kind: ActivityType,
    /// What happened, for a person (`call logged`).
    pub event: String,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The item's facts, by type.
    pub details: BTreeMap<String, Value>,
}

/// The one order of a timeline: by time (then id, in the same direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivitySort {
    /// timestamp (the only one).
    Timestamp,
}

impl SortField for ActivitySort {
    const ALL: &'static [(&'static str, Self)] = &[("timestamp", Self::Timestamp)];
    const DEFAULT: Self = Self::Timestamp;
}

/// Whose timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A contact's.
    Contact(ContactId),
    /// A deal's.
    Deal(DealId),
}

/// Parses the `type` filter: one type or a comma list (empty: every type).
pub fn parse_types(raw: Option<&str>) -> std::result::Result<Vec<ActivityType>, Vec<FieldError>> {
    raw.map_or(Ok(Vec::new()), |r| {
        ActivityType::parse_list("type", r).map_err(|e| vec![e])
    })
}

/// Timelines, read by the database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ActivityRepo {
    /// A page of the subject's timeline, of these types (empty: all), ordered by timestamp then
    /// id in the page's direction, with the exact total.
    fn activity(
        &mut self,
        workspace_id: WorkspaceId,
        subject: Subject,
        types: &[ActivityType],
        page: &PageRequest<ActivitySort>,
    ) -> Result<Page<ActivityItem>>;
}

/// A page of a contact's or a deal's timeline; `NotFound` when it is not in the workspace.
pub fn activity(
    tx: &mut dyn Tx,
    actor: &Actor,
    subject: Subject,
    types: &[ActivityType],
    page: &PageRequest<ActivitySort>,
) -> Result<Page<ActivityItem>> {
    actor.authorize(Permission::Read)?;
    let ws = actor.workspace_id;
    match subject {
        Subject::Contact(id) => {
            tx.contacts().get(ws, id)?.ok_or_else(not_found::<Contact>)?;
        }
        Subject::Deal(id) => {
            if tx.deal_extras().existing(ws, &[id])?.is_empty() {
                return Err(not_found::<Deal>());
            }
        }
    }
    tx.activity().activity(ws, subject, types, page)
}
