//! The storage of every record resource, written once: one blanket [`RecordRepo`] over the
//! small per-table query atoms of [`Stored`], which [`record_table!`] writes for a table.
//!
//! The algorithm lives here (stored totals for unfiltered lists, pages past the end answered
//! without a query, the deferred join for later pages, tags folded in, the search index kept in
//! step, errors mapped); a table supplies its row type, its own filters and its sort columns.

use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::custom_field::CustomField;
use moss_domain::id::{TypedId, WorkspaceId};
use moss_domain::page::{Page, PageRequest};
use moss_domain::record::service::not_found;
use moss_domain::record::{Common, ListFilter, Record, RecordRepo, SearchText};
use moss_domain::text::TagName;

use super::tag::{add_record_tags, clear_record_tags, set_record_tags, tags_of, with_joined_tags};
use super::{count, custom_field, limits, stored_total};
use crate::connection::MossConnection;
use crate::error;
use crate::schema::search_documents;
use crate::store::DieselTx;

/// Every table of a record resource, by the `record_totals.resource` name its triggers use.
/// The schema test checks each has its totals triggers on both backends.
pub const RECORD_TABLES: &[&str] = &[
    "contacts",
    "companies",
    "deals",
    "interactions",
    "commitments",
    "followups",
    "custom_field_definitions",
];

/// What a record's table supplies: its row and monomorphic queries ([`record_table!`]).
pub(crate) trait Stored: Record {
    /// The row as diesel reads and writes it.
    type Row: Send;
    /// The table, as `record_totals` names it.
    const TABLE: &'static str;
    /// The row of a record.
    fn to_row(&self) -> Self::Row;
    /// The record of a row and its tags.
    fn from_row(row: Self::Row, tags: Vec<TagName>) -> Result<Self>;
    /// A row's id.
    fn row_id(row: &Self::Row) -> &str;
    /// `INSERT`.
    fn insert_row(c: &mut MossConnection, row: &Self::Row) -> QueryResult<usize>;
    /// `UPDATE` of the row with its id in its workspace.
    fn update_row(c: &mut MossConnection, row: &Self::Row) -> QueryResult<usize>;
    /// `DELETE`.
    fn delete_row(c: &mut MossConnection, ws: &str, id: &str) -> QueryResult<usize>;
    /// The row once per tag it carries (or once with no tag): one round trip for a read.
    fn row_with_tags(c: &mut MossConnection, ws: &str, id: &str) -> QueryResult<Vec<(Self::Row, Option<String>)>>;
    /// The id of the row holding the unique key.
    fn unique_id(c: &mut MossConnection, ws: &str, key: &str) -> QueryResult<Option<String>>;
    /// The number of rows matching.
    fn count(c: &mut MossConnection, ws: &str, f: &ListFilter<Self::Filter>) -> QueryResult<i64>;
    /// The first page's rows.
    fn first_rows(
        c: &mut MossConnection,
        ws: &str,
        f: &ListFilter<Self::Filter>,
        p: &PageRequest<Self::Sort>,
        limit: i64,
    ) -> QueryResult<Vec<Self::Row>>;
    /// A later page's ids (the OFFSET skipped on the sort's index, reading ids only).
    fn page_ids(
        c: &mut MossConnection,
        ws: &str,
        f: &ListFilter<Self::Filter>,
        p: &PageRequest<Self::Sort>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<Vec<String>>;
    /// The rows of these ids, in the page's order.
    fn rows_by_ids(
        c: &mut MossConnection,
        ws: &str,
        ids: &[String],
        p: &PageRequest<Self::Sort>,
    ) -> QueryResult<Vec<Self::Row>>;
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = search_documents)]
struct SearchRow<'a> {
    record_id: &'a str,
    workspace_id: &'a str,
    kind: &'a str,
    names: &'a str,
    keys: &'a str,
    other: &'a str,
    label: &'a str,
    exact: &'a str,
}

/// The common fields of a stored record: the row's workspace, tags, custom fields (JSON text)
/// and timestamps.
pub(crate) fn common(
    workspace_id: &str,
    tags: Vec<TagName>,
    custom_fields: &str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
) -> Result<Common> {
    Ok(Common {
        workspace_id: WorkspaceId::parse(workspace_id).ok_or_else(|| error::corrupt("WorkspaceId", workspace_id))?,
        tags,
        custom_fields: crate::json::map_from_text(custom_fields)
            .ok_or_else(|| error::corrupt("custom_fields", custom_fields))?,
        created_at: super::utc(created_at),
        updated_at: super::utc(updated_at),
    })
}

