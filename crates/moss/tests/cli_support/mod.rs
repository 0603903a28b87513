//! Helpers for the black-box tests of the `moss` binary: a database (SQLite file or a fresh
//! Postgres database) next to an empty working directory, a runner with a timeout, a running
//! `moss serve` that is always killed, and format checks (TypeIDs, RFC 3339, keys).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moss_store_diesel::Backend;
use moss_store_diesel::testing::TestDatabase;
use serde_json::Value;

/// How long one CLI invocation may take before the test fails (and the process is killed).
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// The `moss` binary under test.
pub fn moss_bin() -> &'static str {
    env!("CARGO_BIN_EXE_moss")
}

/// A `moss` command with a clean environment for the settings it reads, run in `cwd`.
pub fn moss_command(cwd: &Path) -> Command {
    let mut cmd = Command::new(moss_bin());
    cmd.current_dir(cwd)
        .stdin(Stdio::null())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("MOSS_")) {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// What a finished `moss` printed and its exit code.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub args: String,
    /// Exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it is wrong. Returns `self` for chaining.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "`moss {}` exited {} (expected {expected})\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts success (exit 0).
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Standard output parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("`moss {}` did not print JSON ({e}):\n{}", self.args, self.stdout))
    }
}

/// Runs `cmd` to completion (killing it after [`RUN_TIMEOUT`]) and collects its output.
#[track_caller]
pub fn run_command(mut cmd: Command, shown_args: String) -> Run {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = ChildGuard(Some(cmd.spawn().expect("spawn moss")));
    let out = drain(child.inner().stdout.take().expect("stdout"));
    let err = drain(child.inner().stderr.take().expect("stderr"));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.inner().try_wait().expect("wait for moss") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "`moss {shown_args}` did not finish within {RUN_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    child.0 = None;
    Run {
        args: shown_args,
        code: status.code().unwrap_or(-1),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// A child process that is killed (and reaped) when dropped, so that a failing assertion never
/// leaves a `moss` behind.
#[derive(Debug)]
pub struct ChildGuard(Option<Child>);

impl ChildGuard {
    fn inner(&mut self) -> &mut Child {
        self.0.as_mut().expect("child still owned")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A database for the CLI and an empty working directory for it (so that a stray relative
/// path would show up there).
#[derive(Debug)]
pub struct Db {
    /// The `DATABASE_URL`.
    pub url: String,
    /// The working directory of every `moss` run.
    pub cwd: tempfile::TempDir,
    /// [`Db::sqlite_to_create`]: the file `moss` is to create, and the directory it goes in.
    to_create: Option<(PathBuf, tempfile::TempDir)>,
    /// [`Db::new`]: the database, dropped at the end.
    _db: Option<TestDatabase>,
}

impl Db {
    /// A fresh, migrated, empty database (SQLite file or Postgres database); `None` when
    /// Postgres is not available.
    pub fn new(backend: Backend) -> Option<Self> {
        let db = TestDatabase::new(backend)?;
        Some(Self {
            url: db.url_string(),
            cwd: tempfile::tempdir().expect("temp dir"),
            to_create: None,
            _db: Some(db),
        })
    }

    /// A SQLite URL whose file and its parent directory do not exist yet: only `moss migrate`
    /// and `moss serve` may create them.
    pub fn sqlite_to_create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("new-dir").join("moss.db");
        Self {
            url: format!("sqlite://{}", file.display()),
            cwd: tempfile::tempdir().expect("temp dir"),
            to_create: Some((file, dir)),
            _db: None,
        }
    }

    /// [`Db::sqlite_to_create`]: the database file (which may exist by now).
    pub fn file_to_create(&self) -> &Path {
        &self.to_create.as_ref().expect("a Db::sqlite_to_create").0
    }

    /// `moss --database-url URL <args>` in the working directory.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = moss_command(self.cwd.path());
        cmd.arg("--database-url").arg(&self.url).args(args);
        run_command(cmd, args.join(" "))
    }

    /// `moss <args>` with the URL placed by the caller (or taken from the environment).
    #[track_caller]
    pub fn run_raw(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = moss_command(self.cwd.path());
        cmd.args(args).envs(env.iter().copied());
        run_command(cmd, args.join(" "))
    }

    /// The names in the working directory (it should stay empty).
    pub fn cwd_entries(&self) -> Vec<String> {
        dir_entries(self.cwd.path())
    }

    /// Creates workspace `slug` and returns its `data` (with `owner_key`).
    #[track_caller]
    pub fn create_workspace(&self, name: &str, slug: &str) -> Value {
        self.run(&["workspace", "create", "--name", name, "--slug", slug, "--json"])
            .ok()
            .json()["data"]
            .clone()
    }

    /// `key list --json` of a workspace: its `data` array.
    #[track_caller]
    pub fn keys(&self, slug: &str) -> Vec<Value> {
        let run = self.run(&["key", "list", "--workspace", slug, "--json"]);
        run.ok().json()["data"].as_array().expect("data array").clone()
    }

    /// `audit list --workspace SLUG <filters> --json`: the whole envelope.
    #[track_caller]
    pub fn audit(&self, slug: &str, filters: &[&str]) -> Value {
        let mut args = vec!["audit", "list", "--workspace", slug];
        args.extend_from_slice(filters);
        args.push("--json");
        self.run(&args).ok().json()
    }

    /// `member list --json` of a workspace: its `data` array.
    #[track_caller]
    pub fn members(&self, slug: &str) -> Vec<Value> {
        let run = self.run(&["member", "list", "--workspace", slug, "--json"]);
        run.ok().json()["data"].as_array().expect("data array").clone()
    }
}

/// The names in `dir`, sorted, leaving out SQLite's `-wal`/`-shm`/`-journal` side files (a
/// process may exit before its pool has closed the last connection, which would remove them).
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let side_file = |n: &str| [".db-wal", ".db-shm", ".db-journal"].iter().any(|s| n.ends_with(s));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !side_file(n))
        .collect();
    names.sort();
    names
}

/// The keys of a JSON object, sorted.
#[track_caller]
pub fn keys_of(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A sorted list of names, for comparing with [`keys_of`].
pub fn sorted<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut v = names.to_vec();
    v.sort_unstable();
    v
}

/// Asserts `v` is a TypeID with `prefix`: `prefix_` + 26 lowercase Crockford base32 characters,
/// the first at most `7` (a 128-bit value).
#[track_caller]
pub fn assert_typeid(v: &Value, prefix: &str) -> String {
    let s = v.as_str().unwrap_or_else(|| panic!("id is not a string: {v}"));
    let suffix = s
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('_'))
        .unwrap_or_else(|| panic!("{s:?} lacks {prefix}_"));
    let crockford = |c: char| c.is_ascii_digit() || (c.is_ascii_lowercase() && !matches!(c, 'i' | 'l' | 'o' | 'u'));
    assert!(
        suffix.len() == 26 && suffix.chars().all(crockford) && suffix.as_bytes()[0] <= b'7',
        "{s:?} is not a {prefix} TypeID"
    );
    s.to_owned()
}

