//! Lists: pagination, sorting, filters, full-text search.

use moss_store_diesel::Backend;
use rstest::rstest;

use crate::support::*;

#[rstest]
fn pagination_meta_and_pages_past_the_end(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ids: Vec<String> = (0..7)
        .map(|i| {
            app.contact(json!({"first_name": format!("C{i}")}))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let r = app.get("/api/v1/contacts?per_page=3").send();
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 3, "total": 7, "total_pages": 3})
    );
    // Default order is created_at desc: newest first.
    assert_eq!(r.ids(), vec![ids[6].clone(), ids[5].clone(), ids[4].clone()]);
    let r = app.get("/api/v1/contacts?per_page=3&page=3").send();
    assert_eq!(r.ids(), vec![ids[0].clone()]);
    let r = app.get("/api/v1/contacts?per_page=3&page=4").send();
    assert_eq!(
        (r.status, r.body.clone()),
        (
            200,
            json!({"data": [], "meta": {"page": 4, "per_page": 3, "total": 7, "total_pages": 3}})
        )
    );
    let r = app.get("/api/v1/contacts?per_page=250&order=asc").send();
    assert_eq!(r.ids(), ids);
    let r = app.get("/api/v1/contacts?page=99999999").send();
    assert_eq!(r.body["data"], json!([]));
}

#[rstest]
#[case("page=0", &["page"])]
#[case("page=-1", &["page"])]
#[case("page=abc", &["page"])]
#[case("page=", &["page"])]
#[case("per_page=0", &["per_page"])]
#[case("per_page=251", &["per_page"])]
#[case("per_page=1e2", &["per_page"])]
#[case("sort=nope", &["sort"])]
#[case("sort=CREATED_AT", &["sort"])]
#[case("order=up", &["order"])]
#[case("order=ASC", &["order"])]
#[case("company_id=nope", &["company_id"])]
#[case("company_id=cnt_01h455vb4pex5vsknk084sn02q", &["company_id"])]
#[case("colour=red", &["colour"])]
#[case("page=1&page=2", &["page"])]
#[case("page=0&per_page=0&sort=x&order=x&bogus=1", &["bogus", "page", "per_page", "sort", "order"])]
fn bad_list_parameters_are_400_naming_each(#[case] query: &str, #[case] fields: &[&str]) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app.get(&format!("/api/v1/contacts?{query}")).send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), fields, "{}", r.text);
}

#[test]
fn sort_errors_list_the_allowed_values() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app.get("/api/v1/contacts?sort=phone").send();
    assert_eq!(
        r.body["error"]["details"][0]["message"],
        "must be one of: created_at, updated_at, first_name, last_name, email"
    );
    let r = app.get("/api/v1/companies?sort=phone").send();
    assert_eq!(
        r.body["error"]["details"][0]["message"],
        "must be one of: created_at, updated_at, name, domain"
    );
    let r = app.get("/api/v1/keys?sort=prefix").send();
    assert_eq!(
        r.body["error"]["details"][0]["message"],
        "must be one of: created_at, name, last_used_at"
    );
}

