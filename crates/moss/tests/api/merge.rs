//! Contact merge: `POST /api/v1/contacts/merge` (resources.md, Contact merge; Activity): what
//! moves to the target and what it fills, the deal links folded or re-pointed, the source's
//! deletion under one `contact.merged` entry, the merge item on the target's timeline, dry runs
//! that change nothing, bad input named by field, idempotent replays, the email that moves, a
//! target that already has everything, and scopes. Written from the spec, black-box over HTTP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

const MERGE: &str = "/api/v1/contacts/merge";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
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

/// The UUID inside a TypeID, in its hyphenated form (what a client may send instead).
fn uuid_of(typeid: &str) -> String {
    let id = moss_domain::id::ContactId::parse(typeid).unwrap();
    id.uuid().hyphenated().to_string()
}

fn body(source: &Value, target: &Value) -> Value {
    json!({"source_id": source["id"], "target_id": target["id"]})
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(0);

fn request_id() -> String {
    format!("req-merge-{}", NEXT_REQUEST.fetch_add(1, Ordering::Relaxed))
}

/// Merges `source` into `target` (`query` is `""` or `"?dry_run=..."`) under a fresh request id,
/// asserting a 200: the whole body and the request id.
#[track_caller]
fn merge(app: &TestApp, query: &str, source: &Value, target: &Value) -> (Value, String) {
    let rid = request_id();
    let r = app
        .post(&format!("{MERGE}{query}"), body(source, target))
        .header("X-Request-Id", &rid)
        .send();
    assert_eq!(r.status, 200, "{rid}: {}", r.text);
    let mut keys: Vec<&str> = r.body["data"]
        .as_object()
        .unwrap_or_else(|| panic!("{}", r.text))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["contact", "dry_run", "filled", "moved"], "{}", r.text);
    (r.body, rid)
}

/// A 400 VALIDATION_ERROR naming exactly `fields` (in any order).
#[track_caller]
fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    let want: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(sorted(r.fields()), sorted(want), "{}", r.text);
}

#[track_caller]
fn read(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body["data"].clone()
}

fn contact_path(c: &Value) -> String {
    format!("/api/v1/contacts/{}", id(c))
}