/// Writes a record's entry in the search index (insert for a new record; an update inserts the
/// entry of a record written without one, by SQL outside the application).
pub(crate) fn write_search(
    c: &mut MossConnection,
    ws: &str,
    id: &str,
    kind: &str,
    text: &SearchText,
    new: bool,
) -> Result<()> {
    let row = SearchRow {
        record_id: id,
        workspace_id: ws,
        kind,
        names: &text.names,
        keys: &text.keys,
        other: &text.other,
        label: &text.label,
        exact: &text.exact,
    };
    let updated = if new {
        0
    } else {
        diesel::update(search_documents::table.filter(search_documents::record_id.eq(id)))
            .set(&row)
            .execute(c)
            .map_err(error::db)?
    };
    if updated == 0 {
        diesel::insert_into(search_documents::table)
            .values(&row)
            .execute(c)
            .map_err(error::db)?;
    }
    Ok(())
}

/// The backend's full-text condition on `search_documents`, up to its bound query, and the query:
/// every word as a prefix (`'w1':* & 'w2':*` for Postgres, `"w1"* "w2"*` for FTS5, whose terms
/// AND). The caller binds the query and closes the condition with `)`. Words are letters and
/// digits only.
fn search_condition(c: &MossConnection, words: &[String]) -> (&'static str, String) {
    match c {
        MossConnection::Pg(_) => (
            "search @@ to_tsquery('simple', ",
            words.iter().map(|w| format!("'{w}':*")).collect::<Vec<_>>().join(" & "),
        ),
        MossConnection::Sqlite(_) => (
            "seq IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ",
            words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
        ),
    }
}

/// The SQL condition "`<table>.id` is a record of `kind` whose search text has every word as a
/// prefix", up to its bound query, and the query, which the caller binds and closes with `))`.
pub(crate) fn matches_words(c: &MossConnection, table: &str, kind: &str, words: &[String]) -> (String, String) {
    let (condition, query) = search_condition(c, words);
    (
        format!("{table}.id IN (SELECT record_id FROM search_documents WHERE kind = '{kind}' AND {condition}"),
        query,
    )
}

/// The number of records of `kind` in `ws` whose search text has every word as a prefix.
fn count_matches(c: &mut MossConnection, ws: &str, kind: &str, words: &[String]) -> Result<i64> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let (condition, query) = search_condition(c, words);
    search_documents::table
        .filter(search_documents::workspace_id.eq(ws))
        .filter(search_documents::kind.eq(kind))
        .filter(sql::<Bool>(condition).bind::<Text, _>(query).sql(")"))
        .count()
        .get_result(c)
        .map_err(error::db)
}

impl DieselTx<'_> {
    /// The row a record is stored as and, for a record that can have defined custom fields, the
    /// side-table rows of its defined values (its JSON column then keeps only the free-form ones).
    fn stored_row<R: Stored>(
        &mut self,
        r: &R,
        ws: &str,
        id: &str,
    ) -> Result<(R::Row, Option<Vec<custom_field::ValueRow>>)> {
        let fields = &r.common().custom_fields;
        let Some(entity) = R::ENTITY else {
            return Ok((r.to_row(), None));
        };
        if fields.is_empty() {
            return Ok((r.to_row(), Some(Vec::new())));
        }
        let defined = self.definitions_of(ws, entity)?;
        let (free, values) = custom_field::split(ws, id, &defined, fields);
        if values.is_empty() {
            return Ok((r.to_row(), Some(values)));
        }
        let mut stored = r.clone();
        stored.common_mut().custom_fields = free;
        Ok((stored.to_row(), Some(values)))
    }

    /// A write of a definition makes the definitions read in this unit of work stale.
    fn written<R: Stored>(&mut self) {
        if R::KIND == CustomField::KIND {
            self.definitions.clear();
        }
    }

    /// The records of these rows, with their tags and defined custom-field values, in the rows'
    /// order.
    fn hydrate<R: Stored>(&mut self, ws: &str, rows: Vec<R::Row>) -> Result<Vec<R>> {
        let ids: Vec<String> = rows.iter().map(|r| R::row_id(r).to_owned()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut tags = tags_of(self.conn, ws, &ids)?;
        let mut values = if R::ENTITY.is_some() {
            custom_field::values_of(self.conn, &ids)?
        } else {
            std::collections::HashMap::new()
        };
        rows.into_iter()
            .map(|row| {
                let t = tags.remove(R::row_id(&row)).unwrap_or_default();
                let v = values.remove(R::row_id(&row));
                let mut record = R::from_row(row, t)?;
                if let Some(v) = v {
                    record.common_mut().custom_fields.extend(v);
                }
                Ok(record)
            })
            .collect()
    }
}

