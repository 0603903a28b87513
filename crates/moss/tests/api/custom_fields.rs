//! Custom fields (resources.md, Custom fields): definitions at `/api/v1/custom-fields` (owner
//! writes, every key reads; names, types and entity types frozen; names unique per entity type;
//! 100 per entity type), the values they check on contacts, companies and deals (every field
//! type, required fields, free-form names, definitions over existing values), PATCH merging by
//! name, options that records hold, deletes that take their values with them, `cf.<name>` list
//! filters and sorts, merges and tenancy. Written from the spec, black-box over HTTP.

use std::time::Duration;

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

const CF: &str = "/api/v1/custom-fields";

/// The keys of a definition, sorted.
const DEFINITION_KEYS: [&str; 10] = [
    "created_at",
    "display_order",
    "entity_type",
    "field_label",
    "field_name",
    "field_options",
    "field_type",
    "id",
    "required",
    "updated_at",
];

/// A server whose rate limit stays out of the way: some tests send a few hundred requests.
fn start(backend: Backend) -> Option<TestApp> {
    let mut options = Options::default();
    options.settings.rate_limits.rps = 100_000;
    options.settings.rate_limits.burst = 100_000;
    TestApp::start_with(backend, options)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

fn ids(records: &[&Value]) -> Vec<String> {
    records.iter().map(|r| id(r)).collect()
}

/// The ids of `records`, in id order (how ties are broken).
fn by_id(records: &[&Value]) -> Vec<String> {
    let mut v = ids(records);
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Long enough for the clock to move past a microsecond-truncated timestamp.
fn pause() {
    std::thread::sleep(Duration::from_millis(5));
}

fn is_rfc3339_z(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

fn micros(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .timestamp_micros()
}

/// `{name: value}`.
fn one(name: &str, value: &Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(name.to_owned(), value.clone());
    Value::Object(m)
}

/// The whole numbers that stand as words in a message ("held by 2 records" has 2).
fn numbers_in(message: &Value) -> Vec<u64> {
    message
        .as_str()
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// A 400 VALIDATION_ERROR naming exactly `fields` (in any order); a field written `name*`
/// stands for `name` or any path under it (`field_options[2]`).
#[track_caller]
fn assert_400(r: &Resp, fields: &[&str], what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.text);
    r.assert_error(400, "VALIDATION_ERROR");
    let got = sorted(r.fields());
    let want = sorted(fields.iter().map(|f| (*f).to_owned()).collect());
    assert_eq!(got.len(), want.len(), "{what}: want {want:?}: {}", r.text);
    for (g, w) in got.iter().zip(&want) {
        match w.strip_suffix('*') {
            Some(prefix) => assert!(g.starts_with(prefix), "{what}: want {w}: {}", r.text),
            None => assert_eq!(g, w, "{what}: {}", r.text),
        }
    }
}

fn cf_path(def: &Value) -> String {
    format!("{CF}/{}", id(def))
}

/// A definition body: `field_options` only when `options` is not empty.
fn definition(entity: &str, name: &str, field_type: &str, options: &[&str]) -> Value {
    let mut body = json!({
        "entity_type": entity, "field_name": name, "field_label": format!("The {name}"), "field_type": field_type
    });
    if !options.is_empty() {
        body["field_options"] = json!(options);
    }
    body
}

/// Creates a definition, asserting a 201: its `data`.
#[track_caller]
fn define(app: &TestApp, body: Value) -> Value {
    let r = app.post(CF, body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

#[track_caller]
fn field(app: &TestApp, entity: &str, name: &str, field_type: &str, options: &[&str]) -> Value {
    define(app, definition(entity, name, field_type, options))
}

#[track_caller]
fn patch_definition(app: &TestApp, def: &Value, body: Value) -> Resp {
    app.patch(&cf_path(def), body).send()
}

/// The minimal create body of a record of `entity` with these custom fields.
fn body(entity: &str, custom_fields: Value) -> Value {
    match entity {
        "contacts" => json!({"first_name": "Ada", "custom_fields": custom_fields}),
        "companies" | "deals" => json!({"name": "Acme", "custom_fields": custom_fields}),
        other => panic!("not a record type with custom fields: {other}"),
    }
}

fn create(app: &TestApp, entity: &str, custom_fields: Value) -> Resp {
    app.post(&format!("/api/v1/{entity}"), body(entity, custom_fields))
        .send()
}

/// Creates a record of `entity`, asserting a 201: its `data`.
#[track_caller]
fn record(app: &TestApp, entity: &str, custom_fields: Value) -> Value {
    let r = create(app, entity, custom_fields);
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

fn path(entity: &str, rec: &Value) -> String {
    format!("/api/v1/{entity}/{}", id(rec))
}

#[track_caller]
fn read(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body["data"].clone()
}

fn patch_cf(app: &TestApp, entity: &str, rec: &Value, custom_fields: Value) -> Resp {
    app.patch(&path(entity, rec), json!({"custom_fields": custom_fields}))
        .send()
}

/// PATCHes a record's custom fields, asserting a 200: the record.
#[track_caller]
fn set_cf(app: &TestApp, entity: &str, rec: &Value, custom_fields: Value) -> Value {
    let r = patch_cf(app, entity, rec, custom_fields);
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

/// The ids of `GET /api/v1/{entity}?per_page=250&{query}` (200, `total` counting them all).
#[track_caller]
fn list(app: &TestApp, entity: &str, query: &str) -> Vec<String> {
    app.list_ids(&format!("/api/v1/{entity}?per_page=250&{query}"))
}

#[track_caller]
fn only_entry(app: &TestApp, request_id: &str) -> Value {
    let entries = app.audit(&format!("request_id={request_id}"));
    assert_eq!(entries.len(), 1, "{request_id}: {entries:?}");
    entries[0].clone()
}

/// Another record type that has custom fields.
fn other_entity(entity: &str) -> &'static str {
    if entity == "contacts" { "companies" } else { "contacts" }
}

/// The audit target type of a record of `entity`.
fn singular(entity: &str) -> &'static str {
    match entity {
        "contacts" => "contact",
        "companies" => "company",
        "deals" => "deal",
        other => panic!("not a record type with custom fields: {other}"),
    }
}

// ---- Definitions -------------------------------------------------------------------------------

#[rstest]
fn create_read_update_and_delete_a_definition(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let r = app
        .post(
            CF,
            json!({"entity_type": "contacts", "field_name": "tier", "field_label": "  Tier ", "field_type": "select",
                   "field_options": ["gold", "silver"]}),
        )
        .header("X-Request-Id", "req-cf-create")
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.body["data"].clone();
    let cid = id(&d);
    assert!(cid.starts_with("cf_") && cid.len() == 29, "{cid}");
    assert_eq!(r.header("location"), Some(format!("{CF}/{cid}").as_str()));
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, DEFINITION_KEYS, "{}", r.text);
    assert!(is_rfc3339_z(&d["created_at"]), "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": {
            "id": cid, "entity_type": "contacts", "field_name": "tier", "field_label": "Tier", "field_type": "select",
            "field_options": ["gold", "silver"], "required": false, "display_order": 0,
            "created_at": d["created_at"], "updated_at": d["created_at"]
        }})
    );
    let got = app.get(&format!("{CF}/{cid}")).send();
    assert_eq!((got.status, &got.body), (200, &r.body));
    let listed = app.get(CF).send();
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.body,
        json!({"data": [d], "meta": {"page": 1, "per_page": 25, "total": 1, "total_pages": 1}})
    );
    let e = only_entry(&app, "req-cf-create");
    assert_eq!(
        (&e["event_type"], &e["target_type"], &e["target_id"]),
        (&json!("custom_field.created"), &json!("custom_field"), &json!(cid))
    );

    // Options are null for the other types; required and display_order as given.
    let text = define(
        &app,
        json!({"entity_type": "deals", "field_name": "source", "field_label": "Source", "field_type": "text",
               "required": true, "display_order": 3}),
    );
    assert_eq!(
        text,
        json!({"id": text["id"], "entity_type": "deals", "field_name": "source", "field_label": "Source",
               "field_type": "text", "field_options": null, "required": true, "display_order": 3,
               "created_at": text["created_at"], "updated_at": text["created_at"]})
    );
    for (field_type, options) in [
        ("number", json!(null)),
        ("date", json!(null)),
        ("checkbox", json!(null)),
        ("multiselect", json!(["a", "b"])),
    ] {
        let mut b = definition("companies", &format!("f_{field_type}"), field_type, &[]);
        b["field_options"] = options.clone();
        let created = define(&app, b);
        assert_eq!(
            (&created["field_type"], &created["field_options"]),
            (&json!(field_type), &options)
        );
    }

    // PATCH takes the label, the options, required and display_order.
    pause();
    let p = app
        .patch(
            &format!("{CF}/{cid}"),
            json!({"field_label": "Level", "field_options": ["gold", "silver", "bronze"], "required": true, "display_order": 7}),
        )
        .header("X-Request-Id", "req-cf-update")
        .send();
    assert_eq!(p.status, 200, "{}", p.text);
    let mut want = d.clone();
    want["field_label"] = json!("Level");
    want["field_options"] = json!(["gold", "silver", "bronze"]);
    want["required"] = json!(true);
    want["display_order"] = json!(7);
    want["updated_at"] = p.body["data"]["updated_at"].clone();
    assert_eq!(p.body, json!({"data": want}));
    assert!(micros(&want["updated_at"]) > micros(&d["updated_at"]), "{}", p.text);
    assert_eq!(read(&app, &format!("{CF}/{cid}")), want);
    let e = only_entry(&app, "req-cf-update");
    assert_eq!(
        (&e["event_type"], &e["target_id"]),
        (&json!("custom_field.updated"), &json!(cid))
    );
    assert_eq!(
        e["metadata"]["changes"]["field_label"],
        json!({"old": "Tier", "new": "Level"}),
        "{e}"
    );
    // A PATCH that changes nothing: 200, no entry, updated_at kept.
    let same = app
        .patch(
            &format!("{CF}/{cid}"),
            json!({"field_label": "Level", "required": true}),
        )
        .header("X-Request-Id", "req-cf-same")
        .send();
    assert_eq!((same.status, &same.body["data"]), (200, &want), "{}", same.text);
    assert!(app.audit("request_id=req-cf-same").is_empty());

    // Delete.
    let del = app
        .delete(&format!("{CF}/{cid}"))
        .header("X-Request-Id", "req-cf-delete")
        .send();
    assert_eq!((del.status, &del.body), (200, &json!({"data": null})), "{}", del.text);
    let e = only_entry(&app, "req-cf-delete");
    assert_eq!(
        (&e["event_type"], &e["target_type"], &e["target_id"], &e["metadata"]),
        (
            &json!("custom_field.deleted"),
            &json!("custom_field"),
            &json!(cid),
            &json!({"values_removed": 0})
        )
    );
    for r in [
        app.get(&format!("{CF}/{cid}")).send(),
        app.patch(&format!("{CF}/{cid}"), json!({"field_label": "X"})).send(),
        app.delete(&format!("{CF}/{cid}")).send(),
        app.get(&format!("{CF}/cf_01h455vb4pex5vsknk084sn02q")).send(),
        app.get(&format!("{CF}/cnt_01h455vb4pex5vsknk084sn02q")).send(),
        app.get(&format!("{CF}/nope")).send(),
    ] {
        r.assert_error(404, "NOT_FOUND");
    }
    assert!(!app.list_ids(&format!("{CF}?per_page=250")).contains(&cid));
}

#[rstest]
fn owners_write_definitions_and_every_key_reads_them(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let def = field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    let member = app.key(Role::Member, "full");
    let read_only = app.key(Role::Owner, "read_only");
    let member_read_only = app.key(Role::Member, "read_only");
    for (who, key) in [
        ("member", &member),
        ("read-only owner", &read_only),
        ("read-only member", &member_read_only),
    ] {
        let r = app
            .post(CF, definition("contacts", "score", "number", &[]))
            .key(key)
            .send();
        assert_eq!(r.status, 403, "{who}: {}", r.text);
        r.assert_error(403, "FORBIDDEN");
        // Refused before the body is read: a bad one gets the 403 too.
        app.post(CF, json!({})).key(key).send().assert_error(403, "FORBIDDEN");
        app.patch(&cf_path(&def), json!({"field_label": "Hacked"}))
            .key(key)
            .send()
            .assert_error(403, "FORBIDDEN");
        app.delete(&cf_path(&def))
            .key(key)
            .send()
            .assert_error(403, "FORBIDDEN");
        let got = app.get(&cf_path(&def)).key(key).send();
        assert_eq!((got.status, &got.body["data"]), (200, &def), "{who}: {}", got.text);
        let listed = app.get(CF).key(key).send();
        assert_eq!(
            (listed.status, listed.ids()),
            (200, vec![id(&def)]),
            "{who}: {}",
            listed.text
        );
    }
    // Nothing changed.
    assert_eq!(read(&app, &cf_path(&def)), def);
    assert_eq!(app.list_ids(CF), vec![id(&def)]);
    assert_eq!(app.audit("target_type=custom_field").len(), 1);
    // A member's full key writes records, whose values the definition checks.
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "M", "custom_fields": {"tier": "bronze"}}),
        )
        .key(&member)
        .send();
    assert_400(&r, &["custom_fields.tier"], "a member's record");
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "M", "custom_fields": {"tier": "gold"}}),
        )
        .key(&member)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
}

