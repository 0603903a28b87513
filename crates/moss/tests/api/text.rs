//! Text as contract.md (Text) settles it: stored in NFC, compared after NFC and full case
//! folding, invisible-only strings blank, bidi and zero-width characters refused in emails and
//! tags, no `;` in tags.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn an_email_written_composed_or_decomposed_is_one_contact(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let first = app.contact(json!({"first_name": "Jos\u{e9}", "email": "jos\u{e9}@example.com"}));
    for taken in [
        "jose\u{301}@example.com",
        "JOSE\u{301}@EXAMPLE.COM",
        "Jos\u{c9}@example.com",
    ] {
        let r = app
            .post("/api/v1/contacts", json!({"first_name": "Again", "email": taken}))
            .send();
        r.assert_error(409, "CONFLICT");
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(first["id"].as_str().unwrap())
        );
    }
    // Stored in NFC, found by either spelling.
    let c = app.contact(json!({"first_name": "Rene\u{301}e", "email": "rene\u{301}e@example.com"}));
    assert_eq!(c["first_name"], "Ren\u{e9}e");
    assert_eq!(c["email"], "ren\u{e9}e@example.com");
    for spelled in ["ren\u{e9}e@example.com", "RENE\u{301}E@example.com"] {
        let r = app.get(&format!("/api/v1/contacts?email={}", encode(spelled))).send();
        assert_eq!(r.ids(), [c["id"].as_str().unwrap()], "{spelled}");
    }
    // Full case folding: ß and SS are the same letters.
    app.contact(json!({"first_name": "S", "email": "stra\u{df}e@example.com"}));
    app.post(
        "/api/v1/contacts",
        json!({"first_name": "S", "email": "STRASSE@example.com"}),
    )
    .send()
    .assert_error(409, "CONFLICT");
}

#[rstest]
fn a_tag_written_twice_in_two_forms_is_one_tag(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let c = app.contact(json!({"first_name": "T", "tags": ["caf\u{e9}", "cafe\u{301}", "CAF\u{c9}"]}));
    assert_eq!(c["tags"], json!(["caf\u{e9}"]));
    let other = app.company(json!({"name": "Co", "tags": ["CAFE\u{301}"]}));
    assert_eq!(
        other["tags"],
        json!(["caf\u{e9}"]),
        "the spelling first written is kept"
    );
    let r = app.get("/api/v1/tags").send();
    assert_eq!(r.body["data"], json!([{"name": "caf\u{e9}", "count": 2}]));
    let r = app
        .get(&format!("/api/v1/contacts?tag={}", encode("CAFE\u{301}")))
        .send();
    assert_eq!(r.ids(), [c["id"].as_str().unwrap()]);
}

#[rstest]
fn invisible_and_bidi_characters_are_refused_where_they_deceive(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let cases = [
        (json!({"first_name": "E", "email": "\u{202e}moc.elpmaxe@evil"}), "email"),
        (json!({"first_name": "E", "email": "a\u{200b}b@example.com"}), "email"),
        (json!({"first_name": "E", "tags": ["\u{200b}"]}), "tags[0]"),
        (json!({"first_name": "E", "tags": ["\u{feff}"]}), "tags[0]"),
        (json!({"first_name": "E", "tags": ["a\u{200e}b"]}), "tags[0]"),
        (json!({"first_name": "E", "tags": ["a;b"]}), "tags[0]"),
        (json!({"first_name": "E", "tags": ["a\u{37e}b"]}), "tags[0]"),
        (json!({"first_name": "\u{200b}\u{feff} "}), "first_name"),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/contacts", body.clone()).send();
        r.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(r.fields(), [field], "{body}");
    }
    let r = app
        .post(
            "/api/v1/companies",
            json!({"name": "Co", "domain": "b\u{fc}cher.example"}),
        )
        .send();
    assert_eq!(r.fields(), ["domain"]);
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 0);
    // Joiners are part of some scripts' words and are kept; invisible-only optional text is null.
    let c = app.contact(json!({"first_name": "J", "tags": ["a\u{200d}b"], "title": "\u{200b}", "notes": "x\u{0}y"}));
    assert_eq!(c["tags"], json!(["a\u{200d}b"]));
    assert_eq!(c["title"], json!(null));
    assert_eq!(c["notes"], "xy", "NUL is dropped from free text");
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "J", "email": "a\u{0}@example.com"}),
        )
        .send();
    assert_eq!(r.fields(), ["email"], "NUL is refused in an email");
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
