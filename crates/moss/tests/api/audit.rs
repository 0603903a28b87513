//! The audit log over HTTP.

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn every_mutation_is_audited_with_its_request_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let c = app
        .post("/api/v1/contacts", json!({"first_name": "Jane", "tags": ["a"]}))
        .header("X-Request-Id", "req-abc-123")
        .send();
    let id = c.body["data"]["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/contacts/{id}"),
        json!({"first_name": "Janet", "tags": ["b"], "title": "CTO"}),
    )
    .header("X-Request-Id", "req-update")
    .send();
    let r = app.get("/api/v1/audit-logs?request_id=req-abc-123").send();
    assert_eq!(r.status, 200, "{}", r.text);
    let e = r.body["data"][0].clone();
    let key_id = app.get("/api/v1/keys").send().body["data"][0]["id"].clone();
    assert_eq!(
        r.body,
        json!({"data": [{
            "id": e["id"], "event_type": "contact.created", "target_type": "contact", "target_id": id,
            "actor_type": "api_key", "actor_id": key_id, "request_id": "req-abc-123", "ip": "127.0.0.1",
            "metadata": {}, "created_at": e["created_at"]
        }], "meta": {"page": 1, "per_page": 25, "total": 1, "total_pages": 1}})
    );
    assert!(e["id"].as_str().unwrap().starts_with("aud_"));
    let u = app.get("/api/v1/audit-logs?request_id=req-update").send();
    assert_eq!(
        u.body["data"][0]["metadata"],
        json!({"changes": {
            "first_name": {"old": "Jane", "new": "Janet"},
            "tags": {"old": ["a"], "new": ["b"]},
            "title": {"old": null, "new": "CTO"}
        }})
    );
    // Newest first, and the filters narrow.
    let all = app.get("/api/v1/audit-logs").send();
    let types: Vec<_> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(types[..2], [json!("contact.updated"), json!("contact.created")]);
    for (q, n) in [
        ("event_type=contact.updated", 1),
        ("target_type=contact", 2),
        (format!("target_id={id}").as_str(), 2),
        ("actor_type=api_key", 2),
        ("actor_type=system", 1),
        (format!("actor_id={}", key_id.as_str().unwrap()).as_str(), 2),
        ("event_type=contact.created&request_id=req-update", 0),
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/audit-logs?{q}")).send().body["meta"]["total"],
            n,
            "{q}"
        );
    }
    app.get("/api/v1/audit-logs?sort=event_type")
        .send()
        .assert_error(400, "VALIDATION_ERROR");
    app.get("/api/v1/audit-logs?colour=red")
        .send()
        .assert_error(400, "VALIDATION_ERROR");
}

#[rstest]
fn audit_entries_are_per_workspace_owner_only_and_never_hold_secrets(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let other = app.other_workspace("other");
    let created = app
        .post("/api/v1/keys", json!({"name": "k"}))
        .header("X-Request-Id", "req-key")
        .send();
    let secret = created.body["data"]["key"].as_str().unwrap().to_owned();
    let kid = created.body["data"]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/api/v1/keys/{kid}")).send();
    assert_eq!(
        app.get("/api/v1/audit-logs?request_id=req-key").send().body["meta"]["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/audit-logs?request_id=req-key").key(&other).send().body["meta"]["total"],
        0
    );
    let mine = app.get("/api/v1/audit-logs?per_page=250").send();
    let theirs = app.get("/api/v1/audit-logs?per_page=250").key(&other).send();
    assert!(
        !mine.text.contains("moss_k_") && !mine.text.contains(&secret),
        "{}",
        mine.text
    );
    assert!(!theirs.text.contains("req-key"));
    let events: Vec<_> = mine.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(
        events,
        [
            json!("api_key.revoked"),
            json!("api_key.created"),
            json!("workspace.created")
        ]
    );
    let member = app.key(Role::Member, "full");
    app.get("/api/v1/audit-logs")
        .key(&member)
        .send()
        .assert_error(403, "FORBIDDEN");
}

#[rstest]
#[case::untrusted_peer("", "127.0.0.1")]
#[case::trusted_peer("127.0.0.0/8", "203.0.113.9")]
fn the_audited_ip_is_the_peer_or_the_forwarded_client_of_a_trusted_proxy(#[case] trusted: &str, #[case] want: &str) {
    let mut options = Options::default();
    options.settings.trusted_proxies = trusted.parse().unwrap();
    let Some(app) = TestApp::start_with(SQLITE, options) else {
        return;
    };
    app.post("/api/v1/contacts", json!({"first_name": "J"}))
        .header("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
        .header("X-Request-Id", "req-xff")
        .send();
    let r = app.get("/api/v1/audit-logs?request_id=req-xff").send();
    assert_eq!(r.body["data"][0]["ip"], want);
}

#[rstest]
fn a_write_that_changes_nothing_writes_no_entry_and_keeps_updated_at(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let contact = app
        .contact(json!({"first_name": "Ada", "email": "ada@example.com", "tags": ["VIP"], "custom_fields": {"n": 1}}));
    let company = app.company(json!({"name": "Acme", "domain": "acme.com"}));
    let entries = |request_id: &str| {
        app.get(&format!("/api/v1/audit-logs?request_id={request_id}"))
            .send()
            .body["meta"]["total"]
            .as_u64()
            .unwrap()
    };
    for (path, record, same) in [
        (
            format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap()),
            &contact,
            // The current values, spelled as a client might: other case for the tag and the
            // email's domain is still a change of the email (stored as given), so it is not sent.
            json!({"first_name": " Ada ", "email": "ada@example.com", "tags": ["vip"], "custom_fields": {"n": 1}, "title": null}),
        ),
        (
            format!("/api/v1/companies/{}", company["id"].as_str().unwrap()),
            &company,
            json!({"name": "Acme", "domain": "ACME.com", "industry": ""}),
        ),
    ] {
        for (i, body) in [json!({}), same].into_iter().enumerate() {
            let request_id = format!("noop-{i}-{}", record["id"].as_str().unwrap());
            let r = app.patch(&path, body).header("X-Request-Id", &request_id).send();
            assert_eq!((r.status, &r.body["data"]), (200, record), "{path}: {}", r.text);
            assert_eq!(
                entries(&request_id),
                0,
                "{path}: a PATCH that changes nothing writes no entry"
            );
        }
        assert_eq!(app.get(&path).send().body["data"]["updated_at"], record["updated_at"]);
    }
    // A real change still writes its one entry.
    let path = format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap());
    let r = app
        .patch(&path, json!({"title": "CTO"}))
        .header("X-Request-Id", "real")
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(entries("real"), 1);
}
