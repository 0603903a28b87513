#![allow(clippy::unwrap_used, clippy::expect_used)]
//! SIGTERM during a stream of writes loses no acknowledged write and half-writes nothing.
//!
//! `moss serve` (`MOSS_SHUTDOWN_TIMEOUT=10`) takes POST /contacts from several writer threads,
//! each with a unique email and `Idempotency-Key`, while one more request (the "straddler") has
//! sent its head and half its body. After about a second the server gets SIGTERM. Then:
//!
//! - the listener closes at once (new connections are refused) while the server is still
//!   finishing the straddler, which is then completed and answered 201;
//! - every writer's connection is answered and closed, so each writer ends on "connection
//!   refused", never on a transport error before SIGTERM;
//! - the server exits 0 within the shutdown timeout, logging nothing above INFO.
//!
//! A fresh `moss serve` on the same database then shows that every 201 is there (same id), that
//! every contact comes from a request that was sent, and that the audit log has exactly one
//! `contact.created` entry per contact (written by the request that was acknowledged). Requests
//! that failed in transport are retried with the same key: the answer is a replay when they had
//! committed and a fresh 201 when not, never a second contact.

#[allow(dead_code)]
mod cli_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cli_support::{Db, Server, assert_typeid, http_agent, moss_command};
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

/// Writer threads, each with its own connection.
const WRITERS: usize = 4;
/// How long the writers write before SIGTERM.
const WRITE_FOR: Duration = Duration::from_secs(1);
/// `MOSS_SHUTDOWN_TIMEOUT` of the server under test.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// How much longer than the shutdown timeout the process may take to exit.
const EXIT_MARGIN: Duration = Duration::from_secs(3);
/// How long after SIGTERM the listener may take to close.
const LISTENER_CLOSES_WITHIN: Duration = Duration::from_secs(3);

/// A `moss serve` child that is killed (and reaped) when dropped, unless it has been waited for.
struct Process(Option<Child>);

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The server under test: started with the shutdown timeout, high rate limits (the writers
/// must not be throttled) and JSON logs, so that every log line's level can be checked.
struct Serving {
    process: Process,
    addr: SocketAddr,
    base: String,
    stdout: Receiver<String>,
    stdout_seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Serving {
    fn start(db: &Db) -> Self {
        let mut cmd = moss_command(db.cwd.path());
        cmd.arg("--database-url")
            .arg(&db.url)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("MOSS_SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.as_secs().to_string())
            .env("MOSS_WORKERS", WRITERS.to_string())
            .env("MOSS_RATE_LIMIT_RPS", "1000000")
            .env("MOSS_RATE_LIMIT_BURST", "1000000")
            .env("MOSS_LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn moss serve");
        let stdout = child.stdout.take().expect("stdout");
        let stderr_pipe = child.stderr.take().expect("stderr");
        let process = Process(Some(child));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut pipe = stderr_pipe;
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut stdout_seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|e| {
                panic!(
                    "moss serve printed no banner ({e})\n--- stdout:\n{}\n--- stderr:\n{}",
                    stdout_seen.join("\n"),
                    stderr.lock().unwrap()
                )
            });
            stdout_seen.push(line.clone());
            if let Some(base) = line.trim().strip_prefix("Moss is serving ") {
                break base.to_owned();
            }
        };
        let addr = base
            .strip_prefix("http://")
            .and_then(|r| r.strip_suffix("/api/v1"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("banner address: {base:?}"));
        Self {
            process,
            addr,
            base,
            stdout: rx,
            stdout_seen,
            stderr,
        }
    }

    fn child(&mut self) -> &mut Child {
        self.process.0.as_mut().expect("child still owned")
    }

    fn pid(&mut self) -> u32 {
        self.child().id()
    }

    fn running(&mut self) -> bool {
        self.child().try_wait().expect("try_wait").is_none()
    }

    /// Waits for the process to end until `deadline`; `None` when it is still running then.
    fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.child().try_wait().expect("try_wait") {
                self.process.0 = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything printed, once the process has ended and its pipes are closed.
    fn output(&mut self) -> (Vec<String>, String) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(line) = self
            .stdout
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.stdout_seen.push(line);
        }
        // The stderr reader ends on EOF right after the process; give it a moment.
        std::thread::sleep(Duration::from_millis(50));
        (self.stdout_seen.clone(), self.stderr.lock().unwrap().clone())
    }
}

/// What one POST got back (an HTTP answer), or the transport error.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    replayed: Option<String>,
    request_id: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The created contact's id.
    fn contact_id(&self) -> String {
        assert_typeid(&self.json()["data"]["id"], "cnt")
    }
}

