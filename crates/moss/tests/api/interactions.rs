//! Interactions: fields and their rules, immutability (405), list filters and sorts, and what
//! deleting a contact or a deal does to them (resources.md, Interactions; References between
//! engagement records). Written from the spec, black-box over HTTP.

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

/// The keys every interaction has, and no others (no tags, no custom fields).
const KEYS: [&str; 8] = [
    "contact_id",
    "created_at",
    "deal_id",
    "id",
    "notes",
    "occurred_at",
    "type",
    "updated_at",
];

fn ids(v: &[&String]) -> Vec<String> {
    v.iter().map(|s| (*s).clone()).collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn log(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/interactions", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

/// The ids of `GET /api/v1/interactions?per_page=250&{query}`.
#[track_caller]
fn list(app: &TestApp, query: &str) -> Vec<String> {
    app.list_ids(&format!("/api/v1/interactions?per_page=250&{query}"))
}

#[track_caller]
fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), fields, "{}", r.text);
}

fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    app.audit(query)
}

#[rstest]
fn log_read_and_delete_an_interaction(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let r = app
        .post(
            "/api/v1/interactions",
            json!({"contact_id": ada["id"], "type": "call", "deal_id": deal["id"],
                   "notes": "  Walked through the terms. ", "occurred_at": "2026-03-01T10:30:00+02:00"}),
        )
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let i = r.body["data"].clone();
    let iid = id(&i);
    assert!(iid.starts_with("int_") && iid.len() == 30, "{iid}");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/interactions/{iid}").as_str())
    );
    let mut keys: Vec<&str> = i.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, KEYS);
    assert_eq!(
        i,
        json!({"id": iid, "contact_id": ada["id"], "type": "call", "deal_id": deal["id"],
               "notes": "Walked through the terms.", "occurred_at": "2026-03-01T08:30:00Z",
               "created_at": i["created_at"], "updated_at": i["created_at"]})
    );
    let got = app.get(&format!("/api/v1/interactions/{iid}")).send();
    assert_eq!((got.status, &got.body), (200, &r.body));
    // A bare UUID for a reference, no deal, no notes.
    let uuid = uuid_of(ada["id"].as_str().unwrap());
    let bare = log(
        &app,
        json!({"contact_id": uuid, "type": "note", "occurred_at": "2026-03-02T00:00:00Z", "deal_id": null}),
    );
    assert_eq!(
        (&bare["contact_id"], &bare["deal_id"], &bare["notes"]),
        (&ada["id"], &Value::Null, &Value::Null)
    );
    assert_eq!(list(&app, ""), vec![id(&bare), iid.clone()], "newest occurred_at first");
    let created = audit(&app, "event_type=interaction.created");
    assert_eq!(created.len(), 2);
    assert_eq!(created[1]["target_id"], iid);
    assert_eq!(created[1]["target_type"], "interaction");

    let d = app.delete(&format!("/api/v1/interactions/{iid}")).send();
    assert_eq!((d.status, &d.body), (200, &json!({"data": null})), "{}", d.text);
    app.get(&format!("/api/v1/interactions/{iid}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.delete(&format!("/api/v1/interactions/{iid}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    assert_eq!(list(&app, ""), vec![id(&bare)]);
    assert_eq!(audit(&app, "event_type=interaction.deleted").len(), 1);
}

/// The UUID inside a TypeID, in its hyphenated form (what a client may send instead).
fn uuid_of(typeid: &str) -> String {
    let id = moss_domain::id::ContactId::parse(typeid).unwrap();
    id.uuid().hyphenated().to_string()
}

#[rstest]
fn interactions_are_immutable_a_patch_is_405_naming_get_and_delete(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let i = log(
        &app,
        json!({"contact_id": ada["id"], "type": "email", "occurred_at": "2026-03-01T10:00:00Z"}),
    );
    let r = app
        .patch(&format!("/api/v1/interactions/{}", id(&i)), json!({"notes": "changed"}))
        .send();
    r.assert_error(405, "VALIDATION_ERROR");
    assert_eq!(r.header("allow"), Some("GET, DELETE"), "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/v1/interactions/{}", id(&i))).send().body["data"],
        i
    );
    assert!(audit(&app, "event_type=interaction.updated").is_empty());
}

