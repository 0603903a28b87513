//! Reading client input: query strings and JSON bodies, collecting every field error.

use std::collections::{BTreeMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use moss_domain::FieldError;
use moss_domain::error::Errors;
use moss_domain::page::{PageRequest, SortField};
use moss_domain::record::Form;
use moss_domain::value::{Number, Patch, Value};
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use crate::error::ApiError;

/// A route's query parameters, checked against the names it accepts. Problems are collected
/// while the values are parsed, so every bad parameter is reported at once.
#[derive(Debug)]
pub struct Query {
    values: BTreeMap<String, String>,
    errors: Errors,
}

impl Query {
    /// Parses the query string; unknown or repeated parameters are recorded as errors.
    pub fn parse(req: &HttpRequest, allowed: &[&str]) -> Result<Self, ApiError> {
        Self::parse_strict(req, allowed, &[])
    }

    /// [`Query::parse`], where the parameters named in `strict` (and the paging ones) keep NUL,
    /// which their parsers refuse, while free-text ones drop it like bodies do.
    pub fn parse_strict(req: &HttpRequest, allowed: &[&str], strict: &[&str]) -> Result<Self, ApiError> {
        Self::parse_list(req, allowed, strict, None)
    }

    /// [`Query::parse_strict`], where names starting with `prefix` (a list's `cf.<name>`) are
    /// accepted too, their values free text.
    pub fn parse_list(
        req: &HttpRequest,
        allowed: &[&str],
        strict: &[&str],
        prefix: Option<&str>,
    ) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
            .map_err(|_| ApiError::field("query", "the query string could not be decoded"))?;
        if pairs.len() > MAX_QUERY_PARAMS {
            return Err(ApiError::field(
                "query",
                format!("at most {MAX_QUERY_PARAMS} query parameters are accepted"),
            ));
        }
        let mut errors = Errors::new();
        let mut values = BTreeMap::new();
        for (name, value) in pairs {
            let prefixed = prefix.is_some_and(|p| name.len() > p.len() && name.starts_with(p));
            if !allowed.contains(&name.as_str()) && !prefixed {
                let hint = if allowed.is_empty() {
                    "this route takes no query parameters".to_owned()
                } else {
                    format!("allowed: {}", allowed.join(", "))
                };
                errors.push(&name, format!("unknown query parameter; {hint}"));
            } else if let std::collections::btree_map::Entry::Vacant(slot) = values.entry(name.clone()) {
                let strict = PAGINATION.contains(&name.as_str()) || strict.contains(&name.as_str());
                slot.insert(if strict { value } else { strip_nul(value) });
            } else {
                errors.push(&name, "must be given at most once");
            }
        }
        Ok(Self { values, errors })
    }

    /// The parameters whose names start with `prefix`, without it, with their values, in name
    /// order.
    pub fn prefixed(&self, prefix: &str) -> Vec<(String, String)> {
        self.values
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_owned(), v.clone())))
            .collect()
    }

    /// Takes `sort` when its value starts with `prefix` (`sort=cf.tier`): the rest, and the
    /// page's own sort is then left at its default.
    pub fn take_sort_prefixed(&mut self, prefix: &str) -> Option<String> {
        let rest = self.values.get("sort")?.strip_prefix(prefix)?.to_owned();
        self.values.remove("sort");
        Some(rest)
    }

    /// Refuses any query parameter (for routes that take none).
    pub fn none(req: &HttpRequest) -> Result<(), ApiError> {
        Self::parse(req, &[])?.finish(Some(()))
    }

    /// The value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Keeps a parsed value, or records its errors.
    pub fn take<T>(&mut self, r: Result<T, Vec<FieldError>>) -> Option<T> {
        self.errors.take(r)
    }

    /// Parses `page`, `per_page`, `sort` and `order` against the sort allow-list `S`.
    pub fn page<S: SortField>(&mut self) -> Option<PageRequest<S>> {
        let r = PageRequest::parse(
            self.get("page"),
            self.get("per_page"),
            self.get("sort"),
            self.get("order"),
        );
        self.take(r)
    }

    /// The parsed value, or a 400 naming every bad parameter.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        self.errors.finish().map_err(ApiError::validation)?;
        value.ok_or_else(|| ApiError::internal("query parsed without errors but without a value"))
    }
}

/// Most query parameters a request may carry.
pub const MAX_QUERY_PARAMS: usize = 32;

