//! Property tests of every route's query string: whatever the client sends, the route's
//! parsing never panics, and a refusal is a 400 naming the offending parameter (or `query`
//! when the string as a whole is refused).

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use moss_domain::PageRequest;
use moss_domain::audit::AuditSort;
use moss_domain::company::Company;
use moss_domain::contact::Contact;
use moss_domain::id::{CompanyId, ContactId};
use moss_domain::key::KeySort;
use moss_domain::page::SortField;
use moss_domain::tag::TagSort;
use moss_domain::workspace::{MemberSort, WorkspaceSort};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::records::{self, Resource};
use super::{audit, companies};
use crate::error::ApiError;
use crate::input::{MAX_QUERY_PARAMS, PAGINATION, Query};
use crate::properties::{config, text, typeid, uuid_text};

/// One route's query parsing, as its handler does it.
struct Route {
    name: &'static str,
    allowed: Vec<&'static str>,
    sorts: Vec<&'static str>,
    parse: fn(&HttpRequest) -> Result<(), ApiError>,
}

fn sorts<S: SortField>() -> Vec<&'static str> {
    S::ALL.iter().map(|(n, _)| *n).collect()
}

fn paginated<S: SortField>(req: &HttpRequest) -> Result<(), ApiError> {
    let mut q = Query::parse(req, &PAGINATION)?;
    let page = q.page::<S>();
    q.finish(page).map(drop)
}

