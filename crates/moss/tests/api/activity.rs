//! Activity timelines: `GET /api/v1/contacts/:id/activity` and `GET /api/v1/deals/:id/activity`
//! (resources.md, Activity): what each holds, item by item; newest first and `order=asc`; ties
//! by id; pages that neither repeat nor skip; the `type` filter and bad parameters; records that
//! leave with their deletion, an unlink or a reopening; tenancy and read-only keys. Written
//! from the spec, black-box over HTTP. Merges are not covered (no contact merge yet).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

/// Long enough for the clock to move past a microsecond-truncated timestamp.
fn pause() {
    std::thread::sleep(Duration::from_millis(5));
}

/// Microseconds since the epoch of an RFC 3339 timestamp.
fn micros(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .timestamp_micros()
}

fn of_contact(c: &Value) -> String {
    format!("/api/v1/contacts/{}/activity", id(c))
}

fn of_deal(d: &Value) -> String {
    format!("/api/v1/deals/{}/activity", id(d))
}

/// The items of `path?per_page=100&query`, asserting a 200 and a first page that holds them all.
#[track_caller]
fn timeline(app: &TestApp, path: &str, query: &str) -> Vec<Value> {
    let url = if query.is_empty() {
        format!("{path}?per_page=100")
    } else {
        format!("{path}?per_page=100&{query}")
    };
    let r = app.get(&url).send();
    assert_eq!(r.status, 200, "{url}: {}", r.text);
    let data = r.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{url}: {}", r.text))
        .clone();
    let pages = usize::from(!data.is_empty());
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 100, "total": data.len(), "total_pages": pages}),
        "{url}: {}",
        r.text
    );
    data
}

fn item_ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id).collect()
}

/// The spec's order: `timestamp` newest first, ties by `id` in the same direction.
fn newest_first(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(|a, b| {
        micros(&b["timestamp"])
            .cmp(&micros(&a["timestamp"]))
            .then_with(|| b["id"].as_str().cmp(&a["id"].as_str()))
    });
    items
}

fn reversed(items: &[Value]) -> Vec<Value> {
    items.iter().rev().cloned().collect()
}

fn of_types(items: &[Value], types: &[&str]) -> Vec<Value> {
    items
        .iter()
        .filter(|i| types.iter().any(|t| i["type"] == *t))
        .cloned()
        .collect()
}

/// A 400 VALIDATION_ERROR naming exactly `fields` (in any order).
#[track_caller]
fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    let mut got = r.fields();
    got.sort();
    let mut want: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "{}", r.text);
}

// ---- Writing through the API -----------------------------------------------------------------

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(0);

/// Sends `req` under a fresh request id, asserts `status`, and returns the body's `data` and the
/// one audit entry the request wrote.
#[track_caller]
fn audited(app: &TestApp, req: Req<'_>, status: u16) -> (Value, Value) {
    let rid = format!("req-activity-{}", NEXT_REQUEST.fetch_add(1, Ordering::Relaxed));
    let r = req.header("X-Request-Id", &rid).send();
    assert_eq!(r.status, status, "{rid}: {}", r.text);
    let entries = app.audit(&format!("request_id={rid}"));
    assert_eq!(entries.len(), 1, "{rid}: {entries:?}");
    (r.body["data"].clone(), entries[0].clone())
}

