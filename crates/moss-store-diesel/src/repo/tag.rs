use std::collections::{HashMap, HashSet};

use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::id::WorkspaceId;
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::tag::ports::{TagCount, TagRepo, TagSort, TagType};
use moss_domain::text::TagName;
use moss_domain::time::Timestamp;

use super::{count, limits, naive, on_backend};
use crate::connection::MossConnection;
use crate::error;
use crate::schema::{lower, record_tags, tags};
use crate::store::DieselTx;

#[derive(Insertable)]
#[diesel(table_name = tags)]
struct NewTagRow<'a> {
    workspace_id: &'a str,
    name_lower: String,
    name: &'a str,
    created_at: chrono::NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = record_tags)]
struct RecordTagRow<'a> {
    record_id: &'a str,
    workspace_id: &'a str,
    name_lower: String,
}

/// Replaces a record's tags (already made canonical with `ensure_tags`).
pub(crate) fn set_record_tags(conn: &mut MossConnection, ws: &str, record_id: &str, list: &[TagName]) -> Result<()> {
    clear_record_tags(conn, record_id)?;
    add_record_tags(conn, ws, record_id, list)
}

/// Gives a record that has none yet (a new one) the tags in `list`.
pub(crate) fn add_record_tags(conn: &mut MossConnection, ws: &str, record_id: &str, list: &[TagName]) -> Result<()> {
    // A name twice (in any case) is one tag, not a primary-key violation.
    let mut seen = HashSet::new();
    for key in list.iter().map(TagName::key).filter(|k| seen.insert(k.clone())) {
        let row = RecordTagRow {
            record_id,
            workspace_id: ws,
            name_lower: key,
        };
        diesel::insert_into(record_tags::table)
            .values(&row)
            .execute(conn)
            .map_err(error::db)?;
    }
    Ok(())
}

/// Removes a deleted record's tags.
pub(crate) fn clear_record_tags(conn: &mut MossConnection, record_id: &str) -> Result<()> {
    diesel::delete(record_tags::table.filter(record_tags::record_id.eq(record_id)))
        .execute(conn)
        .map_err(error::db)?;
    Ok(())
}

/// The tags of each record, by record id, sorted as records present them.
pub(crate) fn tags_of(conn: &mut MossConnection, ws: &str, ids: &[String]) -> Result<HashMap<String, Vec<TagName>>> {
    let mut out: HashMap<String, Vec<TagName>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = record_tags::table
        .inner_join(
            tags::table.on(tags::workspace_id
                .eq(record_tags::workspace_id)
                .and(tags::name_lower.eq(record_tags::name_lower))),
        )
        .filter(record_tags::workspace_id.eq(ws))
        .filter(record_tags::record_id.eq_any(ids))
        .select((record_tags::record_id, tags::name))
        .load::<(String, String)>(conn)
        .map_err(error::db)?;
    for (id, name) in rows {
        out.entry(id).or_default().push(TagName::from_stored(name));
    }
    for list in out.values_mut() {
        moss_domain::text::sort_tags(list);
    }
    Ok(out)
}

/// Folds the rows of one record left-joined to its tags (the record once per tag, or once with
/// no tag) into the record and its tags, sorted as [`tags_of`] sorts them.
pub(crate) fn with_joined_tags<R>(rows: Vec<(R, Option<String>)>) -> Option<(R, Vec<TagName>)> {
    let mut record = None;
    let mut names = Vec::new();
    for (row, name) in rows {
        names.extend(name.map(TagName::from_stored));
        record.get_or_insert(row);
    }
    moss_domain::text::sort_tags(&mut names);
    record.map(|row| (row, names))
}

