//! Deal stage moves (PATCH, `/stage`, `/bulk-stage`), their audit entries, the stage history,
//! and deal contacts (resources.md, Deals). Written from the spec, black-box over HTTP.

use std::time::Duration;

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn pause() {
    std::thread::sleep(Duration::from_millis(5));
}

fn micros(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .timestamp_micros()
}

/// The audit entries matching `query`, newest first.
fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/audit-logs?per_page=250&{query}")).send();
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

/// The one entry `request_id` wrote.
#[track_caller]
fn only_entry(app: &TestApp, request_id: &str) -> Value {
    let entries = audit(app, &format!("request_id={request_id}"));
    assert_eq!(entries.len(), 1, "{request_id}: {entries:?}");
    entries[0].clone()
}

#[track_caller]
fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), fields, "{}", r.text);
}

fn get_deal(app: &TestApp, deal: &str) -> Value {
    let r = app.get(&format!("/api/v1/deals/{deal}")).send();
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].clone()
}

/// `PATCH path` with `body` and `X-Request-Id: rid`, asserting a 200; the deal.
#[track_caller]
fn patch_ok(app: &TestApp, path: &str, body: Value, rid: &str) -> Value {
    let r = app.patch(path, body).header("X-Request-Id", rid).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body["data"].clone()
}

fn change(old: &Value, new: &Value) -> Value {
    json!({"old": old, "new": new})
}

#[rstest]
fn a_patch_that_changes_the_stage_writes_deal_stage_moved(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d0 = app.deal(json!({"name": "Deal"}));
    let did = id(&d0);
    let path = format!("/api/v1/deals/{did}");
    pause();
    let d1 = patch_ok(&app, &path, json!({"stage": "prospect"}), "req-move-1");
    assert_eq!(d1["stage"], "prospect");
    assert!(micros(&d1["stage_changed_at"]) > micros(&d0["stage_changed_at"]));
    assert_eq!(d1["closed_at"], json!(null));
    assert_eq!(d1["updated_at"], d1["stage_changed_at"]);
    let e = only_entry(&app, "req-move-1");
    assert_eq!(
        (
            e["event_type"].clone(),
            e["target_type"].clone(),
            e["target_id"].clone()
        ),
        (json!("deal.stage_moved"), json!("deal"), json!(did))
    );
    assert_eq!(
        e["metadata"],
        json!({"from_stage": "lead", "to_stage": "prospect", "changes": {
            "stage": change(&json!("lead"), &json!("prospect")),
            "stage_changed_at": change(&d0["stage_changed_at"], &d1["stage_changed_at"]),
        }})
    );

    // Into won: closed_at is set, and listed; other fields of the same PATCH are listed too.
    pause();
    let d2 = patch_ok(&app, &path, json!({"stage": "won", "notes": "Signed"}), "req-move-2");
    assert!(d2["closed_at"].is_string(), "{d2}");
    assert_eq!(d2["closed_at"], d2["stage_changed_at"], "closed at the move");
    let e = only_entry(&app, "req-move-2");
    assert_eq!(e["event_type"], "deal.stage_moved");
    assert_eq!(
        e["metadata"],
        json!({"from_stage": "prospect", "to_stage": "won", "changes": {
            "stage": change(&json!("prospect"), &json!("won")),
            "stage_changed_at": change(&d1["stage_changed_at"], &d2["stage_changed_at"]),
            "closed_at": change(&json!(null), &d2["closed_at"]),
            "notes": change(&json!(null), &json!("Signed")),
        }})
    );

    // Into lost with a reason, by PATCH.
    pause();
    let d3 = patch_ok(
        &app,
        &path,
        json!({"stage": "lost", "lost_reason": "Price"}),
        "req-move-3",
    );
    assert!(
        micros(&d3["closed_at"]) > micros(&d2["closed_at"]),
        "closed_at set anew"
    );
    let e = only_entry(&app, "req-move-3");
    assert_eq!(
        e["metadata"],
        json!({"from_stage": "won", "to_stage": "lost", "changes": {
            "stage": change(&json!("won"), &json!("lost")),
            "stage_changed_at": change(&d2["stage_changed_at"], &d3["stage_changed_at"]),
            "closed_at": change(&d2["closed_at"], &d3["closed_at"]),
            "lost_reason": change(&json!(null), &json!("Price")),
        }})
    );
    assert_eq!(
        audit(&app, &format!("target_id={did}&event_type=deal.stage_moved")).len(),
        3
    );
    assert_eq!(
        audit(&app, &format!("target_id={did}&event_type=deal.updated")).len(),
        0
    );
}