#[track_caller]
fn log(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/interactions", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

/// Creates a follow-up: the record and its `followup.created` entry.
#[track_caller]
fn follow_up(app: &TestApp, body: Value) -> (Value, Value) {
    let (f, e) = audited(app, app.post("/api/v1/follow-ups", body), 201);
    assert_eq!(e["event_type"], "followup.created", "{e}");
    (f, e)
}

/// Creates a commitment: the record and its `commitment.created` entry.
#[track_caller]
fn commit(app: &TestApp, body: Value) -> (Value, Value) {
    let (c, e) = audited(app, app.post("/api/v1/commitments", body), 201);
    assert_eq!(e["event_type"], "commitment.created", "{e}");
    (c, e)
}

/// `PATCH /api/v1/{resource}/:id/complete` with no body: the completed record and its
/// `<followup|commitment>.completed` entry.
#[track_caller]
fn complete(app: &TestApp, resource: &str, record: &Value) -> (Value, Value) {
    let path = format!("/api/v1/{resource}/{}/complete", id(record));
    let (done, e) = audited(app, app.req("PATCH", &path), 200);
    assert!(
        e["event_type"].as_str().is_some_and(|t| t.ends_with(".completed")),
        "{e}"
    );
    assert!(done["completed_at"].is_string(), "{done}");
    (done, e)
}

/// `PATCH /api/v1/deals/:id/stage` with `body`: the `deal.stage_moved` entry, checked to name
/// the move `from` -> `to`.
#[track_caller]
fn move_stage(app: &TestApp, deal: &Value, body: Value, from: &str, to: &str) -> Value {
    let path = format!("/api/v1/deals/{}/stage", id(deal));
    let (_, e) = audited(app, app.patch(&path, body), 200);
    assert_eq!(
        (
            &e["event_type"],
            &e["target_id"],
            &e["metadata"]["from_stage"],
            &e["metadata"]["to_stage"]
        ),
        (&json!("deal.stage_moved"), &deal["id"], &json!(from), &json!(to)),
        "{e}"
    );
    e
}

/// Links `contact` to `deal` (with `role` unless it is null): the `deal.contact_added` entry.
#[track_caller]
fn link(app: &TestApp, deal: &Value, contact: &Value, role: Value) -> Value {
    let mut body = json!({"contact_id": contact["id"]});
    if !role.is_null() {
        body["role"] = role;
    }
    let path = format!("/api/v1/deals/{}/contacts", id(deal));
    let (_, e) = audited(app, app.post(&path, body), 201);
    assert_eq!(e["event_type"], "deal.contact_added", "{e}");
    e
}

/// Unlinks `contact` from `deal`: the `deal.contact_removed` entry.
#[track_caller]
fn unlink(app: &TestApp, deal: &Value, contact: &Value) -> Value {
    let path = format!("/api/v1/deals/{}/contacts/{}", id(deal), id(contact));
    let (_, e) = audited(app, app.delete(&path), 200);
    assert_eq!(e["event_type"], "deal.contact_removed", "{e}");
    e
}

#[track_caller]
fn delete(app: &TestApp, path: &str) {
    let r = app.delete(path).send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": null})), "{path}: {}", r.text);
}

#[track_caller]
fn read(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body["data"].clone()
}

// ---- The items the spec describes --------------------------------------------------------------

fn interaction_item(i: &Value) -> Value {
    json!({
        "id": i["id"], "type": "interaction",
        "event": format!("{} logged", i["type"].as_str().unwrap()),
        "timestamp": i["occurred_at"],
        "details": {"interaction_id": i["id"], "interaction_type": i["type"],
                    "deal_id": i["deal_id"], "notes": i["notes"]},
    })
}

fn followup_details(f: &Value) -> Value {
    json!({"followup_id": f["id"], "title": f["title"], "due_date": f["due_date"], "priority": f["priority"]})
}

fn followup_created(f: &Value) -> Value {
    json!({"id": f["id"], "type": "followup", "event": "follow-up created",
           "timestamp": f["created_at"], "details": followup_details(f)})
}

/// `entry`: the audit entry that completed it (`followup.completed`, or `followup.created` for
/// one created completed).
fn followup_completed(f: &Value, entry: &Value) -> Value {
    json!({"id": entry["id"], "type": "followup", "event": "follow-up completed",
           "timestamp": f["completed_at"], "details": followup_details(f)})
}

fn commitment_details(c: &Value) -> Value {
    json!({"commitment_id": c["id"], "description": c["description"], "due_date": c["due_date"]})
}

fn commitment_created(c: &Value) -> Value {
    json!({"id": c["id"], "type": "commitment", "event": "commitment created",
           "timestamp": c["created_at"], "details": commitment_details(c)})
}

fn commitment_completed(c: &Value, entry: &Value) -> Value {
    json!({"id": entry["id"], "type": "commitment", "event": "commitment completed",
           "timestamp": c["completed_at"], "details": commitment_details(c)})
}

/// A stage move of `deal` (now named `deal_name`), from its `deal.stage_moved` entry.
fn stage_move(entry: &Value, deal: &Value, deal_name: &str) -> Value {
    let (from, to) = (&entry["metadata"]["from_stage"], &entry["metadata"]["to_stage"]);
    json!({
        "id": entry["id"], "type": "deal",
        "event": format!("stage moved to {}", to.as_str().unwrap()),
        "timestamp": entry["created_at"],
        "details": {"deal_id": deal["id"], "deal_name": deal_name, "from_stage": from, "to_stage": to},
    })
}

/// A link (`"contact linked"`) or unlink (`"contact unlinked"`) of `contact` (now named `name`).
fn link_item(entry: &Value, event: &str, contact: &Value, name: &str, role: Value) -> Value {
    json!({
        "id": entry["id"], "type": "contact", "event": event, "timestamp": entry["created_at"],
        "details": {"contact_id": contact["id"], "contact_name": name, "role": role},
    })
}

// ---- The tests -------------------------------------------------------------------------------

#[rstest]
fn a_contacts_timeline_holds_exactly_its_items_newest_first(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada", "last_name": "Lovelace"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    // A deal's creation and a contact link are not items of a contact's timeline, and a deal
    // created in a stage has not moved.
    let renewal = app.deal(json!({"name": "Renewal"}));
    link(&app, &renewal, &ada, json!("Champion"));
    let started = app.deal(json!({"name": "Started", "stage": "negotiation"}));
    link(&app, &started, &ada, Value::Null);
    // A move of a deal linked to someone else.
    let other = app.deal(json!({"name": "Other"}));
    link(&app, &other, &bob, Value::Null);
    move_stage(&app, &other, json!({"stage": "prospect"}), "lead", "prospect");

    let call = log(
        &app,
        json!({"contact_id": ada["id"], "type": "call", "deal_id": renewal["id"],
               "notes": "Pricing questions", "occurred_at": "2026-01-02T09:00:00Z"}),
    );
    let email = log(
        &app,
        json!({"contact_id": ada["id"], "type": "email", "occurred_at": "2026-01-03T11:30:00+01:00"}),
    );
    // Bob's interaction, even on Ada's deal, is his.
    log(
        &app,
        json!({"contact_id": bob["id"], "type": "meeting", "deal_id": renewal["id"],
               "occurred_at": "2026-01-04T00:00:00Z"}),
    );
    let (fup, _) = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Call back", "due_date": "2026-04-01", "priority": "high"}),
    );
    pause();
    let (fup, fup_done) = complete(&app, "follow-ups", &fup);
    follow_up(
        &app,
        json!({"contact_id": bob["id"], "title": "Not Ada's", "due_date": "2026-04-02", "deal_id": renewal["id"]}),
    );
    let (deck, _) = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Send the deck", "due_date": "2026-04-15",
               "deal_id": renewal["id"]}),
    );
    let (sent, sent_created) = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Already sent", "status": "completed"}),
    );
    commit(
        &app,
        json!({"contact_id": bob["id"], "description": "Not Ada's either"}),
    );
    pause();
    let m1 = move_stage(&app, &renewal, json!({"stage": "prospect"}), "lead", "prospect");
    pause();
    let m2 = move_stage(&app, &renewal, json!({"stage": "won"}), "prospect", "won");
    // Renamed after its moves: the items name the deal as it is now.
    let r = app
        .patch(
            &format!("/api/v1/deals/{}", id(&renewal)),
            json!({"name": "Renewal 2027"}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);

    let want = newest_first(vec![
        interaction_item(&call),
        interaction_item(&email),
        followup_created(&fup),
        followup_completed(&fup, &fup_done),
        commitment_created(&deck),
        commitment_created(&sent),
        commitment_completed(&sent, &sent_created),
        stage_move(&m1, &renewal, "Renewal 2027"),
        stage_move(&m2, &renewal, "Renewal 2027"),
    ]);
    // The builders above say what the spec says; spelled out once for the record:
    assert_eq!(
        interaction_item(&call),
        json!({"id": call["id"], "type": "interaction", "event": "call logged",
               "timestamp": "2026-01-02T09:00:00Z",
               "details": {"interaction_id": call["id"], "interaction_type": "call",
                           "deal_id": renewal["id"], "notes": "Pricing questions"}})
    );
    assert_eq!(email["occurred_at"], "2026-01-03T10:30:00Z", "stored as UTC");
    assert_eq!(
        followup_completed(&fup, &fup_done),
        json!({"id": fup_done["id"], "type": "followup", "event": "follow-up completed",
               "timestamp": fup["completed_at"],
               "details": {"followup_id": fup["id"], "title": "Call back", "due_date": "2026-04-01",
                           "priority": "high"}})
    );
    assert_eq!(sent["completed_at"], sent["created_at"], "{sent}");

    let path = of_contact(&ada);
    let r = app.get(&path).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": want, "meta": {"page": 1, "per_page": 25, "total": 9, "total_pages": 1}}),
        "{}",
        r.text
    );
    for item in &want {
        let ts = item["timestamp"].as_str().unwrap();
        assert!(
            ts.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
            "{item}"
        );
    }
    assert_eq!(timeline(&app, &path, "order=desc"), want);
    assert_eq!(timeline(&app, &path, "sort=timestamp"), want);
    assert_eq!(timeline(&app, &path, "order=asc"), reversed(&want), "oldest first");
    assert_eq!(timeline(&app, &path, "sort=timestamp&order=asc"), reversed(&want));
    // The others' timelines hold none of Ada's.
    let bobs = item_ids(&timeline(&app, &of_contact(&bob), ""));
    for mine in item_ids(&want) {
        assert!(!bobs.contains(&mine), "{mine} in Bob's: {bobs:?}");
    }
}

