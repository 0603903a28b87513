//! Company entity, its input forms and its list query.

use std::collections::BTreeMap;

use crate::error::{Errors, FieldError};
use crate::id::{CompanyId, WorkspaceId};
use crate::page::SortField;
use crate::text::{
    HttpUrl, MAX_HOST, MAX_NAME, MAX_NOTES, MAX_PHONE, TagName, check_custom_fields, fold, is_host_name, optional_text,
    optional_url, parse_tags, patch_optional_text, patch_required_text, patch_with, required_text, search_words,
};
use crate::time::Timestamp;
use crate::value::{Patch, Value};

/// A company's domain: a host name, lower-cased, unique per workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain(String);

impl Domain {
    /// Parses a host name such as `acme.com` (no scheme, no path): at most 253 characters as
    /// sent, trimmed, ASCII labels (punycode allowed), at least two of them; stored lower-cased.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "must be a host name such as acme.com");
        if raw.chars().count() > MAX_HOST {
            return Err(FieldError::new(field, format!("must be at most {MAX_HOST} characters")));
        }
        let s = raw.trim().to_ascii_lowercase();
        if is_host_name(&s, true) {
            Ok(Self(s))
        } else {
            Err(invalid())
        }
    }
    /// The lower-cased host name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Wraps a stored domain without checking it.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// An organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// `cmp_` id.
    pub id: CompanyId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Required.
    pub name: String,
    /// Unique per workspace.
    pub domain: Option<Domain>,
    /// Industry.
    pub industry: Option<String>,
    /// Website URL.
    pub website: Option<HttpUrl>,
    /// Phone.
    pub phone: Option<String>,
    /// Free text.
    pub notes: Option<String>,
    /// Tag names, sorted case-insensitively.
    pub tags: Vec<TagName>,
    /// Free-form custom fields.
    pub custom_fields: BTreeMap<String, Value>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A company body as sent, with JSON types already checked.
#[derive(Debug, Clone, Default)]
pub struct CompanyInput {
    /// name.
    pub name: Option<String>,
    /// domain.
    pub domain: Option<String>,
    /// industry.
    pub industry: Option<String>,
    /// website.
    pub website: Option<String>,
    /// phone.
    pub phone: Option<String>,
    /// notes.
    pub notes: Option<String>,
    /// tags.
    pub tags: Option<Vec<String>>,
    /// custom_fields.
    pub custom_fields: Option<BTreeMap<String, Value>>,
}

/// A checked new company.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCompany {
    /// name.
    pub name: String,
    /// domain.
    pub domain: Option<Domain>,
    /// industry.
    pub industry: Option<String>,
    /// website.
    pub website: Option<HttpUrl>,
    /// phone.
    pub phone: Option<String>,
    /// notes.
    pub notes: Option<String>,
    /// tags.
    pub tags: Vec<TagName>,
    /// custom_fields.
    pub custom_fields: BTreeMap<String, Value>,
}

impl NewCompany {
    /// Checks every field, reporting all bad ones at once.
    pub fn parse(input: CompanyInput) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let name = e.check(required_text("name", input.name, MAX_NAME));
        let domain = input
            .domain
            .and_then(|raw| e.check(patch_with("domain", Patch::Set(raw), Domain::parse)))
            .and_then(Patch::into_option);
        let industry = e.check(optional_text("industry", input.industry, MAX_NAME)).flatten();
        let website = e.check(optional_url("website", input.website)).flatten();
        let phone = e.check(optional_text("phone", input.phone, MAX_PHONE)).flatten();
        let notes = e.check(optional_text("notes", input.notes, MAX_NOTES)).flatten();
        let tags = e
            .take(parse_tags("tags", input.tags.unwrap_or_default()))
            .unwrap_or_default();
        let custom_fields = e
            .take(check_custom_fields(
                "custom_fields",
                input.custom_fields.unwrap_or_default(),
            ))
            .unwrap_or_default();
        e.finish()?;
        let name = name.ok_or_else(|| vec![FieldError::new("name", "is required")])?;
        Ok(Self {
            name,
            domain,
            industry,
            website,
            phone,
            notes,
            tags,
            custom_fields,
        })
    }
}

