//! Bad input: every kind gets the envelope with the right status, every bad field is named at
//! once, and nothing is written.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

fn assert_nothing_created(app: &TestApp) {
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 0);
}

#[rstest]
fn all_field_errors_at_once(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": " ", "email": "nope", "linkedin_url": "ftp://x", "phone": "1".repeat(51),
                   "tags": ["ok", "", "x".repeat(65)], "custom_fields": {"deep": {"a": 1}}, "id": "cnt_x", "workspace_id": "w"}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        r.fields(),
        [
            "id",
            "workspace_id",
            "first_name",
            "email",
            "phone",
            "linkedin_url",
            "tags[1]",
            "tags[2]",
            "custom_fields.deep"
        ]
    );
    assert_nothing_created(&app);
}

#[rstest]
#[case(json!({"first_name": 1}), &["first_name"])]
#[case(json!({"first_name": true}), &["first_name"])]
#[case(json!({"first_name": ["Jane"]}), &["first_name"])]
#[case(json!({"first_name": {"x": 1}}), &["first_name"])]
#[case(json!({"first_name": "J", "tags": "vip"}), &["tags"])]
#[case(json!({"first_name": "J", "tags": [1, "a", null]}), &["tags[0]", "tags[2]"])]
#[case(json!({"first_name": "J", "custom_fields": []}), &["custom_fields"])]
#[case(json!({"first_name": "J", "custom_fields": {"l": [1]}}), &["custom_fields.l[0]"])]
#[case(json!({}), &["first_name"])]
#[case(json!({"first_name": null}), &["first_name"])]
#[case(json!({"first_name": "J", "created_at": "2020-01-01T00:00:00Z"}), &["created_at"])]
fn wrong_types_and_missing_fields(#[case] body: serde_json::Value, #[case] fields: &[&str]) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app.post("/api/v1/contacts", body).send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), fields, "{}", r.text);
    assert_nothing_created(&app);
}

#[rstest]
#[case("first_name", 200)]
#[case("last_name", 200)]
#[case("title", 200)]
#[case("phone", 50)]
#[case("notes", 10_000)]
fn text_limits(#[case] field: &str, #[case] max: usize) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let mut body = json!({"first_name": "J"});
    body[field] = json!("é".repeat(max));
    assert_eq!(app.post("/api/v1/contacts", body.clone()).send().status, 201);
    body[field] = json!("é".repeat(max + 1));
    let r = app.post("/api/v1/contacts", body).send();
    assert_eq!(r.fields(), [field]);
}

#[test]
fn email_url_tag_and_custom_field_limits() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let long_email = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
    assert_eq!(long_email.len(), 255);
    let long_url = format!("https://example.com/{}", "a".repeat(2029));
    assert_eq!(long_url.len(), 2049);
    let tags: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    let fields: serde_json::Map<String, serde_json::Value> = (0..101).map(|i| (format!("f{i}"), json!(i))).collect();
    let r = app.post("/api/v1/contacts", json!({"first_name": "J", "email": long_email, "linkedin_url": long_url, "tags": tags, "custom_fields": fields})).send();
    assert_eq!(r.fields(), ["email", "linkedin_url", "tags", "custom_fields"]);
    let ok_tags: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let ok_fields: serde_json::Map<String, serde_json::Value> = (0..100).map(|i| (format!("f{i}"), json!(i))).collect();
    let r = app.post("/api/v1/contacts", json!({"first_name": "J", "tags": ok_tags, "custom_fields": ok_fields, "linkedin_url": format!("https://example.com/{}", "a".repeat(2028))})).send();
    assert_eq!(r.status, 201, "{}", r.text);
}

