//! Property tests of every parser of client input: no input makes one panic, every rejection
//! names its field (a known path into the input), and what the contract calls valid is accepted.
//!
//! Each property runs [`CASES`] generated cases and writes no regression files; set
//! `PROPTEST_CASES` to run more locally.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use uuid::Uuid;

use crate::company::{Company, CompanyFilter, CompanySort, Domain};
use crate::contact::{Contact, ContactFilter, ContactSort};
use crate::deal::Deal;
use crate::error::FieldError;
use crate::id::{
    AuditId, CompanyId, ContactId, KeyId, MemberId, RequestIdValue, WorkspaceId, decode_suffix, encode_suffix,
};
use crate::idempotency::IdempotencyKey;
use crate::key::{KeySecret, KeySort, NewKey};
use crate::page::{PageRequest, SortField, SortOrder};
use crate::record::{Extras, ExtrasPatch, ListFilter, Record, Window, both, read_own};
use crate::tag::TagSort;
use crate::testing::MapForm;
use crate::text::{
    EmailAddress, HttpUrl, TagName, fold, is_blank, is_refused_invisible, is_white_space, nfc, search_document,
    search_words,
};
use crate::value::{Number, Patch, Value};
use crate::workspace::{MemberSort, NewMember, Slug, Workspace, WorkspaceSort};
use crate::{Role, audit::AuditSort};

/// Cases per property: enough to find the edges, small enough to keep `cargo test` fast.
const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Characters that sit on the edges of the parsers: separators, whitespace of every kind,
/// controls, multi-byte letters and digits.
const EDGY: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{0}', '\u{7f}', '\u{a0}', '\u{2028}', '\u{3000}', '\u{feff}', '.', '@', ':', '/', '?',
    '#', '[', ']', '-', '_', '%', '+', '=', '&', '"', '\\', '*', '\'', 'a', 'z', 'A', 'Z', '0', '7', '9', 'é', 'ß',
    'İ', 'Σ', '٣', '漢', '😀', '\u{301}',
];

/// Any text up to `max` characters: arbitrary code points, printable ASCII, or edge characters.
/// What free text becomes when stored (the model the parsers are checked against): NUL
/// removed, trimmed, NFC; `None` when blank.
fn cleaned(raw: &str) -> Option<String> {
    let stripped = raw.replace('\0', "");
    let trimmed = stripped.trim();
    (!is_blank(trimmed)).then(|| nfc(trimmed).into_owned())
}

fn text(max: usize) -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        vec(any::<char>(), 0..=max).prop_map(String::from_iter),
        vec(prop::char::range(' ', '~'), 0..=max).prop_map(String::from_iter),
        vec(select(EDGY), 0..=max).prop_map(String::from_iter),
    ]
}

/// A run of one character whose length sits around a limit, sometimes padded with spaces.
fn around_limits() -> impl Strategy<Value = String> + Clone {
    (
        select(
            &[
                1usize, 50, 51, 63, 64, 65, 199, 200, 201, 253, 254, 255, 256, 2048, 2049, 10_000, 10_001,
            ][..],
        ),
        select(&['a', 'é', '漢', ' ', '.'][..]),
        any::<bool>(),
    )
        .prop_map(|(n, c, pad)| {
            let run: String = std::iter::repeat_n(c, n).collect();
            if pad { format!("  {run}\t") } else { run }
        })
}