#[rstest]
fn a_patch_that_keeps_the_stage_writes_deal_updated(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d0 = app.deal(json!({"name": "Deal", "stage": "prospect"}));
    let path = format!("/api/v1/deals/{}", id(&d0));
    pause();
    let d1 = patch_ok(&app, &path, json!({"stage": "prospect", "notes": "n"}), "req-keep");
    assert_eq!(d1["stage_changed_at"], d0["stage_changed_at"]);
    assert!(micros(&d1["updated_at"]) > micros(&d0["updated_at"]));
    let e = only_entry(&app, "req-keep");
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone(), e["metadata"].clone()),
        (
            json!("deal.updated"),
            d0["id"].clone(),
            json!({"changes": {"notes": change(&json!(null), &json!("n"))}})
        )
    );
    let d2 = patch_ok(&app, &path, json!({"name": "Renamed"}), "req-keep-2");
    assert_eq!(only_entry(&app, "req-keep-2")["event_type"], "deal.updated");
    assert_eq!(d2["stage_changed_at"], d0["stage_changed_at"]);
}

#[rstest]
fn the_stage_route_moves_and_sets_closed_at_and_lost_reason(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d0 = app.deal(json!({"name": "Deal", "value": 100}));
    let did = id(&d0);
    let path = format!("/api/v1/deals/{did}/stage");
    // stage is required and must be a stage; lost_reason only with lost; nothing else.
    assert_400(&app.patch(&path, json!({})).send(), &["stage"]);
    assert_400(&app.patch(&path, json!({"stage": null})).send(), &["stage"]);
    assert_400(&app.patch(&path, json!({"stage": "closed"})).send(), &["stage"]);
    assert_400(
        &app.patch(&path, json!({"stage": "won", "lost_reason": "x"})).send(),
        &["lost_reason"],
    );
    assert_400(
        &app.patch(&path, json!({"stage": "won", "notes": "x"})).send(),
        &["notes"],
    );
    assert_eq!(get_deal(&app, &did), d0, "nothing changed");
    assert_eq!(audit(&app, &format!("target_id={did}")).len(), 1, "deal.created only");

    pause();
    let won = patch_ok(&app, &path, json!({"stage": "won"}), "req-won");
    assert_eq!(won["stage"], "won");
    assert!(won["closed_at"].is_string(), "{won}");
    assert_eq!(won["closed_at"], won["stage_changed_at"]);
    assert!(micros(&won["stage_changed_at"]) > micros(&d0["stage_changed_at"]));
    let e = only_entry(&app, "req-won");
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone()),
        (json!("deal.stage_moved"), json!(did))
    );
    assert_eq!(
        e["metadata"],
        json!({"from_stage": "lead", "to_stage": "won", "changes": {
            "stage": change(&json!("lead"), &json!("won")),
            "stage_changed_at": change(&d0["stage_changed_at"], &won["stage_changed_at"]),
            "closed_at": change(&json!(null), &won["closed_at"]),
        }})
    );
    assert_eq!(get_deal(&app, &did), won);

    // won -> lost: closed_at set anew.
    pause();
    let lost = patch_ok(
        &app,
        &path,
        json!({"stage": "lost", "lost_reason": "Budget"}),
        "req-lost",
    );
    assert_eq!(
        (lost["stage"].clone(), lost["lost_reason"].clone()),
        (json!("lost"), json!("Budget"))
    );
    assert!(
        micros(&lost["closed_at"]) > micros(&won["closed_at"]),
        "{won} -> {lost}"
    );
    assert_eq!(lost["closed_at"], lost["stage_changed_at"]);
    let e = only_entry(&app, "req-lost");
    assert_eq!(
        e["metadata"],
        json!({"from_stage": "won", "to_stage": "lost", "changes": {
            "stage": change(&json!("won"), &json!("lost")),
            "stage_changed_at": change(&won["stage_changed_at"], &lost["stage_changed_at"]),
            "closed_at": change(&won["closed_at"], &lost["closed_at"]),
            "lost_reason": change(&json!(null), &json!("Budget")),
        }})
    );

    // Leaving lost clears lost_reason and closed_at.
    pause();
    let open = patch_ok(&app, &path, json!({"stage": "negotiation"}), "req-reopen");
    assert_eq!(
        (
            open["stage"].clone(),
            open["lost_reason"].clone(),
            open["closed_at"].clone()
        ),
        (json!("negotiation"), json!(null), json!(null))
    );
    let e = only_entry(&app, "req-reopen");
    assert_eq!(
        e["metadata"],
        json!({"from_stage": "lost", "to_stage": "negotiation", "changes": {
            "stage": change(&json!("lost"), &json!("negotiation")),
            "stage_changed_at": change(&lost["stage_changed_at"], &open["stage_changed_at"]),
            "closed_at": change(&lost["closed_at"], &json!(null)),
            "lost_reason": change(&json!("Budget"), &json!(null)),
        }})
    );
    let mut want = d0.clone();
    want["stage"] = json!("negotiation");
    want["stage_changed_at"] = open["stage_changed_at"].clone();
    want["updated_at"] = open["updated_at"].clone();
    assert_eq!(open, want, "only the stage fields changed");
    app.patch(
        "/api/v1/deals/deal_01h455vb4pex5vsknk084sn02q/stage",
        json!({"stage": "won"}),
    )
    .send()
    .assert_error(404, "NOT_FOUND");
}

