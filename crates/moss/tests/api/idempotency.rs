//! Idempotency keys: a retried mutation never happens twice.

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

fn audit_count(app: &TestApp, query: &str) -> u64 {
    let r = app.get(&format!("/api/v1/audit-logs?{query}")).send();
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["meta"]["total"].as_u64().unwrap()
}

#[rstest]
fn replayed_post_patch_and_delete_answer_byte_for_byte_and_change_nothing(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let body = json!({"first_name": "Jane", "email": "jane@example.com"});
    let first = app
        .post("/api/v1/contacts", body.clone())
        .header("Idempotency-Key", "create-1")
        .send();
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = app
        .post("/api/v1/contacts", body.clone())
        .header("Idempotency-Key", "create-1")
        .send();
    assert_eq!(again.status, 201);
    assert_eq!(again.text, first.text, "byte for byte");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_ne!(
        again.header("x-request-id"),
        first.header("x-request-id"),
        "the replay has its own request id"
    );
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 1);
    assert_eq!(audit_count(&app, "event_type=contact.created"), 1);

    let id = first.body["data"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/contacts/{id}");
    let p1 = app
        .patch(&path, json!({"title": "CTO"}))
        .header("Idempotency-Key", "patch-1")
        .send();
    assert_eq!(p1.status, 200);
    // Someone else changes the record in between: the replay still answers the first result.
    app.patch(&path, json!({"title": "CEO"})).send();
    let p2 = app
        .patch(&path, json!({"title": "CTO"}))
        .header("Idempotency-Key", "patch-1")
        .send();
    assert_eq!(
        (p2.status, p2.text.clone(), p2.header("idempotent-replayed")),
        (200, p1.text.clone(), Some("true"))
    );
    assert_eq!(
        app.get(&path).send().body["data"]["title"],
        "CEO",
        "the replay changed nothing"
    );
    assert_eq!(audit_count(&app, "event_type=contact.updated"), 2);

    let d1 = app.delete(&path).header("Idempotency-Key", "delete-1").send();
    assert_eq!((d1.status, d1.body.clone()), (200, json!({"data": null})));
    let d2 = app.delete(&path).header("Idempotency-Key", "delete-1").send();
    assert_eq!(
        (d2.status, d2.text.clone(), d2.header("idempotent-replayed")),
        (200, d1.text.clone(), Some("true"))
    );
    assert_eq!(audit_count(&app, "event_type=contact.deleted"), 1);
    // Without the key, a second delete is a plain 404.
    app.delete(&path).send().assert_error(404, "NOT_FOUND");
}

#[rstest]
fn same_key_for_another_request_is_409_and_keys_are_per_api_key(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "A"}))
        .header("Idempotency-Key", "k")
        .send();
    assert_eq!(r.status, 201);
    let other_body = app
        .post("/api/v1/contacts", json!({"first_name": "B"}))
        .header("Idempotency-Key", "k")
        .send();
    other_body.assert_error(409, "CONFLICT");
    assert_eq!(
        other_body.body["error"]["message"],
        "Idempotency-Key was used for a different request."
    );
    assert_eq!(other_body.header("idempotent-replayed"), None);
    let other_path = app
        .post("/api/v1/companies", json!({"name": "A"}))
        .header("Idempotency-Key", "k")
        .send();
    other_path.assert_error(409, "CONFLICT");
    // Another API key (even of the same member) has its own keys.
    let second = app.key(Role::Owner, "full");
    let r2 = app
        .post("/api/v1/contacts", json!({"first_name": "A"}))
        .key(&second)
        .header("Idempotency-Key", "k")
        .send();
    assert_eq!((r2.status, r2.header("idempotent-replayed")), (201, None));
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 2);
}

#[rstest]
fn concurrent_requests_with_one_key_create_one_record(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let barrier = std::sync::Barrier::new(8);
    let answers: Vec<(u16, Option<String>, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let r = app
                        .post(
                            "/api/v1/contacts",
                            json!({"first_name": "Jane", "email": "jane@example.com"}),
                        )
                        .header("Idempotency-Key", "burst")
                        .send();
                    (r.status, r.header("idempotent-replayed").map(str::to_owned), r.text)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 1);
    assert_eq!(audit_count(&app, "event_type=contact.created"), 1);
    let created: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 201).collect();
    assert!(answers.iter().all(|(s, _, _)| *s == 201 || *s == 409), "{answers:?}");
    assert_eq!(
        created.iter().filter(|(_, replay, _)| replay.is_none()).count(),
        1,
        "{answers:?}"
    );
    assert!(
        created.iter().all(|(_, _, body)| *body == created[0].2),
        "replays are identical"
    );
}

#[rstest]
fn a_mutation_that_fails_after_writing_leaves_nothing_and_the_key_can_be_used_again(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    app.diesel.fail_next_write();
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "Jane"}))
        .header("Idempotency-Key", "flaky")
        .header("X-Request-Id", "req-failed-once")
        .send();
    r.assert_error(500, "INTERNAL_ERROR");
    assert_eq!(r.body["error"]["message"], "internal error", "no cause leaks");
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 0);
    assert_eq!(audit_count(&app, "request_id=req-failed-once"), 0);
    let retry = app
        .post("/api/v1/contacts", json!({"first_name": "Jane"}))
        .header("Idempotency-Key", "flaky")
        .send();
    assert_eq!(
        (retry.status, retry.header("idempotent-replayed")),
        (201, None),
        "{}",
        retry.text
    );
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 1);
}