fn uuid() -> impl Strategy<Value = Uuid> + Clone {
    any::<u128>().prop_map(Uuid::from_u128)
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn base62(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    vec(select(&BASE62[..]), len).prop_map(|bytes| bytes.into_iter().map(char::from).collect())
}

/// The checksum as the contract words it, written independently of the implementation:
/// CRC32 of everything before it, as 6 base62 digits, most significant first.
fn contract_checksum(body: &str) -> String {
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

fn key_from_random(random: &str) -> String {
    let body = format!("moss_k_{random}");
    let sum = contract_checksum(&body);
    format!("{body}{sum}")
}

/// Text that looks like a key: the real prefix followed by anything, or a valid key mangled.
fn key_like() -> impl Strategy<Value = String> {
    prop_oneof![
        text(60),
        text(160).prop_map(|t| format!("moss_k_{t}")),
        base62(0..=140).prop_map(|t| format!("moss_k_{t}")),
        (base62(0..=140), text(3)).prop_map(|(r, t)| format!("{}{t}", key_from_random(&r))),
    ]
}

/// Text that looks like a TypeID or a UUID reference.
fn id_like() -> impl Strategy<Value = String> + Clone {
    let suffix = vec(
        prop_oneof![select(&CROCKFORD[..]).prop_map(char::from), select(EDGY)],
        24..=28,
    )
    .prop_map(String::from_iter);
    prop_oneof![
        text(40),
        (
            select(&["cnt", "cmp", "ws", "key", "", "cnt_cnt", "CNT"][..]),
            suffix.clone()
        )
            .prop_map(|(p, s)| format!("{p}_{s}")),
        uuid().prop_map(|u| ContactId::from_uuid(u).to_string()),
        uuid().prop_map(|u| CompanyId::from_uuid(u).to_string()),
        uuid().prop_map(|u| u.hyphenated().to_string()),
        uuid().prop_map(|u| u.simple().to_string()),
        uuid().prop_map(|u| format!(" {} ", CompanyId::from_uuid(u))),
        uuid().prop_map(|u| u.hyphenated().to_string().to_uppercase()),
    ]
}

/// A syntactically valid email address.
fn valid_email() -> impl Strategy<Value = String> + Clone {
    (
        "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9_+-]{1,10}){0,2}",
        "[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?){0,3}",
        "[ \t]{0,2}",
    )
        .prop_map(|(local, domain, pad)| format!("{pad}{local}@{domain}{pad}"))
}

/// A valid host name with at least one dot, as a company domain.
fn valid_domain() -> impl Strategy<Value = String> + Clone {
    "[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,3}"
}

/// A valid http(s) URL: host name, IPv4 or bracketed IPv6, optional user, port, path, query, fragment.
fn valid_url() -> impl Strategy<Value = String> + Clone {
    let host = prop_oneof![
        valid_domain(),
        "[a-z0-9]{1,20}",
        any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string()),
        any::<u128>().prop_map(|v| format!("[{}]", std::net::Ipv6Addr::from(v))),
    ];
    (
        select(&["http://", "https://", "HTTPS://", "Http://"][..]),
        prop::option::of("[a-z0-9._~-]{1,10}(:[a-z0-9]{0,8})?@"),
        host,
        prop::option::of(any::<u16>()),
        "(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){0,3}",
        prop::option::of("\\?[A-Za-z0-9=&%._-]{0,20}"),
        prop::option::of("#[A-Za-z0-9_-]{0,10}"),
    )
        .prop_map(|(scheme, user, host, port, path, query, fragment)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{scheme}{}{host}{port}{path}{}{}",
                user.unwrap_or_default(),
                query.unwrap_or_default(),
                fragment.unwrap_or_default()
            )
        })
}

/// A string field of a body: absent-ish, blank, valid-looking, junk, or around a limit.
fn field_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => text(30),
        1 => "[ \t\n]{0,4}",
        1 => "[A-Za-z][A-Za-z '-]{0,30}",
        1 => valid_email(),
        1 => valid_url(),
        1 => valid_domain(),
        1 => id_like(),
        1 => around_limits(),
    ]
    .boxed()
}

fn tags() -> BoxedStrategy<Vec<String>> {
    prop_oneof![
        6 => vec(prop_oneof![text(12), "[A-Za-z]{1,10}", around_limits()], 0..6),
        1 => vec("[a-zA-Z]{1,3}", 45..60),
    ]
    .boxed()
}

fn value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Number(Number::Int(i))),
        any::<f64>().prop_map(|f| Value::Number(Number::Float(f))),
        text(20).prop_map(Value::String),
        around_limits().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::List),
            vec(text(5).prop_map(Value::String), 49..53).prop_map(Value::List),
            btree_map(text(8), inner, 0..4).prop_map(Value::Map),
        ]
    })
    .boxed()
}

fn custom_field_name() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => "[a-z_]{1,12}",
        2 => text(10),
        1 => select(&["", " ", "tier", "a.b", "x[0]"][..]).prop_map(str::to_owned),
        1 => around_limits(),
    ]
}

fn custom_fields() -> BoxedStrategy<BTreeMap<String, Value>> {
    prop_oneof![
        8 => btree_map(custom_field_name(), value(), 0..6),
        1 => btree_map("[a-z]{1,8}", Just(Value::Null), 98..106),
    ]
    .boxed()
}

