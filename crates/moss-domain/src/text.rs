//! Value objects for text input: normalized (Unicode NFC), trimmed, length-checked, and checked
//! for form (contract.md, Text).
//!
//! One pipeline for every string a client sends:
//! - a length limit counts the characters as sent, before anything is removed, so that a
//!   schema's `maxLength` says exactly what is accepted;
//! - free text (names, notes, tags, custom-field strings) drops NUL (U+0000, which Postgres
//!   cannot store); strictly formatted values (emails, URLs, domains) refuse it;
//! - surrounding White_Space is trimmed; a string made only of White_Space and
//!   Default_Ignorable code points is blank (`null` for an optional field, missing for a
//!   required one);
//! - what is kept is stored in NFC; emails and tags are compared in [`fold`]ed form.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use icu_casemap::CaseMapper;
use icu_normalizer::ComposingNormalizer;
use icu_properties::CodePointSetData;
use icu_properties::props::{DefaultIgnorableCodePoint, WhiteSpace};

use crate::error::{Errors, FieldError};
use crate::value::{Patch, Value};

/// Names and titles.
pub const MAX_NAME: usize = 200;
/// Email addresses.
pub const MAX_EMAIL: usize = 254;
/// URLs.
pub const MAX_URL: usize = 2048;
/// Phone numbers.
pub const MAX_PHONE: usize = 50;
/// Notes.
pub const MAX_NOTES: usize = 10_000;
/// Tags per record.
pub const MAX_TAGS: usize = 50;
/// Characters per tag.
pub const MAX_TAG: usize = 64;
/// Keys in custom_fields.
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// Characters in a custom field name.
pub const MAX_CUSTOM_FIELD_NAME: usize = 64;
/// A host name (of a domain or an email address).
pub const MAX_HOST: usize = 253;

/// `s` in Unicode Normalization Form C, the form text is stored in.
pub fn nfc(s: &str) -> Cow<'_, str> {
    ComposingNormalizer::new_nfc().normalize(s)
}

/// The form two strings are compared in (emails, tags): NFC, then full Unicode case folding,
/// then NFC again (folding can leave a string unnormalized). `Straße` and `STRASSE` fold alike.
pub fn fold(s: &str) -> String {
    let folded = CaseMapper::new().fold_string(&nfc(s)).into_owned();
    nfc(&folded).into_owned()
}

/// True for a White_Space code point (what `str::trim` removes).
pub fn is_white_space(c: char) -> bool {
    CodePointSetData::new::<WhiteSpace>().contains(c)
}

/// True for a Default_Ignorable code point (invisible: zero-width spaces, joiners, variation
/// selectors, bidi controls, ...).
pub fn is_default_ignorable(c: char) -> bool {
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// A string made only of White_Space and Default_Ignorable code points (or empty) is blank.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| is_white_space(c) || is_default_ignorable(c))
}

/// The invisible characters refused in emails, domains and tags: bidi controls, the zero-width
/// space, the word joiner and the byte-order mark. (ZWJ and ZWNJ are allowed.)
pub const REFUSED_INVISIBLE: [RangeInclusive<char>; 7] = [
    '\u{061C}'..='\u{061C}',
    '\u{200B}'..='\u{200B}',
    '\u{200E}'..='\u{200F}',
    '\u{202A}'..='\u{202E}',
    '\u{2060}'..='\u{2060}',
    '\u{2066}'..='\u{2069}',
    '\u{FEFF}'..='\u{FEFF}',
];

/// True for a character of [`REFUSED_INVISIBLE`].
pub fn is_refused_invisible(c: char) -> bool {
    REFUSED_INVISIBLE.iter().any(|r| r.contains(&c))
}

/// The code point ranges of White_Space, from the same Unicode data the checks use (the OpenAPI
/// patterns are built from them).
pub fn white_space_ranges() -> Vec<RangeInclusive<u32>> {
    CodePointSetData::new::<WhiteSpace>().iter_ranges().collect()
}

/// The code point ranges of Default_Ignorable_Code_Point.
pub fn default_ignorable_ranges() -> Vec<RangeInclusive<u32>> {
    CodePointSetData::new::<DefaultIgnorableCodePoint>()
        .iter_ranges()
        .collect()
}

