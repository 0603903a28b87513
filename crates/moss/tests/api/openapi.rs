//! The OpenAPI document: committed copy, parity with the route table, served without a key,
//! and the offline docs page.

use std::collections::BTreeSet;

use moss_domain::page::SortField as _;
use moss_http::endpoints;
use moss_http::openapi::{DOCS_PATH, SPEC_PATH, document, document_json};
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn committed_spec_equals_the_generated_one() {
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == document_json(),
        "docs/openapi.json differs from the document the code generates; \
         run `cargo run -p moss -- openapi > docs/openapi.json` and commit the result"
    );
}

#[test]
fn the_spec_has_exactly_the_routes_of_the_route_table() {
    let doc = serde_json::to_value(document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut in_spec = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            in_spec.insert((method.to_uppercase(), path.clone()));
            // Every `{param}` of the path is documented as a required path parameter.
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in moss_http::openapi::path_params(path) {
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                    "{method} {path}: path parameter {name} is not documented"
                );
            }
            // Every operation needs the key and answers the error envelope.
            assert_eq!(op["security"], json!([{ "ApiKey": [] }]), "{method} {path}");
            for status in ["400", "401", "429", "500", "503"] {
                assert!(op["responses"].get(status).is_some(), "{method} {path}: no {status}");
            }
        }
    }
    let in_table: BTreeSet<(String, String)> = endpoints()
        .iter()
        .map(|e| (e.method.as_str().to_owned(), format!("/api/v1{}", e.path)))
        .collect();
    assert_eq!(in_spec, in_table);
}

/// Stateful testers and clients follow links from a create to its record's operations.
#[test]
fn creates_link_to_the_operations_on_the_new_record() {
    let doc = serde_json::to_value(document()).unwrap();
    let mut operation_ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                operation_ids.insert(id.to_owned());
            }
        }
    }
    let links = |path: &str| -> BTreeSet<String> {
        let links = &doc["paths"][path]["post"]["responses"]["201"]["links"];
        for link in links.as_object().unwrap().values() {
            assert_eq!(link["parameters"]["id"], "$response.body#/data/id");
            assert!(operation_ids.contains(link["operationId"].as_str().unwrap()), "{link}");
        }
        links
            .as_object()
            .unwrap()
            .values()
            .map(|l| l["operationId"].as_str().unwrap().to_owned())
            .collect()
    };
    let set = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(
        links("/api/v1/contacts"),
        set(&["getContact", "updateContact", "deleteContact", "listContactActivity"])
    );
    assert_eq!(
        links("/api/v1/companies"),
        set(&["getCompany", "updateCompany", "deleteCompany", "listCompanyContacts"])
    );
    assert_eq!(links("/api/v1/keys"), set(&["revokeKey"]));
}

#[test]
fn list_parameters_carry_their_bounds_and_allow_lists() {
    let doc = serde_json::to_value(document()).unwrap();
    let params = doc["paths"]["/api/v1/contacts"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let find = |name: &str| params.iter().find(|p| p["name"] == name).unwrap().clone();
    assert_eq!(find("page")["schema"]["minimum"], 1);
    assert_eq!(find("per_page")["schema"]["minimum"], 1);
    assert_eq!(find("per_page")["schema"]["maximum"], 250);
    assert_eq!(find("order")["schema"]["enum"], json!(["asc", "desc"]));
    let sorts: Vec<&str> = moss_domain::contact::ContactSort::ALL.iter().map(|(n, _)| *n).collect();
    assert_eq!(find("sort")["schema"]["enum"], json!(sorts));
    for filter in ["q", "company_id", "tag", "email"] {
        find(filter);
    }
}

#[test]
fn every_schema_reference_resolves() {
    let text = document_json();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\"$ref\": \"#/") {
        // `rest` starts at the `/` after `#`: the reference is a JSON pointer.
        rest = &rest[i + 10..];
        let pointer: String = rest.chars().take_while(|c| *c != '"').collect();
        assert!(doc.pointer(&pointer).is_some(), "unresolved $ref #{pointer}");
    }
}

