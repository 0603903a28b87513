//! The wire types: every body the API answers is serialized from one of these structs (see
//! [`crate::dto`], [`crate::respond`], [`crate::error`]), and the OpenAPI document
//! ([`crate::openapi`]) describes them through their `ToSchema` derives, so the spec and the
//! bodies cannot drift apart. Field order is the key order on the wire. The request-body types
//! exist only to be described: bodies are read by hand ([`crate::input::Body`]).

use moss_domain::text::{MAX_CUSTOM_FIELD_NAME, MAX_CUSTOM_FIELDS, MAX_NAME, MAX_NOTES, MAX_TAG, MAX_TAGS, MAX_URL};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};

/// Serializes a wire struct; these structs cannot fail to serialize.
pub fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct Workspace {
    /// TypeID (`ws_...`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// 1-63 lowercase letters, digits and hyphens; unique.
    pub slug: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A member's role in its workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages keys and the audit log as well as the data.
    Owner,
    /// Works with the CRM data only.
    Member,
}

/// What an API key may do.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reads and writes.
    Full,
    /// Reads only.
    ReadOnly,
}

/// A member of a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// TypeID (`usr_...`).
    pub id: String,
    /// Email address.
    #[schema(format = Email)]
    pub email: String,
    /// Display name, or null.
    #[schema(required)]
    pub name: Option<String>,
    /// `owner` or `member`.
    #[schema(value_type = Role)]
    pub role: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// An API key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    /// TypeID (`key_...`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `full` or `read_only`.
    #[schema(value_type = Scope)]
    pub scope: String,
    /// The key's first 12 characters, to tell keys apart.
    pub prefix: String,
    /// The member the key acts as (`usr_...`).
    pub member_id: String,
    /// When the key stops working (RFC 3339 UTC), or null.
    #[schema(format = DateTime, required)]
    pub expires_at: Option<String>,
    /// Last use, updated at most once a minute, or null.
    #[schema(format = DateTime, required)]
    pub last_used_at: Option<String>,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A newly created API key: the record plus `key`, the secret, shown this once (`null` in an
/// idempotent replay).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The record.
    #[serde(flatten)]
    pub record: ApiKey,
    /// The full secret (`moss_k_...`), shown once; null in a replay.
    #[schema(required)]
    pub key: Option<String>,
}

/// A contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    /// TypeID (`cnt_...`).
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name, or null.
    #[schema(required)]
    pub last_name: Option<String>,
    /// Email address (unique in the workspace), or null.
    #[schema(format = Email, required)]
    pub email: Option<String>,
    /// Phone, or null.
    #[schema(required)]
    pub phone: Option<String>,
    /// Job title, or null.
    #[schema(required)]
    pub title: Option<String>,
    /// LinkedIn profile URL, or null.
    #[schema(format = "uri", required)]
    pub linkedin_url: Option<String>,
    /// The contact's company (`cmp_...`), or null.
    #[schema(required)]
    pub company_id: Option<String>,
    /// Notes, or null.
    #[schema(required)]
    pub notes: Option<String>,
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

/// A company.
#[derive(Debug, Serialize, ToSchema)]
pub struct Company {
    /// TypeID (`cmp_...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Host name such as `acme.com` (unique in the workspace), or null.
    #[schema(format = Hostname, required)]
    pub domain: Option<String>,
    /// Industry, or null.
    #[schema(required)]
    pub industry: Option<String>,
    /// Website URL, or null.
    #[schema(format = "uri", required)]
    pub website: Option<String>,
    /// Phone, or null.
    #[schema(required)]
    pub phone: Option<String>,
    /// Notes, or null.
    #[schema(required)]
    pub notes: Option<String>,
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

/// A tag with the number of records carrying it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tag {
    /// The tag.
    pub name: String,
    /// Records carrying it.
    #[schema(minimum = 1)]
    pub count: u64,
}