/// The parameters every list accepts.
pub const PAGINATION: [&str; 4] = ["page", "per_page", "sort", "order"];

/// A JSON object body whose fields are read one by one; every problem is collected.
#[derive(Debug)]
pub struct Body {
    map: Map<String, Json>,
    errors: Errors,
    known: HashSet<&'static str>,
    bad: HashSet<String>,
    /// Out-of-range integers found while parsing, by the top-level field they are in; reported
    /// for fields the route reads (an unknown field is reported as unknown, and no more).
    numbers: Vec<(String, Vec<FieldError>)>,
}

/// Reads the request body, refusing more than [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES) with 413
/// and a body that has not fully arrived within `deadline` with 408. Handlers call this after
/// their `Caller<P>` extractor, so authentication (401) and scope (403) are always decided
/// before the body is read.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: impl futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
    deadline: std::time::Duration,
) -> Result<web::Bytes, ApiError> {
    let limit = crate::MAX_BODY_BYTES;
    let too_large = || {
        ApiError::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body",
            format!("The request body is larger than {limit} bytes."),
        )
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| payload_error(&e))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    match actix_web::rt::time::timeout(deadline, read).await {
        Ok(body) => body,
        Err(_elapsed) => Err(ApiError::with_status(
            StatusCode::REQUEST_TIMEOUT,
            "body",
            format!(
                "The request body did not arrive within {} seconds; send it faster or in full.",
                deadline.as_secs()
            ),
        )),
    }
}

/// What went wrong while a body was arriving, in our words (never the framework's).
fn payload_error(e: &actix_web::error::PayloadError) -> ApiError {
    use actix_web::error::PayloadError;
    let message = match e {
        PayloadError::Incomplete(_) => "the body ended before its declared length (Content-Length) or its last chunk",
        PayloadError::EncodingCorrupted => "the body's transfer or content encoding is malformed",
        PayloadError::Overflow => {
            return ApiError::with_status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body",
                format!("The request body is larger than {} bytes.", crate::MAX_BODY_BYTES),
            );
        }
        _ => "the body could not be read",
    };
    ApiError::field("body", message)
}

/// Checks the content type and parses the body as a JSON object.
pub fn json_object(req: &HttpRequest, bytes: &[u8]) -> Result<Body, ApiError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !content_type.is_some_and(is_json_utf8) {
        return Err(ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body",
            "The request body must be JSON in UTF-8 (Content-Type: application/json).",
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field("body", "a JSON object is required"));
    }
    match serde_json::from_slice::<TopLevel>(bytes) {
        Ok(TopLevel::Object(entries)) => {
            let mut body = Body {
                map: Map::new(),
                errors: Errors::new(),
                known: HashSet::new(),
                bad: HashSet::new(),
                numbers: Vec::new(),
            };
            for (name, raw) in entries {
                // Field names stay as sent (an unknown name is refused as written).
                let mut numbers = Errors::new();
                let value = checked(&raw, &name, 1, &mut numbers)
                    .map_err(|e| ApiError::field("body", format!("malformed JSON: {e}")))?;
                if !numbers.is_empty() {
                    body.bad.insert(name.clone());
                    body.numbers.push((name.clone(), numbers.into_vec()));
                }
                body.map.insert(name, value);
            }
            Ok(body)
        }
        Ok(TopLevel::Other) => Err(ApiError::field("body", "must be a JSON object")),
        Err(e) => Err(ApiError::field("body", format!("malformed JSON: {e}"))),
    }
}

/// `application/json` or `application/*+json`, in UTF-8: a `charset` parameter, when sent, must
/// name UTF-8 (JSON has no other encoding; RFC 8259).
fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
    json && parts.all(|param| {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        !name.trim().eq_ignore_ascii_case("charset") || value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    })
}

/// Removes NUL (U+0000) characters from a query value used as free text (the body's free text
/// is cleaned the same way by the domain's text rules, `moss_domain::text`).
pub fn strip_nul(s: String) -> String {
    if s.contains('\0') { s.replace('\0', "") } else { s }
}