#[rstest]
fn refused_requests_are_not_stored_but_404_and_409_are(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    // 400: the client fixes the body and retries with the same key.
    app.post("/api/v1/contacts", json!({"bogus": 1}))
        .header("Idempotency-Key", "a")
        .send()
        .assert_error(400, "VALIDATION_ERROR");
    let fixed = app
        .post("/api/v1/contacts", json!({"first_name": "J"}))
        .header("Idempotency-Key", "a")
        .send();
    assert_eq!((fixed.status, fixed.header("idempotent-replayed")), (201, None));
    // 415 and 400 from the use case itself (unknown company) are not stored either.
    app.req("POST", "/api/v1/contacts")
        .raw(b"{}".to_vec(), Some("text/plain"))
        .header("Idempotency-Key", "b")
        .send()
        .assert_error(415, "VALIDATION_ERROR");
    let unknown = json!({"first_name": "J", "company_id": "cmp_01h455vb4pex5vsknk084sn02q"});
    app.post("/api/v1/contacts", unknown)
        .header("Idempotency-Key", "c")
        .send()
        .assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        app.post("/api/v1/contacts", json!({"first_name": "K"}))
            .header("Idempotency-Key", "c")
            .send()
            .status,
        201
    );
    // 403 for a member on an owner route: the same key then works on a route it may use.
    let member = app.key(Role::Member, "full");
    app.post("/api/v1/keys", json!({"name": "x"}))
        .key(&member)
        .header("Idempotency-Key", "m")
        .send()
        .assert_error(403, "FORBIDDEN");
    let ok = app
        .post("/api/v1/contacts", json!({"first_name": "M"}))
        .key(&member)
        .header("Idempotency-Key", "m")
        .send();
    assert_eq!((ok.status, ok.header("idempotent-replayed")), (201, None));
    // 401 with a key-shaped but unknown key changes nothing.
    let unknown_key = moss_domain::key::KeySecret::generate().expose().to_owned();
    app.post("/api/v1/contacts", json!({"first_name": "U"}))
        .key(&unknown_key)
        .header("Idempotency-Key", "u")
        .send()
        .assert_error(401, "UNAUTHORIZED");

    // 409 from the use case is stored: the replay says 409 even once the conflict is gone.
    let jane = app.contact(json!({"first_name": "Jane", "email": "jane@example.com"}));
    let dup = json!({"first_name": "J2", "email": "jane@example.com"});
    let c1 = app
        .post("/api/v1/contacts", dup.clone())
        .header("Idempotency-Key", "dup")
        .send();
    c1.assert_error(409, "CONFLICT");
    app.delete(&format!("/api/v1/contacts/{}", jane["id"].as_str().unwrap()))
        .send();
    let c2 = app
        .post("/api/v1/contacts", dup)
        .header("Idempotency-Key", "dup")
        .send();
    assert_eq!(
        (c2.status, c2.text.clone(), c2.header("idempotent-replayed")),
        (409, c1.text.clone(), Some("true"))
    );
    assert_eq!(
        c2.body["error"]["request_id"], c1.body["error"]["request_id"],
        "the body keeps the first request id"
    );
    assert_ne!(c2.header("x-request-id"), c1.header("x-request-id"));
    // 404 likewise.
    let gone = "/api/v1/contacts/cnt_01h455vb4pex5vsknk084sn02q";
    let n1 = app
        .patch(gone, json!({"title": "x"}))
        .header("Idempotency-Key", "nf")
        .send();
    n1.assert_error(404, "NOT_FOUND");
    let n2 = app
        .patch(gone, json!({"title": "x"}))
        .header("Idempotency-Key", "nf")
        .send();
    assert_eq!(
        (n2.status, n2.text.clone(), n2.header("idempotent-replayed")),
        (404, n1.text, Some("true"))
    );
}

#[rstest]
#[case("")]
#[case("tab\there")]
fn bad_idempotency_keys_are_400_naming_the_header(#[case] key: &str) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "J"}))
        .header("Idempotency-Key", key)
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["Idempotency-Key"]);
    let long = "k".repeat(256);
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "J"}))
        .header("Idempotency-Key", &long)
        .send();
    assert_eq!(r.fields(), ["Idempotency-Key"]);
    assert_eq!(
        app.post("/api/v1/contacts", json!({"first_name": "J"}))
            .header("Idempotency-Key", &"k".repeat(255))
            .send()
            .status,
        201
    );
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 1);
}

#[rstest]
fn a_replayed_key_creation_does_not_show_the_secret_again(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let first = app
        .post("/api/v1/keys", json!({"name": "ci"}))
        .header("Idempotency-Key", "key-1")
        .send();
    assert_eq!(first.status, 201);
    let secret = first.body["data"]["key"].as_str().unwrap().to_owned();
    let again = app
        .post("/api/v1/keys", json!({"name": "ci"}))
        .header("Idempotency-Key", "key-1")
        .send();
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let mut expected = first.body.clone();
    expected["data"]["key"] = json!(null);
    assert_eq!(again.body, expected);
    assert!(!again.text.contains(&secret));
    assert_eq!(app.get("/api/v1/keys").send().body["meta"]["total"], 2);
}
