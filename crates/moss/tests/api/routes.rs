//! Checks generated from the router's own route table, so a new route cannot escape them.

use moss_domain::{Permission, Role};
use moss_http::endpoints;
use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

/// The route's path with `{id}` (and `{contact_id}`) replaced by well-formed ids of the right kind.
fn concrete(path: &str) -> String {
    let path = path.replace("{contact_id}", "cnt_01h455vb4pex5vsknk084sn03q");
    if !path.contains("{id}") {
        return format!("/api/v1{path}");
    }
    let prefix = match path.split('/').nth(1) {
        Some("contacts") => "cnt",
        Some("companies") => "cmp",
        Some("keys") => "key",
        Some("deals") => "deal",
        Some("interactions") => "int",
        Some("commitments") => "cmt",
        Some("follow-ups") => "fup",
        Some("custom-fields") => "cf",
        other => panic!("no id prefix known for {other:?}: add it here"),
    };
    format!(
        "/api/v1{}",
        path.replace("{id}", &format!("{prefix}_01h455vb4pex5vsknk084sn02q"))
    )
}

/// Literal paths win over `{param}` paths (contract.md, Routing): a path is registered before
/// every path whose `{param}` segment its literal segment would otherwise match, so none is
/// shadowed (`/deals/bulk-stage` before `/deals/{id}`).
#[test]
fn no_literal_path_is_shadowed_by_a_parameter_path() {
    let mut order: Vec<&str> = Vec::new();
    for e in endpoints() {
        if !order.contains(&e.path) {
            order.push(e.path);
        }
    }
    let param = |s: &str| s.starts_with('{');
    let mut pairs = 0;
    for (i, a) in order.iter().enumerate() {
        for (j, b) in order.iter().enumerate() {
            let (sa, sb): (Vec<&str>, Vec<&str>) = (a.split('/').collect(), b.split('/').collect());
            if i == j || sa.len() != sb.len() {
                continue;
            }
            // `b` would match `a`'s path: each segment equal or `b`'s a parameter, one at least.
            let matches = sa.iter().zip(&sb).all(|(x, y)| x == y || param(y));
            let literal_over_param = sa.iter().zip(&sb).any(|(x, y)| !param(x) && param(y));
            if matches && literal_over_param {
                pairs += 1;
                assert!(i < j, "{a} is registered after {b}, which shadows it");
            }
        }
    }
    assert!(
        pairs >= 1,
        "the table has a literal path beside a parameter path (bulk-stage)"
    );
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

/// A definition body with a field name of its own (names are unique per entity type).
fn definition_body() -> serde_json::Value {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"entity_type": "contacts", "field_name": format!("sample_{n}"), "field_label": "Sample", "field_type": "text"})
}

