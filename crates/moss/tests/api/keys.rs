//! API keys over HTTP.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn create_list_revoke(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post("/api/v1/keys", json!({"name": "ci", "scope": "read_only"}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("location"), None, "a key has no GET route, so no Location");
    let d = r.body["data"].clone();
    let key = d["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("moss_k_") && key.len() >= 45, "{key}");
    assert_eq!(
        r.body,
        json!({"data": {"id": d["id"], "name": "ci", "scope": "read_only", "prefix": &key[..12], "member_id": d["member_id"],
            "expires_at": null, "last_used_at": null, "created_at": d["created_at"], "key": key}})
    );
    let members = app.get("/api/v1/workspaces/members").send();
    assert_eq!(
        d["member_id"], members.body["data"][0]["id"],
        "the key belongs to the calling member"
    );

    // The new key works and is read-only; its use is recorded.
    assert_eq!(app.get("/api/v1/contacts").key(&key).send().status, 200);
    let list = app.get("/api/v1/keys?sort=created_at&order=asc").send();
    assert_eq!(list.body["meta"]["total"], 2);
    assert!(
        !list.text.contains("moss_k_")
            || list.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k.get("key").is_none())
    );
    assert!(!list.text.contains(&key), "a listing never shows a secret");
    let listed = list.body["data"][1].clone();
    assert_eq!(listed["id"], d["id"]);
    assert!(listed["last_used_at"].is_string());

    let id = d["id"].as_str().unwrap();
    let del = app.delete(&format!("/api/v1/keys/{id}")).send();
    assert_eq!((del.status, del.body), (200, json!({"data": null})));
    app.get("/api/v1/contacts")
        .key(&key)
        .send()
        .assert_error(401, "UNAUTHORIZED");
    assert_eq!(
        app.get("/api/v1/keys").send().body["meta"]["total"],
        1,
        "revoked keys are not listed"
    );
    app.delete(&format!("/api/v1/keys/{id}"))
        .send()
        .assert_error(404, "NOT_FOUND");
}

#[rstest]
fn an_owner_may_revoke_the_key_it_calls_with(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let list = app.get("/api/v1/keys").send();
    let own = list.body["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&format!("/api/v1/keys/{own}")).send().status, 200);
    app.get("/api/v1/keys").send().assert_error(401, "UNAUTHORIZED");
}

#[rstest]
fn key_input_is_validated(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post(
            "/api/v1/keys",
            json!({"scope": "admin", "expires_at": "2001-01-01T00:00:00Z", "key": "moss_k_x"}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["key", "name", "scope", "expires_at"]);
    let r = app
        .post("/api/v1/keys", json!({"name": "x", "expires_at": "tomorrow"}))
        .send();
    assert_eq!(r.fields(), ["expires_at"]);
    // RFC 3339 as spelled: no leap second (the backends would store it apart), no surrounding
    // space, no space for `T`, no U+2212 for the offset's sign.
    for lenient in [
        "2612-12-01T20:44:60Z",
        " 2612-12-01T20:44:00Z",
        "2612-12-01 20:44:00Z",
        "2612-12-01T20:44:00\u{2212}01:00",
    ] {
        let r = app
            .post("/api/v1/keys", json!({"name": "x", "expires_at": lenient}))
            .send();
        r.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(r.fields(), ["expires_at"], "{lenient}");
    }
    assert_eq!(app.get("/api/v1/keys").send().body["meta"]["total"], 1);
    app.delete("/api/v1/keys/cnt_01h455vb4pex5vsknk084sn02q")
        .send()
        .assert_error(404, "NOT_FOUND");
}
