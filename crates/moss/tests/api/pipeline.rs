//! `GET /api/v1/pipeline`: counts and exact totals per stage and currency, the open group and
//! the win rate (resources.md, Pipeline). Written from the spec, black-box over HTTP.

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

const STAGES: [&str; 5] = ["lead", "prospect", "negotiation", "won", "lost"];

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn pipeline(app: &TestApp, query: &str) -> Resp {
    let r = app.get(&format!("/api/v1/pipeline{query}")).send();
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r
}

fn totals(t: &[(&str, u64)]) -> Value {
    Value::Array(
        t.iter()
            .map(|(currency, value)| json!({"currency": currency, "value": value}))
            .collect(),
    )
}

/// The expected answer: per stage (in pipeline order) its count and totals, then the open
/// group and the win rate.
fn expected(stages: [(u64, &[(&str, u64)]); 5], open: (u64, &[(&str, u64)]), win_rate: Value) -> Value {
    let stages: Vec<Value> = STAGES
        .iter()
        .zip(stages)
        .map(|(stage, (count, t))| json!({"stage": stage, "count": count, "totals": totals(t)}))
        .collect();
    json!({"data": {
        "stages": stages,
        "open": {"count": open.0, "totals": totals(open.1)},
        "win_rate": win_rate
    }})
}

/// The answer with `win_rate` as a float, so `1` and `1.0` (the same JSON number) compare equal.
fn norm(mut body: Value) -> Value {
    if let Some(rate) = body["data"]["win_rate"].as_f64() {
        body["data"]["win_rate"] = json!(rate);
    }
    body
}

#[track_caller]
fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), fields, "{}", r.text);
}

#[rstest]
fn an_empty_workspace(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let r = pipeline(&app, "");
    assert_eq!(r.body, expected([(0, &[]); 5], (0, &[]), json!(null)), "{}", r.text);
}

#[rstest]
fn stages_counts_totals_open_and_win_rate(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    for body in [
        json!({"name": "L1", "value": 100}),
        json!({"name": "L2", "value": 250, "currency": "usd"}),
        json!({"name": "L3", "currency": "EUR"}),
        json!({"name": "P1", "stage": "prospect", "value": 500, "currency": "EUR"}),
        json!({"name": "N1", "stage": "negotiation", "currency": "GBP"}),
        json!({"name": "W1", "stage": "won", "value": 1000}),
        json!({"name": "W2", "stage": "won", "value": 2000, "currency": "USD"}),
        json!({"name": "X1", "stage": "lost", "value": 300, "currency": "EUR", "lost_reason": "Price"}),
    ] {
        app.deal(body);
    }
    // Another workspace's deals count there, not here.
    let other = app.other_workspace("other");
    for body in [
        json!({"name": "Theirs", "stage": "won", "value": 7}),
        json!({"name": "Theirs 2", "stage": "lead", "value": 9, "currency": "JPY"}),
    ] {
        assert_eq!(app.post("/api/v1/deals", body).key(&other).send().status, 201);
    }
    let r = pipeline(&app, "");
    assert_eq!(
        norm(r.body.clone()),
        expected(
            [
                (3, &[("EUR", 0), ("USD", 350)]),
                (1, &[("EUR", 500)]),
                (1, &[("GBP", 0)]),
                (2, &[("USD", 3000)]),
                (1, &[("EUR", 300)]),
            ],
            (5, &[("EUR", 500), ("GBP", 0), ("USD", 350)]),
            json!(0.6667),
        ),
        "{}",
        r.text
    );
    // Totals are JSON integers, and the win rate has 4 decimals.
    assert!(r.body["data"]["stages"][0]["totals"][1]["value"].is_u64(), "{}", r.text);
    assert!(r.text.contains("0.6667") && !r.text.contains("0.66666"), "{}", r.text);
    let r = app.get("/api/v1/pipeline").key(&other).send();
    assert_eq!(
        norm(r.body.clone()),
        expected(
            [(1, &[("JPY", 9)]), (0, &[]), (0, &[]), (1, &[("USD", 7)]), (0, &[])],
            (1, &[("JPY", 9)]),
            json!(1.0),
        ),
        "{}",
        r.text
    );
}