#[rstest]
fn a_move_to_the_current_stage_changes_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d = app.deal(json!({"name": "Deal", "stage": "prospect"}));
    let did = id(&d);
    pause();
    let r = app
        .patch(&format!("/api/v1/deals/{did}/stage"), json!({"stage": "prospect"}))
        .header("X-Request-Id", "req-same-1")
        .send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": d})), "{}", r.text);
    let r = app
        .patch(&format!("/api/v1/deals/{did}"), json!({"stage": "prospect"}))
        .header("X-Request-Id", "req-same-2")
        .send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": d})), "{}", r.text);
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": [did], "stage": "prospect"}),
        )
        .header("X-Request-Id", "req-same-3")
        .send();
    assert_eq!((r.status, &r.body), (200, &json!({"data": [d]})), "{}", r.text);
    for rid in ["req-same-1", "req-same-2", "req-same-3"] {
        assert_eq!(audit(&app, &format!("request_id={rid}")), Vec::<Value>::new(), "{rid}");
    }
    assert_eq!(get_deal(&app, &did), d, "updated_at unchanged");
    let history = app.get(&format!("/api/v1/deals/{did}/stages")).send();
    assert_eq!(history.body["meta"]["total"], 1, "{}", history.text);
}

#[rstest]
fn a_lost_deal_given_a_new_lost_reason_is_a_deal_updated(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d = app.deal(json!({"name": "Deal", "stage": "lost", "lost_reason": "Price"}));
    let did = id(&d);
    let path = format!("/api/v1/deals/{did}/stage");
    pause();
    let d1 = patch_ok(
        &app,
        &path,
        json!({"stage": "lost", "lost_reason": "Timing"}),
        "req-reason",
    );
    assert_eq!(d1["lost_reason"], "Timing");
    assert_eq!(
        (d1["closed_at"].clone(), d1["stage_changed_at"].clone()),
        (d["closed_at"].clone(), d["stage_changed_at"].clone()),
        "still the same move"
    );
    assert!(micros(&d1["updated_at"]) > micros(&d["updated_at"]));
    let e = only_entry(&app, "req-reason");
    assert_eq!(
        (e["event_type"].clone(), e["metadata"].clone()),
        (
            json!("deal.updated"),
            json!({"changes": {"lost_reason": change(&json!("Price"), &json!("Timing"))}})
        )
    );
    // The same reason again changes nothing.
    let r = app
        .patch(&path, json!({"stage": "lost", "lost_reason": "Timing"}))
        .header("X-Request-Id", "req-reason-again")
        .send();
    assert_eq!((r.status, &r.body["data"]), (200, &d1));
    assert_eq!(audit(&app, "request_id=req-reason-again"), Vec::<Value>::new());
    // Leaving lost in the same request: no reason may come with it.
    assert_400(
        &app.patch(&path, json!({"stage": "won", "lost_reason": "x"})).send(),
        &["lost_reason"],
    );
    assert_400(
        &app.patch(
            &format!("/api/v1/deals/{did}"),
            json!({"stage": "prospect", "lost_reason": "x"}),
        )
        .send(),
        &["lost_reason"],
    );
    // No reason given: the reason stays.
    let r = app.patch(&path, json!({"stage": "lost"})).send();
    assert_eq!((r.status, &r.body["data"]), (200, &d1));
}

