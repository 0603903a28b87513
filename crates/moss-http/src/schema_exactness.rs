//! The OpenAPI request schemas say exactly what the server accepts: for generated strings (and
//! bodies), "valid against the schema in the document" equals "the server's parser accepts it".
//! The oracles are the domain's own parsers (`moss_domain::text` and friends) and the routes'
//! body readers ([`crate::properties`]); the schemas are read from the generated document and
//! checked by a small JSON Schema evaluator whose patterns run on the `regex` crate.
//!
//! Each property runs [`CASES`] generated cases (`PROPTEST_CASES` runs more).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv6Addr;

use moss_domain::company::Domain;
use moss_domain::contact::model::company_reference;
use moss_domain::id::CompanyId;
use moss_domain::key::{KeySecret, NewKey};
use moss_domain::text::{
    EmailAddress, HttpUrl, MAX_EMAIL, MAX_HOST, MAX_NAME, MAX_NOTES, MAX_PHONE, MAX_TAG, MAX_URL, TagName,
    check_custom_fields, is_default_ignorable, is_white_space, optional_text, patch_optional_text, patch_required_text,
    patch_with, required_text,
};
use moss_domain::value::{Patch, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use regex::Regex;
use serde_json::{Value as Json, json};

use crate::openapi::{document, example_of};
use crate::properties::{
    self, company_create, company_update, contact_create, contact_update, key_create, typeid, uuid_text,
};
use crate::wire;

/// Cases per property.
const CASES: u32 = 512;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        ..properties::config()
    }
}

// ---------------------------------------------------------------------------------------------
// A JSON Schema evaluator for the keywords the document uses
// ---------------------------------------------------------------------------------------------

/// Evaluates instances against the generated document's schemas. It knows the keywords the
/// document uses and fails loudly on any other, so a new keyword cannot be silently ignored.
struct Schemas {
    doc: Json,
    regexes: RefCell<HashMap<String, Regex>>,
}

impl Schemas {
    fn new() -> Self {
        Self {
            doc: serde_json::to_value(document()).expect("the document serializes"),
            regexes: RefCell::new(HashMap::new()),
        }
    }

    fn component(&self, name: &str) -> &Json {
        let schema = &self.doc["components"]["schemas"][name];
        assert!(schema.is_object(), "no component {name}");
        schema
    }

    fn property(&self, component: &str, name: &str) -> &Json {
        let schema = &self.component(component)["properties"][name];
        assert!(schema.is_object(), "no property {component}.{name}");
        schema
    }

    /// The schema of a query parameter of an operation.
    fn parameter(&self, path: &str, method: &str, name: &str) -> &Json {
        let params = self.doc["paths"][path][method]["parameters"]
            .as_array()
            .expect("parameters");
        &params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path}: no parameter {name}"))["schema"]
    }

    fn regex(&self, pattern: &str) -> Regex {
        self.regexes
            .borrow_mut()
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")))
            .clone()
    }

    fn valid_string(&self, schema: &Json, s: &str) -> bool {
        self.valid(schema, &Json::String(s.to_owned()))
    }

    fn valid(&self, schema: &Json, v: &Json) -> bool {
        let map = match schema {
            Json::Bool(b) => return *b,
            Json::Object(map) => map,
            other => panic!("not a schema: {other}"),
        };
        map.iter().all(|(keyword, k)| match keyword.as_str() {
            "description" | "example" | "examples" | "default" => true,
            "$ref" => {
                let name = k
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .expect("a component reference");
                self.valid(self.component(name), v)
            }
            "type" => match k {
                Json::Array(types) => types.iter().any(|t| is_type(t, v)),
                t => is_type(t, v),
            },
            "enum" => k.as_array().expect("enum values").contains(v),
            "pattern" => v
                .as_str()
                .is_none_or(|s| self.regex(k.as_str().expect("a pattern")).is_match(s)),
            "maxLength" => v
                .as_str()
                .is_none_or(|s| s.chars().count() as u64 <= k.as_u64().expect("a length")),
            "minLength" => v
                .as_str()
                .is_none_or(|s| s.chars().count() as u64 >= k.as_u64().expect("a length")),
            "format" => v.as_str().is_none_or(|s| is_format(k.as_str().expect("a format"), s)),
            "anyOf" => k.as_array().expect("anyOf").iter().any(|s| self.valid(s, v)),
            "allOf" => k.as_array().expect("allOf").iter().all(|s| self.valid(s, v)),
            "oneOf" => k.as_array().expect("oneOf").iter().filter(|s| self.valid(s, v)).count() == 1,
            "items" => v.as_array().is_none_or(|items| items.iter().all(|i| self.valid(k, i))),
            "maxItems" => v
                .as_array()
                .is_none_or(|items| items.len() as u64 <= k.as_u64().expect("a count")),
            "minItems" => v
                .as_array()
                .is_none_or(|items| items.len() as u64 >= k.as_u64().expect("a count")),
            "uniqueItems" => v.as_array().is_none_or(|items| {
                !k.as_bool().expect("a flag") || items.iter().enumerate().all(|(i, x)| !items[..i].contains(x))
            }),
            "maxProperties" => v
                .as_object()
                .is_none_or(|m| m.len() as u64 <= k.as_u64().expect("a count")),
            "required" => v.as_object().is_none_or(|m| {
                k.as_array()
                    .expect("required")
                    .iter()
                    .all(|name| m.contains_key(name.as_str().expect("a name")))
            }),
            "properties" => v.as_object().is_none_or(|m| {
                k.as_object()
                    .expect("properties")
                    .iter()
                    .all(|(name, s)| m.get(name).is_none_or(|item| self.valid(s, item)))
            }),
            "additionalProperties" => v.as_object().is_none_or(|m| {
                let declared = map.get("properties").and_then(Json::as_object);
                m.iter()
                    .filter(|(name, _)| declared.is_none_or(|d| !d.contains_key(*name)))
                    .all(|(_, item)| self.valid(k, item))
            }),
            "propertyNames" => v
                .as_object()
                .is_none_or(|m| m.keys().all(|name| self.valid_string(k, name))),
            "minimum" => v.as_f64().is_none_or(|n| n >= k.as_f64().expect("a bound")),
            "maximum" => v.as_f64().is_none_or(|n| n <= k.as_f64().expect("a bound")),
            other => panic!("the evaluator does not know the keyword {other}"),
        })
    }
}