#[rstest]
fn definitions_list_filters_and_sorts(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let with_order = |entity: &str, name: &str, field_type: &str, options: &[&str], order: i64| {
        let mut b = definition(entity, name, field_type, options);
        if order != 0 {
            b["display_order"] = json!(order);
        }
        define(&app, b)
    };
    let a = with_order("contacts", "tier", "select", &["gold"], 2);
    let b = with_order("contacts", "score", "number", &[], 1);
    let c = with_order("companies", "size", "number", &[], 2);
    let d = with_order("deals", "referral_source", "text", &[], 0);
    let e = with_order("contacts", "langs", "multiselect", &["en"], 1);
    assert_eq!(d["display_order"], 0, "the default");
    let l = |q: &str| app.list_ids(&format!("{CF}?per_page=250&{q}"));
    assert_eq!(l(""), ids(&[&e, &d, &c, &b, &a]), "newest first by default");
    assert_eq!(l("order=asc"), ids(&[&a, &b, &c, &d, &e]));
    assert_eq!(l("sort=created_at&order=asc"), ids(&[&a, &b, &c, &d, &e]));
    assert_eq!(l("entity_type=contacts&order=asc"), ids(&[&a, &b, &e]));
    assert_eq!(l("entity_type=contacts,deals&order=asc"), ids(&[&a, &b, &d, &e]));
    assert_eq!(l("field_type=number&order=asc"), ids(&[&b, &c]));
    assert_eq!(l("field_type=select,multiselect&order=asc"), ids(&[&a, &e]));
    assert_eq!(l("entity_type=contacts&field_type=number"), ids(&[&b]));
    assert!(l("entity_type=deals&field_type=number").is_empty());
    // display_order, ties by id in the same direction.
    let ones = by_id(&[&b, &e]);
    let twos = by_id(&[&a, &c]);
    let asc: Vec<String> = [vec![id(&d)], ones.clone(), twos.clone()].concat();
    assert_eq!(l("sort=display_order&order=asc"), asc);
    let desc: Vec<String> = asc.iter().rev().cloned().collect();
    assert_eq!(l("sort=display_order&order=desc"), desc);
    assert_eq!(l("sort=display_order"), desc, "order defaults to desc");
    // field_name.
    assert_eq!(l("sort=field_name&order=asc"), ids(&[&e, &d, &b, &c, &a]));
    assert_eq!(l("sort=field_name&order=desc"), ids(&[&a, &c, &b, &d, &e]));
    // Pages.
    let r = app
        .get(&format!("{CF}?sort=display_order&order=asc&per_page=2&page=2"))
        .send();
    assert_eq!(r.ids(), asc[2..4].to_vec(), "{}", r.text);
    assert_eq!(
        r.body["meta"],
        json!({"page": 2, "per_page": 2, "total": 5, "total_pages": 3})
    );
    // Bad parameters.
    for (q, field) in [
        ("entity_type=people", "entity_type"),
        ("entity_type=contacts,people", "entity_type"),
        ("field_type=colour", "field_type"),
        ("sort=field_label", "sort"),
        ("sort=required", "sort"),
        ("order=up", "order"),
        ("per_page=0", "per_page"),
        ("colour=red", "colour"),
    ] {
        assert_400(&app.get(&format!("{CF}?{q}")).send(), &[field], q);
    }
}

