//! Company entity, its input forms and its list query.

use std::collections::BTreeMap;

use crate::error::{DomainError, Errors, FieldError};
use crate::id::{CompanyId, WorkspaceId};
use crate::page::SortField;
use crate::record::{Common, Diff, Record, RecordRepo, SearchText, Snapshot, UniqueKey, id_list};
use crate::store::Tx;
use crate::text::{
    HttpUrl, MAX_HOST, MAX_NAME, MAX_NOTES, MAX_PHONE, fold, is_host_name, optional_text, optional_url,
    patch_optional_text, patch_required_text, patch_with, required_text,
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
        e.finish()?;
        let name = name.ok_or_else(|| vec![FieldError::new("name", "is required")])?;
        Ok(Self {
            name,
            domain,
            industry,
            website,
            phone,
            notes,
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
        e.finish()?;
        Ok(Self {
            name,
            domain,
            industry,
            website,
            phone,
            notes,
        })
    }
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
    type New = NewCompany;
    type Changes = CompanyChanges;
    type Filter = CompanyFilter;
    type Sort = CompanySort;
    const KIND: &'static str = "company";
    const NAME: &'static str = "Company";

    fn id(&self) -> CompanyId {
        self.id
    }
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn build(id: CompanyId, common: Common, n: NewCompany) -> Self {
        Self {
            id,
            name: n.name,
            domain: n.domain,
            industry: n.industry,
            website: n.website,
            phone: n.phone,
            notes: n.notes,
            common,
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

    fn snapshot(&self) -> Snapshot {
        Snapshot::Company(self.clone())
    }

    fn repo(tx: &mut dyn Tx) -> &mut dyn RecordRepo<Self> {
        tx.companies()
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