fn is_type(t: &Json, v: &Json) -> bool {
    match t.as_str().expect("a type name") {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

/// `date-time` as RFC 3339 defines it (`T` or `t`, `Z`, `z` or `±hh:mm`, a real date and time);
/// the other formats (on answers only) are annotations here.
fn is_format(format: &str, s: &str) -> bool {
    if format == "date" {
        return s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    }
    if format != "date-time" {
        return true;
    }
    let strict = Regex::new(
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
    )
    .expect("a regex");
    strict.is_match(s) && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Code points on the edges of the text rules: every kind of White_Space (U+0085 and U+00A0
/// included), invisible characters refused (U+200B, U+FEFF, bidi controls) and allowed (ZWJ,
/// ZWNJ, soft hyphen, tag characters such as U+E0001), NUL and other controls, the list
/// separators (`;`, U+037E), the characters of emails and URLs, astral letters and emoji.
const TRICKY: &[char] = &[
    '\u{0}',
    '\u{1}',
    '\t',
    '\n',
    '\u{b}',
    '\r',
    '\u{1c}',
    '\u{1f}',
    ' ',
    '\u{7f}',
    '\u{85}',
    '\u{9f}',
    '\u{a0}',
    '\u{ad}',
    '\u{34f}',
    '\u{37e}',
    '\u{61c}',
    '\u{115f}',
    '\u{1680}',
    '\u{180e}',
    '\u{2000}',
    '\u{200a}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{2028}',
    '\u{2029}',
    '\u{202a}',
    '\u{202e}',
    '\u{202f}',
    '\u{205f}',
    '\u{2060}',
    '\u{2066}',
    '\u{2069}',
    '\u{206f}',
    '\u{2212}',
    '\u{3000}',
    '\u{3164}',
    '\u{fe0f}',
    '\u{feff}',
    '\u{ffa0}',
    '\u{fff8}',
    '\u{fffd}',
    '\u{e000}',
    '\u{1bca0}',
    '\u{1d173}',
    '\u{e0001}',
    '\u{e0fff}',
    '\u{10ffff}',
    '\u{1f600}',
    '\u{212a}',
    '\u{17f}',
    '\u{130}',
    ';',
    '@',
    '.',
    ':',
    '/',
    '?',
    '#',
    '[',
    ']',
    '(',
    ')',
    '<',
    '>',
    ',',
    '"',
    '\\',
    '-',
    '_',
    '+',
    '%',
    '=',
    '&',
    '\'',
    '*',
    'a',
    'z',
    'A',
    'Z',
    'f',
    'F',
    'g',
    '0',
    '1',
    '5',
    '9',
    'é',
    'ß',
    '漢',
    '𝒜',
];

/// White_Space and invisible characters that surround values.
const PADDING: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{b}', '\u{85}', '\u{a0}', '\u{3000}', '\u{2028}', '\u{200b}', '\u{ad}', '\u{feff}',
];

fn tricky(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        3 => vec(select(TRICKY), 0..=max).prop_map(String::from_iter),
        1 => vec(any::<char>(), 0..=max).prop_map(String::from_iter),
        1 => properties::text(max),
    ]
    .boxed()
}

fn padding() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just(String::new()),
        2 => vec(select(PADDING), 1..4).prop_map(String::from_iter),
    ]
    .boxed()
}

/// `s` with padding on either side, now and then.
fn padded(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (padding(), s, padding())
        .prop_map(|(a, s, b)| format!("{a}{s}{b}"))
        .boxed()
}