/// An audit log entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// TypeID (`aud_...`).
    pub id: String,
    /// `<target_type>.<verb>`, e.g. `contact.created`.
    pub event_type: String,
    /// `contact`, `company`, `api_key`, ...
    pub target_type: String,
    /// The target's id.
    pub target_id: String,
    /// `api_key`, `user` or `system`.
    pub actor_type: String,
    /// The actor's id, or null (`system`).
    #[schema(required)]
    pub actor_id: Option<String>,
    /// The request that made the change.
    pub request_id: String,
    /// The client's IP, or null (CLI).
    #[schema(required)]
    pub ip: Option<String>,
    /// Details, such as `{"changes": {...}}` for an update.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// Paging facts of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// The page answered (1-based).
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 250)]
    pub per_page: u32,
    /// Records matching the filters, across all pages.
    pub total: u64,
    /// ceil(total / per_page); 0 when total is 0.
    pub total_pages: u64,
}

/// Every error code.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// 400, 405, 413, 415.
    ValidationError,
    /// 401.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 429.
    RateLimited,
    /// 500, 503.
    InternalError,
}

/// One bad input field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDetail {
    /// Path into the input: `first_name`, `tags[3]`, `custom_fields.tier`, a query parameter, a
    /// header, or `body`.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error code.
    #[schema(value_type = ErrorCode)]
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// Every bad field (VALIDATION_ERROR only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<Vec<FieldDetail>>,
    /// The request's id (also in `X-Request-Id`).
    pub request_id: String,
}

/// Every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The body of `POST /contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCreate {
    /// Required; trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^\s\x00]")]
    pub first_name: String,
    /// Trimmed; empty means null.
    #[schema(max_length = 200)]
    pub last_name: Option<String>,
    /// Unique in the workspace.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Phone.
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// Job title.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// An http(s) URL.
    #[schema(schema_with = url_in)]
    pub linkedin_url: Option<String>,
    /// An existing company of the workspace: `cmp_...` or its UUID.
    #[schema(schema_with = company_ref_in)]
    pub company_id: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Tags (replaces the list).
    #[schema(schema_with = tags_in)]
    pub tags: Option<Vec<String>>,
    /// Custom fields.
    #[schema(schema_with = custom_fields_in)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `PATCH /contacts/{id}`: only the fields sent change; `null` clears an optional
/// field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    /// Required field: never null.
    #[schema(schema_with = required_name_patch)]
    pub first_name: Option<String>,
    /// Trimmed; empty means null.
    #[schema(max_length = 200)]
    pub last_name: Option<String>,
    /// Unique in the workspace.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Phone.
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// Job title.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// An http(s) URL.
    #[schema(schema_with = url_in)]
    pub linkedin_url: Option<String>,
    /// An existing company of the workspace: `cmp_...` or its UUID.
    #[schema(schema_with = company_ref_in)]
    pub company_id: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Tags (replaces the list).
    #[schema(schema_with = tags_in)]
    pub tags: Option<Vec<String>>,
    /// Custom fields (replace the object).
    #[schema(schema_with = custom_fields_in)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `POST /companies`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyCreate {
    /// Required; trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^\s\x00]")]
    pub name: String,
    /// A host name such as `acme.com`; unique in the workspace.
    #[schema(format = Hostname, max_length = 253)]
    pub domain: Option<String>,
    /// Industry.
    #[schema(max_length = 200)]
    pub industry: Option<String>,
    /// An http(s) URL.
    #[schema(schema_with = url_in)]
    pub website: Option<String>,
    /// Phone.
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Tags.
    #[schema(schema_with = tags_in)]
    pub tags: Option<Vec<String>>,
    /// Custom fields.
    #[schema(schema_with = custom_fields_in)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `PATCH /companies/{id}`: only the fields sent change; `null` clears an optional
