//! Commitments: fields and their rules, completion (`/complete` and a PATCH of `status`), list
//! filters (`overdue` with `tz` included) and sorts, tenancy, and what deleting a contact or a
//! deal does to them (resources.md, Commitments; Dates; References between engagement records).
//! Written from the spec, black-box over HTTP.

use chrono::NaiveDate;
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::engagement_support::*;
use crate::support::*;

/// The keys every commitment has, and no others (no tags, no custom fields).
const KEYS: [&str; 9] = [
    "completed_at",
    "contact_id",
    "created_at",
    "deal_id",
    "description",
    "due_date",
    "id",
    "status",
    "updated_at",
];

fn path(cid: &str) -> String {
    format!("/api/v1/commitments/{cid}")
}

fn commit(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/commitments", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

#[track_caller]
fn get(app: &TestApp, cid: &str) -> Value {
    let r = app.get(&path(cid)).send();
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

/// `PATCH /api/v1/commitments/:id/complete` with no body at all.
fn complete(app: &TestApp, cid: &str) -> Resp {
    app.req("PATCH", &format!("{}/complete", path(cid))).send()
}

/// The ids of `GET /api/v1/commitments?per_page=250&{query}`.
#[track_caller]
fn list(app: &TestApp, query: &str) -> Vec<String> {
    app.list_ids(&format!("/api/v1/commitments?per_page=250&{query}"))
}

#[rstest]
fn create_with_defaults_read_and_delete(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let r = app
        .post(
            "/api/v1/commitments",
            json!({"contact_id": ada["id"], "description": "  Send the deck "}),
        )
        .header("X-Request-Id", "req-cmt-create")
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let c = r.body["data"].clone();
    let cid = id(&c);
    assert!(cid.starts_with("cmt_") && cid.len() == 30, "{cid}");
    assert_eq!(r.header("location"), Some(path(&cid).as_str()));
    let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, KEYS, "{}", r.text);
    assert!(is_rfc3339_z(&c["created_at"]), "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": {
            "id": cid, "contact_id": ada["id"], "description": "Send the deck", "deal_id": null,
            "due_date": null, "status": "open", "completed_at": null,
            "created_at": c["created_at"], "updated_at": c["created_at"]
        }})
    );
    let got = app.get(&path(&cid)).send();
    assert_eq!((got.status, &got.body), (200, &r.body));
    assert_eq!(list(&app, ""), vec![cid.clone()]);
    let e = only_entry(&app, "req-cmt-create");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("commitment.created"), json!("commitment"), json!(cid)),
        "{e}"
    );
    // Another resource's id in the path is not found.
    app.get(&path(ada["id"].as_str().unwrap()))
        .send()
        .assert_error(404, "NOT_FOUND");

    let d = app.delete(&path(&cid)).header("X-Request-Id", "req-cmt-delete").send();
    assert_eq!((d.status, &d.body), (200, &json!({"data": null})), "{}", d.text);
    app.get(&path(&cid)).send().assert_error(404, "NOT_FOUND");
    app.delete(&path(&cid)).send().assert_error(404, "NOT_FOUND");
    complete(&app, &cid).assert_error(404, "NOT_FOUND");
    assert!(list(&app, "").is_empty());
    let e = only_entry(&app, "req-cmt-delete");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("commitment.deleted"), json!("commitment"), json!(cid)),
        "{e}"
    );
}

