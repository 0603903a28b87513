//! Custom fields: the definitions (a record table on the machinery of `repo::record`), and the
//! typed side table of defined values that record writes keep in step and reads join.
//!
//! A record's `custom_fields` column keeps its free-form names; each value of a defined name
//! that fits its definition is a row of `custom_field_values` instead (a multiselect: one row
//! per option), which an equality filter finds by index. Reads join live definitions, so a
//! deleted definition's values vanish from every read at once; `purge` reclaims their rows.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::custom_field::{
    CustomCondition, CustomField, CustomFieldFilter, CustomFieldRepo, CustomFieldSort, CustomMatch, EntityType,
    FieldType,
};
use moss_domain::id::{CustomFieldId, WorkspaceId};
use moss_domain::page::{PageRequest, SortOrder};
use moss_domain::text::TagName;
use moss_domain::time::Timestamp;
use moss_domain::value::{Number, Value};

use super::record::{common, record_table};
use super::{count, naive, parse_id};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::json::{map_from_text, map_to_text};
use crate::schema::{
    custom_field_definitions, custom_field_definitions as defs, custom_field_purges, custom_field_values as vals,
};
use crate::store::DieselTx;

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = defs, treat_none_as_null = true)]
pub(crate) struct CustomFieldRow {
    pub(crate) id: String,
    workspace_id: String,
    entity_type: String,
    field_name: String,
    name_key: String,
    field_label: String,
    field_type: String,
    field_options: Option<String>,
    required: bool,
    display_order: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl CustomFieldRow {
    pub(crate) fn from_domain(d: &CustomField) -> Self {
        Self {
            id: d.id.to_string(),
            workspace_id: d.common.workspace_id.to_string(),
            entity_type: d.entity_type.as_str().to_owned(),
            field_name: d.field_name.clone(),
            name_key: format!("{}:{}", d.entity_type.as_str(), d.field_name),
            field_label: d.field_label.clone(),
            field_type: d.field_type.as_str().to_owned(),
            field_options: d
                .field_options
                .as_ref()
                .map(|o| serde_json::Value::from(o.clone()).to_string()),
            required: d.required,
            display_order: d.display_order,
            created_at: naive(&d.common.created_at),
            updated_at: naive(&d.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<TagName>) -> Result<CustomField> {
        let common = common(&self.workspace_id, tags, "{}", self.created_at, self.updated_at)?;
        let field_options = self
            .field_options
            .as_deref()
            .map(|o| serde_json::from_str::<Vec<String>>(o).map_err(|_| error::corrupt("field_options", o)))
            .transpose()?;
        Ok(CustomField {
            id: parse_id!(CustomFieldId, self.id)?,
            entity_type: EntityType::parse("entity_type", &self.entity_type)
                .map_err(|_| error::corrupt("entity_type", &self.entity_type))?,
            field_name: self.field_name,
            field_label: self.field_label,
            field_type: FieldType::parse("field_type", &self.field_type)
                .map_err(|_| error::corrupt("field_type", &self.field_type))?,
            field_options,
            required: self.required,
            display_order: self.display_order,
            common,
        })
    }
}

type Boxed<'a> = defs::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a CustomFieldFilter) -> Boxed<'a> {
    if !f.entity_types.is_empty() {
        q = q.filter(defs::entity_type.eq_any(f.entity_types.iter().map(|t| t.as_str())));
    }
    if !f.field_types.is_empty() {
        q = q.filter(defs::field_type.eq_any(f.field_types.iter().map(|t| t.as_str())));
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<CustomFieldSort>) -> Boxed<'a> {
    use defs::{created_at, display_order, field_name, id};
    match (page.sort, page.order) {
        (CustomFieldSort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (CustomFieldSort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
        (CustomFieldSort::DisplayOrder, SortOrder::Asc) => q.order((display_order.asc(), id.asc())),
        (CustomFieldSort::DisplayOrder, SortOrder::Desc) => q.order((display_order.desc(), id.desc())),
        (CustomFieldSort::FieldName, SortOrder::Asc) => q.order((field_name.asc(), id.asc())),
        (CustomFieldSort::FieldName, SortOrder::Desc) => q.order((field_name.desc(), id.desc())),
    }
}

record_table!(record: CustomField, row: CustomFieldRow, table: custom_field_definitions, unique: name_key);

/// The definitions of an entity type in a workspace, by field name.
pub(crate) fn definitions(c: &mut MossConnection, ws: &str, entity: EntityType) -> Result<Vec<CustomField>> {
    let rows: Vec<CustomFieldRow> = defs::table
        .filter(defs::workspace_id.eq(ws))
        .filter(defs::entity_type.eq(entity.as_str()))
        .order(defs::field_name.asc())
        .select(CustomFieldRow::as_select())
        .load(c)
        .map_err(error::db)?;
    rows.into_iter().map(|r| r.into_domain(Vec::new())).collect()
}

#[derive(Insertable, Queryable, Clone, Debug, PartialEq)]
#[diesel(table_name = vals)]
pub(crate) struct ValueRow {
    record_id: String,
    field_id: String,
    ord: i32,
    workspace_id: String,
    value_text: Option<String>,
    value_number: Option<f64>,
    value_key: Option<String>,
}

/// What the side table's text index holds of a text value: its first 200 characters (a text
/// value may have 10,000, too many for one index entry).
pub(crate) fn value_key(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The side-table rows of one defined value (`None`: it does not fit its definition, and stays
/// free-form).
fn value_rows(ws: &str, record_id: &str, d: &CustomField, v: &Value) -> Option<Vec<ValueRow>> {
    if d.check(v).is_err() {
        return None;
    }
    let row = |ord: i32, text: Option<String>, number: Option<f64>| ValueRow {
        record_id: record_id.to_owned(),
        field_id: d.id.to_string(),
        ord,
        workspace_id: ws.to_owned(),
        value_key: text.as_deref().map(value_key),
        value_text: text,
        value_number: number,
    };
    Some(match v {
        Value::String(s) => vec![row(0, Some(s.clone()), None)],
        #[allow(clippy::cast_precision_loss)]
        Value::Number(Number::Int(i)) => vec![row(0, Some(i.to_string()), Some(*i as f64))],
        Value::Number(Number::Float(f)) => vec![row(0, Some(format!("{f:?}")), Some(*f))],
        Value::Bool(b) => vec![row(0, None, Some(if *b { 1.0 } else { 0.0 }))],
        Value::List(items) if items.is_empty() => vec![row(0, None, None)],
        Value::List(items) => items
            .iter()
            .zip(0..)
            .filter_map(|(item, ord)| match item {
                Value::String(s) => Some(row(ord, Some(s.clone()), None)),
                _ => None,
            })
            .collect(),
        Value::Null | Value::Map(_) => return None,
    })
}

/// Splits a record's custom fields into the free-form ones (its JSON column) and the side-table
/// rows of the defined ones that fit their definition.
pub(crate) fn split(
    ws: &str,
    record_id: &str,
    defined: &[CustomField],
    fields: &BTreeMap<String, Value>,
) -> (BTreeMap<String, Value>, Vec<ValueRow>) {
    let mut free = BTreeMap::new();
    let mut rows = Vec::new();
    for (name, v) in fields {
        match defined
            .iter()
            .find(|d| &d.field_name == name)
            .and_then(|d| value_rows(ws, record_id, d, v))
        {
            Some(r) => rows.extend(r),
            None => {
                free.insert(name.clone(), v.clone());
            }
        }
    }
    (free, rows)
}

/// Replaces a record's side-table rows.
pub(crate) fn write_values(c: &mut MossConnection, record_id: &str, rows: &[ValueRow], replace: bool) -> Result<()> {
    if replace {
        delete_values(c, record_id)?;
    }
    if !rows.is_empty() {
        crate::repo::on_backend!(c, |c| diesel::insert_into(vals::table).values(rows).execute(c)).map_err(error::db)?;
    }
    Ok(())
}

/// Deletes a record's side-table rows.
pub(crate) fn delete_values(c: &mut MossConnection, record_id: &str) -> Result<()> {
    diesel::delete(vals::table.filter(vals::record_id.eq(record_id)))
        .execute(c)
        .map_err(error::db)?;
    Ok(())
}

/// The defined values of these records (live definitions only), by record id.
pub(crate) fn values_of(c: &mut MossConnection, ids: &[String]) -> Result<HashMap<String, BTreeMap<String, Value>>> {
    type Row = (String, String, String, Option<String>, Option<f64>);
    let rows: Vec<Row> = vals::table
        .inner_join(defs::table.on(defs::id.eq(vals::field_id)))
        .filter(vals::record_id.eq_any(ids))
        .order((vals::record_id, vals::field_id, vals::ord))
        .select((
            vals::record_id,
            defs::field_name,
            defs::field_type,
            vals::value_text,
            vals::value_number,
        ))
        .load(c)
        .map_err(error::db)?;
    let mut out: HashMap<String, BTreeMap<String, Value>> = HashMap::new();
    for (record, name, kind, text, number) in rows {
        let fields = out.entry(record).or_default();
        let value = match kind.as_str() {
            "checkbox" => Value::Bool(number.unwrap_or(0.0) != 0.0),
            "number" => match text.as_deref().map(|t| (t.parse::<i64>(), t)) {
                Some((Ok(i), _)) => Value::Number(Number::Int(i)),
                _ => Value::Number(Number::Float(number.unwrap_or(0.0))),
            },
            "multiselect" => {
                let list = fields.entry(name).or_insert_with(|| Value::List(Vec::new()));
                if let (Value::List(items), Some(t)) = (list, text) {
                    items.push(Value::String(t));
                }
                continue;
            }
            _ => text.map_or(Value::Null, Value::String),
        };
        fields.insert(name, value);
    }
    Ok(out)
}

/// The number of records holding a resolved `cf.<name>` value: its side-table rows (one per
/// record, a multiselect's one per record and option), counted on the field's index.
pub(crate) fn count_matching(c: &mut MossConnection, cond: &CustomCondition) -> Result<i64> {
    use diesel::dsl::count_star;
    // Not boxed: each form is a statement the connection prepares once.
    let of_field = vals::table.filter(vals::field_id.eq(&cond.field_id));
    match &cond.value {
        CustomMatch::Text(t) => of_field
            .filter(vals::value_key.eq(value_key(t)))
            .filter(vals::value_text.eq(t))
            .select(count_star())
            .first(c),
        CustomMatch::Short(t) => of_field.filter(vals::value_key.eq(t)).select(count_star()).first(c),
        CustomMatch::Number(n) => of_field.filter(vals::value_number.eq(*n)).select(count_star()).first(c),
    }
    .map_err(error::db)
}

/// The sort expression of `sort=cf.<name>`, up to its bound field id, which the caller binds
/// and closes with `)`.
pub(crate) fn sort_value(table: &str, numeric: bool) -> String {
    let column = if numeric { "value_number" } else { "lower(value_text)" };
    format!(
        "(SELECT {column} FROM custom_field_values v WHERE v.record_id = {table}.id AND v.ord = 0 AND v.field_id = "
    )
}

impl CustomFieldRepo for DieselTx<'_> {
    fn definitions(&mut self, ws: WorkspaceId, entity: EntityType) -> Result<Vec<CustomField>> {
        Ok(self.definitions_of(&ws.to_string(), entity)?.to_vec())
    }

    fn holding(&mut self, field: CustomFieldId, option: &str) -> Result<u64> {
        use diesel::dsl::sql;
        use diesel::sql_types::BigInt;
        // Options have at most 100 characters: their key is the whole option.
        let n: i64 = vals::table
            .filter(vals::field_id.eq(field.to_string()))
            .filter(vals::value_key.eq(option))
            .select(sql::<BigInt>("COUNT(DISTINCT record_id)"))
            .first(self.conn)
            .map_err(error::db)?;
        Ok(count(n))
    }

    fn count_values(&mut self, field: CustomFieldId) -> Result<u64> {
        use diesel::dsl::sql;
        use diesel::sql_types::BigInt;
        let n: i64 = vals::table
            .filter(vals::field_id.eq(field.to_string()))
            .select(sql::<BigInt>("COUNT(DISTINCT record_id)"))
            .first(self.conn)
            .map_err(error::db)?;
        Ok(count(n))
    }

    fn adopt(&mut self, d: &CustomField) -> Result<u64> {
        use diesel::sql_types::Text;
        #[derive(QueryableByName)]
        struct Held {
            #[diesel(sql_type = Text)]
            id: String,
            #[diesel(sql_type = Text)]
            custom_fields: String,
        }
        let table = d.entity_type.as_str();
        let ws = d.common.workspace_id.to_string();
        // The name's JSON key, as the column's text holds it (names are [a-z0-9_]).
        let pattern = format!("%\"{}\":%", d.field_name);
        let sql = format!("SELECT id, custom_fields FROM {table} WHERE workspace_id = $1 AND custom_fields LIKE $2");
        let held: Vec<Held> = crate::repo::on_backend!(&mut *self.conn, |c| {
            diesel::sql_query(sql.clone())
                .bind::<Text, _>(&ws)
                .bind::<Text, _>(&pattern)
                .load(c)
        })
        .map_err(error::db)?;
        let update = format!("UPDATE {table} SET custom_fields = $1 WHERE id = $2");
        let mut moved = 0;
        for h in held {
            let Some(mut fields) = map_from_text(&h.custom_fields) else {
                continue;
            };
            let Some(rows) = fields.get(&d.field_name).and_then(|v| value_rows(&ws, &h.id, d, v)) else {
                continue;
            };
            fields.remove(&d.field_name);
            write_values(self.conn, &h.id, &rows, false)?;
            let text = map_to_text(&fields);
            crate::repo::on_backend!(&mut *self.conn, |c| {
                diesel::sql_query(update.clone())
                    .bind::<Text, _>(&text)
                    .bind::<Text, _>(&h.id)
                    .execute(c)
            })
            .map_err(error::db)?;
            moved += 1;
        }
        Ok(moved)
    }

    fn schedule_purge(&mut self, ws: WorkspaceId, field: CustomFieldId, at: Timestamp) -> Result<()> {
        diesel::insert_into(custom_field_purges::table)
            .values((
                custom_field_purges::field_id.eq(field.to_string()),
                custom_field_purges::workspace_id.eq(ws.to_string()),
                custom_field_purges::deleted_at.eq(naive(&at)),
            ))
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(())
    }

    fn purge_pending(&mut self) -> Result<bool> {
        let one: Option<String> = custom_field_purges::table
            .select(custom_field_purges::field_id)
            .first(self.conn)
            .optional()
            .map_err(error::db)?;
        Ok(one.is_some())
    }

    fn purge(&mut self, batch: i64) -> Result<u64> {
        let pending: Vec<String> = custom_field_purges::table
            .select(custom_field_purges::field_id)
            .order(custom_field_purges::deleted_at)
            .limit(8)
            .load(self.conn)
            .map_err(error::db)?;
        let mut removed = 0;
        for field in pending {
            let left = batch - i64::try_from(removed).unwrap_or(i64::MAX);
            if left <= 0 {
                break;
            }
            // The values of up to `left` records, by the field's index; a field with none left
            // is done.
            let n = crate::repo::on_backend!(&mut *self.conn, |c| {
                diesel::sql_query(
                    "DELETE FROM custom_field_values WHERE field_id = $1 AND record_id IN \
                     (SELECT record_id FROM custom_field_values WHERE field_id = $2 LIMIT $3)",
                )
                .bind::<diesel::sql_types::Text, _>(&field)
                .bind::<diesel::sql_types::Text, _>(&field)
                .bind::<diesel::sql_types::BigInt, _>(left)
                .execute(c)
            })
            .map_err(error::db)?;
            if n == 0 {
                diesel::delete(custom_field_purges::table.filter(custom_field_purges::field_id.eq(&field)))
                    .execute(self.conn)
                    .map_err(error::db)?;
            }
            removed += u64::try_from(n).unwrap_or(0);
        }
        Ok(removed)
    }
}
