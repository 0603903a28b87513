//! `TestApp`: the real server (same start-up path as `moss serve`) on port 0 over a fresh
//! database, and a small HTTP client that returns status, headers and the parsed body.

use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use moss::server::{self, ServerSettings};
use moss_domain::id::WorkspaceId;
use moss_domain::key::NewKey;
use moss_domain::key::service::create_key;
use moss_domain::store::RequestContext;
use moss_domain::workspace::NewMember;
use moss_domain::workspace::service::{add_member, create_workspace};
use moss_domain::{Actor, Role, Store};
use moss_store_diesel::testing::TestDatabase;
use moss_store_diesel::{Backend, DieselStore};
use serde_json::Value;

pub use serde_json::json;

/// Both backends, for `#[values(...)]`.
pub const SQLITE: Backend = Backend::Sqlite;
/// Postgres.
pub const POSTGRES: Backend = Backend::Postgres;

/// A running server over its own database, with one workspace ("acme") and its owner key.
pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    /// The same store, for test-only fault injection.
    pub diesel: Arc<DieselStore>,
    pub workspace_id: WorkspaceId,
    pub owner_key: String,
    handle: actix_web::dev::ServerHandle,
    agent: ureq::Agent,
    _db: TestDatabase,
}

fn system(ws: WorkspaceId) -> RequestContext {
    RequestContext {
        actor: Actor::system(ws),
        request_id: "test-setup".into(),
        ip: None,
        renderer: moss_http::render::renderer(),
    }
}

/// Builds the store a test server uses from its test database.
pub type MakeStore = Box<dyn FnOnce(&TestDatabase) -> DieselStore>;

/// How a test server differs from the default one.
pub struct Options {
    /// Server settings (tests default to one worker and no per-IP auth-failure limit).
    pub settings: ServerSettings,
    /// Builds the store the server uses (default: a small pool on the test database).
    pub store: Option<MakeStore>,
}

impl Default for Options {
    fn default() -> Self {
        let mut settings = ServerSettings {
            workers: 1,
            shutdown_timeout: Duration::from_secs(1),
            ..ServerSettings::default()
        };
        // Many tests send bad keys on purpose; the per-IP limit has tests of its own.
        settings.rate_limits.auth_failure_rps = 100_000;
        settings.handle_signals = false;
        Self { settings, store: None }
    }
}

impl TestApp {
    /// Starts the app; `None` when the backend is Postgres and none is available.
    pub fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, Options::default())
    }

    /// Starts the app with other settings.
    pub fn start_with(backend: Backend, options: Options) -> Option<Self> {
        let db = TestDatabase::new(backend)?;
        let setup = db.store();
        let diesel = Arc::new(match options.store {
            Some(make) => make(&db),
            None => db.store(),
        });
        let store: Arc<dyn Store> = diesel.clone();
        let (workspace_id, owner_key) = new_workspace(&setup, "Acme", "acme");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        let server_store = store.clone();
        std::thread::spawn(move || {
            let sys = actix_web::rt::System::new();
            sys.block_on(async move {
                let settings = options.settings;
                let srv = server::build(listener, server_store, settings).expect("server");
                tx.send(srv.handle()).expect("send handle");
                srv.await
            })
        });
        let handle = rx.recv().expect("server handle");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Some(Self {
            base,
            store,
            diesel,
            workspace_id,
            owner_key,
            handle,
            agent,
            _db: db,
        })
    }

    /// Another workspace in the same database; returns its owner key.
    pub fn other_workspace(&self, slug: &str) -> String {
        new_workspace(&*self.store, "Other", slug).1
    }

    /// A key in the main workspace for a new member with `role`, with `scope` (`full`/`read_only`).
    pub fn key(&self, role: Role, scope: &str) -> String {
        let ws = self.workspace_id;
        let email = format!("{}-{}@example.com", role.as_str(), moss_domain::id::KeyId::generate());
        let member = self
            .store
            .mutate(&system(ws), move |tx, actor| {
                add_member(
                    tx,
                    actor,
                    NewMember {
                        email,
                        name: None,
                        role,
                    },
                )
            })
            .expect("member");
        let input = NewKey::parse("test", Some(scope), None, moss_domain::time::now()).expect("key input");
        let created = self
            .store
            .mutate(&system(ws), move |tx, actor| {
                create_key(tx, actor, input, Some(member.id))
            })
            .expect("key");
        created.secret.expose().to_owned()
    }

    pub fn req(&self, method: &str, path: &str) -> Req<'_> {
        Req {
            app: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: vec![("X-API-Key".into(), self.owner_key.clone())],
            body: None,
        }
    }
    pub fn get(&self, path: &str) -> Req<'_> {
        self.req("GET", path)
    }
    pub fn post(&self, path: &str, body: Value) -> Req<'_> {
        self.req("POST", path).json(body)
    }
    pub fn patch(&self, path: &str, body: Value) -> Req<'_> {
        self.req("PATCH", path).json(body)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req("DELETE", path)
    }

    /// Sends `bytes` as they are on a new connection and returns everything the server wrote
    /// before it closed the connection (or 10 seconds passed).
    pub fn raw(&self, bytes: &[u8]) -> String {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        // The server may close before it has read everything sent; that is part of what is tested.
        let _ = s.write_all(bytes);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The ids of the list at `path_and_query`, asserting a 200 and that `total` counts them all.
    #[track_caller]
    pub fn list_ids(&self, path_and_query: &str) -> Vec<String> {
        let r = self.get(path_and_query).send();
        assert_eq!(r.status, 200, "{path_and_query}: {}", r.text);
        let ids = r.ids();
        assert_eq!(r.body["meta"]["total"], ids.len(), "{path_and_query}: {}", r.text);
        ids
    }

    /// The audit entries matching `query` (at most 250), newest first.
    #[track_caller]
    pub fn audit(&self, query: &str) -> Vec<Value> {
        let r = self.get(&format!("/api/v1/audit-logs?per_page=250&{query}")).send();
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        r.body["data"].as_array().expect("a list").clone()
    }

    /// Creates a contact and returns its body's `data`.
    pub fn contact(&self, body: Value) -> Value {
        let r = self.post("/api/v1/contacts", body).send();
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["data"].clone()
    }

    /// Creates a deal and returns its body's `data`.
    pub fn deal(&self, body: Value) -> Value {
        let r = self.post("/api/v1/deals", body).send();
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["data"].clone()
    }

    /// Creates a company and returns its body's `data`.
    pub fn company(&self, body: Value) -> Value {
        let r = self.post("/api/v1/companies", body).send();
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["data"].clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
    }
}