#[rstest]
fn every_field_round_trips_and_a_patch_changes_only_what_is_sent(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let other_deal = app.deal(json!({"name": "Expansion"}));
    // The deal need not be linked to the contact (it is not).
    let c = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Send the order form", "deal_id": deal["id"],
               "due_date": "2026-04-15", "status": "open"}),
    );
    let cid = id(&c);
    assert_eq!(
        c,
        json!({"id": cid, "contact_id": ada["id"], "description": "Send the order form", "deal_id": deal["id"],
               "due_date": "2026-04-15", "status": "open", "completed_at": null,
               "created_at": c["created_at"], "updated_at": c["created_at"]})
    );
    assert_eq!(get(&app, &cid), c);

    pause();
    let r = app
        .patch(
            &path(&cid),
            json!({"description": " Send the countersigned form ", "due_date": "2026-04-30", "deal_id": other_deal["id"]}),
        )
        .header("X-Request-Id", "req-cmt-update")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let p = r.body["data"].clone();
    let mut want = c.clone();
    want["description"] = json!("Send the countersigned form");
    want["due_date"] = json!("2026-04-30");
    want["deal_id"] = other_deal["id"].clone();
    want["updated_at"] = p["updated_at"].clone();
    assert_eq!(p, want);
    assert!(micros(&p["updated_at"]) > micros(&c["updated_at"]), "{p}");
    assert_eq!(get(&app, &cid), p);
    let e = only_entry(&app, "req-cmt-update");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("commitment.updated"), json!("commitment"), json!(cid)),
        "{e}"
    );
    assert_eq!(
        e["metadata"],
        json!({"changes": {
            "deal_id": change(&deal["id"], &other_deal["id"]),
            "description": change(&json!("Send the order form"), &json!("Send the countersigned form")),
            "due_date": change(&json!("2026-04-15"), &json!("2026-04-30")),
        }}),
        "{e}"
    );

    // null clears the optional fields.
    let r = app
        .patch(&path(&cid), json!({"deal_id": null, "due_date": null}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let cleared = r.body["data"].clone();
    assert_eq!(
        (
            cleared["deal_id"].clone(),
            cleared["due_date"].clone(),
            cleared["status"].clone()
        ),
        (json!(null), json!(null), json!("open")),
        "{}",
        r.text
    );
    // An empty PATCH, or one repeating the current values, changes nothing: no entry, same updated_at.
    let entries = audit(&app, &format!("target_id={cid}")).len();
    pause();
    for body in [
        json!({}),
        json!({"description": "Send the countersigned form", "due_date": null, "status": "open"}),
    ] {
        let r = app.patch(&path(&cid), body.clone()).send();
        assert_eq!((r.status, &r.body["data"]), (200, &cleared), "{body}: {}", r.text);
    }
    assert_eq!(audit(&app, &format!("target_id={cid}")).len(), entries);

    // description is required: never null or blank; server-set fields are not writable.
    for bad in [json!(null), json!("   "), json!("x".repeat(2001))] {
        assert_400(
            &app.patch(&path(&cid), json!({"description": bad})).send(),
            &["description"],
        );
    }
    assert_400(
        &app.patch(
            &path(&cid),
            json!({"id": cid, "completed_at": "2026-01-01T00:00:00Z", "created_at": "2026-01-01T00:00:00Z"}),
        )
        .send(),
        &["completed_at", "created_at", "id"],
    );
    assert_400(
        &app.patch(&path(&cid), json!({"due_date": "tomorrow"})).send(),
        &["due_date"],
    );
    assert_400(&app.patch(&path(&cid), json!({"status": "done"})).send(), &["status"]);
    assert_eq!(get(&app, &cid), cleared, "a rejected PATCH changes nothing");

    // Up to 2,000 characters (characters, not bytes); a bare UUID names the same contact.
    let uuid = moss_domain::id::ContactId::parse(ada["id"].as_str().unwrap())
        .unwrap()
        .uuid()
        .hyphenated()
        .to_string();
    let long = commit(&app, json!({"contact_id": uuid, "description": "é".repeat(2000)}));
    assert_eq!(long["contact_id"], ada["id"]);
    assert_eq!(long["description"].as_str().unwrap().chars().count(), 2000);
}

#[rstest]
fn bad_input_is_named_and_logs_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    let their_deal = app.post("/api/v1/deals", json!({"name": "Theirs"})).key(&other).send();
    let ok = json!({"contact_id": ada["id"], "description": "Send the deck"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["contact_id", "description"]),
        (with("description", json!("  ")), vec!["description"]),
        (with("description", json!(null)), vec!["description"]),
        (with("description", json!("x".repeat(2001))), vec!["description"]),
        (with("description", json!(42)), vec!["description"]),
        (with("status", json!("done")), vec!["status"]),
        (with("status", json!("Open")), vec!["status"]),
        (with("status", json!(true)), vec!["status"]),
        (with("due_date", json!("2026-13-01")), vec!["due_date"]),
        (with("due_date", json!("2026-02-30")), vec!["due_date"]),
        (with("due_date", json!("tomorrow")), vec!["due_date"]),
        (with("due_date", json!("2026-4-1")), vec!["due_date"]),
        (with("due_date", json!("2026-04-01T00:00:00Z")), vec!["due_date"]),
        (with("due_date", json!(20_260_401)), vec!["due_date"]),
        (with("contact_id", json!("nope")), vec!["contact_id"]),
        (with("contact_id", deal["id"].clone()), vec!["contact_id"]),
        (
            with("contact_id", theirs.body["data"]["id"].clone()),
            vec!["contact_id"],
        ),
        (with("deal_id", their_deal.body["data"]["id"].clone()), vec!["deal_id"]),
        (with("deal_id", ada["id"].clone()), vec!["deal_id"]),
        (with("deal_id", json!("deal_nope")), vec!["deal_id"]),
        // Server-set and unknown fields; no tags or custom fields on a commitment, and no
        // follow-up's `completed`.
        (
            with("completed_at", json!("2026-03-01T00:00:00Z")),
            vec!["completed_at"],
        ),
        (with("id", json!("cmt_01h455vb4pex5vsknk084sn02q")), vec!["id"]),
        (with("completed", json!(true)), vec!["completed"]),
        (with("tags", json!(["vip"])), vec!["tags"]),
        (with("custom_fields", json!({"a": 1})), vec!["custom_fields"]),
        // Every bad field at once.
        (
            json!({"contact_id": "nope", "description": "", "status": "x", "due_date": "x", "deal_id": "x"}),
            vec!["contact_id", "deal_id", "description", "due_date", "status"],
        ),
    ];
    for (body, fields) in cases {
        let r = app.post("/api/v1/commitments", body.clone()).send();
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_400(&r, &fields);
    }
    assert!(list(&app, "").is_empty(), "nothing was created");
    assert!(audit(&app, "target_type=commitment").is_empty());
    // The limit itself is allowed.
    let c = commit(&app, with("description", json!("x".repeat(2000))));
    assert_eq!(c["description"].as_str().unwrap().len(), 2000);
}

