//! Interactions on the wire: the record and its create body, with their schemas and examples.

use moss_domain::interaction::InteractionType as Kind;
use moss_domain::text::MAX_NOTES;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::deal::contact_ref_in;
use super::{EXAMPLE_TIME, blank_pattern, nullable_type, reference_pattern};

/// What kind of interaction it was.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionType {
    /// A phone or video call.
    Call,
    /// An email.
    Email,
    /// A meeting.
    Meeting,
    /// A note.
    Note,
    /// A product demo.
    Demo,
    /// A proposal sent.
    Proposal,
}

// The schema's enum is the domain's list (a new type fails here).
const _: () = assert!(Kind::NAMES.len() == 6);

/// An interaction: something that happened with a contact. Immutable (no PATCH).
#[derive(Debug, Serialize, ToSchema)]
pub struct Interaction {
    /// TypeID (`int_...`).
    pub id: String,
    /// The contact it was with (`cnt_...`).
    pub contact_id: String,
    /// What it was.
    #[serde(rename = "type")]
    #[schema(value_type = InteractionType)]
    pub kind: String,
    /// The deal it was about (`deal_...`), or null (cleared when the deal is deleted).
    #[schema(required)]
    pub deal_id: Option<String>,
    /// Notes, or null.
    #[schema(required)]
    pub notes: Option<String>,
    /// When it happened, RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC; moves only when the server changes it (a merge, a deal's delete).
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The body of `POST /interactions`. No tags or custom fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionCreate {
    /// An existing contact of the workspace: `cnt_...` or its UUID.
    #[schema(schema_with = contact_ref_in)]
    pub contact_id: String,
    /// What it was.
    #[serde(rename = "type")]
    #[schema(value_type = InteractionType)]
    pub kind: String,
    /// An existing deal of the workspace: `deal_...` or its UUID; need not be linked to the contact.
    #[schema(schema_with = deal_in)]
    pub deal_id: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// When it happened: RFC 3339 with any offset (stored as UTC), spelled exactly as RFC 3339
    /// does (no surrounding space, `T` between date and time), without a leap second (`:60`).
    #[schema(format = DateTime, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9]")]
    pub occurred_at: String,
}

// The length the schema states, tied to the rule.
const _: () = assert!(MAX_NOTES == 10_000);

/// An optional deal of the workspace (an engagement record's `deal_id`).
pub(super) fn deal_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::String))
        .pattern(Some(format!("{}|{}", blank_pattern(), reference_pattern("deal"))))
        .description(Some(
            "An existing deal of the workspace: `deal_...` or its UUID; blank or null for none. A \
             well-formed id of no deal of the workspace answers 400.",
        ))
        .build()
        .into()
}

/// The examples of the interaction components, by schema name.
pub fn example(name: &str) -> Option<Value> {
    Some(match name {
        "InteractionType" => json!("call"),
        "Interaction" => json!({
            "id": "int_01kgy2r7t0e3m9w2c5x8b6n4hz",
            "contact_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq",
            "type": "call",
            "deal_id": "deal_01kgy2r7t0e3m9w2c5x8b6n4hy",
            "notes": "Walked through the renewal terms.",
            "occurred_at": "2026-01-30T15:00:00Z",
            "created_at": EXAMPLE_TIME,
            "updated_at": EXAMPLE_TIME,
        }),
        "InteractionCreate" => json!({
            "contact_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq",
            "type": "call",
            "deal_id": "deal_01kgy2r7t0e3m9w2c5x8b6n4hy",
            "notes": "Walked through the renewal terms.",
            "occurred_at": "2026-01-30T16:00:00+01:00",
        }),
        _ => return None,
    })
}
