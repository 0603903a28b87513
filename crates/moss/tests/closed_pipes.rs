#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `moss` writing into a pipe whose reader has gone away: a log shipper that exited
//! (`moss serve 2>fifo` with nobody reading the fifo), `moss openapi | head -1`, a banner or a
//! command's output nobody reads. A failed write must never break serving, stop SIGTERM from
//! stopping the server, lose a one-time key silently, or turn a command into a panic (exit 101).
//!
//! The closed stream is a pipe whose read end is closed before `moss` starts, so every write to
//! it fails (EPIPE), from the first one on.

#[allow(dead_code)]
mod cli_support;

use std::io::{BufRead, BufReader, PipeReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use cli_support::{Db, assert_typeid, http_agent, http_get, key_tokens, moss_command};
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

/// How long `moss serve` may take to print its banner.
const BANNER_WITHIN: Duration = Duration::from_secs(20);
/// How long `moss serve` may take to exit after SIGTERM (nothing is in flight).
const EXITS_WITHIN: Duration = Duration::from_secs(5);
/// How long a command may take.
const RUN_WITHIN: Duration = Duration::from_secs(30);

/// Which of `moss serve`'s streams has no reader, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    /// Stdout, from the start: the banner cannot be written.
    Stdout,
    /// Stderr, from the start: not one log line can be written.
    Stderr,
    /// Stderr, once the `moss serving` log line has been read (`head -c1 <fifo`): the log
    /// works at first, then every line fails.
    StderrAfterStart,
}

/// A pipe end to give a child as stdout or stderr, whose reader is already closed.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer.into()
}

/// A pipe for a child's stream and the reader of its lines.
fn line_pipe() -> (Stdio, Receiver<String>) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    (writer.into(), lines_of(reader))
}

fn lines_of(reader: PipeReader) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A child that is killed (and reaped) when dropped, unless it has been waited for.
struct Process(Option<Child>);

impl Process {
    fn spawn(mut cmd: Command) -> Self {
        let child = cmd.spawn().expect("spawn moss");
        // `cmd` holds our copies of the pipes' write ends; they go with it.
        drop(cmd);
        Self(Some(child))
    }

    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child still owned")
    }

    /// Waits for the process to end until `deadline`; `None` when it is still running then.
    fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.child().try_wait().expect("try_wait") {
                self.0 = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads `reader` until a line contains `until`, then closes it; says when it has.
fn read_then_close(reader: PipeReader, until: &'static str) -> Receiver<()> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            match line {
                Ok(line) if line.contains(until) => break,
                Ok(_) => {}
                Err(_) => return,
            }
        }
        // The reader is dropped here, before the test goes on.
        let _ = tx.send(());
    });
    rx
}

/// `moss serve --bind 127.0.0.1:0` with one stream closed as `closed` says; the other is read
/// line by line.
struct Serving {
    process: Process,
    lines: Receiver<String>,
    seen: Vec<String>,
    /// [`Closed::StderrAfterStart`]: says when stderr's reader has gone.
    stderr_closed: Option<Receiver<()>>,
}

impl Serving {
    fn start(db: &Db, closed: Closed) -> Self {
        let mut cmd = moss_command(db.cwd.path());
        cmd.arg("--database-url")
            .arg(&db.url)
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"]);
        let (open, lines) = line_pipe();
        let mut stderr_closed = None;
        match closed {
            Closed::Stdout => cmd.stdout(closed_pipe()).stderr(open),
            Closed::Stderr => cmd.stdout(open).stderr(closed_pipe()),
            Closed::StderrAfterStart => {
                let (reader, writer) = std::io::pipe().expect("pipe");
                stderr_closed = Some(read_then_close(reader, "moss serving"));
                cmd.stdout(open).stderr(writer)
            }
        };
        Self {
            process: Process::spawn(cmd),
            lines,
            seen: Vec::new(),
            stderr_closed,
        }
    }

    /// Waits until stderr has no reader any more.
    #[track_caller]
    fn wait_for_closed_stderr(&mut self) {
        if let Some(closed) = &self.stderr_closed {
            closed
                .recv_timeout(BANNER_WITHIN)
                .expect("the `moss serving` log line, after which stderr is closed");
        }
    }

