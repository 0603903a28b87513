//! The wire types: every body the API answers is serialized from one of these structs (see
//! [`crate::dto`], [`crate::respond`], [`crate::error`]), and the OpenAPI document
//! ([`crate::openapi`]) describes them through their `ToSchema` derives, so the spec and the
//! bodies cannot drift apart. Field order is the key order on the wire. The request-body types
//! exist only to be described: bodies are read by hand ([`crate::input::Body`]).

use std::ops::RangeInclusive;

pub mod activity;
pub mod custom_field;
pub mod deal;
pub mod engagement;
pub mod interaction;

use moss_domain::text::{
    EMAIL_LOCAL_SPECIALS, GREEK_QUESTION_MARK, MAX_CUSTOM_FIELD_NAME, MAX_CUSTOM_FIELDS, MAX_EMAIL, MAX_HOST, MAX_NAME,
    MAX_NOTES, MAX_TAG, MAX_TAGS, MAX_URL, REFUSED_INVISIBLE, default_ignorable_ranges, white_space_ranges,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};

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
    /// Email address (as stored: trimmed, NFC).
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
    /// Email address (unique in the workspace; as stored: trimmed, NFC), or null.
    #[schema(required)]
    pub email: Option<String>,
    /// Phone, or null.
    #[schema(required)]
    pub phone: Option<String>,
    /// Job title, or null.
    #[schema(required)]
    pub title: Option<String>,
    /// LinkedIn profile URL (an http(s) URL as stored: trimmed, NFC), or null.
    #[schema(required)]
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
    /// Host name such as `acme.com` (unique in the workspace; lower-cased), or null.
    #[schema(required)]
    pub domain: Option<String>,
    /// Industry, or null.
    #[schema(required)]
    pub industry: Option<String>,
    /// Website URL (an http(s) URL as stored: trimmed, NFC), or null.
    #[schema(required)]
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

/// The body of `POST /contacts/merge`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactMerge {
    /// The duplicate, deleted by the merge: a contact of the workspace (`cnt_...` or its UUID).
    #[schema(schema_with = contact_ref_schema)]
    pub source_id: String,
    /// The contact that stays and takes the source's records: another contact of the workspace.
    #[schema(schema_with = contact_ref_schema)]
    pub target_id: String,
}

/// How many of the source's records moved to the target.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeMoved {
    /// Interactions re-pointed.
    pub interactions: u64,
    /// Commitments re-pointed.
    pub commitments: u64,
    /// Follow-ups re-pointed.
    pub followups: u64,
    /// The source's deal links, re-pointed or folded into the target's own link to the deal.
    pub deal_links: u64,
}

/// What a merge did, or (`dry_run`) would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    /// The target after the merge.
    pub contact: Contact,
    /// What moved.
    pub moved: MergeMoved,
    /// The target's fields that took the source's value, in the contact's field order, then
    /// `tags`, then `custom_fields.<name>`.
    pub filled: Vec<String>,
    /// Whether this was a dry run (nothing changed).
    pub dry_run: bool,
}

fn contact_ref_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(reference_pattern("cnt")))
        .description(Some(
            "A contact of the workspace: `cnt_...` or its UUID. A well-formed id of no contact of the \
             workspace answers 400.",
        ))
        .build()
        .into()
}

/// The body of `POST /contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCreate {
    /// Required; trimmed.
    #[schema(schema_with = required_name_in)]
    pub first_name: String,
    /// Trimmed; empty means null.
    #[schema(max_length = 200)]
    pub last_name: Option<String>,
    /// Unique in the workspace.
    #[schema(schema_with = email_in)]
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
    #[schema(schema_with = email_in)]
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
    /// Custom fields, merged by name (a name sent as null is removed).
    #[schema(schema_with = custom_fields_patch)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `POST /companies`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyCreate {
    /// Required; trimmed.
    #[schema(schema_with = required_name_in)]
    pub name: String,
    /// A host name such as `acme.com`; unique in the workspace.
    #[schema(schema_with = domain_in)]
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
    #[schema(schema_with = domain_in)]
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
    /// Custom fields, merged by name (a name sent as null is removed).
    #[schema(schema_with = custom_fields_patch)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The body of `POST /keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    /// Required; trimmed.
    #[schema(schema_with = required_name_in)]
    pub name: String,
    /// Default `full`.
    #[schema(value_type = Option<Scope>)]
    pub scope: Option<String>,
    /// When the key stops working: an RFC 3339 time in the future (a past one answers 400);
    /// null or absent for a key that never expires. Spelled exactly as RFC 3339 does (no
    /// surrounding space, `T` between date and time), without a leap second (`:60`).
    #[schema(format = DateTime, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9]")]
    pub expires_at: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Patterns: the server's text rules (`moss_domain::text`) as regular expressions.
