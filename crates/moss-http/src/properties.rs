//! Property tests of the HTTP adapter's readers of client input: request ids, raw bodies,
//! JSON bodies through the routes' create/update sequences, and `X-Forwarded-For`. No input
//! may panic, and every rejection is a VALIDATION_ERROR naming real fields. The per-route
//! query strings are in `routes::properties`.
//!
//! Each property runs [`CASES`] generated cases and writes no regression files; set
//! `PROPTEST_CASES` to run more locally.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::test::TestRequest;
use moss_domain::commitment::Commitment;
use moss_domain::company::Company;
use moss_domain::contact::Contact;
use moss_domain::deal::Deal;
use moss_domain::followup::FollowUp;
use moss_domain::id::{CompanyId, ContactId, RequestIdValue};
use moss_domain::interaction::Interaction;
use moss_domain::key::NewKey;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value as Json, json};

use crate::client_ip::TrustedProxies;
use crate::error::ApiError;
use crate::input::{self, Body};
use crate::middleware::{RequestId, is_valid_request_id};
use crate::routes::records;

/// Cases per property: enough to find the edges, small enough to keep `cargo test` fast.
pub(crate) const CASES: u32 = 256;

pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Characters on the edges of the parsers: separators, whitespace of every kind, controls,
/// multi-byte letters.
pub(crate) const EDGY: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{0}', '\u{7f}', '\u{a0}', '\u{3000}', '\u{feff}', '.', '@', ':', '/', '?', '#', '[', ']',
    '-', '_', '%', '+', '=', '&', '"', '\\', '*', '\'', ',', 'a', 'Z', '0', '9', 'é', 'İ', '漢', '😀',
];

/// Any text up to `max` characters: arbitrary code points, printable ASCII, or edge characters.
pub(crate) fn text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        vec(any::<char>(), 0..=max).prop_map(String::from_iter),
        vec(prop::char::range(' ', '~'), 0..=max).prop_map(String::from_iter),
        vec(select(EDGY), 0..=max).prop_map(String::from_iter),
    ]
    .boxed()
}

/// A UUID value in its hyphenated text form.
pub(crate) fn uuid_text(u: u128) -> String {
    let h = format!("{u:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The TypeID of a UUID value, for an id type given its reference parser.
pub(crate) fn typeid<T: std::fmt::Display>(u: u128, parse_reference: fn(&str) -> Option<T>) -> String {
    parse_reference(&uuid_text(u))
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// A run of one character whose length sits around a limit, sometimes padded with spaces.
fn around_limits() -> BoxedStrategy<String> {
    (
        select(&[50usize, 51, 64, 65, 200, 201, 254, 255, 2048, 2049, 10_000, 10_001][..]),
        select(&['a', 'é', ' '][..]),
        any::<bool>(),
    )
        .prop_map(|(n, c, pad)| {
            let run: String = std::iter::repeat_n(c, n).collect();
            if pad { format!(" {run} ") } else { run }
        })
        .boxed()
}

/// A string a client might send in a field: junk, blank, plausible, or around a limit.
fn string_value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => text(30),
        1 => "[ \t\n]{0,3}",
        2 => "[A-Za-z][A-Za-z '-]{0,20}",
        1 => "[a-z0-9.+]{1,10}@[a-z0-9-]{1,10}\\.[a-z]{2,4}",
        1 => "(https?|ftp|HTTPS)://[a-z0-9.-]{0,12}(:[0-9]{1,6})?(/[a-z]{0,5})?",
        1 => "[a-z0-9-]{1,10}(\\.[a-z]{2,5}){0,2}",
        1 => any::<u128>().prop_map(|u| typeid::<CompanyId>(u, CompanyId::parse_reference)),
        1 => any::<u128>().prop_map(|u| typeid::<ContactId>(u, ContactId::parse_reference)),
        1 => any::<u128>().prop_map(uuid_text),
        1 => select(&["full", "read_only", "admin", "2030-01-31T12:00:00Z", "2001-01-01T00:00:00Z", "tomorrow"][..])
            .prop_map(str::to_owned),
        1 => around_limits(),
    ]
    .boxed()
}

fn json_leaf() -> BoxedStrategy<Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)),
        string_value().prop_map(Json::String),
    ]
    .boxed()
}

