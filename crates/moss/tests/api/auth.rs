//! Authentication: every kind of bad key gets the same 401; scopes and roles get 403 before
//! anything is read or written.

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

fn unauthorized_body(r: &Resp) -> serde_json::Value {
    r.assert_error(401, "UNAUTHORIZED");
    let mut b = r.body.clone();
    b["error"]["request_id"] = json!("redacted");
    b
}

#[rstest]
fn missing_malformed_unknown_revoked_and_expired_keys_get_the_same_401(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let expected =
        json!({"error": {"code": "UNAUTHORIZED", "message": "Missing or invalid API key.", "request_id": "redacted"}});

    let revoked = app.key(Role::Owner, "full");
    let id = app.get("/api/v1/keys").key(&revoked).send().body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| revoked.starts_with(k["prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete(&format!("/api/v1/keys/{id}")).send().status, 200);

    let valid = app.owner_key.clone();
    let bad_checksum = format!(
        "{}{}",
        &valid[..valid.len() - 1],
        if valid.ends_with('a') { 'b' } else { 'a' }
    );
    // Well-formed (right checksum) but never issued: made by the same generator.
    let unknown = moss_domain::key::KeySecret::generate().expose().to_owned();
    for r in [
        app.get("/api/v1/contacts").no_key().send(),
        app.get("/api/v1/contacts").key("").send(),
        app.get("/api/v1/contacts").key("Bearer nope").send(),
        app.get("/api/v1/contacts").key(&bad_checksum).send(),
        app.get("/api/v1/contacts")
            .key(&valid.replace("moss_k_", "moss_x_"))
            .send(),
        app.get("/api/v1/contacts").key(&unknown).send(),
        app.get("/api/v1/contacts").key(&revoked).send(),
        app.post("/api/v1/contacts", json!({"first_name": "X"}))
            .key(&revoked)
            .send(),
    ] {
        assert_eq!(unauthorized_body(&r), expected);
    }
}

#[rstest]
fn expired_key_gets_401(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(2)).to_rfc3339();
    let r = app
        .post("/api/v1/keys", json!({"name": "short-lived", "expires_at": soon}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let key = r.body["data"]["key"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/contacts").key(&key).send().status, 200);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(
        app.get("/api/v1/keys").send().body["meta"]["total"],
        1,
        "expired keys are not listed"
    );
    let r = app.get("/api/v1/contacts").key(&key).send();
    assert_eq!(unauthorized_body(&r)["error"]["code"], "UNAUTHORIZED");
}

#[test]
fn the_key_is_never_taken_from_the_query_string() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app
        .get(&format!("/api/v1/contacts?api_key={}", app.owner_key))
        .no_key()
        .send();
    r.assert_error(401, "UNAUTHORIZED");
    let r = app
        .get(&format!("/api/v1/contacts?X-API-Key={}", app.owner_key))
        .no_key()
        .send();
    r.assert_error(401, "UNAUTHORIZED");
}

#[rstest]
fn read_only_keys_get_403_on_every_mutation_and_change_nothing(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let contact = app.contact(json!({"first_name": "Jane"}));
    let company = app.company(json!({"name": "Acme"}));
    let ro = app.key(Role::Owner, "read_only");
    let (cid, mid) = (contact["id"].as_str().unwrap(), company["id"].as_str().unwrap());
    let keys_before = app.get("/api/v1/keys").send().body["meta"]["total"].clone();
    for r in [
        app.post("/api/v1/contacts", json!({"first_name": "X"})).key(&ro).send(),
        // Even an invalid body gets 403: scope is checked before validation.
        app.post("/api/v1/contacts", json!({"bogus": 1})).key(&ro).send(),
        app.patch(&format!("/api/v1/contacts/{cid}"), json!({"first_name": "Y"}))
            .key(&ro)
            .send(),
        app.delete(&format!("/api/v1/contacts/{cid}")).key(&ro).send(),
        app.post("/api/v1/companies", json!({"name": "X"})).key(&ro).send(),
        app.patch(&format!("/api/v1/companies/{mid}"), json!({"name": "Y"}))
            .key(&ro)
            .send(),
        app.delete(&format!("/api/v1/companies/{mid}")).key(&ro).send(),
        app.post("/api/v1/keys", json!({"name": "k"})).key(&ro).send(),
        app.delete("/api/v1/keys/key_01h455vb4pex5vsknk084sn02q")
            .key(&ro)
            .send(),
    ] {
        r.assert_error(403, "FORBIDDEN");
    }
    // Reads still work, and nothing changed.
    let got = app.get(&format!("/api/v1/contacts/{cid}")).key(&ro).send();
    assert_eq!(got.body["data"], contact);
    assert_eq!(
        app.get(&format!("/api/v1/companies/{mid}")).key(&ro).send().body["data"],
        company
    );
    assert_eq!(app.get("/api/v1/contacts").key(&ro).send().body["meta"]["total"], 1);
    assert_eq!(app.get("/api/v1/companies").send().body["meta"]["total"], 1);
    assert_eq!(app.get("/api/v1/keys").send().body["meta"]["total"], keys_before);
}

#[rstest]
fn members_cannot_touch_keys_but_can_use_the_crm(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let member = app.key(Role::Member, "full");
    app.get("/api/v1/keys")
        .key(&member)
        .send()
        .assert_error(403, "FORBIDDEN");
    app.post("/api/v1/keys", json!({"name": "x"}))
        .key(&member)
        .send()
        .assert_error(403, "FORBIDDEN");
    app.delete("/api/v1/keys/key_01h455vb4pex5vsknk084sn02q")
        .key(&member)
        .send()
        .assert_error(403, "FORBIDDEN");
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "Jane"}))
        .key(&member)
        .send();
    assert_eq!(r.status, 201);
    assert_eq!(app.get("/api/v1/workspaces/members").key(&member).send().status, 200);
}

