//! Follow-ups: fields and their rules, completion (`/complete` and a PATCH of `completed`), list
//! filters (`due`, `completed`, `priority`, `tz`) and sorts (`priority` by rank), the `followup`
//! spelling outside URL paths, tenancy, and what deleting a contact or a deal does to them
//! (resources.md, Follow-ups; Dates; References between engagement records). Written from the
//! spec, black-box over HTTP.

use chrono::NaiveDate;
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::engagement_support::*;
use crate::support::*;

/// The keys every follow-up has, and no others (no tags, no custom fields).
const KEYS: [&str; 11] = [
    "completed",
    "completed_at",
    "contact_id",
    "created_at",
    "deal_id",
    "due_date",
    "id",
    "notes",
    "priority",
    "title",
    "updated_at",
];

fn path(fid: &str) -> String {
    format!("/api/v1/follow-ups/{fid}")
}

fn follow_up(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/follow-ups", body).send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

#[track_caller]
fn get(app: &TestApp, fid: &str) -> Value {
    let r = app.get(&path(fid)).send();
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

/// `PATCH /api/v1/follow-ups/:id/complete` with no body at all.
fn complete(app: &TestApp, fid: &str) -> Resp {
    app.req("PATCH", &format!("{}/complete", path(fid))).send()
}

/// The ids of `GET /api/v1/follow-ups?per_page=250&{query}`.
#[track_caller]
fn list(app: &TestApp, query: &str) -> Vec<String> {
    app.list_ids(&format!("/api/v1/follow-ups?per_page=250&{query}"))
}

#[rstest]
fn create_with_defaults_read_and_delete(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let r = app
        .post(
            "/api/v1/follow-ups",
            json!({"contact_id": ada["id"], "title": "  Call back about pricing ", "due_date": "2026-04-01"}),
        )
        .header("X-Request-Id", "req-fup-create")
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let f = r.body["data"].clone();
    let fid = id(&f);
    assert!(fid.starts_with("fup_") && fid.len() == 30, "{fid}");
    assert_eq!(r.header("location"), Some(path(&fid).as_str()));
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, KEYS, "{}", r.text);
    assert!(is_rfc3339_z(&f["created_at"]), "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": {
            "id": fid, "contact_id": ada["id"], "title": "Call back about pricing", "deal_id": null,
            "due_date": "2026-04-01", "priority": "medium", "notes": null, "completed": false,
            "completed_at": null, "created_at": f["created_at"], "updated_at": f["created_at"]
        }})
    );
    let got = app.get(&path(&fid)).send();
    assert_eq!((got.status, &got.body), (200, &r.body));
    assert_eq!(list(&app, ""), vec![fid.clone()]);
    // `followup` everywhere but the URL path.
    let e = only_entry(&app, "req-fup-create");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("followup.created"), json!("followup"), json!(fid)),
        "{e}"
    );
    assert_eq!(audit(&app, "target_type=followup").len(), 1);
    // The other spelling is not a route; another resource's id in the path is not found.
    app.get(&format!("/api/v1/followups/{fid}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.get(&path(ada["id"].as_str().unwrap()))
        .send()
        .assert_error(404, "NOT_FOUND");

    let d = app.delete(&path(&fid)).header("X-Request-Id", "req-fup-delete").send();
    assert_eq!((d.status, &d.body), (200, &json!({"data": null})), "{}", d.text);
    app.get(&path(&fid)).send().assert_error(404, "NOT_FOUND");
    app.delete(&path(&fid)).send().assert_error(404, "NOT_FOUND");
    complete(&app, &fid).assert_error(404, "NOT_FOUND");
    assert!(list(&app, "").is_empty());
    let e = only_entry(&app, "req-fup-delete");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("followup.deleted"), json!("followup"), json!(fid)),
        "{e}"
    );
}