#[rstest]
fn bulk_stage_moves_every_deal_and_answers_them_in_order(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = app.deal(json!({"name": "A"}));
    let b = app.deal(json!({"name": "B", "stage": "prospect"}));
    let c = app.deal(json!({"name": "C"}));
    let (ia, ib, ic) = (id(&a), id(&b), id(&c));
    pause();
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": [ic, ia, ib], "stage": "prospect"}),
        )
        .header("X-Request-Id", "req-bulk")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["data"], "no meta: {}", r.text);
    let data = r.body["data"].as_array().unwrap();
    let order: Vec<String> = data.iter().map(id).collect();
    assert_eq!(order, [ic.clone(), ia.clone(), ib.clone()]);
    assert_eq!(data[2], b, "already there: returned unchanged");
    for (moved, before) in [(&data[0], &c), (&data[1], &a)] {
        assert_eq!(moved["stage"], "prospect");
        assert!(micros(&moved["stage_changed_at"]) > micros(&before["stage_changed_at"]));
        assert_eq!(&get_deal(&app, &id(moved)), moved);
    }
    let entries = audit(&app, "request_id=req-bulk");
    assert_eq!(entries.len(), 2, "{entries:?}");
    for (i, n) in [(&ic, 2), (&ia, 2), (&ib, 1)] {
        let h = app.get(&format!("/api/v1/deals/{i}/stages")).send();
        assert_eq!(h.body["meta"]["total"], n, "bulk moves are in the history: {}", h.text);
    }
    let mut targets: Vec<String> = entries
        .iter()
        .map(|e| {
            assert_eq!(e["event_type"], "deal.stage_moved", "{e}");
            assert_eq!(e["request_id"], "req-bulk", "{e}");
            assert_eq!(
                (e["metadata"]["from_stage"].clone(), e["metadata"]["to_stage"].clone()),
                (json!("lead"), json!("prospect")),
                "{e}"
            );
            assert_eq!(
                e["metadata"]["changes"]["stage"],
                change(&json!("lead"), &json!("prospect"))
            );
            e["target_id"].as_str().unwrap().to_owned()
        })
        .collect();
    targets.sort();
    let mut want = vec![ia.clone(), ic.clone()];
    want.sort();
    assert_eq!(targets, want);

    // To lost with a reason: moved deals get it; a lost one given a new reason is updated.
    let l = app.deal(json!({"name": "L", "stage": "lost", "lost_reason": "Old"}));
    let l2 = app.deal(json!({"name": "L2", "stage": "lost", "lost_reason": "Same"}));
    let il = id(&l);
    let il2 = id(&l2);
    pause();
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": [il, ia, il2], "stage": "lost", "lost_reason": "Same"}),
        )
        .header("X-Request-Id", "req-bulk-lost")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let data = r.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(
        (data[0]["lost_reason"].clone(), data[0]["closed_at"].clone()),
        (json!("Same"), l["closed_at"].clone())
    );
    assert_eq!(
        (data[1]["stage"].clone(), data[1]["lost_reason"].clone()),
        (json!("lost"), json!("Same"))
    );
    assert!(data[1]["closed_at"].is_string());
    assert_eq!(data[2], l2, "nothing to change");
    let mut kinds: Vec<(String, String)> = audit(&app, "request_id=req-bulk-lost")
        .iter()
        .map(|e| {
            (
                e["target_id"].as_str().unwrap().to_owned(),
                e["event_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    let mut want = vec![
        (il.clone(), "deal.updated".to_owned()),
        (ia.clone(), "deal.stage_moved".to_owned()),
    ];
    want.sort();
    assert_eq!(kinds, want);
}

/// `n` well-formed deal ids that name no deal.
fn unknown_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("deal_01h455vb4pex5vsknk084sn{i:03}")).collect()
}