//
// Every pattern here is read alike by Python's `re` (which schemathesis and Hypothesis generate
// from), the Rust `regex` crate and ECMA-262 engines: character classes are spelled out (no `\s`,
// `\d`, `\w` or `.`), code points of the Basic Multilingual Plane are written `\uXXXX` and the
// others as literal characters, and every pattern that means the whole string is anchored with
// `^...$` and ends in a repetition that admits a line feed (so Python's `$`, which also matches
// before a final `\n`, agrees with the others). The Unicode sets come from the same ICU4X data
// the server's checks use.
// ---------------------------------------------------------------------------------------------

/// A set of code points as sorted, disjoint ranges, rendered as the body of a character class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharSet(Vec<RangeInclusive<u32>>);

impl CharSet {
    /// The union of `ranges` (in any order, overlapping or not).
    pub fn from_ranges(ranges: impl IntoIterator<Item = RangeInclusive<u32>>) -> Self {
        let mut sorted: Vec<RangeInclusive<u32>> = ranges.into_iter().filter(|r| r.start() <= r.end()).collect();
        sorted.sort_by_key(|r| *r.start());
        let mut merged: Vec<RangeInclusive<u32>> = Vec::with_capacity(sorted.len());
        for r in sorted {
            match merged.last_mut() {
                Some(last) if *r.start() <= last.end().saturating_add(1) => {
                    if r.end() > last.end() {
                        *last = *last.start()..=*r.end();
                    }
                }
                _ => merged.push(r),
            }
        }
        Self(merged)
    }

    /// The characters of `chars`.
    pub fn of(chars: &str) -> Self {
        Self::from_ranges(chars.chars().map(|c| u32::from(c)..=u32::from(c)))
    }

    /// This set and `other`.
    pub fn union(&self, other: &Self) -> Self {
        Self::from_ranges(self.0.iter().chain(&other.0).cloned())
    }

    /// Whether `c` is in the set.
    pub fn contains(&self, c: char) -> bool {
        let c = u32::from(c);
        self.0.iter().any(|r| r.contains(&c))
    }

    /// The ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[RangeInclusive<u32>] {
        &self.0
    }

    /// The body of a character class matching the set: `\uXXXX` escapes for the Basic
    /// Multilingual Plane, literal characters above it (surrogates, which no string holds, are
    /// left out).
    pub fn body(&self) -> String {
        let mut out = String::new();
        for r in &self.0 {
            let (lo, hi) = (*r.start(), *r.end());
            for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi.min(0xFFFF))] {
                if a <= b {
                    out.push_str(&format!("\\u{a:04X}"));
                    if b > a {
                        out.push_str(&format!("-\\u{b:04X}"));
                    }
                }
            }
            let (a, b) = (lo.max(0x1_0000), hi);
            if let (true, Some(a), Some(b)) = (a <= b, char::from_u32(a), char::from_u32(b)) {
                out.push(a);
                if b > a {
                    out.push('-');
                    out.push(b);
                }
            }
        }
        out
    }

    /// A class matching one character of the set.
    pub fn class(&self) -> String {
        format!("[{}]", self.body())
    }

    /// A class matching one character outside the set.
    pub fn negated(&self) -> String {
        format!("[^{}]", self.body())
    }
}

/// White_Space: what `str::trim` removes.
pub fn white_space() -> CharSet {
    CharSet::from_ranges(white_space_ranges())
}

/// Default_Ignorable_Code_Point: invisible characters (blank with White_Space).
pub fn default_ignorable() -> CharSet {
    CharSet::from_ranges(default_ignorable_ranges())
}

/// The invisible characters refused in emails and tags ([`REFUSED_INVISIBLE`]).
pub fn refused_invisible() -> CharSet {
    CharSet::from_ranges(
        REFUSED_INVISIBLE
            .iter()
            .map(|r| u32::from(*r.start())..=u32::from(*r.end())),
    )
}

/// The control characters (general category Cc, what `char::is_control` tests).
pub fn controls() -> CharSet {
    CharSet::from_ranges([0x00..=0x1F, 0x7F..=0x9F])
}

fn nul() -> CharSet {
    CharSet::of("\0")
}