/// U+037E GREEK QUESTION MARK, whose NFC form is `;`: refused wherever `;` is.
pub const GREEK_QUESTION_MARK: char = '\u{037E}';

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(field, format!("must be at most {max} characters"))
}

/// Checks a limit on the characters of a value as sent.
fn check_length(field: &str, raw: &str, max: usize) -> Result<(), FieldError> {
    if raw.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok(())
}

/// Removes NUL (U+0000) characters from free text: Postgres cannot store them in text, so
/// neither database is given one and both keep the same value.
pub fn strip_nul(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', ""))
    } else {
        Cow::Borrowed(s)
    }
}

/// Free text as stored: NUL removed, trimmed, NFC; `None` when blank.
fn clean_text(raw: &str) -> Option<String> {
    let stripped = strip_nul(raw);
    let trimmed = stripped.trim();
    if is_blank(trimmed) {
        return None;
    }
    Some(nfc(trimmed).into_owned())
}

/// Free text: at most `max` characters as sent; NUL removed; trimmed; stored in NFC. `None`
/// when absent or blank.
pub fn optional_text(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else { return Ok(None) };
    check_length(field, &raw, max)?;
    Ok(clean_text(&raw))
}

/// Like [`optional_text`], but a missing or blank value is an error.
pub fn required_text(field: &str, raw: Option<String>, max: usize) -> Result<String, FieldError> {
    optional_text(field, raw, max)?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// The value of a strictly formatted field (email, URL, domain): at most `max` characters as
/// sent, no NUL, trimmed. `None` when blank.
fn formatted<'a>(
    field: &str,
    raw: &'a str,
    max: usize,
    invalid: &dyn Fn() -> FieldError,
) -> Result<Option<&'a str>, FieldError> {
    check_length(field, raw, max)?;
    if raw.contains('\0') {
        return Err(invalid());
    }
    let trimmed = raw.trim();
    Ok((!is_blank(trimmed)).then_some(trimmed))
}

fn refused_invisible(field: &str) -> FieldError {
    FieldError::new(field, "must not contain invisible or bidirectional control characters")
}

/// The characters an email's local part may not contain, besides White_Space, controls and
/// [`REFUSED_INVISIBLE`].
pub const EMAIL_LOCAL_SPECIALS: &str = "()<>,;:\\\"[]@";

/// An email address, trimmed, checked for form and stored in NFC; compared in [`fold`]ed form.
/// Form: a local part of characters other than White_Space, controls, `()<>,;:\"[]@` and
/// the refused invisible characters, in dot-separated non-empty runs; `@`; a host name of
/// ASCII labels ([`is_host_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and checks an address (blank is invalid here: optional fields check it first).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "must be a valid email address");
        let s = formatted(field, raw, MAX_EMAIL, &invalid)?.ok_or_else(invalid)?;
        if s.chars().any(is_refused_invisible) {
            return Err(refused_invisible(field));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = local.split('.').all(|run| {
            !run.is_empty()
                && run.chars().all(|c| {
                    !is_white_space(c)
                        && !c.is_control()
                        && c != GREEK_QUESTION_MARK
                        && !EMAIL_LOCAL_SPECIALS.contains(c)
                })
        });
        if !local_ok || !is_host_name(domain, false) {
            return Err(invalid());
        }
        Ok(Self(nfc(s).into_owned()))
    }
    /// The address as stored (NFC).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The folded form used for matching and uniqueness (the `email_lower` columns).
    pub fn normalized(&self) -> String {
        fold(&self.0)
    }
    /// Wraps a stored address without checking it.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// True for a DNS host name: labels of ASCII letters, digits and hyphens, 1-63 characters, not
/// starting or ending with a hyphen (punycode `xn--` labels are such labels), at most 253
/// characters; at least two labels when `needs_dot`.
pub fn is_host_name(host: &str, needs_dot: bool) -> bool {
    host.len() <= MAX_HOST && has_host_labels(host, needs_dot)
}