#[derive(Debug, Clone)]
enum Got {
    Answer(Reply),
    /// A transport error; `refused` when the connection was refused (nothing was sent).
    Transport {
        refused: bool,
        error: String,
    },
}

/// One request a writer sent.
#[derive(Debug, Clone)]
struct Sent {
    email: String,
    idem: String,
    body: String,
    /// When the request started and when its answer (or error) was in.
    at: Instant,
    done: Instant,
    got: Got,
}

fn contact_body(email: &str) -> String {
    format!(r#"{{"first_name":"Writer","last_name":"Shutdown","email":"{email}"}}"#)
}

fn post_contact(agent: &ureq::Agent, base: &str, key: &str, idem: &str, body: &str) -> Result<Reply, ureq::Error> {
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{base}/contacts"))
        .header("X-API-Key", key)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", idem)
        .body(body.to_owned())
        .unwrap();
    let mut resp = agent.run(req)?;
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (replayed, request_id) = (header("idempotent-replayed"), header("x-request-id"));
    let body = resp.body_mut().read_to_string()?;
    Ok(Reply {
        status: resp.status().as_u16(),
        replayed,
        request_id,
        body,
    })
}

fn is_refused(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => io.kind() == ErrorKind::ConnectionRefused,
        ureq::Error::ConnectionFailed => true,
        _ => false,
    }
}

/// One writer: POSTs contacts with fresh emails and keys until a connection is refused (the
/// listener is closed) or `give_up` passes.
fn writer(n: usize, base: &str, key: &str, give_up: Instant) -> Vec<Sent> {
    let agent = http_agent();
    let mut sent = Vec::new();
    for i in 0.. {
        if Instant::now() >= give_up {
            break;
        }
        let email = format!("w{n}-{i}@example.com");
        let idem = format!("shutdown-w{n}-{i}");
        let body = contact_body(&email);
        let at = Instant::now();
        let got = match post_contact(&agent, base, key, &idem, &body) {
            Ok(reply) => Got::Answer(reply),
            Err(e) => Got::Transport {
                refused: is_refused(&e),
                error: format!("{e:?}"),
            },
        };
        let refused = matches!(got, Got::Transport { refused: true, .. });
        sent.push(Sent {
            email,
            idem,
            body,
            at,
            done: Instant::now(),
            got,
        });
        if refused {
            break;
        }
    }
    sent
}

/// A raw HTTP/1.1 POST that sends its head and half its body, and the rest later: a request in
/// flight across SIGTERM.
struct Straddler {
    stream: TcpStream,
    rest: Vec<u8>,
    email: String,
    idem: String,
}

impl Straddler {
    fn open(addr: SocketAddr, key: &str) -> Self {
        let email = "straddler@example.com".to_owned();
        let idem = "shutdown-straddler".to_owned();
        let body = contact_body(&email).into_bytes();
        let head = format!(
            "POST /api/v1/contacts HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {key}\r\n\
             Content-Type: application/json\r\nIdempotency-Key: {idem}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut stream = TcpStream::connect(addr).expect("straddler connects");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let half = body.len() / 2;
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body[..half]).unwrap();
        stream.flush().unwrap();
        Self {
            stream,
            rest: body[half..].to_vec(),
            email,
            idem,
        }
    }

    /// Sends the rest of the body and reads the answer: (status, head, body).
    fn finish(mut self) -> (u16, String, String) {
        self.stream.write_all(&self.rest).expect("straddler: rest of the body");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head, length) = loop {
            let n = self.stream.read(&mut chunk).expect("straddler: read the answer");
            assert!(n > 0, "straddler: connection closed without an answer");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                buf.drain(..end + 4);
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or_else(|| panic!("straddler: no Content-Length in {head:?}"));
                break (head, length);
            }
        };
        while buf.len() < length {
            let n = self.stream.read(&mut chunk).expect("straddler: read the body");
            assert!(n > 0, "straddler: body cut short");
            buf.extend_from_slice(&chunk[..n]);
        }
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("straddler: status line {head:?}"));
        (status, head, String::from_utf8_lossy(&buf[..length]).into_owned())
    }
}

/// Connects until the connection is refused; returns how long after `since` that was, or `None`
/// when it never was within `within`.
fn refused_after(addr: SocketAddr, since: Instant, within: Duration) -> Option<Duration> {
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Some(since.elapsed()),
            Ok(stream) => drop(stream),
            Err(_) => {}
        }
        if since.elapsed() >= within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every contact of the workspace, read page by page from `base`: email -> id.