#[rstest]
fn bad_input_is_named_and_logs_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    let their_deal = app.post("/api/v1/deals", json!({"name": "Theirs"})).key(&other).send();
    let ok = json!({"contact_id": ada["id"], "type": "call", "occurred_at": "2026-03-01T10:00:00Z"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["contact_id", "type", "occurred_at"]),
        (with("type", json!("visit")), vec!["type"]),
        (with("type", json!("Call")), vec!["type"]),
        (with("type", json!(null)), vec!["type"]),
        (with("occurred_at", json!("yesterday")), vec!["occurred_at"]),
        (with("occurred_at", json!("2026-03-01 10:00:00Z")), vec!["occurred_at"]),
        (with("occurred_at", json!("2026-03-01")), vec!["occurred_at"]),
        (with("occurred_at", json!(1_772_359_200)), vec!["occurred_at"]),
        (with("contact_id", json!("nope")), vec!["contact_id"]),
        (
            with("contact_id", theirs.body["data"]["id"].clone()),
            vec!["contact_id"],
        ),
        (with("deal_id", their_deal.body["data"]["id"].clone()), vec!["deal_id"]),
        (with("deal_id", json!("deal_nope")), vec!["deal_id"]),
        (with("notes", json!("x".repeat(10_001))), vec!["notes"]),
        // No tags or custom fields on an interaction.
        (with("tags", json!(["vip"])), vec!["tags"]),
        (with("custom_fields", json!({"a": 1})), vec!["custom_fields"]),
    ];
    for (body, fields) in cases {
        let r = app.post("/api/v1/interactions", body.clone()).send();
        assert_400(&r, &fields);
        assert!(
            r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    assert!(list(&app, "").is_empty(), "nothing was logged");
    assert!(audit(&app, "event_type=interaction.created").is_empty());
}

#[rstest]
fn filters_and_sorts(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let at = |h: u32| format!("2026-03-01T{h:02}:00:00Z");
    let call = log(
        &app,
        json!({"contact_id": ada["id"], "type": "call", "deal_id": deal["id"], "notes": "Pricing questions", "occurred_at": at(9)}),
    );
    let meeting = log(
        &app,
        json!({"contact_id": ada["id"], "type": "meeting", "notes": "Onsite workshop", "occurred_at": at(12)}),
    );
    let note = log(
        &app,
        json!({"contact_id": bob["id"], "type": "note", "deal_id": deal["id"], "notes": "pricing sheet sent", "occurred_at": at(10)}),
    );
    let (call, meeting, note) = (id(&call), id(&meeting), id(&note));
    let ada_id = ada["id"].as_str().unwrap();
    let deal_id = deal["id"].as_str().unwrap();
    assert_eq!(
        list(&app, ""),
        ids(&[&meeting, &note, &call]),
        "occurred_at, newest first"
    );
    assert_eq!(list(&app, "order=asc"), ids(&[&call, &note, &meeting]));
    assert_eq!(list(&app, "sort=created_at&order=asc"), ids(&[&call, &meeting, &note]));
    assert_eq!(list(&app, &format!("contact_id={ada_id}")), ids(&[&meeting, &call]));
    assert_eq!(list(&app, &format!("deal_id={deal_id}")), ids(&[&note, &call]));
    assert_eq!(list(&app, "type=call,note"), ids(&[&note, &call]));
    assert_eq!(list(&app, "type=meeting"), ids(&[&meeting]));
    assert_eq!(list(&app, "q=pric"), ids(&[&note, &call]), "notes, by word prefix");
    assert_eq!(list(&app, "q=pricing%20sheet"), ids(&[&note]));
    // Inclusive bounds, any offset.
    assert_eq!(
        list(
            &app,
            "occurred_after=2026-03-01T10:00:00Z&occurred_before=2026-03-01T13:00:00%2B01:00"
        ),
        ids(&[&meeting, &note])
    );
    assert_eq!(
        list(
            &app,
            &format!("contact_id={ada_id}&type=call&occurred_before=2026-03-01T09:00:00Z")
        ),
        ids(&[&call])
    );
    // Bad filters are named at once; the list's own and the shared ones alike.
    let r = app
        .get("/api/v1/interactions?type=call,visit&occurred_after=2026-03-01&contact_id=nope&sort=name&tag=x")
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        ["contact_id", "occurred_after", "sort", "tag", "type"],
        "{}",
        r.text
    );
}

#[rstest]
fn deleting_a_contact_deletes_its_interactions_and_a_deals_delete_clears_them(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let body = |c: &Value, t: &str, h: u32| {
        json!({"contact_id": c["id"], "type": "note", "deal_id": deal["id"], "notes": t,
               "occurred_at": format!("2026-03-01T{h:02}:00:00Z")})
    };
    let ada1 = id(&log(&app, body(&ada, "first", 9)));
    let ada2 = id(&log(&app, body(&ada, "second", 10)));
    let bob1 = log(&app, body(&bob, "third", 11));

    let r = app.delete(&format!("/api/v1/contacts/{}", id(&ada))).send();
    assert_eq!(r.status, 200, "{}", r.text);
    for gone in [&ada1, &ada2] {
        app.get(&format!("/api/v1/interactions/{gone}"))
            .send()
            .assert_error(404, "NOT_FOUND");
    }
    assert_eq!(list(&app, ""), vec![id(&bob1)]);
    assert_eq!(
        list(&app, "q=first"),
        Vec::<String>::new(),
        "their search text went with them"
    );
    let entry = &audit(&app, "event_type=contact.deleted")[0];
    assert_eq!(
        entry["metadata"]["deleted"]["interactions"],
        json!({"count": 2, "ids": [ada1, ada2]}),
        "{entry}"
    );
    assert!(
        audit(&app, "event_type=interaction.deleted").is_empty(),
        "covered by the contact's entry"
    );

    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = app.delete(&format!("/api/v1/deals/{}", id(&deal))).send();
    assert_eq!(r.status, 200, "{}", r.text);
    let after = app.get(&format!("/api/v1/interactions/{}", id(&bob1))).send().body["data"].clone();
    assert_eq!(after["deal_id"], Value::Null);
    assert_ne!(
        after["updated_at"], bob1["updated_at"],
        "the server's change moves updated_at"
    );
    assert_eq!(after["created_at"], bob1["created_at"]);
    let entry = &audit(&app, "event_type=deal.deleted")[0];
    assert_eq!(
        entry["metadata"]["cleared"]["interactions"],
        json!({"count": 1, "ids": [id(&bob1)]}),
        "{entry}"
    );
    assert_eq!(list(&app, &format!("deal_id={}", id(&deal))), Vec::<String>::new());
}