#[rstest]
fn a_deals_timeline_holds_its_records_moves_and_contact_links(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let jane = app.contact(json!({"first_name": "Jane", "last_name": "Doe"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let carol = app.contact(json!({"first_name": "Carol", "last_name": "Shaw"}));
    let deal = app.deal(json!({"name": "Expansion"}));
    let other = app.deal(json!({"name": "Other"}));

    let jane_linked = link(&app, &deal, &jane, json!("Champion"));
    pause();
    let bob_linked = link(&app, &deal, &bob, json!("Finance"));
    pause();
    let bob_unlinked = unlink(&app, &deal, &bob);
    // Another deal's link.
    link(&app, &other, &jane, json!("Buyer"));

    // Interactions by deal_id, whoever they are with.
    let meeting = log(
        &app,
        json!({"contact_id": jane["id"], "type": "meeting", "deal_id": deal["id"], "notes": "Kickoff",
               "occurred_at": "2026-01-04T15:00:00Z"}),
    );
    let note = log(
        &app,
        json!({"contact_id": bob["id"], "type": "note", "deal_id": deal["id"], "occurred_at": "2026-01-05T08:00:00Z"}),
    );
    log(
        &app,
        json!({"contact_id": jane["id"], "type": "call", "occurred_at": "2026-01-06T08:00:00Z"}),
    );
    log(
        &app,
        json!({"contact_id": carol["id"], "type": "demo", "deal_id": other["id"], "occurred_at": "2026-01-07T08:00:00Z"}),
    );
    // Follow-ups and commitments by deal_id: created, completed, created completed.
    let (fup, _) = follow_up(
        &app,
        json!({"contact_id": bob["id"], "title": "Send the contract", "deal_id": deal["id"],
               "due_date": "2026-05-01", "priority": "low"}),
    );
    pause();
    let (fup, fup_done) = complete(&app, "follow-ups", &fup);
    let (done_already, done_already_created) = follow_up(
        &app,
        json!({"contact_id": carol["id"], "title": "Done already", "deal_id": deal["id"],
               "due_date": "2026-01-10", "completed": true}),
    );
    assert!(done_already["completed_at"].is_string(), "{done_already}");
    follow_up(
        &app,
        json!({"contact_id": jane["id"], "title": "No deal", "due_date": "2026-05-02"}),
    );
    follow_up(
        &app,
        json!({"contact_id": jane["id"], "title": "Other deal", "deal_id": other["id"], "due_date": "2026-05-03"}),
    );
    let (sow, _) = commit(
        &app,
        json!({"contact_id": jane["id"], "description": "Draft the SOW", "deal_id": deal["id"]}),
    );
    pause();
    let (sow, sow_done) = complete(&app, "commitments", &sow);
    commit(
        &app,
        json!({"contact_id": carol["id"], "description": "Other deal", "deal_id": other["id"], "status": "completed"}),
    );
    pause();
    let m1 = move_stage(&app, &deal, json!({"stage": "negotiation"}), "lead", "negotiation");
    pause();
    let m2 = move_stage(
        &app,
        &deal,
        json!({"stage": "lost", "lost_reason": "Budget"}),
        "negotiation",
        "lost",
    );
    move_stage(&app, &other, json!({"stage": "won"}), "lead", "won");
    // Renamed after the link: the item names the contact as it is now.
    let r = app
        .patch(
            &format!("/api/v1/contacts/{}", id(&jane)),
            json!({"last_name": "Smith"}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);

    let want = newest_first(vec![
        link_item(&jane_linked, "contact linked", &jane, "Jane Smith", json!("Champion")),
        link_item(&bob_linked, "contact linked", &bob, "Bob", json!("Finance")),
        link_item(&bob_unlinked, "contact unlinked", &bob, "Bob", Value::Null),
        interaction_item(&meeting),
        interaction_item(&note),
        followup_created(&fup),
        followup_completed(&fup, &fup_done),
        followup_created(&done_already),
        followup_completed(&done_already, &done_already_created),
        commitment_created(&sow),
        commitment_completed(&sow, &sow_done),
        stage_move(&m1, &deal, "Expansion"),
        stage_move(&m2, &deal, "Expansion"),
    ]);
    assert_eq!(
        link_item(&jane_linked, "contact linked", &jane, "Jane Smith", json!("Champion")),
        json!({"id": jane_linked["id"], "type": "contact", "event": "contact linked",
               "timestamp": jane_linked["created_at"],
               "details": {"contact_id": jane["id"], "contact_name": "Jane Smith", "role": "Champion"}})
    );
    assert_eq!(
        stage_move(&m2, &deal, "Expansion"),
        json!({"id": m2["id"], "type": "deal", "event": "stage moved to lost", "timestamp": m2["created_at"],
               "details": {"deal_id": deal["id"], "deal_name": "Expansion", "from_stage": "negotiation",
                           "to_stage": "lost"}})
    );

    let path = of_deal(&deal);
    let r = app.get(&path).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": want, "meta": {"page": 1, "per_page": 25, "total": 13, "total_pages": 1}}),
        "{}",
        r.text
    );
    assert_eq!(timeline(&app, &path, "order=asc"), reversed(&want));
    // The other deal's timeline holds none of these.
    let others = item_ids(&timeline(&app, &of_deal(&other), ""));
    assert_eq!(
        others.len(),
        6,
        "a link, an interaction, a follow-up, a commitment created completed (2), a move: {others:?}"
    );
    for mine in item_ids(&want) {
        assert!(!others.contains(&mine), "{mine} in the other deal's: {others:?}");
    }
}

#[rstest]
fn pages_neither_repeat_nor_skip_and_ties_go_by_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    link(&app, &deal, &ada, Value::Null);
    let types = ["call", "email", "meeting", "note", "demo", "proposal"];
    let tie = "2026-01-05T12:00:00Z";
    let mut want = Vec::new();
    // 12 at one instant, 6 at another (sent with an offset), 6 at instants of their own.
    for n in 0..24_usize {
        let at = match n {
            0..=11 => tie.to_owned(),
            12..=17 => "2026-01-06T08:00:00+01:00".to_owned(),
            _ => format!("2026-01-{:02}T09:00:00Z", n - 10),
        };
        let i = log(
            &app,
            json!({"contact_id": ada["id"], "type": types[n % types.len()], "occurred_at": at,
                   "notes": format!("#{n}")}),
        );
        want.push(interaction_item(&i));
    }
    for n in 0..3 {
        let (f, _) = follow_up(
            &app,
            json!({"contact_id": ada["id"], "title": format!("F{n}"), "due_date": "2026-03-01"}),
        );
        if n < 2 {
            let (f, e) = complete(&app, "follow-ups", &f);
            want.push(followup_completed(&f, &e));
        }
        want.push(followup_created(&f));
    }
    for n in 0..3 {
        let (c, _) = commit(&app, json!({"contact_id": ada["id"], "description": format!("C{n}")}));
        if n == 0 {
            let (c, e) = complete(&app, "commitments", &c);
            want.push(commitment_completed(&c, &e));
        }
        want.push(commitment_created(&c));
    }
    for (from, to) in [
        ("lead", "prospect"),
        ("prospect", "negotiation"),
        ("negotiation", "won"),
    ] {
        let e = move_stage(&app, &deal, json!({"stage": to}), from, to);
        want.push(stage_move(&e, &deal, "Renewal"));
    }
    let want = newest_first(want);
    assert_eq!(want.len(), 36);
    let path = of_contact(&ada);

    // The ties, as the spec orders them: by id, in the direction of the list.
    let full = timeline(&app, &path, "");
    let tied: Vec<String> = full.iter().filter(|i| i["timestamp"] == tie).map(id).collect();
    let mut by_id = tied.clone();
    by_id.sort();
    by_id.reverse();
    assert_eq!(tied.len(), 12, "{full:?}");
    assert_eq!(tied, by_id, "ties by id, desc");
    assert!(
        full.iter().filter(|i| i["timestamp"] == "2026-01-06T07:00:00Z").count() == 6,
        "UTC with Z: {full:?}"
    );
    assert_eq!(full, want);

    for (order, expected) in [("desc", want.clone()), ("asc", reversed(&want))] {
        let mut got = Vec::new();
        for page in 1..=6 {
            let url = format!("{path}?per_page=7&page={page}&order={order}");
            let r = app.get(&url).send();
            assert_eq!(r.status, 200, "{url}: {}", r.text);
            assert_eq!(
                r.body["meta"],
                json!({"page": page, "per_page": 7, "total": 36, "total_pages": 6}),
                "{url}"
            );
            let data = r.body["data"].as_array().unwrap().clone();
            assert_eq!(data.len(), if page < 6 { 7 } else { 1 }, "{url}: {}", r.text);
            got.extend(data);
        }
        let unique: HashSet<String> = got.iter().map(id).collect();
        assert_eq!(unique.len(), 36, "no repeats ({order})");
        assert_eq!(got, expected, "pages concatenate to the whole list ({order})");
        if order == "asc" {
            let tied: Vec<String> = got.iter().filter(|i| i["timestamp"] == tie).map(id).collect();
            let mut by_id = tied.clone();
            by_id.sort();
            assert_eq!(tied, by_id, "ties by id, asc");
        }
    }
    // Past the end: empty, with the true meta.
    let r = app.get(&format!("{path}?per_page=7&page=7")).send();
    assert_eq!(
        (r.status, r.body.clone()),
        (
            200,
            json!({"data": [], "meta": {"page": 7, "per_page": 7, "total": 36, "total_pages": 6}})
        ),
        "{}",
        r.text
    );
    // The default page size.
    let r = app.get(&path).send();
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 25, "total": 36, "total_pages": 2})
    );
    assert_eq!(r.body["data"], json!(want[..25]));
    let r = app.get(&format!("{path}?page=2")).send();
    assert_eq!(r.body["data"], json!(want[25..]));
    // An empty timeline.
    let bob = app.contact(json!({"first_name": "Bob"}));
    let r = app.get(&of_contact(&bob)).send();
    assert_eq!(
        (r.status, r.body.clone()),
        (
            200,
            json!({"data": [], "meta": {"page": 1, "per_page": 25, "total": 0, "total_pages": 0}})
        ),
        "{}",
        r.text
    );
}