/// field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyUpdate {
    /// Required field: never null.
    #[schema(schema_with = required_name_patch)]
    pub name: Option<String>,
    /// A host name such as `acme.com`; unique in the workspace.
    #[schema(format = Hostname, max_length = 253)]
    pub domain: Option<String>,
    /// Industry.
    #[schema(max_length = 200)]
    pub industry: Option<String>,
    /// An http(s) URL.
    #[schema(schema_with = url_in)]
    pub website: Option<String>,
    /// Phone.
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// Notes.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Tags (replaces the list).
    #[schema(schema_with = tags_in)]
    pub tags: Option<Vec<String>>,
    /// Custom fields (replace the object).
    #[schema(schema_with = custom_fields_in)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `POST /keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    /// Required; trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^\s\x00]")]
    pub name: String,
    /// Default `full`.
    #[schema(value_type = Option<Scope>)]
    pub scope: Option<String>,
    /// A future RFC 3339 time; null or absent for a key that never expires.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

fn string_max(max: usize) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).max_length(Some(max))
}

fn custom_field_value() -> Schema {
    OneOfBuilder::new()
        .item(string_max(MAX_NOTES))
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ArrayBuilder::new()
                .items(string_max(MAX_NAME))
                .max_items(Some(MAX_TAGS)),
        )
        .build()
        .into()
}

fn custom_fields_out() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(custom_field_value()))
        .description(Some(
            "Custom fields: strings, numbers, booleans, nulls or lists of strings.",
        ))
        .build()
        .into()
}

fn custom_fields_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::Object,
            Type::Null,
        ]))
        .additional_properties(Some(custom_field_value()))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_CUSTOM_FIELD_NAME))
                .pattern(Some(r"^[^\x00]*[^\s\x00][^\x00]*$")),
        ))
        .max_properties(Some(MAX_CUSTOM_FIELDS))
        .description(Some(
            "At most 100 fields; names 1-64 characters; values are strings (up to 10,000 characters), \
             numbers, booleans, null or lists of up to 50 strings of up to 200 characters.",
        ))
        .build()
        .into()
}

fn tags_in() -> Schema {
    ArrayBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::Array,
            Type::Null,
        ]))
        .items(string_max(MAX_TAG).min_length(Some(1)).pattern(Some(NOT_BLANK)))
        .max_items(Some(MAX_TAGS))
        .description(Some(
            "At most 50 tags of 1-64 characters; duplicates (case-insensitive) are merged.",
        ))
        .build()
        .into()
}

/// A string with a character that is neither whitespace nor NUL (trimmed and NUL-stripped, it
/// is not empty). The `#[schema(pattern = ...)]` derives above spell it out: they take literals.
pub const NOT_BLANK: &str = r"[^\s\x00]";

/// The server's form check of a URL (`moss_domain::text::HttpUrl`) as far as a pattern can say
/// it: blank (stored as null), or `http(s)://` and an authority of at most 253 characters (a DNS
/// name is at most 253), no whitespace inside; surrounding whitespace is trimmed.
pub const URL_PATTERN: &str = r"^\s*$|^\s*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]{1,253}([/?#]\S*)?\s*$";

/// A company reference: `cmp_...` or the hyphenated UUID, surrounding whitespace trimmed.
pub const COMPANY_REF_PATTERN: &str = r"^\s*(cmp_[0-7][0-9a-hjkmnp-tv-z]{25}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\s*$";

fn url_in() -> Schema {
    string_max(MAX_URL)
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .format(Some(utoipa::openapi::schema::SchemaFormat::Custom("uri".into())))
        .pattern(Some(URL_PATTERN))
        .description(Some("An http(s) URL; blank or null clears it."))
        .build()
        .into()
}

fn company_ref_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .pattern(Some(format!(r"^\s*$|{COMPANY_REF_PATTERN}")))
        .description(Some(
            "An existing company of the workspace: `cmp_...` or its UUID; blank or null clears it. \
             A well-formed id of no company of the workspace answers 400.",
        ))
        .build()
        .into()
}

fn required_name_patch() -> Schema {
    string_max(MAX_NAME)
        .min_length(Some(1))
        .pattern(Some(NOT_BLANK))
        .description(Some("Required field: may be changed, never cleared (null is refused)."))
        .build()
        .into()
}

/// A schema reference by component name.
pub fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
}
