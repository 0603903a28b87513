//! Company entity, its input forms and its list query.

use std::collections::BTreeMap;

use crate::error::{DomainError, FieldError};
use crate::id::{CompanyId, WorkspaceId};
use crate::page::SortField;
use crate::record::{Common, Diff, Fields, Record, SearchText, UniqueKey, id_list};
use crate::store::Tx;
use crate::text::{HttpUrl, MAX_HOST, MAX_NAME, MAX_NOTES, MAX_PHONE, fold, is_host_name};
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
    /// Workspace, tags, custom fields, timestamps.
    pub common: Common,
}

/// A checked company PATCH, or a create's fields (see [`Record::read`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompanyChanges {
    /// Required: never cleared.
    pub name: Option<String>,
    /// Unique per workspace.
    pub domain: Patch<Domain>,
    /// Optional text fields.
    pub industry: Patch<String>,
    /// An http(s) URL.
    pub website: Patch<HttpUrl>,
    /// Optional text fields.
    pub phone: Patch<String>,
    /// Optional text fields.
    pub notes: Patch<String>,
}

/// The companies list's own filters (beside `q`, `tag` and the sync window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyFilter {
    /// Only the company with this domain (lower-cased).
    pub domain: Option<String>,
}

impl CompanyFilter {
    /// Builds the filter from raw values (none of them can be malformed).
    pub fn parse(domain: Option<&str>) -> Self {
        Self {
            domain: domain.map(|d| fold(d.trim())),
        }
    }
}

crate::audited_as_str!(Domain);

impl Record for Company {
    type Id = CompanyId;
    type Changes = CompanyChanges;
    type Filter = CompanyFilter;
    type Sort = CompanySort;
    const KIND: &'static str = "company";
    const NAME: &'static str = "Company";
    const ENTITY: Option<crate::custom_field::EntityType> = Some(crate::custom_field::EntityType::Companies);

    crate::record_accessors!(Company, companies);

    fn blank(id: CompanyId, common: Common) -> Self {
        Self {
            id,
            name: String::new(),
            domain: None,
            industry: None,
            website: None,
            phone: None,
            notes: None,
            common,
        }
    }

    fn read(f: &mut Fields<'_>) -> CompanyChanges {
        CompanyChanges {
            name: f.required_text("name", MAX_NAME),
            domain: f.optional("domain", Domain::parse),
            industry: f.text("industry", MAX_NAME),
            website: f.optional("website", HttpUrl::parse),
            phone: f.text("phone", MAX_PHONE),
            notes: f.text("notes", MAX_NOTES),
        }
    }

    fn apply(&mut self, c: CompanyChanges, _at: Timestamp, d: &mut Diff) -> Result<(), DomainError> {
        d.set("name", &mut self.name, c.name);
        d.patch("domain", &mut self.domain, c.domain);
        d.patch("industry", &mut self.industry, c.industry);
        d.patch("website", &mut self.website, c.website);
        d.patch("phone", &mut self.phone, c.phone);
        d.patch("notes", &mut self.notes, c.notes);
        Ok(())
    }

    fn unique(&self) -> Option<UniqueKey> {
        self.domain.as_ref().map(|d| UniqueKey {
            field: "domain",
            shown: d.as_str().to_owned(),
            key: d.as_str().to_owned(),
        })
    }

    /// Its contacts and deals stay, with `company_id` cleared and `updated_at` moved; the
    /// entry lists them (`{"cleared": {"contacts": ..., "deals": ...}}`).
    fn before_delete(
        tx: &mut dyn Tx,
        ws: WorkspaceId,
        id: CompanyId,
        at: Timestamp,
    ) -> Result<BTreeMap<String, Value>, DomainError> {
        let cleared = tx.deal_extras().clear_company(ws, id, at)?;
        let mut lists = BTreeMap::new();
        lists.insert("contacts".to_owned(), id_list(&cleared.contacts));
        lists.insert("deals".to_owned(), id_list(&cleared.deals));
        Ok(BTreeMap::from([("cleared".to_owned(), Value::Map(lists))]))
    }

    fn search(&self) -> SearchText {
        SearchText::of(
            [Some(self.name.as_str())],
            [self.domain.as_ref().map(Domain::as_str)],
            [self.industry.as_deref(), self.notes.as_deref()],
        )
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
    use crate::record::read_own;
    use crate::testing::MapForm;
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
    fn a_new_company_reports_all_bad_fields() {
        let mut form = MapForm::new().set("domain", "not a domain").set("website", "acme.com");
        let err = read_own::<Company>(&mut form, true).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "domain", "website"]);
    }
}
