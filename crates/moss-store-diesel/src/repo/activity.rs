//! Activity timelines: one `UNION ALL` over the engagement tables and the audit log, ordered,
//! paged (`ORDER BY ts, id` with `LIMIT`/`OFFSET`) and counted (`COUNT(*) OVER ()`) by the
//! database in one statement.
//! Every branch reads through an index on its subject (`contact_id`, `deal_id`, the audit
//! log's `(workspace_id, target_id)`, the links' `contact_id`), so a timeline costs what it
//! holds, not what the workspace holds.
//!
//! Each branch yields the same columns: the item's `id`, its `kind` (below), its time `ts`, the
//! record it is about (`ref_id`) and up to three texts `a`, `b`, `c` whose meaning depends on
//! the kind; the details are put together in Rust.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use moss_domain::Result;
use moss_domain::activity::{ActivityItem, ActivityRepo, ActivitySort, ActivityType, Subject};
use moss_domain::contact::merge::display_name;
use moss_domain::followup::Priority;
use moss_domain::id::WorkspaceId;
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::value::Value;

use super::{count, limits, on_backend, utc};
use crate::connection::MossConnection;
use crate::error;
use crate::store::DieselTx;

#[derive(QueryableByName)]
struct ItemRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamp)]
    ts: NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    ref_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    a: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    b: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c: Option<String>,
    /// The whole timeline's size (`COUNT(*) OVER ()`), on every row of the page.
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A text field of a JSON audit `metadata` column, in each backend's SQL.
fn meta(pg: bool, key: &str) -> String {
    if pg {
        format!("(CAST(a.metadata AS json) ->> '{key}')")
    } else {
        format!("json_extract(a.metadata, '$.{key}')")
    }
}

const NONE: &str = "CAST(NULL AS TEXT)";

/// The id of the audit entry behind a completed record: its latest completion, or its creation
/// when it was created completed (the record's own id, marked, if the log has neither).
fn completion_id(alias: &str, kind: &str) -> String {
    format!(
        "COALESCE((SELECT a.id FROM audit_log a WHERE a.workspace_id = $1 AND a.target_id = {alias}.id \
         AND a.event_type IN ('{kind}.completed', '{kind}.created') ORDER BY a.created_at DESC, a.id DESC LIMIT 1), \
         {alias}.id || '.completed')"
    )
}