/// Parses one JSON value from its raw text, checking every integer literal: one outside the
/// signed 64-bit range is recorded as an error at its path (`custom_fields.big`,
/// `custom_fields.list[2]`) and read as `null`, never silently turned into a float. Nested
/// objects may not repeat a key either.
fn checked(raw: &RawValue, path: &str, depth: usize, errors: &mut Errors) -> Result<Json, serde_json::Error> {
    if depth > MAX_JSON_DEPTH {
        // The document's parse skipped over this value without descending into it.
        return Err(serde::de::Error::custom("nested too deeply"));
    }
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'{') => {
            let Entries(entries) = serde_json::from_str(text)?;
            let mut map = Map::new();
            for (key, value) in entries {
                let value = checked(&value, &format!("{path}.{key}"), depth + 1, errors)?;
                map.insert(key, value);
            }
            Ok(Json::Object(map))
        }
        Some(b'[') => {
            let items: Vec<Box<RawValue>> = serde_json::from_str(text)?;
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                list.push(checked(item, &format!("{path}[{i}]"), depth + 1, errors)?);
            }
            Ok(Json::Array(list))
        }
        Some(b'-' | b'0'..=b'9') if !text.contains(['.', 'e', 'E']) => match text.parse::<i64>() {
            Ok(n) => Ok(Json::from(n)),
            Err(_) => {
                errors.push(
                    path,
                    format!(
                        "must be an integer from {} to {} (a larger one would lose digits)",
                        i64::MIN,
                        i64::MAX
                    ),
                );
                Ok(Json::Null)
            }
        },
        _ => serde_json::from_str(text),
    }
}

/// How deeply a body's values may nest (serde_json's own limit for a document).
const MAX_JSON_DEPTH: usize = 128;

/// The members of a JSON object in their order, refusing a repeated key.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, access: A) -> Result<Entries, A::Error> {
                read_entries(access).map(Entries)
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// Reads an object's members, refusing a repeated key: `{"a": 1, "a": 2}` is ambiguous, so it
/// is refused rather than silently keeping one of the values.
fn read_entries<'de, A: serde::de::MapAccess<'de>>(mut access: A) -> Result<Vec<(String, Box<RawValue>)>, A::Error> {
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    while let Some(key) = access.next_key::<String>()? {
        let value: Box<RawValue> = access.next_value()?;
        if !seen.insert(key.clone()) {
            return Err(serde::de::Error::custom(format!("duplicate field {key:?}")));
        }
        entries.push((key, value));
    }
    Ok(entries)
}

/// A JSON document: an object's members, or anything else (refused by the caller).
enum TopLevel {
    Object(Vec<(String, Box<RawValue>)>),
    Other,
}

impl<'de> serde::Deserialize<'de> for TopLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> serde::de::Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, access: A) -> Result<TopLevel, A::Error> {
        read_entries(access).map(TopLevel::Object)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut access: A) -> Result<TopLevel, A::Error> {
        while access.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_unit<E>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

impl Form for Body {
    fn string(&mut self, name: &'static str) -> Patch<String> {
        self.patch_string(name)
    }
    fn number(&mut self, name: &'static str) -> Patch<Number> {
        self.patch_number(name)
    }
    fn boolean(&mut self, name: &'static str) -> Patch<bool> {
        match self.take(name) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(Json::Bool(b)) => Patch::Set(b),
            Some(other) => {
                self.wrong_type(name, "a boolean", &other);
                Patch::Absent
            }
        }
    }
    fn strings(&mut self, name: &'static str) -> Patch<Vec<String>> {
        self.patch_string_list(name)
    }
}

impl Body {
    fn take(&mut self, name: &'static str) -> Option<Json> {
        self.known.insert(name);
        self.map.remove(name)
    }

    fn wrong_type(&mut self, name: &str, expected: &str, got: &Json) {
        self.bad.insert(name.to_owned());
        self.errors
            .push(name, format!("must be {expected}, not {}", type_name(got)));
    }

    /// A string field for a create: absent and `null` are `None`.
    pub fn string(&mut self, name: &'static str) -> Option<String> {
        match self.take(name)? {
            Json::Null => None,
            Json::String(s) => Some(s),
            other => {
                self.wrong_type(name, "a string", &other);
                None
            }
        }
    }

