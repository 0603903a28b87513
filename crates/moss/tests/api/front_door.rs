//! What a connection gets before and around the app: broken, oversized and slow requests,
//! `Expect: 100-continue`, methods outside the route table. Every answer is in the envelope,
//! never framework text, and nothing is written.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

/// One HTTP/1.1 answer read off a connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An error in the envelope, as the API's own errors are.
    #[track_caller]
    fn assert_envelope(&self, status: u16, field: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header("content-type"), Some("application/json"), "{}", self.text);
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        let id = self.header("x-request-id").expect("a request id");
        assert_eq!(self.body["error"]["request_id"], id, "{}", self.text);
        assert_eq!(self.body["error"]["code"], "VALIDATION_ERROR", "{}", self.text);
        assert_eq!(self.body["error"]["details"][0]["field"], field, "{}", self.text);
        for framework in ["payload", "EOF", "Invalid Header", "parse error"] {
            assert!(!self.text.contains(framework), "framework text: {}", self.text);
        }
    }
}

/// Splits what a server wrote into its answers (bodies framed by Content-Length).
fn answers(raw: &str) -> Vec<Answer> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(end) = rest.find("\r\n\r\n") {
        let head = &rest[..end];
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let len = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let body_start = end + 4;
        let text = rest.get(body_start..body_start + len).unwrap_or("").to_owned();
        rest = rest.get(body_start + len..).unwrap_or("");
        out.push(Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        });
    }
    out
}

fn one(raw: &str) -> Answer {
    let mut all = answers(raw);
    assert_eq!(all.len(), 1, "{raw}");
    all.remove(0)
}

fn connect(app: &TestApp) -> TcpStream {
    let s = TcpStream::connect(app.base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn contacts(app: &TestApp) -> u64 {
    app.get("/api/v1/contacts").send().body["meta"]["total"]
        .as_u64()
        .unwrap()
}

fn post_head(app: &TestApp, extra: &str) -> String {
    format!(
        "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\nContent-Type: application/json\r\n{extra}\r\n",
        app.owner_key
    )
}

#[rstest]
fn malformed_heads_are_answered_400_in_the_envelope(
    #[values(
        "GARBAGE\r\n\r\n",
        "GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "GET /api/v1/contacts HTTP/1.1\r\n\r\n",
        "GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "GET /api/v1/con tacts HTTP/1.1\r\nHost: x\r\n\r\n"
    )]
    request: &str,
) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    one(&app.raw(request.as_bytes())).assert_envelope(400, "request");
}

#[rstest]
fn a_body_shorter_than_its_length_or_with_broken_chunks_is_a_400_and_nothing_is_written(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    // Content-Length says 100; 20 bytes come, then the client stops sending.
    let mut s = connect(&app);
    let head = post_head(&app, "Content-Length: 100\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(br#"{"first_name": "Ad"#).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let a = one(&read_all(&mut s));
    a.assert_envelope(400, "body");
    assert!(
        a.body["error"]["message"].as_str().unwrap().contains("ended"),
        "{}",
        a.text
    );
    // A chunk size that is not hexadecimal.
    let mut bytes = post_head(&app, "Transfer-Encoding: chunked\r\n").into_bytes();
    bytes.extend_from_slice(b"5\r\n{\"fir\r\nzz\r\nst_name\": \"A\"}\r\n0\r\n\r\n");
    one(&app.raw(&bytes)).assert_envelope(400, "body");
    assert_eq!(contacts(&app), 0);
}

#[rstest]
#[case::just_over(8 * 1024 + 1)]
#[case::over_the_framework_limit(70 * 1024)]
fn a_url_over_8_kib_is_answered_414(#[case] target_len: usize) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let base = "/api/v1/contacts?q=";
    let target = format!("{base}{}", "a".repeat(target_len - base.len()));
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n\r\n",
        app.owner_key
    );
    one(&app.raw(request.as_bytes())).assert_envelope(414, "url");
    // 8 KiB exactly is a URL like any other (here: too many query words is fine, 200).
    let target = format!("{base}{}", "a".repeat(8 * 1024 - base.len()));
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n\r\n",
        app.owner_key
    );
    assert_eq!(one(&app.raw(request.as_bytes())).status, 200);
}

