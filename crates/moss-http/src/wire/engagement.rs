//! Commitments and follow-ups on the wire: the records and their bodies, with their schemas and
//! examples.

use moss_domain::commitment::CommitmentStatus as Status;
use moss_domain::commitment::model::MAX_DESCRIPTION;
use moss_domain::followup::Priority as Rank;
use moss_domain::text::{MAX_NAME, MAX_NOTES};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::KnownFormat;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};

use super::deal::{DATE_PATTERN, contact_ref_in, date_in};
use super::interaction::deal_in;
use super::{EXAMPLE_TIME, nullable_enum, nullable_type, required_name_in, required_name_patch, required_text};

// The schemas' enums are the domain's lists (a new value fails here).
const _: () = assert!(Status::NAMES.len() == 2 && Rank::NAMES.len() == 3);
const _: () = assert!(MAX_DESCRIPTION == 2_000 && MAX_NAME == 200 && MAX_NOTES == 10_000);

/// Whether a commitment is kept yet.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentStatus {
    /// Not yet (the default).
    Open,
    /// Kept.
    Completed,
}

/// How pressing a follow-up is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Low.
    Low,
    /// Medium (the default).
    Medium,
    /// High.
    High,
}

/// A commitment: a promise made to a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct Commitment {
    /// TypeID (`cmt_...`).
    pub id: String,
    /// The contact it was made to (`cnt_...`).
    pub contact_id: String,
    /// What was promised.
    pub description: String,
    /// The deal it belongs to (`deal_...`), or null (cleared when the deal is deleted).
    #[schema(required)]
    pub deal_id: Option<String>,
    /// When it is due, or null.
    #[schema(required, format = Date)]
    pub due_date: Option<String>,
    /// Open or completed.
    #[schema(value_type = CommitmentStatus)]
    pub status: String,
    /// When it was completed (set by the server; cleared when it is reopened), or null.
    #[schema(required, format = DateTime)]
    pub completed_at: Option<String>,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The body of `POST /commitments`. No tags or custom fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentCreate {
    /// An existing contact of the workspace: `cnt_...` or its UUID.
    #[schema(schema_with = contact_ref_in)]
    pub contact_id: String,
    /// What was promised.
    #[schema(schema_with = description_in)]
    pub description: String,
    /// A deal of the workspace.
    #[schema(schema_with = deal_in)]
    pub deal_id: Option<String>,
    /// A date, `YYYY-MM-DD`.
    #[schema(schema_with = date_in)]
    pub due_date: Option<String>,
    /// Default `open`; `completed` creates it completed.
    #[schema(schema_with = status_create_in)]
    pub status: Option<String>,
}

/// The body of `PATCH /commitments/{id}`: only the fields sent change; `null` clears an optional
/// field. `status: completed` completes it (`commitment.completed`), `open` reopens it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentUpdate {
    /// Another contact of the workspace; never null.
    #[schema(schema_with = contact_ref_in, required = false)]
    pub contact_id: Option<String>,
    /// Required field: never null.
    #[schema(schema_with = description_patch)]
    pub description: Option<String>,
    /// A deal of the workspace; null clears it.
    #[schema(schema_with = deal_in)]
    pub deal_id: Option<String>,
    /// A date, `YYYY-MM-DD`; null clears it.
    #[schema(schema_with = date_in)]
    pub due_date: Option<String>,
    /// Never null.
    #[schema(value_type = CommitmentStatus, required = false)]
    pub status: Option<String>,
}

/// A follow-up: a reminder about a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUp {
    /// TypeID (`fup_...`).
    pub id: String,
    /// The contact it is about (`cnt_...`).
    pub contact_id: String,
    /// What to do.
    pub title: String,
    /// The deal it belongs to (`deal_...`), or null (cleared when the deal is deleted).
    #[schema(required)]
    pub deal_id: Option<String>,
    /// When it is due.
    #[schema(format = Date)]
    pub due_date: String,
    /// How pressing it is.
    #[schema(value_type = Priority)]
    pub priority: String,
    /// Notes, or null.
    #[schema(required)]
    pub notes: Option<String>,
    /// Whether it is done.
    pub completed: bool,
    /// When it was completed (set by the server; cleared when it is reopened), or null.
    #[schema(required, format = DateTime)]
    pub completed_at: Option<String>,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The body of `POST /follow-ups`. No tags or custom fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpCreate {
    /// An existing contact of the workspace: `cnt_...` or its UUID.
    #[schema(schema_with = contact_ref_in)]
    pub contact_id: String,
    /// What to do.
    #[schema(schema_with = required_name_in)]
    pub title: String,
    /// A deal of the workspace.
    #[schema(schema_with = deal_in)]
    pub deal_id: Option<String>,
    /// When it is due: `YYYY-MM-DD`.
    #[schema(schema_with = due_date_in)]
    pub due_date: String,
    /// Default `medium`.
    #[schema(schema_with = priority_create_in)]
    pub priority: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Default false; `true` creates it completed.
    #[schema(schema_with = completed_create_in)]
    pub completed: Option<bool>,
}

