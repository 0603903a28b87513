//! The interaction record, its fields and its list query.

use crate::contact::model::contact_reference;
use crate::deal::model::deal_reference;
use crate::engagement::check_references;
use crate::error::{DomainError, Errors, FieldError};
use crate::id::{ContactId, DealId, InteractionId};
use crate::page::SortField;
use crate::record::{Common, Diff, Fields, Record, SearchText};
use crate::store::Tx;
use crate::text::MAX_NOTES;
use crate::time::{Timestamp, parse_rfc3339};
use crate::value::Patch;

crate::named_values! {
    /// What kind of interaction it was.
    pub enum InteractionType ("type") {
        /// A phone or video call.
        Call = "call",
        /// An email.
        Email = "email",
        /// A meeting.
        Meeting = "meeting",
        /// A note.
        Note = "note",
        /// A product demo.
        Demo = "demo",
        /// A proposal sent.
        Proposal = "proposal",
    }
}

/// A time in RFC 3339, any offset (stored as UTC).
pub fn date_time(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    parse_rfc3339(raw).ok_or_else(|| FieldError::new(field, "must be an RFC 3339 date-time (2026-01-31T09:30:00Z)"))
}

/// Something that happened with a contact: a call, an email, a meeting, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// `int_` id.
    pub id: InteractionId,
    /// The contact it was with (in the same workspace).
    pub contact_id: ContactId,
    /// What it was.
    pub kind: InteractionType,
    /// The deal it was about, if any (need not be linked to the contact).
    pub deal_id: Option<DealId>,
    /// Free text.
    pub notes: Option<String>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Workspace and timestamps (interactions have no tags or custom fields).
    pub common: Common,
}

/// A create's fields (interactions are never patched by clients; see [`Record::read`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InteractionChanges {
    /// Required.
    pub contact_id: Option<ContactId>,
    /// Required.
    pub kind: Option<InteractionType>,
    /// A deal of the workspace.
    pub deal_id: Patch<DealId>,
    /// Free text.
    pub notes: Patch<String>,
    /// Required.
    pub occurred_at: Option<Timestamp>,
}

/// The interactions list's own filters (beside `q` and the sync window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InteractionFilter {
    /// Only the interactions with this contact.
    pub contact_id: Option<ContactId>,
    /// Only the interactions about this deal.
    pub deal_id: Option<DealId>,
    /// Only interactions of one of these types (empty: any).
    pub types: Vec<InteractionType>,
    /// `occurred_at >=`.
    pub occurred_after: Option<Timestamp>,
    /// `occurred_at <=`.
    pub occurred_before: Option<Timestamp>,
}

impl InteractionFilter {
    /// Parses the raw filter values, reporting every bad one.
    pub fn parse<'a>(raw: impl Fn(&'static str) -> Option<&'a str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let contact_id = raw("contact_id").and_then(|r| e.check(contact_reference("contact_id", r)));
        let deal_id = raw("deal_id").and_then(|r| e.check(deal_reference("deal_id", r)));
        let types = raw("type")
            .and_then(|r| e.check(InteractionType::parse_list("type", r)))
            .unwrap_or_default();
        let occurred_after = raw("occurred_after").and_then(|r| e.check(date_time("occurred_after", r)));
        let occurred_before = raw("occurred_before").and_then(|r| e.check(date_time("occurred_before", r)));
        e.finish()?;
        Ok(Self {
            contact_id,
            deal_id,
            types,
            occurred_after,
            occurred_before,
        })
    }
}

/// Sort fields of the interactions list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionSort {
    /// occurred_at (default).
    OccurredAt,
    /// created_at.
    CreatedAt,
}

impl SortField for InteractionSort {
    const ALL: &'static [(&'static str, Self)] = &[("occurred_at", Self::OccurredAt), ("created_at", Self::CreatedAt)];
    const DEFAULT: Self = Self::OccurredAt;
}

impl Record for Interaction {
    type Id = InteractionId;
    type Changes = InteractionChanges;
    type Filter = InteractionFilter;
    type Sort = InteractionSort;
    const KIND: &'static str = "interaction";
    const NAME: &'static str = "Interaction";
    const EXTRAS: bool = false;

    crate::record_accessors!(Interaction, interactions);

    fn read(f: &mut Fields<'_>) -> InteractionChanges {
        InteractionChanges {
            contact_id: f.required("contact_id", contact_reference),
            kind: f.required("type", InteractionType::parse),
            deal_id: f.optional("deal_id", deal_reference),
            notes: f.text("notes", MAX_NOTES),
            occurred_at: f.required("occurred_at", date_time),
        }
    }

    fn blank(id: InteractionId, common: Common) -> Self {
        Self {
            id,
            contact_id: ContactId::from_uuid(uuid::Uuid::nil()),
            kind: InteractionType::Note,
            deal_id: None,
            notes: None,
            occurred_at: common.created_at,
            common,
        }
    }

    fn apply(&mut self, c: InteractionChanges, _at: Timestamp, d: &mut Diff) -> Result<(), DomainError> {
        let InteractionChanges {
            contact_id,
            kind,
            deal_id,
            notes,
            occurred_at,
        } = c;
        d.set("contact_id", &mut self.contact_id, contact_id);
        d.set("type", &mut self.kind, kind);
        d.patch("deal_id", &mut self.deal_id, deal_id);
        d.patch("notes", &mut self.notes, notes);
        d.set("occurred_at", &mut self.occurred_at, occurred_at);
        Ok(())
    }

    fn check(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<(), DomainError> {
        let refs = |r: &Self| (r.contact_id, r.deal_id);
        check_references(tx, self.common.workspace_id, refs(self), before.map(refs))
    }

    fn search(&self) -> SearchText {
        SearchText::of([], [], [self.notes.as_deref()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::read_own;
    use crate::testing::{MapForm, created};

    #[test]
    fn an_interaction_needs_a_contact_a_known_type_and_an_rfc_3339_time() {
        let err = read_own::<Interaction>(
            &mut MapForm::new().set("type", "visit").set("occurred_at", "yesterday"),
            true,
        )
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("contact_id", "is required"),
                ("type", "must be one of: call, email, meeting, note, demo, proposal"),
                ("occurred_at", "must be an RFC 3339 date-time (2026-01-31T09:30:00Z)"),
            ]
        );
    }

    #[test]
    fn any_offset_is_stored_as_utc_and_blank_notes_are_none() {
        let i = created::<Interaction>(
            &mut MapForm::new()
                .set("contact_id", "01890a5d-ac96-774b-bcce-b302099a8057")
                .set("type", "call")
                .set("notes", "  ")
                .set("occurred_at", "2026-03-01T10:00:00+02:00"),
        )
        .unwrap();
        assert_eq!(crate::time::to_rfc3339(&i.occurred_at), "2026-03-01T08:00:00Z");
        assert_eq!((i.kind, i.notes, i.deal_id), (InteractionType::Call, None, None));
        assert!(i.contact_id.to_string().starts_with("cnt_"));
    }

    #[test]
    fn the_type_filter_takes_a_comma_list_and_names_an_unknown_type() {
        let f = InteractionFilter::parse(|n| (n == "type").then_some("call,note,call")).unwrap();
        assert_eq!(f.types, [InteractionType::Call, InteractionType::Note]);
        let err = InteractionFilter::parse(|n| (n == "type").then_some("call,visit")).unwrap_err();
        assert_eq!(err[0].field, "type");
        let err = InteractionFilter::parse(|n| (n == "occurred_after").then_some("2026-01-01")).unwrap_err();
        assert_eq!(err[0].field, "occurred_after");
    }
}
