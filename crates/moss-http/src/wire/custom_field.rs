//! Custom-field definitions and search results on the wire, with their schemas and examples.

use moss_domain::custom_field::{EntityType as Entities, FieldType as Types, MAX_OPTION, MAX_OPTIONS};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::EXAMPLE_TIME;

/// The records a definition applies to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// Contacts.
    Contacts,
    /// Companies.
    Companies,
    /// Deals.
    Deals,
}

/// What a custom field holds.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A string of up to 10,000 characters.
    Text,
    /// A finite number.
    Number,
    /// One of `field_options`.
    Select,
    /// A list of distinct `field_options`.
    Multiselect,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// `true` or `false`.
    Checkbox,
}

// The schemas' enums are the domain's lists (a new value fails here).
const _: () = assert!(Entities::NAMES.len() == 3 && Types::NAMES.len() == 6);
const _: () = assert!(MAX_OPTIONS == 200 && MAX_OPTION == 100);

/// A custom-field definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomField {
    /// TypeID (`cf_...`).
    pub id: String,
    /// The records it applies to.
    #[schema(value_type = EntityType)]
    pub entity_type: String,
    /// The name in the records' `custom_fields`.
    pub field_name: String,
    /// The name a person reads.
    pub field_label: String,
    /// What it holds.
    #[schema(value_type = FieldType)]
    pub field_type: String,
    /// The options of a select or multiselect field, else null.
    #[schema(required)]
    pub field_options: Option<Vec<String>>,
    /// Whether a create must give it and no write may set it to null.
    pub required: bool,
    /// Where clients show it.
    pub display_order: i64,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The body of `POST /custom-fields` (owner only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldCreate {
    /// The records it applies to. Cannot be changed.
    #[schema(value_type = EntityType)]
    pub entity_type: String,
    /// The name in `custom_fields`: a lower-case letter, then up to 63 lower-case letters, digits
    /// or `_`; unique per entity type (409). Cannot be changed.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub field_name: String,
    /// The name a person reads.
    #[schema(min_length = 1, max_length = 200)]
    pub field_label: String,
    /// What it holds. Cannot be changed.
    #[schema(value_type = FieldType)]
    pub field_type: String,
    /// Required for `select` and `multiselect` (1-200 distinct options of 1-100 characters, no
    /// `;`); absent or null for the other types.
    #[schema(max_items = 200, min_items = 1)]
    pub field_options: Option<Vec<String>>,
    /// Default false.
    pub required: Option<bool>,
    /// Default 0.
    pub display_order: Option<i64>,
}

/// The body of `PATCH /custom-fields/{id}`: `entity_type`, `field_name` and `field_type`
/// cannot be changed (400 naming them). Removing an option that records hold is a 409.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldUpdate {
    /// The name a person reads.
    #[schema(min_length = 1, max_length = 200)]
    pub field_label: Option<String>,
    /// The options (select types only).
    #[schema(max_items = 200, min_items = 1)]
    pub field_options: Option<Vec<String>>,
    /// Whether a create must give it.
    pub required: Option<bool>,
    /// Where clients show it.
    pub display_order: Option<i64>,
}

/// What `GET /search` answers: exactly the requested types, each a list of full records, best
/// first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Contacts (when asked for).
    #[schema(value_type = Option<Vec<super::Contact>>)]
    pub contacts: Option<Vec<Value>>,
    /// Companies (when asked for).
    #[schema(value_type = Option<Vec<super::Company>>)]
    pub companies: Option<Vec<Value>>,
    /// Deals (when asked for).
    #[schema(value_type = Option<Vec<super::deal::Deal>>)]
    pub deals: Option<Vec<Value>>,
    /// Interactions (when asked for).
    #[schema(value_type = Option<Vec<super::interaction::Interaction>>)]
    pub interactions: Option<Vec<Value>>,
}

/// The examples of these components, by schema name.
pub fn example(name: &str) -> Option<Value> {
    let definition = json!({
        "id": "cf_01kgy2r7t0e3m9w2c5x8b6n4hz",
        "entity_type": "contacts",
        "field_name": "tier",
        "field_label": "Tier",
        "field_type": "select",
        "field_options": ["gold", "silver", "bronze"],
        "required": false,
        "display_order": 1,
        "created_at": EXAMPLE_TIME,
        "updated_at": EXAMPLE_TIME,
    });
    Some(match name {
        "EntityType" => json!("contacts"),
        "FieldType" => json!("select"),
        "CustomField" => definition,
        "CustomFieldCreate" => json!({
            "entity_type": "contacts",
            "field_name": "tier",
            "field_label": "Tier",
            "field_type": "select",
            "field_options": ["gold", "silver", "bronze"],
            "display_order": 1,
        }),
        "CustomFieldUpdate" => {
            json!({"field_label": "Customer tier", "field_options": ["gold", "silver", "bronze", "platinum"]})
        }
        "SearchResults" => json!({"contacts": [], "companies": []}),
        _ => return None,
    })
}