#[rstest]
fn bulk_stage_is_all_or_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = app.deal(json!({"name": "A"}));
    let b = app.deal(json!({"name": "B"}));
    let c = app.deal(json!({"name": "C"}));
    let (ia, ib, ic) = (id(&a), id(&b), id(&c));
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/deals", json!({"name": "Theirs"}))
        .key(&other)
        .send()
        .body["data"]
        .clone();
    let it = id(&theirs);
    let bulk = |ids: Value, rid: &str| {
        app.patch("/api/v1/deals/bulk-stage", json!({"deal_ids": ids, "stage": "won"}))
            .header("X-Request-Id", rid)
            .send()
    };
    // Sizes: 1-100.
    let mut many = unknown_ids(100);
    many.push(ia.clone());
    assert_eq!(many.len(), 101);
    assert_400(&bulk(json!(many), "req-b1"), &["deal_ids"]);
    assert_400(&bulk(json!([]), "req-b2"), &["deal_ids"]);
    assert_400(&bulk(json!(null), "req-b3"), &["deal_ids"]);
    assert_400(&bulk(json!(ia), "req-b4"), &["deal_ids"]);
    // Named at the repeat.
    assert_400(&bulk(json!([ia, ib, ia]), "req-b5"), &["deal_ids[2]"]);
    assert_400(&bulk(json!([ic, ia, ib, ia]), "req-b5b"), &["deal_ids[3]"]);
    // Another workspace's deal, an unknown one, a malformed one.
    assert_400(&bulk(json!([ia, it, ic]), "req-b6"), &["deal_ids[1]"]);
    assert_400(&bulk(json!([ia, ic, unknown_ids(1)[0]]), "req-b7"), &["deal_ids[2]"]);
    assert_400(&bulk(json!(["nope", ia]), "req-b8"), &["deal_ids[0]"]);
    assert_400(
        &bulk(json!([ib, "cnt_01h455vb4pex5vsknk084sn02q"]), "req-b9"),
        &["deal_ids[1]"],
    );
    // The other fields.
    let r = app
        .patch("/api/v1/deals/bulk-stage", json!({"deal_ids": [ia]}))
        .header("X-Request-Id", "req-b10")
        .send();
    assert_400(&r, &["stage"]);
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": [ia], "stage": "won", "lost_reason": "x"}),
        )
        .header("X-Request-Id", "req-b11")
        .send();
    assert_400(&r, &["lost_reason"]);
    // Nothing moved, nothing was written.
    for (i, before) in [(&ia, &a), (&ib, &b), (&ic, &c)] {
        assert_eq!(&get_deal(&app, i), before, "{i} did not move");
    }
    let theirs_now = app.get(&format!("/api/v1/deals/{it}")).key(&other).send();
    assert_eq!(theirs_now.body["data"], theirs);
    for rid in [
        "req-b1", "req-b2", "req-b3", "req-b4", "req-b5", "req-b5b", "req-b6", "req-b7", "req-b8", "req-b9", "req-b10",
        "req-b11",
    ] {
        assert_eq!(audit(&app, &format!("request_id={rid}")), Vec::<Value>::new(), "{rid}");
    }
    assert_eq!(audit(&app, "event_type=deal.stage_moved"), Vec::<Value>::new());
    // With every id good, the same request moves them all.
    let r = bulk(json!([ia, ib, ic]), "req-ok");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(audit(&app, "request_id=req-ok").len(), 3);
}