#[rstest]
fn every_field_round_trips_and_a_patch_changes_only_what_is_sent(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    // The deal need not be linked to the contact (it is not).
    let f = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Send the proposal", "deal_id": deal["id"], "due_date": "2026-04-15",
               "priority": "high", "notes": "  Include the volume discount. ", "completed": false}),
    );
    let fid = id(&f);
    assert_eq!(
        f,
        json!({"id": fid, "contact_id": ada["id"], "title": "Send the proposal", "deal_id": deal["id"],
               "due_date": "2026-04-15", "priority": "high", "notes": "Include the volume discount.",
               "completed": false, "completed_at": null,
               "created_at": f["created_at"], "updated_at": f["created_at"]})
    );
    assert_eq!(get(&app, &fid), f);

    pause();
    let r = app
        .patch(
            &path(&fid),
            json!({"title": "Send the revised proposal", "due_date": "2026-04-30", "priority": "low",
                   "notes": null, "deal_id": null}),
        )
        .header("X-Request-Id", "req-fup-update")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let p = r.body["data"].clone();
    let mut want = f.clone();
    for (k, v) in [
        ("title", json!("Send the revised proposal")),
        ("due_date", json!("2026-04-30")),
        ("priority", json!("low")),
        ("notes", json!(null)),
        ("deal_id", json!(null)),
        ("updated_at", p["updated_at"].clone()),
    ] {
        want[k] = v;
    }
    assert_eq!(p, want);
    assert!(micros(&p["updated_at"]) > micros(&f["updated_at"]), "{p}");
    assert_eq!(get(&app, &fid), p);
    let e = only_entry(&app, "req-fup-update");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("followup.updated"), json!("followup"), json!(fid)),
        "{e}"
    );
    assert_eq!(
        e["metadata"],
        json!({"changes": {
            "deal_id": change(&deal["id"], &json!(null)),
            "due_date": change(&json!("2026-04-15"), &json!("2026-04-30")),
            "notes": change(&json!("Include the volume discount."), &json!(null)),
            "priority": change(&json!("high"), &json!("low")),
            "title": change(&json!("Send the proposal"), &json!("Send the revised proposal")),
        }}),
        "{e}"
    );

    // An empty PATCH, or one repeating the current values, changes nothing; blank notes are null.
    let entries = audit(&app, &format!("target_id={fid}")).len();
    pause();
    for body in [
        json!({}),
        json!({"title": " Send the revised proposal", "priority": "low", "notes": "  ", "completed": false}),
    ] {
        let r = app.patch(&path(&fid), body.clone()).send();
        assert_eq!((r.status, &r.body["data"]), (200, &p), "{body}: {}", r.text);
    }
    assert_eq!(audit(&app, &format!("target_id={fid}")).len(), entries);

    // title and due_date are required: never null or blank; server-set fields are not writable.
    for bad in [json!(null), json!(" "), json!("x".repeat(201))] {
        assert_400(&app.patch(&path(&fid), json!({"title": bad})).send(), &["title"]);
    }
    for bad in [json!(null), json!(""), json!("2026-13-01")] {
        assert_400(&app.patch(&path(&fid), json!({"due_date": bad})).send(), &["due_date"]);
    }
    assert_400(
        &app.patch(
            &path(&fid),
            json!({"id": fid, "completed_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}),
        )
        .send(),
        &["completed_at", "id", "updated_at"],
    );
    assert_400(
        &app.patch(&path(&fid), json!({"priority": "urgent"})).send(),
        &["priority"],
    );
    assert_400(
        &app.patch(&path(&fid), json!({"completed": "true"})).send(),
        &["completed"],
    );
    assert_eq!(get(&app, &fid), p, "a rejected PATCH changes nothing");

    // Up to 200 characters (characters, not bytes).
    let long = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "é".repeat(200), "due_date": "2026-05-01", "notes": "n".repeat(10_000)}),
    );
    assert_eq!(long["title"].as_str().unwrap().chars().count(), 200);
    assert_eq!(long["notes"].as_str().unwrap().len(), 10_000);
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
    let ok = json!({"contact_id": ada["id"], "title": "Call back", "due_date": "2026-04-01"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["contact_id", "title", "due_date"]),
        (without("title"), vec!["title"]),
        (without("due_date"), vec!["due_date"]),
        (without("contact_id"), vec!["contact_id"]),
        (with("title", json!("   ")), vec!["title"]),
        (with("title", json!(null)), vec!["title"]),
        (with("title", json!("x".repeat(201))), vec!["title"]),
        (with("due_date", json!(null)), vec!["due_date"]),
        (with("due_date", json!("2026-13-01")), vec!["due_date"]),
        (with("due_date", json!("tomorrow")), vec!["due_date"]),
        (with("due_date", json!("2026-04-01T09:00:00Z")), vec!["due_date"]),
        (with("due_date", json!("01/04/2026")), vec!["due_date"]),
        (with("priority", json!("urgent")), vec!["priority"]),
        (with("priority", json!("High")), vec!["priority"]),
        (with("priority", json!(3)), vec!["priority"]),
        (with("completed", json!("true")), vec!["completed"]),
        (with("completed", json!(1)), vec!["completed"]),
        (with("notes", json!("x".repeat(10_001))), vec!["notes"]),
        (with("contact_id", json!("nope")), vec!["contact_id"]),
        (with("contact_id", deal["id"].clone()), vec!["contact_id"]),
        (
            with("contact_id", theirs.body["data"]["id"].clone()),
            vec!["contact_id"],
        ),
        (with("deal_id", their_deal.body["data"]["id"].clone()), vec!["deal_id"]),
        (with("deal_id", json!("deal_nope")), vec!["deal_id"]),
        // Server-set and unknown fields; no tags or custom fields, and no commitment's `status`.
        (
            with("completed_at", json!("2026-03-01T00:00:00Z")),
            vec!["completed_at"],
        ),
        (with("created_at", json!("2026-03-01T00:00:00Z")), vec!["created_at"]),
        (with("status", json!("open")), vec!["status"]),
        (with("tags", json!(["vip"])), vec!["tags"]),
        (with("custom_fields", json!({"a": 1})), vec!["custom_fields"]),
        // Every bad field at once.
        (
            json!({"contact_id": "nope", "title": "", "due_date": "x", "priority": "x", "completed": "yes"}),
            vec!["completed", "contact_id", "due_date", "priority", "title"],
        ),
    ];
    for (body, fields) in cases {
        let r = app.post("/api/v1/follow-ups", body.clone()).send();
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_400(&r, &fields);
    }
    assert!(list(&app, "").is_empty(), "nothing was created");
    assert!(audit(&app, "target_type=followup").is_empty());
    // Each priority is accepted as written.
    for p in ["low", "medium", "high"] {
        assert_eq!(follow_up(&app, with("priority", json!(p)))["priority"], p);
    }
}

