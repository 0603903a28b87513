//! Contacts: create, read, update, delete and their business rules.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

fn is_rfc3339_z(v: &serde_json::Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

#[rstest]
fn create_read_update_delete(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let company = app.company(json!({"name": "Acme"}));
    let r = app
        .post(
            "/api/v1/contacts",
            json!({
                "first_name": "  Jane ", "last_name": "Smith", "email": "Jane@Example.com", "phone": "+1 555 0100",
                "title": "CTO", "linkedin_url": "https://linkedin.com/in/jane", "company_id": company["id"],
                "notes": "Met at a conference.", "tags": ["vip", "Lead", "VIP"],
                "custom_fields": {"tier": "gold", "score": 7, "ratio": 0.5, "active": true, "none": null, "langs": ["en", "fr"]}
            }),
        )
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let data = r.body["data"].clone();
    let id = data["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cnt_") && id.len() == 30);
    assert_eq!(r.header("location"), Some(format!("/api/v1/contacts/{id}").as_str()));
    assert!(is_rfc3339_z(&data["created_at"]) && data["created_at"] == data["updated_at"]);
    assert_eq!(
        r.body,
        json!({"data": {
            "id": id, "first_name": "Jane", "last_name": "Smith", "email": "Jane@Example.com", "phone": "+1 555 0100",
            "title": "CTO", "linkedin_url": "https://linkedin.com/in/jane", "company_id": company["id"],
            "notes": "Met at a conference.", "tags": ["Lead", "vip"],
            "custom_fields": {"active": true, "langs": ["en", "fr"], "none": null, "ratio": 0.5, "score": 7, "tier": "gold"},
            "created_at": data["created_at"], "updated_at": data["updated_at"]
        }})
    );

    let got = app.get(&format!("/api/v1/contacts/{id}")).send();
    assert_eq!((got.status, &got.body), (200, &r.body));

    std::thread::sleep(std::time::Duration::from_millis(5));
    let p = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"title": null, "last_name": "  ", "tags": ["new"]}),
        )
        .send();
    assert_eq!(p.status, 200, "{}", p.text);
    let mut expected = data.clone();
    expected["title"] = json!(null);
    expected["last_name"] = json!(null);
    expected["tags"] = json!(["new"]);
    expected["updated_at"] = p.body["data"]["updated_at"].clone();
    assert_eq!(p.body, json!({"data": expected}));
    assert!(p.body["data"]["updated_at"].as_str() > data["updated_at"].as_str());
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}")).send().body, p.body);

    let d = app.delete(&format!("/api/v1/contacts/{id}")).send();
    assert_eq!((d.status, d.body.clone()), (200, json!({"data": null})));
    app.get(&format!("/api/v1/contacts/{id}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.delete(&format!("/api/v1/contacts/{id}"))
        .send()
        .assert_error(404, "NOT_FOUND");
    app.patch(&format!("/api/v1/contacts/{id}"), json!({"title": "x"}))
        .send()
        .assert_error(404, "NOT_FOUND");
}

#[rstest]
fn minimal_contact_has_every_key_with_nulls(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let c = app.contact(json!({"first_name": "Bob"}));
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "linkedin_url",
            "company_id",
            "notes",
            "tags",
            "custom_fields",
            "created_at",
            "updated_at"
        ]
    );
    for k in [
        "last_name",
        "email",
        "phone",
        "title",
        "linkedin_url",
        "company_id",
        "notes",
    ] {
        assert_eq!(c[k], json!(null), "{k}");
    }
    assert_eq!((c["tags"].clone(), c["custom_fields"].clone()), (json!([]), json!({})));
}

#[rstest]
fn email_is_unique_per_workspace_case_insensitively(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let first = app.contact(json!({"first_name": "Jane", "email": "jane@example.com"}));
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "J", "email": "JANE@example.COM"}),
        )
        .send();
    r.assert_error(409, "CONFLICT");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap()),
        "{}",
        r.text
    );
    // Changing another contact's email to it is a conflict too; nothing changes.
    let other = app.contact(json!({"first_name": "Bob", "email": "bob@example.com"}));
    let oid = other["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/contacts/{oid}"), json!({"email": "Jane@Example.com"}))
        .send()
        .assert_error(409, "CONFLICT");
    assert_eq!(app.get(&format!("/api/v1/contacts/{oid}")).send().body["data"], other);
    // Changing the case of one's own email is not.
    let fid = first["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/contacts/{fid}"), json!({"email": "JANE@example.com"}))
        .send();
    assert_eq!(
        (r.status, r.body["data"]["email"].clone()),
        (200, json!("JANE@example.com"))
    );
    // Another workspace may use the same email.
    let other_key = app.other_workspace("other");
    let r = app
        .post(
            "/api/v1/contacts",
            json!({"first_name": "J", "email": "jane@example.com"}),
        )
        .key(&other_key)
        .send();
    assert_eq!(r.status, 201);
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 2);
}

