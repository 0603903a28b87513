//! The sync window every record list takes: `created_after`, `created_before`,
//! `updated_after`, `updated_before`, inclusive, RFC 3339; written once in the machinery, so
//! contacts, companies and a company's contacts all have it.

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

fn time_of(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap().to_owned()
}

/// `%2B` for `+` and so on: a time as a query value.
fn q(t: &str) -> String {
    t.replace('+', "%2B").replace(':', "%3A")
}

#[rstest]
fn bounds_are_inclusive_and_combine_with_other_filters(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let acme = app.company(json!({"name": "Acme"}));
    let acme_id = acme["id"].as_str().unwrap().to_owned();
    let made: Vec<Value> = (0..3)
        .map(|i| app.contact(json!({"first_name": format!("C{i}"), "company_id": acme_id, "tags": ["t"]})))
        .collect();
    let ids: Vec<String> = made.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    let (t0, t1, t2) = (
        time_of(&made[0], "created_at"),
        time_of(&made[1], "created_at"),
        time_of(&made[2], "created_at"),
    );
    assert!(t0 < t1 && t1 < t2, "distinct creation times: {t0} {t1} {t2}");

    let list = |query: String| {
        let r = app.get(&format!("/api/v1/contacts?order=asc&{query}")).send();
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        (r.ids(), r.body["meta"]["total"].as_u64().unwrap())
    };
    assert_eq!(list(format!("created_after={}", q(&t1))), (ids[1..].to_vec(), 2));
    assert_eq!(list(format!("created_before={}", q(&t1))), (ids[..2].to_vec(), 2));
    assert_eq!(
        list(format!("created_after={}&created_before={}", q(&t1), q(&t1))),
        (vec![ids[1].clone()], 1)
    );
    assert_eq!(
        list(format!("created_after={}&created_before={}", q(&t2), q(&t0))),
        (vec![], 0),
        "an empty window is an empty list, not an error"
    );
    // With the other filters (AND).
    assert_eq!(
        list(format!("created_after={}&tag=t&q=c2", q(&t1))),
        (vec![ids[2].clone()], 1)
    );

    // A change moves a record into the `updated_*` window of a later sync.
    let changed = app
        .patch(&format!("/api/v1/contacts/{}", ids[0]), json!({"title": "CTO"}))
        .send();
    let u0 = time_of(&changed.body["data"], "updated_at");
    assert!(u0 > t2);
    assert_eq!(list(format!("updated_after={}", q(&u0))), (vec![ids[0].clone()], 1));
    assert_eq!(list(format!("updated_before={}", q(&t2))), (ids[1..].to_vec(), 2));

    // The same window on a company's contacts and on companies.
    let r = app
        .get(&format!(
            "/api/v1/companies/{acme_id}/contacts?order=asc&created_after={}",
            q(&t1)
        ))
        .send();
    assert_eq!(r.ids(), ids[1..].to_vec());
    let c = time_of(&acme, "created_at");
    let r = app.get(&format!("/api/v1/companies?created_before={}", q(&c))).send();
    assert_eq!(r.ids(), vec![acme_id.clone()]);
    let r = app.get(&format!("/api/v1/companies?created_after={}", q(&t0))).send();
    assert_eq!((r.status, r.ids()), (200, vec![]));
}

#[rstest]
fn an_offset_names_the_same_instant(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let c = app.contact(json!({"first_name": "Ada"}));
    let id = c["id"].as_str().unwrap().to_owned();
    let created = time_of(&c, "created_at");
    // `...T13:05:09.123456Z` is `...T15:05:09.123456+02:00`: the same instant, two hours
    // ahead in a +02:00 zone (skipped when that would cross midnight).
    let (date, rest) = created.split_once('T').unwrap();
    let hour: u32 = rest[..2].parse().unwrap();
    if hour > 21 {
        return; // the shifted hour would cross midnight; the UTC cases cover the rest
    }
    let shifted = format!("{date}T{:02}{}", hour + 2, &rest[2..].replace('Z', "+02:00"));
    let r = app
        .get(&format!("/api/v1/contacts?created_after={}", q(&shifted)))
        .send();
    assert_eq!((r.status, r.ids()), (200, vec![id.clone()]), "{shifted}");
    let r = app
        .get(&format!("/api/v1/contacts?created_before={}", q(&shifted)))
        .send();
    assert_eq!((r.status, r.ids()), (200, vec![id]), "{shifted}");
}

#[rstest]
#[case("created_after=yesterday", &["created_after"])]
#[case("created_before=2026-01-31", &["created_before"])]
#[case("updated_after=2026-01-31T23%3A59%3A60Z", &["updated_after"])]
#[case("updated_before=2026-01-31%2009%3A30%3A00Z", &["updated_before"])]
#[case("created_after=%202026-01-31T09%3A30%3A00Z", &["created_after"])]
#[case("created_after=2026-01-31T09%3A30%3A00Z%00", &["created_after"])]
#[case("created_after=x&updated_before=y&page=0", &["page", "created_after", "updated_before"])]
#[case("created_after=2026-01-31T09%3A30%3A00Z&created_after=2026-01-31T09%3A30%3A00Z", &["created_after"])]
fn a_bad_bound_is_a_400_naming_it(#[case] query: &str, #[case] fields: &[&str]) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    app.contact(json!({"first_name": "Ada"}));
    for path in ["/api/v1/contacts", "/api/v1/companies"] {
        let r = app.get(&format!("{path}?{query}")).send();
        r.assert_error(400, "VALIDATION_ERROR");
        let mut got = r.fields();
        let mut want: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{path}?{query}: {}", r.text);
    }
}