#[rstest]
fn field_names_are_unique_per_entity_type(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let first = field(&app, "contacts", "tier", "text", &[]);
    let r = app.post(CF, definition("contacts", "tier", "number", &[])).send();
    r.assert_error(409, "CONFLICT");
    // The same name on the other entity types is another field.
    let company = field(&app, "companies", "tier", "select", &["a"]);
    let deal = field(&app, "deals", "tier", "checkbox", &[]);
    app.post(CF, definition("companies", "tier", "text", &[]))
        .send()
        .assert_error(409, "CONFLICT");
    assert_eq!(
        app.list_ids(&format!("{CF}?order=asc")),
        ids(&[&first, &company, &deal])
    );
    // Another workspace has its own names.
    let other = app.other_workspace("other");
    let r = app
        .post(CF, definition("contacts", "tier", "text", &[]))
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    // A deleted definition's name is free again.
    let d = app.delete(&cf_path(&first)).send();
    assert_eq!(d.status, 200, "{}", d.text);
    let again = field(&app, "contacts", "tier", "date", &[]);
    assert_eq!(again["field_type"], "date");
}

#[rstest]
#[case::field_name("field_name", json!("level"))]
#[case::field_type("field_type", json!("text"))]
#[case::entity_type("entity_type", json!("deals"))]
fn field_name_type_and_entity_type_cannot_be_changed(
    #[case] name: &str,
    #[case] value: Value,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    let def = field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    let r = patch_definition(&app, &def, one(name, &value));
    assert_400(&r, &[name], name);
    assert!(
        r.body["error"]["details"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot be changed")),
        "{}",
        r.text
    );
    // With a field that may change, nothing changes either.
    let mut b = one(name, &value);
    b["field_label"] = json!("Level");
    assert_400(&patch_definition(&app, &def, b), &[name], name);
    // All three at once are all named.
    let r = patch_definition(
        &app,
        &def,
        json!({"field_name": "level", "field_type": "text", "entity_type": "deals"}),
    );
    assert_400(&r, &["entity_type", "field_name", "field_type"], "all three");
    assert_eq!(read(&app, &cf_path(&def)), def);
    assert_eq!(app.audit("event_type=custom_field.updated").len(), 0);
}

/// A valid definition, `overrides` applied (`"<absent>"` removes a key).
fn select_with(overrides: Value) -> Value {
    let mut b = json!({"entity_type": "contacts", "field_name": "tier", "field_label": "Tier", "field_type": "select",
                       "field_options": ["gold", "silver"]});
    for (k, v) in overrides.as_object().unwrap() {
        if v == "<absent>" {
            b.as_object_mut().unwrap().remove(k);
        } else {
            b[k] = v.clone();
        }
    }
    b
}

#[rstest]
#[case::camel_case_name(json!({"field_name": "TierLevel"}), "field_name")]
#[case::upper_case_start(json!({"field_name": "Tier"}), "field_name")]
#[case::name_starting_with_a_digit(json!({"field_name": "1tier"}), "field_name")]
#[case::name_with_a_hyphen(json!({"field_name": "tier-level"}), "field_name")]
#[case::name_with_a_space(json!({"field_name": "tier level"}), "field_name")]
#[case::name_of_65_characters(json!({"field_name": "a".repeat(65)}), "field_name")]
#[case::missing_name(json!({"field_name": "<absent>"}), "field_name")]
#[case::options_on_a_text_field(json!({"field_type": "text"}), "field_options*")]
#[case::options_on_a_number_field(json!({"field_type": "number", "field_options": ["1"]}), "field_options*")]
#[case::options_on_a_checkbox_field(json!({"field_type": "checkbox", "field_options": ["yes"]}), "field_options*")]
#[case::select_without_options(json!({"field_options": "<absent>"}), "field_options*")]
#[case::select_with_null_options(json!({"field_options": null}), "field_options*")]
#[case::multiselect_without_options(json!({"field_type": "multiselect", "field_options": "<absent>"}), "field_options*")]
#[case::no_options(json!({"field_options": []}), "field_options*")]
#[case::options_201(json!({"field_options": (0..201).map(|i| format!("o{i}")).collect::<Vec<_>>()}), "field_options*")]
#[case::repeated_options(json!({"field_options": ["gold", "silver", "gold"]}), "field_options*")]
#[case::option_of_101_characters(json!({"field_options": ["gold", "x".repeat(101)]}), "field_options*")]
#[case::blank_option(json!({"field_options": ["gold", "  "]}), "field_options*")]
#[case::option_with_a_semicolon(json!({"field_options": ["gold", "a;b"]}), "field_options*")]
#[case::option_not_a_string(json!({"field_options": ["gold", 3]}), "field_options*")]
#[case::options_not_a_list(json!({"field_options": "gold"}), "field_options*")]
#[case::unknown_field_type(json!({"field_type": "colour", "field_options": "<absent>"}), "field_type")]
#[case::missing_field_type(json!({"field_type": "<absent>", "field_options": "<absent>"}), "field_type")]
#[case::unknown_entity_type(json!({"entity_type": "people"}), "entity_type")]
#[case::interactions_have_none(json!({"entity_type": "interactions"}), "entity_type")]
#[case::missing_entity_type(json!({"entity_type": "<absent>"}), "entity_type")]
#[case::missing_label(json!({"field_label": "<absent>"}), "field_label")]
#[case::blank_label(json!({"field_label": "   "}), "field_label")]
#[case::label_of_201_characters(json!({"field_label": "x".repeat(201)}), "field_label")]
#[case::required_not_a_boolean(json!({"required": "yes"}), "required")]
#[case::display_order_not_a_number(json!({"display_order": "first"}), "display_order")]
#[case::display_order_not_an_integer(json!({"display_order": 1.5}), "display_order")]
#[case::unknown_body_field(json!({"colour": "red"}), "colour")]
#[case::id_is_not_writable(json!({"id": "cf_01h455vb4pex5vsknk084sn02q"}), "id")]
fn bad_definitions_are_400_naming_the_field(
    #[case] overrides: Value,
    #[case] field_name: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    let body = select_with(overrides);
    let r = app.post(CF, body.clone()).send();
    assert_400(&r, &[field_name], &body.to_string());
    assert!(app.list_ids(CF).is_empty(), "nothing was created");
    assert!(app.audit("target_type=custom_field").is_empty());
}

#[rstest]
fn the_longest_name_and_the_most_options_are_allowed(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let name = format!("a{}", "b_9".repeat(21));
    assert_eq!(name.len(), 64);
    let options: Vec<String> = (0..200).map(|i| format!("{i:03}{}", "x".repeat(97))).collect();
    let def = define(
        &app,
        json!({"entity_type": "contacts", "field_name": name, "field_label": "x".repeat(200),
               "field_type": "multiselect", "field_options": options}),
    );
    assert_eq!(
        (&def["field_name"], &def["field_options"]),
        (&json!(name), &json!(options))
    );
    let c = record(&app, "contacts", one(&name, &json!([options[199]])));
    assert_eq!(c["custom_fields"], one(&name, &json!([options[199]])));
}

#[rstest]
fn at_most_100_definitions_per_entity_type(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let defs: Vec<Value> = (0..100)
        .map(|i| field(&app, "contacts", &format!("f{i:03}"), "text", &[]))
        .collect();
    let r = app.post(CF, definition("contacts", "one_more", "text", &[])).send();
    r.assert_error(409, "CONFLICT");
    assert_eq!(
        app.get(&format!("{CF}?entity_type=contacts")).send().body["meta"]["total"],
        100
    );
    // The limit is per entity type, and per workspace.
    field(&app, "companies", "one_more", "text", &[]);
    field(&app, "deals", "one_more", "text", &[]);
    let other = app.other_workspace("other");
    let r = app
        .post(CF, definition("contacts", "one_more", "text", &[]))
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    // A delete makes room.
    assert_eq!(app.delete(&cf_path(&defs[0])).send().status, 200);
    field(&app, "contacts", "one_more", "text", &[]);
    app.post(CF, definition("contacts", "two_more", "text", &[]))
        .send()
        .assert_error(409, "CONFLICT");
}

#[rstest]
fn removing_an_option_that_records_hold_is_409_saying_how_many(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let tier = field(&app, "contacts", "tier", "select", &["gold", "silver", "bronze"]);
    let langs = field(&app, "contacts", "langs", "multiselect", &["en", "fr", "de"]);
    let r1 = record(&app, "contacts", json!({"tier": "silver", "langs": ["en", "fr"]}));
    let r2 = record(&app, "contacts", json!({"tier": "silver", "langs": ["fr"]}));
    let r3 = record(&app, "contacts", json!({"tier": "gold", "langs": ["fr", "de"]}));
    // A deal's free-form `tier` is not a value of the contacts' definition.
    record(&app, "deals", json!({"tier": "silver", "langs": ["fr"]}));

    let r = patch_definition(&app, &tier, json!({"field_options": ["gold", "bronze"]}));
    r.assert_error(409, "CONFLICT");
    let n = numbers_in(&r.body["error"]["message"]);
    assert!(
        n.contains(&2) && !n.contains(&3),
        "two contacts hold silver: {}",
        r.text
    );
    let r = patch_definition(&app, &langs, json!({"field_options": ["en", "de"]}));
    r.assert_error(409, "CONFLICT");
    let n = numbers_in(&r.body["error"]["message"]);
    assert!(n.contains(&3) && !n.contains(&4), "three contacts hold fr: {}", r.text);
    // Neither changed, and no entry was written.
    assert_eq!(read(&app, &cf_path(&tier)), tier);
    assert_eq!(read(&app, &cf_path(&langs)), langs);
    assert!(app.audit("event_type=custom_field.updated").is_empty());

    // An option no record holds may go; options may be added and reordered.
    let r = patch_definition(&app, &tier, json!({"field_options": ["silver", "gold", "platinum"]}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"]["field_options"], json!(["silver", "gold", "platinum"]));
    assert_400(
        &patch_cf(&app, "contacts", &r1, json!({"tier": "bronze"})),
        &["custom_fields.tier"],
        "bronze is gone",
    );
    set_cf(&app, "contacts", &r1, json!({"tier": "platinum"}));
    // Once no record holds silver, it can go too.
    let r = patch_definition(&app, &tier, json!({"field_options": ["gold", "platinum"]}));
    assert_eq!(r.status, 409, "r2 still holds silver: {}", r.text);
    let n = numbers_in(&r.body["error"]["message"]);
    assert!(n.contains(&1), "{}", r.text);
    set_cf(&app, "contacts", &r2, json!({"tier": null}));
    let r = patch_definition(&app, &tier, json!({"field_options": ["gold", "platinum"]}));
    assert_eq!(r.status, 200, "{}", r.text);
    // A deleted record holds nothing.
    assert_eq!(
        patch_definition(&app, &langs, json!({"field_options": ["en", "fr"]})).status,
        409,
        "r3 holds de"
    );
    assert_eq!(app.delete(&path("contacts", &r3)).send().status, 200);
    let r = patch_definition(&app, &langs, json!({"field_options": ["en", "fr"]}));
    assert_eq!(r.status, 200, "{}", r.text);
}

#[rstest]
fn patching_options_and_labels_is_checked_like_a_create(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let tier = field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    let text = field(&app, "contacts", "memo", "text", &[]);
    for (def, b, f) in [
        (&tier, json!({"field_options": []}), "field_options*"),
        (&tier, json!({"field_options": null}), "field_options*"),
        (&tier, json!({"field_options": ["gold", "gold"]}), "field_options*"),
        (&text, json!({"field_options": ["a"]}), "field_options*"),
        (&tier, json!({"field_label": null}), "field_label"),
        (&tier, json!({"field_label": " "}), "field_label"),
        (&tier, json!({"required": null}), "required"),
        (&tier, json!({"display_order": "x"}), "display_order"),
        (&tier, json!({"colour": "red"}), "colour"),
    ] {
        assert_400(&patch_definition(&app, def, b.clone()), &[f], &b.to_string());
    }
    assert_eq!(read(&app, &cf_path(&tier)), tier);
    assert_eq!(read(&app, &cf_path(&text)), text);
}

// ---- Values on records -------------------------------------------------------------------------

#[rstest]
fn values_are_checked_against_their_definition_on_create_and_patch(
    #[values("contacts", "companies", "deals")] entity: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    field(&app, entity, "memo", "text", &[]);
    field(&app, entity, "seats", "number", &[]);
    field(&app, entity, "tier", "select", &["gold", "silver"]);
    field(&app, entity, "langs", "multiselect", &["en", "fr", "de"]);
    field(&app, entity, "renewal", "date", &[]);
    field(&app, entity, "active", "checkbox", &[]);
    let cases: Vec<(&str, Vec<Value>, Vec<Value>)> = vec![
        (
            "memo",
            vec![json!("hello"), json!("x".repeat(10_000))],
            vec![json!(5), json!(true), json!(["a"]), json!("x".repeat(10_001))],
        ),
        (
            "seats",
            vec![json!(40), json!(-2.5), json!(0)],
            vec![json!("40"), json!(true), json!([40])],
        ),
        (
            "tier",
            vec![json!("gold"), json!("silver")],
            vec![json!("bronze"), json!(1), json!(["gold"]), json!(true)],
        ),
        (
            "langs",
            vec![json!(["en", "fr"]), json!(["de"])],
            vec![
                json!(["en", "en"]),
                json!(["en", "xx"]),
                json!("en"),
                json!([1]),
                json!(true),
            ],
        ),
        (
            "renewal",
            vec![json!("2026-02-28"), json!("2024-02-29")],
            vec![
                json!("2026-13-01"),
                json!("2026-02-30"),
                json!("2025-02-29"),
                json!("2026-2-28"),
                json!("2026-02-28T00:00:00Z"),
                json!("28/02/2026"),
                json!(20260228),
            ],
        ),
        (
            "active",
            vec![json!(true), json!(false)],
            vec![json!("true"), json!(1), json!("yes")],
        ),
    ];
    let rec = record(&app, entity, json!({}));
    let mut created = 1;
    for (name, good, bad) in &cases {
        let f = format!("custom_fields.{name}");
        for v in bad {
            let what = format!("{entity} {name}={v}");
            // A list holding a non-string is refused by the free-form rule first, at its item's
            // path (`custom_fields.seats[0]`), which names the field too.
            let f = if v.as_array().is_some_and(|a| a.iter().any(|i| !i.is_string())) {
                format!("{f}*")
            } else {
                f.clone()
            };
            assert_400(&create(&app, entity, one(name, v)), &[&f], &format!("create {what}"));
            assert_400(
                &patch_cf(&app, entity, &rec, one(name, v)),
                &[&f],
                &format!("patch {what}"),
            );
        }
        for v in good {
            let c = record(&app, entity, one(name, v));
            created += 1;
            assert_eq!(c["custom_fields"], one(name, v), "{entity} {name}={v}");
            let p = set_cf(&app, entity, &rec, one(name, v));
            assert_eq!(p["custom_fields"], one(name, v), "{entity} {name}={v}");
            assert_eq!(read(&app, &path(entity, &rec))["custom_fields"], one(name, v));
        }
        // null removes the value.
        let p = set_cf(&app, entity, &rec, one(name, &Value::Null));
        assert_eq!(p["custom_fields"], json!({}), "{entity} {name}");
    }
    // Every bad value is named at once, and nothing is written.
    let r = create(
        &app,
        entity,
        json!({"seats": "x", "tier": "bronze", "active": "true", "memo": "fine"}),
    );
    assert_400(
        &r,
        &["custom_fields.active", "custom_fields.seats", "custom_fields.tier"],
        "three bad values",
    );
    let r = patch_cf(
        &app,
        entity,
        &rec,
        json!({"renewal": "2026-13-01", "langs": ["xx"], "memo": "fine"}),
    );
    assert_400(&r, &["custom_fields.langs", "custom_fields.renewal"], "two bad values");
    assert_eq!(read(&app, &path(entity, &rec))["custom_fields"], json!({}));
    assert_eq!(list(&app, entity, "").len(), created);
}

#[rstest]
fn required_fields_must_be_present_on_create_and_cannot_be_cleared(
    #[values("contacts", "companies", "deals")] entity: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    let before = record(&app, entity, json!({"other": 1}));
    let mut b = definition(entity, "region", "text", &[]);
    b["required"] = json!(true);
    define(&app, b);
    let f = "custom_fields.region";
    assert_400(&create(&app, entity, json!({})), &[f], "missing");
    assert_400(&create(&app, entity, json!({"region": null})), &[f], "null");
    assert_400(&create(&app, entity, json!({"other": 1})), &[f], "others only");
    let mut bare = body(entity, json!({}));
    bare.as_object_mut().unwrap().remove("custom_fields");
    assert_400(
        &app.post(&format!("/api/v1/{entity}"), bare).send(),
        &[f],
        "no custom_fields at all",
    );
    let ok = record(&app, entity, json!({"region": "EU"}));
    assert_400(
        &patch_cf(&app, entity, &ok, json!({"region": null})),
        &[f],
        "set to null",
    );
    assert_eq!(read(&app, &path(entity, &ok)), ok);
    let p = set_cf(&app, entity, &ok, json!({"other": 2}));
    assert_eq!(p["custom_fields"], json!({"region": "EU", "other": 2}));
    let p = app.patch(&path(entity, &ok), json!({"notes": "n"})).send();
    assert_eq!(p.status, 200, "{}", p.text);

    // A record made before the field was required keeps lacking it until a write sets it.
    let p = app.patch(&path(entity, &before), json!({"notes": "n"})).send();
    assert_eq!(p.status, 200, "{}", p.text);
    let p = set_cf(&app, entity, &before, json!({"other": 3}));
    assert_eq!(p["custom_fields"], json!({"other": 3}));
    let p = set_cf(&app, entity, &before, json!({"region": "US"}));
    assert_eq!(p["custom_fields"], json!({"other": 3, "region": "US"}));
    assert_400(
        &patch_cf(&app, entity, &before, json!({"region": null})),
        &[f],
        "set to null later",
    );

    // Making an existing field required later is allowed, with the same effect.
    let segment = field(&app, entity, "segment", "text", &[]);
    let lacking = record(&app, entity, json!({"region": "EU"}));
    let r = patch_definition(&app, &segment, json!({"required": true}));
    assert_eq!(
        (r.status, &r.body["data"]["required"]),
        (200, &json!(true)),
        "{}",
        r.text
    );
    let p = app
        .patch(&path(entity, &lacking), json!({"notes": "still fine"}))
        .send();
    assert_eq!(p.status, 200, "{}", p.text);
    assert_400(
        &create(&app, entity, json!({"region": "EU"})),
        &["custom_fields.segment"],
        "segment is required now",
    );
    assert_400(
        &create(&app, entity, json!({})),
        &[f, "custom_fields.segment"],
        "both missing",
    );
    // And not required again.
    assert_eq!(patch_definition(&app, &segment, json!({"required": false})).status, 200);
    let c = record(&app, entity, json!({"region": "EU"}));
    assert_eq!(c["custom_fields"], json!({"region": "EU"}));

    // Another entity type's required field asks nothing of this one.
    let other = other_entity(entity);
    let r = create(&app, other, json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
}

#[rstest]
fn names_without_a_definition_stay_free_form(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    let free = json!({"tier": "gold", "nickname": "Ace", "score": 1.5, "flags": ["a", "a"], "ok": "true"});
    let c = record(&app, "contacts", free.clone());
    assert_eq!(c["custom_fields"], free);
    let p = set_cf(&app, "contacts", &c, json!({"nickname": 7, "score": "high"}));
    assert_eq!(
        p["custom_fields"],
        json!({"tier": "gold", "nickname": 7, "score": "high", "flags": ["a", "a"], "ok": "true"})
    );
    // The contacts' definition says nothing about the other types' `tier`.
    let co = record(&app, "companies", json!({"tier": 42}));
    assert_eq!(co["custom_fields"], json!({"tier": 42}));
    let d = record(&app, "deals", json!({"tier": ["x", "x"]}));
    assert_eq!(d["custom_fields"], json!({"tier": ["x", "x"]}));
    // Only defined names filter and sort.
    assert_400(
        &app.get("/api/v1/contacts?cf.nickname=Ace").send(),
        &["cf.nickname"],
        "free-form name",
    );
    assert_400(
        &app.get("/api/v1/companies?cf.tier=42").send(),
        &["cf.tier"],
        "the contacts' name",
    );
    assert_400(
        &app.get("/api/v1/deals?sort=cf.tier").send(),
        &["sort"],
        "the contacts' name",
    );
}

#[rstest]
fn a_definition_over_values_that_do_not_fit_is_allowed_and_checks_only_writes_of_that_name(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    let misfit = record(
        &app,
        "contacts",
        json!({"score": "high", "tier": "platinum", "label": "y"}),
    );
    field(&app, "contacts", "score", "number", &[]);
    field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    // The values stay, and writes that leave those names alone succeed.
    assert_eq!(
        read(&app, &path("contacts", &misfit))["custom_fields"],
        json!({"score": "high", "tier": "platinum", "label": "y"})
    );
    let p = app.patch(&path("contacts", &misfit), json!({"title": "CTO"})).send();
    assert_eq!(p.status, 200, "{}", p.text);
    let p = set_cf(&app, "contacts", &misfit, json!({"label": "z"}));
    assert_eq!(
        p["custom_fields"],
        json!({"score": "high", "tier": "platinum", "label": "z"})
    );
    // A write of that name is checked.
    assert_400(
        &patch_cf(&app, "contacts", &misfit, json!({"score": "higher"})),
        &["custom_fields.score"],
        "score",
    );
    assert_400(
        &patch_cf(&app, "contacts", &misfit, json!({"tier": "platinum"})),
        &["custom_fields.tier"],
        "tier",
    );
    let p = set_cf(&app, "contacts", &misfit, json!({"score": 8}));
    assert_eq!(
        p["custom_fields"],
        json!({"score": 8, "tier": "platinum", "label": "z"})
    );
    let p = set_cf(&app, "contacts", &misfit, json!({"tier": null}));
    assert_eq!(p["custom_fields"], json!({"score": 8, "label": "z"}));
    assert_eq!(list(&app, "contacts", "cf.score=8"), vec![id(&misfit)]);
    // New records are checked.
    assert_400(
        &create(&app, "contacts", json!({"score": "high"})),
        &["custom_fields.score"],
        "a new record",
    );
}

#[rstest]
fn a_definition_over_values_that_fit_filters_counts_and_deletes_them(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let a = record(&app, "contacts", json!({"tier": "gold"}));
    let b = record(&app, "contacts", json!({"tier": "silver"}));
    let c = record(&app, "contacts", json!({"tier": "gold", "x": 1}));
    record(&app, "contacts", json!({}));
    let tier = field(&app, "contacts", "tier", "select", &["gold", "silver", "bronze"]);
    assert_eq!(list(&app, "contacts", "order=asc&cf.tier=gold"), ids(&[&a, &c]));
    assert_eq!(list(&app, "contacts", "cf.tier=silver"), ids(&[&b]));
    assert_eq!(
        list(&app, "contacts", "sort=cf.tier&order=asc")[..3].to_vec(),
        [by_id(&[&a, &c]), ids(&[&b])].concat()
    );
    let r = patch_definition(&app, &tier, json!({"field_options": ["silver", "bronze"]}));
    r.assert_error(409, "CONFLICT");
    assert!(numbers_in(&r.body["error"]["message"]).contains(&2), "{}", r.text);
    let d = app.delete(&cf_path(&tier)).header("X-Request-Id", "req-cf-fit").send();
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(only_entry(&app, "req-cf-fit")["metadata"], json!({"values_removed": 3}));
    assert_eq!(read(&app, &path("contacts", &c))["custom_fields"], json!({"x": 1}));
}

#[rstest]
fn patch_merges_custom_fields_by_name(
    #[values("contacts", "companies", "deals")] entity: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    field(&app, entity, "tier", "select", &["gold", "silver"]);
    field(&app, entity, "score", "number", &[]);
    let c = record(&app, entity, json!({"tier": "gold", "score": 5, "free": "x"}));
    let p = set_cf(&app, entity, &c, json!({"score": 6}));
    assert_eq!(p["custom_fields"], json!({"tier": "gold", "score": 6, "free": "x"}));
    let p = set_cf(&app, entity, &c, json!({"tier": null, "extra": true}));
    assert_eq!(p["custom_fields"], json!({"score": 6, "free": "x", "extra": true}));
    assert_eq!(read(&app, &path(entity, &c)), p);
    assert!(list(&app, entity, "cf.tier=gold").is_empty());
    assert_eq!(list(&app, entity, "cf.score=6"), vec![id(&c)]);
    assert!(list(&app, entity, "cf.score=5").is_empty());
    // tags replace, custom fields are left alone when not sent.
    let r = app.patch(&path(entity, &c), json!({"tags": ["a"]})).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["data"]["custom_fields"],
        json!({"score": 6, "free": "x", "extra": true})
    );
    // null for the whole object is a 400.
    assert_400(
        &app.patch(&path(entity, &c), json!({"custom_fields": null})).send(),
        &["custom_fields"],
        "custom_fields: null",
    );
    // The merged object is checked name by name: a bad defined value beside a good one.
    assert_400(
        &patch_cf(&app, entity, &c, json!({"tier": "silver", "score": "7"})),
        &["custom_fields.score"],
        "score",
    );
    assert_eq!(
        read(&app, &path(entity, &c))["custom_fields"],
        json!({"score": 6, "free": "x", "extra": true})
    );
}

#[rstest]
fn deleting_a_definition_removes_its_values_from_every_read_at_once(
    #[values("contacts", "companies", "deals")] entity: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    let tier = field(&app, entity, "tier", "select", &["gold", "silver"]);
    field(&app, entity, "score", "number", &[]);
    let a = record(&app, entity, json!({"tier": "gold", "score": 1}));
    let b = record(&app, entity, json!({"tier": "silver"}));
    let c = record(&app, entity, json!({"tier": "gold", "note": "x"}));
    let d = record(&app, entity, json!({"score": 2}));
    let other = other_entity(entity);
    let o = record(&app, other, json!({"tier": "gold"}));
    let before: Vec<Value> = [&a, &b, &c, &d].iter().map(|r| read(&app, &path(entity, r))).collect();
    let entries_before = app.audit(&format!("target_type={}", singular(entity))).len();
    pause();
    let r = app.delete(&cf_path(&tier)).header("X-Request-Id", "req-cf-del").send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": null})), "{}", r.text);

    // Gone from every read, at once; the records' updated_at stays.
    let wants = [
        json!({"score": 1}),
        json!({}),
        json!({"note": "x"}),
        json!({"score": 2}),
    ];
    for (old, want) in before.iter().zip(&wants) {
        let got = read(&app, &path(entity, old));
        assert_eq!(&got["custom_fields"], want, "{got}");
        assert_eq!(got["updated_at"], old["updated_at"], "{got}");
        let mut same = old.clone();
        same["custom_fields"] = want.clone();
        assert_eq!(got, same);
    }
    let l = app.get(&format!("/api/v1/{entity}?per_page=250")).send();
    assert_eq!(l.status, 200, "{}", l.text);
    for item in l.body["data"].as_array().unwrap() {
        assert!(item["custom_fields"].get("tier").is_none(), "{item}");
    }
    assert_eq!(l.body["meta"]["total"], 4);
    // One entry, the definition's, with the count; none for the records.
    let e = only_entry(&app, "req-cf-del");
    assert_eq!(
        (&e["event_type"], &e["target_id"], &e["metadata"]),
        (
            &json!("custom_field.deleted"),
            &json!(id(&tier)),
            &json!({"values_removed": 3})
        )
    );
    assert_eq!(
        app.audit(&format!("target_type={}", singular(entity))).len(),
        entries_before
    );
    // The name is undefined now.
    assert_400(
        &app.get(&format!("/api/v1/{entity}?cf.tier=gold")).send(),
        &["cf.tier"],
        "deleted",
    );
    assert_400(
        &app.get(&format!("/api/v1/{entity}?sort=cf.tier")).send(),
        &["sort"],
        "deleted",
    );
    // The other type's free-form value of that name is untouched.
    assert_eq!(read(&app, &path(other, &o))["custom_fields"], json!({"tier": "gold"}));
    // The name is free-form again, and a new definition of it starts with no values.
    let p = set_cf(&app, entity, &b, json!({"tier": 7}));
    assert_eq!(p["custom_fields"], json!({"tier": 7}));
    set_cf(&app, entity, &b, json!({"tier": null}));
    field(&app, entity, "tier", "text", &[]);
    for (old, want) in before.iter().zip(&wants) {
        assert_eq!(&read(&app, &path(entity, old))["custom_fields"], want);
    }
    assert!(list(&app, entity, "cf.tier=gold").is_empty());
    let p = set_cf(&app, entity, &a, json!({"tier": "bronze"}));
    assert_eq!(p["custom_fields"], json!({"score": 1, "tier": "bronze"}));
}

// ---- Lists: cf.<name> filters and sorts --------------------------------------------------------

#[rstest]
fn lists_filter_on_defined_fields(
    #[values("contacts", "companies", "deals")] entity: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    field(&app, entity, "source", "text", &[]);
    field(&app, entity, "seats", "number", &[]);
    field(&app, entity, "tier", "select", &["gold", "silver"]);
    field(&app, entity, "langs", "multiselect", &["en", "fr", "de"]);
    field(&app, entity, "renewal", "date", &[]);
    field(&app, entity, "active", "checkbox", &[]);
    let r1 = record(
        &app,
        entity,
        json!({"source": "referral", "seats": 40, "tier": "gold", "langs": ["en", "fr"], "renewal": "2026-03-01", "active": true}),
    );
    let r2 = record(
        &app,
        entity,
        json!({"source": "referral partner", "seats": 4, "tier": "silver", "langs": ["fr"], "renewal": "2026-03-02", "active": false}),
    );
    let r3 = record(
        &app,
        entity,
        json!({"source": "word of mouth", "seats": 40.5, "tier": "gold", "langs": ["de"], "active": true}),
    );
    let r4 = record(&app, entity, json!({}));
    let r5 = record(
        &app,
        entity,
        json!({"seats": 400, "langs": ["en"], "renewal": "2026-03-01"}),
    );
    let l = |q: &str| list(&app, entity, &format!("order=asc&{q}"));
    assert_eq!(l(""), ids(&[&r1, &r2, &r3, &r4, &r5]));
    for (q, want) in [
        ("cf.source=referral", ids(&[&r1])),
        ("cf.source=refer", vec![]),
        ("cf.source=referral%20partner", ids(&[&r2])),
        ("cf.seats=40", ids(&[&r1])),
        ("cf.seats=40.5", ids(&[&r3])),
        ("cf.seats=4", ids(&[&r2])),
        ("cf.seats=41", vec![]),
        ("cf.tier=gold", ids(&[&r1, &r3])),
        ("cf.tier=silver", ids(&[&r2])),
        ("cf.langs=fr", ids(&[&r1, &r2])),
        ("cf.langs=en", ids(&[&r1, &r5])),
        ("cf.langs=de", ids(&[&r3])),
        ("cf.renewal=2026-03-01", ids(&[&r1, &r5])),
        ("cf.renewal=2026-03-03", vec![]),
        ("cf.active=true", ids(&[&r1, &r3])),
        ("cf.active=false", ids(&[&r2])),
        ("cf.tier=gold&cf.active=true", ids(&[&r1, &r3])),
        ("cf.tier=gold&cf.langs=de", ids(&[&r3])),
        ("cf.langs=en&cf.renewal=2026-03-01&cf.seats=400", ids(&[&r5])),
        ("cf.tier=silver&cf.active=true", vec![]),
    ] {
        assert_eq!(l(q), want, "{entity}?{q}");
    }
    // With a page and the other filters.
    let r = app
        .get(&format!("/api/v1/{entity}?cf.tier=gold&per_page=1&order=asc"))
        .send();
    assert_eq!(
        (r.ids(), &r.body["meta"]),
        (
            ids(&[&r1]),
            &json!({"page": 1, "per_page": 1, "total": 2, "total_pages": 2})
        )
    );
    let tagged = app.patch(&path(entity, &r3), json!({"tags": ["vip"]})).send();
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(l("cf.tier=gold&tag=vip"), ids(&[&r3]));
    // A name without a definition is a 400 naming it.
    assert_400(
        &app.get(&format!("/api/v1/{entity}?cf.nope=x")).send(),
        &["cf.nope"],
        "cf.nope",
    );
    assert_400(
        &app.get(&format!("/api/v1/{entity}?cf.nope=x&cf.tier=gold&cf.other=1"))
            .send(),
        &["cf.nope", "cf.other"],
        "two undefined",
    );
}

#[rstest]
fn lists_sort_by_defined_fields_with_nulls_last_and_ties_by_id(
    #[values("contacts", "companies", "deals")] entity: &str,
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    field(&app, entity, "seats", "number", &[]);
    field(&app, entity, "source", "text", &[]);
    field(&app, entity, "renewal", "date", &[]);
    let a = record(
        &app,
        entity,
        json!({"seats": 9, "source": "beta", "renewal": "2026-01-10"}),
    );
    let b = record(
        &app,
        entity,
        json!({"seats": 10, "source": "Alpha", "renewal": "2025-12-31"}),
    );
    let c = record(&app, entity, json!({"seats": 2.5, "source": "gamma"}));
    let d = record(
        &app,
        entity,
        json!({"seats": -1, "source": "alpha", "renewal": "2026-01-02"}),
    );
    let e = record(&app, entity, json!({"seats": 10}));
    let f = record(&app, entity, json!({}));
    let g = record(&app, entity, json!({"source": "Beta", "other": 1}));
    let rev = |v: &[String]| -> Vec<String> { v.iter().rev().cloned().collect() };
    let l = |q: &str| list(&app, entity, q);

    // Numbers by value (10 after 9), ties by id, nulls last in both directions.
    let tens = by_id(&[&b, &e]);
    let nulls = by_id(&[&f, &g]);
    let asc = [ids(&[&d, &c, &a]), tens.clone(), nulls.clone()].concat();
    let desc = [rev(&tens), ids(&[&a, &c, &d]), rev(&nulls)].concat();
    assert_eq!(l("sort=cf.seats&order=asc"), asc);
    assert_eq!(l("sort=cf.seats&order=desc"), desc);
    assert_eq!(l("sort=cf.seats"), desc, "order defaults to desc");
    // Pages neither repeat nor skip.
    let mut paged = Vec::new();
    for page in 1..=3 {
        paged.extend(
            app.get(&format!(
                "/api/v1/{entity}?sort=cf.seats&order=asc&per_page=3&page={page}"
            ))
            .send()
            .ids(),
        );
    }
    assert_eq!(paged, asc);

    // Text case-insensitively.
    let alphas = by_id(&[&b, &d]);
    let betas = by_id(&[&a, &g]);
    let nulls = by_id(&[&e, &f]);
    assert_eq!(
        l("sort=cf.source&order=asc"),
        [alphas.clone(), betas.clone(), ids(&[&c]), nulls.clone()].concat()
    );
    assert_eq!(
        l("sort=cf.source&order=desc"),
        [ids(&[&c]), rev(&betas), rev(&alphas), rev(&nulls)].concat()
    );

    // Dates in time order.
    let nulls = by_id(&[&c, &e, &f, &g]);
    assert_eq!(
        l("sort=cf.renewal&order=asc"),
        [ids(&[&b, &d, &a]), nulls.clone()].concat()
    );
    assert_eq!(
        l("sort=cf.renewal&order=desc"),
        [ids(&[&a, &d, &b]), rev(&nulls)].concat()
    );

    // A filter and a sort together.
    assert_eq!(l("cf.source=gamma&sort=cf.seats&order=asc"), ids(&[&c]));
    // Undefined names are refused.
    for q in ["sort=cf.nope", "sort=cf.", "sort=cf.other"] {
        assert_400(&app.get(&format!("/api/v1/{entity}?{q}")).send(), &["sort"], q);
    }
}

// ---- Merges and tenancy ------------------------------------------------------------------------

#[rstest]
fn a_contact_merge_keeps_the_targets_defined_values_valid(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let tier = field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    let score = field(&app, "contacts", "score", "number", &[]);
    let target = record(&app, "contacts", json!({"tier": "gold"}));
    let source = record(&app, "contacts", json!({"tier": "silver", "score": 5, "free": "f"}));
    // A required field added after both exist; neither holds it.
    let mut b = definition("contacts", "region", "text", &[]);
    b["required"] = json!(true);
    define(&app, b);

    let r = app
        .post(
            "/api/v1/contacts/merge",
            json!({"source_id": source["id"], "target_id": target["id"]}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let merged = r.body["data"]["contact"].clone();
    assert_eq!(
        merged["custom_fields"],
        json!({"tier": "gold", "score": 5, "free": "f"}),
        "the target keeps its own value and gains the others"
    );
    let filled = r.body["data"]["filled"].as_array().unwrap();
    assert!(filled.contains(&json!("custom_fields.score")), "{}", r.text);
    assert!(!filled.contains(&json!("custom_fields.tier")), "{}", r.text);
    assert_eq!(read(&app, &path("contacts", &target)), merged);

    // What it gained are values of the definitions: filters, sorts, option checks and deletes
    // see them.
    assert_eq!(list(&app, "contacts", "cf.score=5"), vec![id(&target)]);
    assert_eq!(list(&app, "contacts", "cf.tier=gold"), vec![id(&target)]);
    assert!(
        list(&app, "contacts", "cf.tier=silver").is_empty(),
        "the source is gone"
    );
    assert_eq!(list(&app, "contacts", "sort=cf.score&order=asc"), vec![id(&target)]);
    let r = patch_definition(&app, &tier, json!({"field_options": ["gold"]}));
    assert_eq!(r.status, 200, "nothing holds silver any more: {}", r.text);
    let r = patch_definition(&app, &tier, json!({"field_options": ["silver"]}));
    r.assert_error(409, "CONFLICT");
    assert!(numbers_in(&r.body["error"]["message"]).contains(&1), "{}", r.text);
    // The target stays writable.
    let p = app.patch(&path("contacts", &target), json!({"title": "CTO"})).send();
    assert_eq!(p.status, 200, "{}", p.text);
    assert_400(
        &patch_cf(&app, "contacts", &target, json!({"score": "five"})),
        &["custom_fields.score"],
        "score is still checked",
    );
    let d = app
        .delete(&cf_path(&score))
        .header("X-Request-Id", "req-cf-merged")
        .send();
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(
        only_entry(&app, "req-cf-merged")["metadata"],
        json!({"values_removed": 1})
    );
    assert_eq!(
        read(&app, &path("contacts", &target))["custom_fields"],
        json!({"tier": "gold", "free": "f"})
    );
}

#[rstest]
fn another_workspaces_definitions_are_invisible_and_check_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let other = app.other_workspace("other");
    let r = app
        .post(CF, definition("contacts", "tier", "select", &["gold"]))
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let theirs = r.body["data"].clone();
    let never = app.get(&format!("{CF}/cf_01h455vb4pex5vsknk084sn02q")).send();
    for r in [
        app.get(&cf_path(&theirs)).send(),
        app.patch(&cf_path(&theirs), json!({"field_label": "Hacked"})).send(),
        app.delete(&cf_path(&theirs)).send(),
    ] {
        r.assert_error(404, "NOT_FOUND");
        assert_eq!(r.body["error"]["message"], never.body["error"]["message"]);
    }
    assert!(app.list_ids(CF).is_empty());
    assert_eq!(app.get(CF).key(&other).send().ids(), vec![id(&theirs)]);
    // Their definition checks nothing here, and defines no filter.
    let mine = record(&app, "contacts", json!({"tier": "platinum"}));
    assert_eq!(mine["custom_fields"], json!({"tier": "platinum"}));
    assert_400(&app.get("/api/v1/contacts?cf.tier=gold").send(), &["cf.tier"], "theirs");
    // Nor do mine there.
    let def = field(&app, "contacts", "tier", "number", &[]);
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "T", "custom_fields": {"tier": "gold"}}),
        )
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "T", "custom_fields": {"tier": 3}}),
        )
        .key(&other)
        .send();
    assert_400(&r, &["custom_fields.tier"], "their select");
    assert_eq!(read(&app, &cf_path(&def)), def);
    let r = app.get(&cf_path(&theirs)).key(&other).send();
    assert_eq!((r.status, &r.body["data"]), (200, &theirs), "{}", r.text);
}