#[rstest]
fn bulk_stage_takes_up_to_100_deals(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ids: Vec<String> = (0..100)
        .map(|i| id(&app.deal(json!({"name": format!("D{i}")}))))
        .collect();
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": ids, "stage": "negotiation"}),
        )
        .header("X-Request-Id", "req-bulk-100")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let got: Vec<String> = r.body["data"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(got, ids);
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["stage"] == "negotiation")
    );
    let entries = audit(&app, "request_id=req-bulk-100");
    assert_eq!(entries.len(), 100);
    assert!(
        entries
            .iter()
            .all(|e| e["event_type"] == "deal.stage_moved" && e["request_id"] == "req-bulk-100")
    );
}

/// contract.md, Errors: one detail per bad field, all of them at once, not just the first.
#[rstest]
fn bulk_stage_names_every_unknown_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = id(&app.deal(json!({"name": "A"})));
    let other = app.other_workspace("other");
    let theirs = id(&app.post("/api/v1/deals", json!({"name": "T"})).key(&other).send().body["data"]);
    let unknown = unknown_ids(1);
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": [unknown[0], a, theirs], "stage": "won"}),
        )
        .send();
    assert_400(&r, &["deal_ids[0]", "deal_ids[2]"]);
    assert_eq!(get_deal(&app, &a)["stage"], "lead");
}

#[rstest]
fn bulk_stage_names_every_malformed_id_and_repeats_first(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = id(&app.deal(json!({"name": "A"})));
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": ["nope", a, "cmp_01h455vb4pex5vsknk084sn02q"], "stage": "won"}),
        )
        .send();
    assert_400(&r, &["deal_ids[0]", "deal_ids[2]"]);
    // A repeat is input validation, which comes before the lookup (contract.md, check order):
    // with a repeat and an unknown id, the repeat is named (the unknown one may be too).
    let r = app
        .patch(
            "/api/v1/deals/bulk-stage",
            json!({"deal_ids": [unknown_ids(1)[0], a, a], "stage": "won"}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert!(r.fields().contains(&"deal_ids[2]".to_owned()), "{}", r.text);
    assert_eq!(get_deal(&app, &a)["stage"], "lead");
    assert_eq!(audit(&app, "event_type=deal.stage_moved"), Vec::<Value>::new());
}

#[rstest]
fn bulk_stage_is_not_taken_for_a_deal_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    app.deal(json!({"name": "A"}));
    // contract.md, Routing: a literal path wins over `{id}`, and another method on it is 405
    // with its Allow.
    for method in ["GET", "DELETE", "POST"] {
        let r = app.req(method, "/api/v1/deals/bulk-stage").send();
        r.assert_error(405, "VALIDATION_ERROR");
        assert_eq!(r.header("allow"), Some("PATCH"), "{method}");
    }
    // A PATCH with a deal's body is validated as a bulk move, not as a deal update.
    let r = app.patch("/api/v1/deals/bulk-stage", json!({"name": "x"})).send();
    r.assert_error(400, "VALIDATION_ERROR");
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["deal_ids", "name", "stage"], "{}", r.text);
}