#[rstest]
fn complete_sets_completed_and_completed_at_and_a_second_complete_is_409(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let f = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Call back", "due_date": "2026-04-01", "priority": "high"}),
    );
    let fid = id(&f);
    pause();
    let r = app
        .req("PATCH", &format!("{}/complete", path(&fid)))
        .header("X-Request-Id", "req-fup-complete")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let done = r.body["data"].clone();
    assert!(is_rfc3339_z(&done["completed_at"]), "{}", r.text);
    assert!(micros(&done["completed_at"]) > micros(&f["created_at"]), "{}", r.text);
    assert!(
        micros(&done["updated_at"]) > micros(&f["updated_at"]),
        "updated_at moves: {}",
        r.text
    );
    let mut want = f.clone();
    want["completed"] = json!(true);
    want["completed_at"] = done["completed_at"].clone();
    want["updated_at"] = done["updated_at"].clone();
    assert_eq!(done, want);
    assert_eq!(get(&app, &fid), done);
    let e = only_entry(&app, "req-fup-complete");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("followup.completed"), json!("followup"), json!(fid)),
        "{e}"
    );

    // Completing it again: 409, nothing changes, no second entry.
    let again = app
        .req("PATCH", &format!("{}/complete", path(&fid)))
        .header("X-Request-Id", "req-fup-complete-again")
        .send();
    again.assert_error(409, "CONFLICT");
    assert_eq!(get(&app, &fid), done);
    assert!(audit(&app, "request_id=req-fup-complete-again").is_empty());
    assert_eq!(audit(&app, "event_type=followup.completed").len(), 1);

    // `{}` is no body too; any other body is a 400 naming the field.
    let ok = json!({"contact_id": ada["id"], "title": "Write", "due_date": "2026-04-02"});
    let second = id(&follow_up(&app, ok.clone()));
    let r = app.patch(&format!("{}/complete", path(&second)), json!({})).send();
    assert_eq!(
        (r.status, &r.body["data"]["completed"]),
        (200, &json!(true)),
        "{}",
        r.text
    );
    let third = id(&follow_up(&app, ok));
    assert_400(
        &app.patch(&format!("{}/complete", path(&third)), json!({"completed": true}))
            .send(),
        &["completed"],
    );
    assert_eq!(get(&app, &third)["completed"], false);
    assert_eq!(audit(&app, "event_type=followup.completed").len(), 2);

    // Another workspace's follow-up is not found, by any route.
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    let r = app
        .post(
            "/api/v1/follow-ups",
            json!({"contact_id": theirs.body["data"]["id"], "title": "Theirs", "due_date": "2026-04-01"}),
        )
        .key(&other)
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let their_fup = id(&r.body["data"]);
    app.get(&path(&their_fup)).send().assert_error(404, "NOT_FOUND");
    app.patch(&path(&their_fup), json!({"title": "Mine"}))
        .send()
        .assert_error(404, "NOT_FOUND");
    complete(&app, &their_fup).assert_error(404, "NOT_FOUND");
    app.delete(&path(&their_fup)).send().assert_error(404, "NOT_FOUND");
    assert!(!list(&app, "").contains(&their_fup));
    let got = app.get(&path(&their_fup)).key(&other).send();
    assert_eq!((got.status, &got.body), (200, &r.body), "untouched");
}