fn patch<T: std::fmt::Debug + Clone + 'static>(s: BoxedStrategy<T>) -> BoxedStrategy<Patch<T>> {
    prop_oneof![Just(Patch::Absent), Just(Patch::Null), s.prop_map(Patch::Set),].boxed()
}

type ExtraPatch = (Patch<Vec<String>>, Patch<BTreeMap<String, Value>>);

/// A body for a record's own string fields (each absent, `null` or some text) and its extras.
fn body(fields: &'static [&'static str]) -> BoxedStrategy<(Vec<Patch<String>>, ExtraPatch)> {
    (
        vec(patch(field_text()), fields.len()),
        patch(tags()),
        patch(custom_fields()),
    )
        .prop_map(|(values, tags, custom)| (values, (tags, custom)))
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------

/// Whether `field` is a path into a body with these scalar fields, this tag list and these
/// custom fields: a scalar field, `tags`, `tags[i]`, `custom_fields`, `custom_fields.<name>`
/// or `custom_fields.<name>[j]`.
fn is_known_path(
    field: &str,
    scalars: &[&str],
    tags: Option<&Vec<String>>,
    custom: Option<&BTreeMap<String, Value>>,
) -> bool {
    if scalars.contains(&field) || field == "tags" || field == "custom_fields" {
        return true;
    }
    if let Some(tags) = tags
        && (0..tags.len()).any(|i| field == format!("tags[{i}]"))
    {
        return true;
    }
    custom.is_some_and(|m| {
        m.iter().any(|(name, v)| {
            let path = format!("custom_fields.{name}");
            field == path
                || matches!(v, Value::List(items) if (0..items.len()).any(|j| field == format!("{path}[{j}]")))
        })
    })
}

fn assert_fields_known(
    errors: &[FieldError],
    scalars: &[&str],
    tags: Option<&Vec<String>>,
    custom: Option<&BTreeMap<String, Value>>,
) -> Result<(), TestCaseError> {
    prop_assert!(!errors.is_empty(), "a rejection without any field error");
    for e in errors {
        prop_assert!(
            is_known_path(&e.field, scalars, tags, custom),
            "unknown field path {:?} ({})",
            e.field,
            e.message
        );
        prop_assert!(!e.message.trim().is_empty(), "empty message for {}", e.field);
    }
    Ok(())
}

fn patch_set<T>(p: &Patch<T>) -> Option<&T> {
    match p {
        Patch::Set(v) => Some(v),
        _ => None,
    }
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
];
const COMPANY_FIELDS: &[&str] = &["name", "domain", "industry", "website", "phone", "notes"];

/// The string fields of a deal (`value` is a number).
const DEAL_FIELDS: &[&str] = &[
    "name",
    "stage",
    "currency",
    "expected_close",
    "company_id",
    "notes",
    "lost_reason",
];

/// Reads a body's own fields (`fields[0]` the required name) and extras as a create or a
/// PATCH: every error names a known field, and a missing or null name is reported.
fn own_fields_named<R: Record>(
    fields: &'static [&'static str],
    creating: bool,
    (values, (tags_patch, custom_patch)): (Vec<Patch<String>>, ExtraPatch),
) -> Result<(), TestCaseError> {
    let tags = patch_set(&tags_patch).cloned();
    let custom = patch_set(&custom_patch).cloned();
    let name = values[0].clone();
    let mut form = fields
        .iter()
        .zip(values)
        .fold(MapForm::new(), |form, (field, value)| form.with(field, value));
    let own = read_own::<R>(&mut form, creating);
    let extras = if creating {
        Extras::parse(tags.clone(), custom.clone()).map(|_| ())
    } else {
        ExtrasPatch::parse(tags_patch, custom_patch).map(|_| ())
    };
    let name_missing = name == Patch::Null || (creating && name == Patch::Absent);
    match both(own, extras) {
        Ok(_) => prop_assert!(
            !name_missing && patch_set(&name).is_none_or(|s| cleaned(s).is_some()),
            "{name:?}"
        ),
        Err(errors) => {
            assert_fields_known(&errors, fields, tags.as_ref(), custom.as_ref())?;
            prop_assert!(!name_missing || errors.iter().any(|e| e.field == fields[0]));
        }
    }
    Ok(())
}

