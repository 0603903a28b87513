//! Abuse and faults: rate limits, request limits, an unreachable database.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moss_domain::Role;
use moss_store_diesel::{Backend, DatabaseUrl, PoolSettings};
use rstest::rstest;

use crate::support::*;

fn limited(rps: u32, burst: u32, auth_failure_rps: u32) -> Options {
    let mut o = Options::default();
    o.settings.rate_limits.rps = rps;
    o.settings.rate_limits.burst = burst;
    o.settings.rate_limits.auth_failure_rps = auth_failure_rps;
    o
}

#[rstest]
fn a_burst_past_the_quota_gets_429_and_other_keys_are_not_affected(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start_with(backend, limited(1, 3, 100)) else {
        return;
    };
    let other = app.key(Role::Owner, "full");
    for left in [2, 1, 0] {
        let r = app.get("/api/v1/contacts").send();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-policy"), Some("\"default\";q=3;w=3"));
        assert_eq!(
            r.header("ratelimit"),
            Some(format!("\"default\";r={left};t={}", 3 - left).as_str())
        );
    }
    // Past the quota: 429 with Retry-After, and a mutation is neither run nor stored.
    let r = app
        .post("/api/v1/contacts", json!({"first_name": "J"}))
        .header("Idempotency-Key", "later")
        .send();
    r.assert_error(429, "RATE_LIMITED");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("ratelimit"), Some("\"default\";r=0;t=3"));
    let ok = app.get("/api/v1/contacts").key(&other).send();
    assert_eq!(
        (ok.status, ok.body["meta"]["total"].clone()),
        (200, json!(0)),
        "another key is not affected"
    );
    std::thread::sleep(Duration::from_millis(1100));
    let retry = app
        .post("/api/v1/contacts", json!({"first_name": "J"}))
        .header("Idempotency-Key", "later")
        .send();
    assert_eq!(
        (retry.status, retry.header("idempotent-replayed")),
        (201, None),
        "the 429 was not stored"
    );
}

#[rstest]
fn rate_limit_headers_are_on_every_authenticated_answer_only(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    let ro = app.key(Role::Owner, "read_only");
    for r in [
        app.get("/api/v1/contacts").send(),
        app.get("/api/v1/contacts/cnt_01h455vb4pex5vsknk084sn02q").send(),
        app.get("/api/v1/contacts?per_page=0").send(),
        app.post("/api/v1/contacts", json!({})).key(&ro).send(),
    ] {
        assert_eq!(
            r.header("ratelimit-policy"),
            Some("\"default\";q=200;w=2"),
            "{}",
            r.text
        );
        assert!(r.header("ratelimit").is_some_and(|v| v.starts_with("\"default\";r=")));
    }
    let r = app.get("/api/v1/contacts").no_key().send();
    assert_eq!((r.status, r.header("ratelimit")), (401, None));
}

#[test]
fn repeated_failed_authentication_from_one_address_gets_429() {
    let Some(app) = TestApp::start_with(SQLITE, limited(100, 200, 2)) else {
        return;
    };
    app.get("/api/v1/contacts")
        .no_key()
        .send()
        .assert_error(401, "UNAUTHORIZED");
    app.get("/api/v1/contacts")
        .key("moss_k_nope")
        .send()
        .assert_error(401, "UNAUTHORIZED");
    let r = app.get("/api/v1/contacts").no_key().send();
    r.assert_error(429, "RATE_LIMITED");
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        app.get("/api/v1/contacts").send().status,
        200,
        "a valid key still works"
    );
}

#[test]
fn too_many_query_parameters_are_refused() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let q: Vec<String> = (0..33).map(|i| format!("p{i}=1")).collect();
    let r = app.get(&format!("/api/v1/contacts?{}", q.join("&"))).send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["query"]);
}

/// A TCP forwarder in front of the database that can be switched off and on.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let mut list = open2.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, open }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn an_unreachable_database_answers_503_quickly_and_service_resumes_by_itself() {
    let mut options = Options::default();
    options.settings.request_timeout = Duration::from_secs(20);
    let proxy: Arc<Mutex<Option<Proxy>>> = Arc::default();
    let slot = proxy.clone();
    options.store = Some(Box::new(move |db| {
        let DatabaseUrl::Postgres(url) = db.url().clone() else {
            unreachable!()
        };
        // The TCP form only (the throwaway cluster listens on a Unix socket: then no proxy).
        let Some((before, after)) = url.split_once("@127.0.0.1:") else {
            return db.store();
        };
        let (port, rest) = after.split_once('/').unwrap();
        let p = Proxy::start(format!("127.0.0.1:{port}"));
        let proxied = format!("{before}@127.0.0.1:{}/{rest}", p.port);
        *slot.lock().unwrap() = Some(p);
        moss_store_diesel::DieselStore::new(
            DatabaseUrl::Postgres(proxied),
            PoolSettings {
                size: 2,
                timeout: Duration::from_secs(2),
            },
        )
    }));
    let Some(app) = TestApp::start_with(POSTGRES, options) else {
        return;
    };
    let guard = proxy.lock().unwrap();
    let Some(proxy) = guard.as_ref() else {
        eprintln!("NOTICE: database outage test needs a TCP Postgres URL; skipped");
        return;
    };
    assert_eq!(app.get("/api/v1/contacts").send().status, 200);

    proxy.down();
    for path in ["/api/v1/contacts", "/readyz"] {
        let started = Instant::now();
        let r = app.get(path).send();
        let took = started.elapsed();
        r.assert_error(503, "INTERNAL_ERROR");
        assert_eq!(r.header("retry-after"), Some("1"), "{path}");
        assert!(
            took < Duration::from_secs(8),
            "{path} answered within the pool timeout: {took:?}"
        );
    }
    let r = app.post("/api/v1/contacts", json!({"first_name": "J"})).send();
    r.assert_error(503, "INTERNAL_ERROR");
    assert_eq!(app.get("/healthz").no_key().send().status, 200, "the process stays up");

    proxy.up();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = app.get("/api/v1/contacts").send();
        if r.status == 200 {
            assert_eq!(r.body["meta"]["total"], 0, "the failed write left nothing");
            break;
        }
        assert!(Instant::now() < deadline, "service did not resume: {}", r.text);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(app.get("/readyz").no_key().send().status, 200);
}

