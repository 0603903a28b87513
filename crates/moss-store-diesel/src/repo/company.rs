use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use moss_domain::Result;
use moss_domain::company::model::{Company, CompanyFilter, CompanySort, Domain};
use moss_domain::company::ports::CompanyRepo;
use moss_domain::id::{CompanyId, WorkspaceId};
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::text::{HttpUrl, TagName, search_document};

use super::contact::{fts5_query, pg_tsquery};
use super::tag::{add_record_tags, clear_record_tags, set_record_tags, tags_of, with_joined_tags};
use super::{count, limits, naive, parse_id, stored_total, utc};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::json::{map_from_text, map_to_text};
use crate::schema::{companies, lower, lower_nullable, record_tags, tags};
use crate::store::DieselTx;

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
    search_text: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl CompanyRow {
    pub(crate) fn from_domain(c: &Company) -> Self {
        let domain = c.domain.as_ref().map(|d| d.as_str().to_owned());
        let search_text = search_document([
            Some(c.name.as_str()),
            domain.as_deref(),
            c.industry.as_deref(),
            c.notes.as_deref(),
        ]);
        Self {
            id: c.id.to_string(),
            workspace_id: c.workspace_id.to_string(),
            name: c.name.clone(),
            domain,
            industry: c.industry.clone(),
            website: c.website.as_ref().map(|u| u.as_str().to_owned()),
            phone: c.phone.clone(),
            notes: c.notes.clone(),
            custom_fields: map_to_text(&c.custom_fields),
            search_text,
            created_at: naive(&c.created_at),
            updated_at: naive(&c.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<TagName>) -> Result<Company> {
        let custom_fields: BTreeMap<_, _> =
            map_from_text(&self.custom_fields).ok_or_else(|| error::corrupt("custom_fields", &self.custom_fields))?;
        Ok(Company {
            id: parse_id!(CompanyId, self.id)?,
            workspace_id: parse_id!(WorkspaceId, self.workspace_id)?,
            name: self.name,
            domain: self.domain.map(Domain::from_stored),
            industry: self.industry,
            website: self.website.map(HttpUrl::from_stored),
            phone: self.phone,
            notes: self.notes,
            tags,
            custom_fields,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

type Boxed<'a> = companies::BoxedQuery<'a, MultiBackend>;

fn filtered<'a>(conn: &MossConnection, ws: &'a str, f: &'a CompanyFilter) -> Boxed<'a> {
    let mut q = companies::table.filter(companies::workspace_id.eq(ws)).into_boxed();
    if let Some(domain) = &f.domain {
        q = q.filter(companies::domain.eq(domain));
    }
    if let Some(tag) = &f.tag {
        let tagged = record_tags::table
            .filter(record_tags::workspace_id.eq(ws))
            .filter(record_tags::name_lower.eq(tag))
            .select(record_tags::record_id);
        q = q.filter(companies::id.eq_any(tagged));
    }
    if !f.words.is_empty() {
        q = match conn {
            MossConnection::Pg(_) => q.filter(
                sql::<Bool>("companies.search @@ to_tsquery('simple', ")
                    .bind::<Text, _>(pg_tsquery(&f.words))
                    .sql(")"),
            ),
            MossConnection::Sqlite(_) => q.filter(
                sql::<Bool>("companies.seq IN (SELECT rowid FROM companies_fts WHERE companies_fts MATCH ")
                    .bind::<Text, _>(fts5_query(&f.words))
                    .sql(")"),
            ),
        };
    }
    q
}

/// Whether `f` keeps every company (the list's total is then the stored one). Destructured so
/// that a new filter field cannot be forgotten here.
fn unfiltered(f: &CompanyFilter) -> bool {
    let CompanyFilter { words, tag, domain } = f;
    words.is_empty() && tag.is_none() && domain.is_none()
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

impl DieselTx<'_> {
    fn load_companies(&mut self, ws: &str, rows: Vec<CompanyRow>) -> Result<Vec<Company>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = tags_of(self.conn, ws, &ids)?;
        rows.into_iter()
            .map(|r| {
                let t = tags.remove(&r.id).unwrap_or_default();
                r.into_domain(t)
            })
            .collect()
    }
}

impl CompanyRepo for DieselTx<'_> {
    fn insert_company(&mut self, c: &Company) -> Result<()> {
        let row = CompanyRow::from_domain(c);
        diesel::insert_into(companies::table)
            .values(&row)
            .execute(self.conn)
            .map_err(error::db)?;
        add_record_tags(self.conn, &row.workspace_id, &row.id, &c.tags)
    }

    fn update_company(&mut self, c: &Company) -> Result<()> {
        let row = CompanyRow::from_domain(c);
        let n = diesel::update(
            companies::table
                .filter(companies::workspace_id.eq(&row.workspace_id))
                .filter(companies::id.eq(&row.id)),
        )
        .set(&row)
        .execute(self.conn)
        .map_err(error::db)?;
        if n == 0 {
            return Err(moss_domain::DomainError::NotFound("Company not found.".into()));
        }
        set_record_tags(self.conn, &row.workspace_id, &row.id, &c.tags)
    }

    fn delete_company(&mut self, ws: WorkspaceId, id: CompanyId) -> Result<bool> {
        let id = id.to_string();
        // contacts.company_id is cleared by ON DELETE SET NULL.
        let n = diesel::delete(
            companies::table
                .filter(companies::workspace_id.eq(ws.to_string()))
                .filter(companies::id.eq(&id)),
        )
        .execute(self.conn)
        .map_err(error::db)?;
        if n > 0 {
            clear_record_tags(self.conn, &id)?;
        }
        Ok(n > 0)
    }

    fn company(&mut self, ws: WorkspaceId, id: CompanyId) -> Result<Option<Company>> {
        // One statement: the row once per tag it carries (or once with no tag), so a single
        // read costs one round trip rather than two.
        let rows: Vec<(CompanyRow, Option<String>)> = companies::table
            .left_join(
                record_tags::table.on(record_tags::workspace_id
                    .eq(companies::workspace_id)
                    .and(record_tags::record_id.eq(companies::id))),
            )
            .left_join(
                tags::table.on(tags::workspace_id
                    .eq(record_tags::workspace_id)
                    .and(tags::name_lower.eq(record_tags::name_lower))),
            )
            .filter(companies::workspace_id.eq(ws.to_string()))
            .filter(companies::id.eq(id.to_string()))
            .select((CompanyRow::as_select(), tags::name.nullable()))
            .load(self.conn)
            .map_err(error::db)?;
        with_joined_tags(rows)
            .map(|(row, names)| row.into_domain(names))
            .transpose()
    }

    fn company_id_by_domain(&mut self, ws: WorkspaceId, domain: &str) -> Result<Option<CompanyId>> {
        companies::table
            .filter(companies::workspace_id.eq(ws.to_string()))
            .filter(companies::domain.eq(domain))
            .select(companies::id)
            .first::<String>(self.conn)
            .optional()
            .map_err(error::db)?
            .map(|id| parse_id!(CompanyId, id))
            .transpose()
    }

    fn list_companies(
        &mut self,
        ws: WorkspaceId,
        f: &CompanyFilter,
        page: &PageRequest<CompanySort>,
    ) -> Result<Page<Company>> {
        let ws = ws.to_string();
        let total = if unfiltered(f) {
            stored_total(self.conn, &ws, "companies")?
        } else {
            count(
                filtered(self.conn, &ws, f)
                    .count()
                    .get_result::<i64>(self.conn)
                    .map_err(error::db)?,
            )
        };
        let (limit, offset) = limits(page);
        let rows = if u64::try_from(offset).unwrap_or(u64::MAX) >= total {
            Vec::new()
        } else if offset == 0 {
            ordered(filtered(self.conn, &ws, f), page)
                .select(CompanyRow::as_select())
                .limit(limit)
                .load(self.conn)
                .map_err(error::db)?
        } else {
            // A deferred join in two steps: the OFFSET is skipped on the sort's index reading
            // ids only (an index-only scan), then only the page's rows are fetched.
            let page_ids: Vec<String> = ordered(filtered(self.conn, &ws, f), page)
                .select(companies::id)
                .limit(limit)
                .offset(offset)
                .load(self.conn)
                .map_err(error::db)?;
            let rows: Boxed<'_> = companies::table
                .filter(companies::workspace_id.eq(&ws))
                .filter(companies::id.eq_any(&page_ids))
                .into_boxed();
            ordered(rows, page)
                .select(CompanyRow::as_select())
                .load(self.conn)
                .map_err(error::db)?
        };
        let items = self.load_companies(&ws, rows)?;
        Ok(Page { items, total })
    }
}