/// Any JSON value, at most four levels deep.
fn json_value() -> BoxedStrategy<Json> {
    json_leaf()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Json::Array),
                vec((object_key(), inner), 0..6).prop_map(|kv| Json::Object(kv.into_iter().collect())),
            ]
        })
        .boxed()
}

fn object_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-z_]{1,12}",
        1 => text(10),
        1 => select(&["", " ", "tier", "a.b", "x[0]"][..]).prop_map(str::to_owned),
        1 => around_limits(),
    ]
    .boxed()
}

/// A value for a body field: usually a string, but any JSON type in any field, lists of
/// strings (and not), and objects of custom fields.
fn field_value() -> BoxedStrategy<Json> {
    prop_oneof![
        6 => string_value().prop_map(Json::String),
        2 => Just(Json::Null),
        2 => json_value(),
        2 => vec(prop_oneof![5 => string_value().prop_map(Json::String), 1 => json_leaf()], 0..6).prop_map(Json::Array),
        1 => vec("[a-z]{1,3}", 45..60).prop_map(|v| json!(v)),
        2 => vec((object_key(), json_value()), 0..6).prop_map(|kv| Json::Object(kv.into_iter().collect())),
        1 => vec(("[a-z]{1,8}", Just(Json::Null)), 98..106).prop_map(|kv| Json::Object(kv.into_iter().collect())),
    ]
    .boxed()
}

/// Keys no body accepts, or that look like accepted ones.
const STRANGERS: &[&str] = &[
    "id",
    "workspace_id",
    "created_at",
    "updated_at",
    "First_Name",
    "tags ",
    "custom_fields.tier",
    "tags[0]",
    "key",
    "",
];

/// A value of the right type and form for a field: what a well-behaved client sends.
fn good_value(field: &str) -> BoxedStrategy<Json> {
    let name = "[A-Za-z][A-Za-z '-]{0,30}";
    let url = "(https?|HTTPS)://[a-z0-9]{1,10}\\.[a-z]{2,4}(:[0-9]{1,4})?(/[a-z0-9]{0,8})?";
    let string = |s: &'static str| s.prop_map(Json::String).boxed();
    let optional = |s: BoxedStrategy<Json>| prop_oneof![4 => s, 1 => Just(Json::Null)].boxed();
    match field {
        "first_name" | "name" => string(name),
        "last_name" | "title" | "industry" => optional(string(name)),
        "email" => optional(string("[a-z0-9+]{1,10}(\\.[a-z0-9]{1,5})?@[a-z0-9]{1,10}\\.[a-z]{2,4}")),
        "phone" => optional(string("\\+?[0-9 ()-]{0,20}")),
        "linkedin_url" | "website" => optional(string(url)),
        "domain" => optional(string("[a-z0-9]{1,10}\\.[a-z]{2,4}")),
        "company_id" => optional(
            prop_oneof![
                any::<u128>().prop_map(|u| typeid::<CompanyId>(u, CompanyId::parse_reference)),
                any::<u128>().prop_map(uuid_text),
            ]
            .prop_map(Json::String)
            .boxed(),
        ),
        "notes" => optional(text(100).prop_map(Json::String).boxed()),
        "tags" => optional(
            vec("[A-Za-z0-9][A-Za-z0-9 ]{0,19}", 0..8)
                .prop_map(|t| json!(t))
                .boxed(),
        ),
        "custom_fields" => optional(
            vec(
                (
                    "[a-z_]{1,12}",
                    prop_oneof![
                        Just(Json::Null),
                        any::<bool>().prop_map(Json::Bool),
                        any::<i64>().prop_map(Json::from),
                        text(20).prop_map(Json::String),
                        vec("[a-z]{0,8}", 0..4).prop_map(|l| json!(l)),
                    ],
                ),
                0..5,
            )
            .prop_map(|kv| Json::Object(kv.into_iter().collect()))
            .boxed(),
        ),
        "scope" => optional(string("full|read_only")),
        "expires_at" => optional(
            (2100u32..2999, 1u32..=12, 1u32..=28)
                .prop_map(|(y, m, d)| json!(format!("{y}-{m:02}-{d:02}T12:00:00Z")))
                .boxed(),
        ),
        _ => field_value(),
    }
}

