//! The commitment record, its fields and its list query.

use chrono::NaiveDate;

use crate::audit::AuditEvent;
use crate::contact::model::contact_reference;
use crate::deal::model::{date, deal_reference};
use crate::engagement::{Completable, check_references, query_bool, today};
use crate::error::{DomainError, Errors, FieldError};
use crate::id::{CommitmentId, ContactId, DealId};
use crate::page::SortField;
use crate::record::{Common, Diff, Fields, Record, SearchText};
use crate::store::Tx;
use crate::time::Timestamp;
use crate::value::Patch;

/// Most characters of a commitment's description.
pub const MAX_DESCRIPTION: usize = 2_000;

crate::named_values! {
    /// Whether a commitment is kept yet.
    pub enum CommitmentStatus ("status") {
        /// Not yet (the default).
        Open = "open",
        /// Kept.
        Completed = "completed",
    }
}

/// A promise made to a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    /// `cmt_` id.
    pub id: CommitmentId,
    /// The contact it was made to.
    pub contact_id: ContactId,
    /// What was promised.
    pub description: String,
    /// The deal it belongs to, if any.
    pub deal_id: Option<DealId>,
    /// When it is due, if ever.
    pub due_date: Option<NaiveDate>,
    /// Open or completed.
    pub status: CommitmentStatus,
    /// When it was completed (kept by the server).
    pub completed_at: Option<Timestamp>,
    /// Workspace and timestamps (no tags or custom fields).
    pub common: Common,
}

/// A checked commitment PATCH, or a create's fields (see [`Record::read`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommitmentChanges {
    /// Required: never cleared.
    pub contact_id: Option<ContactId>,
    /// Required: never cleared.
    pub description: Option<String>,
    /// A deal of the workspace.
    pub deal_id: Patch<DealId>,
    /// A date.
    pub due_date: Patch<NaiveDate>,
    /// Default `open`; `completed` completes it.
    pub status: Option<CommitmentStatus>,
}

/// The commitments list's own filters (beside the sync window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitmentFilter {
    /// Only the commitments to this contact.
    pub contact_id: Option<ContactId>,
    /// Only the commitments of this deal.
    pub deal_id: Option<DealId>,
    /// Only those of one of these statuses (empty: any).
    pub statuses: Vec<CommitmentStatus>,
    /// `true`: only open ones due before `today`; `false`: every other one.
    pub overdue: Option<bool>,
    /// Today, in the list's time zone (`tz`).
    pub today: Option<NaiveDate>,
}

impl CommitmentFilter {
    /// Parses the raw filter values, reporting every bad one.
    pub fn parse<'a>(raw: impl Fn(&'static str) -> Option<&'a str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let contact_id = raw("contact_id").and_then(|r| e.check(contact_reference("contact_id", r)));
        let deal_id = raw("deal_id").and_then(|r| e.check(deal_reference("deal_id", r)));
        let statuses = raw("status")
            .and_then(|r| e.check(CommitmentStatus::parse_list("status", r)))
            .unwrap_or_default();
        let overdue = raw("overdue").and_then(|r| e.check(query_bool("overdue", r)));
        let today = e.check(today(raw("tz")));
        e.finish()?;
        Ok(Self {
            contact_id,
            deal_id,
            statuses,
            today: overdue.and(today),
            overdue,
        })
    }
}

/// Sort fields of the commitments list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentSort {
    /// due_date (default; no date last).
    DueDate,
    /// created_at.
    CreatedAt,
}

impl SortField for CommitmentSort {
    const ALL: &'static [(&'static str, Self)] = &[("due_date", Self::DueDate), ("created_at", Self::CreatedAt)];
    const DEFAULT: Self = Self::DueDate;
}

impl Record for Commitment {
    type Id = CommitmentId;
    type Changes = CommitmentChanges;
    type Filter = CommitmentFilter;
    type Sort = CommitmentSort;
    const KIND: &'static str = "commitment";
    const NAME: &'static str = "Commitment";
    const EXTRAS: bool = false;

    crate::record_accessors!(Commitment, commitments);

    fn read(f: &mut Fields<'_>) -> CommitmentChanges {
        CommitmentChanges {
            contact_id: f.required("contact_id", contact_reference),
            description: f.required_text("description", MAX_DESCRIPTION),
            deal_id: f.optional("deal_id", deal_reference),
            due_date: f.optional("due_date", date),
            status: f.defaulted("status", CommitmentStatus::parse),
        }
    }

    fn blank(id: CommitmentId, common: Common) -> Self {
        Self {
            id,
            contact_id: ContactId::from_uuid(uuid::Uuid::nil()),
            description: String::new(),
            deal_id: None,
            due_date: None,
            status: CommitmentStatus::Open,
            completed_at: None,
            common,
        }
    }