fn record_list<R: Resource>(name: &'static str, except: &'static [&'static str]) -> Route {
    Route {
        name,
        allowed: records::names(&records::params::<R>(except)),
        sorts: sorts::<R::Sort>(),
        parse: |req| records::list_query::<R>(req, &[]).map(drop),
    }
}

fn routes() -> Vec<Route> {
    vec![
        record_list::<Contact>("GET /contacts", &[]),
        Route {
            parse: |req| records::list_query::<Contact>(req, &companies::NOT_OF_A_COMPANY).map(drop),
            ..record_list::<Contact>("GET /companies/{id}/contacts", &companies::NOT_OF_A_COMPANY)
        },
        record_list::<Company>("GET /companies", &[]),
        Route {
            name: "GET /audit-logs",
            allowed: audit::PARAMS.to_vec(),
            sorts: sorts::<AuditSort>(),
            parse: |req| {
                let mut q = Query::parse(req, &audit::PARAMS)?;
                let page: Option<PageRequest<AuditSort>> = q.page();
                q.finish(page).map(drop)
            },
        },
        Route {
            name: "GET /keys",
            allowed: PAGINATION.to_vec(),
            sorts: sorts::<KeySort>(),
            parse: paginated::<KeySort>,
        },
        Route {
            name: "GET /tags",
            allowed: PAGINATION.to_vec(),
            sorts: sorts::<TagSort>(),
            parse: paginated::<TagSort>,
        },
        Route {
            name: "GET /workspaces",
            allowed: PAGINATION.to_vec(),
            sorts: sorts::<WorkspaceSort>(),
            parse: paginated::<WorkspaceSort>,
        },
        Route {
            name: "GET /workspaces/members",
            allowed: PAGINATION.to_vec(),
            sorts: sorts::<MemberSort>(),
            parse: paginated::<MemberSort>,
        },
        Route {
            name: "GET /contacts/{id} and every mutation",
            allowed: Vec::new(),
            sorts: Vec::new(),
            parse: Query::none,
        },
    ]
}

/// Every parameter name some route accepts, and a few that none does.
const NAMES: &[&str] = &[
    "page",
    "per_page",
    "sort",
    "order",
    "q",
    "company_id",
    "tag",
    "email",
    "domain",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
    "event_type",
    "target_type",
    "target_id",
    "actor_type",
    "actor_id",
    "request_id",
    "Page",
    "api_key",
    "limit",
    "page[]",
    "",
];

fn param_value() -> BoxedStrategy<String> {
    prop_oneof![
        3 => text(20),
        2 => (0u64..300).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => any::<i32>().prop_map(|n| n.to_string()),
        2 => select(&["created_at", "updated_at", "name", "first_name", "email", "domain", "last_used_at",
                      "count", "asc", "desc", "ASC", ""][..]).prop_map(str::to_owned),
        1 => any::<u128>().prop_map(|u| typeid::<CompanyId>(u, CompanyId::parse_reference)),
        1 => any::<u128>().prop_map(|u| typeid::<ContactId>(u, ContactId::parse_reference)),
        1 => any::<u128>().prop_map(uuid_text),
        1 => select(&["2026-01-31T09:30:00Z", "2026-01-31T09:30:00.123+02:00", "2026-01-31", "2026-01-31T23:59:60Z",
                      "2026-01-31 09:30:00Z", "now"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn pairs() -> BoxedStrategy<Vec<(String, String)>> {
    let pair = (
        prop_oneof![6 => select(NAMES).prop_map(str::to_owned), 1 => text(8)],
        param_value(),
    );
    // What a well-behaved client sends to a list (valid on most routes), now and then with a
    // stray parameter.
    let opt = |name: &'static str, value: BoxedStrategy<String>| {
        prop::option::of(value).prop_map(move |v| v.map(|v| (name.to_owned(), v)))
    };
    let listing = (
        opt("page", (1u32..1000).prop_map(|n| n.to_string()).boxed()),
        opt("per_page", (1u32..=250).prop_map(|n| n.to_string()).boxed()),
        opt(
            "sort",
            select(&["created_at", "name"][..]).prop_map(str::to_owned).boxed(),
        ),
        opt("order", select(&["asc", "desc"][..]).prop_map(str::to_owned).boxed()),
        opt("q", text(20)),
        vec(pair.clone(), 0..2),
    )
        .prop_map(|(page, per_page, sort, order, q, stray)| {
            [page, per_page, sort, order, q]
                .into_iter()
                .flatten()
                .chain(stray)
                .collect()
        });
    prop_oneof![
        4 => listing,
        4 => vec(pair.clone(), 0..8),
        1 => vec(pair, 30..36),
    ]
    .boxed()
}

/// Characters allowed unescaped in a URI's query (RFC 3986), with `%` for broken escapes.
const QUERY_CHARS: &[u8] = b"abcXYZ019-._~!$&'()*+,;=:@/?%";

fn raw_query() -> BoxedStrategy<String> {
    prop_oneof![
        vec(select(QUERY_CHARS), 0..40).prop_map(|b| b.into_iter().map(char::from).collect()),
        vec(
            prop_oneof![
                select(
                    &[
                        "page=",
                        "per_page=",
                        "sort=",
                        "order=",
                        "q=",
                        "&",
                        "=",
                        "%",
                        "%2",
                        "%zz",
                        "%FF",
                        "%C3",
                        "%00",
                        "+",
                        "%26",
                        "%3D",
                        "x"
                    ][..]
                ),
                select(&["1", "250", "0", "name", "asc"][..]),
            ],
            0..12
        )
        .prop_map(|parts| parts.concat()),
    ]
    .boxed()
}

fn request(query: &str) -> HttpRequest {
    TestRequest::default().uri(&format!("/x?{query}")).to_http_request()
}

/// Checks that a refusal is a 400 naming only parameters present (or `query`).
fn check_refusal(err: &ApiError, present: &[String], route: &str) -> Result<Vec<String>, TestCaseError> {
    prop_assert_eq!(err.status, StatusCode::BAD_REQUEST, "{}", route);
    prop_assert_eq!(err.code, "VALIDATION_ERROR");
    let fields: Vec<String> = err.details.iter().flatten().map(|d| d.field.clone()).collect();
    prop_assert!(!fields.is_empty(), "{}: a 400 without details", route);
    for f in &fields {
        prop_assert!(f == "query" || present.contains(f), "{}: {:?} was not sent", route, f);
    }
    Ok(fields)
}

fn value_ok(route: &Route, name: &str, value: &str) -> bool {
    match name {
        "page" => value.parse::<u32>().is_ok_and(|v| v >= 1),
        "per_page" => value.parse::<u32>().is_ok_and(|v| (1..=250).contains(&v)),
        "sort" => route.sorts.contains(&value),
        "order" => value == "asc" || value == "desc",
        "company_id" => CompanyId::parse_reference(value.trim()).is_some(),
        "created_after" | "created_before" | "updated_after" | "updated_before" => {
            moss_domain::time::parse_rfc3339(value).is_some()
        }
        _ => true,
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_route_names_each_bad_parameter(pairs in pairs()) {
        let query = serde_urlencoded::to_string(&pairs).expect("pairs encode");
        let req = request(&query);
        let names: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
        for route in routes() {
            let answer = (route.parse)(&req);
            if pairs.len() > MAX_QUERY_PARAMS {
                let fields = check_refusal(&answer.expect_err("too many parameters"), &names, route.name)?;
                prop_assert_eq!(fields, vec!["query".to_owned()]);
                continue;
            }
            let mut seen: Vec<&str> = Vec::new();
            let mut must_name: Vec<&str> = Vec::new();
            let mut all_valid = true;
            for (name, value) in &pairs {
                if !route.allowed.contains(&name.as_str()) || seen.contains(&name.as_str()) {
                    must_name.push(name);
                } else if !value_ok(&route, name, value) {
                    all_valid = false;
                }
                seen.push(name);
            }
            match answer {
                Ok(()) => prop_assert!(must_name.is_empty() && all_valid, "{}: accepted {:?}", route.name, query),
                Err(e) => {
                    let fields = check_refusal(&e, &names, route.name)?;
                    prop_assert!(!fields.contains(&"query".to_owned()), "{}: {:?}", route.name, fields);
                    for n in must_name {
                        prop_assert!(fields.iter().any(|f| f == n), "{}: {:?} not named in {:?}", route.name, n, fields);
                    }
                }
            }
        }
    }

    #[test]
    fn any_query_string_is_parsed_or_refused_with_a_400(query in prop_oneof![raw_query(), text(30).prop_map(|t| {
        serde_urlencoded::to_string([("q", t)]).unwrap_or_default()
    })]) {
        let req = request(&query);
        let decoded: Option<Vec<(String, String)>> = serde_urlencoded::from_str(&query).ok();
        let present: Vec<String> = decoded.iter().flatten().map(|(n, _)| n.clone()).collect();
        for route in routes() {
            if let Err(e) = (route.parse)(&req) {
                check_refusal(&e, &present, route.name)?;
            } else if let Some(pairs) = &decoded {
                prop_assert!(pairs.iter().all(|(n, _)| route.allowed.contains(&n.as_str())), "{}: {:?}", route.name, query);
            }
        }
    }
}
