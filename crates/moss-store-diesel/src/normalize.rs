//! Rewrites text stored before Moss normalized its input (contract.md, Text): every text value
//! in Unicode NFC, and the comparison columns (`email_lower`, tag keys) in folded form
//! (`moss_domain::text::fold`), with the search text that derives from them.
//!
//! A step of `moss migrate` (and of the first `moss serve` after the upgrade), in Rust because
//! SQLite has no NFC in SQL. It is idempotent: rows already normalized are not written, and
//! each changed row is written on its own, so a run stopped half-way is finished by the next.
//! A row whose normalized form would collide with another's (two contacts whose emails fold
//! alike, two spellings of one tag) is left unchanged and reported.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use moss_domain::text::{EmailAddress, HttpUrl, fold, nfc};
use moss_domain::value::Value;

use crate::connection::{DatabaseUrl, MossConnection};
use crate::repo::company::CompanyRow;
use crate::repo::contact::ContactRow;
use crate::repo::record::write_search;
use crate::schema::{api_keys, companies, contacts, maintenance_steps, members, record_tags, tags, workspaces};
use moss_domain::record::Record;

/// The name this step is recorded under in `maintenance_steps`.
pub const STEP: &str = "2026-12-01 text NFC and case folding";

/// Rows read per batch.
const BATCH: i64 = 500;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// Rows rewritten.
    pub rewritten: u64,
    /// Rows left unchanged because their normalized form collides with another row's:
    /// `contact cnt_...`, `member usr_...`, `tag <workspace id>/<name>`.
    pub collisions: Vec<String>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Runs the step and records that it ran (`moss migrate`: always).
pub fn run(url: &DatabaseUrl) -> Result<Normalized, BoxError> {
    let mut conn = url.connect()?;
    let done = run_on(&mut conn)?;
    diesel::delete(maintenance_steps::table.filter(maintenance_steps::name.eq(STEP))).execute(&mut conn)?;
    diesel::insert_into(maintenance_steps::table)
        .values((
            maintenance_steps::name.eq(STEP),
            maintenance_steps::done_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(&mut conn)?;
    Ok(done)
}

/// Runs the step unless it has run on this database (`moss serve` at start); `None` when it had.
pub fn run_once(url: &DatabaseUrl) -> Result<Option<Normalized>, BoxError> {
    let mut conn = url.connect()?;
    let ran: i64 = maintenance_steps::table
        .filter(maintenance_steps::name.eq(STEP))
        .count()
        .get_result(&mut conn)?;
    if ran > 0 {
        return Ok(None);
    }
    drop(conn);
    run(url).map(Some)
}

/// The step on an open connection.
pub fn run_on(conn: &mut MossConnection) -> Result<Normalized, BoxError> {
    let mut out = Normalized::default();
    workspaces_and_keys(conn, &mut out)?;
    members(conn, &mut out)?;
    tags(conn, &mut out)?;
    contacts(conn, &mut out)?;
    companies(conn, &mut out)?;
    Ok(out)
}

fn n(s: &str) -> String {
    nfc(s).into_owned()
}

fn n_opt(s: Option<String>) -> Option<String> {
    s.map(|s| n(&s))
}

fn n_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(n(&s)),
        Value::List(items) => Value::List(items.into_iter().map(n_value).collect()),
        Value::Map(m) => Value::Map(n_map(m)),
        other => other,
    }
}

fn n_map(m: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    m.into_iter().map(|(k, v)| (n(&k), n_value(v))).collect()
}

/// Applies one update; a unique violation is a collision (`Ok(false)`), left for the report.
fn write(result: QueryResult<usize>) -> Result<bool, BoxError> {
    match result {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn workspaces_and_keys(conn: &mut MossConnection, out: &mut Normalized) -> Result<(), BoxError> {
    let rows: Vec<(String, String)> = workspaces::table
        .select((workspaces::id, workspaces::name))
        .load(conn)?;
    for (id, name) in rows {
        if n(&name) != name {
            diesel::update(workspaces::table.find(&id))
                .set(workspaces::name.eq(n(&name)))
                .execute(conn)?;
            out.rewritten += 1;
        }
    }
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String)> = api_keys::table
            .filter(api_keys::id.gt(&after))
            .order(api_keys::id)
            .limit(BATCH)
            .select((api_keys::id, api_keys::name))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after.clone_from(&last.0);
        for (id, name) in rows {
            if n(&name) != name {
                diesel::update(api_keys::table.find(&id))
                    .set(api_keys::name.eq(n(&name)))
                    .execute(conn)?;
                out.rewritten += 1;
            }
        }
    }
    Ok(())
}

fn members(conn: &mut MossConnection, out: &mut Normalized) -> Result<(), BoxError> {
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String, String, Option<String>)> = members::table
            .filter(members::id.gt(&after))
            .order(members::id)
            .limit(BATCH)
            .select((members::id, members::email, members::email_lower, members::name))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after.clone_from(&last.0);
        for (id, email, email_lower, name) in rows {
            let new = (n(&email), fold(&email), n_opt(name.clone()));
            if new == (email, email_lower, name) {
                continue;
            }
            let update = diesel::update(members::table.find(&id))
                .set((
                    members::email.eq(new.0),
                    members::email_lower.eq(new.1),
                    members::name.eq(new.2),
                ))
                .execute(conn);
            if write(update)? {
                out.rewritten += 1;
            } else {
                out.collisions.push(format!("member {id}"));
            }
        }
    }
    Ok(())
}