/// [`is_host_name`] without the limit on the whole name (URL hosts: each label at most 63).
fn has_host_labels(host: &str, needs_dot: bool) -> bool {
    if host.is_empty() {
        return false;
    }
    let mut labels = 0;
    let ok = host.split('.').all(|l| {
        labels += 1;
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    ok && (!needs_dot || labels >= 2)
}

/// Whether `port` is a URL port: empty, or 1-5 ASCII digits of a value up to 65535.
fn is_port(port: &str) -> bool {
    port.is_empty()
        || (port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65_535))
}

/// An http(s) URL, trimmed, checked for form and stored in NFC.
/// Form: `http://` or `https://` (any case), an optional user-info ending in `@`, a host (ASCII
/// labels of 1-63 letters, digits and hyphens, or a bracketed IPv6 address), an optional
/// `:port` (0-65535), then anything; no White_Space or control character anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Parses and checks a URL (blank is invalid here: optional fields check it first).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "must be an http or https URL");
        let s = formatted(field, raw, MAX_URL, &invalid)?.ok_or_else(invalid)?;
        if s.chars().any(|c| is_white_space(c) || c.is_control()) {
            return Err(invalid());
        }
        let scheme_len = if s.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("https://")) {
            8
        } else if s.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://")) {
            7
        } else {
            return Err(invalid());
        };
        let rest = &s[scheme_len..];
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let ok = if let Some(v6) = host_port.strip_prefix('[') {
            // `[address]` or `[address]:port`.
            match v6.split_once(']') {
                Some((addr, after)) => {
                    addr.parse::<std::net::Ipv6Addr>().is_ok()
                        && (after.is_empty() || after.strip_prefix(':').is_some_and(is_port))
                }
                None => false,
            }
        } else {
            let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
            has_host_labels(host, false) && (!host_port.contains(':') || is_port(port))
        };
        if !ok {
            return Err(invalid());
        }
        Ok(Self(nfc(s).into_owned()))
    }
    /// The URL as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Wraps a stored URL without checking it.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// Parses an optional email (blank means none).
pub fn optional_email(field: &str, raw: Option<String>) -> Result<Option<EmailAddress>, FieldError> {
    match raw {
        None => Ok(None),
        Some(s) => patch_with(field, Patch::Set(s), EmailAddress::parse).map(Patch::into_option),
    }
}

/// Parses an optional URL (blank means none).
pub fn optional_url(field: &str, raw: Option<String>) -> Result<Option<HttpUrl>, FieldError> {
    match raw {
        None => Ok(None),
        Some(s) => patch_with(field, Patch::Set(s), HttpUrl::parse).map(Patch::into_option),
    }
}

/// Checks a PATCH of an optional text field. Blank counts as `null`.
pub fn patch_optional_text(field: &str, raw: Patch<String>, max: usize) -> Result<Patch<String>, FieldError> {
    Ok(match raw {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Set(s) => match optional_text(field, Some(s), max)? {
            Some(v) => Patch::Set(v),
            None => Patch::Null,
        },
    })
}

/// Checks a PATCH of a required text field: `null` or blank is an error.
pub fn patch_required_text(field: &str, raw: Patch<String>, max: usize) -> Result<Option<String>, FieldError> {
    match raw {
        Patch::Absent => Ok(None),
        Patch::Null => Err(FieldError::new(field, "is required and cannot be null")),
        Patch::Set(s) => required_text(field, Some(s), max).map(Some),
    }
}

/// Checks a PATCH of an optional formatted field: blank (White_Space and Default_Ignorable
/// only, with no NUL) counts as `null`; anything else goes to `parse` as sent.
pub fn patch_with<T>(
    field: &str,
    raw: Patch<String>,
    parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
) -> Result<Patch<T>, FieldError> {
    Ok(match raw {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Set(s) if is_blank(&s) => Patch::Null,
        Patch::Set(s) => Patch::Set(parse(field, &s)?),
    })
}

/// A tag name: 1-64 characters as sent, trimmed, not blank, without `;` or the refused
/// invisible characters, stored in NFC. `VIP` and `vip` are the same tag ([`TagName::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName(String);