#[rstest]
fn stage_history_chains_entered_and_left(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let d = app.deal(json!({"name": "Deal"}));
    let did = id(&d);
    std::thread::sleep(Duration::from_millis(1100));
    patch_ok(
        &app,
        &format!("/api/v1/deals/{did}"),
        json!({"stage": "prospect"}),
        "req-h1",
    );
    pause();
    patch_ok(
        &app,
        &format!("/api/v1/deals/{did}/stage"),
        json!({"stage": "won"}),
        "req-h2",
    );
    pause();
    // A move to the current stage and a plain update add nothing.
    patch_ok(
        &app,
        &format!("/api/v1/deals/{did}/stage"),
        json!({"stage": "won"}),
        "req-h3",
    );
    patch_ok(&app, &format!("/api/v1/deals/{did}"), json!({"notes": "x"}), "req-h4");
    let now = get_deal(&app, &did);

    let r = app.get(&format!("/api/v1/deals/{did}/stages")).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 25, "total": 3, "total_pages": 1})
    );
    let desc = r.body["data"].as_array().unwrap().clone();
    let stages: Vec<_> = desc.iter().map(|s| s["stage"].clone()).collect();
    assert_eq!(stages, [json!("won"), json!("prospect"), json!("lead")], "newest first");
    for s in &desc {
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["entered_at", "left_at", "seconds_in_stage", "stage"], "{s}");
    }
    let asc = app.get(&format!("/api/v1/deals/{did}/stages?order=asc")).send().body["data"]
        .as_array()
        .unwrap()
        .clone();
    let rev: Vec<Value> = desc.iter().rev().cloned().collect();
    // seconds_in_stage of the current stage grows with time; compare the rest exactly.
    let strip = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .map(|s| {
                let mut s = s.clone();
                if s["left_at"].is_null() {
                    s["seconds_in_stage"] = json!(null);
                }
                s
            })
            .collect()
    };
    assert_eq!(strip(&asc), strip(&rev), "order=asc is oldest first");
    let asc_sorted = app
        .get(&format!("/api/v1/deals/{did}/stages?sort=entered_at&order=asc"))
        .send();
    assert_eq!(strip(asc_sorted.body["data"].as_array().unwrap()), strip(&asc));

    assert_eq!(asc[0]["entered_at"], d["created_at"]);
    for w in asc.windows(2) {
        assert_eq!(w[0]["left_at"], w[1]["entered_at"], "{w:?}");
    }
    assert_eq!(asc[2]["left_at"], json!(null));
    assert_eq!(asc[2]["entered_at"], now["stage_changed_at"]);
    for s in &asc[..2] {
        let secs = s["seconds_in_stage"]
            .as_u64()
            .unwrap_or_else(|| panic!("whole seconds: {s}"));
        let span = micros(&s["left_at"]) - micros(&s["entered_at"]);
        assert_eq!(secs as i64, span.div_euclid(1_000_000), "rounded down: {s}");
    }
    assert_eq!(asc[0]["seconds_in_stage"], 1, "about 1.1 s in lead");
    let current = asc[2]["seconds_in_stage"]
        .as_u64()
        .unwrap_or_else(|| panic!("whole seconds so far: {}", asc[2]));
    assert!(current <= 60, "{current}");

    // Pagination and sort like every list.
    let r = app.get(&format!("/api/v1/deals/{did}/stages?per_page=1&page=2")).send();
    assert_eq!(r.body["data"][0]["stage"], "prospect", "{}", r.text);
    assert_400(
        &app.get(&format!("/api/v1/deals/{did}/stages?sort=stage")).send(),
        &["sort"],
    );
    // A deal created won has one entry, since its creation.
    let won = app.deal(json!({"name": "Won", "stage": "won"}));
    let r = app.get(&format!("/api/v1/deals/{}/stages", id(&won))).send();
    assert_eq!(r.body["meta"]["total"], 1, "{}", r.text);
    let first = &r.body["data"][0];
    assert_eq!(
        (
            first["stage"].clone(),
            first["entered_at"].clone(),
            first["left_at"].clone()
        ),
        (json!("won"), won["created_at"].clone(), json!(null))
    );
    app.get("/api/v1/deals/deal_01h455vb4pex5vsknk084sn02q/stages")
        .send()
        .assert_error(404, "NOT_FOUND");
}