#[rstest]
fn unreadable_bodies(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let post = |body: &[u8], ct: Option<&str>| app.req("POST", "/api/v1/contacts").raw(body.to_vec(), ct).send();
    for (body, ct) in [
        (&b"{\"first_name\": \"J\""[..], Some("application/json")),
        (b"not json", Some("application/json")),
        (b"[1,2]", Some("application/json")),
        (b"\"Jane\"", Some("application/json")),
        (b"null", Some("application/json")),
        (b"", Some("application/json")),
        (b"{\"first_name\": \"J\", \"first_name\": 1}", Some("application/json")),
    ] {
        let r = post(body, ct);
        r.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(r.fields(), ["body"], "{}", r.text);
    }
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let r = post(br#"{"first_name": "J"}"#, ct);
        r.assert_error(415, "VALIDATION_ERROR");
        assert_eq!(r.fields(), ["body"]);
    }
    let r = post(br#"{"first_name": "J"}"#, Some("application/json; charset=utf-8"));
    assert_eq!(r.status, 201, "charset parameter is fine");
    app.delete(&format!("/api/v1/contacts/{}", r.body["data"]["id"].as_str().unwrap()))
        .send();
    // Deep nesting is bounded by the parser: a 400, never a crash.
    let deep = format!(
        "{{\"first_name\": \"J\", \"custom_fields\": {{\"x\": {}{}}}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let r = post(deep.as_bytes(), Some("application/json"));
    r.assert_error(400, "VALIDATION_ERROR");
    // Over 256 KiB: 413.
    let big = format!("{{\"first_name\": \"J\", \"notes\": \"{}\"}}", "a".repeat(300 * 1024));
    let r = post(big.as_bytes(), Some("application/json"));
    r.assert_error(413, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["body"]);
    assert_nothing_created(&app);
    // The server is still serving.
    assert_eq!(app.get("/api/v1/contacts").send().status, 200);
}

#[test]
fn duplicate_json_keys_are_rejected_not_silently_merged() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app
        .req("POST", "/api/v1/contacts")
        .raw(
            br#"{"first_name": "A", "first_name": "B"}"#.to_vec(),
            Some("application/json"),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
}

/// Postgres cannot store NUL (U+0000) in text, so it is removed from every body string and
/// free-text query filter, like surrounding whitespace: both databases keep and find the same
/// values, and no input reaches the database as a 500 (found by schemathesis).
#[rstest]
fn nul_characters_are_removed_from_text(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post(
            "/api/v1/companies",
            json!({"name": "Ac\u{0}me", "notes": "\u{0}", "tags": ["a\u{0}b"], "custom_fields": {"tier": "g\u{0}old"}}),
        )
        .send();
    assert_eq!(r.status, 201, "{:?}", r.body);
    let data = &r.body["data"];
    assert_eq!(data["name"], "Acme");
    assert_eq!(data["notes"], serde_json::Value::Null);
    assert_eq!(data["tags"], json!(["ab"]));
    assert_eq!(data["custom_fields"], json!({"tier": "gold"}));
    let id = data["id"].as_str().unwrap().to_owned();
    let r = app
        .patch(&format!("/api/v1/companies/{id}"), json!({"industry": "So\u{0}ftware"}))
        .send();
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["data"]["industry"], "Software");
    for query in ["q=ac%00me", "tag=a%00b", "domain=%00"] {
        let r = app.get(&format!("/api/v1/companies?{query}")).send();
        assert_eq!(r.status, 200, "{query}: {:?}", r.body);
    }
    assert_eq!(app.get("/api/v1/companies?tag=a%00b").send().body["meta"]["total"], 1);
    let r = app.get("/api/v1/audit-logs?target_type=%00&actor_id=%00").send();
    assert_eq!(r.status, 200, "{:?}", r.body);
    // A required name of nothing but NUL is blank; a custom field name is refused as written.
    let r = app
        .post(
            "/api/v1/companies",
            json!({"name": "\u{0}", "custom_fields": {"a\u{0}": 1}}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["name", "custom_fields.a\u{0}"]);
    // Strictly parsed parameters are not cleaned up: they are refused.
    let r = app.get("/api/v1/companies?per_page=1%00").send();
    r.assert_error(400, "VALIDATION_ERROR");
}

#[rstest]
fn details_list_at_most_100_field_errors_and_the_message_counts_them(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    // 25,000 blank tags: a 75 KB body.
    let tags = vec![""; 25_000];
    let body = serde_json::to_vec(&json!({"first_name": "J", "tags": tags})).unwrap();
    assert!(body.len() < 256 * 1024);
    let r = app
        .req("POST", "/api/v1/contacts")
        .raw(body.clone(), Some("application/json"))
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields().len(), 100);
    assert_eq!(r.fields()[..2], ["tags".to_owned(), "tags[0]".to_owned()]);
    assert_eq!(
        r.body["error"]["message"],
        "The request has 25001 invalid fields; the first 100 are listed."
    );
    assert!(
        r.text.len() < 16 * 1024,
        "the answer stays small: {} bytes",
        r.text.len()
    );
    assert_nothing_created(&app);
}

#[rstest]
fn integers_outside_64_bits_are_refused_at_their_path_and_nothing_is_changed(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    for (raw, path) in [
        (
            r#"{"first_name": "J", "custom_fields": {"big": 18446744073709551615}}"#,
            "custom_fields.big",
        ),
        (
            r#"{"first_name": "J", "custom_fields": {"big": 9223372036854775808}}"#,
            "custom_fields.big",
        ),
        (
            r#"{"first_name": "J", "custom_fields": {"neg": -9223372036854775809}}"#,
            "custom_fields.neg",
        ),
        (
            r#"{"first_name": "J", "custom_fields": {"huge": 123456789012345678901234567890}}"#,
            "custom_fields.huge",
        ),
        (
            r#"{"first_name": "J", "custom_fields": {"l": ["a", 99999999999999999999]}}"#,
            "custom_fields.l[1]",
        ),
    ] {
        let r = app
            .req("POST", "/api/v1/contacts")
            .raw(raw.as_bytes().to_vec(), Some("application/json"))
            .send();
        r.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(r.fields(), [path], "{raw}");
    }
    assert_nothing_created(&app);
    // The edges of the range, and numbers that are not integers, are kept exactly.
    let raw = r#"{"first_name": "J", "custom_fields": {"max": 9223372036854775807, "min": -9223372036854775808, "f": 1.5, "e": 1e3}}"#;
    let r = app
        .req("POST", "/api/v1/contacts")
        .raw(raw.as_bytes().to_vec(), Some("application/json"))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.contains(r#""max":9223372036854775807"#), "{}", r.text);
    assert!(r.text.contains(r#""min":-9223372036854775808"#), "{}", r.text);
    assert_eq!(r.body["data"]["custom_fields"]["f"], json!(1.5));
    let id = r.body["data"]["id"].as_str().unwrap();
    let got = app.get(&format!("/api/v1/contacts/{id}")).send();
    assert_eq!(got.body["data"], r.body["data"]);
}