/// `s` with up to three edits: a tricky character inserted, a character removed or replaced.
fn mutated(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let edit = (0u8..3, any::<Index>(), select(TRICKY));
    (s, vec(edit, 0..=3))
        .prop_map(|(s, edits)| {
            let mut chars: Vec<char> = s.chars().collect();
            for (op, at, c) in edits {
                let i = at.index(chars.len() + 1);
                match op {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
        .boxed()
}

/// A run of one character whose length sits around `limit`, sometimes padded.
fn around(limit: usize) -> BoxedStrategy<String> {
    (
        limit.saturating_sub(2)..=limit + 2,
        select(&['a', 'é', '😀', ' ', '\u{200b}', '\u{0}'][..]),
        padding(),
    )
        .prop_map(|(n, c, pad)| format!("{pad}{}", std::iter::repeat_n(c, n).collect::<String>()))
        .boxed()
}

/// Blank strings, some longer than any limit.
fn blank() -> BoxedStrategy<String> {
    prop_oneof![
        vec(select(PADDING), 0..8).prop_map(String::from_iter),
        (select(PADDING), 250usize..2100).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
    .boxed()
}

/// Free text of every kind, for a field limited to `max` characters.
fn free_text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        4 => tricky(12),
        2 => padded("[A-Za-z][A-Za-z '-]{0,20}".boxed()),
        1 => blank(),
        2 => around(max),
    ]
    .boxed()
}

/// A DNS label, often valid, sometimes around the 63-character limit or malformed.
fn label() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?",
        1 => (61usize..=65).prop_map(|n| "a".repeat(n)),
        1 => Just("xn--bcher-kva".to_owned()),
        1 => select(&["", "-a", "a-", "a_b", "b\u{fc}cher", "1", "A-0"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn host() -> BoxedStrategy<String> {
    prop_oneof![
        8 => vec(label(), 1..5).prop_map(|l| l.join(".")),
        1 => vec(label(), 1..3).prop_map(|l| format!("{}.", l.join("."))),
        1 => (1usize..6).prop_map(|n| vec!["a".repeat(63); n].join(".")),
    ]
    .boxed()
}

fn email() -> BoxedStrategy<String> {
    let run = prop_oneof![
        4 => "[a-z0-9+_'-]{1,8}",
        2 => vec(select(TRICKY), 0..4).prop_map(String::from_iter),
        1 => Just(String::new()),
    ];
    let local = vec(run, 1..4).prop_map(|r| r.join("."));
    let at = prop_oneof![8 => Just("@"), 1 => Just("@@"), 1 => Just("")];
    let long_local = (1usize..=250).prop_map(|n| "l".repeat(n));
    mutated(padded(
        (prop_oneof![5 => local.boxed(), 1 => long_local.boxed()], at, host())
            .prop_map(|(l, at, h)| format!("{l}{at}{h}"))
            .boxed(),
    ))
}

fn domain() -> BoxedStrategy<String> {
    mutated(padded(host()))
}

/// An IPv6 candidate: hex groups of 1-5 digits, at most one `::` (sometimes two), an embedded
/// IPv4 address (octets past 255 and with leading zeros included), junk, or a real address in
/// its canonical or an expanded form.
fn ipv6() -> BoxedStrategy<String> {
    let group = prop_oneof![
        6 => "[0-9a-fA-F]{1,4}",
        1 => "[0-9a-fA-F]{5}",
        1 => Just(String::new()),
    ];
    let octet = prop_oneof![
        6 => (0u16..=255).prop_map(|n| n.to_string()),
        1 => (256u16..1000).prop_map(|n| n.to_string()),
        1 => "0[0-9]{1,2}",
    ];
    let v4 = vec(octet, 3..=5).prop_map(|o| o.join("."));
    let assembled = (
        vec(group, 0..=9),
        prop::option::of(any::<Index>()),
        prop::option::of(any::<Index>()),
        prop::option::weighted(0.3, v4),
    )
        .prop_map(|(groups, gap, second_gap, v4)| {
            let mut parts: Vec<String> = groups;
            if let Some(v4) = v4 {
                parts.push(v4);
            }
            let mut text = parts.join(":");
            for gap in [gap, second_gap].into_iter().flatten() {
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
                let at = if colons.is_empty() {
                    0
                } else {
                    colons[gap.index(colons.len())]
                };
                text.insert(at, ':');
                if colons.is_empty() {
                    text.insert(0, ':');
                }
            }
            text
        });
    let real = prop_oneof![
        any::<u128>().prop_map(|v| Ipv6Addr::from(v).to_string()),
        any::<[u16; 8]>().prop_map(|g| g.map(|x| format!("{x:x}")).join(":")),
        any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_ipv6_mapped().to_string()),
        (0u16..=255).prop_map(|n| format!("::{n}.1.2.3")),
        select(
            &[
                "::",
                "::1",
                "1::",
                "1:2:3:4:5:6:7::",
                "::1:2:3:4:5:6:7",
                "1:2:3:4:5:6:1.2.3.4",
                "1::1.2.3.4"
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    prop_oneof![
        5 => assembled.boxed(),
        3 => real.boxed(),
        2 => mutated(ipv6_seed()),
    ]
    .boxed()
}

fn ipv6_seed() -> BoxedStrategy<String> {
    any::<u128>().prop_map(|v| Ipv6Addr::from(v).to_string()).boxed()
}

fn port() -> BoxedStrategy<String> {
    prop_oneof![
        2 => (0u32..=70_000).prop_map(|p| format!(":{p}")),
        2 => (65_530u32..=65_540).prop_map(|p| format!(":{p}")),
        1 => (0u32..=99_999).prop_map(|p| format!(":{p:05}")),
        1 => (0u32..=99_999).prop_map(|p| format!(":{p:06}")),
        1 => "(:[0-9]{0,7})",
        1 => select(&[":", ":00080", ":+80", ":65535", ":65536", ":99999", ":0", ":-1", ":8080:9"][..]).prop_map(str::to_owned),
        3 => Just(String::new()),
    ]
    .boxed()
}

fn url() -> BoxedStrategy<String> {
    let scheme = select(
        &[
            "http://",
            "https://",
            "HTTPS://",
            "hTtP://",
            "ftp://",
            "http:/",
            "https:",
            "",
            "http://http://",
        ][..],
    );
    let userinfo = prop_oneof![
        4 => Just(String::new()),
        1 => "[a-z:]{0,6}@",
        1 => vec(select(TRICKY), 0..4).prop_map(|c| format!("{}@", String::from_iter(c))),
        1 => Just("a@b@".to_owned()),
    ];
    let host_port = prop_oneof![
        5 => (host(), port()).prop_map(|(h, p)| format!("{h}{p}")),
        3 => (ipv6(), port()).prop_map(|(a, p)| format!("[{a}]{p}")),
        1 => (ipv6(), "[a-z]{0,2}").prop_map(|(a, junk)| format!("[{a}]{junk}")),
    ];
    let rest = prop_oneof![
        3 => Just(String::new()),
        3 => "([/?#][a-z0-9/?#=&%.-]{0,12})",
        2 => vec(select(TRICKY), 0..6).prop_map(|c| format!("/{}", String::from_iter(c))),
    ];
    let long = (2030usize..2060).prop_map(|n| format!("https://a.com/{}", "p".repeat(n - 14)));
    mutated(padded(
        prop_oneof![
            9 => (scheme, userinfo, host_port, rest).prop_map(|(s, u, h, r)| format!("{s}{u}{h}{r}")).boxed(),
            1 => long.boxed(),
        ]
        .boxed(),
    ))
}

fn company_ref() -> BoxedStrategy<String> {
    let id = prop_oneof![
        3 => any::<u128>().prop_map(|u| typeid::<CompanyId>(u, CompanyId::parse_reference)),
        2 => any::<u128>().prop_map(uuid_text),
        1 => any::<u128>().prop_map(|u| uuid_text(u).to_uppercase()),
        1 => any::<u128>().prop_map(|u| format!("{u:032x}")),
        1 => "cmp_[0-9a-z]{24,27}",
        1 => any::<u128>().prop_map(|u| typeid::<CompanyId>(u, CompanyId::parse_reference).replace("cmp_", "cnt_")),
    ];
    mutated(padded(id.boxed()))
}

fn date_time() -> BoxedStrategy<String> {
    let date = prop_oneof![
        3 => (2027u32..3000, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => (0u32..10_000, 0u32..=13, 0u32..=32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
    ];
    let sep = select(&["T", "t", " ", "x", "", "  "][..]);
    let time = prop_oneof![
        3 => (0u32..24, 0u32..60, 0u32..60).prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}")),
        1 => (0u32..26, 0u32..62, 0u32..62).prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}")),
        1 => (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
    ];
    let fraction = prop_oneof![3 => Just(String::new()), 1 => "\\.[0-9]{0,12}"];
    let offset = prop_oneof![
        3 => select(&["Z", "z"][..]).prop_map(str::to_owned),
        2 => (select(&["+", "-", "\u{2212}"][..]), 0u32..26, 0u32..62).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
        1 => select(&["", "+0100", "+01", "UTC", "GMT"][..]).prop_map(str::to_owned),
    ];
    mutated(padded(
        (date, sep, time, fraction, offset)
            .prop_map(|(d, s, t, f, o)| format!("{d}{s}{t}{f}{o}"))
            .boxed(),
    ))
}

// ---------------------------------------------------------------------------------------------
// The oracles: the server's parsers, as the routes call them
// ---------------------------------------------------------------------------------------------

fn set(s: &str) -> Patch<String> {
    Patch::Set(s.to_owned())
}

fn accepts_email(s: &str) -> bool {
    patch_with("email", set(s), EmailAddress::parse).is_ok()
}

fn accepts_url(s: &str) -> bool {
    patch_with("website", set(s), HttpUrl::parse).is_ok()
}

fn accepts_domain(s: &str) -> bool {
    patch_with("domain", set(s), Domain::parse).is_ok()
}

fn accepts_company_ref(s: &str) -> bool {
    patch_with("company_id", set(s), company_reference).is_ok()
}

fn accepts_tag(s: &str) -> bool {
    TagName::parse("tags[0]", s).is_ok()
}

fn accepts_custom_field(name: &str, value: Value) -> bool {
    check_custom_fields("custom_fields", BTreeMap::from([(name.to_owned(), value)])).is_ok()
}

/// Checks one string against a schema and its oracle, explaining a disagreement.
fn agree(schemas: &Schemas, what: &str, schema: &Json, s: &str, accepted: bool) -> Result<(), TestCaseError> {
    let valid = schemas.valid_string(schema, s);
    prop_assert_eq!(
        valid,
        accepted,
        "{}: {:?} (code points {:X?}) is {} by the schema but {} by the server",
        what,
        s,
        s.chars().map(u32::from).collect::<Vec<_>>(),
        if valid { "allowed" } else { "refused" },
        if accepted { "accepted" } else { "refused" }
    );
    Ok(())
}

/// The string fields of the request bodies, with the rule each one follows.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Required(usize),
    RequiredPatch(usize),
    Optional(usize),
    Email,
    Url,
    Domain,
    CompanyRef,
    Stage,
    Currency,
    Date,
}

impl Rule {
    fn accepts(self, s: &str) -> bool {
        match self {
            Self::Required(max) => required_text("f", Some(s.to_owned()), max).is_ok(),
            Self::RequiredPatch(max) => patch_required_text("f", set(s), max).is_ok(),
            Self::Optional(max) => {
                optional_text("f", Some(s.to_owned()), max).is_ok() && patch_optional_text("f", set(s), max).is_ok()
            }
            Self::Email => accepts_email(s),
            Self::Url => accepts_url(s),
            Self::Domain => accepts_domain(s),
            Self::CompanyRef => accepts_company_ref(s),
            Self::Stage => moss_domain::deal::Stage::parse("stage", s).is_ok(),
            Self::Currency => moss_domain::deal::Currency::parse("currency", s).is_ok(),
            Self::Date => patch_with("expected_close", set(s), moss_domain::deal::model::date).is_ok(),
        }
    }

    fn strings(self) -> BoxedStrategy<String> {
        match self {
            Self::Required(max) | Self::RequiredPatch(max) | Self::Optional(max) => free_text(max),
            Self::Email => prop_oneof![5 => email(), 1 => free_text(MAX_EMAIL), 1 => around(MAX_EMAIL)].boxed(),
            Self::Url => prop_oneof![5 => url(), 1 => free_text(MAX_URL)].boxed(),
            Self::Domain => prop_oneof![5 => domain(), 1 => free_text(MAX_HOST), 1 => around(MAX_HOST)].boxed(),
            Self::CompanyRef => prop_oneof![5 => company_ref(), 1 => free_text(40)].boxed(),
            Self::Stage => mutated(padded(
                select(
                    &[
                        "lead",
                        "prospect",
                        "negotiation",
                        "won",
                        "lost",
                        "Lead",
                        "LOST",
                        "open",
                        "",
                        "won,lost",
                    ][..],
                )
                .prop_map(str::to_owned)
                .boxed(),
            )),
            Self::Currency => mutated(padded(
                prop_oneof![
                    3 => select(moss_domain::deal::Currency::all_codes()).prop_map(|c| c.to_owned()),
                    2 => select(moss_domain::deal::Currency::all_codes()).prop_map(|c| c.to_lowercase()),
                    1 => "[A-Za-z]{2,4}",
                    1 => Just("Usd".to_owned()),
                ]
                .boxed(),
            )),
            Self::Date => mutated(padded(
                prop_oneof![
                    3 => (1900u32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
                    2 => (0u32..10_000, 0u32..=13, 0u32..=32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
                    1 => (1u32..=12, 1u32..=9).prop_map(|(m, d)| format!("2026-{m}-{d}")),
                    1 => blank(),
                ]
                .boxed(),
            )),
        }
    }
}

const CONTACT_RULES: &[(&str, Rule)] = &[
    ("first_name", Rule::Required(MAX_NAME)),
    ("last_name", Rule::Optional(MAX_NAME)),
    ("email", Rule::Email),
    ("phone", Rule::Optional(MAX_PHONE)),
    ("title", Rule::Optional(MAX_NAME)),
    ("linkedin_url", Rule::Url),
    ("company_id", Rule::CompanyRef),
    ("notes", Rule::Optional(MAX_NOTES)),
];

const COMPANY_RULES: &[(&str, Rule)] = &[
    ("name", Rule::Required(MAX_NAME)),
    ("domain", Rule::Domain),
    ("industry", Rule::Optional(MAX_NAME)),
    ("website", Rule::Url),
    ("phone", Rule::Optional(MAX_PHONE)),
    ("notes", Rule::Optional(MAX_NOTES)),
];

const DEAL_RULES: &[(&str, Rule)] = &[
    ("name", Rule::Required(MAX_NAME)),
    ("stage", Rule::Stage),
    ("currency", Rule::Currency),
    ("expected_close", Rule::Date),
    ("company_id", Rule::CompanyRef),
    ("notes", Rule::Optional(MAX_NOTES)),
    ("lost_reason", Rule::Optional(moss_domain::deal::model::MAX_LOST_REASON)),
];

/// The rule of a field in a PATCH body (a required field may not be cleared).
fn patch_rule(rule: Rule) -> Rule {
    match rule {
        Rule::Required(max) => Rule::RequiredPatch(max),
        other => other,
    }
}

fn field_and_string(rules: &'static [(&'static str, Rule)]) -> BoxedStrategy<(&'static str, Rule, String)> {
    select(rules)
        .prop_flat_map(|(name, rule)| rule.strings().prop_map(move |s| (name, rule, s)))
        .boxed()
}

thread_local! {
    static SCHEMAS: Schemas = Schemas::new();
}

fn with_schemas<T>(f: impl FnOnce(&Schemas) -> T) -> T {
    SCHEMAS.with(f)
}

// ---------------------------------------------------------------------------------------------
// Field by field
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn contact_string_fields_match_the_parsers(case in field_and_string(CONTACT_RULES)) {
        let (name, rule, s) = case;
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            agree(schemas, &format!("ContactCreate.{name}"), schemas.property("ContactCreate", name), &s, rule.accepts(&s))?;
            let patch = patch_rule(rule);
            agree(schemas, &format!("ContactUpdate.{name}"), schemas.property("ContactUpdate", name), &s, patch.accepts(&s))
        })?;
    }

    #[test]
    fn company_and_key_string_fields_match_the_parsers(case in field_and_string(COMPANY_RULES)) {
        let (name, rule, s) = case;
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            agree(schemas, &format!("CompanyCreate.{name}"), schemas.property("CompanyCreate", name), &s, rule.accepts(&s))?;
            let patch = patch_rule(rule);
            agree(schemas, &format!("CompanyUpdate.{name}"), schemas.property("CompanyUpdate", name), &s, patch.accepts(&s))?;
            if name == "name" {
                agree(schemas, "KeyCreate.name", schemas.property("KeyCreate", "name"), &s, rule.accepts(&s))?;
            }
            Ok(())
        })?;
    }

    #[test]
    fn deal_string_fields_match_the_parsers(case in field_and_string(DEAL_RULES)) {
        let (name, rule, s) = case;
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            agree(schemas, &format!("DealCreate.{name}"), schemas.property("DealCreate", name), &s, rule.accepts(&s))?;
            let patch = patch_rule(rule);
            agree(schemas, &format!("DealUpdate.{name}"), schemas.property("DealUpdate", name), &s, patch.accepts(&s))?;
            if name == "stage" {
                agree(schemas, "StageMove.stage", schemas.property("StageMove", "stage"), &s, rule.accepts(&s))?;
            }
            if name == "lost_reason" {
                agree(schemas, "StageMove.lost_reason", schemas.property("StageMove", "lost_reason"), &s, rule.accepts(&s))?;
            }
            Ok(())
        })?;
    }

    #[test]
    fn emails_match_the_parser(s in email()) {
        with_schemas(|schemas| agree(schemas, "email", schemas.property("ContactCreate", "email"), &s, accepts_email(&s)))?;
    }

    #[test]
    fn urls_match_the_parser(s in url()) {
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            agree(schemas, "linkedin_url", schemas.property("ContactCreate", "linkedin_url"), &s, accepts_url(&s))?;
            agree(schemas, "website", schemas.property("CompanyUpdate", "website"), &s, accepts_url(&s))
        })?;
    }

    #[test]
    fn the_ipv6_pattern_is_what_ipv6addr_parses(s in ipv6()) {
        let pattern = Regex::new(&format!("^{}$", wire::ipv6_pattern())).expect("the pattern compiles");
        let parsed = s.parse::<Ipv6Addr>().is_ok();
        prop_assert_eq!(pattern.is_match(&s), parsed, "{:?}", s);
        // The same, inside a URL.
        let url = format!("http://[{s}]:8080/x");
        with_schemas(|schemas| agree(schemas, "website", schemas.property("CompanyCreate", "website"), &url, accepts_url(&url)))?;
    }

    #[test]
    fn domains_match_the_parser(s in domain()) {
        with_schemas(|schemas| agree(schemas, "domain", schemas.property("CompanyCreate", "domain"), &s, accepts_domain(&s)))?;
    }

    #[test]
    fn company_references_match_the_parser(s in company_ref()) {
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            agree(schemas, "company_id", schemas.property("ContactCreate", "company_id"), &s, accepts_company_ref(&s))?;
            // The list filter takes no blank value: a blank one is a bad reference.
            let filter = schemas.parameter("/api/v1/contacts", "get", "company_id");
            agree(schemas, "?company_id", filter, &s, company_reference("company_id", &s).is_ok())
        })?;
    }

    #[test]
    fn tags_match_the_parser(s in prop_oneof![3 => mutated(free_text(MAX_TAG)), 1 => around(MAX_TAG)]) {
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            let items = &schemas.property("ContactCreate", "tags")["items"];
            agree(schemas, "tags[0]", items, &s, accepts_tag(&s))?;
            agree(schemas, "tags[0]", &schemas.property("CompanyUpdate", "tags")["items"], &s, accepts_tag(&s))
        })?;
    }

    #[test]
    fn custom_field_names_and_strings_match_the_parser(
        s in prop_oneof![3 => mutated(free_text(64)), 1 => around(64), 1 => around(MAX_NOTES), 1 => around(MAX_NAME)],
    ) {
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            let schema = schemas.property("ContactCreate", "custom_fields");
            let as_name = json!({ s.clone(): null });
            prop_assert_eq!(schemas.valid(schema, &as_name), accepts_custom_field(&s, Value::Null), "name {:?}", s);
            let as_value = json!({ "f": s.clone() });
            prop_assert_eq!(schemas.valid(schema, &as_value), accepts_custom_field("f", Value::String(s.clone())), "value {:?}", s);
            let in_list = json!({ "f": [s.clone()] });
            let list = Value::List(vec![Value::String(s.clone())]);
            prop_assert_eq!(schemas.valid(schema, &in_list), accepts_custom_field("f", list), "list item {:?}", s);
            Ok(())
        })?;
    }

    /// `expires_at` is `format: date-time` (RFC 3339), and must also lie in the future, which no
    /// schema says: a time the schema allows and the server refuses is in the past, and a time
    /// the schema refuses the server refuses too (no lenient spellings: no surrounding space, no
    /// space for `T`, no U+2212, no leap second).
    #[test]
    fn expiry_times_match_the_schema(s in date_time()) {
        let now = moss_domain::time::now();
        let answer = NewKey::parse("k", None, Some(&s), now);
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            let schema = schemas.property("KeyCreate", "expires_at");
            let valid = schemas.valid_string(schema, &s);
            match answer {
                Err(errors) if valid => prop_assert_eq!(
                    errors[0].message.as_str(), "must be in the future", "{:?} is allowed by the schema but refused", s
                ),
                Ok(_) => prop_assert!(valid, "{:?} is accepted but refused by the schema", s),
                _ => {}
            }
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(config())]

    /// The `Idempotency-Key` header: a field value (RFC 9110: no surrounding whitespace, which
    /// HTTP strips) matches the schema exactly when the server takes it.
    #[test]
    fn idempotency_keys_match_the_parser(s in prop_oneof![
        "[ -~]{0,12}",
        "[ -~]{250,260}",
        vec(select(TRICKY), 0..6).prop_map(String::from_iter),
    ]) {
        let value = s.trim_matches([' ', '\t']);
        with_schemas(|schemas| -> Result<(), TestCaseError> {
            let schema = schemas.parameter("/api/v1/contacts", "post", "Idempotency-Key");
            let accepted = moss_domain::idempotency::IdempotencyKey::parse(value).is_ok();
            agree(schemas, "Idempotency-Key", schema, value, accepted)
        })?;
    }
}