#[rstest]
fn deal_contacts_link_list_and_unlink(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let deal = app.deal(json!({"name": "Deal"}));
    let did = id(&deal);
    let jane = app.contact(json!({"first_name": "Jane", "email": "jane@example.com"}));
    let bob = app.contact(json!({"first_name": "Bob"}));
    let (ij, ibob) = (id(&jane), id(&bob));
    let path = format!("/api/v1/deals/{did}/contacts");

    let r = app
        .post(&path, json!({"contact_id": ij, "role": "Champion"}))
        .header("X-Request-Id", "req-link-1")
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("location"), None, "a link has no GET route of its own");
    let l1 = r.body["data"].clone();
    assert!(l1["created_at"].as_str().is_some_and(|s| s.ends_with('Z')), "{l1}");
    assert_eq!(
        r.body,
        json!({"data": {"deal_id": did, "contact_id": ij, "role": "Champion", "created_at": l1["created_at"], "contact": jane}})
    );
    pause();
    let r = app
        .post(&path, json!({"contact_id": ibob}))
        .header("X-Request-Id", "req-link-2")
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let l2 = r.body["data"].clone();
    assert_eq!((l2["role"].clone(), l2["contact"].clone()), (json!(null), bob.clone()));

    // Linking twice is a conflict, whatever the role.
    for body in [json!({"contact_id": ij}), json!({"contact_id": ij, "role": "Other"})] {
        app.post(&path, body)
            .header("X-Request-Id", "req-link-dup")
            .send()
            .assert_error(409, "CONFLICT");
    }
    // Bad contacts and roles.
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "T"}))
        .key(&other)
        .send()
        .body["data"]["id"]
        .clone();
    for bad in [
        theirs,
        json!("cnt_01h455vb4pex5vsknk084sn02q"),
        json!("deal_01h455vb4pex5vsknk084sn02q"),
        json!("nope"),
        json!(null),
    ] {
        let r = app
            .post(&path, json!({"contact_id": bad}))
            .header("X-Request-Id", "req-link-bad")
            .send();
        assert_400(&r, &["contact_id"]);
    }
    assert_400(&app.post(&path, json!({})).send(), &["contact_id"]);
    let carol = id(&app.contact(json!({"first_name": "Carol"})));
    assert_400(
        &app.post(&path, json!({"contact_id": carol, "role": "r".repeat(101)}))
            .send(),
        &["role"],
    );
    app.post(
        "/api/v1/deals/deal_01h455vb4pex5vsknk084sn02q/contacts",
        json!({"contact_id": carol}),
    )
    .send()
    .assert_error(404, "NOT_FOUND");
    assert_eq!(audit(&app, "request_id=req-link-dup"), Vec::<Value>::new());
    assert_eq!(audit(&app, "request_id=req-link-bad"), Vec::<Value>::new());

    // The list: newest first by default, oldest first with order=asc.
    let r = app.get(&path).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": [l2, l1], "meta": {"page": 1, "per_page": 25, "total": 2, "total_pages": 1}})
    );
    let r = app.get(&format!("{path}?order=asc&sort=created_at")).send();
    assert_eq!(r.body["data"], json!([l1, l2]));
    assert_400(&app.get(&format!("{path}?sort=role")).send(), &["sort"]);

    for (rid, contact) in [("req-link-1", &ij), ("req-link-2", &ibob)] {
        let e = only_entry(&app, rid);
        assert_eq!(
            (
                e["event_type"].clone(),
                e["target_type"].clone(),
                e["target_id"].clone()
            ),
            (json!("deal.contact_added"), json!("deal"), json!(did)),
            "{e}"
        );
        assert!(
            e.to_string().contains(contact.as_str()),
            "the entry names the contact: {e}"
        );
    }

    // Unlink.
    let r = app
        .delete(&format!("{path}/{ij}"))
        .header("X-Request-Id", "req-unlink")
        .send();
    assert_eq!((r.status, r.body.clone()), (200, json!({"data": null})), "{}", r.text);
    let e = only_entry(&app, "req-unlink");
    assert_eq!(
        (e["event_type"].clone(), e["target_id"].clone()),
        (json!("deal.contact_removed"), json!(did)),
        "{e}"
    );
    app.delete(&format!("{path}/{ij}"))
        .header("X-Request-Id", "req-unlink-again")
        .send()
        .assert_error(404, "NOT_FOUND");
    app.delete(&format!("{path}/{carol}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    assert_eq!(audit(&app, "request_id=req-unlink-again"), Vec::<Value>::new());
    let r = app.get(&path).send();
    assert_eq!(r.body["data"], json!([l2]));
    // A link shows the contact as it is now.
    let r = app
        .patch(&format!("/api/v1/contacts/{ibob}"), json!({"title": "CFO"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.get(&path).send();
    let mut bob_now = bob.clone();
    bob_now["title"] = json!("CFO");
    bob_now["updated_at"] = r.body["data"][0]["contact"]["updated_at"].clone();
    assert_eq!(r.body["data"][0]["contact"], bob_now, "{}", r.text);
    // The contact itself stays.
    assert_eq!(app.get(&format!("/api/v1/contacts/{ij}")).send().status, 200);
    // It can be linked again.
    assert_eq!(app.post(&path, json!({"contact_id": ij})).send().status, 201);
}