#[rstest]
fn bad_key_is_401_before_validation_and_403_before_validation(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    // Check order: 401 before 400, 403 before 400/415/413.
    app.post("/api/v1/contacts", json!({"bogus": true}))
        .no_key()
        .send()
        .assert_error(401, "UNAUTHORIZED");
    app.get("/api/v1/contacts?per_page=0")
        .no_key()
        .send()
        .assert_error(401, "UNAUTHORIZED");
    let ro = app.key(Role::Owner, "read_only");
    app.post("/api/v1/contacts", json!({}))
        .key(&ro)
        .raw(b"not json".to_vec(), Some("text/plain"))
        .send()
        .assert_error(403, "FORBIDDEN");
    let member = app.key(Role::Member, "full");
    app.get("/api/v1/keys?per_page=0")
        .key(&member)
        .send()
        .assert_error(403, "FORBIDDEN");
    // An oversized body does not jump the queue: 401 and 403 come first.
    let big = json!({"first_name": "J", "notes": "a".repeat(300 * 1024)});
    app.post("/api/v1/contacts", big.clone())
        .no_key()
        .send()
        .assert_error(401, "UNAUTHORIZED");
    let unknown = moss_domain::key::KeySecret::generate().expose().to_owned();
    app.post("/api/v1/contacts", big.clone())
        .key(&unknown)
        .send()
        .assert_error(401, "UNAUTHORIZED");
    app.post("/api/v1/contacts", big.clone())
        .key(&ro)
        .send()
        .assert_error(403, "FORBIDDEN");
    app.post("/api/v1/keys", big.clone())
        .key(&member)
        .send()
        .assert_error(403, "FORBIDDEN");
    app.post("/api/v1/contacts", big)
        .send()
        .assert_error(413, "VALIDATION_ERROR");
}

#[rstest]
fn a_request_with_two_api_keys_or_two_idempotency_keys_is_refused(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let status_and_code = |raw: String| {
        let status: u16 = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        (
            status,
            body["error"]["code"].clone(),
            body["error"]["details"][0]["field"].clone(),
        )
    };
    let other = app.key(moss_domain::Role::Owner, "full");
    // Valid then bogus, bogus then valid, the same valid key twice: all 401.
    for (first, second) in [
        (app.owner_key.as_str(), "moss_k_bogus"),
        ("moss_k_bogus", app.owner_key.as_str()),
        (app.owner_key.as_str(), app.owner_key.as_str()),
        (app.owner_key.as_str(), other.as_str()),
    ] {
        let raw = app.raw(
            format!("GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: {first}\r\nX-API-Key: {second}\r\n\r\n")
                .as_bytes(),
        );
        assert_eq!(status_and_code(raw).0, 401);
    }
    let body = r#"{"first_name": "Twice"}"#;
    let raw = app.raw(
        format!(
            "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: {}\r\n\
             Content-Type: application/json\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: {}\r\n\r\n{body}",
            app.owner_key,
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(
        status_and_code(raw),
        (400, json!("VALIDATION_ERROR"), json!("Idempotency-Key"))
    );
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 0);
}
