use chrono::NaiveDateTime;
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::company::model::{Company, CompanyFilter, CompanySort, Domain};
use moss_domain::id::CompanyId;
use moss_domain::page::{PageRequest, SortOrder};
use moss_domain::text::{HttpUrl, TagName};

use super::record::{common, record_table};
use super::{naive, parse_id};
use crate::connection::{MossConnection, MultiBackend};
use crate::json::map_to_text;
use crate::schema::{companies, lower, lower_nullable};

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = companies, treat_none_as_null = true)]
pub(crate) struct CompanyRow {
    pub(crate) id: String,
    workspace_id: String,
    name: String,
    domain: Option<String>,
    industry: Option<String>,
    website: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    custom_fields: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl CompanyRow {
    pub(crate) fn from_domain(c: &Company) -> Self {
        let domain = c.domain.as_ref().map(|d| d.as_str().to_owned());
        Self {
            id: c.id.to_string(),
            workspace_id: c.common.workspace_id.to_string(),
            name: c.name.clone(),
            domain,
            industry: c.industry.clone(),
            website: c.website.as_ref().map(|u| u.as_str().to_owned()),
            phone: c.phone.clone(),
            notes: c.notes.clone(),
            custom_fields: map_to_text(&c.common.custom_fields),
            created_at: naive(&c.common.created_at),
            updated_at: naive(&c.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<TagName>) -> Result<Company> {
        let common = common(
            &self.workspace_id,
            tags,
            &self.custom_fields,
            self.created_at,
            self.updated_at,
        )?;
        Ok(Company {
            id: parse_id!(CompanyId, self.id)?,
            name: self.name,
            domain: self.domain.map(Domain::from_stored),
            industry: self.industry,
            website: self.website.map(HttpUrl::from_stored),
            phone: self.phone,
            notes: self.notes,
            common,
        })
    }
}

type Boxed<'a> = companies::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a CompanyFilter) -> Boxed<'a> {
    if let Some(domain) = &f.domain {
        q = q.filter(companies::domain.eq(domain));
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<CompanySort>) -> Boxed<'a> {
    use companies::{created_at, domain, id, name, updated_at};
    match (page.sort, page.order) {
        (CompanySort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (CompanySort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
        (CompanySort::UpdatedAt, SortOrder::Asc) => q.order((updated_at.asc(), id.asc())),
        (CompanySort::UpdatedAt, SortOrder::Desc) => q.order((updated_at.desc(), id.desc())),
        (CompanySort::Name, SortOrder::Asc) => q.order((lower(name).asc(), id.asc())),
        (CompanySort::Name, SortOrder::Desc) => q.order((lower(name).desc(), id.desc())),
        (CompanySort::Domain, SortOrder::Asc) => {
            q.order((domain.is_null().asc(), lower_nullable(domain).asc(), id.asc()))
        }
        (CompanySort::Domain, SortOrder::Desc) => {
            q.order((domain.is_null().asc(), lower_nullable(domain).desc(), id.desc()))
        }
    }
}

record_table!(record: Company, row: CompanyRow, table: companies, unique: domain);