// ---------------------------------------------------------------------------------------------
// Whole bodies, through the routes' readers
// ---------------------------------------------------------------------------------------------

/// A string, a null, a list or another JSON value for a field.
fn field_json(rule: Rule) -> BoxedStrategy<Json> {
    prop_oneof![
        8 => rule.strings().prop_map(Json::String),
        1 => Just(Json::Null),
        1 => prop_oneof![Just(json!(1)), Just(json!(true)), Just(json!(["a"])), Just(json!({}))],
    ]
    .boxed()
}

fn tags_json() -> BoxedStrategy<Json> {
    prop_oneof![
        4 => vec(prop_oneof![4 => "[a-z]{1,6}".boxed(), 1 => mutated(free_text(MAX_TAG))], 0..4).prop_map(|t| json!(t)),
        1 => vec("[a-z]{1,3}", 48..53).prop_map(|t| json!(t)),
        1 => Just(Json::Null),
        1 => Just(json!([1])),
    ]
    .boxed()
}

fn custom_fields_json() -> BoxedStrategy<Json> {
    let value = prop_oneof![
        3 => free_text(30).prop_map(Json::String),
        1 => Just(Json::Null),
        1 => any::<bool>().prop_map(Json::Bool),
        1 => any::<i64>().prop_map(Json::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)),
        1 => vec(free_text(10), 0..3).prop_map(|l| json!(l)),
        1 => (48usize..53).prop_map(|n| json!(vec!["x"; n])),
        1 => Just(json!({"nested": 1})),
        1 => Just(json!([1])),
    ];
    let name = prop_oneof![4 => "[a-z_]{1,10}".boxed(), 1 => mutated(free_text(64))];
    prop_oneof![
        5 => vec((name, value), 0..4).prop_map(|kv| Json::Object(kv.into_iter().collect())),
        1 => (98usize..103).prop_map(|n| Json::Object((0..n).map(|i| (format!("f{i}"), Json::Null)).collect())),
        1 => Just(Json::Null),
    ]
    .boxed()
}