/// A tag whose key changes moves with its records: a row under the new key, the records'
/// links re-pointed, the old row removed, in one transaction.
fn tags(conn: &mut MossConnection, out: &mut Normalized) -> Result<(), BoxError> {
    let rows: Vec<(String, String, String, chrono::NaiveDateTime)> = tags::table
        .order((tags::workspace_id, tags::name_lower))
        .select((tags::workspace_id, tags::name_lower, tags::name, tags::created_at))
        .load(conn)?;
    for (ws, key, name, created_at) in rows {
        let (new_name, new_key) = (n(&name), fold(&name));
        if (new_name.as_str(), new_key.as_str()) == (name.as_str(), key.as_str()) {
            continue;
        }
        if new_key == key {
            diesel::update(tags::table.find((&ws, &key)))
                .set(tags::name.eq(&new_name))
                .execute(conn)?;
            out.rewritten += 1;
            continue;
        }
        let taken: i64 = tags::table
            .filter(tags::workspace_id.eq(&ws))
            .filter(tags::name_lower.eq(&new_key))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            out.collisions.push(format!("tag {ws}/{name}"));
            continue;
        }
        conn.transaction::<_, Error, _>(|c| {
            diesel::insert_into(tags::table)
                .values((
                    tags::workspace_id.eq(&ws),
                    tags::name_lower.eq(&new_key),
                    tags::name.eq(&new_name),
                    tags::created_at.eq(created_at),
                ))
                .execute(c)?;
            diesel::update(
                record_tags::table
                    .filter(record_tags::workspace_id.eq(&ws))
                    .filter(record_tags::name_lower.eq(&key)),
            )
            .set(record_tags::name_lower.eq(&new_key))
            .execute(c)?;
            diesel::delete(tags::table.find((&ws, &key))).execute(c)?;
            Ok(())
        })?;
        out.rewritten += 1;
    }
    Ok(())
}

fn contacts(conn: &mut MossConnection, out: &mut Normalized) -> Result<(), BoxError> {
    let mut after = String::new();
    loop {
        let rows: Vec<ContactRow> = contacts::table
            .filter(contacts::id.gt(&after))
            .order(contacts::id)
            .limit(BATCH)
            .select(ContactRow::as_select())
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after.clone_from(&last.id);
        for stored in rows {
            let id = stored.id.clone();
            let mut c = stored.clone().into_domain(Vec::new()).map_err(|e| e.to_string())?;
            c.first_name = n(&c.first_name);
            c.last_name = n_opt(c.last_name);
            c.email = c.email.map(|e| EmailAddress::from_stored(n(e.as_str())));
            c.phone = n_opt(c.phone);
            c.title = n_opt(c.title);
            c.linkedin_url = c.linkedin_url.map(|u| HttpUrl::from_stored(n(u.as_str())));
            c.notes = n_opt(c.notes);
            c.common.custom_fields = n_map(c.common.custom_fields);
            let new = ContactRow::from_domain(&c);
            if new == stored {
                continue;
            }
            if write(diesel::update(contacts::table.find(&id)).set(&new).execute(conn))? {
                let ws = c.common.workspace_id.to_string();
                write_search(conn, &ws, &id, "contact", &c.search(), false).map_err(|e| e.to_string())?;
                out.rewritten += 1;
            } else {
                out.collisions.push(format!("contact {id}"));
            }
        }
    }
    Ok(())
}

fn companies(conn: &mut MossConnection, out: &mut Normalized) -> Result<(), BoxError> {
    let mut after = String::new();
    loop {
        let rows: Vec<CompanyRow> = companies::table
            .filter(companies::id.gt(&after))
            .order(companies::id)
            .limit(BATCH)
            .select(CompanyRow::as_select())
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after.clone_from(&last.id);
        for stored in rows {
            let id = stored.id.clone();
            let mut c = stored.clone().into_domain(Vec::new()).map_err(|e| e.to_string())?;
            c.name = n(&c.name);
            c.industry = n_opt(c.industry);
            c.website = c.website.map(|u| HttpUrl::from_stored(n(u.as_str())));
            c.phone = n_opt(c.phone);
            c.notes = n_opt(c.notes);
            c.common.custom_fields = n_map(c.common.custom_fields);
            let new = CompanyRow::from_domain(&c);
            if new == stored {
                continue;
            }
            if write(diesel::update(companies::table.find(&id)).set(&new).execute(conn))? {
                let ws = c.common.workspace_id.to_string();
                write_search(conn, &ws, &id, "company", &c.search(), false).map_err(|e| e.to_string())?;
                out.rewritten += 1;
            } else {
                out.collisions.push(format!("company {id}"));
            }
        }
    }
    Ok(())
}
