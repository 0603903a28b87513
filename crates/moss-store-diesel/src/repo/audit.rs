use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::audit::{AuditEntry, AuditRepo};
use moss_domain::value::Value;

use super::naive;
use crate::error;
use crate::json::map_to_text;
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
}
