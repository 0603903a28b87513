//! Value objects for text input: trimmed, length-checked, and checked for form.

use std::collections::BTreeMap;

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

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(field, format!("must be at most {max} characters"))
}

/// Trims `raw`; `None` when empty after trimming; an error when longer than `max` characters.
pub fn optional_text(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else { return Ok(None) };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Like [`optional_text`], but a missing or blank value is an error.
pub fn required_text(field: &str, raw: Option<String>, max: usize) -> Result<String, FieldError> {
    optional_text(field, raw, max)?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// An email address, trimmed and checked for form. Stored as given; compared lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and checks an address.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.chars().count() > MAX_EMAIL {
            return Err(too_long(field, MAX_EMAIL));
        }
        let invalid = || FieldError::new(field, "must be a valid email address");
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"()<>,;:\\\"[]".contains(c));
        if !local_ok || !is_host_name(domain, false) {
            return Err(invalid());
        }
        Ok(Self(s.to_owned()))
    }
    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The lower-cased form used for matching and uniqueness.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
    /// Wraps a stored address without checking it.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// True for a DNS host name: labels of letters, digits and hyphens, 1-63 characters, not
/// starting or ending with a hyphen; at least two labels when `needs_dot`.
pub fn is_host_name(host: &str, needs_dot: bool) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    if needs_dot && labels.len() < 2 {
        return false;
    }
    labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// An http(s) URL, trimmed and checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Parses and checks a URL.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.chars().count() > MAX_URL {
            return Err(too_long(field, MAX_URL));
        }
        let invalid = || FieldError::new(field, "must be an http or https URL");
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or_else(invalid)?;
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        // A colon inside `[...]` belongs to an IPv6 address, not to a port.
        let host = match host_port.rsplit_once(':') {
            Some((h, port)) if !host_port.starts_with('[') || h.ends_with(']') => {
                if !port.is_empty() && port.parse::<u16>().is_err() {
                    return Err(invalid());
                }
                h
            }
            _ => host_port,
        };
        let ok = if let Some(v6) = host.strip_prefix('[') {
            v6.strip_suffix(']')
                .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
        } else {
            is_host_name(host, false)
        };
        if !ok {
            return Err(invalid());
        }
        Ok(Self(s.to_owned()))
    }
    /// The URL as given.
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
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => EmailAddress::parse(field, s).map(Some),
    }
}

/// Parses an optional URL (blank means none).
pub fn optional_url(field: &str, raw: Option<String>) -> Result<Option<HttpUrl>, FieldError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => HttpUrl::parse(field, s).map(Some),
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

/// Checks a PATCH of an optional field through a parser taking a trimmed, non-blank string.
pub fn patch_with<T>(
    raw: Patch<String>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Patch<T>, FieldError> {
    Ok(match raw {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Set(s) if s.trim().is_empty() => Patch::Null,
        Patch::Set(s) => Patch::Set(parse(s.trim())?),
    })
}

/// A tag name: 1-64 characters after trimming. `VIP` and `vip` are the same tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName(String);

impl TagName {
    /// Parses one tag name.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "must not be blank"));
        }
        if s.chars().count() > MAX_TAG {
            return Err(too_long(field, MAX_TAG));
        }
        Ok(Self(s.to_owned()))
    }
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-insensitive key.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
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
    for (i, t) in raw.iter().enumerate() {
        if let Some(tag) = errors.check(TagName::parse(&format!("{field}[{i}]"), t))
            && !tags.iter().any(|existing| existing.key() == tag.key())
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

/// Checks a custom_fields object: at most 100 keys; names 1-64 characters; values are strings
/// (up to 10,000 characters), numbers, booleans, null or lists of strings.
pub fn check_custom_fields(field: &str, map: &BTreeMap<String, Value>) -> Result<(), Vec<FieldError>> {
    let mut errors = Errors::new();
    if map.len() > MAX_CUSTOM_FIELDS {
        errors.push(field, format!("must have at most {MAX_CUSTOM_FIELDS} fields"));
    }
    for (name, value) in map {
        let path = format!("{field}.{name}");
        if name.trim().is_empty() || name.chars().count() > MAX_CUSTOM_FIELD_NAME {
            errors.push(
                &path,
                format!("field names must be 1 to {MAX_CUSTOM_FIELD_NAME} characters"),
            );
            continue;
        }
        if name.contains('\0') {
            // Postgres cannot store NUL; values are cleaned of it, names are refused as written.
            errors.push(&path, "field names must not contain NUL characters");
            continue;
        }
        match value {
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
            Value::String(s) if s.chars().count() <= MAX_NOTES => {}
            Value::String(_) => errors.push(&path, format!("must be at most {MAX_NOTES} characters")),
            Value::List(items) => {
                if items.len() > MAX_TAGS {
                    errors.push(&path, format!("must have at most {MAX_TAGS} items"));
                }
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if s.chars().count() <= MAX_NAME => {}
                        Value::String(_) => {
                            errors.push(format!("{path}[{i}]"), format!("must be at most {MAX_NAME} characters"))
                        }
                        _ => errors.push(format!("{path}[{i}]"), "must be a string"),
                    }
                }
            }
            Value::Map(_) => errors.push(&path, "must be a string, number, boolean, null or list of strings"),
        }
    }
    errors.finish()
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
        let got = optional_text("f", raw.map(String::from), 5).map_err(|_| ());
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
        let err = check_custom_fields("custom_fields", &map).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["custom_fields.list[0]", "custom_fields.nested"]);
    }
}