impl TagRepo for DieselTx<'_> {
    fn ensure_tags(&mut self, ws: WorkspaceId, list: &[TagName], at: Timestamp) -> Result<Vec<TagName>> {
        let ws = ws.to_string();
        let created_at = naive(&at);
        // One row per key (the first spelling given wins within a call), inserted in key order:
        // two transactions creating the same new tags then lock them in the same order, where
        // the order given could make Postgres abort one of them with "deadlock detected".
        let mut seen = HashSet::new();
        let mut new_rows: Vec<(String, &TagName)> = list
            .iter()
            .map(|t| (t.key(), t))
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect();
        new_rows.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, tag) in new_rows {
            let row = NewTagRow {
                workspace_id: &ws,
                name_lower: key,
                name: tag.as_str(),
                created_at,
            };
            // The first spelling written wins; later ones keep it.
            on_backend!(&mut *self.conn, |c| diesel::insert_into(tags::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c))
            .map_err(error::db)?;
        }
        let keys: Vec<String> = list.iter().map(TagName::key).collect();
        let stored: HashMap<String, String> = tags::table
            .filter(tags::workspace_id.eq(&ws))
            .filter(tags::name_lower.eq_any(&keys))
            .select((tags::name_lower, tags::name))
            .load::<(String, String)>(self.conn)
            .map_err(error::db)?
            .into_iter()
            .collect();
        Ok(keys
            .iter()
            .zip(list)
            .map(|(k, t)| {
                stored
                    .get(k)
                    .map_or_else(|| t.clone(), |n| TagName::from_stored(n.clone()))
            })
            .collect())
    }

    fn list_tags(
        &mut self,
        ws: WorkspaceId,
        kind: Option<TagType>,
        page: &PageRequest<TagSort>,
    ) -> Result<Page<TagCount>> {
        let ws = ws.to_string();
        // A record's type is its id's TypeID prefix (`cnt_...`); `_` is escaped for LIKE.
        let like = kind.map_or_else(|| "%".to_owned(), |k| format!("{}\\_%", k.id_prefix()));
        let used = record_tags::table
            .filter(record_tags::workspace_id.eq(tags::workspace_id))
            .filter(record_tags::name_lower.eq(tags::name_lower))
            .filter(record_tags::record_id.like(like.clone()).escape('\\'));
        let total = tags::table
            .filter(tags::workspace_id.eq(&ws))
            .filter(exists(used))
            .count()
            .get_result::<i64>(self.conn)
            .map_err(error::db)?;
        let q = record_tags::table
            .inner_join(
                tags::table.on(tags::workspace_id
                    .eq(record_tags::workspace_id)
                    .and(tags::name_lower.eq(record_tags::name_lower))),
            )
            .filter(record_tags::workspace_id.eq(&ws))
            .filter(record_tags::record_id.like(like).escape('\\'))
            .group_by((tags::name_lower, tags::name))
            .select((tags::name, count_star()))
            .into_boxed();
        // Ties on the count are broken by name. Only `tags.name` has the "C" collation on
        // Postgres (`name_lower` has the database's default one), so order by `lower(name)`, as
        // SQLite does, byte-wise, whatever the database's collation.
        let q = match (page.sort, page.order) {
            (TagSort::Count, SortOrder::Desc) => {
                q.order((count_star().desc(), lower(tags::name).asc(), tags::name.asc()))
            }
            (TagSort::Count, SortOrder::Asc) => {
                q.order((count_star().asc(), lower(tags::name).asc(), tags::name.asc()))
            }
            (TagSort::Name, SortOrder::Asc) => q.order((lower(tags::name).asc(), tags::name.asc())),
            (TagSort::Name, SortOrder::Desc) => q.order((lower(tags::name).desc(), tags::name.desc())),
        };
        let (limit, offset) = limits(page);
        let rows = q
            .limit(limit)
            .offset(offset)
            .load::<(String, i64)>(self.conn)
            .map_err(error::db)?;
        let items = rows
            .into_iter()
            .map(|(name, n)| TagCount { name, count: count(n) })
            .collect();
        Ok(Page {
            items,
            total: count(total),
        })
    }
}