#[rstest]
#[case::just_over(33 * 1024)]
#[case::over_the_framework_limit(200 * 1024)]
#[case::too_many_headers(0)]
fn a_head_over_32_kib_is_answered_431(#[case] header_len: usize) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let extra = if header_len == 0 {
        (0..120).map(|i| format!("X-Many-{i}: y\r\n")).collect::<String>()
    } else {
        format!("X-Big: {}\r\n", "b".repeat(header_len))
    };
    let request = format!(
        "GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n{extra}\r\n",
        app.owner_key
    );
    one(&app.raw(request.as_bytes())).assert_envelope(431, "headers");
    let request = format!(
        "GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\nX-Big: {}\r\n\r\n",
        app.owner_key,
        "b".repeat(30 * 1024)
    );
    assert_eq!(one(&app.raw(request.as_bytes())).status, 200, "a 30 KiB head is fine");
}

#[test]
fn requests_before_a_broken_one_on_the_same_connection_are_answered_first() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let good = format!(
        "GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n\r\n",
        app.owner_key
    );
    let raw = app.raw(format!("{good}{good}BROKEN LINE\r\n\r\n{good}").as_bytes());
    let all = answers(&raw);
    assert_eq!(
        all.iter().map(|a| a.status).collect::<Vec<_>>(),
        [200, 200, 400],
        "{raw}"
    );
    all[2].assert_envelope(400, "request");
}