/// A body for a route whose fields are `fields`, of three kinds: a well-formed object with
/// now and then a field or two replaced by any JSON value or an unknown key added; an object
/// whose keys are mostly the real field names with values of random types; or any JSON value.
fn body(fields: &'static [&'static str]) -> BoxedStrategy<Json> {
    let key = || {
        prop_oneof![
            8 => select(fields).prop_map(str::to_owned),
            1 => select(STRANGERS).prop_map(str::to_owned),
            1 => text(12),
        ]
    };
    let good: Vec<_> = fields
        .iter()
        .map(|f| {
            let presence = if *f == "first_name" || *f == "name" { 0.95 } else { 0.7 };
            prop::option::weighted(presence, good_value(f)).prop_map(move |v| (*f, v))
        })
        .collect();
    let mostly_good = (good, vec((key(), field_value()), 0..3)).prop_map(|(good, bad)| {
        let mut map: Map<String, Json> = good.into_iter().filter_map(|(f, v)| Some((f.to_owned(), v?))).collect();
        map.extend(bad);
        Json::Object(map)
    });
    prop_oneof![
        5 => mostly_good,
        4 => vec((key(), field_value()), 0..12).prop_map(|kv| Json::Object(kv.into_iter().collect::<Map<_, _>>())),
        1 => json_value(),
    ]
    .boxed()
}

pub(crate) fn json_request() -> HttpRequest {
    TestRequest::default()
        .insert_header(("content-type", "application/json"))
        .to_http_request()
}

// ---------------------------------------------------------------------------------------------
// The routes' body sequences (the record routes read bodies with `records::read_create`/`read_update`)
// ---------------------------------------------------------------------------------------------

fn parse_body<T>(
    body: &Json,
    read: impl FnOnce(&mut Body) -> Result<T, Vec<moss_domain::FieldError>>,
) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(body).expect("a JSON value serializes");
    let mut b = input::json_object(&json_request(), &bytes)?;
    let parsed = read(&mut b);
    b.finish(parsed).map(drop)
}

pub(crate) fn contact_create(body: &Json) -> Result<(), ApiError> {
    parse_body(body, records::read_create::<Contact>)
}

pub(crate) fn contact_update(body: &Json) -> Result<(), ApiError> {
    parse_body(body, records::read_update::<Contact>)
}

pub(crate) fn company_create(body: &Json) -> Result<(), ApiError> {
    parse_body(body, records::read_create::<Company>)
}

pub(crate) fn company_update(body: &Json) -> Result<(), ApiError> {
    parse_body(body, records::read_update::<Company>)
}

/// As `routes::keys::create`.
pub(crate) fn key_create(body: &Json) -> Result<(), ApiError> {
    parse_body(body, |b| {
        let name = b.string("name");
        let scope = b.string("scope");
        let expires_at = b.string("expires_at");
        NewKey::parse(
            name.as_deref().unwrap_or(""),
            scope.as_deref(),
            expires_at.as_deref(),
            moss_domain::time::now(),
        )
    })
}

const CONTACT_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "linkedin_url",
    "company_id",
    "notes",
    "tags",
    "custom_fields",
];
const COMPANY_FIELDS: &[&str] = &[
    "name",
    "domain",
    "industry",
    "website",
    "phone",
    "notes",
    "tags",
    "custom_fields",
];
const KEY_FIELDS: &[&str] = &["name", "scope", "expires_at"];
const DEAL_FIELDS: &[&str] = &[
    "name",
    "stage",
    "value",
    "currency",
    "expected_close",
    "company_id",
    "notes",
    "lost_reason",
    "tags",
    "custom_fields",
];
const BULK_FIELDS: &[&str] = &["deal_ids", "stage", "lost_reason"];
const INTERACTION_FIELDS: &[&str] = &["contact_id", "type", "deal_id", "notes", "occurred_at"];
const COMMITMENT_FIELDS: &[&str] = &["contact_id", "description", "deal_id", "due_date", "status"];
const FOLLOWUP_FIELDS: &[&str] = &[
    "contact_id",
    "title",
    "deal_id",
    "due_date",
    "priority",
    "notes",
    "completed",
];