/// `;` and U+037E GREEK QUESTION MARK (whose NFC form is `;`), refused in tags.
fn list_separators() -> CharSet {
    CharSet::of(";").union(&CharSet::of(&GREEK_QUESTION_MARK.to_string()))
}

/// What blank strings are made of: White_Space and Default_Ignorable characters.
fn blank_chars() -> CharSet {
    white_space().union(&default_ignorable())
}

/// One character that keeps a string from being blank: not White_Space, not Default_Ignorable,
/// not NUL (which free text loses). Unanchored: a string matches when it holds one.
pub fn not_blank_pattern() -> String {
    blank_chars().union(&nul()).negated()
}

/// A blank string (empty, or White_Space and Default_Ignorable characters only): an optional
/// formatted field sent blank is cleared.
pub fn blank_pattern() -> String {
    format!("^{}*$", blank_chars().class())
}

/// A tag: no `;`, U+037E or refused invisible character anywhere, and one character that is not
/// blank (other invisible characters such as ZWJ are allowed).
pub fn tag_pattern() -> String {
    let allowed = list_separators().union(&refused_invisible()).negated();
    let visible = list_separators().union(&blank_chars()).union(&nul()).negated();
    format!("^{allowed}*{visible}{allowed}*$")
}

/// A custom field's name: no NUL, and one character that is not blank.
pub fn custom_field_name_pattern() -> String {
    let any = nul().negated();
    let visible = blank_chars().union(&nul()).negated();
    format!("^{any}*{visible}{any}*$")
}

/// A DNS label: 1-63 ASCII letters, digits and hyphens, not starting or ending with a hyphen.
const HOST_LABEL: &str = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

/// An email address ([`moss_domain::text::EmailAddress`]) with its surrounding White_Space: a
/// local part of dot-separated runs of characters other than White_Space, controls,
/// `()<>,;:\"[]@`, U+037E and the refused invisible characters; `@`; a host name of one or more
/// labels. (Its 254 characters bound the host's 253.)
pub fn email_pattern() -> String {
    let ws = white_space().class();
    let local = CharSet::of(EMAIL_LOCAL_SPECIALS)
        .union(&CharSet::of("."))
        .union(&CharSet::of(&GREEK_QUESTION_MARK.to_string()))
        .union(&white_space())
        .union(&controls())
        .union(&refused_invisible())
        .negated();
    format!("^{ws}*{local}+(\\.{local}+)*@{HOST_LABEL}(\\.{HOST_LABEL})*{ws}*$")
}

/// A company's domain ([`moss_domain::company::Domain`]) with its surrounding White_Space: two
/// or more labels. (Its 253 characters bound the name.)
pub fn domain_pattern() -> String {
    let ws = white_space().class();
    format!("^{ws}*{HOST_LABEL}(\\.{HOST_LABEL})+{ws}*$")
}

/// A URL port: empty, or 1-5 ASCII digits of a value up to 65535.
const PORT: &str = "([0-9]{0,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

/// An IPv4 address in dotted decimal, as `std::net::Ipv4Addr` reads it inside an IPv6 one: four
/// numbers 0-255 without leading zeros.
const IPV4: &str = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";

/// An IPv6 address exactly as `std::net::Ipv6Addr::from_str` reads it (unanchored, for use
/// inside other patterns): eight groups of 1-4 hex digits, the last two of which may be an
/// embedded IPv4 address; or up to seven groups around one `::` (which stands for at least one
/// zero group), where only the groups after it may end in an IPv4 address.
pub fn ipv6_pattern() -> String {
    const H: &str = "[0-9A-Fa-f]{1,4}";
    let groups = |n: usize| -> String {
        // `n` groups, each followed by `:`.
        match n {
            0 => String::new(),
            1 => format!("{H}:"),
            n => format!("({H}:){{{n}}}"),
        }
    };
    let mut alternatives = vec![format!("{}{H}", groups(7)), format!("{}{IPV4}", groups(6))];
    for head in 0..=7usize {
        let head_part = if head == 0 {
            String::new()
        } else {
            format!("{}{H}", groups(head - 1))
        };
        // At most `7 - head` groups follow the `::`; an IPv4 address counts as two.
        let room = 7 - head;
        let tail = match room {
            0 => String::new(),
            1 => format!("({H})?"),
            2 => format!("({IPV4}|({H}:)?{H})?"),
            n => format!("(({H}:){{0,{}}}{IPV4}|({H}:){{0,{}}}{H})?", n - 2, n - 1),
        };
        alternatives.push(format!("{head_part}::{tail}"));
    }
    format!("({})", alternatives.join("|"))
}