#[rstest]
fn a_patch_of_completed_completes_reopens_and_repeats_as_a_no_op(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let f = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Call back", "due_date": "2026-04-01"}),
    );
    let fid = id(&f);
    let patch = |body: Value, rid: &str| {
        let r = app.patch(&path(&fid), body).header("X-Request-Id", rid).send();
        assert_eq!(r.status, 200, "{rid}: {}", r.text);
        r.body["data"].clone()
    };

    // `completed: true` is the same completion as `/complete`, with the same entry.
    pause();
    let done = patch(json!({"completed": true}), "req-fup-p1");
    assert_eq!(done["completed"], true);
    assert!(is_rfc3339_z(&done["completed_at"]), "{done}");
    assert!(micros(&done["updated_at"]) > micros(&f["updated_at"]), "{done}");
    let e = only_entry(&app, "req-fup-p1");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("followup.completed"), json!("followup"), json!(fid)),
        "{e}"
    );
    // Again by PATCH: a 200 no-op (no entry, nothing moves); only `/complete` answers 409.
    pause();
    assert_eq!(patch(json!({"completed": true}), "req-fup-p2"), done);
    assert!(audit(&app, "request_id=req-fup-p2").is_empty());
    complete(&app, &fid).assert_error(409, "CONFLICT");
    assert_eq!(get(&app, &fid), done);

    // `completed: false` reopens and clears completed_at: an update.
    pause();
    let open = patch(json!({"completed": false}), "req-fup-p3");
    let mut want = done.clone();
    want["completed"] = json!(false);
    want["completed_at"] = json!(null);
    want["updated_at"] = open["updated_at"].clone();
    assert_eq!(open, want);
    assert!(micros(&open["updated_at"]) > micros(&done["updated_at"]), "{open}");
    let e = only_entry(&app, "req-fup-p3");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("followup.updated"), json!("followup"), json!(fid)),
        "{e}"
    );
    assert_eq!(
        e["metadata"]["changes"]["completed"],
        change(&json!(true), &json!(false)),
        "{e}"
    );
    // Open again: a no-op too.
    assert_eq!(patch(json!({"completed": false}), "req-fup-p4"), open);
    assert!(audit(&app, "request_id=req-fup-p4").is_empty());

    // Once reopened it can be completed again, a completion of its own.
    pause();
    let r = complete(&app, &fid);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        micros(&r.body["data"]["completed_at"]) > micros(&done["completed_at"]),
        "{}",
        r.text
    );
    assert_eq!(
        audit(&app, &format!("event_type=followup.completed&target_id={fid}")).len(),
        2
    );
    assert_eq!(
        audit(&app, &format!("event_type=followup.updated&target_id={fid}")).len(),
        1
    );

    // Created completed: completed_at is its created_at, and the entry is a create.
    let made = follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Done already", "due_date": "2026-04-01", "completed": true}),
    );
    assert_eq!(made["completed"], true);
    assert!(is_rfc3339_z(&made["completed_at"]), "{made}");
    assert_eq!(made["completed_at"], made["created_at"], "{made}");
    let entries = audit(&app, &format!("target_id={}", id(&made)));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["event_type"], "followup.created");
    complete(&app, &id(&made)).assert_error(409, "CONFLICT");
}

