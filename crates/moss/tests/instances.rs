#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Several `moss serve` processes on ONE database, as behind a load balancer: requests that
//! race each other across instances with the same `Idempotency-Key` run the mutation once
//! (one row, one audit entry, one fresh answer; the others replay it byte for byte or get
//! 409), while different keys all run. Postgres is the multi-instance database; the same
//! races are also run on one SQLite file shared by two processes.

#[allow(dead_code)]
mod cli_support;

use std::collections::BTreeSet;
use std::sync::Barrier;
use std::time::Instant;

use cli_support::{Db, Server, assert_typeid, http_agent, http_get};
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

/// Requests per round: half to each instance, all released at the same moment.
const THREADS: usize = 8;
/// The body every same-key request sends.
const JANE: &str = r#"{"first_name":"Jane","email":"jane@example.com"}"#;

/// One running `moss serve` and its API base (`http://ADDR/api/v1`), killed when dropped.
struct Instance {
    base: String,
    _server: Server,
}

impl Instance {
    fn start(db: &Db) -> Self {
        let mut server = Server::start(db);
        let line = server.wait_for_line("banner", |l| l.trim_start().starts_with("Moss is serving http://"));
        let base = line.trim().strip_prefix("Moss is serving ").unwrap().to_owned();
        assert!(
            base.ends_with("/api/v1") && !base.contains(":0/"),
            "banner address: {line:?}"
        );
        Self { base, _server: server }
    }
}

/// Two instances on one database. The instances are declared first so that they are killed
/// (dropped) before the database is dropped, also when an assertion fails.
struct Cluster {
    instances: [Instance; 2],
    /// The owner key of workspace `acme`.
    acme: String,
    db: Db,
}

impl Cluster {
    fn start(backend: Backend) -> Option<Self> {
        let db = Db::new(backend)?;
        // The workspace is made before the servers start, so neither bootstraps one.
        let data = db.create_workspace("Acme", "acme");
        let acme = data["owner_key"].as_str().expect("owner_key").to_owned();
        let instances = [Instance::start(&db), Instance::start(&db)];
        assert_ne!(instances[0].base, instances[1].base);
        Some(Self { instances, acme, db })
    }

    /// The owner key of workspace `slug`: `acme`'s, or that of a new one made with
    /// `moss workspace create`.
    fn workspace(&self, slug: &str) -> String {
        if slug == "acme" {
            return self.acme.clone();
        }
        let data = self.db.create_workspace("Acme", slug);
        data["owner_key"].as_str().expect("owner_key").to_owned()
    }

    /// `moss audit list --workspace SLUG --event-type contact.created --json`: its entries.
    fn contacts_created(&self, slug: &str) -> Vec<Value> {
        let out = self.db.audit(slug, &["--event-type", "contact.created"]);
        out["data"].as_array().expect("data array").clone()
    }

