//! Timeline items on the wire.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// What a timeline item is about.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    /// An interaction logged.
    Interaction,
    /// A deal's stage move.
    Deal,
    /// A follow-up created or completed.
    Followup,
    /// A commitment created or completed.
    Commitment,
    /// A contact linked to or unlinked from the deal.
    Contact,
}

/// One item of a contact's or a deal's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityItem {
    /// Unique in the timeline: the interaction's or the created record's id, or the id of the
    /// audit entry behind the item (`aud_...`).
    pub id: String,
    /// What it is about.
    #[serde(rename = "type")]
    #[schema(value_type = ActivityType)]
    pub kind: String,
    /// What happened (`call logged`, `stage moved to won`, `follow-up completed`, ...).
    pub event: String,
    /// When it happened, RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// The item's facts: `interaction` {interaction_id, interaction_type, deal_id, notes};
    /// `deal` {deal_id, deal_name, from_stage, to_stage}; `followup` {followup_id, title,
    /// due_date, priority}; `commitment` {commitment_id, description, due_date}; `contact`
    /// {contact_id, contact_name, role}.
    pub details: Map<String, Value>,
}

/// The examples of the timeline components, by schema name.
pub fn example(name: &str) -> Option<Value> {
    Some(match name {
        "ActivityType" => json!("interaction"),
        "TimeZone" => json!("Europe/Paris"),
        "ActivityItem" => json!({
            "id": "int_01kgy2r7t0e3m9w2c5x8b6n4hz",
            "type": "interaction",
            "event": "call logged",
            "timestamp": "2026-01-30T15:00:00Z",
            "details": {
                "interaction_id": "int_01kgy2r7t0e3m9w2c5x8b6n4hz",
                "interaction_type": "call",
                "deal_id": "deal_01kgy2r7t0e3m9w2c5x8b6n4hy",
                "notes": "Walked through the renewal terms.",
            },
        }),
        _ => return None,
    })
}