    /// Reads lines until one satisfies `pred`; fails after a timeout or when the stream ends.
    #[track_caller]
    fn wait_for_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + BANNER_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "moss serve: no {what} line ({e}; the process {})\n--- output so far:\n{}",
                    match self.process.child().try_wait() {
                        Ok(Some(status)) => format!("exited with {status}"),
                        _ => "is still running".to_owned(),
                    },
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The API base of the banner's `Moss is serving http://ADDR/api/v1` line.
    #[track_caller]
    fn base(&mut self) -> String {
        let line = self.wait_for_line("banner", |l| l.trim_start().starts_with("Moss is serving http://"));
        let base = line.trim().strip_prefix("Moss is serving ").unwrap().to_owned();
        assert!(base.ends_with("/api/v1") && !base.contains(":0/"), "{line:?}");
        base
    }

    /// Sends SIGTERM and waits for the exit.
    #[track_caller]
    fn terminate(&mut self) -> ExitStatus {
        let pid = self.process.child().id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid}: {kill}");
        self.process
            .wait_until(Instant::now() + EXITS_WITHIN)
            .unwrap_or_else(|| panic!("moss serve still running {EXITS_WITHIN:?} after SIGTERM"))
    }
}

/// `POST {base}/contacts` with `key`: (status, body).
fn post_contact(agent: &ureq::Agent, base: &str, key: &str) -> (u16, String) {
    let mut resp = agent
        .post(format!("{base}/contacts"))
        .header("X-API-Key", key)
        .header("Content-Type", "application/json")
        .send(r#"{"first_name":"Ada","email":"ada@example.com"}"#)
        .expect("POST /contacts");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// A body that must be a whole JSON document.
#[track_caller]
fn json(what: &str, body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: not a full JSON answer ({e}): {body:?}"))
}

#[rstest]
#[case::sqlite(Backend::Sqlite, Closed::Stderr)]
#[case::postgres(Backend::Postgres, Closed::Stderr)]
#[case::sqlite_after_start(Backend::Sqlite, Closed::StderrAfterStart)]
#[case::postgres_after_start(Backend::Postgres, Closed::StderrAfterStart)]
fn a_closed_stderr_breaks_neither_serving_nor_shutdown(#[case] backend: Backend, #[case] closed: Closed) {
    let Some(db) = Db::new(backend) else { return };
    let key = db.create_workspace("Acme", "acme")["owner_key"]
        .as_str()
        .expect("owner_key")
        .to_owned();
    let mut server = Serving::start(&db, closed);
    let base = server.base();
    server.wait_for_closed_stderr();
    let root = base.strip_suffix("/api/v1").unwrap();
    let agent = http_agent();

    // Every request below logs a line that cannot be written.
    let (status, body) = http_get(&agent, &format!("{root}/healthz"), None);
    assert_eq!(
        (status, json("GET /healthz", &body)["data"]["status"].as_str()),
        (200, Some("ok"))
    );
    let (status, body) = http_get(&agent, &format!("{base}/contacts"), None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        json("GET /contacts without a key", &body)["error"]["code"],
        "UNAUTHORIZED"
    );
    let (status, body) = post_contact(&agent, &base, &key);
    assert_eq!(status, 201, "{body}");
    let id = assert_typeid(&json("POST /contacts", &body)["data"]["id"], "cnt");
    let (status, body) = http_get(&agent, &format!("{base}/contacts"), Some(&key));
    assert_eq!(status, 200, "{body}");
    let list = json("GET /contacts", &body);
    assert_eq!(list["meta"]["total"], 1, "exactly one contact: {list}");
    assert_eq!(list["data"][0]["id"], id.as_str());

    let status = server.terminate();
    assert!(status.success(), "moss serve exited with {status} after SIGTERM");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_closed_stdout_at_the_first_start_puts_the_owner_key_on_stderr_and_serving_goes_on(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let mut server = Serving::start(&db, Closed::Stdout);
    let base = server.base();
    let curl = server.wait_for_line("curl", |l| l.trim_start().starts_with("curl "));
    let said = server.seen.join("\n");
    assert!(
        said.contains("cannot write") && said.contains("stdout"),
        "stderr says why the banner is there:\n{said}"
    );
    let keys = key_tokens(&curl);
    assert_eq!(keys.len(), 1, "{curl}");
    assert!(
        server.seen.iter().any(|l| l.trim() == keys[0]),
        "the key on a line of its own:\n{said}"
    );

    let (status, body) = http_get(&http_agent(), &format!("{base}/contacts"), Some(&keys[0]));
    assert_eq!(status, 200, "the key from stderr works: {body}");
    let status = server.terminate();
    assert!(status.success(), "moss serve exited with {status} after SIGTERM");
    let listed = db.keys("default");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["prefix"], keys[0][..12]);
}

/// Runs `moss <args>` in `db`'s working directory with `stdout` as its stdout: (exit code,
/// stderr).
#[track_caller]
fn run_with_stdout(db: &Db, args: &[&str], stdout: Stdio) -> (i32, String) {
    let mut cmd = moss_command(db.cwd.path());
    cmd.arg("--database-url").arg(&db.url).args(args).stdout(stdout);
    let (reader, writer) = std::io::pipe().expect("pipe");
    cmd.stderr(writer);
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(reader).read_to_string(&mut text);
        text
    });
    let mut process = Process::spawn(cmd);
    let status = process
        .wait_until(Instant::now() + RUN_WITHIN)
        .unwrap_or_else(|| panic!("`moss {}` did not finish within {RUN_WITHIN:?}", args.join(" ")));
    let stderr = stderr.join().expect("stderr reader");
    assert!(
        !stderr.contains("panicked"),
        "`moss {}` panicked ({status}):\n{stderr}",
        args.join(" ")
    );
    (status.code().unwrap_or(-1), stderr)
}