#[rstest]
fn the_type_filter_takes_one_or_a_comma_list_and_bad_parameters_are_named(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    link(&app, &deal, &ada, json!("Champion"));
    log(
        &app,
        json!({"contact_id": ada["id"], "type": "call", "deal_id": deal["id"], "occurred_at": "2026-01-02T09:00:00Z"}),
    );
    follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Call back", "deal_id": deal["id"], "due_date": "2026-04-01"}),
    );
    commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Send the deck", "deal_id": deal["id"]}),
    );
    move_stage(&app, &deal, json!({"stage": "prospect"}), "lead", "prospect");

    let path = of_contact(&ada);
    let all = timeline(&app, &path, "");
    assert_eq!(all.len(), 4, "{all:?}");
    for t in ["interaction", "followup", "commitment", "deal"] {
        let only = of_types(&all, &[t]);
        assert_eq!(only.len(), 1, "{t}: {all:?}");
        assert_eq!(timeline(&app, &path, &format!("type={t}")), only, "{t}");
    }
    assert_eq!(
        timeline(&app, &path, "type=followup,commitment"),
        of_types(&all, &["followup", "commitment"])
    );
    assert_eq!(
        timeline(&app, &path, "type=deal,interaction&order=asc"),
        reversed(&of_types(&all, &["deal", "interaction"]))
    );
    assert_eq!(
        timeline(&app, &path, "type=interaction,deal,followup,commitment,contact"),
        all
    );
    assert_eq!(timeline(&app, &path, "type=contact"), Vec::<Value>::new(), "no merges");
    // The filter pages like the rest.
    let r = app
        .get(&format!("{path}?type=followup,commitment&per_page=1&page=2"))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": [of_types(&all, &["followup", "commitment"])[1]],
               "meta": {"page": 2, "per_page": 1, "total": 2, "total_pages": 2}})
    );

    // A deal's timeline: links are type contact.
    let dpath = of_deal(&deal);
    let dall = timeline(&app, &dpath, "");
    assert_eq!(dall.len(), 5, "{dall:?}");
    let links = timeline(&app, &dpath, "type=contact");
    assert_eq!(links, of_types(&dall, &["contact"]));
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["event"], "contact linked");
    assert_eq!(
        timeline(&app, &dpath, "type=contact,deal"),
        of_types(&dall, &["contact", "deal"])
    );

    // Bad parameters: 400 naming each, on both timelines.
    for p in [&path, &dpath] {
        for (query, fields) in [
            ("type=bogus", &["type"][..]),
            ("type=interaction,bogus", &["type"]),
            ("type=follow-up", &["type"]),
            ("type=Interaction", &["type"]),
            ("type=interactions", &["type"]),
            ("sort=created_at", &["sort"]),
            ("sort=occurred_at", &["sort"]),
            ("order=up", &["order"]),
            ("colour=red", &["colour"]),
            ("page=0", &["page"]),
            ("per_page=0", &["per_page"]),
            ("per_page=abc", &["per_page"]),
            ("type=bogus&sort=created_at&colour=red", &["colour", "sort", "type"]),
        ] {
            let url = format!("{p}?{query}");
            let r = app.get(&url).send();
            assert_eq!(r.status, 400, "{url}: {}", r.text);
            assert_400(&r, fields);
        }
    }
}