impl<R: Stored> RecordRepo<R> for DieselTx<'_> {
    fn insert(&mut self, r: &R) -> Result<()> {
        let (ws, id) = (r.common().workspace_id.to_string(), r.id().to_string());
        let (row, values) = self.stored_row(r, &ws, &id)?;
        R::insert_row(self.conn, &row).map_err(error::db)?;
        self.written::<R>();
        if let Some(values) = values {
            custom_field::write_values(self.conn, &id, &values, false)?;
        }
        // A record with no search text (a commitment, a follow-up) has no entry to write.
        let text = r.search();
        if text != SearchText::default() {
            write_search(self.conn, &ws, &id, R::KIND, &text, true)?;
        }
        add_record_tags(self.conn, &ws, &id, &r.common().tags)
    }

    fn update(&mut self, r: &R, before: &R) -> Result<()> {
        let (ws, id) = (r.common().workspace_id.to_string(), r.id().to_string());
        let (row, values) = self.stored_row(r, &ws, &id)?;
        if R::update_row(self.conn, &row).map_err(error::db)? == 0 {
            return Err(not_found::<R>());
        }
        self.written::<R>();
        if let Some(values) = values
            && r.common().custom_fields != before.common().custom_fields
        {
            custom_field::write_values(self.conn, &id, &values, true)?;
        }
        // A stage move, say, changes neither: nothing to write again.
        let text = r.search();
        if text != before.search() {
            write_search(self.conn, &ws, &id, R::KIND, &text, false)?;
        }
        if r.common().tags != before.common().tags {
            set_record_tags(self.conn, &ws, &id, &r.common().tags)?;
        }
        Ok(())
    }

    fn delete(&mut self, ws: WorkspaceId, id: R::Id) -> Result<bool> {
        let id = id.to_string();
        let n = R::delete_row(self.conn, &ws.to_string(), &id).map_err(error::db)?;
        self.written::<R>();
        if n > 0 {
            if R::EXTRAS {
                clear_record_tags(self.conn, &id)?;
            }
            if R::ENTITY.is_some() {
                custom_field::delete_values(self.conn, &id)?;
            }
            diesel::delete(search_documents::table.filter(search_documents::record_id.eq(&id)))
                .execute(self.conn)
                .map_err(error::db)?;
        }
        Ok(n > 0)
    }

    fn get(&mut self, ws: WorkspaceId, id: R::Id) -> Result<Option<R>> {
        let id = id.to_string();
        let rows = R::row_with_tags(self.conn, &ws.to_string(), &id).map_err(error::db)?;
        let Some(mut record) = with_joined_tags(rows)
            .map(|(row, names)| R::from_row(row, names))
            .transpose()?
        else {
            return Ok(None);
        };
        if R::ENTITY.is_some()
            && let Some(values) = custom_field::values_of(self.conn, std::slice::from_ref(&id))?.remove(&id)
        {
            record.common_mut().custom_fields.extend(values);
        }
        Ok(Some(record))
    }

    fn get_many(&mut self, ws: WorkspaceId, ids: &[R::Id]) -> Result<Vec<R>> {
        let ws = ws.to_string();
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut rows = R::rows_by_ids(self.conn, &ws, &ids, &PageRequest::first()).map_err(error::db)?;
        rows.sort_by_key(|r| ids.iter().position(|id| id == R::row_id(r)));
        self.hydrate::<R>(&ws, rows)
    }

    fn id_by_unique(&mut self, ws: WorkspaceId, key: &str) -> Result<Option<R::Id>> {
        R::unique_id(self.conn, &ws.to_string(), key)
            .map_err(error::db)?
            .map(|id| R::Id::from_typeid(&id).ok_or_else(|| error::corrupt(R::KIND, &id)))
            .transpose()
    }

    fn list(&mut self, ws: WorkspaceId, f: &ListFilter<R::Filter>, page: &PageRequest<R::Sort>) -> Result<Page<R>> {
        let ws = ws.to_string();
        let total = if f.keeps_all() {
            stored_total(self.conn, &ws, R::TABLE)?
        } else if f.custom_only() {
            // A defined value's rows go with their record: counting the matching values (one
            // row per record and option) needs no join with the record table.
            count(custom_field::count_matching(self.conn, &f.custom.conditions[0])?)
        } else if f.words_only() {
            // Every record has its one entry in the index, written in its transaction: counting
            // the matches there needs no join with the record table.
            count(count_matches(self.conn, &ws, R::KIND, &f.words)?)
        } else {
            count(R::count(self.conn, &ws, f).map_err(error::db)?)
        };
        let (limit, offset) = limits(page);
        let rows = if u64::try_from(offset).unwrap_or(u64::MAX) >= total {
            Vec::new()
        } else if offset == 0 {
            R::first_rows(self.conn, &ws, f, page, limit).map_err(error::db)?
        } else {
            let ids = R::page_ids(self.conn, &ws, f, page, limit, offset).map_err(error::db)?;
            let mut rows = R::rows_by_ids(self.conn, &ws, &ids, page).map_err(error::db)?;
            // In the page's order (a custom-field sort is the page query's alone).
            rows.sort_by_key(|r| ids.iter().position(|id| id == R::row_id(r)));
            rows
        };
        let items = self.hydrate::<R>(&ws, rows)?;
        Ok(Page { items, total })
    }
}