/// The words of a text with no cap on their number: what a record must be findable by.
fn all_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_page<S: SortField + PartialEq + std::fmt::Debug>(
    page: Option<&str>,
    per_page: Option<&str>,
    sort: Option<&str>,
    order: Option<&str>,
) -> Result<(), TestCaseError> {
    let page_ok = page.is_none_or(|p| p.parse::<u32>().is_ok_and(|v| v >= 1));
    let per_page_ok = per_page.is_none_or(|p| p.parse::<u32>().is_ok_and(|v| (1..=250).contains(&v)));
    let sort_ok = sort.is_none_or(|s| S::ALL.iter().any(|(n, _)| *n == s));
    let order_ok = order.is_none_or(|o| o == "asc" || o == "desc");
    let expected: Vec<&str> = [
        ("page", page_ok),
        ("per_page", per_page_ok),
        ("sort", sort_ok),
        ("order", order_ok),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(f, _)| f)
    .collect();
    match PageRequest::<S>::parse(page, per_page, sort, order) {
        Ok(p) => {
            prop_assert!(expected.is_empty(), "accepted although {expected:?} are bad");
            prop_assert_eq!(p.page, page.map_or(1, |v| v.parse().unwrap_or(0)));
            prop_assert_eq!(p.per_page, per_page.map_or(25, |v| v.parse().unwrap_or(0)));
            let want_sort = sort.map_or(S::DEFAULT, |s| {
                S::ALL.iter().find(|(n, _)| *n == s).map(|(_, f)| *f).unwrap()
            });
            prop_assert_eq!(p.sort, want_sort);
            prop_assert_eq!(
                p.order,
                if order == Some("asc") {
                    SortOrder::Asc
                } else {
                    SortOrder::Desc
                }
            );
        }
        Err(errors) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            prop_assert_eq!(fields, expected);
            prop_assert!(errors.iter().all(|e| e.message.starts_with("must be")));
        }
    }
    Ok(())
}

fn number_like() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        text(12),
        any::<u32>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..300).prop_map(|n| n.to_string()),
        (0u32..300).prop_map(|n| format!("+{n}")),
        (0u32..300).prop_map(|n| format!(" {n}")),
        (0u32..300).prop_map(|n| format!("{n}.0")),
        Just(String::new()),
    ]
}

fn sort_like<S: SortField>() -> impl Strategy<Value = String> + Clone {
    let names: Vec<String> = S::ALL.iter().map(|(n, _)| (*n).to_owned()).collect();
    prop_oneof![
        select(names.clone()),
        select(names).prop_map(|n| n.to_uppercase()),
        text(15),
    ]
}

fn order_like() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        select(&["asc", "desc", "ASC", "Desc", " asc", ""][..]).prop_map(str::to_owned),
        text(6),
    ]
}

macro_rules! page_property {
    ($name:ident, $sort:ty) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $name(
                page in prop::option::of(number_like()),
                per_page in prop::option::of(number_like()),
                sort in prop::option::of(sort_like::<$sort>()),
                order in prop::option::of(order_like()),
            ) {
                check_page::<$sort>(page.as_deref(), per_page.as_deref(), sort.as_deref(), order.as_deref())?;
            }
        }
    };
}

page_property!(page_request_of_contacts, ContactSort);
page_property!(page_request_of_companies, CompanySort);
page_property!(page_request_of_keys, KeySort);
page_property!(page_request_of_members, MemberSort);
page_property!(page_request_of_workspaces, WorkspaceSort);
page_property!(page_request_of_tags, TagSort);
page_property!(page_request_of_audit_logs, AuditSort);

macro_rules! typed_id_round_trip {
    ($name:ident, $ty:ty, $other:ty) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $name(u in uuid()) {
                let id = <$ty>::from_uuid(u);
                let shown = id.to_string();
                prop_assert_eq!(shown.len(), <$ty>::PREFIX.len() + 1 + 26);
                prop_assert_eq!(<$ty>::parse(&shown), Some(id));
                prop_assert_eq!(shown.parse::<$ty>(), Ok(id));
                prop_assert_eq!(<$ty>::parse_reference(&shown), Some(id));
                prop_assert_eq!(<$ty>::parse_reference(&u.hyphenated().to_string()), Some(id));
                prop_assert_eq!(<$ty>::parse(&u.hyphenated().to_string()), None);
                // Another kind's id never passes for this one.
                let other = <$other>::from_uuid(u).to_string();
                prop_assert_eq!(<$ty>::parse(&other), None);
                prop_assert_eq!(<$ty>::parse_reference(&other), None);
            }
        }
    };
}