/// A request that succeeds on a mutating route (creating what it needs first): path and body.
fn sample(app: &TestApp, method: &str, path: &str) -> (String, Option<serde_json::Value>) {
    let id_of = |r: serde_json::Value| r["id"].as_str().unwrap().to_owned();
    match (method, path) {
        ("POST", "/custom-fields") => ("/api/v1/custom-fields".into(), Some(definition_body())),
        ("PATCH" | "DELETE", "/custom-fields/{id}") => {
            let r = app.post("/api/v1/custom-fields", definition_body()).send();
            assert_eq!(r.status, 201, "{}", r.text);
            let id = id_of(r.body["data"].clone());
            let body = (method == "PATCH").then(|| json!({"field_label": "Renamed"}));
            (format!("/api/v1/custom-fields/{id}"), body)
        }
        ("POST", "/contacts") => ("/api/v1/contacts".into(), Some(json!({"first_name": "Sample"}))),
        ("PATCH", "/contacts/{id}") => {
            let id = id_of(app.contact(json!({"first_name": "S"})));
            (format!("/api/v1/contacts/{id}"), Some(json!({"title": "T"})))
        }
        ("DELETE", "/contacts/{id}") => (
            format!("/api/v1/contacts/{}", id_of(app.contact(json!({"first_name": "S"})))),
            None,
        ),
        ("POST", "/companies") => ("/api/v1/companies".into(), Some(json!({"name": "Sample"}))),
        ("PATCH", "/companies/{id}") => {
            let id = id_of(app.company(json!({"name": "S"})));
            (format!("/api/v1/companies/{id}"), Some(json!({"industry": "T"})))
        }
        ("DELETE", "/companies/{id}") => (
            format!("/api/v1/companies/{}", id_of(app.company(json!({"name": "S"})))),
            None,
        ),
        ("POST", "/deals") => ("/api/v1/deals".into(), Some(json!({"name": "Sample"}))),
        ("PATCH", "/deals/{id}") => {
            let id = id_of(app.deal(json!({"name": "S"})));
            (format!("/api/v1/deals/{id}"), Some(json!({"notes": "N"})))
        }
        ("DELETE", "/deals/{id}") => (format!("/api/v1/deals/{}", id_of(app.deal(json!({"name": "S"})))), None),
        ("PATCH", "/deals/{id}/stage") => {
            let id = id_of(app.deal(json!({"name": "S"})));
            (format!("/api/v1/deals/{id}/stage"), Some(json!({"stage": "won"})))
        }
        ("PATCH", "/deals/bulk-stage") => {
            let id = id_of(app.deal(json!({"name": "S"})));
            (
                "/api/v1/deals/bulk-stage".into(),
                Some(json!({"deal_ids": [id], "stage": "prospect"})),
            )
        }
        ("POST", "/deals/{id}/contacts") => {
            let id = id_of(app.deal(json!({"name": "S"})));
            let contact = id_of(app.contact(json!({"first_name": "L"})));
            (
                format!("/api/v1/deals/{id}/contacts"),
                Some(json!({"contact_id": contact, "role": "Buyer"})),
            )
        }
        ("DELETE", "/deals/{id}/contacts/{contact_id}") => {
            let id = id_of(app.deal(json!({"name": "S"})));
            let contact = id_of(app.contact(json!({"first_name": "L"})));
            let linked = app
                .post(&format!("/api/v1/deals/{id}/contacts"), json!({"contact_id": contact}))
                .send();
            assert_eq!(linked.status, 201, "{}", linked.text);
            (format!("/api/v1/deals/{id}/contacts/{contact}"), None)
        }
        ("POST", "/interactions") => {
            let contact = id_of(app.contact(json!({"first_name": "S"})));
            (
                "/api/v1/interactions".into(),
                Some(json!({"contact_id": contact, "type": "call", "occurred_at": "2026-03-01T10:00:00Z"})),
            )
        }
        ("DELETE", "/interactions/{id}") => {
            let contact = id_of(app.contact(json!({"first_name": "S"})));
            let r = app
                .post(
                    "/api/v1/interactions",
                    json!({"contact_id": contact, "type": "note", "occurred_at": "2026-03-01T10:00:00Z"}),
                )
                .send();
            (format!("/api/v1/interactions/{}", id_of(r.body["data"].clone())), None)
        }
        ("POST", "/commitments") => {
            let contact = id_of(app.contact(json!({"first_name": "S"})));
            (
                "/api/v1/commitments".into(),
                Some(json!({"contact_id": contact, "description": "Send the deck"})),
            )
        }
        ("PATCH" | "DELETE", "/commitments/{id}") | ("PATCH", "/commitments/{id}/complete") => {
            let contact = id_of(app.contact(json!({"first_name": "S"})));
            let r = app
                .post(
                    "/api/v1/commitments",
                    json!({"contact_id": contact, "description": "Send the deck"}),
                )
                .send();
            let id = id_of(r.body["data"].clone());
            let body = match (method, path) {
                ("PATCH", "/commitments/{id}") => Some(json!({"due_date": "2026-03-01"})),
                ("PATCH", _) => Some(json!({})),
                _ => None,
            };
            (format!("/api/v1{}", path.replace("{id}", &id)), body)
        }
        ("POST", "/follow-ups") => {
            let contact = id_of(app.contact(json!({"first_name": "S"})));
            (
                "/api/v1/follow-ups".into(),
                Some(json!({"contact_id": contact, "title": "Call", "due_date": "2026-03-01"})),
            )
        }
        ("PATCH" | "DELETE", "/follow-ups/{id}") | ("PATCH", "/follow-ups/{id}/complete") => {
            let contact = id_of(app.contact(json!({"first_name": "S"})));
            let r = app
                .post(
                    "/api/v1/follow-ups",
                    json!({"contact_id": contact, "title": "Call", "due_date": "2026-03-01"}),
                )
                .send();
            let id = id_of(r.body["data"].clone());
            let body = match (method, path) {
                ("PATCH", "/follow-ups/{id}") => Some(json!({"priority": "high"})),
                ("PATCH", _) => Some(json!({})),
                _ => None,
            };
            (format!("/api/v1{}", path.replace("{id}", &id)), body)
        }
        ("POST", "/contacts/merge") => {
            let source = id_of(app.contact(json!({"first_name": "Dup", "phone": "+1 555 0100"})));
            let target = id_of(app.contact(json!({"first_name": "S"})));
            (
                "/api/v1/contacts/merge".into(),
                Some(json!({"source_id": source, "target_id": target})),
            )
        }
        ("POST", "/keys") => ("/api/v1/keys".into(), Some(json!({"name": "sample"}))),
        ("DELETE", "/keys/{id}") => {
            let r = app.post("/api/v1/keys", json!({"name": "doomed"})).send();
            (format!("/api/v1/keys/{}", id_of(r.body["data"].clone())), None)
        }
        _ => panic!("no sample request for {method} {path}: add one here so the route is checked"),
    }
}