pub(crate) fn deal_create(body: &Json) -> Result<(), ApiError> {
    parse_body(body, records::read_create::<Deal>)
}

pub(crate) fn deal_update(body: &Json) -> Result<(), ApiError> {
    parse_body(body, records::read_update::<Deal>)
}

/// Whether `field` is a path into `map` for a route reading `fields`: a field, an item of a
/// list field (`tags[3]`), a key of an object field (`custom_fields.tier`) or an item of a list
/// under it (`custom_fields.tier[0]`).
fn is_path_into(field: &str, map: &Map<String, Json>, fields: &[&str]) -> bool {
    if fields.contains(&field) {
        return true;
    }
    fields.iter().any(|name| match map.get(*name) {
        Some(Json::Array(items)) => (0..items.len()).any(|i| field == format!("{name}[{i}]")),
        Some(Json::Object(m)) => m.iter().any(|(k, v)| {
            let path = format!("{name}.{k}");
            field == path
                || matches!(v, Json::Array(items) if (0..items.len()).any(|j| field == format!("{path}[{j}]")))
        }),
        _ => false,
    })
}

/// The paths (`a.b[2].c`) of every integer in `map` outside the signed 64-bit range, at any depth.
fn out_of_range_paths(map: &Map<String, Json>) -> Vec<String> {
    fn walk(v: &Json, path: String, out: &mut Vec<String>) {
        match v {
            Json::Number(n) if n.is_u64() && n.as_i64().is_none() => out.push(path),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{i}]"), out);
                }
            }
            Json::Object(m) => {
                for (k, item) in m {
                    walk(item, format!("{path}.{k}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in map {
        walk(v, k.clone(), &mut out);
    }
    out
}

/// Checks an answer to `body` on a route reading `fields`.
fn check_answer(answer: Result<(), ApiError>, body: &Json, fields: &[&str]) -> Result<(), TestCaseError> {
    let unknown: Vec<&String> = match body {
        Json::Object(map) => map.keys().filter(|k| !fields.contains(&k.as_str())).collect(),
        _ => Vec::new(),
    };
    let err = match answer {
        Ok(()) => {
            prop_assert!(body.is_object(), "accepted a body that is not an object");
            prop_assert!(unknown.is_empty(), "accepted unknown fields {:?}", unknown);
            return Ok(());
        }
        Err(err) => err,
    };
    prop_assert_eq!(err.status, StatusCode::BAD_REQUEST);
    prop_assert_eq!(err.code, "VALIDATION_ERROR");
    prop_assert!(!err.message.is_empty());
    let details = err.details.clone().unwrap_or_default();
    prop_assert!(!details.is_empty(), "a 400 without details");
    let Json::Object(map) = body else {
        prop_assert_eq!(details.len(), 1);
        prop_assert_eq!(details[0].field.as_str(), "body");
        return Ok(());
    };
    for d in &details {
        prop_assert!(!d.message.is_empty(), "empty message for {:?}", d.field);
        let is_unknown = unknown.contains(&&d.field) && d.message == "unknown field";
        let out_of_range =
            d.message.starts_with("must be an integer from") && out_of_range_paths(map).contains(&d.field);
        // The one path that is empty is that of a key that is itself empty, named as sent: as
        // unknown, or for an out-of-range integer under it.
        prop_assert!(
            !d.field.is_empty() || is_unknown || out_of_range,
            "an empty field name: {:?}",
            d
        );
        prop_assert!(
            is_unknown || out_of_range || is_path_into(&d.field, map, fields),
            "{:?} is not a path into the body",
            d
        );
    }
    for k in unknown {
        prop_assert!(details.iter().any(|d| &d.field == k), "unknown field {:?} not named", k);
    }
    let rendered = err.body("req_test");
    prop_assert_eq!(
        rendered["error"]["details"].as_array().map(Vec::len),
        Some(details.len())
    );
    Ok(())
}

/// The oracle of [`input::json_object`]: a JSON object (duplicate keys aside).
fn parses_as_object(bytes: &[u8]) -> Option<bool> {
    serde_json::from_slice::<Json>(bytes).ok().map(|v| v.is_object())
}

/// Bytes that are not quite JSON: a JSON text cut, spliced or salted with random bytes, a
/// deeply nested document, or raw bytes.
fn body_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..64),
        2 => vec(select(&b"{}[]\":,0123456789.eE+-tfnrule \t\n\\/\x00\xff\xc3"[..]), 0..64),
        3 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        3 => (json_value(), any::<prop::sample::Index>(), vec(any::<u8>(), 0..4)).prop_map(|(v, at, junk)| {
            let mut bytes = serde_json::to_vec(&v).unwrap_or_default();
            let i = at.index(bytes.len() + 1);
            bytes.splice(i..i, junk);
            bytes
        }),
        2 => (json_value(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
            let bytes = serde_json::to_vec(&v).unwrap_or_default();
            let i = at.index(bytes.len() + 1);
            bytes[..i].to_vec()
        }),
        1 => (1usize..50_000, select(&["[", "{\"a\":", "{\"tags\":[", "[{\"\":"][..]), any::<bool>()).prop_map(
            |(depth, open, object)| {
                let mut s = String::from(if object { "{\"custom_fields\":" } else { "" });
                s.push_str(&open.repeat(depth));
                s.into_bytes()
            },
        ),
        1 => (1usize..2_000, any::<bool>()).prop_map(|(depth, object)| {
            let inner = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let doc = if object { format!("{{\"custom_fields\":{{\"x\":{inner}}}}}") } else { inner };
            doc.into_bytes()
        }),
        1 => Just(b"{\"first_name\":\"a\",\"first_name\":\"b\"}".to_vec()),
    ]
    .boxed()
}