fn body(rules: &'static [(&'static str, Rule)], patch: bool) -> BoxedStrategy<Json> {
    let fields: Vec<BoxedStrategy<Option<(String, Json)>>> = rules
        .iter()
        .map(|(name, rule)| {
            let rule = if patch { patch_rule(*rule) } else { *rule };
            let required = matches!(rule, Rule::Required(_));
            let presence = if required { 0.95 } else { 0.4 };
            prop::option::weighted(presence, field_json(rule).prop_map(move |v| ((*name).to_owned(), v))).boxed()
        })
        .collect();
    (
        fields,
        prop::option::weighted(0.4, tags_json()),
        prop::option::weighted(0.4, custom_fields_json()),
    )
        .prop_map(|(fields, tags, custom)| {
            let mut map: serde_json::Map<String, Json> = fields.into_iter().flatten().collect();
            if let Some(t) = tags {
                map.insert("tags".into(), t);
            }
            if let Some(c) = custom {
                map.insert("custom_fields".into(), c);
            }
            Json::Object(map)
        })
        .boxed()
}

fn key_body() -> BoxedStrategy<Json> {
    (
        prop::option::weighted(0.95, field_json(Rule::Required(MAX_NAME))),
        prop::option::of(prop_oneof![
            select(&["full", "read_only", "admin", "Full", " full", ""][..]).prop_map(|s| json!(s)),
            Just(Json::Null),
        ]),
        prop::option::of(prop_oneof![
            Just(json!("2099-12-31T23:59:59Z")),
            Just(Json::Null),
            Just(json!(5))
        ]),
    )
        .prop_map(|(name, scope, expires_at)| {
            let mut map = serde_json::Map::new();
            for (k, v) in [("name", name), ("scope", scope), ("expires_at", expires_at)] {
                if let Some(v) = v {
                    map.insert(k.into(), v);
                }
            }
            Json::Object(map)
        })
        .boxed()
}