#[rstest]
fn every_mutating_route_writes_one_audit_entry_and_honours_idempotency_keys(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let audited = |request_id: &str| {
        app.get(&format!("/api/v1/audit-logs?request_id={request_id}"))
            .send()
            .body["meta"]["total"]
            .as_u64()
            .unwrap()
    };
    let mutating: Vec<_> = endpoints().into_iter().filter(|e| e.permission.is_write()).collect();
    assert!(mutating.len() >= 8);
    for (i, e) in mutating.iter().enumerate() {
        let (path, body) = sample(&app, e.method.as_str(), e.path);
        let send = |request_id: &str| {
            let r = app
                .req(e.method.as_str(), &path)
                .header("Idempotency-Key", &format!("route-{i}"));
            let r = r.header("X-Request-Id", request_id);
            match &body {
                Some(b) => r.json(b.clone()).send(),
                None => r.send(),
            }
        };
        let first = send(&format!("first-{i}"));
        assert!(
            first.status == 200 || first.status == 201,
            "{} {path}: {}",
            e.method,
            first.text
        );
        assert_eq!(
            audited(&format!("first-{i}")),
            1,
            "{} {path} writes exactly one audit entry",
            e.method
        );
        let replay = send(&format!("replay-{i}"));
        // A one-time secret is the only difference a replay may show: it is stored as null.
        let mut expected = first.body.clone();
        if expected["data"].get("key").is_some() {
            expected["data"]["key"] = json!(null);
        } else {
            assert_eq!(replay.text, first.text, "{} {path} replays byte for byte", e.method);
        }
        assert_eq!(
            (replay.status, &replay.body, replay.header("idempotent-replayed")),
            (first.status, &expected, Some("true")),
            "{} {path} replays",
            e.method
        );
        assert_eq!(
            audited(&format!("replay-{i}")),
            0,
            "{} {path}: a replay writes nothing",
            e.method
        );
    }
}

/// A body that passes validation on a route, so that only the lookup can fail.
fn valid_body(method: &str, path: &str) -> Option<serde_json::Value> {
    match (method, path) {
        ("PATCH", "/contacts/{id}") => Some(json!({"title": "x"})),
        ("PATCH", "/companies/{id}") => Some(json!({"industry": "x"})),
        ("PATCH", "/deals/{id}") => Some(json!({"notes": "x"})),
        ("PATCH", "/deals/{id}/stage") => Some(json!({"stage": "won"})),
        ("POST", "/deals/{id}/contacts") => Some(json!({"contact_id": "cnt_01h455vb4pex5vsknk084sn03q"})),
        ("PATCH", "/commitments/{id}") => Some(json!({"due_date": "2026-03-01"})),
        ("PATCH", "/follow-ups/{id}") => Some(json!({"priority": "high"})),
        ("PATCH", "/custom-fields/{id}") => Some(json!({"field_label": "x"})),
        ("PATCH", "/commitments/{id}/complete" | "/follow-ups/{id}/complete") => Some(json!({})),
        ("GET" | "DELETE", _) => None,
        _ => panic!("no valid body known for {method} {path}: add one here so the route is checked"),
    }
}

