//! Deals: fields and their rules, tenancy, list filters and sorts, tags by type, and what
//! deleting a company, a contact or a deal does to deals (resources.md, Deals and Tags).
//! Written from the spec, black-box over HTTP.

use std::collections::BTreeMap;
use std::time::Duration;

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

/// The keys every deal has (resources.md, Deals; contract.md, Envelope: never missing keys).
const DEAL_KEYS: [&str; 15] = [
    "id",
    "name",
    "stage",
    "value",
    "currency",
    "expected_close",
    "company_id",
    "notes",
    "tags",
    "custom_fields",
    "lost_reason",
    "closed_at",
    "stage_changed_at",
    "created_at",
    "updated_at",
];

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
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

/// Microseconds since the epoch of an RFC 3339 timestamp in a record.
fn micros(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .timestamp_micros()
}

/// `%2B` for `+` and so on: a time as a query value.
fn q(t: &str) -> String {
    t.replace('+', "%2B").replace(':', "%3A")
}

/// The audit entries matching `query`, newest first.
fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    app.audit(query)
}

/// The ids of `GET /api/v1/deals?order=asc&per_page=250&{query}`, asserting a 200 and `total`.
#[track_caller]
fn list(app: &TestApp, query: &str) -> Vec<String> {
    app.list_ids(&format!("/api/v1/deals?order=asc&per_page=250&{query}"))
}

#[track_caller]
fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), fields, "{}", r.text);
}

fn link(app: &TestApp, deal: &str, contact: &str) {
    let r = app
        .post(
            &format!("/api/v1/deals/{deal}/contacts"),
            json!({"contact_id": contact}),
        )
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
}

#[rstest]
fn create_with_defaults(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app.post("/api/v1/deals", json!({"name": "  Initech renewal "})).send();
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.body["data"].clone();
    let did = id(&d);
    assert!(did.starts_with("deal_") && did.len() == 31, "{did}");
    assert_eq!(r.header("location"), Some(format!("/api/v1/deals/{did}").as_str()));
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = DEAL_KEYS.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want, "{}", r.text);
    assert!(is_rfc3339_z(&d["created_at"]), "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": {
            "id": did, "name": "Initech renewal", "stage": "lead", "value": null, "currency": "USD",
            "expected_close": null, "company_id": null, "notes": null, "tags": [], "custom_fields": {},
            "lost_reason": null, "closed_at": null,
            "stage_changed_at": d["created_at"], "created_at": d["created_at"], "updated_at": d["created_at"]
        }})
    );
    let got = app.get(&format!("/api/v1/deals/{did}")).send();
    assert_eq!((got.status, &got.body), (200, &r.body));
    // name is required, 1-200 characters.
    assert_400(&app.post("/api/v1/deals", json!({})).send(), &["name"]);
    assert_400(&app.post("/api/v1/deals", json!({"name": "  "})).send(), &["name"]);
    assert_400(
        &app.post("/api/v1/deals", json!({"name": "x".repeat(201)})).send(),
        &["name"],
    );
    assert_400(
        &app.post("/api/v1/deals", json!({"name": "A", "stage": "open"})).send(),
        &["stage"],
    );
    assert_eq!(list(&app, ""), vec![did]);
}