#[rstest]
fn complete_sets_status_and_completed_at_and_a_second_complete_is_409(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let c = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Send the deck", "due_date": "2026-04-01"}),
    );
    let cid = id(&c);
    pause();
    let r = app
        .req("PATCH", &format!("{}/complete", path(&cid)))
        .header("X-Request-Id", "req-cmt-complete")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let done = r.body["data"].clone();
    assert!(is_rfc3339_z(&done["completed_at"]), "{}", r.text);
    assert!(micros(&done["completed_at"]) > micros(&c["created_at"]), "{}", r.text);
    assert!(
        micros(&done["updated_at"]) > micros(&c["updated_at"]),
        "updated_at moves: {}",
        r.text
    );
    let mut want = c.clone();
    want["status"] = json!("completed");
    want["completed_at"] = done["completed_at"].clone();
    want["updated_at"] = done["updated_at"].clone();
    assert_eq!(done, want);
    assert_eq!(get(&app, &cid), done);
    let e = only_entry(&app, "req-cmt-complete");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("commitment.completed"), json!("commitment"), json!(cid)),
        "{e}"
    );

    // Completing it again: 409, nothing changes, no second entry.
    let again = app
        .req("PATCH", &format!("{}/complete", path(&cid)))
        .header("X-Request-Id", "req-cmt-complete-again")
        .send();
    again.assert_error(409, "CONFLICT");
    assert_eq!(get(&app, &cid), done);
    assert!(audit(&app, "request_id=req-cmt-complete-again").is_empty());
    assert_eq!(audit(&app, "event_type=commitment.completed").len(), 1);

    // `{}` is no body too; any other body is a 400 naming the field.
    let second = id(&commit(&app, json!({"contact_id": ada["id"], "description": "Call"})));
    let r = app.patch(&format!("{}/complete", path(&second)), json!({})).send();
    assert_eq!(
        (r.status, &r.body["data"]["status"]),
        (200, &json!("completed")),
        "{}",
        r.text
    );
    let third = id(&commit(&app, json!({"contact_id": ada["id"], "description": "Write"})));
    assert_400(
        &app.patch(&format!("{}/complete", path(&third)), json!({"status": "completed"}))
            .send(),
        &["status"],
    );
    assert_eq!(get(&app, &third)["status"], "open");
    assert_eq!(audit(&app, "event_type=commitment.completed").len(), 2);
}