#[rstest]
fn deleted_and_unlinked_records_leave_the_timeline(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let renewal = app.deal(json!({"name": "Renewal"}));
    link(&app, &renewal, &ada, json!("Champion"));
    link(&app, &renewal, &bob, Value::Null);
    // A deal that moves before it is linked to Ada.
    let later = app.deal(json!({"name": "Later"}));
    let later_moved = move_stage(&app, &later, json!({"stage": "prospect"}), "lead", "prospect");

    let i1 = log(
        &app,
        json!({"contact_id": ada["id"], "type": "call", "deal_id": renewal["id"], "occurred_at": "2026-01-02T09:00:00Z"}),
    );
    let i2 = log(
        &app,
        json!({"contact_id": ada["id"], "type": "note", "occurred_at": "2026-01-03T09:00:00Z"}),
    );
    let i3 = log(
        &app,
        json!({"contact_id": ada["id"], "type": "meeting", "deal_id": renewal["id"], "occurred_at": "2026-01-04T09:00:00Z"}),
    );
    let (f, _) = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Call back", "deal_id": renewal["id"], "due_date": "2026-04-01"}),
    );
    pause();
    let (f, f_done) = complete(&app, "follow-ups", &f);
    let (kept, _) = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Keep me", "due_date": "2026-04-02"}),
    );
    let (deck, _) = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Send the deck", "deal_id": renewal["id"]}),
    );
    let (sent, sent_created) = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Already sent", "status": "completed"}),
    );
    pause();
    let m1 = move_stage(&app, &renewal, json!({"stage": "prospect"}), "lead", "prospect");
    pause();
    let m2 = move_stage(&app, &renewal, json!({"stage": "won"}), "prospect", "won");
    let moves = vec![
        stage_move(&m1, &renewal, "Renewal"),
        stage_move(&m2, &renewal, "Renewal"),
    ];
    // What stays throughout.
    let base = vec![
        interaction_item(&i2),
        followup_created(&kept),
        commitment_created(&deck),
    ];
    let with = |parts: &[&[Value]]| newest_first(parts.iter().flat_map(|p| p.iter().cloned()).collect());
    let ada_path = of_contact(&ada);
    let deal_records = "type=interaction,followup,commitment,deal";
    let renewal_path = of_deal(&renewal);

    let f_items = [followup_created(&f), followup_completed(&f, &f_done)];
    let sent_items = [commitment_created(&sent), commitment_completed(&sent, &sent_created)];
    let ours = [interaction_item(&i1), interaction_item(&i3)];
    assert_eq!(
        timeline(&app, &ada_path, ""),
        with(&[&base, &ours, &f_items, &sent_items, &moves])
    );
    assert_eq!(timeline(&app, &of_contact(&bob), ""), newest_first(moves.clone()));
    assert_eq!(
        timeline(&app, &renewal_path, deal_records),
        with(&[&ours, &f_items, &[commitment_created(&deck)], &moves])
    );

    // Deleting an interaction, a follow-up (both its items) and a commitment (both too).
    delete(&app, &format!("/api/v1/interactions/{}", id(&i1)));
    delete(&app, &format!("/api/v1/follow-ups/{}", id(&f)));
    delete(&app, &format!("/api/v1/commitments/{}", id(&sent)));
    let i3_item = [interaction_item(&i3)];
    let now = with(&[&base, &i3_item, &moves]);
    assert_eq!(timeline(&app, &ada_path, ""), now);
    assert_eq!(
        timeline(&app, &renewal_path, deal_records),
        with(&[&i3_item, &[commitment_created(&deck)], &moves])
    );

    // Unlinked, the deal's moves leave Ada's timeline (her own records on it stay); the deal
    // keeps them.
    unlink(&app, &renewal, &ada);
    assert_eq!(timeline(&app, &ada_path, ""), with(&[&base, &i3_item]));
    assert_eq!(timeline(&app, &renewal_path, "type=deal"), newest_first(moves.clone()));
    // Linked again, they are back, as they were.
    link(&app, &renewal, &ada, Value::Null);
    assert_eq!(timeline(&app, &ada_path, ""), now);
    // A deal linked later brings its earlier moves in.
    link(&app, &later, &ada, Value::Null);
    let later_items = [stage_move(&later_moved, &later, "Later")];
    assert_eq!(
        timeline(&app, &ada_path, ""),
        with(&[&base, &i3_item, &moves, &later_items])
    );

    // Deleting the deal takes its moves out of every contact's timeline; the interaction on it
    // stays, without its deal.
    delete(&app, &format!("/api/v1/deals/{}", id(&renewal)));
    let i3_now = read(&app, &format!("/api/v1/interactions/{}", id(&i3)));
    assert_eq!(i3_now["deal_id"], Value::Null, "{i3_now}");
    let got = timeline(&app, &ada_path, "");
    assert_eq!(got, with(&[&base, &[interaction_item(&i3_now)], &later_items]));
    let i3_got = got.iter().find(|i| i["id"] == i3["id"]).unwrap();
    assert_eq!(i3_got["details"]["deal_id"], Value::Null, "{i3_got}");
    assert_eq!(timeline(&app, &of_contact(&bob), ""), Vec::<Value>::new());
    app.get(&renewal_path).send().assert_error(404, "NOT_FOUND");
}

