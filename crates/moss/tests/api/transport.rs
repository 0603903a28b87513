//! Envelope, headers, request ids, unknown routes and methods, health.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn every_api_response_is_json_no_store_with_a_request_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    for r in [
        app.get("/api/v1/contacts").send(),
        app.get("/api/v1/contacts").no_key().send(),
        app.get("/api/v1/nope").send(),
        app.req("PUT", "/api/v1/contacts").send(),
        app.post("/api/v1/contacts", json!({})).send(),
    ] {
        assert_eq!(r.header("content-type"), Some("application/json"), "{}", r.text);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let id = r.header("x-request-id").unwrap();
        assert!(id.starts_with("req_") && id.len() == 30, "{id}");
    }
}

#[rstest]
#[case("req-abc-123", true)]
#[case("A.b_c:d+e/f=g-1", true)]
#[case("has space", false)]
#[case("semi;colon", false)]
#[case("é", false)]
fn client_request_ids_are_echoed_when_acceptable(#[case] sent: &str, #[case] kept: bool) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    for r in [
        app.get("/api/v1/contacts").header("X-Request-Id", sent).send(),
        app.get("/api/v1/x").header("X-Request-Id", sent).send(),
    ] {
        let echoed = r.header("x-request-id").unwrap().to_owned();
        if kept {
            assert_eq!(echoed, sent);
        } else {
            assert!(echoed.starts_with("req_"), "{echoed}");
        }
        assert!(
            r.status == 200 || r.status == 404,
            "a request id never causes a rejection"
        );
    }
}

#[test]
fn request_id_of_200_characters_is_kept_and_201_is_replaced() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let long = "a".repeat(200);
    assert_eq!(
        app.get("/api/v1/contacts")
            .header("X-Request-Id", &long)
            .send()
            .header("x-request-id"),
        Some(long.as_str())
    );
    let too_long = "a".repeat(201);
    let r = app.get("/api/v1/contacts").header("X-Request-Id", &too_long).send();
    assert!(r.header("x-request-id").unwrap().starts_with("req_"));
}

#[rstest]
fn unknown_paths_answer_the_json_404_with_or_without_a_key(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    for path in [
        "/api/v1/nope",
        "/api/v2/contacts",
        "/",
        "/favicon.ico",
        "/api/v1/contacts/cnt_x/extra",
    ] {
        let r = app.get(path).send();
        r.assert_error(404, "NOT_FOUND");
        let r = app.get(path).no_key().send();
        r.assert_error(404, "NOT_FOUND");
    }
}

#[rstest]
#[case("PUT", "/api/v1/contacts", "GET, POST")]
#[case("DELETE", "/api/v1/contacts", "GET, POST")]
#[case("POST", "/api/v1/contacts/cnt_01h455vb4pex5vsknk084sn02q", "GET, PATCH, DELETE")]
#[case("PATCH", "/api/v1/tags", "GET")]
#[case("GET", "/api/v1/keys/key_01h455vb4pex5vsknk084sn02q", "DELETE")]
fn known_path_with_another_method_is_405_with_allow(#[case] method: &str, #[case] path: &str, #[case] allow: &str) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    for r in [app.req(method, path).send(), app.req(method, path).no_key().send()] {
        r.assert_error(405, "VALIDATION_ERROR");
        assert_eq!(r.header("allow"), Some(allow));
    }
}

#[rstest]
fn health_and_readiness(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app.get("/healthz").no_key().send();
    assert_eq!((r.status, r.body.clone()), (200, json!({"data": {"status": "ok"}})));
    let r = app.get("/readyz").no_key().send();
    assert_eq!((r.status, r.body.clone()), (200, json!({"data": {"status": "ready"}})));
}