#[rstest]
fn a_patch_of_status_completes_reopens_and_repeats_as_a_no_op(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let c = commit(&app, json!({"contact_id": ada["id"], "description": "Send the deck"}));
    let cid = id(&c);
    let patch = |body: Value, rid: &str| {
        let r = app.patch(&path(&cid), body).header("X-Request-Id", rid).send();
        assert_eq!(r.status, 200, "{rid}: {}", r.text);
        r.body["data"].clone()
    };

    // `status: completed` is the same completion as `/complete`, with the same entry.
    pause();
    let done = patch(json!({"status": "completed"}), "req-cmt-p1");
    assert_eq!(done["status"], "completed");
    assert!(is_rfc3339_z(&done["completed_at"]), "{done}");
    assert!(micros(&done["updated_at"]) > micros(&c["updated_at"]), "{done}");
    let e = only_entry(&app, "req-cmt-p1");
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone()),
        (json!("commitment.completed"), json!(cid)),
        "{e}"
    );
    // Again by PATCH: a 200 no-op (no entry, nothing moves); only `/complete` answers 409.
    pause();
    assert_eq!(patch(json!({"status": "completed"}), "req-cmt-p2"), done);
    assert!(audit(&app, "request_id=req-cmt-p2").is_empty());
    complete(&app, &cid).assert_error(409, "CONFLICT");
    assert_eq!(get(&app, &cid), done);

    // `status: open` reopens and clears completed_at: an update.
    pause();
    let open = patch(json!({"status": "open"}), "req-cmt-p3");
    let mut want = done.clone();
    want["status"] = json!("open");
    want["completed_at"] = json!(null);
    want["updated_at"] = open["updated_at"].clone();
    assert_eq!(open, want);
    assert!(micros(&open["updated_at"]) > micros(&done["updated_at"]), "{open}");
    let e = only_entry(&app, "req-cmt-p3");
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone()),
        (json!("commitment.updated"), json!(cid)),
        "{e}"
    );
    assert_eq!(
        e["metadata"]["changes"]["status"],
        change(&json!("completed"), &json!("open")),
        "{e}"
    );
    // Open again: a no-op too.
    assert_eq!(patch(json!({"status": "open"}), "req-cmt-p4"), open);
    assert!(audit(&app, "request_id=req-cmt-p4").is_empty());

    // Once reopened it can be completed again, a completion of its own.
    pause();
    let r = complete(&app, &cid);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        micros(&r.body["data"]["completed_at"]) > micros(&done["completed_at"]),
        "{}",
        r.text
    );
    assert_eq!(
        audit(&app, &format!("event_type=commitment.completed&target_id={cid}")).len(),
        2
    );
    assert_eq!(
        audit(&app, &format!("event_type=commitment.updated&target_id={cid}")).len(),
        1
    );
}

