//! The follow-up record, its fields and its list query.

use chrono::NaiveDate;

use crate::audit::AuditEvent;
use crate::contact::model::contact_reference;
use crate::deal::model::{date, deal_reference};
use crate::engagement::{Completable, check_references, query_bool, today};
use crate::error::{DomainError, Errors, FieldError};
use crate::id::{ContactId, DealId, FollowUpId};
use crate::page::SortField;
use crate::record::{Common, Diff, Fields, Record, SearchText};
use crate::store::Tx;
use crate::text::{MAX_NAME, MAX_NOTES};
use crate::time::Timestamp;
use crate::value::Patch;

crate::named_values! {
    /// How pressing a follow-up is, lowest first (its rank orders the `priority` sort).
    pub enum Priority ("priority") {
        /// Low.
        Low = "low",
        /// Medium (the default).
        Medium = "medium",
        /// High.
        High = "high",
    }
}

impl Priority {
    /// Its rank: low 0, medium 1, high 2.
    pub fn rank(self) -> i32 {
        match self {
            Self::Low => 0,
            Self::Medium => 1,
            Self::High => 2,
        }
    }

    /// The priority of a rank.
    pub fn of_rank(rank: i32) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.rank() == rank)
    }
}

crate::named_values! {
    /// The `due` filter: open follow-ups due today, before today or after today.
    pub enum Due ("due") {
        /// Due today.
        Today = "today",
        /// Due before today.
        Overdue = "overdue",
        /// Due after today.
        Upcoming = "upcoming",
    }
}

/// A reminder about a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// `fup_` id.
    pub id: FollowUpId,
    /// The contact it is about.
    pub contact_id: ContactId,
    /// What to do.
    pub title: String,
    /// The deal it belongs to, if any.
    pub deal_id: Option<DealId>,
    /// When it is due.
    pub due_date: NaiveDate,
    /// How pressing it is.
    pub priority: Priority,
    /// Free text.
    pub notes: Option<String>,
    /// Whether it is done.
    pub completed: bool,
    /// When it was completed (kept by the server).
    pub completed_at: Option<Timestamp>,
    /// Workspace and timestamps (no tags or custom fields).
    pub common: Common,
}

/// A checked follow-up PATCH, or a create's fields (see [`Record::read`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FollowUpChanges {
    /// Required: never cleared.
    pub contact_id: Option<ContactId>,
    /// Required: never cleared.
    pub title: Option<String>,
    /// A deal of the workspace.
    pub deal_id: Patch<DealId>,
    /// Required: never cleared.
    pub due_date: Option<NaiveDate>,
    /// Default `medium`.
    pub priority: Option<Priority>,
    /// Free text.
    pub notes: Patch<String>,
    /// Default false; `true` completes it, `false` reopens it.
    pub completed: Option<bool>,
}

/// The follow-ups list's own filters (beside the sync window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FollowUpFilter {
    /// Only the follow-ups about this contact.
    pub contact_id: Option<ContactId>,
    /// Only the follow-ups of this deal.
    pub deal_id: Option<DealId>,
    /// Only completed, or only open, ones.
    pub completed: Option<bool>,
    /// Only those of one of these priorities (empty: any).
    pub priorities: Vec<Priority>,
    /// Only open ones due today, before or after it (any of these), with today in the list's
    /// time zone.
    pub due: Option<(Vec<Due>, NaiveDate)>,
}

impl FollowUpFilter {
    /// Parses the raw filter values, reporting every bad one.
    pub fn parse<'a>(raw: impl Fn(&'static str) -> Option<&'a str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let contact_id = raw("contact_id").and_then(|r| e.check(contact_reference("contact_id", r)));
        let deal_id = raw("deal_id").and_then(|r| e.check(deal_reference("deal_id", r)));
        let completed = raw("completed").and_then(|r| e.check(query_bool("completed", r)));
        let priorities = raw("priority")
            .and_then(|r| e.check(Priority::parse_list("priority", r)))
            .unwrap_or_default();
        let due = raw("due").and_then(|r| e.check(Due::parse_list("due", r)));
        let today = e.check(today(raw("tz")));
        e.finish()?;
        Ok(Self {
            contact_id,
            deal_id,
            completed,
            priorities,
            due: due.zip(today),
        })
    }
}

/// Sort fields of the follow-ups list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpSort {
    /// due_date (default).
    DueDate,
    /// priority, by rank (high > medium > low).
    Priority,
    /// created_at.
    CreatedAt,
}