/// Writes `impl Stored` for a record whose table has `id`, `workspace_id`, `created_at` and
/// `updated_at` columns and a row type with `from_domain` / `into_domain`. The module provides
/// `own_filter(q, &Filter) -> Boxed` and `ordered(q, &PageRequest<Sort>) -> Boxed`, where
/// `Boxed<'a>` is the table's boxed query; `unique` names the column of the unique key, or
/// `none`.
macro_rules! record_table {
    (record: $record:ty, row: $row:ty, table: $table:ident, unique: $unique:tt) => {
        /// The records of `ws` matching every filter, unordered.
        fn filtered<'a>(
            c: &MossConnection,
            ws: &'a str,
            f: &'a moss_domain::record::ListFilter<<$record as moss_domain::record::Record>::Filter>,
        ) -> Boxed<'a> {
            use crate::repo::naive;
            use crate::schema::record_tags;
            let mut q = $table::table.filter($table::workspace_id.eq(ws)).into_boxed();
            if let Some(tag) = &f.tag {
                let tagged = record_tags::table
                    .filter(record_tags::workspace_id.eq(ws))
                    .filter(record_tags::name_lower.eq(tag))
                    .select(record_tags::record_id);
                q = q.filter($table::id.eq_any(tagged));
            }
            if !f.words.is_empty() {
                let (head, query) = crate::repo::record::matches_words(
                    c,
                    stringify!($table),
                    <$record as moss_domain::record::Record>::KIND,
                    &f.words,
                );
                q = q.filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>(&head)
                        .bind::<diesel::sql_types::Text, _>(query)
                        .sql("))"),
                );
            }
            let w = &f.window;
            if let Some(t) = &w.created_after {
                q = q.filter($table::created_at.ge(naive(t)));
            }
            if let Some(t) = &w.created_before {
                q = q.filter($table::created_at.le(naive(t)));
            }
            if let Some(t) = &w.updated_after {
                q = q.filter($table::updated_at.ge(naive(t)));
            }
            if let Some(t) = &w.updated_before {
                q = q.filter($table::updated_at.le(naive(t)));
            }
            for cond in &f.custom.conditions {
                use diesel::sql_types::{Bool, Double, Text};
                let head = concat!(
                    stringify!($table),
                    ".id IN (SELECT record_id FROM custom_field_values WHERE field_id = "
                );
                let literal = diesel::dsl::sql::<Bool>(head).bind::<Text, _>(&cond.field_id);
                q = match &cond.value {
                    moss_domain::custom_field::CustomMatch::Text(t) => q.filter(
                        literal
                            .sql(" AND value_key = ")
                            .bind::<Text, _>(crate::repo::custom_field::value_key(t))
                            .sql(" AND value_text = ")
                            .bind::<Text, _>(t)
                            .sql(")"),
                    ),
                    moss_domain::custom_field::CustomMatch::Short(t) => {
                        q.filter(literal.sql(" AND value_key = ").bind::<Text, _>(t).sql(")"))
                    }
                    moss_domain::custom_field::CustomMatch::Number(n) => {
                        q.filter(literal.sql(" AND value_number = ").bind::<Double, _>(*n).sql(")"))
                    }
                };
            }
            own_filter(q, &f.own)
        }

        /// The page's order: `sort=cf.<name>` when asked (nulls last both ways, ties by id),
        /// else the resource's own.
        fn sorted<'a>(
            q: Boxed<'a>,
            f: &'a moss_domain::record::ListFilter<<$record as moss_domain::record::Record>::Filter>,
            p: &moss_domain::PageRequest<<$record as moss_domain::record::Record>::Sort>,
        ) -> Boxed<'a> {
            use diesel::sql_types::{Bool, Text};
            let Some(s) = &f.custom.order_by else {
                return ordered(q, p);
            };
            let expr = crate::repo::custom_field::sort_value(stringify!($table), s.numeric);
            let missing = diesel::dsl::sql::<Bool>(&expr).bind::<Text, _>(&s.field_id).sql(") IS NULL");
            let value = diesel::dsl::sql::<Text>(&expr).bind::<Text, _>(&s.field_id).sql(")");
            match p.order {
                moss_domain::page::SortOrder::Asc => q.order((missing.asc(), value.asc(), $table::id.asc())),
                moss_domain::page::SortOrder::Desc => q.order((missing.asc(), value.desc(), $table::id.desc())),
            }
        }

        impl crate::repo::record::Stored for $record {
            type Row = $row;
            const TABLE: &'static str = stringify!($table);

            fn to_row(&self) -> $row {
                <$row>::from_domain(self)
            }
            fn from_row(row: $row, tags: Vec<moss_domain::text::TagName>) -> moss_domain::Result<Self> {
                row.into_domain(tags)
            }
            fn row_id(row: &$row) -> &str {
                &row.id
            }
            fn insert_row(c: &mut MossConnection, row: &$row) -> QueryResult<usize> {
                diesel::insert_into($table::table).values(row).execute(c)
            }
            fn update_row(c: &mut MossConnection, row: &$row) -> QueryResult<usize> {
                diesel::update(
                    $table::table
                        .filter($table::workspace_id.eq(&row.workspace_id))
                        .filter($table::id.eq(&row.id)),
                )
                .set(row)
                .execute(c)
            }
            fn delete_row(c: &mut MossConnection, ws: &str, id: &str) -> QueryResult<usize> {
                diesel::delete($table::table.filter($table::workspace_id.eq(ws)).filter($table::id.eq(id))).execute(c)
            }
            fn row_with_tags(c: &mut MossConnection, ws: &str, id: &str) -> QueryResult<Vec<($row, Option<String>)>> {
                use crate::schema::{record_tags, tags};
                $table::table
                    .left_join(
                        record_tags::table.on(record_tags::workspace_id
                            .eq($table::workspace_id)
                            .and(record_tags::record_id.eq($table::id))),
                    )
                    .left_join(
                        tags::table.on(tags::workspace_id
                            .eq(record_tags::workspace_id)
                            .and(tags::name_lower.eq(record_tags::name_lower))),
                    )
                    .filter($table::workspace_id.eq(ws))
                    .filter($table::id.eq(id))
                    .select((<$row>::as_select(), tags::name.nullable()))
                    .load(c)
            }
            record_table!(@unique $table, $unique);
            fn count(
                c: &mut MossConnection,
                ws: &str,
                f: &moss_domain::record::ListFilter<Self::Filter>,
            ) -> QueryResult<i64> {
                filtered(c, ws, f).count().get_result(c)
            }
            fn first_rows(
                c: &mut MossConnection,
                ws: &str,
                f: &moss_domain::record::ListFilter<Self::Filter>,
                p: &moss_domain::PageRequest<Self::Sort>,
                limit: i64,
            ) -> QueryResult<Vec<$row>> {
                sorted(filtered(c, ws, f), f, p)
                    .select(<$row>::as_select())
                    .limit(limit)
                    .load(c)
            }
            fn page_ids(
                c: &mut MossConnection,
                ws: &str,
                f: &moss_domain::record::ListFilter<Self::Filter>,
                p: &moss_domain::PageRequest<Self::Sort>,
                limit: i64,
                offset: i64,
            ) -> QueryResult<Vec<String>> {
                sorted(filtered(c, ws, f), f, p)
                    .select($table::id)
                    .limit(limit)
                    .offset(offset)
                    .load(c)
            }
            fn rows_by_ids(
                c: &mut MossConnection,
                ws: &str,
                ids: &[String],
                p: &moss_domain::PageRequest<Self::Sort>,
            ) -> QueryResult<Vec<$row>> {
                let q: Boxed<'_> = $table::table
                    .filter($table::workspace_id.eq(ws))
                    .filter($table::id.eq_any(ids))
                    .into_boxed();
                ordered(q, p).select(<$row>::as_select()).load(c)
            }
        }
    };
    (@unique $table:ident, none) => {
        fn unique_id(_: &mut MossConnection, _: &str, _: &str) -> QueryResult<Option<String>> {
            Ok(None)
        }
    };
    (@unique $table:ident, $column:ident) => {
        fn unique_id(c: &mut MossConnection, ws: &str, key: &str) -> QueryResult<Option<String>> {
            $table::table
                .filter($table::workspace_id.eq(ws))
                .filter($table::$column.eq(key))
                .select($table::id)
                .first::<String>(c)
                .optional()
        }
    };
}
pub(crate) use record_table;