#[test]
fn the_spec_is_served_without_a_key() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app.get(SPEC_PATH).no_key().send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        r.header("content-type")
    );
    assert_eq!(r.body, serde_json::to_value(document()).unwrap());
    assert_eq!(r.text, document_json());
}

/// Every `src`, `href`, `url(...)`, `fetch(` and `validatorUrl` target in a text.
fn targets(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for marker in ["src", "href", "url(", "fetch(", "validatorUrl"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(marker) {
            let at = from + i + marker.len();
            from = at;
            let rest = text[at..].trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '=' | ':' | '('));
            let Some(q) = rest.chars().next() else { continue };
            let target: String = if matches!(q, '"' | '\'' | '`') {
                rest[1..].chars().take_while(|c| *c != q).collect()
            } else if marker == "url(" {
                rest.chars().take_while(|c| *c != ')').collect()
            } else {
                continue;
            };
            out.push((marker, target));
        }
    }
    out
}

/// Namespace names: identifiers, never fetched.
const NAMESPACES: [&str; 5] = [
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/XML/1998/namespace",
    "http://www.w3.org/2000/xmlns/",
];

/// Whether a target names a host other than the server's.
fn is_outside(target: &str, own_host: &str) -> bool {
    let t = target.trim().to_ascii_lowercase();
    if NAMESPACES.iter().any(|ns| t.starts_with(ns)) {
        return false;
    }
    if t.starts_with("//") {
        return true;
    }
    for scheme in ["http://", "https://", "ws://", "wss://"] {
        if let Some(rest) = t.strip_prefix(scheme) {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            return host != own_host;
        }
    }
    false
}

#[test]
fn the_targets_scanner_finds_outside_hosts() {
    let page = r#"<script src="https://cdn.example.com/x.js"></script><a href='/docs/'>x</a>
        b{background:url(//evil.example/i.png)} fetch("http://127.0.0.1:1/x") validatorUrl:"https://v.example/v"
        <svg xmlns="http://www.w3.org/2000/svg"></svg>"#;
    let outside: Vec<String> = targets(page)
        .into_iter()
        .filter(|(_, t)| is_outside(t, "127.0.0.1:1"))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        outside,
        vec![
            "https://cdn.example.com/x.js",
            "//evil.example/i.png",
            "https://v.example/v"
        ]
    );
}

#[test]
fn the_docs_page_loads_everything_from_the_server_itself() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let own_host = app.base.trim_start_matches("http://").to_owned();
    let page = app.get(DOCS_PATH).no_key().send();
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.header("content-type").is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        page.header("content-type")
    );
    let base = format!("{DOCS_PATH}/");
    let mut queue: Vec<String> = vec![base.clone()];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut initializer = None;
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let r = app.get(&path).no_key().send();
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        if path.ends_with("swagger-initializer.js") {
            initializer = Some(r.text.clone());
        }
        assert!(
            !r.text.contains("validator.swagger.io"),
            "{path} names the online validator"
        );
        for (kind, target) in targets(&r.text) {
            assert!(
                !is_outside(&target, &own_host),
                "{path}: {kind} {target:?} points to another host"
            );
        }
        // Follow the page's own references (HTML attributes), resolved against /docs/.
        if path == base {
            for (kind, target) in targets(&r.text) {
                if matches!(kind, "src" | "href") && !target.starts_with('#') {
                    let resolved = if target.starts_with('/') {
                        target
                    } else {
                        format!("{base}{}", target.trim_start_matches("./"))
                    };
                    queue.push(resolved);
                }
            }
        }
    }
    for asset in ["swagger-ui-bundle.js", "swagger-initializer.js", "swagger-ui.css"] {
        assert!(
            seen.contains(&format!("{base}{asset}")),
            "{asset} was not loaded: {seen:?}"
        );
    }
    let initializer = initializer.expect("the page loads swagger-initializer.js");
    assert!(initializer.contains("\"validatorUrl\": \"none\""), "{initializer}");
    assert!(
        initializer.contains(&format!("\"url\": \"{SPEC_PATH}\"")),
        "{initializer}"
    );
    // The spec the page loads is the server's own, served without a key.
    assert_eq!(app.get(SPEC_PATH).no_key().send().status, 200);
}

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