#[rstest]
fn every_field_round_trips(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let acme = app.company(json!({"name": "Acme"}));
    let r = app
        .post(
            "/api/v1/deals",
            json!({
                "name": "Acme expansion", "stage": "negotiation", "value": 1_234_567, "currency": "EUR",
                "expected_close": "2026-03-31", "company_id": acme["id"], "notes": "Call after the board meeting.",
                "tags": ["q1", "Enterprise"], "custom_fields": {"source": "referral", "seats": 40, "renewal": false}
            }),
        )
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.body["data"].clone();
    let did = id(&d);
    assert_eq!(
        d,
        json!({
            "id": did, "name": "Acme expansion", "stage": "negotiation", "value": 1_234_567, "currency": "EUR",
            "expected_close": "2026-03-31", "company_id": acme["id"], "notes": "Call after the board meeting.",
            "tags": ["Enterprise", "q1"], "custom_fields": {"renewal": false, "seats": 40, "source": "referral"},
            "lost_reason": null, "closed_at": null,
            "stage_changed_at": d["created_at"], "created_at": d["created_at"], "updated_at": d["created_at"]
        })
    );
    assert_eq!(app.get(&format!("/api/v1/deals/{did}")).send().body, r.body);

    // A PATCH of every client field; null clears the optional ones.
    pause();
    let other = app.company(json!({"name": "Other"}));
    let p = app
        .patch(
            &format!("/api/v1/deals/{did}"),
            json!({"name": "Renamed", "value": 5, "currency": "gbp", "expected_close": "2026-12-01",
                   "company_id": other["id"], "notes": null, "tags": ["solo"], "custom_fields": {"source": "referral", "seats": 41, "renewal": false, "extra": "x"}}),
        )
        .send();
    assert_eq!(p.status, 200, "{}", p.text);
    let mut want = d.clone();
    for (k, v) in [
        ("name", json!("Renamed")),
        ("value", json!(5)),
        ("currency", json!("GBP")),
        ("expected_close", json!("2026-12-01")),
        ("company_id", other["id"].clone()),
        ("notes", json!(null)),
        ("tags", json!(["solo"])),
        (
            "custom_fields",
            json!({"extra": "x", "renewal": false, "seats": 41, "source": "referral"}),
        ),
        ("updated_at", p.body["data"]["updated_at"].clone()),
    ] {
        want[k] = v;
    }
    assert_eq!(p.body["data"], want);
    assert!(micros(&p.body["data"]["updated_at"]) > micros(&d["updated_at"]));
    assert_eq!(
        p.body["data"]["stage_changed_at"], d["stage_changed_at"],
        "no stage change"
    );
    assert_eq!(app.get(&format!("/api/v1/deals/{did}")).send().body, p.body);
    let p = app
        .patch(
            &format!("/api/v1/deals/{did}"),
            json!({"value": null, "expected_close": null, "company_id": null}),
        )
        .send();
    assert_eq!(
        (
            p.body["data"]["value"].clone(),
            p.body["data"]["expected_close"].clone(),
            p.body["data"]["company_id"].clone()
        ),
        (json!(null), json!(null), json!(null)),
        "{}",
        p.text
    );
    // Required and server-set fields.
    assert_400(
        &app.patch(&format!("/api/v1/deals/{did}"), json!({"name": null})).send(),
        &["name"],
    );
    let r = app
        .patch(
            &format!("/api/v1/deals/{did}"),
            json!({"closed_at": "2026-01-01T00:00:00Z", "stage_changed_at": "2026-01-01T00:00:00Z"}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(sorted(r.fields()), ["closed_at", "stage_changed_at"], "{}", r.text);
    assert_400(
        &app.post("/api/v1/deals", json!({"name": "A", "expected_close": "31/03/2026"}))
            .send(),
        &["expected_close"],
    );

    // Created straight into won: closed_at is set at once.
    let won = app.deal(json!({"name": "Signed", "stage": "won"}));
    assert_eq!(won["stage"], "won");
    assert!(is_rfc3339_z(&won["closed_at"]), "{won}");
    assert_eq!(won["stage_changed_at"], won["created_at"]);
    // Created lost with a reason.
    let lost = app.deal(json!({"name": "Gone", "stage": "lost", "lost_reason": "Budget"}));
    assert_eq!(
        (lost["stage"].clone(), lost["lost_reason"].clone()),
        (json!("lost"), json!("Budget"))
    );
    assert!(is_rfc3339_z(&lost["closed_at"]), "{lost}");
}

#[rstest]
fn currency_is_stored_upper_case_and_must_be_a_known_code(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d = app.deal(json!({"name": "A", "currency": "eur"}));
    assert_eq!(d["currency"], "EUR");
    assert_eq!(app.deal(json!({"name": "B", "currency": "JPY"}))["currency"], "JPY");
    for bad in [
        json!("XYZ"),
        json!("ZZZ"),
        json!("EURO"),
        json!("US"),
        json!("U$D"),
        json!(978),
    ] {
        let r = app.post("/api/v1/deals", json!({"name": "C", "currency": bad})).send();
        assert_400(&r, &["currency"]);
    }
    let did = id(&d);
    assert_400(
        &app.patch(&format!("/api/v1/deals/{did}"), json!({"currency": "XYZ"}))
            .send(),
        &["currency"],
    );
    let p = app
        .patch(&format!("/api/v1/deals/{did}"), json!({"currency": "chf"}))
        .send();
    assert_eq!(
        (p.status, p.body["data"]["currency"].clone()),
        (200, json!("CHF")),
        "{}",
        p.text
    );
    assert_eq!(list(&app, "").len(), 2);
}

#[rstest]
fn value_is_integer_cents_up_to_2_pow_53_minus_1(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    for bad in [
        json!(-1),
        json!(9_007_199_254_740_992_u64),
        json!(1.5),
        json!("100"),
        json!(true),
        json!(18_446_744_073_709_551_615_u64),
    ] {
        let r = app.post("/api/v1/deals", json!({"name": "A", "value": bad})).send();
        assert_400(&r, &["value"]);
    }
    // 2^53 - 1 is accepted and comes back exactly, as an integer.
    let max = app.deal(json!({"name": "Max", "value": 9_007_199_254_740_991_u64}));
    assert_eq!(max["value"].as_u64(), Some(9_007_199_254_740_991), "{max}");
    let got = app.get(&format!("/api/v1/deals/{}", id(&max))).send();
    assert_eq!(got.body["data"]["value"].as_u64(), Some(9_007_199_254_740_991));
    assert!(got.text.contains("9007199254740991"), "{}", got.text);
    // 100.0 is the integer 100.
    let r = app
        .post("/api/v1/deals", json!({"name": "Round", "value": 100.0}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["data"]["value"].is_u64(), "{}", r.text);
    assert_eq!(r.body["data"]["value"], 100);
    assert_eq!(app.deal(json!({"name": "Zero", "value": 0}))["value"], 0);
    // PATCH checks the same.
    let did = id(&max);
    for bad in [json!(-1), json!(9_007_199_254_740_992_u64), json!(1.5)] {
        let r = app.patch(&format!("/api/v1/deals/{did}"), json!({"value": bad})).send();
        assert_400(&r, &["value"]);
    }
    assert_eq!(
        app.get(&format!("/api/v1/deals/{did}")).send().body["data"]["value"].as_u64(),
        Some(9_007_199_254_740_991)
    );
    assert_eq!(list(&app, "").len(), 3);
}

#[rstest]
fn lost_reason_only_on_a_lost_deal(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    assert_400(
        &app.post("/api/v1/deals", json!({"name": "A", "lost_reason": "Price"}))
            .send(),
        &["lost_reason"],
    );
    assert_400(
        &app.post(
            "/api/v1/deals",
            json!({"name": "A", "stage": "won", "lost_reason": "Price"}),
        )
        .send(),
        &["lost_reason"],
    );
    assert_400(
        &app.post(
            "/api/v1/deals",
            json!({"name": "A", "stage": "lost", "lost_reason": "x".repeat(501)}),
        )
        .send(),
        &["lost_reason"],
    );
    assert_eq!(list(&app, "").len(), 0, "nothing created");
    let d = app.deal(json!({"name": "Open", "stage": "prospect"}));
    let did = id(&d);
    assert_400(
        &app.patch(&format!("/api/v1/deals/{did}"), json!({"lost_reason": "Price"}))
            .send(),
        &["lost_reason"],
    );
    assert_400(
        &app.patch(
            &format!("/api/v1/deals/{did}"),
            json!({"stage": "negotiation", "lost_reason": "Price"}),
        )
        .send(),
        &["lost_reason"],
    );
    assert_eq!(
        app.get(&format!("/api/v1/deals/{did}")).send().body["data"],
        d,
        "unchanged"
    );
    // Becoming lost in the same request allows it; on a lost deal it may change.
    let p = app
        .patch(
            &format!("/api/v1/deals/{did}"),
            json!({"stage": "lost", "lost_reason": "Price"}),
        )
        .send();
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["data"]["lost_reason"], "Price");
    let p = app
        .patch(&format!("/api/v1/deals/{did}"), json!({"lost_reason": "Timing"}))
        .send();
    assert_eq!(
        (p.status, p.body["data"]["lost_reason"].clone()),
        (200, json!("Timing"))
    );
    // 500 characters is the limit.
    let p = app
        .patch(&format!("/api/v1/deals/{did}"), json!({"lost_reason": "y".repeat(500)}))
        .send();
    assert_eq!(p.status, 200, "{}", p.text);
    assert_400(
        &app.patch(&format!("/api/v1/deals/{did}"), json!({"lost_reason": "y".repeat(501)}))
            .send(),
        &["lost_reason"],
    );
}

#[rstest]
fn company_id_must_be_a_company_of_the_workspace(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/companies", json!({"name": "Theirs"}))
        .key(&other)
        .send()
        .body["data"]["id"]
        .clone();
    assert!(theirs.is_string());
    for bad in [
        theirs.clone(),
        json!("cmp_01h455vb4pex5vsknk084sn02q"),
        json!("cnt_01h455vb4pex5vsknk084sn02q"),
        json!("nope"),
        json!(7),
    ] {
        let r = app
            .post("/api/v1/deals", json!({"name": "A", "company_id": bad}))
            .send();
        assert_400(&r, &["company_id"]);
    }
    assert_eq!(list(&app, "").len(), 0);
    let d = app.deal(json!({"name": "A"}));
    let did = id(&d);
    for bad in [theirs, json!("cmp_01h455vb4pex5vsknk084sn02q")] {
        let r = app
            .patch(&format!("/api/v1/deals/{did}"), json!({"company_id": bad}))
            .send();
        assert_400(&r, &["company_id"]);
    }
    assert_eq!(app.get(&format!("/api/v1/deals/{did}")).send().body["data"], d);
    let mine = app.company(json!({"name": "Mine"}));
    let p = app
        .patch(&format!("/api/v1/deals/{did}"), json!({"company_id": mine["id"]}))
        .send();
    assert_eq!(p.body["data"]["company_id"], mine["id"], "{}", p.text);
}

#[rstest]
fn another_workspaces_deal_is_not_found(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let other = app.other_workspace("other");
    let r = app
        .post("/api/v1/deals", json!({"name": "Theirs", "value": 10}))
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let theirs = r.body["data"].clone();
    let tid = id(&theirs);
    let path = format!("/api/v1/deals/{tid}");
    app.get(&path).send().assert_error(404, "NOT_FOUND");
    app.patch(&path, json!({"name": "Mine now"}))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.delete(&path).send().assert_error(404, "NOT_FOUND");
    app.patch(&format!("{path}/stage"), json!({"stage": "won"}))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.get(&format!("{path}/stages")).send().assert_error(404, "NOT_FOUND");
    app.get(&format!("{path}/contacts"))
        .send()
        .assert_error(404, "NOT_FOUND");
    let mine = id(&app.contact(json!({"first_name": "Mine"})));
    app.post(&format!("{path}/contacts"), json!({"contact_id": mine}))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.delete(&format!("{path}/contacts/{mine}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    let r = app
        .patch("/api/v1/deals/bulk-stage", json!({"deal_ids": [tid], "stage": "won"}))
        .send();
    assert_400(&r, &["deal_ids[0]"]);
    // A deal that never existed answers the same.
    app.get("/api/v1/deals/deal_01h455vb4pex5vsknk084sn02q")
        .send()
        .assert_error(404, "NOT_FOUND");
    app.get("/api/v1/deals/cnt_01h455vb4pex5vsknk084sn02q")
        .send()
        .assert_error(404, "NOT_FOUND");
    assert_eq!(list(&app, ""), Vec::<String>::new());
    let still = app.get(&path).key(&other).send();
    assert_eq!((still.status, &still.body["data"]), (200, &theirs));
}

#[rstest]
fn list_filters(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = id(&app.company(json!({"name": "A"})));
    let b = id(&app.company(json!({"name": "B"})));
    let x = id(&app.contact(json!({"first_name": "X"})));
    let y = id(&app.contact(json!({"first_name": "Y"})));
    let f: Vec<String> = [
        json!({"name": "Renewal Acme", "stage": "lead", "value": 1000, "expected_close": "2026-03-01", "company_id": a, "tags": ["VIP"], "notes": "first"}),
        json!({"name": "Expansion", "stage": "prospect", "value": 2000, "expected_close": "2026-03-15", "company_id": b, "notes": "renewal talk"}),
        json!({"name": "Pilot", "stage": "won", "company_id": a, "tags": ["vip", "beta"]}),
        json!({"name": "Upsell", "stage": "negotiation", "value": 3000, "expected_close": "2026-04-01"}),
        json!({"name": "Lost one", "stage": "lost", "value": 0, "expected_close": "2026-02-28"}),
    ]
    .into_iter()
    .map(|body| id(&app.deal(body)))
    .collect();
    link(&app, &f[0], &x);
    link(&app, &f[3], &x);
    link(&app, &f[1], &y);
    let ids = |idx: &[usize]| idx.iter().map(|&i| f[i].clone()).collect::<Vec<_>>();
    let other = app.other_workspace("other");
    let theirs = app
        .post(
            "/api/v1/deals",
            json!({"name": "Renewal theirs", "stage": "lead", "value": 1000}),
        )
        .key(&other)
        .send();
    assert_eq!(theirs.status, 201);

    assert_eq!(list(&app, ""), ids(&[0, 1, 2, 3, 4]));
    // stage: one, or a comma list.
    assert_eq!(list(&app, "stage=lead"), ids(&[0]));
    assert_eq!(list(&app, "stage=lead,prospect"), ids(&[0, 1]));
    assert_eq!(list(&app, "stage=won,lost"), ids(&[2, 4]));
    assert_eq!(list(&app, "stage=negotiation"), ids(&[3]));
    assert_400(&app.get("/api/v1/deals?stage=lead,bogus").send(), &["stage"]);
    assert_400(&app.get("/api/v1/deals?stage=open").send(), &["stage"]);
    // company_id.
    assert_eq!(list(&app, &format!("company_id={a}")), ids(&[0, 2]));
    assert_eq!(list(&app, &format!("company_id={b}")), ids(&[1]));
    assert_eq!(list(&app, "company_id=cmp_01h455vb4pex5vsknk084sn02q"), ids(&[]));
    assert_400(&app.get("/api/v1/deals?company_id=nope").send(), &["company_id"]);
    // contact_id: deals linked to that contact.
    assert_eq!(list(&app, &format!("contact_id={x}")), ids(&[0, 3]));
    assert_eq!(list(&app, &format!("contact_id={y}")), ids(&[1]));
    assert_eq!(list(&app, "contact_id=cnt_01h455vb4pex5vsknk084sn02q"), ids(&[]));
    assert_400(
        &app.get("/api/v1/deals?contact_id=cmp_01h455vb4pex5vsknk084sn02q")
            .send(),
        &["contact_id"],
    );
    // min_value / max_value, inclusive; a deal without a value has none to compare.
    assert_eq!(list(&app, "min_value=2000"), ids(&[1, 3]));
    assert_eq!(list(&app, "max_value=2000"), ids(&[0, 1, 4]));
    assert_eq!(list(&app, "min_value=1000&max_value=2000"), ids(&[0, 1]));
    assert_eq!(list(&app, "min_value=2000&max_value=2000"), ids(&[1]));
    assert_eq!(list(&app, "min_value=0&max_value=0"), ids(&[4]));
    assert_400(
        &app.get("/api/v1/deals?min_value=3001&max_value=3000").send(),
        &["min_value"],
    );
    assert_400(&app.get("/api/v1/deals?min_value=abc").send(), &["min_value"]);
    assert_400(&app.get("/api/v1/deals?max_value=1.5").send(), &["max_value"]);
    // expected_close_before / after, inclusive dates.
    assert_eq!(list(&app, "expected_close_after=2026-03-01"), ids(&[0, 1, 3]));
    assert_eq!(list(&app, "expected_close_before=2026-03-15"), ids(&[0, 1, 4]));
    assert_eq!(
        list(&app, "expected_close_after=2026-03-01&expected_close_before=2026-03-15"),
        ids(&[0, 1])
    );
    assert_eq!(
        list(&app, "expected_close_after=2026-03-15&expected_close_before=2026-03-15"),
        ids(&[1])
    );
    assert_400(
        &app.get("/api/v1/deals?expected_close_before=tomorrow").send(),
        &["expected_close_before"],
    );
    assert_400(
        &app.get("/api/v1/deals?expected_close_after=2026-02-30").send(),
        &["expected_close_after"],
    );
    // tag, case-insensitively.
    assert_eq!(list(&app, "tag=vip"), ids(&[0, 2]));
    assert_eq!(list(&app, "tag=BETA"), ids(&[2]));
    assert_eq!(list(&app, "tag=none"), ids(&[]));
    // q: name and notes, every word a prefix.
    assert_eq!(list(&app, "q=renew"), ids(&[0, 1]));
    assert_eq!(list(&app, "q=PIL"), ids(&[2]));
    assert_eq!(list(&app, "q=acme%20renewal"), ids(&[0]));
    assert_eq!(list(&app, "q=talk"), ids(&[1]));
    assert_eq!(list(&app, "q=first"), ids(&[0]));
    assert_eq!(list(&app, "q=zzz"), ids(&[]));
    // Punctuation and operators are plain text: never an error ("or" matches nothing here).
    assert_eq!(list(&app, "q=%22renew%28*%20OR"), ids(&[]));
    list(&app, "q=%2A%22%28%29%3A-%5E");
    // Filters combine with AND.
    assert_eq!(
        list(&app, &format!("stage=lead,won&tag=vip&company_id={a}")),
        ids(&[0, 2])
    );
    assert_eq!(list(&app, "stage=won&tag=vip"), ids(&[2]));
    assert_eq!(list(&app, "q=renew&stage=prospect"), ids(&[1]));
    assert_eq!(list(&app, &format!("contact_id={x}&min_value=2000")), ids(&[3]));
    assert_400(&app.get("/api/v1/deals?colour=red").send(), &["colour"]);
}

/// The expected order of `deals` under `sort`, from the spec's rules: nulls last in both
/// directions, text lower-cased, ties by id in the same direction.
fn expected_order(deals: &[Value], sort: &str, desc: bool) -> Vec<String> {
    let key = |d: &Value| -> Option<String> {
        let v = &d[sort];
        match sort {
            _ if v.is_null() => None,
            "name" => Some(v.as_str().unwrap().to_lowercase()),
            "value" => Some(format!("{:020}", v.as_u64().unwrap())),
            "expected_close" => Some(v.as_str().unwrap().to_owned()),
            _ => Some(format!("{:020}", micros(v))),
        }
    };
    let mut rows: Vec<(Option<String>, String)> = deals.iter().map(|d| (key(d), id(d))).collect();
    rows.sort_by(|(ka, ia), (kb, ib)| {
        let by_key = match (ka, kb) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => {
                if desc {
                    b.cmp(a)
                } else {
                    a.cmp(b)
                }
            }
        };
        by_key.then_with(|| if desc { ib.cmp(ia) } else { ia.cmp(ib) })
    });
    rows.into_iter().map(|(_, i)| i).collect()
}

#[rstest]
fn every_sort_in_both_orders_with_nulls_last(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let made: Vec<String> = [
        json!({"name": "bravo", "value": 500, "expected_close": "2026-05-01"}),
        json!({"name": "Alpha"}),
        json!({"name": "charlie", "value": 100, "expected_close": "2026-03-01"}),
        json!({"name": "Delta", "value": 500, "expected_close": "2026-03-01"}),
        json!({"name": "echo", "expected_close": "2026-07-01"}),
        json!({"name": "BRAVO", "value": 9_007_199_254_740_991_u64}),
    ]
    .into_iter()
    .map(|body| {
        pause();
        id(&app.deal(body))
    })
    .collect();
    // Make updated_at and stage_changed_at orders differ from created_at's.
    pause();
    let r = app
        .patch(&format!("/api/v1/deals/{}", made[2]), json!({"stage": "prospect"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    pause();
    let r = app
        .patch(&format!("/api/v1/deals/{}", made[0]), json!({"notes": "touched"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    pause();
    let r = app
        .patch(&format!("/api/v1/deals/{}/stage", made[4]), json!({"stage": "won"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let deals: Vec<Value> = made
        .iter()
        .map(|i| app.get(&format!("/api/v1/deals/{i}")).send().body["data"].clone())
        .collect();

    for sort in [
        "created_at",
        "updated_at",
        "name",
        "value",
        "expected_close",
        "stage_changed_at",
    ] {
        for order in ["asc", "desc"] {
            let r = app
                .get(&format!("/api/v1/deals?sort={sort}&order={order}&per_page=250"))
                .send();
            assert_eq!(r.status, 200, "{sort} {order}: {}", r.text);
            assert_eq!(
                r.ids(),
                expected_order(&deals, sort, order == "desc"),
                "sort={sort}&order={order}"
            );
        }
        // Paging through one at a time neither repeats nor skips.
        let paged: Vec<String> = (1..=deals.len())
            .flat_map(|p| {
                app.get(&format!("/api/v1/deals?sort={sort}&per_page=1&page={p}"))
                    .send()
                    .ids()
            })
            .collect();
        assert_eq!(paged, expected_order(&deals, sort, true), "paged sort={sort}");
    }
    // Default: created_at desc.
    assert_eq!(
        app.get("/api/v1/deals").send().ids(),
        expected_order(&deals, "created_at", true)
    );
    let r = app.get("/api/v1/deals?sort=stage").send();
    assert_400(&r, &["sort"]);
}

#[rstest]
fn the_sync_window_works_on_deals(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let made: Vec<Value> = (0..3)
        .map(|i| {
            pause();
            app.deal(json!({"name": format!("D{i}"), "stage": if i == 1 { "won" } else { "lead" }}))
        })
        .collect();
    let ids: Vec<String> = made.iter().map(id).collect();
    let t: Vec<String> = made
        .iter()
        .map(|d| d["created_at"].as_str().unwrap().to_owned())
        .collect();
    assert!(t[0] < t[1] && t[1] < t[2], "{t:?}");
    assert_eq!(list(&app, &format!("created_after={}", q(&t[1]))), ids[1..].to_vec());
    assert_eq!(list(&app, &format!("created_before={}", q(&t[1]))), ids[..2].to_vec());
    assert_eq!(
        list(&app, &format!("created_after={}&created_before={}", q(&t[1]), q(&t[1]))),
        vec![ids[1].clone()]
    );
    assert_eq!(
        list(&app, &format!("created_after={}&stage=lead", q(&t[1]))),
        vec![ids[2].clone()]
    );
    pause();
    let changed = app
        .patch(&format!("/api/v1/deals/{}", ids[0]), json!({"notes": "later"}))
        .send();
    let u0 = changed.body["data"]["updated_at"].as_str().unwrap().to_owned();
    assert!(u0 > t[2]);
    assert_eq!(list(&app, &format!("updated_after={}", q(&u0))), vec![ids[0].clone()]);
    assert_eq!(list(&app, &format!("updated_before={}", q(&t[2]))), ids[1..].to_vec());
    for bad in ["created_after=yesterday", "updated_before=2026-01-31"] {
        let r = app.get(&format!("/api/v1/deals?{bad}")).send();
        assert_400(&r, &[bad.split('=').next().unwrap()]);
    }
}

/// `GET /api/v1/tags?{query}` as name -> count.
fn tags(app: &TestApp, query: &str) -> BTreeMap<String, u64> {
    let r = app.get(&format!("/api/v1/tags?per_page=250&{query}")).send();
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t["count"].as_u64().unwrap()))
        .collect()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
}

#[rstest]
fn tags_count_contacts_companies_and_deals(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    app.contact(json!({"first_name": "C", "tags": ["vip", "c-only"]}));
    app.company(json!({"name": "Co", "tags": ["VIP", "co-only"]}));
    let d = app.deal(json!({"name": "D", "tags": ["Vip", "d-only"]}));
    assert_eq!(d["tags"], json!(["d-only", "vip"]), "the first spelling is kept");
    app.deal(json!({"name": "D2", "tags": ["vip"]}));
    let other = app.other_workspace("other");
    let r = app
        .post("/api/v1/deals", json!({"name": "Theirs", "tags": ["vip", "theirs"]}))
        .key(&other)
        .send();
    assert_eq!(r.status, 201);

    assert_eq!(
        tags(&app, ""),
        counts(&[("vip", 4), ("c-only", 1), ("co-only", 1), ("d-only", 1)])
    );
    let r = app.get("/api/v1/tags").send();
    assert_eq!(
        r.body["data"][0],
        json!({"name": "vip", "count": 4}),
        "count desc by default"
    );
    assert_eq!(tags(&app, "type=deals"), counts(&[("vip", 2), ("d-only", 1)]));
    assert_eq!(tags(&app, "type=contacts"), counts(&[("vip", 1), ("c-only", 1)]));
    assert_eq!(tags(&app, "type=companies"), counts(&[("vip", 1), ("co-only", 1)]));
    let r = app.get("/api/v1/tags?type=deals").send();
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 25, "total": 2, "total_pages": 1})
    );
    assert_400(&app.get("/api/v1/tags?type=people").send(), &["type"]);
    // Deleting a deal drops its counts.
    app.delete(&format!("/api/v1/deals/{}", id(&d))).send();
    assert_eq!(tags(&app, "type=deals"), counts(&[("vip", 1)]));
    assert_eq!(tags(&app, ""), counts(&[("vip", 3), ("c-only", 1), ("co-only", 1)]));
}

#[rstest]
fn deleting_a_company_clears_company_id_on_its_contacts_and_deals(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let company = app.company(json!({"name": "Acme"}));
    let cmp = id(&company);
    let contacts: Vec<Value> = (0..2)
        .map(|i| app.contact(json!({"first_name": format!("C{i}"), "company_id": cmp})))
        .collect();
    let deals: Vec<Value> = (0..2)
        .map(|i| app.deal(json!({"name": format!("D{i}"), "company_id": cmp, "value": 10})))
        .collect();
    let bystander_contact = app.contact(json!({"first_name": "Solo"}));
    let bystander_deal = app.deal(json!({"name": "Solo"}));
    pause();
    let r = app
        .delete(&format!("/api/v1/companies/{cmp}"))
        .header("X-Request-Id", "req-delete-company")
        .send();
    assert_eq!((r.status, r.body.clone()), (200, json!({"data": null})), "{}", r.text);

    for (path, before) in contacts
        .iter()
        .map(|c| ("contacts", c))
        .chain(deals.iter().map(|d| ("deals", d)))
    {
        let after = app.get(&format!("/api/v1/{path}/{}", id(before))).send();
        assert_eq!(after.status, 200, "{}", after.text);
        let after = after.body["data"].clone();
        assert_eq!(after["company_id"], json!(null), "{after}");
        assert!(
            micros(&after["updated_at"]) > micros(&before["updated_at"]),
            "the server's change moves updated_at: {before} -> {after}"
        );
        let mut want = before.clone();
        want["company_id"] = json!(null);
        want["updated_at"] = after["updated_at"].clone();
        assert_eq!(after, want, "nothing else changed");
    }
    for (path, before) in [("contacts", &bystander_contact), ("deals", &bystander_deal)] {
        let after = app.get(&format!("/api/v1/{path}/{}", id(before))).send();
        assert_eq!(&after.body["data"], before, "a record of no company is untouched");
    }
    assert_eq!(list(&app, &format!("company_id={cmp}")), Vec::<String>::new());

    // One entry, company.deleted, listing what was cleared.
    let entries = audit(&app, "request_id=req-delete-company");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone()),
        (json!("company.deleted"), json!(cmp))
    );
    let cleared = &e["metadata"]["cleared"];
    for (kind, records) in [("contacts", &contacts), ("deals", &deals)] {
        assert_eq!(cleared[kind]["count"], 2, "{e}");
        let got: Vec<String> = cleared[kind]["ids"]
            .as_array()
            .unwrap_or_else(|| panic!("metadata.cleared.{kind}.ids: {e}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(sorted(got), sorted(records.iter().map(id).collect()), "{e}");
    }
    assert_eq!(
        e["metadata"],
        json!({"cleared": {
            "contacts": {"count": 2, "ids": cleared["contacts"]["ids"]},
            "deals": {"count": 2, "ids": cleared["deals"]["ids"]}
        }})
    );
}

#[rstest]
fn deleting_a_contact_removes_its_deal_links_and_keeps_its_deals(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let c = id(&app.contact(json!({"first_name": "Jane"})));
    let c2 = id(&app.contact(json!({"first_name": "Bob"})));
    let d1 = app.deal(json!({"name": "One"}));
    let d2 = app.deal(json!({"name": "Two"}));
    let (i1, i2) = (id(&d1), id(&d2));
    link(&app, &i1, &c);
    link(&app, &i2, &c);
    link(&app, &i1, &c2);
    let r = app
        .delete(&format!("/api/v1/contacts/{c}"))
        .header("X-Request-Id", "req-delete-contact")
        .send();
    assert_eq!((r.status, r.body.clone()), (200, json!({"data": null})), "{}", r.text);
    // The deals stay; only the links went.
    for d in [&d1, &d2] {
        let got = app.get(&format!("/api/v1/deals/{}", id(d))).send();
        assert_eq!(got.status, 200, "{}", got.text);
    }
    let links = app.get(&format!("/api/v1/deals/{i1}/contacts")).send();
    let linked: Vec<_> = links.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["contact_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(linked, vec![c2.clone()], "{}", links.text);
    let links = app.get(&format!("/api/v1/deals/{i2}/contacts")).send();
    assert_eq!(
        (links.body["data"].clone(), links.body["meta"]["total"].clone()),
        (json!([]), json!(0))
    );
    assert_eq!(list(&app, &format!("contact_id={c}")), Vec::<String>::new());
    assert_eq!(list(&app, &format!("contact_id={c2}")), vec![i1.clone()]);

    let entries = audit(&app, "request_id=req-delete-contact");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone()),
        (json!("contact.deleted"), json!(c))
    );
    let gone = &e["metadata"]["deleted"]["deal_links"];
    assert_eq!(gone["count"], 2, "{e}");
    let got: Vec<String> = gone["ids"]
        .as_array()
        .unwrap_or_else(|| panic!("metadata.deleted.deal_links.ids: {e}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sorted(got), sorted(vec![i1, i2]), "the deal ids: {e}");
    assert!(gone.get("truncated").is_none_or(|t| t == &json!(false)), "{e}");
    // The other cascades (interactions, commitments, follow-ups) had nothing to take.
    for (kind, v) in e["metadata"]["deleted"].as_object().unwrap() {
        if kind != "deal_links" {
            assert_eq!(v["count"], 0, "{kind}: {e}");
        }
    }
}

#[rstest]
fn deleting_a_deal_removes_its_links_and_keeps_the_contact(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let contact = app.contact(json!({"first_name": "Jane"}));
    let c = id(&contact);
    let d = id(&app.deal(json!({"name": "Doomed"})));
    let keep = id(&app.deal(json!({"name": "Kept"})));
    link(&app, &d, &c);
    link(&app, &keep, &c);
    let r = app
        .delete(&format!("/api/v1/deals/{d}"))
        .header("X-Request-Id", "req-delete-deal")
        .send();
    assert_eq!((r.status, r.body.clone()), (200, json!({"data": null})), "{}", r.text);
    app.get(&format!("/api/v1/deals/{d}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.get(&format!("/api/v1/deals/{d}/contacts"))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.delete(&format!("/api/v1/deals/{d}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    let got = app.get(&format!("/api/v1/contacts/{c}")).send();
    assert_eq!((got.status, &got.body["data"]), (200, &contact));
    assert_eq!(list(&app, &format!("contact_id={c}")), vec![keep.clone()]);
    let links = app.get(&format!("/api/v1/deals/{keep}/contacts")).send();
    assert_eq!(links.body["meta"]["total"], 1, "{}", links.text);
    let entries = audit(&app, "request_id=req-delete-deal");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (entries[0]["event_type"].clone(), entries[0]["target_id"].clone()),
        (json!("deal.deleted"), json!(d))
    );
}