#[rstest]
fn a_body_trickled_too_slowly_is_answered_408_and_never_runs(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let mut options = Options::default();
    options.settings.body_timeout = Duration::from_secs(1);
    let Some(app) = TestApp::start_with(backend, options) else {
        return;
    };
    let body = br#"{"first_name": "Slow"}"#;
    let mut s = connect(&app);
    s.write_all(post_head(&app, &format!("Content-Length: {}\r\n", body.len())).as_bytes())
        .unwrap();
    let started = Instant::now();
    for b in body {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let a = one(&read_all(&mut s));
    a.assert_envelope(408, "body");
    assert_eq!(a.header("connection"), Some("close"));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(contacts(&app), 0, "the slow create never ran");
}

#[test]
fn a_head_that_never_ends_is_answered_408_in_the_envelope() {
    let mut options = Options::default();
    options.settings.client_timeout = Duration::from_secs(1);
    let Some(app) = TestApp::start_with(SQLITE, options) else {
        return;
    };
    let mut s = connect(&app);
    s.write_all(b"GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    one(&read_all(&mut s)).assert_envelope(408, "request");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[rstest]
fn expect_100_continue_is_refused_before_the_body_when_the_answer_is_401_or_413(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let expect = |key: Option<&str>, length: usize| {
        let key = key.map(|k| format!("X-API-Key: {k}\r\n")).unwrap_or_default();
        let mut s = connect(&app);
        let head = format!(
            "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\n{key}Content-Type: application/json\r\n\
             Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        s
    };
    // No key, a malformed key, a well-formed key nobody has: 401 at once, no 100 Continue.
    let unknown = moss_domain::key::KeySecret::generate().expose().to_owned();
    for key in [None, Some("nope"), Some(unknown.as_str())] {
        let mut s = expect(key, 20);
        let raw = read_all(&mut s);
        assert!(!raw.contains("100 Continue"), "{raw}");
        let a = one(&raw);
        assert_eq!(a.status, 401, "{raw}");
        assert_eq!(a.body["error"]["code"], "UNAUTHORIZED");
    }
    // A declared body over 256 KiB: 413 at once.
    let mut s = expect(Some(&app.owner_key), 300 * 1024);
    let raw = read_all(&mut s);
    assert!(!raw.contains("100 Continue"), "{raw}");
    one(&raw).assert_envelope(413, "body");
    // A request that will be served gets its 100 Continue, then its answer.
    let body = br#"{"first_name": "Expected"}"#;
    let mut s = expect(Some(&app.owner_key), body.len());
    let mut continued = [0u8; 25];
    s.read_exact(&mut continued).unwrap();
    assert_eq!(&continued, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(body).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    assert_eq!(one(&read_all(&mut s)).status, 201);
    assert_eq!(contacts(&app), 1);
}

#[rstest]
#[case("POST", "/healthz", 405, Some("GET, HEAD"))]
#[case("HEAD", "/healthz", 200, None)]
#[case("HEAD", "/readyz", 200, None)]
#[case("DELETE", "/readyz", 405, Some("GET, HEAD"))]
#[case("HEAD", "/docs", 405, Some("GET"))]
#[case("HEAD", "/docs/", 405, Some("GET"))]
#[case("POST", "/docs/index.html", 405, Some("GET"))]
#[case("HEAD", "/api/v1/openapi.json", 405, Some("GET"))]
#[case("HEAD", "/api/v1/contacts", 405, Some("GET, POST"))]
fn head_is_served_on_health_routes_and_other_methods_get_405_with_allow(
    #[case] method: &str,
    #[case] path: &str,
    #[case] status: u16,
    #[case] allow: Option<&str>,
) {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app.req(method, path).send();
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    assert_eq!(r.header("allow"), allow, "{method} {path}");
    if status == 405 && method != "HEAD" {
        r.assert_error(405, "VALIDATION_ERROR");
    }
    if method == "HEAD" && status == 200 {
        assert!(r.text.is_empty(), "a HEAD answer has no body");
    }
}

#[rstest]
fn every_answer_says_nosniff(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let Some(app) = TestApp::start(backend) else { return };
    for r in [
        app.get("/api/v1/contacts").send(),
        app.get("/api/v1/contacts").no_key().send(),
        app.get("/api/v1/nope").send(),
        app.get("/healthz").send(),
        app.get("/readyz").send(),
        app.get("/api/v1/openapi.json").send(),
        app.get("/docs/").send(),
        app.post("/api/v1/contacts", json!({"first_name": "N"})).send(),
    ] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{}", r.status);
    }
}

#[test]
fn a_json_body_in_another_charset_is_415() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    for ct in [
        "application/json; charset=latin1",
        "application/json;charset=\"ISO-8859-1\"",
    ] {
        let r = app
            .req("POST", "/api/v1/contacts")
            .raw(br#"{"first_name": "J"}"#.to_vec(), Some(ct))
            .send();
        r.assert_error(415, "VALIDATION_ERROR");
    }
    for ct in ["application/json; charset=utf-8", "application/json; charset=\"UTF-8\""] {
        let r = app
            .req("POST", "/api/v1/contacts")
            .raw(br#"{"first_name": "J"}"#.to_vec(), Some(ct))
            .send();
        assert_eq!(r.status, 201, "{ct}");
    }
}

#[test]
fn the_openapi_document_takes_no_query_parameters() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let r = app.get("/api/v1/openapi.json?x=1").no_key().send();
    r.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(r.fields(), ["x"]);
}

#[test]
fn the_docs_page_is_titled_moss_api_and_its_assets_are_cached_and_compressed() {
    let Some(app) = TestApp::start(SQLITE) else { return };
    let page = app.get("/docs/").no_key().send();
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<title>Moss API</title>"), "{}", page.text);
    let bundle = app.get("/docs/swagger-ui-bundle.js").no_key().send();
    assert_eq!(bundle.status, 200);
    assert_eq!(bundle.header("cache-control"), Some("public, max-age=86400"));
    let etag = bundle.header("etag").expect("an ETag").to_owned();
    let again = app
        .get("/docs/swagger-ui-bundle.js")
        .no_key()
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(again.status, 304);
    // Compressed when the client accepts it (read raw: the client would inflate it).
    let request =
        "GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    let raw = app.raw(request.as_bytes());
    let head = &raw[..raw.find("\r\n\r\n").unwrap()].to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let missing = app.get("/docs/nope.js").no_key().send();
    missing.assert_error(404, "NOT_FOUND");
}
