//! Deals: the record (on the machinery of `repo::record`), and what the record machinery does
//! not cover: stage history, contact links, the pipeline and clearing a company's references.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};
use moss_domain::Result;
use moss_domain::deal::model::{Currency, Deal, DealFilter, DealSort, Stage};
use moss_domain::deal::ports::{
    Cleared, DealContact, DealRepo, LinkSort, PipelineFilter, PipelineRow, StageSort, StageSpan,
};
use moss_domain::id::{CompanyId, ContactId, DealId, WorkspaceId, new_uuid};
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::time::Timestamp;

use super::contact::ContactRow;
use super::record::{common, record_table};
use super::tag::tags_of;
use super::{count, limits, naive, parse_id, utc};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::json::map_to_text;
use crate::schema::{contacts, deal_contacts, deal_stages, deals, lower};
use crate::store::DieselTx;

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = deals, treat_none_as_null = true)]
pub(crate) struct DealRow {
    pub(crate) id: String,
    workspace_id: String,
    name: String,
    stage: String,
    value: Option<i64>,
    currency: String,
    expected_close: Option<NaiveDate>,
    company_id: Option<String>,
    notes: Option<String>,
    lost_reason: Option<String>,
    closed_at: Option<NaiveDateTime>,
    stage_changed_at: NaiveDateTime,
    custom_fields: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn stage(raw: &str) -> Result<Stage> {
    Stage::parse("stage", raw).map_err(|_| error::corrupt("stage", raw))
}

impl DealRow {
    pub(crate) fn from_domain(d: &Deal) -> Self {
        Self {
            id: d.id.to_string(),
            workspace_id: d.common.workspace_id.to_string(),
            name: d.name.clone(),
            stage: d.stage.as_str().to_owned(),
            value: d.value,
            currency: d.currency.as_str().to_owned(),
            expected_close: d.expected_close,
            company_id: d.company_id.map(|c| c.to_string()),
            notes: d.notes.clone(),
            lost_reason: d.lost_reason.clone(),
            closed_at: d.closed_at.as_ref().map(naive),
            stage_changed_at: naive(&d.stage_changed_at),
            custom_fields: map_to_text(&d.common.custom_fields),
            created_at: naive(&d.common.created_at),
            updated_at: naive(&d.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<moss_domain::text::TagName>) -> Result<Deal> {
        let common = common(
            &self.workspace_id,
            tags,
            &self.custom_fields,
            self.created_at,
            self.updated_at,
        )?;
        Ok(Deal {
            id: parse_id!(DealId, self.id)?,
            name: self.name,
            stage: stage(&self.stage)?,
            value: self.value,
            currency: Currency::from_stored(&self.currency)
                .ok_or_else(|| error::corrupt("currency", &self.currency))?,
            expected_close: self.expected_close,
            company_id: self.company_id.map(|c| parse_id!(CompanyId, c)).transpose()?,
            notes: self.notes,
            lost_reason: self.lost_reason,
            closed_at: self.closed_at.map(utc),
            stage_changed_at: utc(self.stage_changed_at),
            common,
        })
    }
}

type Boxed<'a> = deals::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a DealFilter) -> Boxed<'a> {
    if !f.stages.is_empty() {
        q = q.filter(deals::stage.eq_any(f.stages.iter().map(|s| s.as_str())));
    }
    if let Some(company) = f.company_id {
        q = q.filter(deals::company_id.eq(company.to_string()));
    }
    if let Some(contact) = f.contact_id {
        let linked = deal_contacts::table
            .filter(deal_contacts::contact_id.eq(contact.to_string()))
            .select(deal_contacts::deal_id);
        q = q.filter(deals::id.eq_any(linked));
    }
    if let Some(min) = f.min_value {
        q = q.filter(deals::value.ge(min));
    }
    if let Some(max) = f.max_value {
        q = q.filter(deals::value.le(max));
    }
    if let Some(d) = f.expected_close_before {
        q = q.filter(deals::expected_close.le(d));
    }
    if let Some(d) = f.expected_close_after {
        q = q.filter(deals::expected_close.ge(d));
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<DealSort>) -> Boxed<'a> {
    use deals::{created_at, expected_close, id, name, stage_changed_at, updated_at, value};
    match (page.sort, page.order) {
        (DealSort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (DealSort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
        (DealSort::UpdatedAt, SortOrder::Asc) => q.order((updated_at.asc(), id.asc())),
        (DealSort::UpdatedAt, SortOrder::Desc) => q.order((updated_at.desc(), id.desc())),
        (DealSort::Name, SortOrder::Asc) => q.order((lower(name).asc(), id.asc())),
        (DealSort::Name, SortOrder::Desc) => q.order((lower(name).desc(), id.desc())),
        (DealSort::Value, SortOrder::Asc) => q.order((value.is_null().asc(), value.asc(), id.asc())),
        (DealSort::Value, SortOrder::Desc) => q.order((value.is_null().asc(), value.desc(), id.desc())),
        (DealSort::ExpectedClose, SortOrder::Asc) => {
            q.order((expected_close.is_null().asc(), expected_close.asc(), id.asc()))
        }
        (DealSort::ExpectedClose, SortOrder::Desc) => {
            q.order((expected_close.is_null().asc(), expected_close.desc(), id.desc()))
        }
        (DealSort::StageChangedAt, SortOrder::Asc) => q.order((stage_changed_at.asc(), id.asc())),
        (DealSort::StageChangedAt, SortOrder::Desc) => q.order((stage_changed_at.desc(), id.desc())),
    }
}

record_table!(record: Deal, row: DealRow, table: deals, unique: none);

#[derive(Queryable)]
struct SpanRow {
    stage: String,
    entered_at: NaiveDateTime,
    left_at: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct GroupRow {
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    hi: i64,
    #[diesel(sql_type = BigInt)]
    lo: i64,
}

impl DealRepo for DieselTx<'_> {
    fn existing(&mut self, ws: WorkspaceId, ids: &[DealId]) -> Result<Vec<DealId>> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        deals::table
            .filter(deals::workspace_id.eq(ws.to_string()))
            .filter(deals::id.eq_any(&ids))
            .select(deals::id)
            .load::<String>(self.conn)
            .map_err(error::db)?
            .into_iter()
            .map(|id| parse_id!(DealId, id))
            .collect()
    }

    fn enter_stage(&mut self, ws: WorkspaceId, deal: DealId, stage: Stage, at: Timestamp) -> Result<()> {
        let (ws, deal, at) = (ws.to_string(), deal.to_string(), naive(&at));
        diesel::update(
            deal_stages::table
                .filter(deal_stages::workspace_id.eq(&ws))
                .filter(deal_stages::deal_id.eq(&deal))
                .filter(deal_stages::left_at.is_null()),
        )
        .set(deal_stages::left_at.eq(Some(at)))
        .execute(self.conn)
        .map_err(error::db)?;
        diesel::insert_into(deal_stages::table)
            .values((
                deal_stages::id.eq(new_uuid().to_string()),
                deal_stages::deal_id.eq(&deal),
                deal_stages::workspace_id.eq(&ws),
                deal_stages::stage.eq(stage.as_str()),
                deal_stages::entered_at.eq(at),
            ))
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(())
    }

    fn stage_history(
        &mut self,
        ws: WorkspaceId,
        deal: DealId,
        page: &PageRequest<StageSort>,
    ) -> Result<Page<StageSpan>> {
        let (ws, deal) = (ws.to_string(), deal.to_string());
        let base = || {
            deal_stages::table
                .filter(deal_stages::workspace_id.eq(ws.clone()))
                .filter(deal_stages::deal_id.eq(deal.clone()))
                .into_boxed::<MultiBackend>()
        };
        let total = base().count().get_result::<i64>(self.conn).map_err(error::db)?;
        let (limit, offset) = limits(page);
        let q = match page.order {
            SortOrder::Asc => base().order((deal_stages::entered_at.asc(), deal_stages::id.asc())),
            SortOrder::Desc => base().order((deal_stages::entered_at.desc(), deal_stages::id.desc())),
        };
        let rows: Vec<SpanRow> = q
            .select((deal_stages::stage, deal_stages::entered_at, deal_stages::left_at))
            .limit(limit)
            .offset(offset)
            .load(self.conn)
            .map_err(error::db)?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(StageSpan {
                    stage: stage(&r.stage)?,
                    entered_at: utc(r.entered_at),
                    left_at: r.left_at.map(utc),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: count(total),
        })
    }

    fn link_contact(
        &mut self,
        ws: WorkspaceId,
        deal: DealId,
        contact: ContactId,
        role: Option<String>,
        at: Timestamp,
    ) -> Result<bool> {
        let row = (
            deal_contacts::deal_id.eq(deal.to_string()),
            deal_contacts::contact_id.eq(contact.to_string()),
            deal_contacts::workspace_id.eq(ws.to_string()),
            deal_contacts::role.eq(role),
            deal_contacts::created_at.eq(naive(&at)),
        );
        // One statement: a link already there (also one a concurrent request just made) inserts
        // nothing.
        let inserted = crate::repo::on_backend!(&mut *self.conn, |c| diesel::insert_into(deal_contacts::table)
            .values(row.clone())
            .on_conflict_do_nothing()
            .execute(c))
        .map_err(error::db)?;
        Ok(inserted > 0)
    }

    fn unlink_contact(&mut self, ws: WorkspaceId, deal: DealId, contact: ContactId) -> Result<bool> {
        let n = diesel::delete(
            deal_contacts::table
                .filter(deal_contacts::workspace_id.eq(ws.to_string()))
                .filter(deal_contacts::deal_id.eq(deal.to_string()))
                .filter(deal_contacts::contact_id.eq(contact.to_string())),
        )
        .execute(self.conn)
        .map_err(error::db)?;
        Ok(n > 0)
    }

    fn contact_links(
        &mut self,
        ws: WorkspaceId,
        deal: DealId,
        page: &PageRequest<LinkSort>,
    ) -> Result<Page<DealContact>> {
        let (ws, deal_text) = (ws.to_string(), deal.to_string());
        let base = || {
            deal_contacts::table
                .inner_join(contacts::table.on(contacts::id.eq(deal_contacts::contact_id)))
                .filter(deal_contacts::workspace_id.eq(ws.clone()))
                .filter(deal_contacts::deal_id.eq(deal_text.clone()))
                .into_boxed::<MultiBackend>()
        };
        let total = base().count().get_result::<i64>(self.conn).map_err(error::db)?;
        let (limit, offset) = limits(page);
        let q = match page.order {
            SortOrder::Asc => base().order((deal_contacts::created_at.asc(), deal_contacts::contact_id.asc())),
            SortOrder::Desc => base().order((deal_contacts::created_at.desc(), deal_contacts::contact_id.desc())),
        };
        let rows: Vec<(Option<String>, NaiveDateTime, ContactRow)> = q
            .select((deal_contacts::role, deal_contacts::created_at, ContactRow::as_select()))
            .limit(limit)
            .offset(offset)
            .load(self.conn)
            .map_err(error::db)?;
        let ids: Vec<String> = rows.iter().map(|(_, _, c)| c.id.clone()).collect();
        let mut tags = tags_of(self.conn, &ws, &ids)?;
        let items = rows
            .into_iter()
            .map(|(role, created_at, row)| {
                let t = tags.remove(&row.id).unwrap_or_default();
                let contact = row.into_domain(t)?;
                Ok(DealContact {
                    deal_id: deal,
                    contact_id: contact.id,
                    role,
                    created_at: utc(created_at),
                    contact,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: count(total),
        })
    }

    fn deals_of_contact(&mut self, ws: WorkspaceId, contact: ContactId) -> Result<Vec<String>> {
        let mut deals: Vec<String> = deal_contacts::table
            .filter(deal_contacts::workspace_id.eq(ws.to_string()))
            .filter(deal_contacts::contact_id.eq(contact.to_string()))
            .select(deal_contacts::deal_id)
            .load(self.conn)
            .map_err(error::db)?;
        deals.sort();
        Ok(deals)
    }

    fn move_contact_links(&mut self, ws: WorkspaceId, from: ContactId, into: ContactId) -> Result<u64> {
        let (ws, from, into) = (ws.to_string(), from.to_string(), into.to_string());
        let links_of = |conn: &mut MossConnection, contact: &str| -> Result<Vec<(String, Option<String>)>> {
            deal_contacts::table
                .filter(deal_contacts::workspace_id.eq(&ws))
                .filter(deal_contacts::contact_id.eq(contact))
                .select((deal_contacts::deal_id, deal_contacts::role))
                .load(conn)
                .map_err(error::db)
        };
        let theirs = links_of(self.conn, &from)?;
        let ours = links_of(self.conn, &into)?;
        let link = |deal: &str, contact: &str| {
            deal_contacts::table
                .filter(deal_contacts::deal_id.eq(deal.to_owned()))
                .filter(deal_contacts::contact_id.eq(contact.to_owned()))
        };
        for (deal, role) in &theirs {
            match ours.iter().find(|(d, _)| d == deal) {
                // Linked to both: the target's link stays, with the source's role if it had none.
                Some((_, own)) => {
                    if own.is_none() && role.is_some() {
                        diesel::update(link(deal, &into))
                            .set(deal_contacts::role.eq(role))
                            .execute(self.conn)
                            .map_err(error::db)?;
                    }
                    diesel::delete(link(deal, &from))
                        .execute(self.conn)
                        .map_err(error::db)?;
                }
                None => {
                    diesel::update(link(deal, &from))
                        .set(deal_contacts::contact_id.eq(&into))
                        .execute(self.conn)
                        .map_err(error::db)?;
                }
            }
        }
        Ok(count(i64::try_from(theirs.len()).unwrap_or(i64::MAX)))
    }

    fn remove_contact_links(&mut self, ws: WorkspaceId, contact: ContactId) -> Result<Vec<String>> {
        let (ws, contact) = (ws.to_string(), contact.to_string());
        let mut deals: Vec<String> = deal_contacts::table
            .filter(deal_contacts::workspace_id.eq(&ws))
            .filter(deal_contacts::contact_id.eq(&contact))
            .select(deal_contacts::deal_id)
            .load(self.conn)
            .map_err(error::db)?;
        deals.sort();
        diesel::delete(
            deal_contacts::table
                .filter(deal_contacts::workspace_id.eq(&ws))
                .filter(deal_contacts::contact_id.eq(&contact)),
        )
        .execute(self.conn)
        .map_err(error::db)?;
        Ok(deals)
    }

    fn forget_deal(&mut self, ws: WorkspaceId, deal: DealId) -> Result<()> {
        let (ws, deal) = (ws.to_string(), deal.to_string());
        diesel::delete(
            deal_contacts::table
                .filter(deal_contacts::workspace_id.eq(&ws))
                .filter(deal_contacts::deal_id.eq(&deal)),
        )
        .execute(self.conn)
        .map_err(error::db)?;
        diesel::delete(
            deal_stages::table
                .filter(deal_stages::workspace_id.eq(&ws))
                .filter(deal_stages::deal_id.eq(&deal)),
        )
        .execute(self.conn)
        .map_err(error::db)?;
        Ok(())
    }

    fn clear_company(&mut self, ws: WorkspaceId, company: CompanyId, at: Timestamp) -> Result<Cleared> {
        let (ws, company, at) = (ws.to_string(), company.to_string(), naive(&at));
        // The company's records of one table: their ids, then company_id cleared and updated_at moved.
        macro_rules! clear {
            ($t:ident) => {{
                let mut ids: Vec<String> = $t::table
                    .filter($t::workspace_id.eq(&ws))
                    .filter($t::company_id.eq(&company))
                    .select($t::id)
                    .load(self.conn)
                    .map_err(error::db)?;
                diesel::update(
                    $t::table
                        .filter($t::workspace_id.eq(&ws))
                        .filter($t::company_id.eq(&company)),
                )
                .set(($t::company_id.eq(None::<String>), $t::updated_at.eq(at)))
                .execute(self.conn)
                .map_err(error::db)?;
                ids.sort();
                ids
            }};
        }
        let contact_ids = clear!(contacts);
        let deal_ids = clear!(deals);
        Ok(Cleared {
            contacts: contact_ids,
            deals: deal_ids,
        })
    }

    fn pipeline(&mut self, ws: WorkspaceId, f: &PipelineFilter) -> Result<Vec<PipelineRow>> {
        // Each value is split at 2^32 so that both sums fit in 64 bits at any size (SQLite's SUM
        // of integers raises on overflow; Postgres's is numeric): the exact total is
        // hi * 2^32 + lo, put together in 128-bit arithmetic.
        let mut sql = String::from(
            "SELECT stage, currency, COUNT(*) AS n, \
             CAST(COALESCE(SUM(value / 4294967296), 0) AS BIGINT) AS hi, \
             CAST(COALESCE(SUM(value % 4294967296), 0) AS BIGINT) AS lo \
             FROM deals WHERE workspace_id = $1",
        );
        let mut n = 1;
        let mut next = |sql: &mut String, cond: &str| {
            n += 1;
            sql.push_str(&cond.replace('?', &format!("${n}")));
        };
        if f.company_id.is_some() {
            next(&mut sql, " AND company_id = ?");
        }
        if f.tag.is_some() {
            next(
                &mut sql,
                " AND id IN (SELECT record_id FROM record_tags WHERE workspace_id = $1 AND name_lower = ?)",
            );
        }
        if f.expected_close_before.is_some() {
            next(&mut sql, " AND expected_close <= ?");
        }
        if f.expected_close_after.is_some() {
            next(&mut sql, " AND expected_close >= ?");
        }
        sql.push_str(" GROUP BY stage, currency");
        let ws = ws.to_string();
        let company = f.company_id.map(|c| c.to_string());
        let rows: Vec<GroupRow> = crate::repo::on_backend!(&mut *self.conn, |c| {
            let mut q = diesel::sql_query(sql.clone()).into_boxed().bind::<Text, _>(ws.clone());
            if let Some(company) = &company {
                q = q.bind::<Text, _>(company.clone());
            }
            if let Some(tag) = &f.tag {
                q = q.bind::<Text, _>(tag.clone());
            }
            if let Some(d) = f.expected_close_before {
                q = q.bind::<Date, _>(d);
            }
            if let Some(d) = f.expected_close_after {
                q = q.bind::<Date, _>(d);
            }
            q.load(c)
        })
        .map_err(error::db)?;
        rows.into_iter()
            .map(|r| {
                Ok(PipelineRow {
                    stage: stage(&r.stage)?,
                    currency: Currency::from_stored(&r.currency)
                        .ok_or_else(|| error::corrupt("currency", &r.currency))?,
                    count: count(r.n),
                    value: i128::from(r.hi) * (1_i128 << 32) + i128::from(r.lo),
                })
            })
            .collect()
    }
}
