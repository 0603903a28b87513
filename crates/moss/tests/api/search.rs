//! Search (resources.md, Search): `GET /api/v1/search` over contacts, companies, deals and
//! interactions: the answer's shape (the requested types as keys, full records, no `meta`), bad
//! parameters, the four tiers and their order, typo tolerance and the places near matches may
//! fill, search-engine operators as plain text, freshness after writes and deletes, tenancy,
//! scopes, and the same order on both databases. Written from the spec, black-box over HTTP.

use moss_domain::Role;
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

const SEARCH: &str = "/api/v1/search";
const TYPES: [&str; 4] = ["companies", "contacts", "deals", "interactions"];

/// A server whose rate limit stays out of the way.
fn start(backend: Backend) -> Option<TestApp> {
    let mut options = Options::default();
    options.settings.rate_limits.rps = 100_000;
    options.settings.rate_limits.burst = 100_000;
    TestApp::start_with(backend, options)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

fn ids(records: &[&Value]) -> Vec<String> {
    records.iter().map(|r| id(r)).collect()
}

/// The ids of `records`, in id order (how ties are broken).
fn by_id(records: &[&Value]) -> Vec<String> {
    let mut v = ids(records);
    v.sort();
    v
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /api/v1/search?q=<q encoded>&<rest>`.
fn search(app: &TestApp, q: &str, rest: &str) -> Resp {
    let mut path = format!("{SEARCH}?q={}", encode(q));
    if !rest.is_empty() {
        path.push('&');
        path.push_str(rest);
    }
    app.get(&path).send()
}

/// A search that must answer 200 with one list per requested type and nothing else: its `data`.
#[track_caller]
fn found(app: &TestApp, q: &str, rest: &str) -> Value {
    let r = search(app, q, rest);
    assert_eq!(r.status, 200, "q={q:?} {rest}: {}", r.text);
    let top: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(top, ["data"], "no meta: {}", r.text);
    for (ty, list) in r.body["data"].as_object().unwrap() {
        assert!(list.is_array(), "{ty}: {}", r.text);
    }
    r.body["data"].clone()
}

/// The ids found of one type.
fn found_ids(data: &Value, ty: &str) -> Vec<String> {
    data[ty]
        .as_array()
        .unwrap_or_else(|| panic!("no {ty}: {data}"))
        .iter()
        .map(id)
        .collect()
}

/// The ids of contacts found for `q` with `per_type`.
#[track_caller]
fn contacts(app: &TestApp, q: &str, per_type: usize) -> Vec<String> {
    found_ids(
        &found(app, q, &format!("types=contacts&per_type={per_type}")),
        "contacts",
    )
}

/// What a person reads a found record by: a contact's first and last name, a company's or deal's
/// name, an interaction's notes.
fn name_of(ty: &str, r: &Value) -> String {
    match ty {
        "contacts" => match r["last_name"].as_str() {
            Some(last) => format!("{} {last}", r["first_name"].as_str().unwrap_or_default()),
            None => r["first_name"].as_str().unwrap_or_default().to_owned(),
        },
        "interactions" => r["notes"].as_str().unwrap_or_default().to_owned(),
        _ => r["name"].as_str().unwrap_or_default().to_owned(),
    }
}

fn names(data: &Value, ty: &str) -> Vec<String> {
    data[ty]
        .as_array()
        .unwrap_or_else(|| panic!("no {ty}: {data}"))
        .iter()
        .map(|r| name_of(ty, r))
        .collect()
}

#[track_caller]
fn read(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send();
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body["data"].clone()
}

fn person(app: &TestApp, first: &str, last: Option<&str>) -> Value {
    app.contact(json!({"first_name": first, "last_name": last}))
}

#[track_caller]
fn log(app: &TestApp, contact: &Value, notes: &str) -> Value {
    let r = app
        .post(
            "/api/v1/interactions",
            json!({"contact_id": contact["id"], "type": "note", "notes": notes, "occurred_at": "2026-01-05T09:00:00Z"}),
        )
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

// ---- The answer --------------------------------------------------------------------------------

#[rstest]
fn the_answer_holds_the_requested_types_as_keys_with_full_records(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let company = app.company(
        json!({"name": "Zephyr Labs", "domain": "zephyr.io", "industry": "Wind", "tags": ["vip"], "custom_fields": {"size": 5}}),
    );
    let contact = app.contact(json!({
        "first_name": "Zephyr", "last_name": "Jones", "email": "zj@example.com", "title": "CTO",
        "company_id": company["id"], "tags": ["lead"], "custom_fields": {"x": 1}
    }));
    let deal = app.deal(json!({"name": "Zephyr renewal", "value": 1000, "company_id": company["id"], "tags": ["q1"]}));
    let interaction = log(&app, &contact, "Zephyr call about pricing");
    let want = |ty: &str| -> Value {
        let (path, r) = match ty {
            "contacts" => ("contacts", &contact),
            "companies" => ("companies", &company),
            "deals" => ("deals", &deal),
            _ => ("interactions", &interaction),
        };
        json!([read(&app, &format!("/api/v1/{path}/{}", id(r)))])
    };

    let r = search(&app, "zephyr", "");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(sorted_keys(&r.body), ["data"], "no meta: {}", r.text);
    assert_eq!(sorted_keys(&r.body["data"]), TYPES, "every type by default");
    for ty in TYPES {
        assert_eq!(r.body["data"][ty], want(ty), "{ty}: the record as GET shows it");
    }
    assert_eq!(r.header("content-type"), Some("application/json"));

    for (types, keys) in [
        ("contacts", vec!["contacts"]),
        ("deals,contacts", vec!["contacts", "deals"]),
        ("interactions,companies", vec!["companies", "interactions"]),
        ("contacts,companies,deals,interactions", TYPES.to_vec()),
    ] {
        let data = found(&app, "zephyr", &format!("types={types}"));
        assert_eq!(sorted_keys(&data), keys, "types={types}");
        for ty in keys {
            assert_eq!(data[ty], want(ty), "types={types}: {ty}");
        }
    }
    // Types with nothing found are there, empty.
    let data = found(&app, "zephyr renewal", "");
    assert_eq!(sorted_keys(&data), TYPES);
    assert_eq!(
        (
            &data["contacts"],
            &data["companies"],
            &data["deals"],
            &data["interactions"]
        ),
        (&json!([]), &json!([]), &want("deals"), &json!([]))
    );

    // per_type: 5 by default, 1 to 20.
    for i in 0..24 {
        person(&app, "Zephyr", Some(&format!("{i:02}")));
    }
    let numbered = |n: usize| -> Vec<String> { (0..n).map(|i| format!("Zephyr {i:02}")).collect() };
    let n = |rest: &str| names(&found(&app, "zephyr", rest), "contacts");
    assert_eq!(n(""), numbered(5));
    assert_eq!(n("per_type=1"), numbered(1));
    assert_eq!(n("per_type=7"), numbered(7));
    assert_eq!(n("per_type=20"), numbered(20));
    assert_eq!(n("per_type=20&types=contacts"), numbered(20));
    let data = found(&app, "zephyr", "per_type=2");
    assert_eq!(data["deals"], want("deals"), "per_type is per type");
}

#[rstest]
#[case::q_missing("", &["q"])]
#[case::q_empty("q=", &["q"])]
#[case::q_blank("q=%20%20%20", &["q"])]
#[case::q_tab_and_newline("q=%09%0A", &["q"])]
#[case::q_only_punctuation("q=!!!", &["q"])]
#[case::q_only_operators("q=%22%27*-%2B()%3A%5E%26%7C!%3C-%3E", &["q"])]
#[case::q_zero_width_space("q=%E2%80%8B", &["q"])]
#[case::types_people("q=ada&types=people", &["types"])]
#[case::types_one_unknown("q=ada&types=contacts,people", &["types"])]
#[case::types_upper_case("q=ada&types=Contacts", &["types"])]
#[case::per_type_0("q=ada&per_type=0", &["per_type"])]
#[case::per_type_21("q=ada&per_type=21", &["per_type"])]
#[case::per_type_negative("q=ada&per_type=-1", &["per_type"])]
#[case::per_type_not_a_number("q=ada&per_type=five", &["per_type"])]
#[case::per_type_fraction("q=ada&per_type=1.5", &["per_type"])]
#[case::all_at_once("q=%20&types=people&per_type=0", &["per_type", "q", "types"])]
#[case::unknown_parameter("q=ada&colour=red", &["colour"])]
fn bad_parameters_are_400_naming_each(
    #[case] query: &str,
    #[case] fields: &[&str],
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = start(backend) else { return };
    let r = app.get(&format!("{SEARCH}?{query}")).send();
    r.assert_error(400, "VALIDATION_ERROR");
    let mut got = r.fields();
    got.sort();
    assert_eq!(got, fields, "{query}: {}", r.text);
}

#[rstest]
fn search_is_a_read_every_key_may_make(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let ada = app.contact(json!({"first_name": "Ada", "last_name": "Lovelace"}));
    let owner = found(&app, "ada", "");
    assert_eq!(found_ids(&owner, "contacts"), ids(&[&ada]));
    for (who, key) in [
        ("read-only owner", app.key(Role::Owner, "read_only")),
        ("member", app.key(Role::Member, "full")),
        ("read-only member", app.key(Role::Member, "read_only")),
    ] {
        let r = app.get(&format!("{SEARCH}?q=ada")).key(&key).send();
        assert_eq!((r.status, &r.body["data"]), (200, &owner), "{who}: {}", r.text);
    }
    app.get(&format!("{SEARCH}?q=ada"))
        .no_key()
        .send()
        .assert_error(401, "UNAUTHORIZED");
    // A read: other methods are not routes.
    let r = app.post(SEARCH, json!({"q": "ada"})).send();
    assert_eq!(r.status, 405, "{}", r.text);
}

// ---- Order -------------------------------------------------------------------------------------

#[rstest]
fn the_four_tiers_in_order_then_names_then_ids(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    // Contacts: email equality, every word in a name, every word somewhere.
    let a = app.contact(json!({"first_name": "Zoe", "last_name": "Zimmer", "email": "Jane@Example.com"}));
    let b = app.contact(json!({"first_name": "Jane", "last_name": "Example-Com"}));
    let c = app.contact(json!({"first_name": "Jane", "last_name": "Doe", "title": "Example.com account manager"}));
    let d = app.contact(json!({"first_name": "Bob", "email": "jane@example.org"}));
    let e = app.contact(json!({"first_name": "Jane", "last_name": "Smith"}));
    for q in ["jane@example.com", "JANE@EXAMPLE.COM", "Jane@Example.Com"] {
        assert_eq!(contacts(&app, q, 20), ids(&[&a, &b, &c]), "q={q}");
    }
    // One word: names first (by name), then the rest (by name).
    assert_eq!(contacts(&app, "jane", 20), ids(&[&c, &b, &e, &d, &a]));
    assert_eq!(contacts(&app, "jane", 3), ids(&[&c, &b, &e]));
    assert_eq!(contacts(&app, "example", 20), ids(&[&b, &d, &c, &a]));

    // Companies: domain equality first.
    let x = app.company(json!({"name": "Zenith Holdings", "domain": "acme.io"}));
    let y = app.company(json!({"name": "Acme IO Partners"}));
    let y2 = app.company(json!({"name": "Acme IO Analytics"}));
    let z = app.company(json!({"name": "Acme", "industry": "IO devices"}));
    app.company(json!({"name": "Acme Global", "domain": "acme.com"}));
    let comp = |q: &str| found_ids(&found(&app, q, "types=companies&per_type=20"), "companies");
    assert_eq!(comp("acme.io"), ids(&[&x, &y2, &y, &z]));
    assert_eq!(comp("ACME.IO"), ids(&[&x, &y2, &y, &z]));

    // Deals: the name, then notes; equal lower-cased names by id.
    let d1 = app.deal(json!({"name": "Zulu Atlas deal"}));
    let d2 = app.deal(json!({"name": "Atlas renewal"}));
    let d3 = app.deal(json!({"name": "atlas Renewal"}));
    let d4 = app.deal(json!({"name": "Beta project", "notes": "atlas follow-on"}));
    let d5 = app.deal(json!({"name": "Aardvark", "notes": "About atlases"}));
    app.deal(json!({"name": "Gamma", "notes": "nothing to see"}));
    let want = [by_id(&[&d2, &d3]), ids(&[&d1, &d5, &d4])].concat();
    assert_eq!(
        found_ids(&found(&app, "atlas", "types=deals&per_type=20"), "deals"),
        want
    );
    assert_eq!(found_ids(&found(&app, "atlas", "types=deals"), "deals"), want);
    assert_eq!(
        found_ids(&found(&app, "atlas ren", "types=deals"), "deals"),
        by_id(&[&d2, &d3])
    );

    // Interactions: their notes.
    let i1 = log(&app, &e, "Atlas kickoff");
    let i2 = log(&app, &e, "Discussed the atlas rollout");
    log(&app, &e, "Nothing here");
    let mut got = found_ids(&found(&app, "atlas", "types=interactions&per_type=20"), "interactions");
    got.sort();
    assert_eq!(got, by_id(&[&i1, &i2]));
    let data = found(&app, "atlas", "");
    assert_eq!((&data["contacts"], &data["companies"]), (&json!([]), &json!([])));
}

#[rstest]
fn a_typo_in_each_word_of_five_or_more_characters_is_forgiven(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let jonathan = person(&app, "Jonathan", Some("Smith"));
    let john = person(&app, "John", Some("Smith"));
    person(&app, "Ann", Some("Lee"));
    let greta = app.contact(json!({"first_name": "Greta", "email": "jane@example.com"}));
    let smith_co = app.company(json!({"name": "Smith & Sons"}));
    let smith_deal = app.deal(json!({"name": "Smith renewal"}));
    log(&app, &john, "Called smith about the renewal");
    for (q, want) in [
        ("jonathon smyth", ids(&[&jonathan])),
        ("Jonathon Smyth", ids(&[&jonathan])),
        ("jonahtan smith", ids(&[&jonathan])),
        ("jonathan smiht", ids(&[&jonathan])),
        ("jonathn smith", ids(&[&jonathan])),
        ("jonathaan smith", ids(&[&jonathan])),
        ("jonathon smi", ids(&[&jonathan])),
        ("jonathon", ids(&[&jonathan])),
        ("jon smyth", ids(&[&jonathan])),
        ("john smyth", ids(&[&john])),
        ("smyth", ids(&[&john, &jonathan])),
        ("jane@exampel.com", ids(&[&greta])),
        // Two edits in one word are too many.
        ("jonathxy smith", vec![]),
        ("jnoatahn smith", vec![]),
        // Words shorter than five characters must prefix-match.
        ("jonh smith", vec![]),
        ("jhon", vec![]),
        ("jonathan smyt", vec![]),
        ("ann lea", vec![]),
    ] {
        assert_eq!(contacts(&app, q, 20), want, "q={q:?}");
    }
    let data = found(&app, "smyth", "per_type=20");
    assert_eq!(found_ids(&data, "companies"), ids(&[&smith_co]));
    assert_eq!(found_ids(&data, "deals"), ids(&[&smith_deal]));
    assert_eq!(data["interactions"], json!([]), "near matches are of names and emails");
}

#[rstest]
fn near_matches_fill_only_the_places_prefix_matches_leave(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    // Created in an order that is none of the orders below.
    let mrata = person(&app, "Mrata", Some("Olson"));
    let martha = person(&app, "Martha", Some("Olsen"));
    let olsne = person(&app, "Marta", Some("Olsne"));
    let martanne = person(&app, "Martanne", Some("Olsenova"));
    let marta = person(&app, "Marta", Some("Olsen"));
    let berg = app.contact(json!({"first_name": "Marta", "last_name": "Berg", "title": "Olsen Consulting"}));
    let bob = app.contact(json!({"first_name": "Bob", "last_name": "Ek", "notes": "marta olsen referral"}));
    person(&app, "Marco", Some("Olsen"));
    person(&app, "Marta", Some("Olafsen"));
    let all = ids(&[&marta, &martanne, &bob, &berg, &olsne, &martha, &mrata]);
    for per_type in [20, 7] {
        assert_eq!(contacts(&app, "marta olsen", per_type), all, "per_type={per_type}");
    }
    for per_type in 1..=6 {
        assert_eq!(
            contacts(&app, "marta olsen", per_type),
            all[..per_type].to_vec(),
            "per_type={per_type}"
        );
    }
    assert_eq!(
        found_ids(&found(&app, "marta olsen", ""), "contacts"),
        all[..5].to_vec(),
        "five by default: the four prefix matches, then the best near match"
    );
}

// ---- Plain text --------------------------------------------------------------------------------

#[rstest]
fn operators_and_quotes_are_plain_text(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let ada = person(&app, "Ada", Some("Anderson"));
    person(&app, "Bob", Some("Ornstein"));
    let sean = person(&app, "Sean", Some("O'Brien"));
    let inputs = [
        "\"",
        "'",
        "*",
        "-",
        "+",
        "(",
        ")",
        ":",
        "^",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "&",
        "|",
        "!",
        "<->",
        "\"\"",
        "''",
        "**",
        "()",
        "((((((((((",
        "))))",
        "\"ada",
        "ada\"",
        "ada'",
        "'ada'",
        "ada*",
        "*ada",
        "ada -bob",
        "-ada",
        "ada + bob",
        "+ada +bob",
        "ada AND",
        "ada OR bob",
        "NOT ada",
        "ada NOT bob",
        "ada NEAR bob",
        "ada NEAR/3 bob",
        "NEAR(ada bob)",
        "NEAR(ada, bob, 2)",
        "{ada bob}",
        "[ada]",
        "ada:bob",
        ":ada",
        "first_name:ada",
        "ada:*",
        "ada:* & bob:*",
        "'ada':A",
        "^ada",
        "ada^2",
        "ada AND OR NOT bob",
        "AND OR NOT NEAR",
        "ada & !bob",
        "ada | bob",
        "!!ada",
        "!ada",
        "ada <-> anderson",
        "ada <2> bob",
        "(ada)",
        "ada)",
        "(ada",
        "ada~2",
        "~ada",
        "\\",
        "ada\\",
        "%",
        "_",
        "%ada%",
        "ada_",
        "ada;--",
        "'; DROP TABLE contacts; --",
        "\" OR 1=1 --",
        "ada\"\"\"",
        "o'brien",
        "*:*",
        "- - -",
        "&&",
        "||",
        "!=",
        "<>",
        "<-",
        "->",
        "ü",
        "日本",
        "😀",
        "ada 😀",
    ];
    for q in inputs {
        let r = search(&app, q, "");
        if q.chars().any(char::is_alphanumeric) {
            assert_eq!(r.status, 200, "q={q:?}: {}", r.text);
            assert_eq!(sorted_keys(&r.body["data"]), TYPES, "q={q:?}: {}", r.text);
        } else {
            r.assert_error(400, "VALIDATION_ERROR");
            assert_eq!(r.fields(), ["q"], "q={q:?}: {}", r.text);
        }
    }
    // What is found is what the words say, operators read as words.
    for (q, want) in [
        ("ada AND", ids(&[&ada])),
        ("ada OR bob", vec![]),
        ("NOT ada", vec![]),
        ("ada NOT bob", vec![]),
        ("-ada", ids(&[&ada])),
        ("ada -bob", vec![]),
        ("ada*", ids(&[&ada])),
        ("\"ada anderson\"", ids(&[&ada])),
        ("\"anderson ada\"", ids(&[&ada])),
        ("ada & bob", vec![]),
        ("ada | bob", vec![]),
        ("!ada", ids(&[&ada])),
        ("ada <-> anderson", ids(&[&ada])),
        ("NEAR(ada anderson)", vec![]),
        ("first_name:ada", vec![]),
        ("ada:*", ids(&[&ada])),
        ("(ada)", ids(&[&ada])),
        ("^ada", ids(&[&ada])),
        ("o'brien", ids(&[&sean])),
        ("O'Bri", ids(&[&sean])),
    ] {
        assert_eq!(contacts(&app, q, 20), want, "q={q:?}");
    }
}

// ---- Freshness, deletes, tenancy ---------------------------------------------------------------

#[rstest]
fn records_are_searchable_once_written_and_gone_once_deleted(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let c = person(&app, "Quentin", Some("Blake"));
    assert_eq!(
        contacts(&app, "quentin", 5),
        ids(&[&c]),
        "right after the create answered"
    );
    let co = app.company(json!({"name": "Quasar Works"}));
    let deal = app.deal(json!({"name": "Quokka expansion"}));
    let int = log(&app, &c, "Quibble about pricing");
    let data = found(&app, "qu", "per_type=20");
    assert_eq!(
        (
            found_ids(&data, "contacts"),
            found_ids(&data, "companies"),
            found_ids(&data, "deals"),
            found_ids(&data, "interactions")
        ),
        (ids(&[&c]), ids(&[&co]), ids(&[&deal]), ids(&[&int]))
    );

    // Updates: the new words are found at once, the old ones no more.
    let cid = id(&c);
    let r = app
        .patch(
            &format!("/api/v1/contacts/{cid}"),
            json!({"first_name": "Roald", "email": "RB@example.com"}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(contacts(&app, "quentin", 5).is_empty());
    let data = found(&app, "roald", "types=contacts");
    assert_eq!(data["contacts"], json!([r.body["data"]]), "the record as it is now");
    assert_eq!(contacts(&app, "rb@example.com", 5), vec![cid.clone()]);
    let r = app
        .patch(
            &format!("/api/v1/companies/{}", id(&co)),
            json!({"name": "Pulsar Works", "domain": "pulsar.io"}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let comp = |q: &str| found_ids(&found(&app, q, "types=companies"), "companies");
    assert!(comp("quasar").is_empty());
    assert_eq!(comp("pulsar"), ids(&[&co]));
    assert_eq!(comp("pulsar.io"), ids(&[&co]));
    let r = app
        .patch(
            &format!("/api/v1/deals/{}", id(&deal)),
            json!({"notes": "Kestrel pilot"}),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        found_ids(&found(&app, "kestrel", "types=deals"), "deals"),
        ids(&[&deal])
    );

    // Deletes.
    assert_eq!(app.delete(&format!("/api/v1/deals/{}", id(&deal))).send().status, 200);
    assert!(found_ids(&found(&app, "quokka", ""), "deals").is_empty());
    assert!(found_ids(&found(&app, "kestrel", ""), "deals").is_empty());
    assert_eq!(app.delete(&format!("/api/v1/companies/{}", id(&co))).send().status, 200);
    assert!(comp("pulsar").is_empty());
    assert!(comp("pulsar.io").is_empty());
    let other_note = log(&app, &c, "Quibble again");
    assert_eq!(
        app.delete(&format!("/api/v1/interactions/{}", id(&int))).send().status,
        200
    );
    assert_eq!(
        found_ids(&found(&app, "quibble", "types=interactions"), "interactions"),
        ids(&[&other_note])
    );
    // A contact's delete takes its interactions with it, out of search too.
    assert_eq!(app.delete(&format!("/api/v1/contacts/{cid}")).send().status, 200);
    let data = found(&app, "roald", "");
    assert!(data.as_object().unwrap().values().all(|v| v == &json!([])), "{data}");
    assert!(contacts(&app, "rb@example.com", 5).is_empty());
    assert!(found_ids(&found(&app, "quibble", ""), "interactions").is_empty());
}

#[rstest]
fn another_workspaces_records_never_appear(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = start(backend) else { return };
    let other = app.other_workspace("other");
    let post = |path: &str, body: Value| -> Value {
        let r = app.post(path, body).key(&other).send();
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["data"].clone()
    };
    let theirs = post(
        "/api/v1/contacts",
        json!({"first_name": "Zanzibar", "last_name": "Theirs", "email": "z@zanzibar.io"}),
    );
    post(
        "/api/v1/companies",
        json!({"name": "Zanzibar Trading", "domain": "zanzibar.io"}),
    );
    post("/api/v1/deals", json!({"name": "Zanzibar deal"}));
    post(
        "/api/v1/interactions",
        json!({"contact_id": theirs["id"], "type": "call", "notes": "Zanzibar call", "occurred_at": "2026-01-01T00:00:00Z"}),
    );
    let mine = person(&app, "Zanzibar", Some("Mine"));
    for q in [
        "zanzibar",
        "zanzibr",
        "zan",
        "zanzibar theirs",
        "z@zanzibar.io",
        "zanzibar.io",
        "zanzibar call",
    ] {
        let data = found(&app, q, "per_type=20");
        let want = if ["zanzibar", "zanzibr", "zan"].contains(&q) {
            ids(&[&mine])
        } else {
            vec![]
        };
        assert_eq!(found_ids(&data, "contacts"), want, "q={q}");
        for ty in ["companies", "deals", "interactions"] {
            assert_eq!(data[ty], json!([]), "q={q}: {ty}");
        }
    }
    // And they see theirs, not mine.
    let r = app.get(&format!("{SEARCH}?q=zanzibar&per_type=20")).key(&other).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(found_ids(&r.body["data"], "contacts"), ids(&[&theirs]));
    for ty in ["companies", "deals", "interactions"] {
        assert_eq!(r.body["data"][ty].as_array().map(Vec::len), Some(1), "{ty}: {}", r.text);
    }
}

// ---- Both databases ----------------------------------------------------------------------------

/// The same records, written in the same order: names that share prefixes, differ by case,
/// accents, hyphens and spaces, repeat exactly, and sit in every field the tiers read.
fn corpus(app: &TestApp) {
    let companies = [
        json!({"name": "Smith & Sons", "domain": "smith.com", "industry": "Tools"}),
        json!({"name": "Smithfield Foods", "domain": "smithfield.example"}),
        json!({"name": "Smyth Logistics", "notes": "The smith family business"}),
        json!({"name": "Lopez Partners", "domain": "lopez.example"}),
        json!({"name": "López Ltd"}),
        json!({"name": "Acme Smith", "domain": "acme-smith.com"}),
        json!({"name": "acme", "domain": "acme.example"}),
        json!({"name": "ACME Corp", "industry": "Anvils and smithing"}),
    ];
    let companies: Vec<Value> = companies.into_iter().map(|c| app.company(c)).collect();
    let contacts = [
        json!({"first_name": "Jonathan", "last_name": "Smith", "email": "jonathan@smith.com", "title": "CTO",
               "company_id": companies[0]["id"]}),
        json!({"first_name": "Jon", "last_name": "Smithers"}),
        json!({"first_name": "Johanna", "last_name": "Smit"}),
        json!({"first_name": "Jane", "last_name": "Smith", "email": "jane.smith@example.com"}),
        json!({"first_name": "John", "last_name": "Smyth", "title": "Smith liaison"}),
        json!({"first_name": "Janet", "last_name": "Smithson"}),
        json!({"first_name": "Jonathon", "last_name": "Smith"}),
        json!({"first_name": "Smith", "last_name": "Jones"}),
        json!({"first_name": "smith", "last_name": "jones"}),
        json!({"first_name": "Ana", "last_name": "Lopez", "email": "ana@lopez.example"}),
        json!({"first_name": "Anna", "last_name": "Lopes"}),
        json!({"first_name": "Ann", "last_name": "López"}),
        json!({"first_name": "ann", "last_name": "lopez"}),
        json!({"first_name": "Anne-Marie", "last_name": "Lopez"}),
        json!({"first_name": "Annemarie", "last_name": "Lopez"}),
        json!({"first_name": "Ann", "last_name": "Lopez"}),
        json!({"first_name": "Zoë", "last_name": "Smith"}),
        json!({"first_name": "Élodie", "last_name": "Smith"}),
        json!({"first_name": "Bob", "notes": "Met Jonathan Smith at the fair; pricing questions"}),
        json!({"first_name": "Ann"}),
    ];
    let contacts: Vec<Value> = contacts.into_iter().map(|c| app.contact(c)).collect();
    for d in [
        json!({"name": "Smith renewal", "company_id": companies[0]["id"]}),
        json!({"name": "Smithson expansion"}),
        json!({"name": "smith pilot", "notes": "Lopez asked for a pilot"}),
        json!({"name": "Lopez onboarding"}),
        json!({"name": "López upsell", "notes": "pricing"}),
        json!({"name": "Smith & Sons 2027"}),
        json!({"name": "Anne-Marie deal"}),
    ] {
        app.deal(d);
    }
    for (who, notes) in [
        (0, "Called Jonathan Smith"),
        (0, "Smith asked about pricing"),
        (9, "lopez demo"),
        (11, "Pricing for López"),
        (3, "smithy visit"),
        (3, "Called Jonathan Smith"),
    ] {
        log(app, &contacts[who], notes);
    }
}

#[test]
fn both_databases_rank_the_same_corpus_the_same_way() {
    let Some(sqlite) = start(SQLITE) else { return };
    let Some(postgres) = start(POSTGRES) else { return };
    corpus(&sqlite);
    corpus(&postgres);
    let queries = [
        ("smith", "per_type=20"),
        ("smith", ""),
        ("smi", "per_type=20"),
        ("s", "per_type=20"),
        ("jonathon smyth", "per_type=20"),
        ("jonathan smith", "per_type=20"),
        ("jonathan", "per_type=20"),
        ("jon", "per_type=20"),
        ("smyth", "per_type=20"),
        ("smithsn", "per_type=20"),
        ("lopez", "per_type=20"),
        ("lópez", "per_type=20"),
        ("LOPEZ", "per_type=3"),
        ("lopes", "per_type=20"),
        ("ann", "per_type=20"),
        ("ann lopez", "per_type=20"),
        ("anne marie", "per_type=20"),
        ("annemarie", "per_type=20"),
        ("smith jones", "per_type=20"),
        ("smith.com", "per_type=20"),
        ("jane.smith@example.com", "per_type=20"),
        ("JONATHAN@SMITH.COM", "per_type=20"),
        ("pricing", "per_type=20"),
        ("called", "per_type=20"),
        ("acme", "per_type=20"),
        ("zoë", "per_type=20"),
        ("zoe", "per_type=20"),
        ("élodie", "per_type=20"),
        ("elodie", "per_type=20"),
        ("smith", "types=deals,contacts&per_type=2"),
    ];
    let mut seen = 0;
    for (q, rest) in queries {
        let a = found(&sqlite, q, rest);
        let b = found(&postgres, q, rest);
        assert_eq!(sorted_keys(&a), sorted_keys(&b), "q={q:?} {rest}");
        for ty in sorted_keys(&a) {
            let (na, nb) = (names(&a, &ty), names(&b, &ty));
            assert_eq!(na, nb, "q={q:?} {rest}: {ty} (SQLite left, Postgres right)");
            seen += na.len();
        }
    }
    // Not a comparison of empty lists.
    let smith = found(&sqlite, "smith", "per_type=20");
    assert!(names(&smith, "contacts").len() >= 10, "{smith}");
    assert!(seen > 100, "{seen} records found in all");
    // Some of what the spec fixes, on both.
    for app in [&sqlite, &postgres] {
        let data = found(app, "smith.com", "types=companies");
        assert_eq!(names(&data, "companies")[0], "Smith & Sons", "the domain first");
        let data = found(app, "jonathan@smith.com", "types=contacts");
        assert_eq!(names(&data, "contacts")[0], "Jonathan Smith", "the email first");
        let data = found(app, "jonathon smyth", "types=contacts");
        assert!(
            names(&data, "contacts").contains(&"Jonathan Smith".to_owned()),
            "{data}"
        );
    }
}