#[rstest]
fn due_and_completed_filters(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    away_from_midnight();
    let today = today_at(0);
    let ada = app.contact(json!({"first_name": "Ada"}));
    let mk = |due: NaiveDate, completed: bool| {
        id(&follow_up(
            &app,
            json!({"contact_id": ada["id"], "title": format!("Due {due}"), "due_date": due.to_string(), "completed": completed}),
        ))
    };
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let past = mk(date("2020-01-01"), false);
    let yesterday = mk(plus(today, -1), false);
    let due_today = mk(today, false);
    let tomorrow = mk(plus(today, 1), false);
    let future = mk(date("2099-01-01"), false);
    let done_past = mk(date("2020-01-02"), true);
    let done_today = mk(today, true);
    let done_future = mk(date("2099-01-02"), true);

    // Completed ones are in none of today, overdue and upcoming.
    assert_eq!(list(&app, "due=today"), ids(&[&due_today]));
    assert_eq!(list(&app, "due=overdue"), ids(&[&yesterday, &past]), "before today");
    assert_eq!(list(&app, "due=upcoming"), ids(&[&future, &tomorrow]), "after today");
    assert_eq!(list(&app, "due=upcoming&order=asc"), ids(&[&tomorrow, &future]));
    // An enum filter takes a comma list (contract.md, Lists): any of them.
    assert_eq!(list(&app, "due=today,overdue"), ids(&[&due_today, &yesterday, &past]));
    assert_eq!(
        list(&app, "due=upcoming,overdue"),
        ids(&[&future, &tomorrow, &yesterday, &past])
    );
    assert_eq!(
        list(&app, "due=overdue,today,upcoming"),
        ids(&[&future, &tomorrow, &due_today, &yesterday, &past])
    );
    assert_eq!(
        list(&app, "completed=true"),
        ids(&[&done_future, &done_today, &done_past])
    );
    assert_eq!(
        list(&app, "completed=false"),
        ids(&[&future, &tomorrow, &due_today, &yesterday, &past])
    );
    assert_eq!(list(&app, "due=today&completed=false"), ids(&[&due_today]));
    assert!(list(&app, "due=today&completed=true").is_empty());
    assert!(list(&app, "due=overdue&completed=true").is_empty());
    assert_eq!(list(&app, "").len(), 8);

    // Bad values are named.
    for (query, field) in [
        ("due=someday", "due"),
        ("due=Today", "due"),
        ("completed=yes", "completed"),
        ("completed=1", "completed"),
        ("overdue=true", "overdue"),
        ("status=open", "status"),
    ] {
        let r = app.get(&format!("/api/v1/follow-ups?{query}")).send();
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_400(&r, &[field]);
    }
}