#[rstest]
fn win_rate_is_rounded_half_away_from_zero_to_4_places(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let rate = |app: &TestApp| pipeline(app, "").body["data"]["win_rate"].clone();
    // Only open deals: no closed ones, no rate.
    app.deal(json!({"name": "Open"}));
    assert_eq!(rate(&app), json!(null));
    let w1 = id(&app.deal(json!({"name": "W1", "stage": "won"})));
    assert_eq!(rate(&app).as_f64(), Some(1.0));
    app.deal(json!({"name": "L1", "stage": "lost"}));
    assert_eq!(rate(&app).as_f64(), Some(0.5));
    let w2 = id(&app.deal(json!({"name": "W2", "stage": "won"})));
    assert_eq!(rate(&app).as_f64(), Some(0.6667), "2 won, 1 lost");
    let r = app
        .patch(&format!("/api/v1/deals/{w2}/stage"), json!({"stage": "lost"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rate(&app).as_f64(), Some(0.3333), "1 won, 2 lost");
    // 1 won, 31 lost: 1/32 = 0.03125 exactly, half way: 0.0313 (half to even would say 0.0312).
    for i in 0..29 {
        app.deal(json!({"name": format!("L{i}"), "stage": "lost"}));
    }
    let r = pipeline(&app, "");
    assert_eq!(r.body["data"]["stages"][4]["count"], 31);
    assert_eq!(r.body["data"]["win_rate"].as_f64(), Some(0.0313), "{}", r.text);
    // No deal won: 0, not null.
    let r = app
        .patch(&format!("/api/v1/deals/{w1}/stage"), json!({"stage": "negotiation"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let r = rate(&app);
    assert_eq!(r.as_f64(), Some(0.0), "{r}");
}

#[rstest]
fn filters_company_tag_and_expected_close(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let a = id(&app.company(json!({"name": "A"})));
    let b = id(&app.company(json!({"name": "B"})));
    for body in [
        json!({"name": "P0", "value": 100, "company_id": a, "tags": ["vip"], "expected_close": "2026-03-01"}),
        json!({"name": "P1", "stage": "won", "value": 200, "company_id": a, "expected_close": "2026-04-01"}),
        json!({"name": "P2", "stage": "lost", "value": 300, "company_id": b, "tags": ["VIP"], "expected_close": "2026-05-01"}),
        json!({"name": "P3", "stage": "prospect", "value": 400, "currency": "EUR", "tags": ["vip"]}),
    ] {
        app.deal(body);
    }
    let none: &[(&str, u64)] = &[];
    let check = |query: &str, want: Value| {
        let r = pipeline(&app, query);
        assert_eq!(norm(r.body.clone()), norm(want), "{query}: {}", r.text);
    };
    check(
        &format!("?company_id={a}"),
        expected(
            [
                (1, &[("USD", 100)]),
                (0, none),
                (0, none),
                (1, &[("USD", 200)]),
                (0, none),
            ],
            (1, &[("USD", 100)]),
            json!(1.0),
        ),
    );
    check(
        "?tag=Vip",
        expected(
            [
                (1, &[("USD", 100)]),
                (1, &[("EUR", 400)]),
                (0, none),
                (0, none),
                (1, &[("USD", 300)]),
            ],
            (2, &[("EUR", 400), ("USD", 100)]),
            json!(0.0),
        ),
    );
    check(
        "?expected_close_after=2026-04-01",
        expected(
            [
                (0, none),
                (0, none),
                (0, none),
                (1, &[("USD", 200)]),
                (1, &[("USD", 300)]),
            ],
            (0, none),
            json!(0.5),
        ),
    );
    check(
        "?expected_close_before=2026-04-01",
        expected(
            [
                (1, &[("USD", 100)]),
                (0, none),
                (0, none),
                (1, &[("USD", 200)]),
                (0, none),
            ],
            (1, &[("USD", 100)]),
            json!(1.0),
        ),
    );
    check(
        "?expected_close_after=2026-04-01&expected_close_before=2026-04-01",
        expected(
            [(0, none), (0, none), (0, none), (1, &[("USD", 200)]), (0, none)],
            (0, none),
            json!(1.0),
        ),
    );
    check(
        &format!("?company_id={a}&tag=vip"),
        expected(
            [(1, &[("USD", 100)]), (0, none), (0, none), (0, none), (0, none)],
            (1, &[("USD", 100)]),
            json!(null),
        ),
    );
    check(
        "?company_id=cmp_01h455vb4pex5vsknk084sn02q",
        expected([(0, none); 5], (0, none), json!(null)),
    );
    assert_400(&app.get("/api/v1/pipeline?company_id=nope").send(), &["company_id"]);
    assert_400(
        &app.get("/api/v1/pipeline?expected_close_before=soon").send(),
        &["expected_close_before"],
    );
    assert_400(&app.get("/api/v1/pipeline?stage=lead").send(), &["stage"]);
}

#[rstest]
fn totals_are_exact_past_2_pow_53(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let mut options = Options::default();
    options.settings.rate_limits.rps = 1_000_000;
    options.settings.rate_limits.burst = 1_000_000;
    let Some(app) = TestApp::start_with(backend, options) else {
        return;
    };
    let started = std::time::Instant::now();
    for i in 0..2000 {
        let r = app
            .post(
                "/api/v1/deals",
                json!({"name": format!("Big {i}"), "value": 9_007_199_254_740_991_u64}),
            )
            .send();
        assert_eq!(r.status, 201, "{i}: {}", r.text);
    }
    eprintln!("2000 deals in {:?}", started.elapsed());
    app.deal(json!({"name": "Small", "value": 1, "currency": "EUR", "stage": "won"}));
    let r = pipeline(&app, "");
    // 2000 * 9007199254740991 = 18014398509481982000: past 2^53 and past i64::MAX.
    let want = "18014398509481982000";
    assert_eq!(2000 * 9_007_199_254_740_991_u128, want.parse::<u128>().unwrap());
    let compact: String = r.text.chars().filter(|c| !c.is_whitespace()).collect();
    let as_integer = format!("\"value\":{want}");
    let hits: Vec<usize> = compact.match_indices(&as_integer).map(|(i, _)| i).collect();
    assert_eq!(hits.len(), 2, "lead and open, as JSON integers: {}", r.text);
    for i in hits {
        let next = compact[i + as_integer.len()..].chars().next();
        assert!(matches!(next, Some(',' | '}')), "an integer, not {next:?}: {}", r.text);
    }
    // It still fits a u64, so the parsed body can be checked whole too.
    assert_eq!(
        norm(r.body.clone()),
        expected(
            [
                (2000, &[("USD", 18_014_398_509_481_982_000)]),
                (0, &[]),
                (0, &[]),
                (1, &[("EUR", 1)]),
                (0, &[]),
            ],
            (2000, &[("USD", 18_014_398_509_481_982_000)]),
            json!(1.0),
        ),
        "{}",
        r.text
    );
}