fn ip() -> BoxedStrategy<IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        (0u8..4).prop_map(|last| IpAddr::from([10, 0, 0, last])),
        any::<u128>().prop_map(|v| IpAddr::from(std::net::Ipv6Addr::from(v))),
        Just(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
    ]
    .boxed()
}

fn hop() -> BoxedStrategy<String> {
    prop_oneof![
        4 => ip().prop_map(|i| i.to_string()),
        1 => ip().prop_map(|i| format!(" {i} ")),
        1 => text(12),
        1 => Just(String::new()),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config())]

    // ----- X-Request-Id ----------------------------------------------------------------------

    #[test]
    fn request_id_is_used_when_1_to_200_chars_of_the_allowed_set(raw in prop_oneof![
        text(30),
        "[A-Za-z0-9._:+/=-]{1,200}",
        "[A-Za-z0-9._:+/=-]{195,210}",
        "[A-Za-z0-9._:+/= -]{0,20}",
    ]) {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:+/=-".contains(c);
        let valid = (1..=200).contains(&raw.chars().count()) && raw.chars().all(allowed);
        prop_assert_eq!(is_valid_request_id(&raw), valid, "{:?}", raw);
    }

    #[test]
    fn any_request_id_header_yields_a_usable_id(bytes in prop_oneof![
        vec(any::<u8>(), 0..40),
        "[A-Za-z0-9._:+/=-]{1,220}".prop_map(String::into_bytes),
    ]) {
        let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
        let id = RequestId::from_header(Some(&value));
        if value.to_str().is_ok_and(is_valid_request_id) {
            prop_assert_eq!(id.0.as_bytes(), &bytes[..]);
        } else {
            prop_assert!(RequestIdValue::parse(&id.0).is_some(), "{:?}", id);
        }
        prop_assert!(HeaderValue::from_str(&id.0).is_ok());
    }

    // ----- Raw bodies ------------------------------------------------------------------------

    #[test]
    fn any_bytes_are_read_or_refused_naming_the_body(bytes in body_bytes()) {
        match input::json_object(&json_request(), &bytes) {
            Ok(_) => prop_assert_eq!(parses_as_object(&bytes), Some(true)),
            Err(e) => {
                prop_assert_eq!(e.status, StatusCode::BAD_REQUEST);
                prop_assert_eq!(e.code, "VALIDATION_ERROR");
                let fields: Vec<String> = e.details.unwrap_or_default().into_iter().map(|d| d.field).collect();
                prop_assert_eq!(fields, vec!["body".to_owned()]);
            }
        }
    }

    #[test]
    fn a_content_type_is_json_or_refused_with_415(
        content_type in prop_oneof![
            "[ -~]{0,40}",
            select(&["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json",
                     "text/json", "application/jsonx", "application/x-www-form-urlencoded", " application/json ",
                     "application/+json", ";"][..]).prop_map(str::to_owned),
        ],
        body in prop_oneof![Just("{}".to_owned()), Just("[]".to_owned()), text(10)],
    ) {
        let req = TestRequest::default().insert_header(("content-type", content_type.as_str())).to_http_request();
        let as_json = input::json_object(&json_request(), body.as_bytes()).map(drop).map_err(|e| e.status);
        match input::json_object(&req, body.as_bytes()).map(drop).map_err(|e| (e.status, e.details)) {
            Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, details)) => {
                let fields: Vec<String> = details.unwrap_or_default().into_iter().map(|d| d.field).collect();
                prop_assert_eq!(fields, vec!["body".to_owned()]);
            }
            other => prop_assert_eq!(other.map_err(|(s, _)| s), as_json),
        }
    }

    // ----- JSON bodies through the routes' sequences -----------------------------------------

    #[test]
    fn contact_create_bodies_are_checked_field_by_field(body in body(CONTACT_FIELDS)) {
        check_answer(contact_create(&body), &body, CONTACT_FIELDS)?;
    }

    #[test]
    fn contact_update_bodies_are_checked_field_by_field(body in body(CONTACT_FIELDS)) {
        check_answer(contact_update(&body), &body, CONTACT_FIELDS)?;
    }

    #[test]
    fn company_create_bodies_are_checked_field_by_field(body in body(COMPANY_FIELDS)) {
        check_answer(company_create(&body), &body, COMPANY_FIELDS)?;
    }

    #[test]
    fn company_update_bodies_are_checked_field_by_field(body in body(COMPANY_FIELDS)) {
        check_answer(company_update(&body), &body, COMPANY_FIELDS)?;
    }

    #[test]
    fn deal_bodies_are_checked_field_by_field(body in body(DEAL_FIELDS)) {
        check_answer(deal_create(&body), &body, DEAL_FIELDS)?;
        check_answer(deal_update(&body), &body, DEAL_FIELDS)?;
    }

    #[test]
    fn interaction_bodies_are_checked_field_by_field(body in body(INTERACTION_FIELDS)) {
        check_answer(parse_body(&body, records::read_create::<Interaction>), &body, INTERACTION_FIELDS)?;
    }

    #[test]
    fn commitment_bodies_are_checked_field_by_field(body in body(COMMITMENT_FIELDS)) {
        check_answer(parse_body(&body, records::read_create::<Commitment>), &body, COMMITMENT_FIELDS)?;
        check_answer(parse_body(&body, records::read_update::<Commitment>), &body, COMMITMENT_FIELDS)?;
    }

    #[test]
    fn followup_bodies_are_checked_field_by_field(body in body(FOLLOWUP_FIELDS)) {
        check_answer(parse_body(&body, records::read_create::<FollowUp>), &body, FOLLOWUP_FIELDS)?;
        check_answer(parse_body(&body, records::read_update::<FollowUp>), &body, FOLLOWUP_FIELDS)?;
    }

    #[test]
    fn stage_move_bodies_are_checked_field_by_field(body in body(BULK_FIELDS)) {
        check_answer(parse_body(&body, crate::routes::deals::read_bulk_move), &body, BULK_FIELDS)?;
        let single: &[&str] = &["stage", "lost_reason"];
        check_answer(parse_body(&body, crate::routes::deals::read_stage_move), &body, single)?;
    }

    #[test]
    fn key_create_bodies_are_checked_field_by_field(body in body(KEY_FIELDS)) {
        check_answer(key_create(&body), &body, KEY_FIELDS)?;
    }

    #[test]
    fn a_wrong_json_type_is_reported_once_as_a_type_error(
        field in select(CONTACT_FIELDS),
        value in prop_oneof![any::<bool>().prop_map(Json::Bool), any::<i64>().prop_map(Json::from),
                             Just(json!({"a": 1})), Just(json!([1, "x"])), Just(json!("text"))],
    ) {
        let body = json!({ "first_name": "Jane", field: value });
        let expected_ok = match (field, &body[field]) {
            ("tags", Json::Array(items)) => items.iter().all(Json::is_string),
            ("tags", _) => false,
            ("custom_fields", v) => v.is_object(),
            (_, v) => v.is_string(),
        };
        for answer in [contact_create(&body), contact_update(&body)] {
            if expected_ok {
                // A string or a list of strings may still break a domain rule; never a type rule.
                if let Err(e) = answer {
                    prop_assert!(e.details.unwrap_or_default().iter().all(|d| !d.message.contains(" not ")));
                }
            } else {
                let e = answer.expect_err("a wrong JSON type is refused");
                let details = e.details.unwrap_or_default();
                prop_assert!(!details.is_empty());
                prop_assert!(details.iter().all(|d| d.field == field || d.field.starts_with(&format!("{field}["))), "{:?}", details);
            }
        }
    }

    // ----- X-Forwarded-For and MOSS_TRUSTED_PROXIES -----------------------------------------

    #[test]
    fn trusted_proxy_lists_parse_or_name_the_variable(raw in prop_oneof![
        text(40),
        vec(prop_oneof![
            ip().prop_map(|i| i.to_string()),
            (ip(), 0u8..=130).prop_map(|(i, p)| format!("{i}/{p}")),
            "[ ]{0,2}",
        ], 0..5).prop_map(|v| v.join(",")),
    ]) {
        if let Err(e) = raw.parse::<TrustedProxies>() {
            prop_assert!(e.starts_with("MOSS_TRUSTED_PROXIES"), "{}", e);
        }
    }

    #[test]
    fn the_client_ip_is_the_right_most_untrusted_hop(
        peer in ip(),
        trusted in vec(prop_oneof![Just("10.0.0.0/8".to_owned()), Just("::1".to_owned()), ip().prop_map(|i| i.to_string())], 0..3),
        headers in vec(vec(hop(), 0..4).prop_map(|h| h.join(",")), 0..3),
        spoofed in vec(hop(), 0..4),
    ) {
        let proxies: TrustedProxies = trusted.join(",").parse().expect("addresses and CIDRs parse");
        let trusts = |ip: IpAddr| trusted.iter().any(|t| {
            t.parse::<ipnet::IpNet>().map(|n| n.contains(&ip)).unwrap_or_else(|_| t.parse() == Ok(ip))
        });
        let client = proxies.resolve(peer, headers.iter().map(String::as_str));
        let hops: Vec<IpAddr> = headers.iter().flat_map(|h| h.split(',')).filter_map(|h| h.trim().parse().ok()).collect();
        let Some(client) = client else { return Err(TestCaseError::fail("no client address")) };
        if !trusts(peer) {
            // An untrusted peer's X-Forwarded-For is never believed.
            prop_assert_eq!(client, peer);
        } else {
            prop_assert!(client == peer || hops.contains(&client));
        }
        if !trusts(client) {
            // Whatever the client put to the left of the hop that was found changes nothing.
            let mut with_spoof = vec![spoofed.join(",")];
            with_spoof.extend(headers.iter().cloned());
            prop_assert_eq!(proxies.resolve(peer, with_spoof.iter().map(String::as_str)), Some(client));
        }
    }
}