#[rstest]
fn filters_by_contact_deal_and_priority(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let mk = |c: &Value, due: &str, priority: &str, deal_id: &Value| {
        id(&follow_up(
            &app,
            json!({"contact_id": c["id"], "title": "Reminder", "due_date": due, "priority": priority, "deal_id": deal_id}),
        ))
    };
    let a_high = mk(&ada, "2026-04-01", "high", &deal["id"]);
    let a_low = mk(&ada, "2026-04-02", "low", &json!(null));
    let b_med = mk(&bob, "2026-04-03", "medium", &deal["id"]);
    let b_high = mk(&bob, "2026-04-04", "high", &json!(null));
    let (ada_id, bob_id, deal_id) = (id(&ada), id(&bob), id(&deal));

    assert_eq!(list(&app, ""), ids(&[&b_high, &b_med, &a_low, &a_high]));
    assert_eq!(list(&app, &format!("contact_id={ada_id}")), ids(&[&a_low, &a_high]));
    assert_eq!(list(&app, &format!("contact_id={bob_id}")), ids(&[&b_high, &b_med]));
    assert_eq!(list(&app, &format!("deal_id={deal_id}")), ids(&[&b_med, &a_high]));
    assert_eq!(list(&app, "priority=high"), ids(&[&b_high, &a_high]));
    assert_eq!(list(&app, "priority=low,high"), ids(&[&b_high, &a_low, &a_high]));
    assert_eq!(list(&app, "priority=medium"), ids(&[&b_med]));
    assert_eq!(
        list(&app, &format!("priority=high&contact_id={bob_id}")),
        ids(&[&b_high])
    );
    assert_eq!(list(&app, &format!("priority=high&deal_id={deal_id}")), ids(&[&a_high]));
    // A well-formed reference to nothing in this workspace matches nothing.
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&other)
        .send();
    assert!(list(&app, &format!("contact_id={}", id(&theirs.body["data"]))).is_empty());

    // Bad values are named, each, and all at once.
    for (query, field) in [
        ("priority=urgent", "priority"),
        ("priority=high,urgent", "priority"),
        ("priority=High", "priority"),
        ("contact_id=nope", "contact_id"),
        ("deal_id=nope", "deal_id"),
        ("tz=Mars/Base", "tz"),
        ("sort=title", "sort"),
    ] {
        let r = app.get(&format!("/api/v1/follow-ups?{query}")).send();
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_400(&r, &[field]);
    }
    let r = app
        .get("/api/v1/follow-ups?due=someday&completed=yes&priority=high,urgent&tz=Mars/Base&sort=status&contact_id=nope")
        .send();
    assert_400(&r, &["completed", "contact_id", "due", "priority", "sort", "tz"]);
}

#[rstest]
fn sorts_by_due_date_priority_rank_and_created_at(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let mk = |due: &str, priority: &str| {
        pause();
        id(&follow_up(
            &app,
            json!({"contact_id": ada["id"], "title": "Reminder", "due_date": due, "priority": priority}),
        ))
    };
    // Not in alphabetical order: the rank is high > medium > low.
    let low = mk("2026-04-03", "low");
    let high = mk("2026-04-01", "high");
    let medium = mk("2026-04-05", "medium");
    let high_too = mk("2026-04-05", "high");
    let low_too = mk("2026-04-02", "low");
    let by_id = |a: &String, b: &String| {
        if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        }
    };
    let (high1, high2) = by_id(&high, &high_too);
    let (low1, low2) = by_id(&low, &low_too);
    let (m_first, m_second) = by_id(&medium, &high_too);

    // due_date, latest first, by default; ties by id in the same direction.
    let desc = vec![
        m_second.clone(),
        m_first.clone(),
        low.clone(),
        low_too.clone(),
        high.clone(),
    ];
    assert_eq!(list(&app, ""), desc);
    assert_eq!(list(&app, "sort=due_date&order=desc"), desc);
    let asc = vec![
        high.clone(),
        low_too.clone(),
        low.clone(),
        m_first.clone(),
        m_second.clone(),
    ];
    assert_eq!(list(&app, "order=asc"), asc, "soonest first");
    assert_eq!(list(&app, "sort=due_date&order=asc"), asc);
    // priority by rank: desc puts high first, asc low first.
    assert_eq!(
        list(&app, "sort=priority&order=desc"),
        vec![high2.clone(), high1.clone(), medium.clone(), low2.clone(), low1.clone()]
    );
    assert_eq!(
        list(&app, "sort=priority"),
        vec![high2.clone(), high1.clone(), medium.clone(), low2.clone(), low1.clone()],
        "desc is the default order"
    );
    assert_eq!(
        list(&app, "sort=priority&order=asc"),
        vec![low1, low2, medium.clone(), high1, high2]
    );
    assert_eq!(
        list(&app, "sort=created_at&order=asc"),
        ids(&[&low, &high, &medium, &high_too, &low_too])
    );
    assert_eq!(
        list(&app, "sort=created_at"),
        ids(&[&low_too, &high_too, &medium, &high, &low])
    );
    let r = app.get("/api/v1/follow-ups?sort=completed").send();
    assert_400(&r, &["sort"]);
}