/// A PATCH body as sent, with JSON types already checked.
#[derive(Debug, Clone, Default)]
pub struct CompanyPatch {
    /// name.
    pub name: Patch<String>,
    /// domain.
    pub domain: Patch<String>,
    /// industry.
    pub industry: Patch<String>,
    /// website.
    pub website: Patch<String>,
    /// phone.
    pub phone: Patch<String>,
    /// notes.
    pub notes: Patch<String>,
    /// tags.
    pub tags: Patch<Vec<String>>,
    /// custom_fields.
    pub custom_fields: Patch<BTreeMap<String, Value>>,
}

/// A checked company PATCH.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompanyChanges {
    /// name (required: never cleared).
    pub name: Option<String>,
    /// domain.
    pub domain: Patch<Domain>,
    /// industry.
    pub industry: Patch<String>,
    /// website.
    pub website: Patch<HttpUrl>,
    /// phone.
    pub phone: Patch<String>,
    /// notes.
    pub notes: Patch<String>,
    /// tags.
    pub tags: Patch<Vec<TagName>>,
    /// custom_fields.
    pub custom_fields: Patch<BTreeMap<String, Value>>,
}

impl CompanyChanges {
    /// Checks every field sent, reporting all bad ones at once.
    pub fn parse(p: CompanyPatch) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let name = e.check(patch_required_text("name", p.name, MAX_NAME)).flatten();
        let domain = e
            .check(patch_with("domain", p.domain, Domain::parse))
            .unwrap_or_default();
        let industry = e
            .check(patch_optional_text("industry", p.industry, MAX_NAME))
            .unwrap_or_default();
        let website = e
            .check(patch_with("website", p.website, HttpUrl::parse))
            .unwrap_or_default();
        let phone = e
            .check(patch_optional_text("phone", p.phone, MAX_PHONE))
            .unwrap_or_default();
        let notes = e
            .check(patch_optional_text("notes", p.notes, MAX_NOTES))
            .unwrap_or_default();
        let tags = match p.tags {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Set(Vec::new()),
            Patch::Set(t) => e.take(parse_tags("tags", t)).map_or(Patch::Absent, Patch::Set),
        };
        let custom_fields = match p.custom_fields {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Set(BTreeMap::new()),
            Patch::Set(m) => e
                .take(check_custom_fields("custom_fields", m))
                .map_or(Patch::Absent, Patch::Set),
        };
        e.finish()?;
        Ok(Self {
            name,
            domain,
            industry,
            website,
            phone,
            notes,
            tags,
            custom_fields,
        })
    }
}

/// Filters of the companies list; they combine with AND.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyFilter {
    /// Full-text words.
    pub words: Vec<String>,
    /// Only companies carrying this tag (lower-cased).
    pub tag: Option<String>,
    /// Only the company with this domain (lower-cased).
    pub domain: Option<String>,
}

impl CompanyFilter {
    /// Builds the filter from raw values (none of them can be malformed).
    pub fn parse(q: Option<&str>, tag: Option<&str>, domain: Option<&str>) -> Self {
        Self {
            words: q.map(search_words).unwrap_or_default(),
            tag: tag.map(|t| fold(t.trim())),
            domain: domain.map(|d| fold(d.trim())),
        }
    }
}

/// Sort fields of the companies list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanySort {
    /// created_at (default).
    CreatedAt,
    /// updated_at.
    UpdatedAt,
    /// name, case-insensitively.
    Name,
    /// domain.
    Domain,
}

impl SortField for CompanySort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
        ("name", Self::Name),
        ("domain", Self::Domain),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("acme.com", Some("acme.com"))]
    #[case(" ACME.Com ", Some("acme.com"))]
    #[case("sub.acme.co.uk", Some("sub.acme.co.uk"))]
    #[case("acme", None)]
    #[case("https://acme.com", None)]
    #[case("acme.com/path", None)]
    #[case("-acme.com", None)]
    fn domain_form(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            Domain::parse("domain", raw)
                .ok()
                .map(|d| d.as_str().to_owned())
                .as_deref(),
            expected
        );
    }

    #[test]
    fn new_company_reports_all_bad_fields() {
        let err = NewCompany::parse(CompanyInput {
            name: None,
            domain: Some("not a domain".into()),
            website: Some("acme.com".into()),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "domain", "website"]);
    }
}