#[rstest]
fn sorting_is_case_insensitive_with_nulls_last_and_ties_by_id(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let mk = |first: &str, last: Option<&str>| {
        app.contact(json!({"first_name": first, "last_name": last}))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let bob = mk("bob", Some("Zed"));
    let alice = mk("Alice", None);
    let carol = mk("Carol", Some("adams"));
    let tie1 = mk("dave", Some("Same"));
    let tie2 = mk("Dave", Some("same"));
    let list = |q: &str| app.get(&format!("/api/v1/contacts?{q}")).send().ids();
    assert_eq!(
        list("sort=first_name&order=asc"),
        [alice.clone(), bob.clone(), carol.clone(), tie1.clone(), tie2.clone()]
    );
    assert_eq!(
        list("sort=first_name&order=desc"),
        [tie2.clone(), tie1.clone(), carol.clone(), bob.clone(), alice.clone()]
    );
    assert_eq!(
        list("sort=last_name&order=asc"),
        [carol.clone(), tie1.clone(), tie2.clone(), bob.clone(), alice.clone()]
    );
    assert_eq!(
        list("sort=last_name&order=desc"),
        [bob.clone(), tie2.clone(), tie1.clone(), carol.clone(), alice.clone()]
    );
    assert_eq!(
        list("sort=last_name"),
        list("sort=last_name&order=desc"),
        "order defaults to desc"
    );
    // Pages never repeat or skip across ties.
    let paged: Vec<String> = (1..=5)
        .flat_map(|p| {
            app.get(&format!(
                "/api/v1/contacts?sort=last_name&order=asc&per_page=1&page={p}"
            ))
            .send()
            .ids()
        })
        .collect();
    assert_eq!(paged, list("sort=last_name&order=asc"));
}

#[rstest]
fn full_text_search_matches_every_word_as_a_prefix(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let jane = app.contact(
        json!({"first_name": "Jane", "last_name": "O'Brien", "email": "jane@acme.com", "title": "Head of Sales"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = app.contact(json!({"first_name": "Bob", "notes": "Introduced by Jane at Acme Summit"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.contact(json!({"first_name": "Carl", "title": "Engineer"}));
    let q = |q: &str| {
        let r = app
            .get(&format!("/api/v1/contacts?q={q}&sort=created_at&order=asc"))
            .send();
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        r.ids()
    };
    assert_eq!(q("acm"), [jane.clone(), bob.clone()]);
    assert_eq!(q("ACME"), [jane.clone(), bob.clone()]);
    assert_eq!(q("jane%20sales"), [jane.as_str()]);
    assert_eq!(q("jane%20summit"), [bob.as_str()]);
    assert_eq!(q("brien"), [jane.as_str()]);
    assert_eq!(q("o%27brien"), [jane.as_str()]);
    assert_eq!(q("zzz"), Vec::<String>::new());
    assert_eq!(q("jane%20zzz"), Vec::<String>::new());
    // Operators and punctuation are plain text: never an error.
    for nasty in [
        "%22",
        "%27",
        "*",
        "(",
        ")",
        "-",
        "%3A",
        "%26",
        "%7C",
        "!",
        "AND",
        "NEAR(",
        "%22jane%22%20OR%20*",
        "%5C",
        "%00",
        "%25",
    ] {
        q(nasty);
    }
    // Results follow sort/order and combine with other filters.
    let r = app.get("/api/v1/contacts?q=jane&sort=first_name&order=asc").send();
    assert_eq!(r.ids(), [bob.clone(), jane.clone()]);
    assert_eq!(r.body["meta"]["total"], 2);
    let r = app.get("/api/v1/contacts?q=jane&email=JANE@acme.com").send();
    assert_eq!(r.ids(), [jane.as_str()]);
    // Updates re-index; deletes drop out.
    app.patch(&format!("/api/v1/contacts/{bob}"), json!({"notes": null}))
        .send();
    assert_eq!(q("summit"), Vec::<String>::new());
    app.delete(&format!("/api/v1/contacts/{jane}")).send();
    assert_eq!(q("acm"), Vec::<String>::new());
}

#[rstest]
fn filters_combine_with_and(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let acme = app.company(json!({"name": "Acme", "domain": "acme.com", "tags": ["Customer"]}));
    let globex = app.company(json!({"name": "Globex", "tags": ["prospect"]}));
    let a =
        app.contact(json!({"first_name": "A", "company_id": acme["id"], "tags": ["VIP"], "email": "a@x.com"}))["id"]
            .clone();
    let b = app.contact(json!({"first_name": "B", "company_id": acme["id"]}))["id"].clone();
    app.contact(json!({"first_name": "C", "company_id": globex["id"], "tags": ["vip"]}));
    let ids = |q: &str| app.get(&format!("/api/v1/contacts?{q}&order=asc")).send().ids();
    assert_eq!(ids(&format!("company_id={}", acme["id"].as_str().unwrap())).len(), 2);
    assert_eq!(
        ids(&format!("company_id={}&tag=vip", acme["id"].as_str().unwrap())),
        [a.as_str().unwrap()]
    );
    assert_eq!(ids("tag=VIP").len(), 2);
    assert_eq!(ids("email=A@X.COM"), [a.as_str().unwrap()]);
    assert_eq!(ids("tag=nope"), Vec::<String>::new());
    assert_eq!(
        ids("company_id=cmp_01h455vb4pex5vsknk084sn02q"),
        Vec::<String>::new(),
        "an unknown id as a filter matches nothing"
    );
    let _ = b;
    let comp = |q: &str| app.get(&format!("/api/v1/companies?{q}")).send().ids();
    assert_eq!(comp("tag=customer"), [acme["id"].as_str().unwrap()]);
    assert_eq!(comp("domain=ACME.com"), [acme["id"].as_str().unwrap()]);
    assert_eq!(comp("q=glob"), [globex["id"].as_str().unwrap()]);
    assert_eq!(
        comp("sort=name&order=asc"),
        [acme["id"].as_str().unwrap(), globex["id"].as_str().unwrap()]
    );
    assert_eq!(
        comp("sort=domain&order=desc"),
        [acme["id"].as_str().unwrap(), globex["id"].as_str().unwrap()],
        "nulls last"
    );
}