impl TagName {
    /// Parses one tag name.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        check_length(field, raw, MAX_TAG)?;
        let Some(s) = clean_text(raw) else {
            return Err(FieldError::new(field, "must not be blank"));
        };
        if s.contains(';') || raw.contains(GREEK_QUESTION_MARK) {
            return Err(FieldError::new(
                field,
                "must not contain ; (the list separator of CSV files)",
            ));
        }
        if s.chars().any(is_refused_invisible) {
            return Err(refused_invisible(field));
        }
        Ok(Self(s))
    }
    /// The name as written (NFC).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-insensitive key ([`fold`]).
    pub fn key(&self) -> String {
        fold(&self.0)
    }
    /// Wraps a stored name without checking it.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// Parses a record's tag list: at most 50, each valid; case-insensitive duplicates collapse
/// to the first spelling.
pub fn parse_tags(field: &str, raw: Vec<String>) -> Result<Vec<TagName>, Vec<FieldError>> {
    let mut errors = Errors::new();
    if raw.len() > MAX_TAGS {
        errors.push(field, format!("must have at most {MAX_TAGS} tags"));
    }
    let mut tags: Vec<TagName> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for (i, t) in raw.iter().enumerate() {
        if let Some(tag) = errors.check(TagName::parse(&format!("{field}[{i}]"), t))
            && keys.insert(tag.key())
        {
            tags.push(tag);
        }
    }
    errors.finish().map(|()| tags)
}

/// Sorts tag names case-insensitively, as records present them.
/// The order is that of SQL `lower()` on both backends (ASCII letters folded), so a record's
/// tags and `GET /tags?sort=name` agree.
pub fn sort_tags(tags: &mut [TagName]) {
    tags.sort_by(|a, b| {
        a.0.to_ascii_lowercase()
            .cmp(&b.0.to_ascii_lowercase())
            .then_with(|| a.0.cmp(&b.0))
    });
}

/// Checks a custom_fields object and returns it as stored: at most 100 keys; names 1-64
/// characters, not blank, without NUL, stored in NFC (two names equal once normalized are
/// refused); values are strings (up to 10,000 characters as sent), numbers, booleans, null or
/// lists of up to 50 strings (up to 200 characters); strings lose NUL and are stored in NFC.
pub fn check_custom_fields(
    field: &str,
    map: BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
    let mut errors = Errors::new();
    if map.len() > MAX_CUSTOM_FIELDS {
        errors.push(field, format!("must have at most {MAX_CUSTOM_FIELDS} fields"));
    }
    let mut out = BTreeMap::new();
    for (name, value) in map {
        let path = format!("{field}.{name}");
        if is_blank(&name) || name.chars().count() > MAX_CUSTOM_FIELD_NAME {
            errors.push(
                &path,
                format!("field names must be 1 to {MAX_CUSTOM_FIELD_NAME} characters, not blank"),
            );
            continue;
        }
        if name.contains('\0') {
            // Postgres cannot store NUL; values are cleaned of it, names are refused as written.
            errors.push(&path, "field names must not contain NUL characters");
            continue;
        }
        let value = match value {
            Value::Null | Value::Bool(_) | Value::Number(_) => Some(value),
            Value::String(s) if s.chars().count() <= MAX_NOTES => Some(Value::String(nfc(&strip_nul(&s)).into_owned())),
            Value::String(_) => {
                errors.push(&path, format!("must be at most {MAX_NOTES} characters"));
                None
            }
            Value::List(items) => {
                if items.len() > MAX_TAGS {
                    errors.push(&path, format!("must have at most {MAX_TAGS} items"));
                }
                let mut list = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(s) if s.chars().count() <= MAX_NAME => {
                            list.push(Value::String(nfc(&strip_nul(&s)).into_owned()));
                        }
                        Value::String(_) => {
                            errors.push(format!("{path}[{i}]"), format!("must be at most {MAX_NAME} characters"));
                        }
                        _ => errors.push(format!("{path}[{i}]"), "must be a string"),
                    }
                }
                Some(Value::List(list))
            }
            Value::Map(_) => {
                errors.push(&path, "must be a string, number, boolean, null or list of strings");
                None
            }
        };
        let key = nfc(&name).into_owned();
        if out.contains_key(&key) {
            errors.push(&path, "names the same field as another name once normalized (NFC)");
            continue;
        }
        if let Some(v) = value {
            out.insert(key, v);
        }
    }
    errors.finish().map(|()| out)
}

