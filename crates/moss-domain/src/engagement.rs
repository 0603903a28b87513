//! What the engagement records (interactions, commitments, follow-ups) share beyond the record
//! machinery: their references (a contact and a deal of the workspace), "today" in a time
//! zone, completion, and the cascades of a contact's or a deal's delete.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::actor::Actor;
use crate::error::{DomainError, FieldError, Result};
use crate::id::{ContactId, DealId, WorkspaceId};
use crate::record::service::update;
use crate::record::{ExtrasPatch, Record, id_list};
use crate::store::{Change, Tx};
use crate::time::{Timestamp, now};
use crate::value::Value;

/// The ids of a contact's or a deal's engagement records, each list oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engagements {
    /// Interaction ids.
    pub interactions: Vec<String>,
    /// Commitment ids.
    pub commitments: Vec<String>,
    /// Follow-up ids.
    pub followups: Vec<String>,
}

impl Engagements {
    /// The lists as an audit entry shows them (`{"interactions": {"count", "ids"}, ...}`).
    pub fn listed(&self) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("interactions".to_owned(), id_list(&self.interactions)),
            ("commitments".to_owned(), id_list(&self.commitments)),
            ("followups".to_owned(), id_list(&self.followups)),
        ])
    }
}

/// Engagement records of a contact or a deal, in bulk.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EngagementRepo {
    /// Deletes the interactions, commitments and follow-ups of a contact (it is being
    /// deleted), with their search text; returns their ids.
    fn delete_of_contact(&mut self, workspace_id: WorkspaceId, contact: ContactId) -> Result<Engagements>;
    /// The ids of a contact's engagement records.
    fn of_contact(&mut self, workspace_id: WorkspaceId, contact: ContactId) -> Result<Engagements>;
    /// Re-points the engagement records of `from` to `into` (a merge), moving their
    /// `updated_at` to `at`; returns their ids.
    fn move_contact(
        &mut self,
        workspace_id: WorkspaceId,
        from: ContactId,
        into: ContactId,
        at: Timestamp,
    ) -> Result<Engagements>;
    /// Clears `deal_id` on the engagement records of a deal (it is being deleted), moving their
    /// `updated_at` to `at`; returns their ids.
    fn clear_deal(&mut self, workspace_id: WorkspaceId, deal: DealId, at: Timestamp) -> Result<Engagements>;
}

/// 400 naming `field` unless the contact is in the workspace.
pub fn check_contact(tx: &mut dyn Tx, ws: WorkspaceId, field: &str, id: ContactId) -> Result<()> {
    if tx.contacts().get(ws, id)?.is_none() {
        return Err(DomainError::field(field, format!("no contact {id} in this workspace")));
    }
    Ok(())
}

/// 400 naming `deal_id` unless the deal (when set) is in the workspace.
pub fn check_deal(tx: &mut dyn Tx, ws: WorkspaceId, id: Option<DealId>) -> Result<()> {
    match id {
        Some(id) if tx.deal_extras().existing(ws, &[id])?.is_empty() => {
            Err(DomainError::field("deal_id", format!("no deal {id} in this workspace")))
        }
        _ => Ok(()),
    }
}

/// Checks an engagement record's references against the record it replaces (only the ones
/// that changed are looked up).
pub fn check_references(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    (contact, deal): (ContactId, Option<DealId>),
    before: Option<(ContactId, Option<DealId>)>,
) -> Result<()> {
    if before.map(|b| b.0) != Some(contact) {
        check_contact(tx, ws, "contact_id", contact)?;
    }
    if before.map(|b| b.1) != Some(deal) {
        check_deal(tx, ws, deal)?;
    }
    Ok(())
}

/// "Today": the calendar date in UTC, or in the IANA time zone `tz` when one is given (an
/// unknown zone is a 400 naming `tz`).
pub fn today(tz: Option<&str>) -> std::result::Result<NaiveDate, FieldError> {
    let at = now();
    match tz {
        None => Ok(at.date_naive()),
        Some(name) => chrono_tz::Tz::from_str(name)
            .map(|zone| at.with_timezone(&zone).date_naive())
            .map_err(|_| FieldError::new("tz", "must be an IANA time zone name such as Europe/Paris")),
    }
}

/// A `true`/`false` query value.
pub fn query_bool(field: &str, raw: &str) -> Result<bool, FieldError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(FieldError::new(field, "must be true or false")),
    }
}

/// Every IANA time-zone name `tz` takes, sorted.
pub fn zone_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    names.sort_unstable();
    names
}

/// A record that can be completed (`PATCH /<things>/{id}/complete`).
pub trait Completable: Record {
    /// Whether it is completed.
    fn is_completed(&self) -> bool;
    /// The changes that complete it (the same as a PATCH that completes it).
    fn completing() -> Self::Changes;
}

/// Completes a record: the same change (and audit event) as a PATCH that completes it, but an
/// already completed record is a 409. The update reads the record once: completing a completed
/// record changes nothing, and that is the 409.
pub fn complete<R: Completable>(tx: &mut dyn Tx, actor: &Actor, id: R::Id) -> Result<Change<R>> {
    let change = update::<R>(tx, actor, id, R::completing(), ExtrasPatch::default())?;
    if change.events.is_empty() {
        return Err(DomainError::Conflict(format!("{} {id} is already completed.", R::NAME)));
    }
    Ok(change)
}
