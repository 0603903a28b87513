//! Workspaces and members.

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn the_callers_workspace_and_members(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    app.other_workspace("other");
    let r = app.get("/api/v1/workspaces").send();
    let w = r.body["data"][0].clone();
    assert_eq!(
        r.body,
        json!({"data": [{"id": app.workspace_id.to_string(), "name": "Acme", "slug": "acme", "created_at": w["created_at"], "updated_at": w["updated_at"]}],
               "meta": {"page": 1, "per_page": 25, "total": 1, "total_pages": 1}})
    );
    let r = app.get("/api/v1/workspaces?page=2").send();
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["meta"]["total"], 1);

    let member_key = app.key(Role::Member, "read_only");
    let r = app
        .get("/api/v1/workspaces/members?sort=created_at&order=asc")
        .key(&member_key)
        .send();
    assert_eq!(r.status, 200);
    let m = r.body["data"].as_array().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["email"], "owner@example.com");
    assert_eq!(m[0]["role"], "owner");
    assert_eq!(m[1]["role"], "member");
    let keys: Vec<&str> = m[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "email", "name", "role", "created_at", "updated_at"]);
    assert!(m[0]["id"].as_str().unwrap().starts_with("usr_"));
}
