//! Deals on the wire: the record, its bodies, the stage history, contact links and the pipeline,
//! with their schemas and examples.

use moss_domain::deal::model::{Currency, MAX_LOST_REASON, MAX_VALUE};
use moss_domain::deal::service::MAX_ROLE;
use moss_domain::text::MAX_NOTES;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::KnownFormat;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type};

use super::{
    Contact, EXAMPLE_TIME, blank_pattern, company_ref_in, custom_fields_in, custom_fields_out, custom_fields_patch,
    nullable_enum, nullable_type, reference_pattern, required_name_in, required_name_patch, string_max, tags_in,
};

/// A deal's stage.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The default.
    Lead,
    /// Qualified.
    Prospect,
    /// Terms under discussion.
    Negotiation,
    /// Closed, won.
    Won,
    /// Closed, lost (with an optional `lost_reason`).
    Lost,
}

/// A deal.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deal {
    /// TypeID (`deal_...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Pipeline stage.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Integer cents (0 to 2^53-1), or null when unknown.
    #[schema(required, minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub value: Option<i64>,
    /// ISO 4217 code, upper-case.
    pub currency: String,
    /// Expected close date, or null.
    #[schema(required, format = Date)]
    pub expected_close: Option<String>,
    /// The deal's company (`cmp_...`), or null.
    #[schema(required)]
    pub company_id: Option<String>,
    /// Notes, or null.
    #[schema(required)]
    pub notes: Option<String>,
    /// Why it was lost (only while lost), or null.
    #[schema(required)]
    pub lost_reason: Option<String>,
    /// When it was won or lost (set by the server; cleared when it leaves them), or null.
    #[schema(required, format = DateTime)]
    pub closed_at: Option<String>,
    /// When it entered its stage (set by the server).
    #[schema(format = DateTime)]
    pub stage_changed_at: String,
    /// Tags, sorted case-insensitively.
    pub tags: Vec<String>,
    /// Custom fields.
    #[schema(schema_with = custom_fields_out)]
    pub custom_fields: Map<String, Value>,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The body of `POST /deals`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealCreate {
    /// Required; trimmed.
    #[schema(schema_with = required_name_in)]
    pub name: String,
    /// Default `lead`.
    #[schema(schema_with = stage_create_in)]
    pub stage: Option<String>,
    /// Integer cents, 0 to 2^53-1; null when unknown.
    #[schema(schema_with = value_in)]
    pub value: Option<i64>,
    /// ISO 4217 code in any case, stored upper-case; default `USD`.
    #[schema(schema_with = currency_create_in)]
    pub currency: Option<String>,
    /// A date, `YYYY-MM-DD`.
    #[schema(schema_with = date_in)]
    pub expected_close: Option<String>,
    /// An existing company of the workspace: `cmp_...` or its UUID.
    #[schema(schema_with = company_ref_in)]
    pub company_id: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Only with stage `lost`.
    #[schema(max_length = 500)]
    pub lost_reason: Option<String>,
    /// Tags.
    #[schema(schema_with = tags_in)]
    pub tags: Option<Vec<String>>,
    /// Custom fields.
    #[schema(schema_with = custom_fields_in)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `PATCH /deals/{id}`: only the fields sent change; `null` clears an optional
/// field. A change of stage is a stage move (`deal.stage_moved`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealUpdate {
    /// Required field: never null.
    #[schema(schema_with = required_name_patch)]
    pub name: Option<String>,
    /// Never null.
    #[schema(value_type = Stage, required = false)]
    pub stage: Option<String>,
    /// Integer cents; null when unknown.
    #[schema(schema_with = value_in)]
    pub value: Option<i64>,
    /// ISO 4217 code in any case; never null.
    #[schema(schema_with = currency_patch_in)]
    pub currency: Option<String>,
    /// A date, `YYYY-MM-DD`; null clears it.
    #[schema(schema_with = date_in)]
    pub expected_close: Option<String>,
    /// An existing company of the workspace.
    #[schema(schema_with = company_ref_in)]
    pub company_id: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Only while the deal is (or in this request becomes) lost.
    #[schema(max_length = 500)]
    pub lost_reason: Option<String>,
    /// Tags (replaces the list).
    #[schema(schema_with = tags_in)]
    pub tags: Option<Vec<String>>,
    /// Custom fields (replaces the object).
    #[schema(schema_with = custom_fields_patch)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `PATCH /deals/{id}/stage`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageMove {
    /// The stage to move to.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Only with stage `lost`.
    #[schema(max_length = 500)]
    pub lost_reason: Option<String>,
}