impl SortField for FollowUpSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("due_date", Self::DueDate),
        ("priority", Self::Priority),
        ("created_at", Self::CreatedAt),
    ];
    const DEFAULT: Self = Self::DueDate;
}

impl Record for FollowUp {
    type Id = FollowUpId;
    type Changes = FollowUpChanges;
    type Filter = FollowUpFilter;
    type Sort = FollowUpSort;
    const KIND: &'static str = "followup";
    const NAME: &'static str = "Follow-up";
    const EXTRAS: bool = false;

    crate::record_accessors!(FollowUp, followups);

    fn read(f: &mut Fields<'_>) -> FollowUpChanges {
        FollowUpChanges {
            contact_id: f.required("contact_id", contact_reference),
            title: f.required_text("title", MAX_NAME),
            deal_id: f.optional("deal_id", deal_reference),
            due_date: f.required("due_date", date),
            priority: f.defaulted("priority", Priority::parse),
            notes: f.text("notes", MAX_NOTES),
            completed: f.flag("completed"),
        }
    }

    fn blank(id: FollowUpId, common: Common) -> Self {
        Self {
            id,
            contact_id: ContactId::from_uuid(uuid::Uuid::nil()),
            title: String::new(),
            deal_id: None,
            due_date: common.created_at.date_naive(),
            priority: Priority::Medium,
            notes: None,
            completed: false,
            completed_at: None,
            common,
        }
    }

    fn apply(&mut self, c: FollowUpChanges, at: Timestamp, d: &mut Diff) -> Result<(), DomainError> {
        let FollowUpChanges {
            contact_id,
            title,
            deal_id,
            due_date,
            priority,
            notes,
            completed,
        } = c;
        d.set("contact_id", &mut self.contact_id, contact_id);
        d.set("title", &mut self.title, title);
        d.patch("deal_id", &mut self.deal_id, deal_id);
        d.set("due_date", &mut self.due_date, due_date);
        d.set("priority", &mut self.priority, priority);
        d.patch("notes", &mut self.notes, notes);
        if let Some(completed) = completed.filter(|c| *c != self.completed) {
            d.set("completed", &mut self.completed, Some(completed));
            d.set("completed_at", &mut self.completed_at, Some(completed.then_some(at)));
        }
        Ok(())
    }

    fn check(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<(), DomainError> {
        let refs = |r: &Self| (r.contact_id, r.deal_id);
        check_references(tx, self.common.workspace_id, refs(self), before.map(refs))
    }

    /// Completing it is `followup.completed` (by `/complete` or a PATCH alike).
    fn update_event(&self, before: &Self, diff: Diff) -> AuditEvent {
        let mut event = AuditEvent::updated(Self::KIND, self.id, diff.into_changes());
        if !before.completed && self.completed {
            event.verb = "completed";
        }
        event
    }

    fn search(&self) -> SearchText {
        SearchText::default()
    }
}

impl Completable for FollowUp {
    fn is_completed(&self) -> bool {
        self.completed
    }
    fn completing() -> FollowUpChanges {
        FollowUpChanges {
            completed: Some(true),
            ..FollowUpChanges::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::read_own;
    use crate::testing::{MapForm, created};

    #[test]
    fn a_follow_up_needs_a_contact_a_title_and_a_due_date() {
        let err = read_own::<FollowUp>(&mut MapForm::new().set("priority", "urgent"), true).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["contact_id", "title", "due_date", "priority"]);
        let f = created::<FollowUp>(
            &mut MapForm::new()
                .set("contact_id", "01890a5d-ac96-774b-bcce-b302099a8057")
                .set("title", "Check in")
                .set("due_date", "2026-03-02"),
        )
        .unwrap();
        assert_eq!(
            (f.priority, f.completed, f.completed_at),
            (Priority::Medium, false, None)
        );
        let err = read_own::<FollowUp>(&mut MapForm::new().null("completed").null("due_date"), false).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["due_date", "completed"]);
    }

    #[test]
    fn priorities_rank_low_to_high_and_due_needs_a_known_value() {
        assert_eq!(Priority::ALL.iter().map(|p| p.rank()).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(Priority::of_rank(2), Some(Priority::High));
        let err = FollowUpFilter::parse(|n| (n == "due").then_some("someday")).unwrap_err();
        assert_eq!(err[0].field, "due");
        let f = FollowUpFilter::parse(|n| match n {
            "due" => Some("today"),
            "priority" => Some("high,low"),
            _ => None,
        })
        .unwrap();
        assert_eq!(f.priorities, [Priority::High, Priority::Low]);
        assert!(matches!(f.due, Some((ref d, _)) if d == &[Due::Today]));
    }
}