#[track_caller]
fn log(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/interactions", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

#[track_caller]
fn commit(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/commitments", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

#[track_caller]
fn follow_up(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/follow-ups", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

/// Links `contact` to `deal` (with `role` unless it is null): the link.
#[track_caller]
fn link(app: &TestApp, deal: &Value, contact: &Value, role: Value) -> Value {
    let mut body = json!({"contact_id": contact["id"]});
    if !role.is_null() {
        body["role"] = role;
    }
    let r = app.post(&format!("/api/v1/deals/{}/contacts", id(deal)), body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

/// The links of `deal`, all on one page.
#[track_caller]
fn links(app: &TestApp, deal: &Value) -> Vec<Value> {
    let path = format!("/api/v1/deals/{}/contacts?per_page=250", id(deal));
    let r = app.get(&path).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    let data = r.body["data"].as_array().unwrap().clone();
    assert_eq!(r.body["meta"]["total"], data.len(), "{}", r.text);
    data
}

/// The items of `contact`'s timeline (`query` added), all on one page.
#[track_caller]
fn timeline(app: &TestApp, contact: &Value, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/contacts/{}/activity?per_page=100{query}", id(contact));
    let r = app.get(&path).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    let data = r.body["data"].as_array().unwrap().clone();
    assert_eq!(r.body["meta"]["total"], data.len(), "{}", r.text);
    data
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(id).collect()
}

/// What each of `paths` answers (status and body): compared before and after a request that
/// must change nothing.
fn snapshot(app: &TestApp, paths: &[String]) -> Vec<(String, u16, Value)> {
    paths
        .iter()
        .map(|p| {
            let mut r = app.get(p).send();
            // An error body carries its own request's id; the rest must not change.
            if let Some(error) = r.body.get_mut("error").and_then(Value::as_object_mut) {
                error.remove("request_id");
            }
            (p.clone(), r.status, r.body)
        })
        .collect()
}

#[track_caller]
fn assert_unchanged(app: &TestApp, paths: &[String], before: &[(String, u16, Value)], what: &str) {
    let after = snapshot(app, paths);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{what} changed {}", b.0);
    }
}

/// The whole audit log (every test here writes far fewer than 250 entries).
const AUDIT: &str = "/api/v1/audit-logs?per_page=250";

/// The merge item of a contact's timeline, from its `contact.merged` entry.
fn merge_item(entry: &Value, source: &Value, name: &str) -> Value {
    json!({"id": entry["id"], "type": "contact", "event": format!("merged {name}"),
           "timestamp": entry["created_at"], "details": {"source_id": source["id"]}})
}

/// The id of the active key whose secret is `secret`, from the owner's key list.
fn key_id(app: &TestApp, secret: &str) -> Value {
    let keys = read(app, "/api/v1/keys?per_page=250");
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["prefix"] == secret[..12])
        .unwrap_or_else(|| panic!("no key {}: {keys}", &secret[..12]))["id"]
        .clone()
}

// ---- The full scenario -------------------------------------------------------------------------

/// A target and a source with records of every kind, deal links of every case, and fields,
/// tags and custom fields the target lacks or has.
struct Scenario {
    company: Value,
    target: Value,
    source: Value,
    /// The target's own interaction.
    own: Value,
    interactions: Vec<Value>,
    commitments: Vec<Value>,
    followups: Vec<Value>,
    /// Linked to both: the target with role null, the source as "Champion".
    shared_null: Value,
    shared_null_link: Value,
    /// Linked to both: the target as "Sponsor", the source as "Finance".
    shared_role: Value,
    shared_role_link: Value,
    /// Linked to the source alone, as "Buyer", and moved lead -> prospect while it was.
    source_only: Value,
    stage_moved: Value,
}

/// What the scenario's merge moves.
fn moved() -> Value {
    json!({"interactions": 4, "commitments": 2, "followups": 1, "deal_links": 3})
}

/// What the scenario's target fills, in the spec's order.
const FILLED: [&str; 8] = [
    "last_name",
    "email",
    "title",
    "linkedin_url",
    "company_id",
    "tags",
    "custom_fields.born",
    "custom_fields.langs",
];

fn scenario(app: &TestApp) -> Scenario {
    let company = app.company(json!({"name": "Analytical Engines"}));
    let target = app.contact(json!({
        "first_name": "Ada", "phone": "+1 555 0100", "notes": "Met at the conference.",
        "tags": ["VIP", "beta"], "custom_fields": {"tier": "gold", "score": 1}
    }));
    let source = app.contact(json!({
        "first_name": "Augusta", "last_name": "King", "email": "Augusta@Example.com",
        "phone": "+44 20 7946 0000", "title": "Countess", "linkedin_url": "https://linkedin.com/in/augusta",
        "company_id": company["id"], "notes": "Wrote the notes.",
        "tags": ["vip", "Math"], "custom_fields": {"tier": "silver", "born": 1815, "langs": ["en", "fr"]}
    }));
    let shared_null = app.deal(json!({"name": "Shared, no role"}));
    let shared_role = app.deal(json!({"name": "Shared, with role"}));
    let source_only = app.deal(json!({"name": "Only the source"}));
    let shared_null_link = link(app, &shared_null, &target, Value::Null);
    link(app, &shared_null, &source, json!("Champion"));
    let shared_role_link = link(app, &shared_role, &target, json!("Sponsor"));
    link(app, &shared_role, &source, json!("Finance"));
    link(app, &source_only, &source, json!("Buyer"));
    let rid = request_id();
    let r = app
        .patch(
            &format!("/api/v1/deals/{}/stage", id(&source_only)),
            json!({"stage": "prospect"}),
        )
        .header("X-Request-Id", &rid)
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let source_only = r.body["data"].clone();
    let stage_moved = app.audit(&format!("request_id={rid}"))[0].clone();
    assert_eq!(stage_moved["event_type"], "deal.stage_moved", "{stage_moved}");

    let own = log(
        app,
        json!({"contact_id": target["id"], "type": "call", "occurred_at": "2026-01-01T09:00:00Z"}),
    );
    let interactions = vec![
        log(
            app,
            json!({"contact_id": source["id"], "type": "meeting", "deal_id": source_only["id"],
                   "notes": "Kickoff", "occurred_at": "2026-01-02T09:00:00Z"}),
        ),
        log(
            app,
            json!({"contact_id": source["id"], "type": "email", "occurred_at": "2026-01-03T09:00:00Z"}),
        ),
        log(
            app,
            json!({"contact_id": source["id"], "type": "note", "notes": "Likes numbers",
                   "occurred_at": "2026-01-04T09:00:00Z"}),
        ),
        log(
            app,
            json!({"contact_id": source["id"], "type": "demo", "occurred_at": "2026-01-05T09:00:00Z"}),
        ),
    ];
    let commitments = vec![
        commit(
            app,
            json!({"contact_id": source["id"], "description": "Send the deck", "due_date": "2026-04-15",
                   "deal_id": shared_role["id"]}),
        ),
        commit(
            app,
            json!({"contact_id": source["id"], "description": "Intro to Babbage"}),
        ),
    ];
    let followups = vec![follow_up(
        app,
        json!({"contact_id": source["id"], "title": "Call back", "due_date": "2026-04-01", "priority": "high"}),
    )];
    // Records and links were written after the contacts and deals were read above: re-read them.
    let target = read(app, &contact_path(&target));
    let source = read(app, &contact_path(&source));
    let shared_null = read(app, &format!("/api/v1/deals/{}", id(&shared_null)));
    let shared_role = read(app, &format!("/api/v1/deals/{}", id(&shared_role)));
    let source_only = read(app, &format!("/api/v1/deals/{}", id(&source_only)));
    assert_eq!(
        source["tags"],
        json!(["Math", "VIP"]),
        "the workspace's spelling of vip"
    );
    Scenario {
        company,
        target,
        source,
        own,
        interactions,
        commitments,
        followups,
        shared_null,
        shared_null_link,
        shared_role,
        shared_role_link,
        source_only,
        stage_moved,
    }
}

impl Scenario {
    /// The target once merged, but for its `updated_at`.
    fn merged_target(&self, updated_at: &Value) -> Value {
        let mut want = self.target.clone();
        want["last_name"] = json!("King");
        want["email"] = json!("Augusta@Example.com");
        want["title"] = json!("Countess");
        want["linkedin_url"] = json!("https://linkedin.com/in/augusta");
        want["company_id"] = self.company["id"].clone();
        want["tags"] = json!(["beta", "Math", "VIP"]);
        want["custom_fields"] = json!({"born": 1815, "langs": ["en", "fr"], "score": 1, "tier": "gold"});
        want["updated_at"] = updated_at.clone();
        want
    }

    fn deals(&self) -> [&Value; 3] {
        [&self.shared_null, &self.shared_role, &self.source_only]
    }

    fn moved_records(&self) -> Vec<(&'static str, &Value)> {
        let mut v: Vec<(&'static str, &Value)> = Vec::new();
        v.extend(self.interactions.iter().map(|r| ("interactions", r)));
        v.extend(self.commitments.iter().map(|r| ("commitments", r)));
        v.extend(self.followups.iter().map(|r| ("follow-ups", r)));
        v
    }

    /// Every GET whose answer a merge that does not happen must leave alone.
    fn paths(&self) -> Vec<String> {
        let mut paths = vec![
            contact_path(&self.target),
            contact_path(&self.source),
            format!("{}/activity?per_page=100", contact_path(&self.target)),
            format!("{}/activity?per_page=100", contact_path(&self.source)),
            format!("/api/v1/interactions/{}", id(&self.own)),
            "/api/v1/contacts?per_page=250".to_owned(),
            "/api/v1/interactions?per_page=250".to_owned(),
            "/api/v1/commitments?per_page=250".to_owned(),
            "/api/v1/follow-ups?per_page=250".to_owned(),
            "/api/v1/tags?per_page=250".to_owned(),
            AUDIT.to_owned(),
        ];
        for (kind, r) in self.moved_records() {
            paths.push(format!("/api/v1/{kind}/{}", id(r)));
        }
        for d in self.deals() {
            paths.push(format!("/api/v1/deals/{}", id(d)));
            paths.push(format!("/api/v1/deals/{}/contacts?per_page=250", id(d)));
        }
        paths
    }
}

#[rstest]
fn a_merge_moves_everything_fills_the_gaps_and_deletes_the_source(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let s = scenario(&app);
    let source_history = app.audit(&format!("target_id={}", id(&s.source)));
    assert!(!source_history.is_empty());
    pause();

    let (r, rid) = merge(&app, "", &s.source, &s.target);
    let merged = r["data"]["contact"].clone();
    assert_eq!(
        r,
        json!({"data": {"contact": s.merged_target(&merged["updated_at"]), "moved": moved(),
                        "filled": FILLED, "dry_run": false}})
    );
    assert!(
        micros(&merged["updated_at"]) > micros(&s.target["updated_at"]),
        "the target filled fields, so its updated_at moves: {merged}"
    );
    assert_eq!(
        read(&app, &contact_path(&s.target)),
        merged,
        "the answer is the target as a GET shows it"
    );

    // The source is gone, with its timeline; its audit history stays.
    app.get(&contact_path(&s.source)).send().assert_error(404, "NOT_FOUND");
    app.get(&format!("{}/activity", contact_path(&s.source)))
        .send()
        .assert_error(404, "NOT_FOUND");
    assert_eq!(app.audit(&format!("target_id={}", id(&s.source))), source_history);

    // Its records are the target's now: contact_id and updated_at change, nothing else.
    for (kind, before) in s.moved_records() {
        let after = read(&app, &format!("/api/v1/{kind}/{}", id(before)));
        let mut want = before.clone();
        want["contact_id"] = s.target["id"].clone();
        want["updated_at"] = after["updated_at"].clone();
        assert_eq!(&after, &want, "{kind}: only contact_id and updated_at change");
        assert!(
            micros(&after["updated_at"]) > micros(&before["updated_at"]),
            "a re-pointed record's updated_at moves: {after}"
        );
    }
    assert_eq!(
        read(&app, &format!("/api/v1/interactions/{}", id(&s.own))),
        s.own,
        "the target's own record is left alone"
    );
    let mut want_interactions = ids_of(&s.interactions);
    want_interactions.push(id(&s.own));
    let by_target =
        |kind: &str| sorted(app.list_ids(&format!("/api/v1/{kind}?per_page=250&contact_id={}", id(&s.target))));
    assert_eq!(by_target("interactions"), sorted(want_interactions));
    assert_eq!(by_target("commitments"), sorted(ids_of(&s.commitments)));
    assert_eq!(by_target("follow-ups"), sorted(ids_of(&s.followups)));

    // Deal links: folded into the target's (its role kept unless null), or re-pointed.
    let link_of = |deal: &Value, role: &str, created_at: &Value| {
        json!({"deal_id": deal["id"], "contact_id": s.target["id"], "role": role,
               "created_at": created_at, "contact": merged})
    };
    assert_eq!(
        links(&app, &s.shared_null),
        [link_of(&s.shared_null, "Champion", &s.shared_null_link["created_at"])],
        "the target's link, with the source's role where the target's was null"
    );
    assert_eq!(
        links(&app, &s.shared_role),
        [link_of(&s.shared_role, "Sponsor", &s.shared_role_link["created_at"])],
        "the target's link and role"
    );
    let repointed = links(&app, &s.source_only);
    assert_eq!(
        repointed,
        [link_of(&s.source_only, "Buyer", &repointed[0]["created_at"])],
        "re-pointed with the source's role"
    );
    for d in s.deals() {
        assert_eq!(
            &read(&app, &format!("/api/v1/deals/{}", id(d))),
            d,
            "the deals stay as they were"
        );
    }
    let deal_ids = sorted(s.deals().iter().map(|d| id(d)).collect());
    assert_eq!(
        sorted(app.list_ids(&format!("/api/v1/deals?per_page=250&contact_id={}", id(&s.target)))),
        deal_ids
    );
    assert!(
        app.list_ids(&format!("/api/v1/deals?per_page=250&contact_id={}", id(&s.source)))
            .is_empty()
    );

    // Tag counts: the target carries Math now, and the source's tags left with it.
    assert_eq!(
        read(&app, "/api/v1/tags?sort=name&order=asc"),
        json!([{"name": "beta", "count": 1}, {"name": "Math", "count": 1}, {"name": "VIP", "count": 1}])
    );

    // One entry, on the target, and nothing else for the request: no contact.deleted.
    let entries = app.audit(&format!("request_id={rid}"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = entries[0].clone();
    assert!(e["id"].as_str().unwrap().starts_with("aud_"), "{e}");
    assert_eq!(
        e,
        json!({"id": e["id"], "event_type": "contact.merged", "target_type": "contact",
               "target_id": s.target["id"], "actor_type": "api_key", "actor_id": key_id(&app, &app.owner_key),
               "request_id": rid, "ip": "127.0.0.1",
               "metadata": {"source_id": s.source["id"], "source_name": "Augusta King",
                            "filled": FILLED, "moved": moved()},
               "created_at": e["created_at"]})
    );
    assert_eq!(app.audit("event_type=contact.merged"), std::slice::from_ref(&e));
    assert!(app.audit("event_type=contact.deleted").is_empty());

    // The target's timeline: the merge, and everything the source brought with it.
    assert_eq!(
        timeline(&app, &s.target, "&type=contact"),
        [merge_item(&e, &s.source, "Augusta King")]
    );
    assert_eq!(
        merge_item(&e, &s.source, "Augusta King"),
        json!({"id": e["id"], "type": "contact", "event": "merged Augusta King",
               "timestamp": e["created_at"], "details": {"source_id": s.source["id"]}})
    );
    let (from, to) = (
        &s.stage_moved["metadata"]["from_stage"],
        &s.stage_moved["metadata"]["to_stage"],
    );
    assert_eq!((from, to), (&json!("lead"), &json!("prospect")));
    assert_eq!(
        timeline(&app, &s.target, "&type=deal"),
        [
            json!({"id": s.stage_moved["id"], "type": "deal", "event": "stage moved to prospect",
                "timestamp": s.stage_moved["created_at"],
                "details": {"deal_id": s.source_only["id"], "deal_name": "Only the source",
                            "from_stage": "lead", "to_stage": "prospect"}})
        ],
        "a deal now linked to the target brings its moves"
    );
    let mut want_items = vec![id(&s.own), id(&e), id(&s.stage_moved)];
    want_items.extend(ids_of(&s.interactions));
    want_items.extend(ids_of(&s.commitments));
    want_items.extend(ids_of(&s.followups));
    assert_eq!(sorted(ids_of(&timeline(&app, &s.target, ""))), sorted(want_items));
}

#[rstest]
fn a_dry_run_answers_what_a_merge_would_do_and_changes_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let s = scenario(&app);
    let paths = s.paths();
    let before = snapshot(&app, &paths);
    pause();

    let (dry, rid) = merge(&app, "?dry_run=true", &s.source, &s.target);
    let would_be = dry["data"]["contact"].clone();
    assert_eq!(
        dry,
        json!({"data": {"contact": s.merged_target(&would_be["updated_at"]), "moved": moved(),
                        "filled": FILLED, "dry_run": true}})
    );
    assert_unchanged(&app, &paths, &before, "a dry run");
    assert!(app.audit(&format!("request_id={rid}")).is_empty());
    assert_eq!(
        read(&app, &contact_path(&s.source)),
        s.source,
        "the source is still there"
    );
    // Asking twice answers the same (the would-be updated_at aside: the spec leaves it open).
    let (mut again, _) = merge(&app, "?dry_run=true", &s.source, &s.target);
    again["data"]["contact"]["updated_at"] = would_be["updated_at"].clone();
    assert_eq!(again, dry);
    assert_unchanged(&app, &paths, &before, "a second dry run");

    // `dry_run=false` is a real merge, and it does what the dry run said.
    pause();
    let (real, rid) = merge(&app, "?dry_run=false", &s.source, &s.target);
    assert_eq!(real["data"]["dry_run"], false);
    assert_eq!(
        (&real["data"]["moved"], &real["data"]["filled"]),
        (&dry["data"]["moved"], &dry["data"]["filled"])
    );
    let mut merged = real["data"]["contact"].clone();
    merged["updated_at"] = would_be["updated_at"].clone();
    assert_eq!(merged, would_be, "the contact the dry run showed, but for updated_at");
    app.get(&contact_path(&s.source)).send().assert_error(404, "NOT_FOUND");
    assert_eq!(app.audit(&format!("request_id={rid}")).len(), 1);
    assert_eq!(app.audit("event_type=contact.merged").len(), 1);
}

// ---- Bad input -------------------------------------------------------------------------------

#[rstest]
fn bad_input_is_a_400_naming_the_field_and_changes_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let target = app.contact(json!({"first_name": "Ada"}));
    let source = app.contact(json!({"first_name": "Bob", "email": "bob@example.com", "tags": ["x"]}));
    let deal = app.deal(json!({"name": "Deal"}));
    link(&app, &deal, &source, json!("Buyer"));
    let i = log(
        &app,
        json!({"contact_id": source["id"], "type": "call", "occurred_at": "2026-01-01T09:00:00Z"}),
    );
    let company = app.company(json!({"name": "Not a contact"}));
    let gone = app.contact(json!({"first_name": "Gone"}));
    let r = app.delete(&contact_path(&gone)).send();
    assert_eq!(r.status, 200, "{}", r.text);
    let other = app.other_workspace("other");
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let theirs = r.body["data"].clone();
    let unknown = json!("cnt_01h455vb4pex5vsknk084sn02q");
    let unknown2 = json!("cnt_01h455vb4pex5vsknk084sn02r");
    let (s, t) = (source["id"].clone(), target["id"].clone());

    let paths = vec![
        contact_path(&target),
        contact_path(&source),
        format!("/api/v1/interactions/{}", id(&i)),
        format!("/api/v1/deals/{}/contacts", id(&deal)),
        "/api/v1/contacts?per_page=250".to_owned(),
        AUDIT.to_owned(),
    ];
    let before = snapshot(&app, &paths);
    let theirs_path = contact_path(&theirs);
    let theirs_before = app.get(&theirs_path).key(&other).send().body;

    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        // Missing, null or blank.
        ("", json!({}), vec!["source_id", "target_id"]),
        ("", json!({"source_id": s}), vec!["target_id"]),
        ("", json!({"target_id": t}), vec!["source_id"]),
        (
            "",
            json!({"source_id": null, "target_id": null}),
            vec!["source_id", "target_id"],
        ),
        ("", json!({"source_id": "  ", "target_id": t}), vec!["source_id"]),
        // The same contact twice, however it is spelled.
        ("", json!({"source_id": t, "target_id": t}), vec!["source_id"]),
        (
            "?dry_run=true",
            json!({"source_id": t, "target_id": t}),
            vec!["source_id"],
        ),
        (
            "",
            json!({"source_id": uuid_of(t.as_str().unwrap()), "target_id": t}),
            vec!["source_id"],
        ),
        // Not a contact id.
        ("", json!({"source_id": "nope", "target_id": t}), vec!["source_id"]),
        ("", json!({"source_id": s, "target_id": "nope"}), vec!["target_id"]),
        (
            "",
            json!({"source_id": company["id"], "target_id": t}),
            vec!["source_id"],
        ),
        ("", json!({"source_id": s, "target_id": 12}), vec!["target_id"]),
        ("", json!({"source_id": ["x"], "target_id": t}), vec!["source_id"]),
        // Not a contact of this workspace: another's, deleted, or unknown.
        (
            "",
            json!({"source_id": theirs["id"], "target_id": t}),
            vec!["source_id"],
        ),
        (
            "",
            json!({"source_id": s, "target_id": theirs["id"]}),
            vec!["target_id"],
        ),
        ("", json!({"source_id": gone["id"], "target_id": t}), vec!["source_id"]),
        ("", json!({"source_id": s, "target_id": gone["id"]}), vec!["target_id"]),
        ("", json!({"source_id": unknown, "target_id": t}), vec!["source_id"]),
        ("", json!({"source_id": s, "target_id": unknown}), vec!["target_id"]),
        (
            "?dry_run=true",
            json!({"source_id": unknown, "target_id": t}),
            vec!["source_id"],
        ),
        (
            "",
            json!({"source_id": unknown, "target_id": unknown2}),
            vec!["source_id", "target_id"],
        ),
        // Query parameters.
        (
            "?dry_run=maybe",
            json!({"source_id": s, "target_id": t}),
            vec!["dry_run"],
        ),
        ("?dry_run=1", json!({"source_id": s, "target_id": t}), vec!["dry_run"]),
        ("?dry_run=yes", json!({"source_id": s, "target_id": t}), vec!["dry_run"]),
        ("?force=true", json!({"source_id": s, "target_id": t}), vec!["force"]),
        // Unknown body fields (dry_run is a query parameter, not a body field).
        (
            "",
            json!({"source_id": s, "target_id": t, "keep": "target"}),
            vec!["keep"],
        ),
        (
            "",
            json!({"source_id": s, "target_id": t, "dry_run": true}),
            vec!["dry_run"],
        ),
    ];
    for (query, body, fields) in cases {
        let r = app.post(&format!("{MERGE}{query}"), body.clone()).send();
        assert_400(&r, &fields);
        assert_unchanged(&app, &paths, &before, &format!("{query} {body}"));
    }
    for raw in [&b"{\"source_id\": "[..], &b"[]"[..], &b"null"[..]] {
        let r = app
            .req("POST", MERGE)
            .raw(raw.to_vec(), Some("application/json"))
            .send();
        assert_400(&r, &["body"]);
    }
    assert_unchanged(&app, &paths, &before, "a malformed body");
    let theirs_after = app.get(&theirs_path).key(&other).send().body;
    assert_eq!(
        theirs_after, theirs_before,
        "the other workspace's contact is left alone"
    );
    assert!(app.audit("event_type=contact.merged").is_empty());
}

// ---- Idempotency -----------------------------------------------------------------------------

#[rstest]
fn a_replayed_merge_answers_byte_for_byte_and_changes_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let target = app.contact(json!({"first_name": "Ada"}));
    let source = app.contact(json!({"first_name": "Bob", "title": "CFO"}));
    let i = log(
        &app,
        json!({"contact_id": source["id"], "type": "call", "occurred_at": "2026-01-01T09:00:00Z"}),
    );
    pause();
    let first = app
        .post(MERGE, body(&source, &target))
        .header("Idempotency-Key", "merge-1")
        .send();
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(first.body["data"]["filled"], json!(["title"]), "{}", first.text);
    let paths = vec![
        contact_path(&target),
        contact_path(&source),
        format!("/api/v1/interactions/{}", id(&i)),
        "/api/v1/contacts?per_page=250".to_owned(),
        AUDIT.to_owned(),
    ];
    let before = snapshot(&app, &paths);
    pause();

    let again = app
        .post(MERGE, body(&source, &target))
        .header("Idempotency-Key", "merge-1")
        .send();
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.text, first.text, "byte for byte");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_ne!(again.header("x-request-id"), first.header("x-request-id"));
    assert_unchanged(&app, &paths, &before, "a replay");
    assert_eq!(app.audit("event_type=contact.merged").len(), 1);

    // The same key for another request: another body, or the same body as a dry run.
    let other = app.contact(json!({"first_name": "Carol"}));
    let before = snapshot(&app, &paths);
    for (query, b) in [("", body(&other, &target)), ("?dry_run=true", body(&source, &target))] {
        let r = app
            .post(&format!("{MERGE}{query}"), b)
            .header("Idempotency-Key", "merge-1")
            .send();
        r.assert_error(409, "CONFLICT");
        assert_eq!(
            r.body["error"]["message"],
            "Idempotency-Key was used for a different request."
        );
        assert_eq!(r.header("idempotent-replayed"), None);
    }
    assert_unchanged(&app, &paths, &before, "a reused key");
    assert_eq!(read(&app, &contact_path(&other)), other);
    // Without the key the same merge is refused now: the source is no longer a contact.
    let r = app.post(MERGE, body(&source, &target)).send();
    assert_400(&r, &["source_id"]);

    // A 400 is not stored: the fixed request may reuse its key.
    let r = app
        .post(MERGE, body(&target, &target))
        .header("Idempotency-Key", "merge-2")
        .send();
    assert_400(&r, &["source_id"]);
    let r = app
        .post(MERGE, body(&other, &target))
        .header("Idempotency-Key", "merge-2")
        .send();
    assert_eq!((r.status, r.header("idempotent-replayed")), (200, None), "{}", r.text);
    app.get(&contact_path(&other)).send().assert_error(404, "NOT_FOUND");
    assert_eq!(app.audit("event_type=contact.merged").len(), 2);
}

// ---- What fills and what is kept ---------------------------------------------------------------

#[rstest]
fn the_sources_email_moves_to_the_target_and_stays_unique(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let target = app.contact(json!({"first_name": "Ada", "last_name": "Lovelace"}));
    let source = app.contact(json!({"first_name": "Augusta", "email": "Ada@Example.com"}));
    pause();
    let (r, rid) = merge(&app, "", &source, &target);
    let merged = r["data"]["contact"].clone();
    let mut want = target.clone();
    want["email"] = json!("Ada@Example.com");
    want["updated_at"] = merged["updated_at"].clone();
    assert_eq!(
        r,
        json!({"data": {"contact": want, "filled": ["email"],
                        "moved": {"interactions": 0, "commitments": 0, "followups": 0, "deal_links": 0},
                        "dry_run": false}})
    );
    assert!(
        micros(&merged["updated_at"]) > micros(&target["updated_at"]),
        "{merged}"
    );
    assert_eq!(read(&app, &contact_path(&target)), merged);
    assert_eq!(app.list_ids("/api/v1/contacts?email=ada@example.com"), [id(&target)]);
    // The email is the target's now: a new contact with it names the target.
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "A", "email": "ADA@example.com"}),
        )
        .send();
    r.assert_error(409, "CONFLICT");
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains(&id(&target)),
        "{}",
        r.text
    );
    // A source without a last name is named by its first alone.
    let entries = app.audit(&format!("request_id={rid}"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        entries[0]["metadata"],
        json!({"source_id": source["id"], "source_name": "Augusta", "filled": ["email"],
               "moved": {"interactions": 0, "commitments": 0, "followups": 0, "deal_links": 0}})
    );
    assert_eq!(
        timeline(&app, &target, "&type=contact"),
        [merge_item(&entries[0], &source, "Augusta")]
    );
}