/// Checks `v` against `schema` for the keywords of the document's schemas; `pattern`s are left
/// to the `moss-http` unit tests (which run them), everything else is checked, and a keyword
/// this checker does not know fails the test. Returns the first problem, with its path.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let fail = |what: String| Err(format!("{at}: {what} ({v})"));
    let map = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return fail("no value is allowed".into()),
        Value::Object(map) => map,
        other => return fail(format!("not a schema: {other}")),
    };
    let is_type = |t: &str| match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type {other}"),
    };
    for (keyword, k) in map {
        let ok = match keyword.as_str() {
            "description" | "example" | "examples" | "default" | "pattern" => true,
            "$ref" => {
                let pointer = k.as_str().unwrap().trim_start_matches('#');
                check(doc, doc.pointer(pointer).unwrap(), v, at)?;
                true
            }
            "type" => match k {
                Value::Array(types) => types.iter().any(|t| is_type(t.as_str().unwrap())),
                t => is_type(t.as_str().unwrap()),
            },
            "enum" => k.as_array().unwrap().contains(v),
            "format" => match (k.as_str().unwrap(), v.as_str()) {
                ("date-time", Some(s)) => chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.contains('T'),
                ("date", Some(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10,
                _ => true,
            },
            "maxLength" => v
                .as_str()
                .is_none_or(|s| s.chars().count() as u64 <= k.as_u64().unwrap()),
            "minLength" => v
                .as_str()
                .is_none_or(|s| s.chars().count() as u64 >= k.as_u64().unwrap()),
            "minimum" => v.as_f64().is_none_or(|n| n >= k.as_f64().unwrap()),
            "maximum" => v.as_f64().is_none_or(|n| n <= k.as_f64().unwrap()),
            "maxItems" => v.as_array().is_none_or(|a| a.len() as u64 <= k.as_u64().unwrap()),
            "minItems" => v.as_array().is_none_or(|a| a.len() as u64 >= k.as_u64().unwrap()),
            "uniqueItems" => v
                .as_array()
                .is_none_or(|a| !k.as_bool().unwrap() || a.iter().enumerate().all(|(i, x)| !a[..i].contains(x))),
            "maxProperties" => v.as_object().is_none_or(|m| m.len() as u64 <= k.as_u64().unwrap()),
            "items" => {
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    check(doc, k, item, &format!("{at}[{i}]"))?;
                }
                true
            }
            "required" => v.as_object().is_none_or(|m| {
                k.as_array()
                    .unwrap()
                    .iter()
                    .all(|n| m.contains_key(n.as_str().unwrap()))
            }),
            "properties" => {
                for (name, s) in k.as_object().unwrap() {
                    if let Some(item) = v.get(name) {
                        check(doc, s, item, &format!("{at}.{name}"))?;
                    }
                }
                true
            }
            "additionalProperties" => {
                let declared = map.get("properties").and_then(Value::as_object);
                for (name, item) in v.as_object().into_iter().flatten() {
                    if declared.is_none_or(|d| !d.contains_key(name)) {
                        check(doc, k, item, &format!("{at}.{name}"))?;
                    }
                }
                true
            }
            "propertyNames" => {
                for name in v.as_object().into_iter().flatten().map(|(n, _)| n) {
                    check(doc, k, &json!(name), &format!("{at} (name {name:?})"))?;
                }
                true
            }
            "allOf" => {
                for s in k.as_array().unwrap() {
                    check(doc, s, v, at)?;
                }
                true
            }
            "anyOf" => k.as_array().unwrap().iter().any(|s| check(doc, s, v, at).is_ok()),
            "oneOf" => {
                k.as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| check(doc, s, v, at).is_ok())
                    .count()
                    == 1
            }
            other => panic!("the checker does not know the keyword {other}"),
        };
        if !ok {
            return fail(format!("fails `{keyword}`"));
        }
    }
    Ok(())
}