#[rstest]
fn created_completed_has_completed_at_its_created_at_and_a_created_entry(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let c = commit(
        &app,
        json!({"contact_id": ada["id"], "description": "Already sent", "status": "completed"}),
    );
    let cid = id(&c);
    assert_eq!(c["status"], "completed");
    assert!(is_rfc3339_z(&c["completed_at"]), "{c}");
    assert_eq!(c["completed_at"], c["created_at"], "{c}");
    let entries = audit(&app, &format!("target_id={cid}"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["event_type"], "commitment.created");
    complete(&app, &cid).assert_error(409, "CONFLICT");
}

#[rstest]
fn another_workspaces_commitment_is_not_found(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    let r = app
        .post(
            "/api/v1/commitments",
            json!({"contact_id": theirs.body["data"]["id"], "description": "Theirs"}),
        )
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = id(&r.body["data"]);
    app.get(&path(&cid)).send().assert_error(404, "NOT_FOUND");
    app.patch(&path(&cid), json!({"description": "Mine"}))
        .send()
        .assert_error(404, "NOT_FOUND");
    complete(&app, &cid).assert_error(404, "NOT_FOUND");
    app.delete(&path(&cid)).send().assert_error(404, "NOT_FOUND");
    assert!(list(&app, "").is_empty());
    let got = app.get(&path(&cid)).key(&other).send();
    assert_eq!((got.status, &got.body), (200, &r.body), "untouched");
}

#[rstest]
fn filters_by_contact_deal_status_and_overdue(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    away_from_midnight();
    let today = today_at(0);
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let mk = |c: &Value, due: Value, extra: Value| {
        let mut b = json!({"contact_id": c["id"], "description": "Promise", "due_date": due});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        id(&commit(&app, b))
    };
    let a_past = mk(&ada, json!("2020-01-01"), json!({"deal_id": deal["id"]}));
    let a_done = mk(&ada, json!("2020-01-02"), json!({"status": "completed"}));
    let a_today = mk(&ada, json!(today.to_string()), json!({}));
    let b_future = mk(&bob, json!("2099-01-01"), json!({"deal_id": deal["id"]}));
    let b_undated = mk(&bob, json!(null), json!({}));
    let b_yesterday = mk(&bob, json!(plus(today, -1).to_string()), json!({}));
    let (ada_id, bob_id, deal_id) = (id(&ada), id(&bob), id(&deal));

    assert_eq!(
        list(&app, ""),
        ids(&[&b_future, &a_today, &b_yesterday, &a_done, &a_past, &b_undated]),
        "due_date, latest first, undated last"
    );
    assert_eq!(
        list(&app, &format!("contact_id={ada_id}")),
        ids(&[&a_today, &a_done, &a_past])
    );
    assert_eq!(
        list(&app, &format!("contact_id={bob_id}")),
        ids(&[&b_future, &b_yesterday, &b_undated])
    );
    assert_eq!(list(&app, &format!("deal_id={deal_id}")), ids(&[&b_future, &a_past]));
    assert_eq!(
        list(&app, "status=open"),
        ids(&[&b_future, &a_today, &b_yesterday, &a_past, &b_undated])
    );
    assert_eq!(list(&app, "status=completed"), ids(&[&a_done]));
    // An enum filter takes a comma list (contract.md, Lists): any of them.
    assert_eq!(list(&app, "status=completed,open"), list(&app, ""));
    assert_eq!(list(&app, "status=completed,open").len(), 6);
    // Overdue: open and due before today; not a completed one, not one due today, not an undated one.
    assert_eq!(list(&app, "overdue=true"), ids(&[&b_yesterday, &a_past]));
    assert_eq!(
        list(&app, "overdue=false"),
        ids(&[&b_future, &a_today, &a_done, &b_undated])
    );
    assert_eq!(
        list(&app, &format!("overdue=true&contact_id={ada_id}")),
        ids(&[&a_past])
    );
    assert_eq!(list(&app, &format!("overdue=true&deal_id={deal_id}")), ids(&[&a_past]));
    assert!(list(&app, "overdue=true&status=completed").is_empty());
    // A well-formed reference to nothing in this workspace matches nothing.
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    assert!(list(&app, &format!("contact_id={}", id(&theirs.body["data"]))).is_empty());

    // Bad values are named, each, and all at once.
    for (query, field) in [
        ("status=done", "status"),
        ("status=open,closed", "status"),
        ("overdue=yes", "overdue"),
        ("overdue=1", "overdue"),
        ("contact_id=nope", "contact_id"),
        ("deal_id=nope", "deal_id"),
        ("sort=priority", "sort"),
        ("due=today", "due"),
        ("completed=true", "completed"),
        ("tz=Mars/Base", "tz"),
    ] {
        let r = app.get(&format!("/api/v1/commitments?{query}")).send();
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_400(&r, &[field]);
    }
    let r = app
        .get("/api/v1/commitments?status=done&overdue=maybe&contact_id=nope&sort=title&tz=Mars/Base")
        .send();
    assert_400(&r, &["contact_id", "overdue", "sort", "status", "tz"]);
}

#[rstest]
fn tz_decides_which_day_is_today_for_overdue(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    away_from_midnight();
    let ada = app.contact(json!({"first_name": "Ada"}));
    // Pago Pago (UTC-11) is always at least a day behind Kiritimati (UTC+14); UTC's date is
    // one of the two, or between them. Neither zone has daylight saving time.
    let (utc, kiritimati, pago) = (today_at(0), today_at(14), today_at(-11));
    let mut dates = vec![plus(pago, -1), pago, utc, kiritimati, plus(kiritimati, 1)];
    dates.sort();
    dates.dedup();
    let made: Vec<(NaiveDate, String)> = dates
        .iter()
        .map(|d| {
            let c = commit(
                &app,
                json!({"contact_id": ada["id"], "description": format!("Due {d}"), "due_date": d.to_string()}),
            );
            (*d, id(&c))
        })
        .collect();
    // The default order is due_date, latest first; the dates are distinct.
    let expect = |keep: &dyn Fn(NaiveDate) -> bool| -> Vec<String> {
        made.iter()
            .rev()
            .filter(|(d, _)| keep(*d))
            .map(|(_, i)| i.clone())
            .collect()
    };
    for (tz, today) in [
        ("", utc),
        ("&tz=UTC", utc),
        ("&tz=Pacific/Kiritimati", kiritimati),
        ("&tz=Pacific/Pago_Pago", pago),
    ] {
        assert_eq!(
            list(&app, &format!("overdue=true{tz}")),
            expect(&|d: NaiveDate| d < today),
            "{tz}: today is {today}"
        );
        assert_eq!(
            list(&app, &format!("overdue=false{tz}")),
            expect(&|d: NaiveDate| d >= today),
            "{tz}: today is {today}"
        );
    }
    // The zones disagree: Pago Pago's today is overdue in Kiritimati, and not at home.
    let pago_one = &made.iter().find(|(d, _)| *d == pago).unwrap().1;
    assert!(list(&app, "overdue=true&tz=Pacific/Kiritimati").contains(pago_one));
    assert!(!list(&app, "overdue=true&tz=Pacific/Pago_Pago").contains(pago_one));
    // tz alone is allowed; an unknown zone is a 400 naming it.
    assert_eq!(list(&app, "tz=Europe/Paris").len(), made.len());
    for bad in ["Mars/Base", "Europe/Pariss", "utc+2"] {
        let r = app.get(&format!("/api/v1/commitments?overdue=true&tz={bad}")).send();
        assert_400(&r, &["tz"]);
    }
}

#[rstest]
fn sorts_by_due_date_with_undated_last_and_by_created_at(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let mk = |due: Value| {
        pause();
        id(&commit(
            &app,
            json!({"contact_id": ada["id"], "description": "Promise", "due_date": due}),
        ))
    };
    let may = mk(json!("2026-05-01"));
    let undated = mk(json!(null));
    let march = mk(json!("2026-03-01"));
    let may_too = mk(json!("2026-05-01"));
    let undated_too = mk(json!(null));
    // Ties are broken by id in the same direction; nulls sort last in both directions.
    let (first_may, second_may) = if may < may_too {
        (&may, &may_too)
    } else {
        (&may_too, &may)
    };
    let (first_null, second_null) = if undated < undated_too {
        (&undated, &undated_too)
    } else {
        (&undated_too, &undated)
    };
    let desc = ids(&[second_may, first_may, &march, second_null, first_null]);
    assert_eq!(list(&app, ""), desc, "due_date desc is the default");
    assert_eq!(list(&app, "sort=due_date&order=desc"), desc);
    assert_eq!(
        list(&app, "order=asc"),
        ids(&[&march, first_may, second_may, first_null, second_null]),
        "soonest first, undated still last"
    );
    assert_eq!(
        list(&app, "sort=due_date&order=asc"),
        ids(&[&march, first_may, second_may, first_null, second_null])
    );
    assert_eq!(
        list(&app, "sort=created_at&order=asc"),
        ids(&[&may, &undated, &march, &may_too, &undated_too])
    );
    assert_eq!(
        list(&app, "sort=created_at"),
        ids(&[&undated_too, &may_too, &march, &undated, &may])
    );
    // Pages follow the order: the undated ones are on the last page.
    let r = app.get("/api/v1/commitments?per_page=2&page=3").send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.ids(), ids(&[first_null]));
    assert_eq!(
        r.body["meta"],
        json!({"page": 3, "per_page": 2, "total": 5, "total_pages": 3})
    );
    let r = app.get("/api/v1/commitments?sort=status").send();
    assert_400(&r, &["sort"]);
}