/// `moss serve` reclaims a deleted definition's stored values in the background, every
/// `MOSS_RECLAIM_INTERVAL` (here 1 s), while reads stopped showing them at the delete.
#[rstest]
fn the_server_reclaims_a_deleted_definitions_values(#[values(SQLITE, POSTGRES)] backend: Backend) {
    use moss_domain::id::{CustomFieldId, TypedId};
    let mut options = Options::default();
    options.settings.reclaim_every = Duration::from_secs(1);
    let Some(app) = TestApp::start_with(backend, options) else {
        return;
    };
    let r = app
        .post(CF, json!({"entity_type": "contacts", "field_name": "tier", "field_label": "Tier", "field_type": "select", "field_options": ["gold", "silver"]}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let field = CustomFieldId::from_typeid(r.body["data"]["id"].as_str().unwrap()).unwrap();
    for i in 0..3 {
        app.contact(json!({"first_name": format!("C{i}"), "custom_fields": {"tier": "gold"}}));
    }
    let stored = |app: &TestApp| app.store.read(|tx| tx.custom_fields().count_values(field)).unwrap();
    assert_eq!(stored(&app), 3);
    let r = app.delete(&format!("{CF}/{field}")).send();
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while stored(&app) > 0 || app.store.read(|tx| tx.custom_fields().purge_pending()).unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "values still stored 15 s after the delete"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A list filtered by one defined field alone counts its matching values: a deleted record's
/// values go with it, so the total stays exact.
#[rstest]
fn a_cf_only_lists_total_follows_deletes_and_changes(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    field(&app, "contacts", "tier", "select", &["gold", "silver"]);
    let a = record(&app, "contacts", json!({"tier": "gold"}));
    let b = record(&app, "contacts", json!({"tier": "gold"}));
    let c = record(&app, "contacts", json!({"tier": "gold"}));
    assert_eq!(list(&app, "contacts", "order=asc&cf.tier=gold"), ids(&[&a, &b, &c]));
    let r = app.delete(&format!("/api/v1/contacts/{}", id(&b))).send();
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/v1/contacts/{}", id(&c)),
            json!({"custom_fields": {"tier": "silver"}}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(list(&app, "contacts", "order=asc&cf.tier=gold"), ids(&[&a]));
    assert_eq!(list(&app, "contacts", "cf.tier=silver"), ids(&[&c]));
}

/// A text filter compares the whole value, though the index holds only its first 200
/// characters: two values alike for 200 characters are told apart.
#[rstest]
fn a_text_filter_compares_past_the_indexed_prefix(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    field(&app, "contacts", "note", "text", &[]);
    let prefix = "x".repeat(200);
    let a = record(&app, "contacts", json!({"note": format!("{prefix}a")}));
    let b = record(&app, "contacts", json!({"note": format!("{prefix}b")}));
    assert_eq!(list(&app, "contacts", &format!("cf.note={prefix}a")), ids(&[&a]));
    assert_eq!(list(&app, "contacts", &format!("cf.note={prefix}b")), ids(&[&b]));
    assert_eq!(
        list(&app, "contacts", &format!("cf.note={prefix}")),
        Vec::<String>::new()
    );
}
