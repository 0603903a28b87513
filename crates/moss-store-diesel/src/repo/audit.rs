use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::audit::{AuditEntry, AuditFilter, AuditRepo, AuditSort};
use moss_domain::id::{AuditId, WorkspaceId};
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::value::Value;

use super::{count, limits, naive, parse_id, utc};
use crate::connection::MultiBackend;
use crate::error;
use crate::json::{map_from_text, map_to_text};
use crate::schema::audit_log;
use crate::store::DieselTx;

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    id: String,
    workspace_id: String,
    event_type: &'a str,
    target_type: &'a str,
    target_id: &'a str,
    actor_type: &'a str,
    actor_id: Option<&'a str>,
    request_id: &'a str,
    ip: Option<&'a str>,
    metadata: String,
    created_at: chrono::NaiveDateTime,
}

impl AuditRepo for DieselTx<'_> {
    fn insert_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let metadata: std::collections::BTreeMap<String, Value> = e.metadata.clone();
        let row = NewAuditRow {
            id: e.id.to_string(),
            workspace_id: e.workspace_id.to_string(),
            event_type: &e.event_type,
            target_type: &e.target_type,
            target_id: &e.target_id,
            actor_type: &e.actor_type,
            actor_id: e.actor_id.as_deref(),
            request_id: &e.request_id,
            ip: e.ip.as_deref(),
            metadata: map_to_text(&metadata),
            created_at: naive(&e.created_at),
        };
        diesel::insert_into(audit_log::table)
            .values(&row)
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(())
    }

    fn list_audit(
        &mut self,
        ws: WorkspaceId,
        f: &AuditFilter,
        page: &PageRequest<AuditSort>,
    ) -> Result<Page<AuditEntry>> {
        self.list_audit_entries(ws, f, page)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    id: String,
    workspace_id: String,
    event_type: String,
    target_type: String,
    target_id: String,
    actor_type: String,
    actor_id: Option<String>,
    request_id: String,
    ip: Option<String>,
    metadata: String,
    created_at: chrono::NaiveDateTime,
}

impl AuditRow {
    fn into_domain(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            id: parse_id!(AuditId, self.id)?,
            workspace_id: parse_id!(WorkspaceId, self.workspace_id)?,
            event_type: self.event_type,
            target_type: self.target_type,
            target_id: self.target_id,
            actor_type: self.actor_type,
            actor_id: self.actor_id,
            request_id: self.request_id,
            ip: self.ip,
            metadata: map_from_text(&self.metadata).ok_or_else(|| error::corrupt("audit metadata", &self.metadata))?,
            created_at: utc(self.created_at),
        })
    }
}

type Boxed<'a> = audit_log::BoxedQuery<'a, MultiBackend>;

fn filtered<'a>(ws: &'a str, f: &'a AuditFilter) -> Boxed<'a> {
    let mut q = audit_log::table.filter(audit_log::workspace_id.eq(ws)).into_boxed();
    if let Some(v) = &f.event_type {
        q = q.filter(audit_log::event_type.eq(v));
    }
    if let Some(v) = &f.target_type {
        q = q.filter(audit_log::target_type.eq(v));
    }
    if let Some(v) = &f.target_id {
        q = q.filter(audit_log::target_id.eq(v));
    }
    if let Some(v) = &f.actor_type {
        q = q.filter(audit_log::actor_type.eq(v));
    }
    if let Some(v) = &f.actor_id {
        q = q.filter(audit_log::actor_id.eq(v));
    }
    if let Some(v) = &f.request_id {
        q = q.filter(audit_log::request_id.eq(v));
    }
    q
}

impl DieselTx<'_> {
    pub(crate) fn list_audit_entries(
        &mut self,
        ws: WorkspaceId,
        f: &AuditFilter,
        page: &PageRequest<AuditSort>,
    ) -> Result<Page<AuditEntry>> {
        let ws = ws.to_string();
        let total = filtered(&ws, f)
            .count()
            .get_result::<i64>(self.conn)
            .map_err(error::db)?;
        let q = filtered(&ws, f);
        let q = match (page.sort, page.order) {
            (AuditSort::CreatedAt, SortOrder::Asc) => q.order((audit_log::created_at.asc(), audit_log::id.asc())),
            (AuditSort::CreatedAt, SortOrder::Desc) => q.order((audit_log::created_at.desc(), audit_log::id.desc())),
        };
        let (limit, offset) = limits(page);
        let rows = q
            .select(AuditRow::as_select())
            .limit(limit)
            .offset(offset)
            .load(self.conn)
            .map_err(error::db)?;
        let items = rows
            .into_iter()
            .map(AuditRow::into_domain)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: count(total),
        })
    }
}
