//! Checks generated from the router's own route table, so a new route cannot escape them.

use moss_domain::{Permission, Role};
use moss_http::endpoints;
use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

/// The route's path with `{id}` replaced by a well-formed id of the right kind.
fn concrete(path: &str) -> String {
    if !path.contains("{id}") {
        return format!("/api/v1{path}");
    }
    let prefix = match path.split('/').nth(1) {
        Some("contacts") => "cnt",
        Some("companies") => "cmp",
        Some("keys") => "key",
        other => panic!("no id prefix known for {other:?}: add it here"),
    };
    format!(
        "/api/v1{}",
        path.replace("{id}", &format!("{prefix}_01h455vb4pex5vsknk084sn02q"))
    )
}

#[rstest]
fn every_route_needs_a_key(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let table = endpoints();
    assert!(table.len() >= 17);
    for e in table {
        let path = concrete(e.path);
        let r = app.req(e.method.as_str(), &path).no_key().json(json!({})).send();
        assert_eq!(r.status, 401, "{} {path}: {}", e.method, r.text);
        r.assert_error(401, "UNAUTHORIZED");
    }
}

#[rstest]
fn every_mutating_route_refuses_read_only_keys_and_owner_routes_refuse_members(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let read_only = app.key(Role::Owner, "read_only");
    let member = app.key(Role::Member, "full");
    for e in endpoints() {
        let path = concrete(e.path);
        let as_read_only = app.req(e.method.as_str(), &path).key(&read_only).json(json!({})).send();
        let as_member = app.req(e.method.as_str(), &path).key(&member).json(json!({})).send();
        match e.permission {
            Permission::Write | Permission::OwnerWrite => {
                as_read_only.assert_error(403, "FORBIDDEN");
            }
            Permission::Read | Permission::OwnerRead => {
                assert_ne!(as_read_only.status, 403, "{} {path}", e.method);
            }
        }
        if e.permission.is_owner_only() {
            as_member.assert_error(403, "FORBIDDEN");
        } else {
            assert_ne!(as_member.status, 403, "{} {path}: {}", e.method, as_member.text);
        }
    }
}

#[test]
fn the_route_table_has_no_duplicates() {
    let table = endpoints();
    for (i, a) in table.iter().enumerate() {
        for b in &table[i + 1..] {
            assert!(
                !(a.method == b.method && a.path == b.path),
                "{} {} twice",
                a.method,
                a.path
            );
        }
    }
}