/// The body of `PATCH /deals/bulk-stage`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkStageMove {
    /// 1 to 100 deals of the workspace, no repeats.
    #[schema(schema_with = deal_ids_in)]
    pub deal_ids: Vec<String>,
    /// The stage to move them to.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Only with stage `lost`.
    #[schema(max_length = 500)]
    pub lost_reason: Option<String>,
}

/// A stretch of a deal's stage history.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageSpan {
    /// The stage.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// When the deal entered it.
    #[schema(format = DateTime)]
    pub entered_at: String,
    /// When it left, or null for the current stage.
    #[schema(required, format = DateTime)]
    pub left_at: Option<String>,
    /// Whole seconds spent in it (for the current stage, so far).
    #[schema(minimum = 0)]
    pub seconds_in_stage: i64,
}

/// A contact linked to a deal.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealContact {
    /// The deal (`deal_...`).
    pub deal_id: String,
    /// The contact (`cnt_...`).
    pub contact_id: String,
    /// The contact's role in the deal, or null.
    #[schema(required)]
    pub role: Option<String>,
    /// When it was linked.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The contact record.
    pub contact: Contact,
}

/// The body of `POST /deals/{id}/contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealContactCreate {
    /// An existing contact of the workspace: `cnt_...` or its UUID.
    #[schema(schema_with = contact_ref_in)]
    pub contact_id: String,
    /// Free text.
    #[schema(max_length = 100)]
    pub role: Option<String>,
}

/// A currency's exact total.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of the known values in cents, exact (may exceed 2^53 and 2^63).
    #[schema(value_type = i64, minimum = 0)]
    pub value: Box<serde_json::value::RawValue>,
}

/// Deals of one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineStage {
    /// The stage.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Deals in it (null values included).
    #[schema(minimum = 0)]
    pub count: u64,
    /// One entry per currency present, sorted by code.
    pub totals: Vec<PipelineTotal>,
}

/// The open stages together (lead, prospect, negotiation).
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineOpen {
    /// Open deals.
    #[schema(minimum = 0)]
    pub count: u64,
    /// One entry per currency present, sorted by code.
    pub totals: Vec<PipelineTotal>,
}

/// The pipeline summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pipeline {
    /// All five stages in pipeline order.
    pub stages: Vec<PipelineStage>,
    /// The open stages.
    pub open: PipelineOpen,
    /// won / (won + lost), rounded to 4 decimal places; null when both are 0.
    #[schema(required, minimum = 0, maximum = 1)]
    pub win_rate: Option<f64>,
}

fn stage_create_in() -> Schema {
    nullable_enum(
        moss_domain::deal::Stage::NAMES,
        "Default `lead`; null means the default.",
    )
}

fn value_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::Integer))
        .minimum(Some(0))
        .maximum(Some(MAX_VALUE))
        .description(Some(
            "Integer cents from 0 to 2^53-1 (a whole number written `100.0` or `1e2` is taken); null when unknown.",
        ))
        .build()
        .into()
}

/// The currency codes of the maintained list, any case: `[Uu][Ss][Dd]|...`.
pub fn currency_pattern() -> String {
    let codes: Vec<String> = Currency::all_codes()
        .iter()
        .map(|code| {
            code.chars()
                .map(|c| format!("[{}{}]", c, c.to_ascii_lowercase()))
                .collect::<String>()
        })
        .collect();
    format!("^({})$", codes.join("|"))
}

fn currency_create_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::String))
        .pattern(Some(currency_pattern()))
        .description(Some(
            "An ISO 4217 code (any case; stored upper-case); null or absent means USD.",
        ))
        .build()
        .into()
}

fn currency_patch_in() -> Schema {
    string_max(3)
        .pattern(Some(currency_pattern()))
        .description(Some("An ISO 4217 code (any case; stored upper-case); never null."))
        .build()
        .into()
}

/// `YYYY-MM-DD` exactly.
pub const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// An optional calendar date (`YYYY-MM-DD`); blank or null clears it.
pub(super) fn date_in() -> Schema {
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                .pattern(Some(DATE_PATTERN)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(blank_pattern()))
                .description(Some("Blank: clears the field.")),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some("A calendar date, `YYYY-MM-DD` exactly; blank or null clears it."))
        .build()
        .into()
}

