//! Companies.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn create_read_update_delete(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post("/api/v1/companies", json!({"name": "Acme", "domain": "ACME.com", "industry": "Tools", "website": "https://acme.com", "phone": "1", "notes": "n", "tags": ["b2b"], "custom_fields": {"size": 50}}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.body["data"].clone();
    let id = d["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cmp_"));
    assert_eq!(r.header("location"), Some(format!("/api/v1/companies/{id}").as_str()));
    assert_eq!(
        r.body,
        json!({"data": {"id": id, "name": "Acme", "domain": "acme.com", "industry": "Tools", "website": "https://acme.com",
            "phone": "1", "notes": "n", "tags": ["b2b"], "custom_fields": {"size": 50},
            "created_at": d["created_at"], "updated_at": d["updated_at"]}})
    );
    assert_eq!(app.get(&format!("/api/v1/companies/{id}")).send().body, r.body);
    let p = app
        .patch(
            &format!("/api/v1/companies/{id}"),
            json!({"domain": null, "name": "Acme Inc"}),
        )
        .send();
    assert_eq!(
        (p.body["data"]["domain"].clone(), p.body["data"]["name"].clone()),
        (json!(null), json!("Acme Inc"))
    );
    let del = app.delete(&format!("/api/v1/companies/{id}")).send();
    assert_eq!((del.status, del.body), (200, json!({"data": null})));
    app.get(&format!("/api/v1/companies/{id}"))
        .send()
        .assert_error(404, "NOT_FOUND");
}

#[rstest]
fn domain_is_unique_per_workspace(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let first = app.company(json!({"name": "Acme", "domain": "acme.com"}));
    let r = app
        .post("/api/v1/companies", json!({"name": "Acme 2", "domain": "Acme.COM"}))
        .send();
    r.assert_error(409, "CONFLICT");
    assert!(r.text.contains(first["id"].as_str().unwrap()));
    let other = app.other_workspace("other");
    assert_eq!(
        app.post("/api/v1/companies", json!({"name": "A", "domain": "acme.com"}))
            .key(&other)
            .send()
            .status,
        201
    );
    let second = app.company(json!({"name": "B", "domain": "b.com"}));
    let sid = second["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/companies/{sid}"), json!({"domain": "acme.com"}))
        .send()
        .assert_error(409, "CONFLICT");
}

#[rstest]
fn deleting_a_company_keeps_its_contacts_and_clears_company_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let company = app.company(json!({"name": "Acme"}));
    let cmp = company["id"].as_str().unwrap();
    let c = app.contact(json!({"first_name": "Jane", "company_id": cmp}));
    app.contact(json!({"first_name": "Solo"}));
    let r = app.get(&format!("/api/v1/companies/{cmp}/contacts")).send();
    assert_eq!((r.status, r.ids()), (200, vec![c["id"].as_str().unwrap().to_owned()]));
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 25, "total": 1, "total_pages": 1})
    );
    assert_eq!(app.delete(&format!("/api/v1/companies/{cmp}")).send().status, 200);
    let after = app
        .get(&format!("/api/v1/contacts/{}", c["id"].as_str().unwrap()))
        .send();
    assert_eq!(after.body["data"]["company_id"], json!(null));
    app.get(&format!("/api/v1/companies/{cmp}/contacts"))
        .send()
        .assert_error(404, "NOT_FOUND");
    // company_id is not a parameter of a company's contact list.
    let other = app.company(json!({"name": "B"}));
    let r = app
        .get(&format!(
            "/api/v1/companies/{}/contacts?company_id={cmp}",
            other["id"].as_str().unwrap()
        ))
        .send();
    assert_eq!(r.fields(), ["company_id"]);
}

#[rstest]
fn company_validation(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = app
        .post(
            "/api/v1/companies",
            json!({"domain": "https://acme.com", "website": "acme.com", "tags": "x", "extra": 1}),
        )
        .send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["tags", "extra", "name", "domain", "website"]);
    assert_eq!(app.get("/api/v1/companies").send().body["meta"]["total"], 0);
}
