//! Tenancy: another workspace's records answer 404 on every route with an id, exactly like
//! records that never existed, and never show up in lists.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn other_workspaces_records_are_invisible(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let mine_contact = app.contact(json!({"first_name": "Mine", "tags": ["shared"]}));
    let other = app.other_workspace("other");
    let theirs = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs", "tags": ["secret"]}))
        .key(&other)
        .send()
        .body["data"]
        .clone();
    let their_company = app
        .post("/api/v1/companies", json!({"name": "TheirCo"}))
        .key(&other)
        .send()
        .body["data"]
        .clone();
    let their_key = app.get("/api/v1/keys").key(&other).send().body["data"][0]["id"].clone();
    let (tc, tm, tk) = (
        theirs["id"].as_str().unwrap(),
        their_company["id"].as_str().unwrap(),
        their_key.as_str().unwrap(),
    );
    let never = "/api/v1/contacts/cnt_01h455vb4pex5vsknk084sn02q";
    let never_body = app.get(never).send().body["error"]["message"].clone();

    for r in [
        app.get(&format!("/api/v1/contacts/{tc}")).send(),
        app.patch(&format!("/api/v1/contacts/{tc}"), json!({"first_name": "Hacked"}))
            .send(),
        app.delete(&format!("/api/v1/contacts/{tc}")).send(),
    ] {
        r.assert_error(404, "NOT_FOUND");
        assert_eq!(
            r.body["error"]["message"], never_body,
            "same answer as a record that never existed"
        );
    }
    for r in [
        app.get(&format!("/api/v1/companies/{tm}")).send(),
        app.patch(&format!("/api/v1/companies/{tm}"), json!({"name": "Hacked"}))
            .send(),
        app.delete(&format!("/api/v1/companies/{tm}")).send(),
        app.get(&format!("/api/v1/companies/{tm}/contacts")).send(),
        app.delete(&format!("/api/v1/keys/{tk}")).send(),
    ] {
        r.assert_error(404, "NOT_FOUND");
    }
    // Nothing of theirs changed, and their key still works.
    let still = app.get(&format!("/api/v1/contacts/{tc}")).key(&other).send();
    assert_eq!(still.body["data"], theirs);
    assert_eq!(
        app.get(&format!("/api/v1/companies/{tm}")).key(&other).send().status,
        200
    );
    assert_eq!(app.get("/api/v1/keys").key(&other).send().body["meta"]["total"], 1);
    // Lists and tags show only our own.
    let mine = app.get("/api/v1/contacts").send();
    assert_eq!(mine.ids(), vec![mine_contact["id"].as_str().unwrap().to_owned()]);
    assert_eq!(app.get("/api/v1/contacts?q=theirs").send().body["meta"]["total"], 0);
    assert_eq!(app.get("/api/v1/contacts?tag=secret").send().body["meta"]["total"], 0);
    assert_eq!(
        app.get(&format!("/api/v1/contacts?company_id={tm}")).send().body["meta"]["total"],
        0
    );
    assert_eq!(app.get("/api/v1/companies").send().body["meta"]["total"], 0);
    assert_eq!(
        app.get("/api/v1/tags").send().body["data"],
        json!([{"name": "shared", "count": 1}])
    );
    assert_eq!(app.get("/api/v1/keys").send().body["meta"]["total"], 1);
    assert_eq!(app.get("/api/v1/workspaces/members").send().body["meta"]["total"], 1);
}

#[rstest]
#[case("/api/v1/contacts/cmp_01h455vb4pex5vsknk084sn02q")]
#[case("/api/v1/contacts/01890a5d-ac96-774b-bcce-b302099a8057")]
#[case("/api/v1/contacts/not-an-id")]
#[case("/api/v1/contacts/CNT_01H455VB4PEX5VSKNK084SN02Q")]
#[case("/api/v1/companies/cnt_01h455vb4pex5vsknk084sn02q")]
#[case("/api/v1/companies/x/contacts")]
fn malformed_or_wrong_prefix_path_ids_are_404(#[case] path: &str) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    app.get(path).send().assert_error(404, "NOT_FOUND");
}