/// An existing contact of the workspace (a link's and an interaction's `contact_id`).
pub(super) fn contact_ref_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(reference_pattern("cnt")))
        .description(Some(
            "An existing contact of the workspace: `cnt_...` or its UUID. A well-formed id of no contact \
             of the workspace answers 400.",
        ))
        .build()
        .into()
}

fn deal_ids_in() -> Schema {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(deal_id_pattern())),
        )
        .min_items(Some(1))
        .max_items(Some(moss_domain::deal::service::MAX_BULK))
        .unique_items(true)
        .description(Some(
            "1 to 100 deals of the workspace (`deal_...`), no repeats; an unknown or other-workspace id answers \
             400 naming it (`deal_ids[3]`) and nothing moves.",
        ))
        .build()
        .into()
}

/// A deal id (`deal_...`), with its surrounding White_Space.
pub fn deal_id_pattern() -> String {
    let ws = super::white_space().class();
    format!("^{ws}*deal_[0-7][0-9a-hjkmnp-tv-z]{{25}}{ws}*$")
}

// The lengths the schemas above state, tied to the rules (a change there fails here).
const _: () = assert!(MAX_NOTES == 10_000 && MAX_LOST_REASON == 500 && MAX_ROLE == 100);

const EXAMPLE_DEAL_ID: &str = "deal_01kgy2r7t0e3m9w2c5x8b6n4hy";

fn example_deal() -> Value {
    json!({
        "id": EXAMPLE_DEAL_ID,
        "name": "Acme renewal 2026",
        "stage": "negotiation",
        "value": 4_500_000,
        "currency": "USD",
        "expected_close": "2026-06-30",
        "company_id": "cmp_01kgy2r7t0e3m9w2c5x8b6n4hr",
        "notes": "Three-year term under discussion.",
        "lost_reason": null,
        "closed_at": null,
        "stage_changed_at": EXAMPLE_TIME,
        "tags": ["renewal"],
        "custom_fields": {"source": "referral"},
        "created_at": EXAMPLE_TIME,
        "updated_at": EXAMPLE_TIME,
    })
}

/// The examples of the deal components, by schema name.
pub fn example(name: &str) -> Option<Value> {
    Some(match name {
        "Stage" => json!("negotiation"),
        "Deal" => example_deal(),
        "DealCreate" => json!({
            "name": "Acme renewal 2026",
            "stage": "prospect",
            "value": 4_500_000,
            "currency": "usd",
            "expected_close": "2026-06-30",
            "notes": "Three-year term under discussion.",
            "tags": ["renewal"],
            "custom_fields": {"source": "referral"},
        }),
        "DealUpdate" => json!({"value": 5_000_000, "expected_close": "2026-07-31"}),
        "StageMove" => json!({"stage": "lost", "lost_reason": "Went with a competitor."}),
        "BulkStageMove" => json!({"deal_ids": [EXAMPLE_DEAL_ID], "stage": "won"}),
        "StageSpan" => json!({
            "stage": "negotiation",
            "entered_at": EXAMPLE_TIME,
            "left_at": null,
            "seconds_in_stage": 86_400,
        }),
        "DealContact" => json!({
            "deal_id": EXAMPLE_DEAL_ID,
            "contact_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq",
            "role": "Decision maker",
            "created_at": EXAMPLE_TIME,
            "contact": super::example("Contact")?,
        }),
        "DealContactCreate" => json!({"contact_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq", "role": "Decision maker"}),
        "PipelineTotal" => json!({"currency": "USD", "value": 4_500_000}),
        "PipelineStage" => {
            json!({"stage": "negotiation", "count": 1, "totals": [{"currency": "USD", "value": 4_500_000}]})
        }
        "PipelineOpen" => json!({"count": 1, "totals": [{"currency": "USD", "value": 4_500_000}]}),
        "Pipeline" => json!({
            "stages": [
                {"stage": "lead", "count": 0, "totals": []},
                {"stage": "prospect", "count": 0, "totals": []},
                {"stage": "negotiation", "count": 1, "totals": [{"currency": "USD", "value": 4_500_000}]},
                {"stage": "won", "count": 2, "totals": [{"currency": "USD", "value": 9_000_000}]},
                {"stage": "lost", "count": 1, "totals": [{"currency": "USD", "value": 0}]},
            ],
            "open": {"count": 1, "totals": [{"currency": "USD", "value": 4_500_000}]},
            "win_rate": 0.6667,
        }),
        _ => return None,
    })
}