#[rstest]
fn tz_decides_which_day_is_today(#[values(SQLITE, POSTGRES)] backend: Backend) {
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
            let f = follow_up(
                &app,
                json!({"contact_id": ada["id"], "title": format!("Due {d}"), "due_date": d.to_string()}),
            );
            (*d, id(&f))
        })
        .collect();
    // A completed one due on each zone's today is never listed by `due`.
    let done = id(&follow_up(
        &app,
        json!({"contact_id": ada["id"], "title": "Done", "due_date": kiritimati.to_string(), "completed": true}),
    ));
    // The default order is due_date, latest first; the open ones' dates are distinct.
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
        let note = format!("{tz}: today is {today}");
        assert_eq!(
            list(&app, &format!("due=today{tz}")),
            expect(&|d: NaiveDate| d == today),
            "{note}"
        );
        assert_eq!(
            list(&app, &format!("due=overdue{tz}")),
            expect(&|d: NaiveDate| d < today),
            "{note}"
        );
        assert_eq!(
            list(&app, &format!("due=upcoming{tz}")),
            expect(&|d: NaiveDate| d > today),
            "{note}"
        );
        assert!(!list(&app, &format!("due=today{tz}")).contains(&done), "{note}");
    }
    // The zones disagree: Kiritimati's today is upcoming in Pago Pago.
    let kiritimati_one = &made.iter().find(|(d, _)| *d == kiritimati).unwrap().1;
    assert_eq!(
        list(&app, "due=today&tz=Pacific/Kiritimati"),
        vec![kiritimati_one.clone()]
    );
    assert!(list(&app, "due=upcoming&tz=Pacific/Pago_Pago").contains(kiritimati_one));
    // tz alone is allowed; an unknown zone is a 400 naming it.
    assert_eq!(list(&app, "tz=Europe/Paris").len(), made.len() + 1);
    for bad in ["Mars/Base", "Europe/Pariss", "utc+2"] {
        let r = app.get(&format!("/api/v1/follow-ups?due=today&tz={bad}")).send();
        assert_400(&r, &["tz"]);
    }
}

#[rstest]
fn deleting_a_contact_deletes_its_follow_ups_and_a_deals_delete_clears_them(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let deal = app.deal(json!({"name": "Renewal"}));
    let body = |c: &Value, t: &str| json!({"contact_id": c["id"], "title": t, "deal_id": deal["id"], "due_date": "2026-04-01"});
    let ada1 = id(&follow_up(&app, body(&ada, "first")));
    pause();
    let ada2 = id(&follow_up(&app, body(&ada, "second")));
    let bob_open = follow_up(&app, body(&bob, "third"));
    pause();
    let mut done = body(&bob, "fourth");
    done["completed"] = json!(true);
    let bob_done = follow_up(&app, done);

    let r = app
        .delete(&format!("/api/v1/contacts/{}", id(&ada)))
        .header("X-Request-Id", "req-fup-contact-delete")
        .send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": null})), "{}", r.text);
    for gone in [&ada1, &ada2] {
        app.get(&path(gone)).send().assert_error(404, "NOT_FOUND");
    }
    assert_eq!(
        list(&app, "sort=created_at&order=asc"),
        vec![id(&bob_open), id(&bob_done)]
    );
    let e = only_entry(&app, "req-fup-contact-delete");
    assert_eq!(e["event_type"], "contact.deleted", "{e}");
    assert_eq!(
        e["metadata"]["deleted"]["followups"],
        json!({"count": 2, "ids": [ada1, ada2]}),
        "oldest first, under `followups`: {e}"
    );
    assert!(
        audit(&app, "event_type=followup.deleted").is_empty(),
        "covered by the contact's entry"
    );

    pause();
    let r = app
        .delete(&format!("/api/v1/deals/{}", id(&deal)))
        .header("X-Request-Id", "req-fup-deal-delete")
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
    let e = only_entry(&app, "req-fup-deal-delete");
    assert_eq!(e["event_type"], "deal.deleted", "{e}");
    assert_eq!(
        e["metadata"]["cleared"]["followups"],
        json!({"count": 2, "ids": [id(&bob_open), id(&bob_done)]}),
        "{e}"
    );
    assert!(
        audit(&app, "event_type=followup.updated").is_empty(),
        "no entries of their own"
    );
    assert!(list(&app, &format!("deal_id={}", id(&deal))).is_empty());
}