/// The `UNION ALL` of the branches of `types` for the subject (`$1` workspace, `$2` subject).
fn union(pg: bool, subject: Subject, types: &[ActivityType]) -> Option<String> {
    let want = |t: ActivityType| types.is_empty() || types.contains(&t);
    let (column, deal) = match subject {
        Subject::Contact(_) => ("contact_id", false),
        Subject::Deal(_) => ("deal_id", true),
    };
    let mut branches: Vec<String> = Vec::new();
    if want(ActivityType::Interaction) {
        branches.push(format!(
            "SELECT i.id AS id, 'interaction' AS kind, i.occurred_at AS ts, i.id AS ref_id, i.type AS a, \
             i.deal_id AS b, i.notes AS c FROM interactions i WHERE i.workspace_id = $1 AND i.{column} = $2"
        ));
    }
    if want(ActivityType::Deal) {
        // A contact's: the moves of the deals linked to it now, whenever they happened.
        let linked = if deal {
            "a.target_id = $2".to_owned()
        } else {
            "a.target_id IN (SELECT dc.deal_id FROM deal_contacts dc WHERE dc.workspace_id = $1 AND dc.contact_id = $2)"
                .to_owned()
        };
        branches.push(format!(
            "SELECT a.id AS id, 'stage' AS kind, a.created_at AS ts, d.id AS ref_id, d.name AS a, {from} AS b, \
             {to} AS c FROM audit_log a JOIN deals d ON d.id = a.target_id \
             WHERE a.workspace_id = $1 AND a.event_type = 'deal.stage_moved' AND {linked}",
            from = meta(pg, "from_stage"),
            to = meta(pg, "to_stage"),
        ));
    }
    if want(ActivityType::FollowUp) {
        let of = format!("FROM followups f WHERE f.workspace_id = $1 AND f.{column} = $2");
        branches.push(format!(
            "SELECT f.id AS id, 'followup_created' AS kind, f.created_at AS ts, f.id AS ref_id, f.title AS a, \
             CAST(f.due_date AS TEXT) AS b, CAST(f.priority AS TEXT) AS c {of}"
        ));
        branches.push(format!(
            "SELECT {id} AS id, 'followup_completed' AS kind, f.completed_at AS ts, f.id AS ref_id, f.title AS a, \
             CAST(f.due_date AS TEXT) AS b, CAST(f.priority AS TEXT) AS c {of} AND f.completed",
            id = completion_id("f", "followup"),
        ));
    }
    if want(ActivityType::Commitment) {
        let of = format!("FROM commitments m WHERE m.workspace_id = $1 AND m.{column} = $2");
        branches.push(format!(
            "SELECT m.id AS id, 'commitment_created' AS kind, m.created_at AS ts, m.id AS ref_id, \
             m.description AS a, CAST(m.due_date AS TEXT) AS b, {NONE} AS c {of}"
        ));
        branches.push(format!(
            "SELECT {id} AS id, 'commitment_completed' AS kind, m.completed_at AS ts, m.id AS ref_id, \
             m.description AS a, CAST(m.due_date AS TEXT) AS b, {NONE} AS c {of} AND m.status = 'completed'",
            id = completion_id("m", "commitment"),
        ));
    }
    if want(ActivityType::Contact) && !deal {
        // Merges into the contact.
        branches.push(format!(
            "SELECT a.id AS id, 'merged' AS kind, a.created_at AS ts, {source} AS ref_id, {name} AS a, \
             {NONE} AS b, {NONE} AS c FROM audit_log a \
             WHERE a.workspace_id = $1 AND a.target_id = $2 AND a.event_type = 'contact.merged'",
            source = meta(pg, "source_id"),
            name = meta(pg, "source_name"),
        ));
    }
    if want(ActivityType::Contact) && deal {
        // Links and unlinks of contacts that still exist; the name is the contact's now.
        branches.push(format!(
            "SELECT a.id AS id, CASE a.event_type WHEN 'deal.contact_added' THEN 'linked' ELSE 'unlinked' END AS kind, \
             a.created_at AS ts, c.id AS ref_id, c.first_name AS a, c.last_name AS b, {role} AS c \
             FROM audit_log a JOIN contacts c ON c.id = {contact} \
             WHERE a.workspace_id = $1 AND a.target_id = $2 \
             AND a.event_type IN ('deal.contact_added', 'deal.contact_removed')",
            role = meta(pg, "role"),
            contact = meta(pg, "contact_id"),
        ));
    }
    (!branches.is_empty()).then(|| branches.join(" UNION ALL "))
}