#[rstest]
fn deleting_a_contact_deletes_its_commitments_and_a_deals_delete_clears_them(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let body = |c: &Value, t: &str| json!({"contact_id": c["id"], "description": t, "deal_id": deal["id"], "due_date": "2026-04-01"});
    let ada1 = id(&commit(&app, body(&ada, "first")));
    pause();
    let ada2 = id(&commit(&app, body(&ada, "second")));
    let bob_open = commit(&app, body(&bob, "third"));
    pause();
    let mut done = body(&bob, "fourth");
    done["status"] = json!("completed");
    let bob_done = commit(&app, done);

    let r = app
        .delete(&format!("/api/v1/contacts/{}", id(&ada)))
        .header("X-Request-Id", "req-cmt-contact-delete")
        .send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": null})), "{}", r.text);
    for gone in [&ada1, &ada2] {
        app.get(&path(gone)).send().assert_error(404, "NOT_FOUND");
    }
    assert_eq!(
        list(&app, "sort=created_at&order=asc"),
        vec![id(&bob_open), id(&bob_done)]
    );
    let e = only_entry(&app, "req-cmt-contact-delete");
    assert_eq!(e["event_type"], "contact.deleted", "{e}");
    assert_eq!(
        e["metadata"]["deleted"]["commitments"],
        json!({"count": 2, "ids": [ada1, ada2]}),
        "oldest first: {e}"
    );
    assert!(
        audit(&app, "event_type=commitment.deleted").is_empty(),
        "covered by the contact's entry"
    );

    pause();
    let r = app
        .delete(&format!("/api/v1/deals/{}", id(&deal)))
        .header("X-Request-Id", "req-cmt-deal-delete")
        .send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": null})), "{}", r.text);
    for before in [&bob_open, &bob_done] {
        let after = get(&app, &id(before));
        let mut want = before.clone();
        want["deal_id"] = json!(null);
        want["updated_at"] = after["updated_at"].clone();
        assert_eq!(after, want, "only deal_id and updated_at change");
        assert!(
            micros(&after["updated_at"]) > micros(&before["updated_at"]),
            "the server's change moves updated_at: {after}"
        );
    }
    let e = only_entry(&app, "req-cmt-deal-delete");
    assert_eq!(e["event_type"], "deal.deleted", "{e}");
    assert_eq!(
        e["metadata"]["cleared"]["commitments"],
        json!({"count": 2, "ids": [id(&bob_open), id(&bob_done)]}),
        "{e}"
    );
    assert!(
        audit(&app, "event_type=commitment.updated").is_empty(),
        "no entries of their own"
    );
    assert!(list(&app, &format!("deal_id={}", id(&deal))).is_empty());
}