fn all_contacts(agent: &ureq::Agent, base: &str, key: &str) -> BTreeMap<String, String> {
    let mut contacts = BTreeMap::new();
    let mut seen = 0;
    for page in 1.. {
        let url = format!("{base}/contacts?per_page=250&page={page}&sort=email&order=asc");
        let req = ureq::http::Request::builder()
            .method("GET")
            .uri(&url)
            .header("X-API-Key", key)
            .body(())
            .unwrap();
        let mut resp = agent.run(req).unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let body = resp.body_mut().read_to_string().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "GET {url}: {body}");
        let list: Value = serde_json::from_str(&body).unwrap();
        let total = list["meta"]["total"].as_u64().expect("meta.total");
        let data = list["data"].as_array().expect("data");
        for c in data {
            let email = c["email"].as_str().expect("email").to_owned();
            let id = assert_typeid(&c["id"], "cnt");
            assert!(contacts.insert(email.clone(), id).is_none(), "{email} listed twice");
            seen += 1;
        }
        if data.is_empty() || seen as u64 >= total {
            assert_eq!(seen as u64, total, "the pages add up to meta.total");
            break;
        }
    }
    contacts
}

/// `moss audit list --event-type contact.created`: target id -> request ids of its entries.
fn contact_created_entries(db: &Db, slug: &str) -> BTreeMap<String, Vec<String>> {
    let out = db.audit(slug, &["--event-type", "contact.created", "--limit", "10000"]);
    let mut by_target: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in out["data"].as_array().expect("data array") {
        assert_eq!(e["event_type"], "contact.created", "{e}");
        let target = e["target_id"].as_str().expect("target_id").to_owned();
        let request_id = e["request_id"].as_str().expect("request_id").to_owned();
        by_target.entry(target).or_default().push(request_id);
    }
    by_target
}

/// Checks that the contacts and their audit entries match one to one.
#[track_caller]
fn assert_one_entry_per_contact(contacts: &BTreeMap<String, String>, entries: &BTreeMap<String, Vec<String>>) {
    let ids: BTreeSet<&String> = contacts.values().collect();
    assert_eq!(ids.len(), contacts.len(), "contact ids are distinct");
    let twice: Vec<_> = entries.iter().filter(|(_, r)| r.len() != 1).collect();
    assert!(twice.is_empty(), "contacts with more than one audit entry: {twice:?}");
    let audited: BTreeSet<&String> = entries.keys().collect();
    let unaudited: Vec<_> = ids.difference(&audited).collect();
    let orphans: Vec<_> = audited.difference(&ids).collect();
    assert!(
        unaudited.is_empty() && orphans.is_empty(),
        "half-writes: contacts without an audit entry {unaudited:?}, audit entries without a contact {orphans:?}"
    );
}

/// Every stdout line is the banner's and every log line is JSON at INFO or below.
#[track_caller]
fn assert_nothing_alarming(stdout: &[String], stderr: &str) -> usize {
    let banner = ["Moss is serving ", "Make a key with:", "Then: curl"];
    for line in stdout {
        assert!(
            line.trim().is_empty() || banner.iter().any(|b| line.starts_with(b)),
            "unexpected stdout line {line:?}\n--- stdout:\n{}",
            stdout.join("\n")
        );
    }
    let mut lines = 0;
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        let log: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("stderr line is not a JSON log line: {line:?}"));
        let level = log["level"].as_str().unwrap_or_default();
        assert!(matches!(level, "INFO" | "DEBUG" | "TRACE"), "alarming log line: {line}");
        lines += 1;
    }
    lines
}