/// Every component schema has an example, and it matches its own schema (so the docs page
/// shows answers as they are).
#[test]
fn every_schema_has_an_example_matching_it() {
    let doc = serde_json::to_value(document()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let example = schema.get("example").unwrap_or_else(|| panic!("{name} has no example"));
        check(&doc, schema, example, name).unwrap();
    }
    // Every answer of every operation is one of them.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                let name = schema.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
                assert!(
                    name.is_some_and(|n| schemas.contains_key(n)),
                    "{method} {path} {status}: {schema}"
                );
            }
        }
    }
}

/// A minimal body creating the record a `{id}` path of this collection needs.
fn record_for(collection: &str, contact: &str) -> Value {
    match collection {
        "/api/v1/contacts" => json!({ "first_name": "Pat" }),
        "/api/v1/companies" => json!({ "name": "Initech" }),
        "/api/v1/deals" => json!({ "name": "Initech renewal" }),
        "/api/v1/commitments" => json!({ "contact_id": contact, "description": "Send the deck" }),
        "/api/v1/follow-ups" => json!({ "contact_id": contact, "title": "Call", "due_date": "2026-03-01" }),
        "/api/v1/custom-fields" => {
            json!({ "entity_type": "companies", "field_name": "tier", "field_label": "Tier", "field_type": "select", "field_options": ["gold", "silver", "bronze"] })
        }
        other => panic!("no record body for {other}"),
    }
}

/// "Try it out" on the docs page works: every operation with a body, sent the example of its
/// body's schema (a record created first where the path names one, and the examples' record
/// ids replaced by records of the workspace, as a person trying it does), answers 2xx, and its
/// answer matches the documented schema of that status.
#[rstest]
fn every_request_example_is_accepted(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let doc = serde_json::to_value(document()).unwrap();
    let mut sent = 0;
    // The ids the examples name, and records of this workspace to name instead.
    let contact = app.contact(json!({"first_name": "Linked"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deal = app.deal(json!({"name": "Moved"}))["id"].as_str().unwrap().to_owned();
    let duplicate = app.contact(json!({"first_name": "Duplicate"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = [
        ("cnt_01kgy2r7t0e3m9w2c5x8b6n4hq", contact),
        ("cnt_01kgy2r7t0e3m9w2c5x8b6n4j2", duplicate),
        ("deal_01kgy2r7t0e3m9w2c5x8b6n4hy", deal),
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(reference) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() else {
                continue;
            };
            let schema = doc.pointer(reference.trim_start_matches('#')).unwrap();
            let example = schema["example"].clone();
            assert!(example.is_object(), "{method} {path}: {reference} has no example");
            let mut text = example.to_string();
            for (shown, real) in &ids {
                text = text.replace(shown, real);
            }
            let example: Value = serde_json::from_str(&text).unwrap();
            let target = if let Some((collection, _)) = path.split_once("/{id}") {
                let created = app.post(collection, record_for(collection, &ids[0].1)).send();
                assert_eq!(created.status, 201, "{}", created.text);
                path.replace("{id}", created.body["data"]["id"].as_str().unwrap())
            } else {
                path.clone()
            };
            let r = app.req(&method.to_uppercase(), &target).json(example.clone()).send();
            assert!(
                (200..300).contains(&r.status),
                "{method} {path} with the example {example}: {} {}",
                r.status,
                r.text
            );
            let answer = &op["responses"][r.status.to_string()]["content"]["application/json"]["schema"];
            check(&doc, answer, &r.body, &format!("{method} {path} {}", r.status)).unwrap();
            sent += 1;
        }
    }
    assert_eq!(sent, 18, "every body of the route table was tried");
}