/// Most words of a full-text query that are used (the rest are ignored).
pub const MAX_QUERY_WORDS: usize = 32;

/// Lower-cased runs of letters and digits; everything else separates words.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The words of a full-text query: lower-cased runs of letters and digits, at most
/// [`MAX_QUERY_WORDS`]. Punctuation and search operators are separators, so no query can be
/// malformed.
pub fn search_words(q: &str) -> Vec<String> {
    let mut words = words(q);
    words.truncate(MAX_QUERY_WORDS);
    words
}

/// The text a record is searched by: every word of its fields (not capped like a query's),
/// lower-cased, separated by spaces.
pub fn search_document<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut doc = String::new();
    for part in parts.into_iter().flatten() {
        for word in words(part) {
            if !doc.is_empty() {
                doc.push(' ');
            }
            doc.push_str(&word);
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("jane@example.com", true)]
    #[case("  Jane.Smith+crm@Example.co.uk ", true)]
    #[case("o'brien@example.ie", true)]
    #[case("owner@localhost", true)]
    #[case("jane", false)]
    #[case("@example.com", false)]
    #[case("jane@", false)]
    #[case("jane@@example.com", false)]
    #[case("ja ne@example.com", false)]
    #[case("jane@exa_mple.com", false)]
    #[case("jane@-example.com", false)]
    #[case(".jane@example.com", false)]
    #[case("jane..smith@example.com", false)]
    #[case("jane@example..com", false)]
    #[case("\"quoted local\"@b.com", false)]
    #[case("a@[127.0.0.1]", false)]
    #[case("a@b\u{fc}cher.de", false)]
    #[case("a@xn--bcher-kva.de", true)]
    #[case("jos\u{e9}@example.com", true)]
    #[case("\u{202e}moc.elpmaxe@a", false)]
    #[case("a\u{200b}@example.com", false)]
    #[case("a\u{200d}b@example.com", true)]
    #[case("a\0@example.com", false)]
    #[case("a\u{37e}@example.com", false)]
    #[case("a\u{85}b@example.com", false)]
    fn email_form(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(EmailAddress::parse("email", raw).is_ok(), ok, "{raw}");
    }

    #[test]
    fn email_is_trimmed_kept_as_given_and_matched_lower_cased() {
        let e = EmailAddress::parse("email", " Jane@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Jane@Example.COM");
        assert_eq!(e.normalized(), "jane@example.com");
    }

    #[test]
    fn email_is_stored_in_nfc_and_compared_after_case_folding() {
        let composed = EmailAddress::parse("email", "Jos\u{e9}@Example.com").unwrap();
        let decomposed = EmailAddress::parse("email", "jose\u{301}@example.COM").unwrap();
        assert_eq!(composed.as_str(), "Jos\u{e9}@Example.com");
        assert_eq!(decomposed.as_str(), "jos\u{e9}@example.COM", "stored in NFC");
        assert_eq!(composed.normalized(), decomposed.normalized());
        assert_eq!(
            fold("STRASSE"),
            fold("Stra\u{df}e"),
            "full case folding, not lower-casing"
        );
    }

    #[test]
    fn refused_invisible_characters_are_named_as_such() {
        let err = EmailAddress::parse("email", "a\u{202e}b@example.com").unwrap_err();
        assert_eq!(
            err,
            FieldError::new(
                "email",
                "must not contain invisible or bidirectional control characters"
            )
        );
        for c in [
            '\u{61c}', '\u{200b}', '\u{200e}', '\u{202a}', '\u{2060}', '\u{2066}', '\u{feff}',
        ] {
            assert!(
                TagName::parse("tags[0]", &format!("a{c}b")).is_err(),
                "{:X}",
                u32::from(c)
            );
        }
        assert!(TagName::parse("tags[0]", "a\u{200d}b").is_ok(), "ZWJ is allowed");
        assert!(TagName::parse("tags[0]", "a\u{200c}b").is_ok(), "ZWNJ is allowed");
    }

    #[rstest]
    #[case("\u{200b}")]
    #[case("\u{feff}")]
    #[case(" \u{00ad}\t")]
    #[case("\0")]
    #[case("\u{85}")]
    fn invisible_only_strings_are_blank(#[case] raw: &str) {
        assert_eq!(optional_text("title", Some(raw.into()), MAX_NAME), Ok(None));
        assert_eq!(
            required_text("first_name", Some(raw.into()), MAX_NAME),
            Err(FieldError::new("first_name", "is required"))
        );
        assert_eq!(
            TagName::parse("tags[0]", raw),
            Err(FieldError::new("tags[0]", "must not be blank"))
        );
        assert_eq!(
            optional_email("email", Some(raw.into())).map_err(|_| ()),
            if raw == "\0" { Err(()) } else { Ok(None) }
        );
    }

    #[test]
    fn tags_are_nfc_compared_folded_and_refuse_the_csv_separator() {
        let tags = parse_tags("tags", vec!["caf\u{e9}".into(), "CAFE\u{301}".into()]).unwrap();
        assert_eq!(tags.iter().map(TagName::as_str).collect::<Vec<_>>(), ["caf\u{e9}"]);
        for raw in ["a;b", "a\u{37e}b"] {
            let err = TagName::parse("tags[0]", raw).unwrap_err();
            assert!(err.message.contains(';'), "{raw}: {err}");
        }
    }

    #[test]
    fn limits_count_characters_as_sent_and_free_text_drops_nul() {
        let padded = format!(" {}", "a".repeat(MAX_NAME));
        assert_eq!(
            optional_text("title", Some(padded), MAX_NAME),
            Err(FieldError::new("title", "must be at most 200 characters"))
        );
        assert_eq!(
            optional_text("title", Some("a\0b".into()), MAX_NAME),
            Ok(Some("ab".into()))
        );
        assert_eq!(
            optional_text("title", Some("e\u{301}".into()), MAX_NAME),
            Ok(Some("\u{e9}".into()))
        );
    }

    #[test]
    fn custom_field_strings_and_names_are_stored_in_nfc() {
        let mut map = BTreeMap::new();
        map.insert("cafe\u{301}".to_string(), Value::String("e\u{301}\0".into()));
        map.insert("list".to_string(), Value::List(vec![Value::String("e\u{301}".into())]));
        let out = check_custom_fields("custom_fields", map).unwrap();
        assert_eq!(out.get("caf\u{e9}"), Some(&Value::String("\u{e9}".into())));
        assert_eq!(
            out.get("list"),
            Some(&Value::List(vec![Value::String("\u{e9}".into())]))
        );
        let mut twice = BTreeMap::new();
        twice.insert("caf\u{e9}".to_string(), Value::Bool(true));
        twice.insert("cafe\u{301}".to_string(), Value::Bool(false));
        let err = check_custom_fields("custom_fields", twice).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
    }

    #[test]
    fn email_longer_than_254_is_rejected_for_length() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        let err = EmailAddress::parse("email", &raw).unwrap_err();
        assert_eq!(err.message, "must be at most 254 characters");
    }

    #[rstest]
    #[case("https://example.com", true)]
    #[case("http://example.com:8080/a?b=c#d", true)]
    #[case("HTTPS://EXAMPLE.COM/Path", true)]
    #[case("https://[::1]:443/", true)]
    #[case("https://user@example.com/", true)]
    #[case("https://[::1]/", true)]
    #[case("http://[::]", true)]
    #[case("https://[2001:db8::1]:8443/x", true)]
    #[case("https://[::1]x/", false)]
    #[case("https://[::1]:x/", false)]
    #[case("https://[::1/", false)]
    #[case("ftp://example.com", false)]
    #[case("javascript:alert(1)", false)]
    #[case("https://", false)]
    #[case("https://exa mple.com", false)]
    #[case("example.com", false)]
    #[case("https://example.com:99999/", false)]
    #[case("https://example.com:65535/", true)]
    #[case("https://example.com:65536/", false)]
    #[case("https://example.com:+80/", false)]
    #[case("https://example.com:/", true)]
    #[case("http://bücher.example/", false)]
    #[case("http://xn--bcher-kva.example/", true)]
    #[case("http://a_b.com/", false)]
    #[case("http://a.com./", false)]
    #[case("http://x\u{85}y.com/", false)]
    #[case("http://a.com/p\u{85}q", false)]
    #[case("http://a.com/p\u{85}", true)]
    #[case("http://a.com/\0", false)]
    #[case("http://a.com/caf\u{e9}", true)]
    #[case("https://[::1]:65536/", false)]
    #[case("https://[::ffff:1.2.3.4]/", true)]
    fn url_form(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(HttpUrl::parse("website", raw).is_ok(), ok, "{raw}");
    }

    #[rstest]
    #[case(None, Ok(None))]
    #[case(Some(""), Ok(None))]
    #[case(Some("   "), Ok(None))]
    #[case(Some(" Jane "), Ok(Some("Jane")))]
    #[case(Some("é"), Ok(Some("é")))]
    fn optional_text_trims_and_blanks_to_none(#[case] raw: Option<&str>, #[case] expected: Result<Option<&str>, ()>) {
        let got = optional_text("f", raw.map(String::from), 6).map_err(|_| ());
        assert_eq!(got, expected.map(|o| o.map(String::from)));
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert!(optional_text("f", Some("é".repeat(200)), MAX_NAME).is_ok());
        let err = optional_text("f", Some("é".repeat(201)), MAX_NAME).unwrap_err();
        assert_eq!(err, FieldError::new("f", "must be at most 200 characters"));
    }

    #[rstest]
    #[case(None)]
    #[case(Some(""))]
    #[case(Some(" \t\n"))]
    fn required_text_missing_or_blank_is_required(#[case] raw: Option<&str>) {
        let err = required_text("first_name", raw.map(String::from), MAX_NAME).unwrap_err();
        assert_eq!(err, FieldError::new("first_name", "is required"));
    }

    #[test]
    fn patch_null_on_required_field_is_an_error() {
        assert!(patch_required_text("first_name", Patch::Null, MAX_NAME).is_err());
        assert_eq!(patch_required_text("first_name", Patch::Absent, MAX_NAME), Ok(None));
        assert_eq!(
            patch_optional_text("title", Patch::Set("  ".into()), MAX_NAME),
            Ok(Patch::Null)
        );
    }

    #[test]
    fn tags_collapse_case_insensitive_duplicates_and_name_bad_indexes() {
        let tags = parse_tags("tags", vec!["VIP".into(), "vip".into(), " lead ".into()]).unwrap();
        assert_eq!(tags.iter().map(TagName::as_str).collect::<Vec<_>>(), ["VIP", "lead"]);
        let err = parse_tags("tags", vec!["ok".into(), " ".into(), "x".repeat(65)]).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tags[1]", "tags[2]"]);
    }

    #[test]
    fn more_than_fifty_tags_is_an_error() {
        let raw: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        let err = parse_tags("tags", raw).unwrap_err();
        assert_eq!(err[0].field, "tags");
    }

    #[rstest]
    #[case("acm", vec!["acm"])]
    #[case("Jane  O'Brien", vec!["jane", "o", "brien"])]
    #[case("\"foo\" OR bar* -baz NEAR(x)", vec!["foo", "or", "bar", "baz", "near", "x"])]
    #[case("!!! ''' ***", vec![])]
    #[case("jane@acme.com", vec!["jane", "acme", "com"])]
    fn search_words_are_plain_lowercase_words(#[case] q: &str, #[case] words: Vec<&str>) {
        assert_eq!(search_words(q), words);
    }

    #[test]
    fn a_record_is_searchable_by_every_word_but_a_query_uses_at_most_32() {
        let notes: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let notes = notes.join(" ");
        let doc = search_document([Some("Jane"), Some(notes.as_str())]);
        assert!(doc.ends_with(" w39"), "{doc}");
        assert_eq!(search_words(&notes).len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn custom_fields_are_checked_per_key() {
        let mut map = BTreeMap::new();
        map.insert("tier".to_string(), Value::String("gold".into()));
        map.insert("nested".to_string(), Value::Map(BTreeMap::new()));
        map.insert("list".to_string(), Value::List(vec![Value::Bool(true)]));
        let err = check_custom_fields("custom_fields", map).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["custom_fields.list[0]", "custom_fields.nested"]);
    }
}