#[rstest]
fn a_target_that_has_everything_keeps_its_values_and_fills_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ours = app.company(json!({"name": "Ours"}));
    let theirs = app.company(json!({"name": "Theirs"}));
    let target = app.contact(json!({
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+1 555 0100",
        "title": "Analyst", "linkedin_url": "https://linkedin.com/in/ada", "company_id": ours["id"],
        "notes": "Target notes.", "tags": ["VIP", "alpha"], "custom_fields": {"tier": "gold", "score": 1}
    }));
    let source = app.contact(json!({
        "first_name": "Bob", "email": "bob@example.com", "phone": "+1 555 0199",
        "title": "Countess", "linkedin_url": "https://linkedin.com/in/bob", "company_id": theirs["id"],
        "notes": "Source notes.", "tags": ["vip"], "custom_fields": {"tier": "silver"}
    }));
    let deal = app.deal(json!({"name": "Bob's deal"}));
    link(&app, &deal, &source, Value::Null);
    let i = log(
        &app,
        json!({"contact_id": source["id"], "type": "call", "occurred_at": "2026-01-01T09:00:00Z"}),
    );
    pause();

    let (r, rid) = merge(&app, "", &source, &target);
    let moved = json!({"interactions": 1, "commitments": 0, "followups": 0, "deal_links": 1});
    assert_eq!(
        r,
        json!({"data": {"contact": target, "moved": moved, "filled": [], "dry_run": false}}),
        "the target as it was, updated_at included"
    );
    assert_eq!(read(&app, &contact_path(&target)), target);
    assert_eq!(
        read(&app, &format!("/api/v1/interactions/{}", id(&i)))["contact_id"],
        target["id"]
    );
    let l = links(&app, &deal);
    assert_eq!(
        (l.len(), &l[0]["contact_id"], &l[0]["role"]),
        (1, &target["id"], &Value::Null)
    );
    app.get(&contact_path(&source)).send().assert_error(404, "NOT_FOUND");
    // The source's email went with it.
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "B", "email": "bob@example.com"}),
        )
        .send();
    assert_eq!(r.status, 201, "{}", r.text);

    // Deleting the source is a change: the entry is written, naming what moved.
    let entries = app.audit(&format!("request_id={rid}"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (
            &entries[0]["event_type"],
            &entries[0]["target_id"],
            &entries[0]["metadata"]
        ),
        (
            &json!("contact.merged"),
            &target["id"],
            &json!({"source_id": source["id"], "source_name": "Bob", "filled": [], "moved": moved})
        )
    );
    assert!(app.audit("event_type=contact.deleted").is_empty());
    assert_eq!(
        timeline(&app, &target, "&type=contact"),
        [merge_item(&entries[0], &source, "Bob")]
    );
}