#[test]
fn a_request_running_past_the_timeout_is_answered_503_in_the_envelope() {
    // A database that never answers (a port that accepts and stays silent) holds the request
    // past the 1 s request timeout while the pool waits for its 10 s checkout timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let held2 = held.clone();
    std::thread::spawn(move || {
        for s in silent.incoming().flatten() {
            held2.lock().unwrap().push(s);
        }
    });
    let mut options = Options::default();
    options.settings.request_timeout = Duration::from_secs(1);
    options.store = Some(Box::new(move |_| {
        moss_store_diesel::DieselStore::new(
            DatabaseUrl::Postgres(format!("postgres://postgres@127.0.0.1:{port}/none?connect_timeout=30")),
            PoolSettings {
                size: 1,
                timeout: Duration::from_secs(10),
            },
        )
    }));
    let Some(app) = TestApp::start_with(SQLITE, options) else {
        return;
    };
    let started = Instant::now();
    let r = app.get("/api/v1/contacts").header("X-Request-Id", "slow-1").send();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    r.assert_error(503, "INTERNAL_ERROR");
    assert_eq!(r.header("x-request-id"), Some("slow-1"));
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[rstest]
fn an_exhausted_pool_answers_503_within_the_checkout_timeout(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let options = Options {
        store: Some(Box::new(|db| {
            moss_store_diesel::DieselStore::new(
                db.url().clone(),
                PoolSettings {
                    size: 1,
                    timeout: Duration::from_secs(1),
                },
            )
        })),
        ..Options::default()
    };
    let Some(app) = TestApp::start_with(backend, options) else {
        return;
    };
    assert_eq!(app.get("/api/v1/contacts").send().status, 200);
    // Hold the pool's only connection for a while.
    let store = app.diesel.clone();
    let holder = std::thread::spawn(move || {
        use moss_domain::Store;
        store.run(moss_domain::Mode::Read, &mut |_| {
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        })
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let r = app.get("/api/v1/contacts").send();
    let took = started.elapsed();
    r.assert_error(503, "INTERNAL_ERROR");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "{took:?}"
    );
    holder.join().unwrap().unwrap();
    assert_eq!(
        app.get("/api/v1/contacts").send().status,
        200,
        "service resumes once a connection is free"
    );
}

/// With one database thread, a request whose turn does not come within `MOSS_DB_TIMEOUT` is
/// answered 503 without running; the request ahead of it finishes normally.
#[test]
fn a_request_that_waits_too_long_for_its_turn_at_the_database_answers_503_and_never_runs() {
    let mut options = Options::default();
    options.settings.db_threads = 1;
    options.settings.db_timeout = Duration::from_secs(1);
    let Some(app) = TestApp::start_with(SQLITE, options) else {
        return;
    };
    // Hold SQLite's writer lock: the only database thread gets stuck in the create below.
    let store = app.diesel.clone();
    let holder = std::thread::spawn(move || {
        use moss_domain::Store;
        store.run(moss_domain::Mode::Write, &mut |_| {
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        })
    });
    std::thread::sleep(Duration::from_millis(300));
    std::thread::scope(|s| {
        let create = s.spawn(|| {
            app.post("/api/v1/contacts", serde_json::json!({"first_name": "Ahead"}))
                .header("Idempotency-Key", "ahead")
                .send()
        });
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let r = app
            .post("/api/v1/contacts", serde_json::json!({"first_name": "Behind"}))
            .header("Idempotency-Key", "behind")
            .send();
        let took = started.elapsed();
        r.assert_error(503, "INTERNAL_ERROR");
        assert_eq!(r.header("retry-after"), Some("1"));
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
            "{took:?}"
        );
        assert_eq!(
            create.join().unwrap().status,
            201,
            "the request ahead finished normally"
        );
    });
    holder.join().unwrap().unwrap();
    let list = app.get("/api/v1/contacts").send();
    assert_eq!(list.status, 200);
    assert_eq!(list.body["meta"]["total"], 1, "the refused create never ran");
    // It was not stored under its Idempotency-Key either: a retry runs afresh.
    let retry = app
        .post("/api/v1/contacts", serde_json::json!({"first_name": "Behind"}))
        .header("Idempotency-Key", "behind")
        .send();
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (201, None));
}

#[test]
fn slow_clients_and_idle_connections_are_cut_off() {
    let mut options = Options::default();
    options.settings.client_timeout = Duration::from_secs(1);
    options.settings.keep_alive = Duration::from_secs(1);
    let Some(app) = TestApp::start_with(SQLITE, options) else {
        return;
    };
    let addr = app.base.trim_start_matches("http://").to_owned();

    // A client that never finishes its request head is answered 408 and disconnected.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    slow.write_all(b"GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");

    // An idle keep-alive connection is closed after the keep-alive time.
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n\r\n",
        app.owner_key
    );
    idle.write_all(request.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let closed = loop {
        match idle.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    assert!(closed, "the server closes the idle connection");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}