/// Asserts `v` is an RFC 3339 UTC timestamp ending in `Z` (`2026-02-08T12:00:00Z`, optional
/// fraction).
#[track_caller]
pub fn assert_timestamp(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("timestamp is not a string: {v}"));
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && s.ends_with('Z');
    let fraction = &s[19.min(s.len())..s.len().saturating_sub(1)];
    let fraction_ok = fraction.is_empty()
        || (fraction.len() > 1 && fraction.starts_with('.') && fraction[1..].bytes().all(|d| d.is_ascii_digit()));
    assert!(
        shape
            && fraction_ok
            && (1..=12).contains(&num(5..7))
            && (1..=31).contains(&num(8..10))
            && num(11..13) < 24
            && num(14..16) < 60
            && num(17..19) < 61,
        "{s:?} is not an RFC 3339 UTC timestamp ending in Z"
    );
}

/// Asserts `s` looks like an API key: `moss_k_` and at least 38 base62 characters.
#[track_caller]
pub fn assert_key(s: &str) {
    let rest = s
        .strip_prefix("moss_k_")
        .unwrap_or_else(|| panic!("{s:?} does not start with moss_k_"));
    assert!(
        rest.len() >= 38 && rest.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{s:?} is not a moss_k_ key"
    );
}

/// Every `moss_k_...` token in `text`: the longest base62 run after each `moss_k_`.
pub fn key_tokens(text: &str) -> Vec<String> {
    text.match_indices("moss_k_")
        .map(|(i, m)| {
            let tail: String = text[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            format!("{m}{tail}")
        })
        .collect()
}

/// A running `moss serve`, killed when dropped; its stdout arrives line by line.
#[derive(Debug)]
pub struct Server {
    /// Stdout lines seen so far.
    pub lines: Vec<String>,
    rx: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    _child: ChildGuard,
}

/// How long `moss serve` may take to print its banner.
const SERVE_TIMEOUT: Duration = Duration::from_secs(20);

impl Server {
    /// Starts `moss --database-url URL serve --bind 127.0.0.1:0` (one worker) in `db`'s
    /// working directory.
    pub fn start(db: &Db) -> Self {
        let mut cmd = moss_command(db.cwd.path());
        cmd.arg("--database-url")
            .arg(&db.url)
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--workers",
                "1",
                "--shutdown-timeout",
                "1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard(Some(cmd.spawn().expect("spawn moss serve")));
        let stdout = child.inner().stdout.take().expect("stdout");
        let stderr_pipe = child.inner().stderr.take().expect("stderr");
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
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().expect("stderr buffer");
                s.push_str(&line);
                s.push('\n');
            }
        });
        Self {
            lines: Vec::new(),
            rx,
            stderr,
            _child: child,
        }
    }

    /// Reads stdout until a line satisfies `pred` and returns it; fails after a timeout or
    /// when the process ends first.
    #[track_caller]
    pub fn wait_for_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SERVE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.lines.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => "timed out",
                        RecvTimeoutError::Disconnected => "stdout closed (the process ended)",
                    };
                    panic!(
                        "moss serve: no {what} line ({why})\n--- stdout:\n{}\n--- stderr:\n{}",
                        self.lines.join("\n"),
                        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
                    );
                }
            }
        }
    }
}

/// An HTTP client that returns every status as a response.
pub fn http_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// `GET url` with an optional `X-API-Key`: (status, body).
#[track_caller]
pub fn http_get(agent: &ureq::Agent, url: &str, key: Option<&str>) -> (u16, String) {
    let mut req = agent.get(url);
    if let Some(key) = key {
        req = req.header("X-API-Key", key);
    }
    let mut resp = req.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().expect("body");
    (status, body)
}