#[rstest]
fn bare_uuids_name_the_same_contacts(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let target = app.contact(json!({"first_name": "Ada"}));
    let source = app.contact(json!({"first_name": "Bob", "last_name": "Babbage", "phone": "+1 555 0100"}));
    pause();
    let r = app
        .post(
            MERGE,
            json!({"source_id": uuid_of(&id(&source)), "target_id": uuid_of(&id(&target))}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["contact"]["id"], target["id"], "{}", r.text);
    assert_eq!(
        (
            &r.body["data"]["contact"]["last_name"],
            &r.body["data"]["contact"]["phone"]
        ),
        (&json!("Babbage"), &json!("+1 555 0100"))
    );
    assert_eq!(r.body["data"]["filled"], json!(["last_name", "phone"]));
    app.get(&contact_path(&source)).send().assert_error(404, "NOT_FOUND");
    let e = app.audit("event_type=contact.merged");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (
            &e[0]["target_id"],
            &e[0]["metadata"]["source_id"],
            &e[0]["metadata"]["source_name"]
        ),
        (&target["id"], &source["id"], &json!("Bob Babbage")),
        "ids in their TypeID form"
    );
}

// ---- Scopes and roles --------------------------------------------------------------------------

#[rstest]
fn a_read_only_key_gets_403_and_a_members_full_key_can_merge(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let read_only = app.key(Role::Owner, "read_only");
    let member = app.key(Role::Member, "full");
    let target = app.contact(json!({"first_name": "Ada"}));
    let source = app.contact(json!({"first_name": "Bob", "title": "CFO"}));
    let paths = vec![
        contact_path(&target),
        contact_path(&source),
        "/api/v1/contacts?per_page=250".to_owned(),
        AUDIT.to_owned(),
    ];
    let before = snapshot(&app, &paths);
    for query in ["", "?dry_run=true"] {
        let r = app
            .post(&format!("{MERGE}{query}"), body(&source, &target))
            .key(&read_only)
            .send();
        r.assert_error(403, "FORBIDDEN");
    }
    // Refused before the body is read: even a bad one gets the 403.
    app.post(MERGE, json!({}))
        .key(&read_only)
        .send()
        .assert_error(403, "FORBIDDEN");
    assert_unchanged(&app, &paths, &before, "a read-only key");

    let rid = request_id();
    let r = app
        .post(MERGE, body(&source, &target))
        .key(&member)
        .header("X-Request-Id", &rid)
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            &r.body["data"]["dry_run"],
            &r.body["data"]["filled"],
            &r.body["data"]["contact"]["title"]
        ),
        (&json!(false), &json!(["title"]), &json!("CFO"))
    );
    app.get(&contact_path(&source))
        .key(&member)
        .send()
        .assert_error(404, "NOT_FOUND");
    let entries = app.audit(&format!("request_id={rid}"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (
            &entries[0]["event_type"],
            &entries[0]["actor_type"],
            &entries[0]["actor_id"]
        ),
        (&json!("contact.merged"), &json!("api_key"), &key_id(&app, &member))
    );
}