    fn apply(&mut self, c: CommitmentChanges, at: Timestamp, d: &mut Diff) -> Result<(), DomainError> {
        let CommitmentChanges {
            contact_id,
            description,
            deal_id,
            due_date,
            status,
        } = c;
        d.set("contact_id", &mut self.contact_id, contact_id);
        d.set("description", &mut self.description, description);
        d.patch("deal_id", &mut self.deal_id, deal_id);
        d.patch("due_date", &mut self.due_date, due_date);
        if let Some(status) = status.filter(|s| *s != self.status) {
            d.set("status", &mut self.status, Some(status));
            let completed_at = (status == CommitmentStatus::Completed).then_some(at);
            d.set("completed_at", &mut self.completed_at, Some(completed_at));
        }
        Ok(())
    }

    fn check(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<(), DomainError> {
        let refs = |r: &Self| (r.contact_id, r.deal_id);
        check_references(tx, self.common.workspace_id, refs(self), before.map(refs))
    }

    /// Completing it is `commitment.completed` (by `/complete` or a PATCH alike).
    fn update_event(&self, before: &Self, diff: Diff) -> AuditEvent {
        let mut event = AuditEvent::updated(Self::KIND, self.id, diff.into_changes());
        if !before.is_completed() && self.is_completed() {
            event.verb = "completed";
        }
        event
    }

    fn search(&self) -> SearchText {
        SearchText::default()
    }
}

impl Completable for Commitment {
    fn is_completed(&self) -> bool {
        self.status == CommitmentStatus::Completed
    }
    fn completing() -> CommitmentChanges {
        CommitmentChanges {
            status: Some(CommitmentStatus::Completed),
            ..CommitmentChanges::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::read_own;
    use crate::testing::{MapForm, created};

    #[test]
    fn a_commitment_needs_a_contact_and_a_description_and_may_be_created_completed() {
        let err = read_own::<Commitment>(
            &mut MapForm::new().set("status", "done").set("due_date", "2026-13-01"),
            true,
        )
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["contact_id", "description", "due_date", "status"]);
        let form = || {
            MapForm::new()
                .set("contact_id", "01890a5d-ac96-774b-bcce-b302099a8057")
                .set("description", " Send the deck ")
        };
        let open = created::<Commitment>(&mut form()).unwrap();
        assert_eq!(
            (open.description.as_str(), open.status, open.completed_at, open.due_date),
            ("Send the deck", CommitmentStatus::Open, None, None)
        );
        let done = created::<Commitment>(&mut form().set("status", "completed")).unwrap();
        assert_eq!(done.completed_at, Some(done.common.created_at));
    }

    #[test]
    fn completing_and_reopening_keep_completed_at() {
        let mut c = created::<Commitment>(
            &mut MapForm::new()
                .set("contact_id", "01890a5d-ac96-774b-bcce-b302099a8057")
                .set("description", "Call back"),
        )
        .unwrap();
        let before = c.clone();
        let at = crate::time::now();
        let mut diff = Diff::default();
        c.apply(Commitment::completing(), at, &mut diff).unwrap();
        assert_eq!((c.status, c.completed_at), (CommitmentStatus::Completed, Some(at)));
        assert_eq!(c.update_event(&before, diff).event_type(), "commitment.completed");
        // Completing a completed one changes nothing.
        let mut again = c.clone();
        let mut diff = Diff::default();
        again
            .apply(Commitment::completing(), crate::time::now(), &mut diff)
            .unwrap();
        assert!(diff.is_empty() && again == c);
        let mut reopened = c.clone();
        let mut diff = Diff::default();
        let open = CommitmentChanges {
            status: Some(CommitmentStatus::Open),
            ..CommitmentChanges::default()
        };
        reopened.apply(open, crate::time::now(), &mut diff).unwrap();
        assert_eq!(reopened.completed_at, None);
        assert_eq!(reopened.update_event(&c, diff).event_type(), "commitment.updated");
    }

    #[test]
    fn the_filters_name_a_bad_status_overdue_or_tz() {
        let err = CommitmentFilter::parse(|n| match n {
            "status" => Some("open,done"),
            "overdue" => Some("yes"),
            "tz" => Some("Mars/Base"),
            _ => None,
        })
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["status", "overdue", "tz"]);
        let f = CommitmentFilter::parse(|n| match n {
            "overdue" => Some("true"),
            "tz" => Some("Pacific/Kiritimati"),
            _ => None,
        })
        .unwrap();
        assert_eq!(f.overdue, Some(true));
        assert!(f.today.is_some());
    }
}