#[rstest]
fn company_references(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let company = app.company(json!({"name": "Acme"}));
    let cmp = company["id"].as_str().unwrap();
    // A bare UUID means the same company.
    let suffix = &cmp[4..];
    let uuid = typeid_to_uuid(suffix);
    let c = app.contact(json!({"first_name": "Jane", "company_id": uuid}));
    assert_eq!(c["company_id"], company["id"]);
    // Wrong prefix, not an id, unknown company: 400 naming the field; nothing created.
    for bad in [
        json!("cnt_01h455vb4pex5vsknk084sn02q"),
        json!("nope"),
        json!("cmp_01h455vb4pex5vsknk084sn02q"),
        json!(12),
    ] {
        let r = app
            .post("/api/v1/contacts", json!({"first_name": "X", "company_id": bad}))
            .send();
        r.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(r.fields(), ["company_id"], "{}", r.text);
    }
    // Another workspace's company is unknown here.
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/companies", json!({"name": "Theirs"}))
        .key(&other)
        .send()
        .body["data"]["id"]
        .clone();
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "X", "company_id": theirs}))
        .send();
    assert_eq!(r.fields(), ["company_id"]);
    assert_eq!(app.get("/api/v1/contacts").send().body["meta"]["total"], 1);
    // company_id can be cleared with null.
    let cid = c["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/contacts/{cid}"), json!({"company_id": null}))
        .send();
    assert_eq!(r.body["data"]["company_id"], json!(null));
}

/// Decodes a TypeID suffix to the hyphenated UUID, independently of the server's code.
fn typeid_to_uuid(suffix: &str) -> String {
    const ALPHABET: &str = "0123456789abcdefghjkmnpqrstvwxyz";
    let mut v: u128 = 0;
    for ch in suffix.chars() {
        v = (v << 5) | ALPHABET.find(ch).unwrap() as u128;
    }
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[rstest]
fn tags_keep_the_first_spelling_and_sort_case_insensitively(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = app.contact(json!({"first_name": "A", "tags": ["VIP", "beta", "Alpha"]}));
    assert_eq!(a["tags"], json!(["Alpha", "beta", "VIP"]));
    let b = app.contact(json!({"first_name": "B", "tags": ["vip", "ALPHA"]}));
    assert_eq!(b["tags"], json!(["Alpha", "VIP"]));
    let r = app.get("/api/v1/tags").send();
    assert_eq!(
        r.body,
        json!({"data": [{"name": "Alpha", "count": 2}, {"name": "VIP", "count": 2}, {"name": "beta", "count": 1}],
               "meta": {"page": 1, "per_page": 25, "total": 3, "total_pages": 1}})
    );
    let r = app.get("/api/v1/tags?sort=name&order=asc").send();
    let names: Vec<_> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("Alpha"), json!("beta"), json!("VIP")]);
    // Deleting a record drops its counts.
    app.delete(&format!("/api/v1/contacts/{}", a["id"].as_str().unwrap()))
        .send();
    let r = app.get("/api/v1/tags").send();
    assert_eq!(
        r.body["data"],
        json!([{"name": "Alpha", "count": 1}, {"name": "VIP", "count": 1}])
    );
    app.get("/api/v1/tags?sort=created_at")
        .send()
        .assert_error(400, "VALIDATION_ERROR");
}

#[rstest]
fn patch_changes_only_the_fields_sent(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let c = app.contact(json!({"first_name": "Jane", "last_name": "Smith", "tags": ["a"], "custom_fields": {"x": 1}}));
    let id = c["id"].as_str().unwrap();
    let r = app.patch(&format!("/api/v1/contacts/{id}"), json!({})).send();
    assert_eq!(
        (r.status, &r.body["data"]),
        (200, &c),
        "an empty PATCH changes nothing, not even updated_at"
    );
    // custom_fields merges by name: a name sent is set, a name sent as null is removed, the
    // others keep their values; null for the whole object is a 400 (contract.md).
    let r = app
        .patch(&format!("/api/v1/contacts/{id}"), json!({"custom_fields": {"y": "z"}}))
        .send();
    assert_eq!(r.body["data"]["custom_fields"], json!({"x": 1, "y": "z"}));
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"custom_fields": {"x": null, "w": ["a"]}}),
        )
        .send();
    assert_eq!(r.body["data"]["custom_fields"], json!({"w": ["a"], "y": "z"}));
    let entry = &app.audit("event_type=contact.updated")[0];
    assert_eq!(
        entry["metadata"]["changes"]["custom_fields"],
        json!({"old": {"x": 1, "y": "z"}, "new": {"w": ["a"], "y": "z"}})
    );
    let r = app
        .patch(&format!("/api/v1/contacts/{id}"), json!({"custom_fields": null}))
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["custom_fields"]);
    let r = app
        .patch(&format!("/api/v1/contacts/{id}"), json!({"custom_fields": {"y": "z"}}))
        .send();
    assert_eq!(
        r.body["data"]["custom_fields"],
        json!({"w": ["a"], "y": "z"}),
        "the same value: no change"
    );
    assert_eq!(r.body["data"]["last_name"], "Smith");
    assert_eq!(r.body["data"]["tags"], json!(["a"]));
    let r = app
        .patch(&format!("/api/v1/contacts/{id}"), json!({"first_name": null}))
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["first_name"]);
    let r = app
        .patch(&format!("/api/v1/contacts/{id}"), json!({"first_name": "  "}))
        .send();
    assert_eq!(r.fields(), ["first_name"]);
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"id": "cnt_x", "created_at": "2020-01-01T00:00:00Z", "workspace_id": "ws_x"}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["created_at", "id", "workspace_id"]);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}")).send().body["data"]["first_name"],
        "Jane"
    );
}