/// The body of `PATCH /follow-ups/{id}`: only the fields sent change; `null` clears an optional
/// field. `completed: true` completes it (`followup.completed`), `false` reopens it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpUpdate {
    /// Another contact of the workspace; never null.
    #[schema(schema_with = contact_ref_in, required = false)]
    pub contact_id: Option<String>,
    /// Required field: never null.
    #[schema(schema_with = required_name_patch)]
    pub title: Option<String>,
    /// A deal of the workspace; null clears it.
    #[schema(schema_with = deal_in)]
    pub deal_id: Option<String>,
    /// `YYYY-MM-DD`; never null.
    #[schema(schema_with = due_date_in, required = false)]
    pub due_date: Option<String>,
    /// Never null.
    #[schema(value_type = Priority, required = false)]
    pub priority: Option<String>,
    /// Notes; null clears them.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Never null.
    #[schema(required = false)]
    pub completed: Option<bool>,
}

fn description_in() -> Schema {
    required_text(
        MAX_DESCRIPTION,
        "Required: at most 2,000 characters, not blank (White_Space and invisible characters alone are blank); trimmed.",
    )
}

fn description_patch() -> Schema {
    required_text(
        MAX_DESCRIPTION,
        "Required field: may be changed, never cleared (null or blank is refused); at most 2,000 characters.",
    )
}

fn due_date_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(DATE_PATTERN))
        .description(Some("A calendar date, `YYYY-MM-DD` exactly."))
        .build()
        .into()
}

fn status_create_in() -> Schema {
    nullable_enum(Status::NAMES, "Default `open`; null means the default.")
}

fn priority_create_in() -> Schema {
    nullable_enum(Rank::NAMES, "Default `medium`; null means the default.")
}

fn completed_create_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::Boolean))
        .description(Some("Default false; null means the default."))
        .build()
        .into()
}

/// The examples of the commitment and follow-up components, by schema name.
pub fn example(name: &str) -> Option<Value> {
    let contact = "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq";
    let deal = "deal_01kgy2r7t0e3m9w2c5x8b6n4hy";
    Some(match name {
        "CommitmentStatus" => json!("open"),
        "Priority" => json!("high"),
        "Commitment" => json!({
            "id": "cmt_01kgy2r7t0e3m9w2c5x8b6n4j0",
            "contact_id": contact,
            "description": "Send the revised proposal.",
            "deal_id": deal,
            "due_date": "2026-02-06",
            "status": "open",
            "completed_at": null,
            "created_at": EXAMPLE_TIME,
            "updated_at": EXAMPLE_TIME,
        }),
        "CommitmentCreate" => json!({
            "contact_id": contact,
            "description": "Send the revised proposal.",
            "deal_id": deal,
            "due_date": "2026-02-06",
        }),
        "CommitmentUpdate" => json!({"due_date": "2026-02-13"}),
        "FollowUp" => json!({
            "id": "fup_01kgy2r7t0e3m9w2c5x8b6n4j1",
            "contact_id": contact,
            "title": "Check in after the demo",
            "deal_id": deal,
            "due_date": "2026-02-03",
            "priority": "high",
            "notes": "Ask about the security review.",
            "completed": false,
            "completed_at": null,
            "created_at": EXAMPLE_TIME,
            "updated_at": EXAMPLE_TIME,
        }),
        "FollowUpCreate" => json!({
            "contact_id": contact,
            "title": "Check in after the demo",
            "deal_id": deal,
            "due_date": "2026-02-03",
            "priority": "high",
            "notes": "Ask about the security review.",
        }),
        "FollowUpUpdate" => json!({"priority": "medium", "due_date": "2026-02-10"}),
        _ => return None,
    })
}