#[rstest]
#[case::postgres(Backend::Postgres, "-TERM")]
#[case::sqlite(Backend::Sqlite, "-TERM")]
#[case::sqlite_sigint(Backend::Sqlite, "-INT")]
fn sigterm_during_writes_loses_no_acknowledged_write_and_half_writes_nothing(
    #[case] backend: Backend,
    #[case] signal: &str,
) {
    let started = Instant::now();
    let Some(db) = Db::new(backend) else { return };
    let slug = "shutdown";
    let key = db.create_workspace("Shutdown", slug)["owner_key"]
        .as_str()
        .expect("owner_key")
        .to_owned();
    let mut server = Serving::start(&db);
    let (addr, base) = (server.addr, server.base.clone());

    // The straddler's head and half its body are in before the writers start, so it is in
    // flight (its handler waiting for the body) when SIGTERM comes.
    let straddler = Straddler::open(addr, &key);
    let (straddler_email, straddler_idem) = (straddler.email.clone(), straddler.idem.clone());
    let sigterm_at: OnceLock<Instant> = OnceLock::new();
    let give_up = Instant::now() + WRITE_FOR + SHUTDOWN_TIMEOUT;

    let (sent, refused_in, straddled, status) = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|n| {
                let (base, key) = (&base, &key);
                s.spawn(move || writer(n, base, key, give_up))
            })
            .collect();
        std::thread::sleep(WRITE_FOR);

        assert!(server.running(), "the server is up before SIGTERM");
        let pid = server.pid();
        let at = *sigterm_at.get_or_init(Instant::now);
        let kill = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(kill.success(), "kill -TERM {pid}: {kill}");

        // The listener closes while the straddler still holds the server up.
        let refused_in = refused_after(addr, at, LISTENER_CLOSES_WITHIN);
        let still_running = server.running();
        assert!(
            refused_in.is_some(),
            "new connections were still accepted {LISTENER_CLOSES_WITHIN:?} after SIGTERM"
        );
        assert!(
            still_running,
            "the server exited while a request was in flight (refused after {refused_in:?})"
        );

        let sent: Vec<Sent> = writers
            .into_iter()
            .flat_map(|w| w.join().expect("writer thread"))
            .collect();
        assert!(server.running(), "the server waits for the in-flight straddler");
        let straddled = straddler.finish();
        let status = server.wait_until(at + SHUTDOWN_TIMEOUT + EXIT_MARGIN);
        (sent, refused_in.unwrap(), straddled, status)
    });
    let sigterm_at = *sigterm_at.get().unwrap();
    let exited_in_at = Instant::now();
    let exited_in = exited_in_at - sigterm_at;
    let (stdout, stderr) = server.output();
    let status = status.unwrap_or_else(|| {
        panic!(
            "moss serve still running {:?} after SIGTERM\n--- stderr (tail):\n{}",
            SHUTDOWN_TIMEOUT + EXIT_MARGIN,
            stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n")
        )
    });
    assert!(
        status.success(),
        "moss serve exited with {status} after SIGTERM\n--- stdout:\n{}\n--- stderr (tail):\n{}",
        stdout.join("\n"),
        stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    let log_lines = assert_nothing_alarming(&stdout, &stderr);

    // The straddler: sent before SIGTERM, finished after it, answered 201 on a closing connection.
    let (straddler_status, straddler_head, straddler_body) = straddled;
    assert_eq!(
        straddler_status, 201,
        "the in-flight request is finished: {straddler_head}\n{straddler_body}"
    );
    assert!(
        straddler_head
            .to_ascii_lowercase()
            .lines()
            .any(|l| l == "connection: close"),
        "a request answered during shutdown closes its connection: {straddler_head}"
    );
    let straddler_header = |name: &str| {
        straddler_head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let straddler_reply = Reply {
        status: straddler_status,
        replayed: straddler_header("idempotent-replayed"),
        request_id: Some(straddler_header("x-request-id").expect("X-Request-Id")),
        body: straddler_body,
    };

    // What the writers got: 201s (fresh, as every key is new) until the end, then transport
    // errors, all after SIGTERM; each writer's last request was refused.
    let mut acked: BTreeMap<String, (Sent, Reply)> = BTreeMap::new();
    let mut uncertain: Vec<Sent> = Vec::new();
    let (mut after_sigterm_201, mut straddling_201) = (0, 0);
    for s in &sent {
        match &s.got {
            Got::Answer(r) => {
                assert_eq!((r.status, r.replayed.as_deref()), (201, None), "{s:?}");
                if s.done >= sigterm_at {
                    after_sigterm_201 += 1;
                    if s.at < sigterm_at {
                        straddling_201 += 1;
                    }
                }
                assert!(acked.insert(s.email.clone(), (s.clone(), r.clone())).is_none());
            }
            Got::Transport { .. } => {
                assert!(s.done >= sigterm_at, "transport error before SIGTERM: {s:?}");
                uncertain.push(s.clone());
            }
        }
    }
    let refused = uncertain
        .iter()
        .filter(|s| matches!(s.got, Got::Transport { refused: true, .. }))
        .count();
    assert_eq!(
        refused, WRITERS,
        "each writer ends on a refused connection: {uncertain:#?}"
    );
    let other_errors: BTreeSet<&str> = uncertain
        .iter()
        .filter_map(|s| match &s.got {
            Got::Transport { refused: false, error } => Some(error.as_str()),
            _ => None,
        })
        .collect();
    acked.insert(
        straddler_email.clone(),
        (
            Sent {
                email: straddler_email.clone(),
                idem: straddler_idem,
                body: contact_body(&straddler_email),
                at: started,
                done: exited_in_at,
                got: Got::Answer(straddler_reply.clone()),
            },
            straddler_reply,
        ),
    );
    let sent_emails: BTreeSet<&String> = sent.iter().map(|s| &s.email).chain([&straddler_email]).collect();

    // A fresh server on the same database.
    let mut fresh = Server::start(&db);
    let line = fresh.wait_for_line("banner", |l| l.trim_start().starts_with("Moss is serving http://"));
    let base2 = line.trim().strip_prefix("Moss is serving ").unwrap().to_owned();
    let agent = http_agent();

    let before = all_contacts(&agent, &base2, &key);
    let entries = contact_created_entries(&db, slug);
    // No acknowledged write is lost, with the id it was acknowledged with.
    let lost: Vec<_> = acked
        .iter()
        .filter(|(email, (_, r))| before.get(*email) != Some(&r.contact_id()))
        .map(|(email, _)| email)
        .collect();
    assert!(lost.is_empty(), "acknowledged but not in the database: {lost:?}");
    // Every contact comes from a request that was sent (and each email appears once).
    let unknown: Vec<_> = before.keys().filter(|e| !sent_emails.contains(e)).collect();
    assert!(unknown.is_empty(), "contacts nobody sent: {unknown:?}");
    let extra: Vec<&String> = before.keys().filter(|e| !acked.contains_key(*e)).collect();
    assert!(
        extra.iter().all(|e| uncertain.iter().any(|u| &&u.email == e)),
        "contacts beyond the acknowledged ones must come from requests that failed in transport: {extra:?}"
    );
    assert_one_entry_per_contact(&before, &entries);
    // The acknowledged contacts' entries were written by the requests that were acknowledged.
    for (email, (s, r)) in &acked {
        let request_id = r.request_id.as_ref().expect("X-Request-Id");
        assert_eq!(
            entries[&r.contact_id()],
            std::slice::from_ref(request_id),
            "{email}: {s:?}"
        );
    }

    // Requests that failed in transport: retrying the same key replays what committed, or
    // creates it now; a refused request never reached the server.
    let (mut replays, mut fresh_201) = (0, 0);
    for s in &uncertain {
        let r = post_contact(&agent, &base2, &key, &s.idem, &s.body).unwrap_or_else(|e| panic!("retry {s:?}: {e}"));
        assert_eq!(r.status, 201, "retry of {s:?}: {r:?}");
        match (r.replayed.as_deref(), before.get(&s.email)) {
            (Some("true"), Some(id)) => {
                assert_eq!(&r.contact_id(), id, "{s:?}");
                assert!(
                    !matches!(s.got, Got::Transport { refused: true, .. }),
                    "a refused request committed: {s:?}"
                );
                replays += 1;
            }
            (None, None) => fresh_201 += 1,
            (replayed, id) => panic!("retry of {s:?}: replayed {replayed:?} but committed before: {id:?}; {r:?}"),
        }
    }
    // Acknowledged keys replay their answer byte for byte.
    for (_, (s, r)) in acked.iter().take(3) {
        let again = post_contact(&agent, &base2, &key, &s.idem, &s.body).unwrap();
        assert_eq!(
            (again.status, again.replayed.as_deref()),
            (201, Some("true")),
            "{again:?}"
        );
        assert_eq!(again.body, r.body);
    }

    let after = all_contacts(&agent, &base2, &key);
    let got_201: BTreeSet<&String> = acked.keys().chain(uncertain.iter().map(|s| &s.email)).collect();
    assert_eq!(
        after.len(),
        got_201.len(),
        "one contact per email that got a 201, either way"
    );
    assert!(after.keys().all(|e| got_201.contains(e)));
    assert_one_entry_per_contact(&after, &contact_created_entries(&db, slug));

    eprintln!(
        "{backend:?}: {} requests from {WRITERS} writers + 1 straddler; {} acknowledged ({} of them \
         answered after SIGTERM, {straddling_201} sent before it), {} transport errors ({refused} refused, others: {other_errors:?}), of which {replays} had \
         committed and {fresh_201} had not; listener closed {refused_in:?} after SIGTERM, exit 0 \
         {exited_in:?} after it; {log_lines} log lines, none above INFO; {} contacts and audit \
         entries in the end; case took {:?}",
        sent.len() + 1,
        acked.len(),
        after_sigterm_201 + 1,
        uncertain.len(),
        after.len(),
        started.elapsed()
    );
}