fn new_workspace(store: &dyn Store, name: &str, slug: &str) -> (WorkspaceId, String) {
    let (name, slug) = (name.to_owned(), slug.to_owned());
    let created = store
        .mutate(&system(WorkspaceId::generate()), move |tx, _| {
            create_workspace(tx, &name, &slug, "owner@example.com")
        })
        .expect("workspace");
    (created.workspace.id, created.secret.expose().to_owned())
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Req<'_> {
    /// Uses this key instead of the owner's.
    pub fn key(mut self, key: &str) -> Self {
        self.headers.retain(|(n, _)| n != "X-API-Key");
        self.headers.push(("X-API-Key".into(), key.to_owned()));
        self
    }
    /// Sends no key.
    pub fn no_key(mut self) -> Self {
        self.headers.retain(|(n, _)| n != "X-API-Key");
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn json(self, body: Value) -> Self {
        self.raw(body.to_string().into_bytes(), Some("application/json"))
    }
    /// A raw body with an optional content type.
    pub fn raw(mut self, body: Vec<u8>, content_type: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        if let Some(ct) = content_type {
            self.headers.push(("Content-Type".into(), ct.to_owned()));
        }
        self.body = Some(body);
        self
    }
    pub fn send(self) -> Resp {
        let url = format!("{}{}", self.app.base, self.path);
        let mut b = ureq::http::Request::builder().method(self.method.as_str()).uri(&url);
        for (n, v) in &self.headers {
            b = b.header(n.as_str(), v.as_str());
        }
        let req = b.body(self.body.unwrap_or_default()).expect("request");
        let mut res = self.app.agent.run(req).expect("transport");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }
}

/// A response: status, headers and the parsed JSON body.
pub struct Resp {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error envelope: status, code, and (for validation) the fields named, in order.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["error"]["code"], code, "{}", self.text);
        assert!(
            self.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.text
        );
        assert_eq!(
            self.body["error"]["request_id"].as_str(),
            self.header("x-request-id"),
            "{}",
            self.text
        );
        if code != "VALIDATION_ERROR" {
            assert!(
                self.body["error"].get("details").is_none(),
                "details only on validation: {}",
                self.text
            );
        }
        self
    }

    /// The fields named in a validation error's details.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| d.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }

    /// The ids in a list's data, in order.
    pub fn ids(&self) -> Vec<String> {
        self.body["data"]
            .as_array()
            .map(|d| d.iter().map(|e| e["id"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }
}