fn text(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

fn details<const N: usize>(pairs: [(&str, Value); N]) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The item of a row.
fn item(r: ItemRow) -> Result<ActivityItem> {
    let ref_id = text(r.ref_id);
    let (kind, event, details) = match r.kind.as_str() {
        "interaction" => (
            ActivityType::Interaction,
            format!("{} logged", r.a.as_deref().unwrap_or("interaction")),
            details([
                ("interaction_id", ref_id),
                ("interaction_type", text(r.a)),
                ("deal_id", text(r.b)),
                ("notes", text(r.c)),
            ]),
        ),
        "stage" => (
            ActivityType::Deal,
            format!("stage moved to {}", r.c.as_deref().unwrap_or("")),
            details([
                ("deal_id", ref_id),
                ("deal_name", text(r.a)),
                ("from_stage", text(r.b)),
                ("to_stage", text(r.c)),
            ]),
        ),
        "followup_created" | "followup_completed" => {
            let priority =
                r.c.as_deref()
                    .and_then(|p| p.parse::<i32>().ok())
                    .and_then(Priority::of_rank)
                    .ok_or_else(|| error::corrupt("priority", r.c.as_deref().unwrap_or("")))?;
            let done = r.kind == "followup_completed";
            (
                ActivityType::FollowUp,
                if done {
                    "follow-up completed"
                } else {
                    "follow-up created"
                }
                .to_owned(),
                details([
                    ("followup_id", ref_id),
                    ("title", text(r.a)),
                    ("due_date", text(r.b)),
                    ("priority", Value::from(priority.as_str())),
                ]),
            )
        }
        "commitment_created" | "commitment_completed" => (
            ActivityType::Commitment,
            if r.kind == "commitment_completed" {
                "commitment completed"
            } else {
                "commitment created"
            }
            .to_owned(),
            details([
                ("commitment_id", ref_id),
                ("description", text(r.a)),
                ("due_date", text(r.b)),
            ]),
        ),
        "merged" => (
            ActivityType::Contact,
            format!("merged {}", r.a.as_deref().unwrap_or("")),
            details([("source_id", ref_id)]),
        ),
        "linked" | "unlinked" => {
            let name = display_name(r.a.as_deref().unwrap_or(""), r.b.as_deref());
            (
                ActivityType::Contact,
                if r.kind == "linked" {
                    "contact linked"
                } else {
                    "contact unlinked"
                }
                .to_owned(),
                details([
                    ("contact_id", ref_id),
                    ("contact_name", Value::String(name)),
                    ("role", text(r.c)),
                ]),
            )
        }
        other => return Err(error::corrupt("activity kind", other)),
    };
    Ok(ActivityItem {
        id: r.id,
        kind,
        event,
        timestamp: utc(r.ts),
        details,
    })
}

fn subject_id(s: Subject) -> String {
    match s {
        Subject::Contact(id) => id.to_string(),
        Subject::Deal(id) => id.to_string(),
    }
}

impl ActivityRepo for DieselTx<'_> {
    fn activity(
        &mut self,
        ws: WorkspaceId,
        subject: Subject,
        types: &[ActivityType],
        page: &PageRequest<ActivitySort>,
    ) -> Result<Page<ActivityItem>> {
        let pg = matches!(self.conn, MossConnection::Pg(_));
        let Some(all) = union(pg, subject, types) else {
            return Ok(Page {
                items: Vec::new(),
                total: 0,
            });
        };
        let (ws, id) = (ws.to_string(), subject_id(subject));
        let (limit, offset) = limits(page);
        let dir = match page.order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        // One statement for the page and the total (counted over the whole union before the
        // LIMIT): the union is planned once per request, not twice.
        let sql = format!(
            "SELECT t.*, COUNT(*) OVER () AS total FROM ({all}) t ORDER BY ts {dir}, id {dir} LIMIT $3 OFFSET $4"
        );
        let rows: Vec<ItemRow> = on_backend!(&mut *self.conn, |c| {
            diesel::sql_query(sql.clone())
                .bind::<Text, _>(&ws)
                .bind::<Text, _>(&id)
                .bind::<BigInt, _>(limit)
                .bind::<BigInt, _>(offset)
                .load(c)
        })
        .map_err(error::db)?;
        let total = match rows.first() {
            Some(r) => count(r.total),
            None if offset == 0 => 0,
            // A page past the end: the total still has to be counted.
            None => {
                let counted: Vec<CountRow> = on_backend!(&mut *self.conn, |c| {
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM ({all}) t"))
                        .bind::<Text, _>(&ws)
                        .bind::<Text, _>(&id)
                        .load(c)
                })
                .map_err(error::db)?;
                count(counted.first().map_or(0, |r| r.n))
            }
        };
        Ok(Page {
            items: rows.into_iter().map(item).collect::<Result<_>>()?,
            total,
        })
    }
}