/// An http(s) URL ([`moss_domain::text::HttpUrl`]) with its surrounding White_Space: the scheme
/// in any case; an optional user-info ending at the authority's last `@`; a host of ASCII labels
/// or a bracketed IPv6 address, with an optional port; then anything up to the end; no
/// White_Space or control character inside.
pub fn url_pattern() -> String {
    let ws = white_space().class();
    let visible = white_space().union(&controls());
    let userinfo = visible.union(&CharSet::of("/?#")).negated();
    let rest = visible.negated();
    let ipv6 = ipv6_pattern();
    format!(
        "^{ws}*[Hh][Tt][Tt][Pp][Ss]?://({userinfo}*@)?({HOST_LABEL}(\\.{HOST_LABEL})*(:{PORT})?|\\[{ipv6}\\](:{PORT})?)([/?#]{rest}*)?{ws}*$"
    )
}

/// The start of an RFC 3339 date-time as the server reads it (with `format: date-time`): `T`
/// between date and time, no leap second.
pub fn timestamp_pattern() -> String {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9]".to_owned()
}

/// A reference to a record of this TypeID prefix (`cmp_...` or the hyphenated UUID, any
/// case), with its surrounding White_Space (reference fields and list filters).
pub fn reference_pattern(prefix: &str) -> String {
    let ws = white_space().class();
    format!(
        "^{ws}*({prefix}_[0-7][0-9a-hjkmnp-tv-z]{{25}}|[0-9A-Fa-f]{{8}}-[0-9A-Fa-f]{{4}}-[0-9A-Fa-f]{{4}}-[0-9A-Fa-f]{{4}}-[0-9A-Fa-f]{{12}}){ws}*$"
    )
}

/// A company reference (the `company_id` field and filter).
pub fn company_ref_pattern() -> String {
    reference_pattern("cmp")
}

// ---------------------------------------------------------------------------------------------
// Request field schemas
// ---------------------------------------------------------------------------------------------

fn string_max(max: usize) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).max_length(Some(max))
}

fn nullable_type(t: Type) -> SchemaType {
    SchemaType::from_iter([t, Type::Null])
}

/// A required free-text field: at most `max` characters as sent, holding one that is not
/// White_Space, Default_Ignorable or NUL; never null.
fn required_text(max: usize, description: &str) -> Schema {
    string_max(max)
        .min_length(Some(1))
        .pattern(Some(not_blank_pattern()))
        .description(Some(description))
        .build()
        .into()
}

/// A required name or title of at most 200 characters (a contact's first name, a company's,
/// a deal's or a key's name, a follow-up's title).
fn required_name_in() -> Schema {
    required_text(
        MAX_NAME,
        "Required: at most 200 characters, not blank (White_Space and invisible characters alone are blank); trimmed.",
    )
}

/// An optional choice among `values` in a create, `null` meaning the server's default.
fn nullable_enum(values: &[&str], description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::String))
        .enum_values(Some(values.iter().map(|v| serde_json::json!(v)).chain([Value::Null])))
        .description(Some(description))
        .build()
        .into()
}

fn required_name_patch() -> Schema {
    required_text(
        MAX_NAME,
        "Required field: may be changed, never cleared (null or blank is refused); at most 200 characters.",
    )
}

/// An optional formatted field: null; blank (of any length: it clears the field); or a value of
/// at most `max` characters as sent, of the form `pattern`.
fn formatted_in(max: usize, pattern: String, description: &str) -> Schema {
    AnyOfBuilder::new()
        .item(string_max(max).pattern(Some(pattern)))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(blank_pattern()))
                .description(Some(
                    "Blank (only White_Space and invisible characters, or empty): clears the field.",
                )),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(description))
        .build()
        .into()
}

fn email_in() -> Schema {
    formatted_in(
        MAX_EMAIL,
        email_pattern(),
        "An email address, unique in the workspace: a local part (dot-separated runs without White_Space, \
         controls, `()<>,;:\\\"[]@` or bidi and zero-width characters), `@`, and a host name of ASCII labels \
         (punycode for others); at most 254 characters; trimmed. Blank or null clears it.",
    )
}

fn url_in() -> Schema {
    formatted_in(
        MAX_URL,
        url_pattern(),
        "An http(s) URL: a host of ASCII labels (punycode for others) or a bracketed IPv6 address, an \
         optional port up to 65535, no White_Space or control characters; at most 2048 characters; \
         trimmed. Blank or null clears it.",
    )
}