#[rstest]
#[case::before_reading(0)]
#[case::after_one_line(1)]
fn moss_openapi_into_a_pipe_closed_early_exits_without_panicking(#[case] lines_read: usize) {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let (reader, writer) = std::io::pipe().expect("pipe");
    // The document (about 200 KB) is far more than a pipe holds, so the reader going away is
    // always seen by `moss`.
    let head = std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        for _ in 0..lines_read {
            let mut line = String::new();
            reader.read_line(&mut line).expect("a line of the document");
            assert!(!line.is_empty(), "the document starts");
        }
    });
    let (code, stderr) = run_with_stdout(&db, &["openapi"], writer.into());
    head.join().expect("reader thread");
    assert!(matches!(code, 0 | 1), "exit {code}:\n{stderr}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn admin_commands_into_a_closed_stdout_fail_without_panicking_and_lose_no_key(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    db.run(&["migrate"]).ok();
    let create = ["workspace", "create", "--name", "Acme", "--slug", "acme"];
    for json in [false, true] {
        let mut args = create.to_vec();
        args[5] = if json { "acme-json" } else { "acme" };
        if json {
            args.push("--json");
        }
        let (code, stderr) = run_with_stdout(&db, &args, closed_pipe());
        assert_eq!(code, 1, "the output was lost: exit 1\n{stderr}");
        assert!(stderr.contains("stdout"), "stderr says what failed:\n{stderr}");
        // The key is shown, once, where it can still be read.
        let keys = key_tokens(&stderr);
        assert_eq!(keys.len(), 1, "the new owner key on stderr:\n{stderr}");
        assert_eq!(db.keys(args[5])[0]["prefix"], keys[0][..12]);
    }
    for args in [
        &["migrate"][..],
        &["key", "list", "--workspace", "acme"],
        &["--json", "member", "list", "--workspace", "acme"],
        &["key", "create", "--workspace", "acme", "--name", "lost"],
    ] {
        let (code, stderr) = run_with_stdout(&db, args, closed_pipe());
        assert_eq!(code, 1, "{args:?}:\n{stderr}");
        assert!(
            stderr.contains("stdout"),
            "{args:?}: stderr says what failed:\n{stderr}"
        );
    }
    // An error envelope (`--json`) that cannot be printed is said on stderr, with the error's
    // own exit code.
    let (code, stderr) = run_with_stdout(&db, &["--json", "key", "list", "--workspace", "nope"], closed_pipe());
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
}