fn agree_body(component: &str, body: &Json, answer: Result<(), crate::ApiError>) -> Result<(), TestCaseError> {
    with_schemas(|schemas| -> Result<(), TestCaseError> {
        let valid = schemas.valid(schemas.component(component), body);
        prop_assert_eq!(
            valid,
            answer.is_ok(),
            "{}: {} is {} by the schema, the server answers {:?}",
            component,
            body,
            if valid { "allowed" } else { "refused" },
            answer.err().map(|e| e.details)
        );
        Ok(())
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn contact_bodies_match_the_readers(create in body(CONTACT_RULES, false), patch in body(CONTACT_RULES, true)) {
        agree_body("ContactCreate", &create, contact_create(&create))?;
        agree_body("ContactUpdate", &patch, contact_update(&patch))?;
    }

    #[test]
    fn company_bodies_match_the_readers(create in body(COMPANY_RULES, false), patch in body(COMPANY_RULES, true)) {
        agree_body("CompanyCreate", &create, company_create(&create))?;
        agree_body("CompanyUpdate", &patch, company_update(&patch))?;
    }

    #[test]
    fn key_bodies_match_the_reader(body in key_body()) {
        agree_body("KeyCreate", &body, key_create(&body))?;
    }
}

// ---------------------------------------------------------------------------------------------
// Every code point
// ---------------------------------------------------------------------------------------------

/// Every code point of the Basic Multilingual Plane, every White_Space and Default_Ignorable
/// one, and a sample of the rest.
fn code_points() -> impl Iterator<Item = char> {
    let bmp = 0u32..=0xFFFF;
    let sets = wire::white_space()
        .union(&wire::default_ignorable())
        .ranges()
        .iter()
        .filter(|r| *r.start() > 0xFFFF)
        .flat_map(|r| r.clone())
        .collect::<Vec<_>>();
    let sample = (0x1_0000u32..=0x10_FFFF).step_by(61);
    bmp.chain(sets).chain(sample).filter_map(char::from_u32)
}

#[test]
fn every_code_point_is_judged_alike_by_schema_and_parser() {
    let schemas = Schemas::new();
    let first_name = schemas.property("ContactCreate", "first_name");
    let last_name = schemas.property("ContactCreate", "last_name");
    let email = schemas.property("ContactCreate", "email");
    let url = schemas.property("ContactCreate", "linkedin_url");
    let domain = schemas.property("CompanyCreate", "domain");
    let company = schemas.property("ContactCreate", "company_id");
    let tag = &schemas.property("ContactCreate", "tags")["items"];
    let custom = schemas.property("ContactCreate", "custom_fields");
    let mut disagreements = Vec::new();
    let mut check = |what: &str, s: &str, valid: bool, accepted: bool| {
        if valid != accepted && disagreements.len() < 20 {
            disagreements.push(format!("{what} {s:?}: schema {valid}, server {accepted}"));
        }
    };
    for c in code_points() {
        let alone = c.to_string();
        check(
            "first_name",
            &alone,
            schemas.valid_string(first_name, &alone),
            Rule::Required(MAX_NAME).accepts(&alone),
        );
        check(
            "last_name",
            &alone,
            schemas.valid_string(last_name, &alone),
            Rule::Optional(MAX_NAME).accepts(&alone),
        );
        for s in [format!("a{c}b"), alone.clone(), format!("{c}a")] {
            check("tag", &s, schemas.valid_string(tag, &s), accepts_tag(&s));
            let name = json!({ s.clone(): null });
            check(
                "custom field name",
                &s,
                schemas.valid(custom, &name),
                accepts_custom_field(&s, Value::Null),
            );
        }
        for s in [
            format!("a{c}b@example.com"),
            format!("{c}@example.com"),
            format!("a@exa{c}mple.com"),
            format!("{c}a@b"),
        ] {
            check("email", &s, schemas.valid_string(email, &s), accepts_email(&s));
        }
        for s in [
            format!("https://example.com/a{c}b"),
            format!("https://u{c}@example.com/"),
            format!("https://exa{c}mple.com/"),
            format!("http://example.com/{c}"),
            format!("{c}http://example.com"),
            format!("http://[::{c}1]/"),
            format!("http://example.com:8{c}/"),
        ] {
            check("url", &s, schemas.valid_string(url, &s), accepts_url(&s));
        }
        for s in [format!("{c}example.com"), format!("exa{c}mple.com"), alone.clone()] {
            check("domain", &s, schemas.valid_string(domain, &s), accepts_domain(&s));
        }
        for s in [format!("{c}cmp_01h455vb4pex5vsknk084sn02q"), alone.clone()] {
            check(
                "company_id",
                &s,
                schemas.valid_string(company, &s),
                accepts_company_ref(&s),
            );
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

// ---------------------------------------------------------------------------------------------
// The character sets and the patterns themselves
// ---------------------------------------------------------------------------------------------

#[test]
fn the_character_sets_are_the_servers() {
    let (ws, di, cc, refused) = (
        wire::white_space(),
        wire::default_ignorable(),
        wire::controls(),
        wire::refused_invisible(),
    );
    for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
        assert_eq!(ws.contains(c), is_white_space(c), "{c:?}");
        assert_eq!(di.contains(c), is_default_ignorable(c), "{c:?}");
        assert_eq!(cc.contains(c), c.is_control(), "{c:?}");
        assert_eq!(refused.contains(c), moss_domain::text::is_refused_invisible(c), "{c:?}");
        // Only U+037E becomes `;` in NFC (tags refuse both).
        if c != ';' && c != moss_domain::text::GREEK_QUESTION_MARK {
            assert!(!moss_domain::text::nfc(&c.to_string()).contains(';'), "{c:?}");
        }
    }
    assert!(
        refused
            .ranges()
            .iter()
            .flat_map(|r| r.clone())
            .all(|c| char::from_u32(c).is_some_and(is_default_ignorable))
    );
}

#[test]
fn class_bodies_escape_the_bmp_and_spell_astral_characters() {
    let set = wire::CharSet::from_ranges([0x41..=0x43, 0x20..=0x20, 0xFFF0..=0x1_0002, 0xD000..=0xE001]);
    assert_eq!(
        set.body(),
        "\\u0020\\u0041-\\u0043\\uD000-\\uD7FF\\uE000-\\uE001\\uFFF0-\\uFFFF\u{10000}-\u{10002}"
    );
    let merged = wire::CharSet::of("ba").union(&wire::CharSet::of("c"));
    assert_eq!(merged.ranges(), &[0x61..=0x63]);
}

/// Every pattern in the document, with where it is.
fn all_patterns(v: &Json, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Json::Object(map) => {
            for (k, item) in map {
                if k == "pattern" {
                    if let Some(p) = item.as_str() {
                        out.push((at.to_owned(), p.to_owned()));
                    }
                } else {
                    all_patterns(item, &format!("{at}/{k}"), out);
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                all_patterns(item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Patterns must mean the same in Python's `re`, the `regex` crate and ECMA-262: no `\s`, `\S`,
/// `\d`, `\D`, `\w`, `\W`, `\b` or `.` (outside a class and unescaped); escapes are `\uXXXX`,
/// `\xXX`, `\t` or an escaped punctuation character; no `\U` or `\u{...}`.
#[test]
fn every_pattern_is_portable_and_compiles() {
    let doc = serde_json::to_value(document()).expect("document");
    let mut patterns = Vec::new();
    all_patterns(&doc, "", &mut patterns);
    assert!(patterns.len() > 10, "{patterns:?}");
    for (at, p) in &patterns {
        Regex::new(p).unwrap_or_else(|e| panic!("{at}: {e}"));
        let chars: Vec<char> = p.chars().collect();
        let mut in_class = false;
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => {
                    let next = chars.get(i + 1).copied().unwrap_or(' ');
                    let ok = match next {
                        'u' => chars
                            .get(i + 2..i + 6)
                            .is_some_and(|h| h.iter().all(char::is_ascii_hexdigit)),
                        'x' => chars
                            .get(i + 2..i + 4)
                            .is_some_and(|h| h.iter().all(char::is_ascii_hexdigit)),
                        't' => true,
                        c => c.is_ascii_punctuation(),
                    };
                    assert!(ok, "{at}: escape \\{next} in {p}");
                    i += 2;
                    continue;
                }
                '[' if !in_class => in_class = true,
                ']' if in_class => in_class = false,
                '.' if !in_class => panic!("{at}: an unescaped `.` in {p}"),
                _ => {}
            }
            i += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

/// A route's body reader.
type Reader = fn(&Json) -> Result<(), crate::ApiError>;

/// Every component schema carries an example valid against it (patterns included); the request
/// examples are accepted by the routes' readers, and the example key is a well-formed key.
#[test]
fn every_component_has_an_example_valid_against_it() {
    let schemas = Schemas::new();
    let components = schemas.doc["components"]["schemas"].as_object().expect("components");
    for (name, schema) in components {
        let example = &schema["example"];
        assert!(!example.is_null() || name == "Deleted", "{name} has no example");
        assert_eq!(Some(example), example_of(name).as_ref(), "{name}");
        assert!(
            schemas.valid(schema, example),
            "{name}: its example {example} does not match its schema"
        );
    }
    let readers: [(&str, Reader); 5] = [
        ("ContactCreate", contact_create),
        ("ContactUpdate", contact_update),
        ("CompanyCreate", company_create),
        ("CompanyUpdate", company_update),
        ("KeyCreate", key_create),
    ];
    for (name, read) in readers {
        let example = &components[name]["example"];
        assert!(
            example.get("company_id").is_none(),
            "{name}: an example company_id names no company"
        );
        read(example).unwrap_or_else(|e| panic!("{name}: {:?}", e.details));
    }
    let key = components["CreatedApiKey"]["example"]["key"].as_str().expect("a key");
    let secret = KeySecret::parse(key).expect("the example key is well-formed");
    assert_eq!(components["CreatedApiKey"]["example"]["prefix"], secret.prefix());
}