typed_id_round_trip!(workspace_id_round_trips, WorkspaceId, MemberId);
typed_id_round_trip!(member_id_round_trips, MemberId, KeyId);
typed_id_round_trip!(key_id_round_trips, KeyId, ContactId);
typed_id_round_trip!(contact_id_round_trips, ContactId, CompanyId);
typed_id_round_trip!(company_id_round_trips, CompanyId, AuditId);
typed_id_round_trip!(audit_id_round_trips, AuditId, RequestIdValue);
typed_id_round_trip!(request_id_round_trips, RequestIdValue, WorkspaceId);

proptest! {
    #![proptest_config(config())]

    // ----- API keys ------------------------------------------------------------------------

    #[test]
    fn key_parse_never_panics_and_accepts_only_well_formed_keys(raw in key_like()) {
        if let Some(key) = KeySecret::parse(&raw) {
            prop_assert_eq!(key.expose(), raw.as_str());
            let rest = &raw["moss_k_".len()..];
            prop_assert!(rest.len() >= 38 && rest.bytes().all(|b| BASE62.contains(&b)));
            let (body, sum) = raw.split_at(raw.len() - 6);
            prop_assert_eq!(contract_checksum(body), sum);
        }
    }

    #[test]
    fn keys_with_the_contract_checksum_parse(random in base62(32..=122)) {
        let raw = key_from_random(&random);
        let key = KeySecret::parse(&raw);
        prop_assert_eq!(key.as_ref().map(KeySecret::expose), Some(raw.as_str()));
        prop_assert_eq!(key.map(|k| k.prefix()), Some(raw[..12].to_owned()));
    }

    #[test]
    fn generated_keys_parse_and_follow_the_contract(_case in any::<u8>()) {
        let key = KeySecret::generate();
        let raw = key.expose();
        prop_assert_eq!(raw.len(), 7 + 32 + 6);
        prop_assert_eq!(&raw[raw.len() - 6..], contract_checksum(&raw[..raw.len() - 6]));
        prop_assert_eq!(KeySecret::parse(raw), Some(key.clone()));
    }

    #[test]
    fn changing_any_one_character_of_a_key_breaks_it(
        generated in any::<bool>(),
        random in base62(32..=122),
        at in any::<Index>(),
        replacement in prop_oneof![select(&BASE62[..]).prop_map(char::from), any::<char>(), select(EDGY)],
    ) {
        let raw = if generated { KeySecret::generate().expose().to_owned() } else { key_from_random(&random) };
        prop_assert!(KeySecret::parse(&raw).is_some());
        let mut chars: Vec<char> = raw.chars().collect();
        let i = at.index(chars.len());
        let old = chars[i];
        chars[i] = if replacement == old { if old == 'a' { 'b' } else { 'a' } } else { replacement };
        let changed: String = chars.into_iter().collect();
        prop_assert_eq!(KeySecret::parse(&changed), None, "{} accepted after changing position {}", changed, i);
    }

    #[test]
    fn new_key_names_every_bad_field(
        name in field_text(),
        scope in prop::option::of(prop_oneof![
            select(&["full", "read_only", "admin", "Full", " full"][..]).prop_map(str::to_owned),
            text(10),
        ]),
        expires in prop::option::of(prop_oneof![
            (-100_000i64..100_000_000).prop_map(|s| (crate::time::now() + chrono::TimeDelta::seconds(s))
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            select(&["2030-01-31T12:00:00Z", "2001-01-01T00:00:00Z", "2030-01-31", "tomorrow", " 2099-12-31T23:59:59+14:00 "][..])
                .prop_map(str::to_owned),
            text(30),
        ]),
    ) {
        let now = crate::time::now();
        let name_ok = name.chars().count() <= 200 && cleaned(&name).is_some();
        let scope_ok = scope.as_deref().is_none_or(|s| s == "full" || s == "read_only");
        match NewKey::parse(&name, scope.as_deref(), expires.as_deref(), now) {
            Ok(k) => {
                prop_assert!(name_ok && scope_ok);
                prop_assert_eq!(Some(k.name), cleaned(&name));
                prop_assert!(k.expires_at.is_none_or(|t| t > now));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(["name", "scope", "expires_at"].contains(&e.field.as_str()), "{}", e.field);
                }
                prop_assert_eq!(errors.iter().any(|e| e.field == "name"), !name_ok);
                prop_assert_eq!(errors.iter().any(|e| e.field == "scope"), !scope_ok);
            }
        }
    }

    // ----- TypeIDs -------------------------------------------------------------------------

    #[test]
    fn any_uuid_value_round_trips_through_the_suffix(x in any::<u128>()) {
        let u = Uuid::from_u128(x);
        let suffix = encode_suffix(u);
        prop_assert_eq!(suffix.len(), 26);
        prop_assert!(suffix.as_bytes()[0] <= b'7');
        prop_assert!(suffix.bytes().all(|b| CROCKFORD.contains(&b)));
        prop_assert_eq!(decode_suffix(&suffix), Some(u));
    }

    #[test]
    fn suffix_decoding_accepts_exactly_canonical_suffixes(raw in prop_oneof![
        text(30),
        vec(select(&CROCKFORD[..]), 25..=27).prop_map(|b| b.into_iter().map(char::from).collect()),
        vec(prop_oneof![select(&CROCKFORD[..]).prop_map(char::from), select(EDGY)], 26).prop_map(String::from_iter),
    ]) {
        let well_formed = raw.len() == 26 && raw.as_bytes()[0] <= b'7' && raw.bytes().all(|b| CROCKFORD.contains(&b));
        let decoded = decode_suffix(&raw);
        prop_assert_eq!(decoded.is_some(), well_formed);
        if let Some(u) = decoded {
            prop_assert_eq!(encode_suffix(u), raw);
        }
    }

    #[test]
    fn id_parsing_never_panics_and_is_canonical(raw in id_like()) {
        if let Some(id) = ContactId::parse(&raw) {
            prop_assert_eq!(id.to_string(), raw.clone());
        }
        if let Some(id) = ContactId::parse_reference(&raw) {
            let as_uuid = Uuid::parse_str(&raw).ok();
            prop_assert!(id.to_string() == raw || (raw.len() == 36 && as_uuid == Some(id.uuid())), "{}", raw);
        }
        if let Some(id) = CompanyId::parse_reference(&raw) {
            prop_assert!(id.to_string() == raw || raw.len() == 36, "{}", raw);
        }
    }

    // ----- Idempotency-Key -----------------------------------------------------------------

    #[test]
    fn idempotency_key_is_exactly_1_to_255_printable_ascii(raw in prop_oneof![
        text(40),
        "[ -~]{1,255}",
        "[ -~]{250,300}",
        around_limits(),
    ]) {
        let valid = (1..=255).contains(&raw.chars().count()) && raw.chars().all(|c| (' '..='~').contains(&c));
        match IdempotencyKey::parse(&raw) {
            Ok(k) => {
                prop_assert!(valid, "{:?} accepted", raw);
                prop_assert_eq!(k.as_str(), raw.as_str());
            }
            Err(e) => {
                prop_assert!(!valid, "{:?} rejected", raw);
                prop_assert_eq!(e.field.as_str(), "Idempotency-Key");
            }
        }
    }

    // ----- Pagination ----------------------------------------------------------------------

    #[test]
    fn valid_page_parameters_are_always_accepted(
        page in 1u32..,
        per_page in 1u32..=250,
        sort in select(ContactSort::ALL),
        order in select(&["asc", "desc"][..]),
    ) {
        let p = PageRequest::<ContactSort>::parse(
            Some(&page.to_string()),
            Some(&per_page.to_string()),
            Some(sort.0),
            Some(order),
        );
        prop_assert_eq!(p.map(|p| (p.page, p.per_page, p.sort)), Ok((page, per_page, sort.1)));
    }

    #[test]
    fn out_of_range_per_page_names_per_page(per_page in prop_oneof![Just(0u64), 251u64..]) {
        let err = PageRequest::<ContactSort>::parse(None, Some(&per_page.to_string()), None, None).unwrap_err();
        prop_assert_eq!(err.len(), 1);
        prop_assert_eq!(err[0].field.as_str(), "per_page");
    }

    // ----- Full-text search and list filters -----------------------------------------------

    #[test]
    fn search_words_are_lowercase_alphanumeric_and_bounded(q in prop_oneof![text(200), around_limits()]) {
        let words = search_words(&q);
        prop_assert!(words.len() <= 32);
        for w in &words {
            prop_assert!(!w.is_empty());
            prop_assert!(w.chars().all(char::is_alphanumeric), "{:?} from {:?}", w, q);
            prop_assert_eq!(w.to_lowercase(), w.clone());
        }
        // The words are those of the text, in order, up to the cap.
        let all = all_words(&q);
        prop_assert_eq!(&words[..], &all[..all.len().min(32)]);
    }

    #[test]
    fn a_record_is_findable_by_every_word_of_its_fields(
        parts in vec(prop::option::of(prop_oneof![
            text(60),
            vec("[A-Za-z0-9]{1,8}", 0..80).prop_map(|w| w.join(" ")),
            vec("[A-Za-zé]{1,6}", 0..60).prop_map(|w| w.join(", ")),
        ]), 0..5),
    ) {
        let doc = search_document(parts.iter().map(Option::as_deref));
        let doc_words: Vec<&str> = doc.split(' ').filter(|w| !w.is_empty()).collect();
        prop_assert!(doc.is_empty() || doc.split(' ').all(|w| !w.is_empty()), "empty word in {:?}", doc);
        for part in parts.iter().flatten() {
            for w in all_words(part) {
                prop_assert!(doc_words.contains(&w.as_str()), "{:?} of {:?} is not searchable", w, part);
            }
        }
        // And a query made of a field's text finds the record.
        for part in parts.iter().flatten() {
            for q in search_words(part) {
                prop_assert!(doc_words.iter().any(|d| d.starts_with(&q)));
            }
        }
    }

    #[test]
    fn contact_filter_rejects_only_a_bad_company_id(
        q in prop::option::of(text(80)),
        company_id in prop::option::of(id_like()),
        tag in prop::option::of(text(20)),
        email in prop::option::of(text(20)),
    ) {
        let valid_company = company_id.as_deref().is_none_or(|c| CompanyId::parse_reference(c.trim()).is_some());
        match ContactFilter::parse(company_id.as_deref(), email.as_deref()) {
            Ok(own) => {
                prop_assert!(valid_company);
                let f = ListFilter::new(q.as_deref(), tag.as_deref(), Window::default(), own);
                prop_assert!(f.words.iter().all(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric)));
                prop_assert_eq!(f.words, q.as_deref().map(search_words).unwrap_or_default());
                prop_assert_eq!(f.tag, tag.map(|t| fold(t.trim())));
                prop_assert_eq!(f.own.email, email.map(|e| fold(e.trim())));
            }
            Err(errors) => {
                prop_assert!(!valid_company);
                prop_assert_eq!(errors.len(), 1);
                prop_assert_eq!(errors[0].field.as_str(), "company_id");
            }
        }
    }

    #[test]
    fn company_filter_accepts_anything(
        q in prop::option::of(text(80)),
        tag in prop::option::of(text(20)),
        domain in prop::option::of(text(20)),
    ) {
        let f = ListFilter::new(q.as_deref(), tag.as_deref(), Window::default(), CompanyFilter::parse(domain.as_deref()));
        prop_assert!(f.words.iter().all(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric)));
    }

    // ----- Value objects -------------------------------------------------------------------

    #[test]
    fn value_objects_never_panic_and_name_their_field(
        raw in prop_oneof![text(80), around_limits(), valid_email(), valid_url(), valid_domain(), id_like()],
        field in select(&["email", "website", "linkedin_url", "tags[3]", "domain", "slug", "x"][..]),
    ) {
        let named = |e: FieldError| e.field == field && !e.message.is_empty();
        match EmailAddress::parse(field, &raw) {
            Ok(e) => {
                prop_assert_eq!(e.as_str(), nfc(raw.trim()));
                prop_assert!(e.as_str().contains('@') && raw.chars().count() <= 254);
                prop_assert!(!e.as_str().chars().any(|c| is_white_space(c) || c == '\0' || is_refused_invisible(c)));
            }
            Err(e) => prop_assert!(named(e)),
        }
        match HttpUrl::parse(field, &raw) {
            Ok(u) => {
                let lower = u.as_str().to_ascii_lowercase();
                prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"), "{}", u.as_str());
                prop_assert!(u.as_str().chars().count() <= 2048);
                prop_assert!(!u.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
            }
            Err(e) => prop_assert!(named(e)),
        }
        match TagName::parse(field, &raw) {
            Ok(t) => {
                prop_assert_eq!(Some(t.as_str().to_owned()), cleaned(&raw));
                prop_assert!(raw.chars().count() <= 64);
                prop_assert!(!t.as_str().contains(';') && !t.as_str().chars().any(is_refused_invisible));
            }
            Err(e) => prop_assert!(named(e)),
        }
        match Slug::parse(field, &raw) {
            Ok(s) => prop_assert!(
                (1..=63).contains(&s.as_str().len())
                    && s.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            ),
            Err(e) => prop_assert!(named(e)),
        }
        match Domain::parse(field, &raw) {
            Ok(d) => {
                prop_assert_eq!(d.as_str(), raw.trim().to_ascii_lowercase());
                prop_assert!(d.as_str().contains('.') && d.as_str().len() <= 253);
            }
            Err(e) => prop_assert!(named(e)),
        }
    }

    #[test]
    fn valid_emails_are_accepted(raw in valid_email()) {
        prop_assert!(EmailAddress::parse("email", &raw).is_ok(), "{:?}", raw);
    }

    #[test]
    fn valid_urls_are_accepted(raw in valid_url()) {
        prop_assert!(HttpUrl::parse("website", &raw).is_ok(), "{:?}", raw);
    }

    #[test]
    fn valid_domains_are_accepted_lower_cased(raw in valid_domain()) {
        let d = Domain::parse("domain", &raw);
        prop_assert_eq!(d.map(|d| d.as_str().to_owned()), Ok(raw.to_ascii_lowercase()));
    }

    #[test]
    fn valid_slugs_and_tags_are_accepted(slug in "[a-z0-9-]{1,63}", tag in "[ \t]{0,2}[a-zA-Z0-9\u{e9}\u{301}_ -]{0,58}[a-zA-Z\u{e9}][ ]{0,2}") {
        prop_assert!(Slug::parse("slug", &slug).is_ok());
        prop_assert_eq!(TagName::parse("tags[0]", &tag).map(|t| t.as_str().to_owned()), Ok(nfc(tag.trim()).into_owned()));
    }

    #[test]
    fn workspace_and_member_input_name_their_fields(
        name in prop::option::of(field_text()),
        slug in prop_oneof![text(20), "[a-z0-9-]{1,63}", around_limits()],
        email in prop_oneof![field_text(), valid_email()],
    ) {
        let now = crate::time::now();
        if let Err(errors) = Workspace::parse_new(name.as_deref().unwrap_or(""), &slug, now) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| e.field == "name" || e.field == "slug"));
        }
        let member = NewMember { email, name, role: Role::Member };
        if let Err(errors) = member.into_member(WorkspaceId::generate(), now) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| e.field == "email" || e.field == "name"));
        }
    }

    // ----- Record bodies -------------------------------------------------------------------

    #[test]
    fn contact_bodies_name_only_known_fields(creating: bool, b in body(CONTACT_FIELDS)) {
        own_fields_named::<Contact>(CONTACT_FIELDS, creating, b)?;
    }

    #[test]
    fn company_bodies_name_only_known_fields(creating: bool, b in body(COMPANY_FIELDS)) {
        own_fields_named::<Company>(COMPANY_FIELDS, creating, b)?;
    }

    #[test]
    fn deal_bodies_name_only_known_fields(creating: bool, b in body(DEAL_FIELDS)) {
        own_fields_named::<Deal>(DEAL_FIELDS, creating, b)?;
    }

    #[test]
    fn valid_contacts_and_companies_are_accepted(
        name in "[A-Za-z][A-Za-z '-]{0,40}",
        email in prop::option::of(valid_email()),
        url in prop::option::of(valid_url()),
        domain in prop::option::of(valid_domain()),
        company in prop::option::of(uuid()),
        tags in vec("[a-z]{1,10}", 0..50),
        custom in btree_map("[a-z_]{1,12}", prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(|i| Value::Number(Number::Int(i))),
            "[a-z ]{0,30}".prop_map(Value::String),
        ], 0..10),
    ) {
        let opt = |v: Option<String>| v.map_or(Patch::Absent, Patch::Set);
        let contact = read_own::<Contact>(
            &mut MapForm::new()
                .set("first_name", &name)
                .with("email", opt(email))
                .with("linkedin_url", opt(url.clone()))
                .with("company_id", opt(company.map(|u| CompanyId::from_uuid(u).to_string()))),
            true,
        );
        prop_assert!(contact.is_ok(), "{:?}", contact);
        let extras = Extras::parse(Some(tags), Some(custom));
        prop_assert!(extras.is_ok(), "{:?}", extras);
        let company = read_own::<Company>(
            &mut MapForm::new()
                .set("name", &name)
                .with("domain", opt(domain))
                .with("website", opt(url)),
            true,
        );
        prop_assert!(company.is_ok(), "{:?}", company);
    }
}
