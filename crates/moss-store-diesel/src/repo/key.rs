use chrono::NaiveDateTime;
use diesel::prelude::*;
use moss_domain::id::{KeyId, MemberId, WorkspaceId};
use moss_domain::key::model::{ApiKey, KeySort, StoredKey};
use moss_domain::key::ports::KeyRepo;
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::time::Timestamp;
use moss_domain::{DomainError, Result, Role, Scope};

use super::{count, limits, naive, parse_id, utc};
use crate::error;
use crate::schema::{api_keys, lower, members};
use crate::store::DieselTx;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
struct KeyRow {
    id: String,
    workspace_id: String,
    member_id: String,
    name: String,
    scope: String,
    prefix: String,
    digest: Vec<u8>,
    expires_at: Option<NaiveDateTime>,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

impl KeyRow {
    fn into_domain(self) -> Result<(ApiKey, Vec<u8>)> {
        let key = ApiKey {
            id: parse_id!(KeyId, self.id)?,
            workspace_id: parse_id!(WorkspaceId, self.workspace_id)?,
            member_id: parse_id!(MemberId, self.member_id)?,
            name: self.name,
            scope: Scope::parse(&self.scope).ok_or_else(|| error::corrupt("scope", &self.scope))?,
            prefix: self.prefix,
            expires_at: self.expires_at.map(utc),
            last_used_at: self.last_used_at.map(utc),
            revoked_at: self.revoked_at.map(utc),
            created_at: utc(self.created_at),
        };
        Ok((key, self.digest))
    }
}

impl KeyRepo for DieselTx<'_> {
    fn insert_key(&mut self, k: &ApiKey, digest: &[u8; 32]) -> Result<()> {
        let row = KeyRow {
            id: k.id.to_string(),
            workspace_id: k.workspace_id.to_string(),
            member_id: k.member_id.to_string(),
            name: k.name.clone(),
            scope: k.scope.as_str().to_owned(),
            prefix: k.prefix.clone(),
            digest: digest.to_vec(),
            expires_at: k.expires_at.as_ref().map(naive),
            last_used_at: k.last_used_at.as_ref().map(naive),
            revoked_at: k.revoked_at.as_ref().map(naive),
            created_at: naive(&k.created_at),
        };
        diesel::insert_into(api_keys::table)
            .values(&row)
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(())
    }

    fn key_by_digest(&mut self, digest: &[u8; 32]) -> Result<Option<StoredKey>> {
        let found = api_keys::table
            .inner_join(members::table.on(members::id.eq(api_keys::member_id)))
            .filter(api_keys::digest.eq(digest.as_slice()))
            .select((KeyRow::as_select(), members::role))
            .first::<(KeyRow, String)>(self.conn)
            .optional()
            .map_err(error::db)?;
        let Some((row, role)) = found else { return Ok(None) };
        let (key, digest) = row.into_domain()?;
        let role = Role::parse(&role).ok_or_else(|| error::corrupt("role", &role))?;
        Ok(Some(StoredKey { key, digest, role }))
    }

    fn active_key(&mut self, ws: WorkspaceId, id: KeyId) -> Result<Option<ApiKey>> {
        api_keys::table
            .filter(api_keys::workspace_id.eq(ws.to_string()))
            .filter(api_keys::id.eq(id.to_string()))
            .filter(api_keys::revoked_at.is_null())
            .select(KeyRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(error::db)?
            .map(|r| r.into_domain().map(|(k, _)| k))
            .transpose()
    }

    fn list_keys(&mut self, ws: WorkspaceId, page: &PageRequest<KeySort>) -> Result<Page<ApiKey>> {
        let ws = ws.to_string();
        let now = naive(&moss_domain::time::now());
        let base = || {
            api_keys::table
                .filter(api_keys::workspace_id.eq(ws.clone()))
                .filter(api_keys::revoked_at.is_null())
                .filter(api_keys::expires_at.is_null().or(api_keys::expires_at.gt(now)))
        };
        let total = base().count().get_result::<i64>(self.conn).map_err(error::db)?;
        let q = base().into_boxed();
        let q = match (page.sort, page.order) {
            (KeySort::CreatedAt, SortOrder::Asc) => q.order((api_keys::created_at.asc(), api_keys::id.asc())),
            (KeySort::CreatedAt, SortOrder::Desc) => q.order((api_keys::created_at.desc(), api_keys::id.desc())),
            (KeySort::Name, SortOrder::Asc) => q.order((lower(api_keys::name).asc(), api_keys::id.asc())),
            (KeySort::Name, SortOrder::Desc) => q.order((lower(api_keys::name).desc(), api_keys::id.desc())),
            (KeySort::LastUsedAt, SortOrder::Asc) => q.order((
                api_keys::last_used_at.is_null().asc(),
                api_keys::last_used_at.asc(),
                api_keys::id.asc(),
            )),
            (KeySort::LastUsedAt, SortOrder::Desc) => q.order((
                api_keys::last_used_at.is_null().asc(),
                api_keys::last_used_at.desc(),
                api_keys::id.desc(),
            )),
        };
        let (limit, offset) = limits(page);
        let rows = q
            .select(KeyRow::as_select())
            .limit(limit)
            .offset(offset)
            .load(self.conn)
            .map_err(error::db)?;
        let items = rows
            .into_iter()
            .map(|r| r.into_domain().map(|(k, _)| k))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: count(total),
        })
    }

    fn revoke_key(&mut self, ws: WorkspaceId, id: KeyId, at: Timestamp) -> Result<()> {
        let n = diesel::update(
            api_keys::table
                .filter(api_keys::workspace_id.eq(ws.to_string()))
                .filter(api_keys::id.eq(id.to_string()))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(naive(&at)))
        .execute(self.conn)
        .map_err(error::db)?;
        if n == 0 {
            return Err(DomainError::NotFound("API key not found.".into()));
        }
        Ok(())
    }

    fn touch_key(&mut self, id: KeyId, at: Timestamp, stale_before: Timestamp) -> Result<()> {
        let (id, at, stale_before) = (id.to_string(), naive(&at), naive(&stale_before));
        match self.conn {
            // Concurrent requests with one key all see a stale `last_used_at` at the same
            // moment. Waiting for the first one's row lock would hold every one of them until
            // that UPDATE commits (a WAL flush each, one after another); the others skip the row
            // instead: one of them is already recording the use.
            crate::connection::MossConnection::Pg(c) => diesel::sql_query(
                "UPDATE api_keys SET last_used_at = $1 WHERE id IN (SELECT id FROM api_keys WHERE id = $2 \
                 AND (last_used_at IS NULL OR last_used_at <= $3) FOR UPDATE SKIP LOCKED)",
            )
            .bind::<diesel::sql_types::Timestamp, _>(at)
            .bind::<diesel::sql_types::Text, _>(&id)
            .bind::<diesel::sql_types::Timestamp, _>(stale_before)
            .execute(c),
            // SQLite has one writer at a time and no row locks.
            crate::connection::MossConnection::Sqlite(_) => diesel::update(
                api_keys::table.filter(api_keys::id.eq(&id)).filter(
                    api_keys::last_used_at
                        .is_null()
                        .or(api_keys::last_used_at.le(stale_before)),
                ),
            )
            .set(api_keys::last_used_at.eq(at))
            .execute(self.conn),
        }
        .map_err(error::db)?;
        Ok(())
    }
}