fn domain_in() -> Schema {
    formatted_in(
        MAX_HOST,
        domain_pattern(),
        "A host name such as `acme.com`, unique in the workspace: two or more ASCII labels (punycode for \
         others); at most 253 characters; trimmed and stored lower-cased. Blank or null clears it.",
    )
}

fn company_ref_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::String))
        .pattern(Some(format!("{}|{}", blank_pattern(), company_ref_pattern())))
        .description(Some(
            "An existing company of the workspace: `cmp_...` or its UUID; blank or null clears it. \
             A well-formed id of no company of the workspace answers 400.",
        ))
        .build()
        .into()
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

/// The names of a `custom_fields` object.
fn custom_field_names() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_CUSTOM_FIELD_NAME))
        .pattern(Some(custom_field_name_pattern()))
}

fn custom_fields_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable_type(Type::Object))
        .additional_properties(Some(custom_field_value()))
        .property_names(Some(custom_field_names()))
        .max_properties(Some(MAX_CUSTOM_FIELDS))
        .description(Some(
            "At most 100 fields; names 1-64 characters, not blank, without NUL; values are strings (up to \
             10,000 characters), numbers, booleans, null or lists of up to 50 strings of up to 200 \
             characters. Integers must fit 64 bits (signed).",
        ))
        .build()
        .into()
}

/// A PATCH's `custom_fields`: merged by name into the record's (a name sent with null is
/// removed, names not sent keep their values); never null as a whole.
fn custom_fields_patch() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(custom_field_value()))
        .property_names(Some(custom_field_names()))
        .max_properties(Some(MAX_CUSTOM_FIELDS))
        .description(Some(
            "Merged by name into the record's custom fields: each name sent is set, or removed when sent as \
             null; names not sent keep their values; null for the whole object is refused. At most 100 \
             fields after the merge; names and values as for a create.",
        ))
        .build()
        .into()
}

fn tags_in() -> Schema {
    ArrayBuilder::new()
        .schema_type(nullable_type(Type::Array))
        .items(string_max(MAX_TAG).min_length(Some(1)).pattern(Some(tag_pattern())))
        .max_items(Some(MAX_TAGS))
        .description(Some(
            "At most 50 tags of 1-64 characters, not blank, without `;` or bidi and zero-width characters; \
             duplicates (case-insensitive) are merged.",
        ))
        .build()
        .into()
}

// ---------------------------------------------------------------------------------------------
// Examples: one per component, what the docs page's "Try it out" sends (request bodies, which
// the server accepts) and shows (answers, which match their own schemas).
// ---------------------------------------------------------------------------------------------

const EXAMPLE_TIME: &str = "2026-02-08T12:00:00Z";

fn example_contact() -> Value {
    serde_json::json!({
        "id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq",
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane.smith@example.com",
        "phone": "+1 555 0100",
        "title": "CTO",
        "linkedin_url": "https://www.linkedin.com/in/janesmith",
        "company_id": null,
        "notes": "Met at the spring conference.",
        "tags": ["customer", "vip"],
        "custom_fields": {"tier": "gold", "seats": 25},
        "created_at": EXAMPLE_TIME,
        "updated_at": EXAMPLE_TIME,
    })
}

fn example_company() -> Value {
    serde_json::json!({
        "id": "cmp_01kgy2r7t0e3m9w2c5x8b6n4hr",
        "name": "Acme Inc.",
        "domain": "acme.com",
        "industry": "Manufacturing",
        "website": "https://acme.com",
        "phone": "+1 555 0199",
        "notes": "Key account.",
        "tags": ["enterprise"],
        "custom_fields": {"region": "EMEA"},
        "created_at": EXAMPLE_TIME,
        "updated_at": EXAMPLE_TIME,
    })
}

fn example_api_key() -> Value {
    serde_json::json!({
        "id": "key_01kgy2r7t0e3m9w2c5x8b6n4hs",
        "name": "CI pipeline",
        "scope": "read_only",
        "prefix": "moss_k_8Fh2q",
        "member_id": "usr_01kgy2r7t0e3m9w2c5x8b6n4ht",
        "expires_at": "2099-12-31T23:59:59Z",
        "last_used_at": null,
        "created_at": EXAMPLE_TIME,
    })
}