#[rstest]
fn reopening_removes_the_completed_item_and_completing_again_shows_the_new_one(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let path = of_contact(&ada);
    let (f, _) = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Call back", "due_date": "2026-04-01"}),
    );
    let fpath = format!("/api/v1/follow-ups/{}", id(&f));
    pause();
    let (done1, e1) = complete(&app, "follow-ups", &f);
    assert_eq!(e1["event_type"], "followup.completed");
    assert_eq!(
        timeline(&app, &path, ""),
        newest_first(vec![followup_created(&done1), followup_completed(&done1, &e1)])
    );

    // Reopened: no completed item.
    pause();
    let r = app.patch(&fpath, json!({"completed": false})).send();
    assert_eq!(r.status, 200, "{}", r.text);
    let open = r.body["data"].clone();
    assert_eq!(open["completed_at"], Value::Null, "{open}");
    assert_eq!(timeline(&app, &path, ""), vec![followup_created(&open)]);
    // Details are the record as it is now.
    let r = app
        .patch(&fpath, json!({"title": "Call back on Monday", "priority": "high"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let renamed = r.body["data"].clone();
    assert_eq!(timeline(&app, &path, ""), vec![followup_created(&renamed)]);

    // Completed again (by PATCH, the same completion as /complete): the new completion's entry
    // and time.
    pause();
    let (done2, e2) = audited(&app, app.patch(&fpath, json!({"completed": true})), 200);
    assert_eq!(e2["event_type"], "followup.completed", "{e2}");
    assert_ne!(e2["id"], e1["id"]);
    assert!(
        micros(&done2["completed_at"]) > micros(&done1["completed_at"]),
        "{done2}"
    );
    let got = timeline(&app, &path, "");
    assert_eq!(
        got,
        newest_first(vec![followup_created(&done2), followup_completed(&done2, &e2)])
    );
    assert_eq!(got[0]["details"]["title"], "Call back on Monday");
    assert!(
        !item_ids(&got).contains(&id(&e1)),
        "the first completion is gone: {got:?}"
    );

    // A follow-up created completed: its completed item (the created entry) goes when reopened.
    let (pre, pre_created) = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Done already", "due_date": "2026-01-10", "completed": true}),
    );
    let pre_items = [followup_created(&pre), followup_completed(&pre, &pre_created)];
    let current = [followup_created(&done2), followup_completed(&done2, &e2)];
    let all = |parts: &[&[Value]]| newest_first(parts.iter().flat_map(|p| p.iter().cloned()).collect());
    assert_eq!(timeline(&app, &path, ""), all(&[&current, &pre_items]));
    let r = app
        .patch(&format!("/api/v1/follow-ups/{}", id(&pre)), json!({"completed": false}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let pre_open = r.body["data"].clone();
    assert_eq!(
        timeline(&app, &path, ""),
        all(&[&current, &[followup_created(&pre_open)]])
    );

    // Commitments the same way: reopened by `status: open`, completed again by /complete.
    let (c, _) = commit(&app, json!({"contact_id": ada["id"], "description": "Send the deck"}));
    let cpath = format!("/api/v1/commitments/{}", id(&c));
    pause();
    let (c1, ce1) = audited(&app, app.patch(&cpath, json!({"status": "completed"})), 200);
    assert_eq!(ce1["event_type"], "commitment.completed", "{ce1}");
    let others = [
        followup_created(&done2),
        followup_completed(&done2, &e2),
        followup_created(&pre_open),
    ];
    assert_eq!(
        timeline(&app, &path, ""),
        all(&[&others, &[commitment_created(&c1), commitment_completed(&c1, &ce1)]])
    );
    pause();
    let r = app.patch(&cpath, json!({"status": "open"})).send();
    assert_eq!(r.status, 200, "{}", r.text);
    let c_open = r.body["data"].clone();
    assert_eq!(
        timeline(&app, &path, ""),
        all(&[&others, &[commitment_created(&c_open)]])
    );
    pause();
    let (c2, ce2) = complete(&app, "commitments", &c);
    assert_ne!(ce2["id"], ce1["id"]);
    assert_eq!(
        timeline(&app, &path, ""),
        all(&[&others, &[commitment_created(&c2), commitment_completed(&c2, &ce2)]])
    );
}

#[rstest]
fn other_workspaces_malformed_unknown_and_deleted_ids_are_not_found_and_read_only_keys_read(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    link(&app, &deal, &ada, Value::Null);
    log(
        &app,
        json!({"contact_id": ada["id"], "type": "call", "deal_id": deal["id"], "occurred_at": "2026-01-02T09:00:00Z"}),
    );
    move_stage(&app, &deal, json!({"stage": "prospect"}), "lead", "prospect");

    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send()
        .body["data"]
        .clone();
    let their_deal = app
        .post("/api/v1/deals", json!({"name": "Theirs"}))
        .key(&other)
        .send()
        .body["data"]
        .clone();
    // Their own timelines are theirs to read, and ours are not.
    for p in [of_contact(&theirs), of_deal(&their_deal)] {
        let r = app.get(&p).key(&other).send();
        assert_eq!(r.status, 200, "{p}: {}", r.text);
        app.get(&p).send().assert_error(404, "NOT_FOUND");
    }
    for p in [of_contact(&ada), of_deal(&deal)] {
        app.get(&p).key(&other).send().assert_error(404, "NOT_FOUND");
    }
    let bare_uuid = moss_domain::id::ContactId::parse(ada["id"].as_str().unwrap())
        .unwrap()
        .uuid()
        .hyphenated()
        .to_string();
    for p in [
        "/api/v1/contacts/nope/activity".to_owned(),
        "/api/v1/deals/nope/activity".to_owned(),
        format!("/api/v1/contacts/{}/activity", id(&deal)),
        format!("/api/v1/deals/{}/activity", id(&ada)),
        format!("/api/v1/contacts/{bare_uuid}/activity"),
        "/api/v1/contacts/cnt_01h455vb4pex5vsknk084sn02q/activity".to_owned(),
        "/api/v1/deals/deal_01h455vb4pex5vsknk084sn02q/activity".to_owned(),
    ] {
        app.get(&p).send().assert_error(404, "NOT_FOUND");
    }

    // Read-only keys (and members) read the same timelines.
    let read_only = app.key(Role::Owner, "read_only");
    let member = app.key(Role::Member, "full");
    // Ada's: the interaction and the move; the deal's: those and the link.
    for (p, total) in [(of_contact(&ada), 2), (of_deal(&deal), 3)] {
        let owner = app.get(&p).send();
        assert_eq!(owner.status, 200, "{p}: {}", owner.text);
        assert_eq!(owner.body["meta"]["total"], total, "{p}: {}", owner.text);
        for key in [&read_only, &member] {
            let r = app.get(&p).key(key).send();
            assert_eq!((r.status, &r.body), (200, &owner.body), "{p}: {}", r.text);
        }
    }

    // A deleted contact or deal has no timeline.
    delete(&app, &format!("/api/v1/contacts/{}", id(&ada)));
    app.get(&of_contact(&ada)).send().assert_error(404, "NOT_FOUND");
    delete(&app, &format!("/api/v1/deals/{}", id(&deal)));
    app.get(&of_deal(&deal)).send().assert_error(404, "NOT_FOUND");
}