    /// A string field for a PATCH: absent, `null` or a value.
    pub fn patch_string(&mut self, name: &'static str) -> Patch<String> {
        match self.take(name) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(Json::String(s)) => Patch::Set(s),
            Some(other) => {
                self.wrong_type(name, "a string", &other);
                Patch::Absent
            }
        }
    }

    fn number_of(&mut self, name: &'static str, v: Json) -> Option<Number> {
        match v {
            Json::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Number::Int(i),
                (None, Some(f)) => Number::Float(f),
                (None, None) => Number::Float(f64::INFINITY),
            }),
            other => {
                self.wrong_type(name, "a number", &other);
                None
            }
        }
    }

    /// A number field for a create: absent and `null` are `None`.
    pub fn number(&mut self, name: &'static str) -> Option<Number> {
        match self.take(name)? {
            Json::Null => None,
            v => self.number_of(name, v),
        }
    }

    /// A number field for a PATCH: absent, `null` or a value.
    pub fn patch_number(&mut self, name: &'static str) -> Patch<Number> {
        match self.take(name) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(v) => self.number_of(name, v).map_or(Patch::Absent, Patch::Set),
        }
    }

    fn list_items(&mut self, name: &'static str, v: Json) -> Option<Vec<String>> {
        let Json::Array(items) = v else {
            self.wrong_type(name, "a list of strings", &v);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Json::String(s) => out.push(s),
                other => {
                    ok = false;
                    self.bad.insert(name.to_owned());
                    self.errors.push(
                        format!("{name}[{i}]"),
                        format!("must be a string, not {}", type_name(&other)),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    /// A list of strings for a create.
    pub fn string_list(&mut self, name: &'static str) -> Option<Vec<String>> {
        match self.take(name)? {
            Json::Null => None,
            v => self.list_items(name, v),
        }
    }

    /// A list of strings for a PATCH.
    pub fn patch_string_list(&mut self, name: &'static str) -> Patch<Vec<String>> {
        match self.take(name) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(v) => self.list_items(name, v).map_or(Patch::Absent, Patch::Set),
        }
    }

    fn object(&mut self, name: &'static str, v: Json) -> Option<BTreeMap<String, Value>> {
        match v {
            Json::Object(m) => Some(m.into_iter().map(|(k, v)| (k, to_value(v))).collect()),
            other => {
                self.wrong_type(name, "an object", &other);
                None
            }
        }
    }

    /// An object of free-form values for a create.
    pub fn object_field(&mut self, name: &'static str) -> Option<BTreeMap<String, Value>> {
        match self.take(name)? {
            Json::Null => None,
            v => self.object(name, v),
        }
    }

    /// An object of free-form values for a PATCH.
    pub fn patch_object(&mut self, name: &'static str) -> Patch<BTreeMap<String, Value>> {
        match self.take(name) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(v) => self.object(name, v).map_or(Patch::Absent, Patch::Set),
        }
    }

    /// Finishes reading: unknown fields are errors. Domain errors about fields that already
    /// had the wrong JSON type are dropped (the type error says it better).
    pub fn finish<T>(mut self, parsed: Result<T, Vec<FieldError>>) -> Result<T, ApiError> {
        let mut unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.known.contains(k.as_str()))
            .cloned()
            .collect();
        unknown.sort();
        for name in unknown {
            self.errors.push(&name, "unknown field");
        }
        for (name, errors) in std::mem::take(&mut self.numbers) {
            if self.known.contains(name.as_str()) {
                self.errors.extend(errors);
            }
        }
        let value = match parsed {
            Ok(v) => Some(v),
            Err(domain) => {
                let bad = &self.bad;
                self.errors.extend(
                    domain
                        .into_iter()
                        .filter(|e| {
                            !bad.iter().any(|b| {
                                e.field == *b
                                    || e.field.starts_with(&format!("{b}["))
                                    || e.field.starts_with(&format!("{b}."))
                            })
                        })
                        .collect(),
                );
                None
            }
        };
        match (self.errors.is_empty(), value) {
            (true, Some(v)) => Ok(v),
            _ => Err(ApiError::validation(self.errors.into_vec())),
        }
    }

    /// The field names read so far (the OpenAPI body schemas are checked against them).
    #[cfg(test)]
    pub(crate) fn read_fields(&self) -> std::collections::BTreeSet<String> {
        self.known.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Whether a type error was recorded (the domain parse may then be skipped).
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Converts JSON to the domain's value type.
pub fn to_value(v: Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Number(Number::Int(i)),
            None => Value::Number(Number::Float(n.as_f64().unwrap_or(0.0))),
        },
        Json::String(s) => Value::String(s),
        Json::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Json::Object(m) => Value::Map(m.into_iter().map(|(k, v)| (k, to_value(v))).collect()),
    }
}

/// Converts the domain's value type to JSON.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(Number::Int(i)) => Json::from(*i),
        Value::Number(Number::Float(f)) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}