/// The example of a [`crate::wire`] component, by its schema name.
pub fn example(name: &str) -> Option<Value> {
    use serde_json::json;
    Some(match name {
        "Workspace" => json!({
            "id": "ws_01kgy2r7t0e3m9w2c5x8b6n4hv",
            "name": "Acme",
            "slug": "acme",
            "created_at": EXAMPLE_TIME,
            "updated_at": EXAMPLE_TIME,
        }),
        "Member" => json!({
            "id": "usr_01kgy2r7t0e3m9w2c5x8b6n4ht",
            "email": "owner@acme.com",
            "name": "Olivia Owner",
            "role": "owner",
            "created_at": EXAMPLE_TIME,
            "updated_at": EXAMPLE_TIME,
        }),
        "Role" => json!("owner"),
        "Scope" => json!("full"),
        "ApiKey" => example_api_key(),
        "CreatedApiKey" => {
            let mut key = example_api_key();
            if let Some(map) = key.as_object_mut() {
                map.insert("key".into(), json!("moss_k_8Fh2qXc4Lr9Tb1Wm6Ny3Pd7Vk2Js5Ga03GYbGh"));
            }
            key
        }
        "Contact" => example_contact(),
        "Company" => example_company(),
        "Tag" => json!({"name": "vip", "count": 12}),
        "AuditEntry" => json!({
            "id": "aud_01kgy2r7t0e3m9w2c5x8b6n4hw",
            "event_type": "contact.updated",
            "target_type": "contact",
            "target_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq",
            "actor_type": "api_key",
            "actor_id": "key_01kgy2r7t0e3m9w2c5x8b6n4hs",
            "request_id": "req_01kgy2r7t0e3m9w2c5x8b6n4hx",
            "ip": "203.0.113.7",
            "metadata": {"changes": {"title": {"old": "VP Engineering", "new": "CTO"}}},
            "created_at": EXAMPLE_TIME,
        }),
        "ListMeta" => json!({"page": 1, "per_page": 25, "total": 1, "total_pages": 1}),
        "ErrorCode" => json!("VALIDATION_ERROR"),
        "FieldDetail" => json!({"field": "email", "message": "must be a valid email address"}),
        "ErrorBody" => json!({
            "code": "VALIDATION_ERROR",
            "message": "Invalid email: must be a valid email address.",
            "details": [{"field": "email", "message": "must be a valid email address"}],
            "request_id": "req_01kgy2r7t0e3m9w2c5x8b6n4hx",
        }),
        "ErrorEnvelope" => json!({"error": example("ErrorBody")?}),
        "ContactCreate" => json!({
            "first_name": "Jane",
            "last_name": "Smith",
            "email": "jane.smith@example.com",
            "phone": "+1 555 0100",
            "title": "CTO",
            "linkedin_url": "https://www.linkedin.com/in/janesmith",
            "notes": "Met at the spring conference.",
            "tags": ["customer", "vip"],
            "custom_fields": {"tier": "gold", "seats": 25},
        }),
        "ContactUpdate" => json!({
            "title": "VP Engineering",
            "tags": ["customer", "vip", "champion"],
            "custom_fields": {"tier": "platinum"},
        }),
        "CompanyCreate" => json!({
            "name": "Acme Inc.",
            "domain": "acme.com",
            "industry": "Manufacturing",
            "website": "https://acme.com",
            "phone": "+1 555 0199",
            "notes": "Key account.",
            "tags": ["enterprise"],
            "custom_fields": {"region": "EMEA"},
        }),
        "CompanyUpdate" => json!({
            "industry": "Aerospace",
            "website": "https://www.acme.com/about",
            "tags": ["enterprise", "partner"],
        }),
        "ContactMerge" => json!({
            "source_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4j2",
            "target_id": "cnt_01kgy2r7t0e3m9w2c5x8b6n4hq",
        }),
        "MergeMoved" => json!({"interactions": 4, "commitments": 1, "followups": 2, "deal_links": 1}),
        "MergeResult" => json!({
            "contact": example_contact(),
            "moved": {"interactions": 4, "commitments": 1, "followups": 2, "deal_links": 1},
            "filled": ["phone", "tags"],
            "dry_run": false,
        }),
        "KeyCreate" => json!({
            "name": "CI pipeline",
            "scope": "read_only",
            "expires_at": "2099-12-31T23:59:59Z",
        }),
        _ => {
            return deal::example(name)
                .or_else(|| interaction::example(name))
                .or_else(|| engagement::example(name))
                .or_else(|| activity::example(name))
                .or_else(|| custom_field::example(name));
        }
    })
}

/// A schema reference by component name.
pub fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
}