#[rstest]
fn every_route_with_an_id_answers_404_for_another_workspaces_record(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let theirs = app.other_workspace("theirs");
    let get = |path: &str| app.get(path).key(&theirs).send();
    let contact = app
        .post("/api/v1/contacts", json!({"first_name": "Theirs"}))
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let company = app
        .post("/api/v1/companies", json!({"name": "TheirCo"}))
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let deal = app
        .post("/api/v1/deals", json!({"name": "TheirDeal"}))
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let interaction = app
        .post(
            "/api/v1/interactions",
            json!({"contact_id": contact["id"], "type": "call", "occurred_at": "2026-03-01T10:00:00Z"}),
        )
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let commitment = app
        .post(
            "/api/v1/commitments",
            json!({"contact_id": contact["id"], "description": "Theirs"}),
        )
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let followup = app
        .post(
            "/api/v1/follow-ups",
            json!({"contact_id": contact["id"], "title": "Theirs", "due_date": "2026-03-01"}),
        )
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let key = get("/api/v1/keys").body["data"][0].clone();
    let definition = app
        .post(
            "/api/v1/custom-fields",
            json!({"entity_type": "deals", "field_name": "theirs", "field_label": "Theirs", "field_type": "text"}),
        )
        .key(&theirs)
        .send()
        .body["data"]
        .clone();
    let id_for = |path: &str| match path.split('/').nth(1) {
        Some("custom-fields") => definition["id"].as_str().unwrap().to_owned(),
        Some("interactions") => interaction["id"].as_str().unwrap().to_owned(),
        Some("commitments") => commitment["id"].as_str().unwrap().to_owned(),
        Some("follow-ups") => followup["id"].as_str().unwrap().to_owned(),
        Some("contacts") => contact["id"].as_str().unwrap().to_owned(),
        Some("companies") => company["id"].as_str().unwrap().to_owned(),
        Some("deals") => deal["id"].as_str().unwrap().to_owned(),
        Some("keys") => key["id"].as_str().unwrap().to_owned(),
        other => panic!("no record of another workspace for {other:?}: add one here"),
    };
    let mut checked = 0;
    for e in endpoints().into_iter().filter(|e| e.path.contains("{id}")) {
        let path = format!(
            "/api/v1{}",
            e.path
                .replace("{id}", &id_for(e.path))
                .replace("{contact_id}", contact["id"].as_str().unwrap())
        );
        let req = app.req(e.method.as_str(), &path);
        let r = match valid_body(e.method.as_str(), e.path) {
            Some(b) => req.json(b).send(),
            None => req.send(),
        };
        r.assert_error(404, "NOT_FOUND");
        checked += 1;
    }
    assert!(checked >= 7);
    // Nothing of theirs changed.
    assert_eq!(
        get(&format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap())).body["data"],
        contact
    );
    assert_eq!(
        get(&format!("/api/v1/companies/{}", company["id"].as_str().unwrap())).body["data"],
        company
    );
    assert_eq!(
        get(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap())).body["data"],
        deal
    );
    assert_eq!(
        get(&format!("/api/v1/interactions/{}", interaction["id"].as_str().unwrap())).body["data"],
        interaction
    );
    for (kind, record) in [("commitments", &commitment), ("follow-ups", &followup)] {
        assert_eq!(
            get(&format!("/api/v1/{kind}/{}", record["id"].as_str().unwrap())).body["data"],
            *record
        );
    }
    assert_eq!(get("/api/v1/keys").body["data"][0]["id"], key["id"]);
    assert_eq!(
        get("/api/v1/audit-logs").body["meta"]["total"],
        8,
        "only their own eight creations"
    );
}

#[rstest]
fn every_route_answers_no_key_and_a_revoked_key_with_the_same_401(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let revoked = app.key(Role::Owner, "full");
    let id = app.get("/api/v1/keys?sort=created_at&order=desc").send().body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete(&format!("/api/v1/keys/{id}")).send().status, 200);
    let redacted = |r: &Resp| {
        let mut b = r.body.clone();
        b["error"]["request_id"] = json!("-");
        (r.status, b, r.header("content-type").map(str::to_owned))
    };
    for e in endpoints() {
        let path = concrete(e.path);
        let none = app.req(e.method.as_str(), &path).no_key().json(json!({})).send();
        let old = app.req(e.method.as_str(), &path).key(&revoked).json(json!({})).send();
        none.assert_error(401, "UNAUTHORIZED");
        assert_eq!(redacted(&none), redacted(&old), "{} {path}", e.method);
    }
}

#[rstest]
fn every_mutating_route_refuses_a_valid_request_from_a_read_only_key_and_changes_nothing(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let read_only = app.key(Role::Owner, "read_only");
    let audit_total = || {
        app.get("/api/v1/audit-logs").send().body["meta"]["total"]
            .as_u64()
            .unwrap()
    };
    for e in endpoints().into_iter().filter(|e| e.permission.is_write()) {
        let (path, body) = sample(&app, e.method.as_str(), e.path);
        let send = |key: &str| {
            let r = app.req(e.method.as_str(), &path).key(key);
            match &body {
                Some(b) => r.json(b.clone()).send(),
                None => r.send(),
            }
        };
        let before = audit_total();
        send(&read_only).assert_error(403, "FORBIDDEN");
        assert_eq!(
            audit_total(),
            before,
            "{} {path}: a refused request writes nothing",
            e.method
        );
        // The very same request from a full key succeeds: the record was untouched.
        let ok = send(&app.owner_key);
        assert!(ok.status == 200 || ok.status == 201, "{} {path}: {}", e.method, ok.text);
        assert_eq!(audit_total(), before + 1);
    }
}