    /// `GET /contacts` on every instance: each one's `meta.total`, and the ids (from the first).
    fn contacts(&self, key: &str) -> (Vec<u64>, BTreeSet<String>) {
        let agent = http_agent();
        let mut totals = Vec::new();
        let mut ids = BTreeSet::new();
        for (i, instance) in self.instances.iter().enumerate() {
            let (status, body) = http_get(&agent, &format!("{}/contacts?per_page=250", instance.base), Some(key));
            assert_eq!(status, 200, "{body}");
            let list: Value = serde_json::from_str(&body).unwrap();
            totals.push(list["meta"]["total"].as_u64().expect("meta.total"));
            if i == 0 {
                ids = list["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_str().unwrap().to_owned())
                    .collect();
            }
        }
        (totals, ids)
    }

    /// Sends `requests` (instance, Idempotency-Key, body) from one thread each, all released
    /// by one barrier, and returns the answers in the same order.
    fn burst(&self, key: &str, requests: &[(usize, Option<String>, String)]) -> Vec<Answer> {
        let barrier = Barrier::new(requests.len());
        std::thread::scope(|s| {
            let handles: Vec<_> = requests
                .iter()
                .map(|(instance, idem, body)| {
                    let (barrier, base) = (&barrier, &self.instances[*instance].base);
                    s.spawn(move || {
                        let agent = http_agent();
                        barrier.wait();
                        let sent = Instant::now();
                        let answer = post_contact(&agent, base, key, idem.as_deref(), body, *instance);
                        Answer { sent, ..answer }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("request thread")).collect()
        })
    }
}

/// What one POST got back.
#[derive(Debug, Clone)]
struct Answer {
    instance: usize,
    /// When the request was sent and when its answer had been read.
    sent: Instant,
    done: Instant,
    status: u16,
    replayed: Option<String>,
    request_id: Option<String>,
    location: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

fn post_contact(agent: &ureq::Agent, base: &str, key: &str, idem: Option<&str>, body: &str, instance: usize) -> Answer {
    let sent = Instant::now();
    let mut req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{base}/contacts"))
        .header("X-API-Key", key)
        .header("Content-Type", "application/json");
    if let Some(idem) = idem {
        req = req.header("Idempotency-Key", idem);
    }
    let req = req.body(body.to_owned()).unwrap();
    let mut resp = agent.run(req).unwrap_or_else(|e| panic!("POST {base}/contacts: {e}"));
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (replayed, request_id, location, retry_after) = (
        header("idempotent-replayed"),
        header("x-request-id"),
        header("location"),
        header("retry-after"),
    );
    let body = resp.body_mut().read_to_string().unwrap();
    Answer {
        instance,
        sent,
        done: Instant::now(),
        status: resp.status().as_u16(),
        replayed,
        request_id,
        location,
        retry_after,
        body,
    }
}

/// Whether every request was sent before any answer had arrived (they really raced), and how
/// long the slowest took; for the log, as it depends on the machine.
fn overlap(answers: &[Answer]) -> String {
    let last_sent = answers.iter().map(|a| a.sent).max().expect("answers");
    let first_done = answers.iter().map(|a| a.done).min().expect("answers");
    let slowest = answers.iter().map(|a| a.done - a.sent).max().expect("answers");
    format!("all in flight at once: {}, slowest {slowest:?}", last_sent < first_done)
}

/// Every answer has its own request id (a replay's header is the new request's).
#[track_caller]
fn assert_own_request_ids(answers: &[Answer]) {
    let ids: BTreeSet<_> = answers
        .iter()
        .map(|a| a.request_id.clone().expect("X-Request-Id"))
        .collect();
    assert_eq!(ids.len(), answers.len(), "{answers:#?}");
}

/// A 409 for a key whose first request is still running: CONFLICT, `Retry-After: 1`, no
/// replay header.
#[track_caller]
fn assert_in_flight_conflict(a: &Answer) {
    assert_eq!(a.json()["error"]["code"], "CONFLICT", "{a:?}");
    assert_eq!(a.retry_after.as_deref(), Some("1"), "{a:?}");
    assert_eq!(a.replayed, None, "{a:?}");
}

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::sqlite(Backend::Sqlite)]
fn the_same_idempotency_key_sent_to_two_instances_at_once_creates_one_contact(#[case] backend: Backend) {
    let started = Instant::now();
    let Some(cluster) = Cluster::start(backend) else { return };
    // Each round in a workspace of its own, so that each starts from no contact (the email is
    // unique in a workspace) and "exactly one" means exactly one.
    for (round, slug) in ["acme", "acme-2", "acme-3"].into_iter().enumerate() {
        let key = cluster.workspace(slug);
        let idem = format!("race-{round}-{slug}");
        let requests: Vec<_> = (0..THREADS)
            .map(|i| (i % 2, Some(idem.clone()), JANE.to_owned()))
            .collect();
        let answers = cluster.burst(&key, &requests);
        let context = format!("round {round}: {answers:#?}");

        assert!(answers.iter().all(|a| a.status == 201 || a.status == 409), "{context}");
        let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
        let fresh: Vec<&Answer> = created.iter().copied().filter(|a| a.replayed.is_none()).collect();
        assert_eq!(fresh.len(), 1, "exactly one request ran the mutation; {context}");
        let first = fresh[0];
        for a in &created {
            assert_eq!(a.body, first.body, "replays are byte-identical; {context}");
            assert_eq!(a.location, first.location, "{context}");
            if !std::ptr::eq(*a, first) {
                assert_eq!(a.replayed.as_deref(), Some("true"), "{context}");
            }
        }
        for a in answers.iter().filter(|a| a.status == 409) {
            assert_in_flight_conflict(a);
        }
        assert_own_request_ids(&answers);
        eprintln!(
            "{backend:?} round {round}: 1 fresh 201, {} replays, {} in-flight 409s; {}",
            created.len() - 1,
            answers.len() - created.len(),
            overlap(&answers)
        );
        let contact = first.json()["data"].clone();
        let id = assert_typeid(&contact["id"], "cnt");
        assert_eq!(contact["first_name"], "Jane");
        assert_eq!(
            first.location.as_deref(),
            Some(format!("/api/v1/contacts/{id}").as_str())
        );

        // One row, seen by both instances.
        let (totals, ids) = cluster.contacts(&key);
        assert_eq!(totals, [1, 1], "{context}");
        assert_eq!(ids, BTreeSet::from([id.clone()]));

        // One audit entry, written by the request that ran, from the API key.
        let entries = cluster.contacts_created(slug);
        assert_eq!(entries.len(), 1, "{entries:#?}\n{context}");
        let entry = &entries[0];
        assert_eq!(entry["target_id"], id.as_str());
        assert_eq!(entry["actor_type"], "api_key");
        assert_typeid(&entry["actor_id"], "key");
        assert_eq!(entry["request_id"].as_str(), first.request_id.as_deref(), "{context}");
        assert_eq!(entry["ip"], "127.0.0.1");

        // Afterwards each instance replays the stored answer, and refuses the key for another body.
        let agent = http_agent();
        for (i, instance) in cluster.instances.iter().enumerate() {
            let again = post_contact(&agent, &instance.base, &key, Some(&idem), JANE, i);
            assert_eq!(
                (again.status, again.replayed.as_deref()),
                (201, Some("true")),
                "{again:?}"
            );
            assert_eq!(again.body, first.body);
            let other = post_contact(&agent, &instance.base, &key, Some(&idem), r#"{"first_name":"Joe"}"#, i);
            assert_eq!(other.status, 409, "{other:?}");
            assert_eq!(other.replayed, None);
        }
        assert_eq!(cluster.contacts(&key).0, [1, 1]);
        assert_eq!(cluster.contacts_created(slug).len(), 1);
    }
    eprintln!(
        "{backend:?}: same key on two instances, 3 rounds: {:?}",
        started.elapsed()
    );
}

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::sqlite(Backend::Sqlite)]
fn different_idempotency_keys_on_two_instances_all_create(#[case] backend: Backend) {
    let started = Instant::now();
    let Some(cluster) = Cluster::start(backend) else { return };
    let key = cluster.workspace("acme");
    let requests: Vec<_> = (0..THREADS)
        .map(|i| {
            (
                i % 2,
                Some(format!("distinct-{i}")),
                format!(r#"{{"first_name":"Jane","email":"jane{i}@example.com"}}"#),
            )
        })
        .collect();
    let answers = cluster.burst(&key, &requests);
    let context = format!("{answers:#?}");

    assert!(
        answers.iter().all(|a| a.status == 201 && a.replayed.is_none()),
        "{context}"
    );
    for instance in 0..2 {
        assert_eq!(
            answers.iter().filter(|a| a.instance == instance).count(),
            THREADS / 2,
            "both instances create"
        );
    }
    assert_own_request_ids(&answers);
    let created: BTreeSet<String> = answers
        .iter()
        .map(|a| a.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(created.len(), THREADS, "{context}");

    let (totals, ids) = cluster.contacts(&key);
    assert_eq!(totals, [THREADS as u64, THREADS as u64]);
    assert_eq!(ids, created);

    let entries = cluster.contacts_created("acme");
    let targets: BTreeSet<String> = entries
        .iter()
        .map(|e| e["target_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!((entries.len(), targets), (THREADS, created), "{entries:#?}");
    let request_ids: BTreeSet<String> = entries
        .iter()
        .map(|e| e["request_id"].as_str().unwrap().to_owned())
        .collect();
    let sent: BTreeSet<String> = answers.iter().map(|a| a.request_id.clone().unwrap()).collect();
    assert_eq!(
        request_ids, sent,
        "each entry carries the request id of the request that wrote it"
    );
    eprintln!(
        "{backend:?}: different keys on two instances: {:?}; {}",
        started.elapsed(),
        overlap(&answers)
    );
}

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::sqlite(Backend::Sqlite)]
fn different_keys_racing_for_one_email_create_one_contact_and_store_the_conflicts(#[case] backend: Backend) {
    let started = Instant::now();
    let Some(cluster) = Cluster::start(backend) else { return };
    let key = cluster.workspace("acme");
    let requests: Vec<_> = (0..THREADS)
        .map(|i| (i % 2, Some(format!("email-{i}")), JANE.to_owned()))
        .collect();
    let answers = cluster.burst(&key, &requests);
    let context = format!("{answers:#?}");

    // The email is unique in a workspace: one request wins, the others are business-rule 409s
    // (not 500s), which are kept for replays of their keys.
    assert!(answers.iter().all(|a| a.replayed.is_none()), "{context}");
    let winners: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(winners.len(), 1, "{context}");
    assert!(answers.iter().all(|a| a.status == 201 || a.status == 409), "{context}");
    for a in answers.iter().filter(|a| a.status == 409) {
        assert_eq!(a.json()["error"]["code"], "CONFLICT", "{a:?}");
    }
    let id = winners[0].json()["data"]["id"].as_str().unwrap().to_owned();
    let (totals, ids) = cluster.contacts(&key);
    assert_eq!((totals, ids), (vec![1, 1], BTreeSet::from([id.clone()])));
    let entries = cluster.contacts_created("acme");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0]["target_id"], id.as_str());

    // Each loser's key now replays its 409 on either instance.
    let agent = http_agent();
    for (i, ((_, idem, _), a)) in requests
        .iter()
        .zip(&answers)
        .enumerate()
        .filter(|(_, (_, a))| a.status == 409)
    {
        let instance = &cluster.instances[(i + 1) % 2];
        let again = post_contact(&agent, &instance.base, &key, idem.as_deref(), JANE, (i + 1) % 2);
        assert_eq!(
            (again.status, again.replayed.as_deref()),
            (409, Some("true")),
            "{again:?}"
        );
        assert_eq!(again.body, a.body, "the stored 409 is replayed byte for byte");
    }
    eprintln!(
        "{backend:?}: different keys, one email, two instances: {:?}; {}",
        started.elapsed(),
        overlap(&answers)
    );
}
