//! The front door: what happens on a connection before a request reaches the app, so that
//! every answer, even to a request too broken to route, is in the envelope (contract.md,
//! Errors).
//!
//! actix answers malformed or oversized request heads itself, with a bare status and no body.
//! [`Guarded`] wraps each connection and reads ahead of actix with a second instance of actix's
//! own HTTP/1 decoder, so both see the same requests the same way. When a request head is
//! malformed (400), its URL longer than [`MAX_URL_BYTES`] (414), the head longer than
//! [`MAX_HEAD_BYTES`] (431), or it does not arrive within the client timeout (408), actix is
//! given only the bytes before that request and then the end of the stream: it finishes the
//! requests before it and closes the connection, and [`Guarded`] writes the enveloped answer
//! just before the socket is shut down. A body whose framing breaks (chunked encoding) ends
//! there for actix too, and the route's body reader answers it.
//!
//! `Expect: 100-continue` is answered by [`expect`]: a request the API would refuse with 401
//! (no key, two keys, a malformed, unknown, revoked or expired one) or 413 (a declared body over
//! the limit) gets that answer instead of `100 Continue`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_codec::{AsyncRead, AsyncWrite, Decoder, ReadBuf};
use actix_http::body::BoxBody;
use actix_http::error::ParseError;
use actix_http::h1::{Codec, Message, MessageType};
use actix_http::{HttpService, Request, Response};
use actix_server::Server;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::{AppConfig, ResourceDef};
use actix_web::http::header::{CONTENT_LENGTH, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::BytesMut;
use actix_web::{HttpMessage, ResponseError, rt::net::TcpStream};
use moss_domain::key::KeySecret;
use moss_domain::key::service::authenticate;

use crate::auth::{API_KEY, blocking};
use crate::error::ApiError;
use crate::middleware::{REQUEST_ID, RequestId};
use crate::routes::{PREFIX, endpoints};
use crate::{AppState, MAX_BODY_BYTES};

/// Longest request target (path and query) accepted: 8 KiB (414 past it).
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Longest request head (request line and headers) accepted: 32 KiB (431 past it).
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// How the HTTP server handles connections.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive: Duration,
    /// How long a client may take to send a request's head (408 past it).
    pub client_timeout: Duration,
    /// How long in-flight requests may run after the server is told to stop.
    pub shutdown_timeout: Duration,
}

/// The HTTP server over `listener`: every connection [`Guarded`], `Expect` answered by
/// [`expect`], requests served by [`crate::app`]. Signals are left to the caller.
pub fn server(listener: std::net::TcpListener, state: AppState, settings: ConnectionSettings) -> io::Result<Server> {
    let addr = listener.local_addr()?;
    let mut builder = Server::build()
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout.as_secs());
    if settings.workers > 0 {
        builder = builder.workers(settings.workers);
    }
    let shutdown = builder.graceful_shutdown_signal();
    let routes = Arc::new(KeyedRoutes::new());
    builder
        .listen("moss", listener, move || {
            let shutdown = shutdown.clone();
            let head_timeout = settings.client_timeout;
            let app = crate::app(state.clone())
                .into_factory()
                .map_err(|e: actix_web::Error| e.error_response());
            let http = HttpService::build()
                .keep_alive(settings.keep_alive)
                // Heads are timed by `Guarded`, which answers 408 in the envelope.
                .client_request_timeout(Duration::ZERO)
                .client_disconnect_timeout(Duration::from_secs(1))
                .h1_allow_half_closed(true)
                .local_addr(addr)
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                .expect(expect(state.clone(), routes.clone()))
                .h1(map_config(app, |()| AppConfig::default()));
            fn_service(move |io: TcpStream| {
                let peer = io.peer_addr().ok();
                let _ = io.set_nodelay(true);
                std::future::ready(Ok((Guarded::new(io, head_timeout), peer)))
            })
            .and_then(http)
        })
        .map(actix_server::ServerBuilder::run)
}

/// A connection, read ahead of actix to answer broken request heads in the envelope.
pub struct Guarded {
    io: TcpStream,
    shadow: Shadow,
    /// Bytes given to actix so far.
    passed: u64,
    /// Once a request is refused here: the offset of its first byte; actix gets nothing from it on.
    cut_at: Option<u64>,
    /// The answer to write just before the connection is shut down, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
    head_timeout: Duration,
    /// When the head being received must be complete.
    head_deadline: Option<Pin<Box<actix_web::rt::time::Sleep>>>,
}

impl std::fmt::Debug for Guarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("passed", &self.passed)
            .field("cut_at", &self.cut_at)
            .finish_non_exhaustive()
    }
}

impl Guarded {
    /// Wraps a new connection; the first head must arrive within `head_timeout`.
    pub fn new(io: TcpStream, head_timeout: Duration) -> Self {
        Self {
            io,
            shadow: Shadow::new(),
            passed: 0,
            cut_at: None,
            pending: None,
            head_timeout,
            head_deadline: Some(Box::pin(actix_web::rt::time::sleep(head_timeout))),
        }
    }

    /// Refuses the request starting at `at`: nothing from it on reaches actix, and `answer` is
    /// written before the connection closes.
    fn cut(&mut self, at: u64, answer: Option<ApiError>) {
        self.cut_at = Some(at);
        self.head_deadline = None;
        self.pending = answer.map(|e| (answer_bytes(&e), 0));
    }

    /// Keeps the head timer running exactly while a head is awaited: from the connection's
    /// start until its first head, and from the first byte of each later head until it is whole.
    fn time_heads(&mut self) {
        if self.shadow.awaiting_head() {
            if self.head_deadline.is_none() {
                self.head_deadline = Some(Box::pin(actix_web::rt::time::sleep(self.head_timeout)));
            }
        } else {
            self.head_deadline = None;
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.cut_at.is_some() {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = &buf.filled()[before..];
                if fresh.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                let n = fresh.len() as u64;
                if let Some((at, answer)) = this.shadow.feed(fresh) {
                    // Only the bytes before the refused request reach actix (it may already hold
                    // the start of that request's head, which it drops at the end of the stream).
                    let allowed = at.saturating_sub(this.passed).min(n);
                    buf.set_filled(before + usize::try_from(allowed).unwrap_or(0));
                    this.passed += allowed;
                    this.cut(at, answer);
                    return Poll::Ready(Ok(()));
                }
                this.passed += n;
                this.time_heads();
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if let Some(deadline) = this.head_deadline.as_mut()
                    && deadline.as_mut().poll(cx).is_ready()
                {
                    let at = this.shadow.undecoded_start();
                    this.cut(
                        at,
                        Some(ApiError::with_status(
                            StatusCode::REQUEST_TIMEOUT,
                            "request",
                            format!(
                                "The request head did not arrive within {} seconds.",
                                this.head_timeout.as_secs()
                            ),
                        )),
                    );
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// Writes the answer to a refused request (after everything actix wrote), then shuts down.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while let Some((bytes, written)) = this.pending.as_mut() {
            if *written >= bytes.len() {
                this.pending = None;
                break;
            }
            match Pin::new(&mut this.io).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(n)) if n > 0 => *written += n,
                // The client is gone: nothing more can be said.
                Poll::Ready(_) => this.pending = None,
                Poll::Pending => return Poll::Pending,
            }
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // actix may drop a connection without shutting it down; the answer is small enough for
        // the socket's buffer.
        if let Some((bytes, written)) = &self.pending {
            let _ = self.io.try_write(&bytes[*written..]);
        }
    }
}

/// A second HTTP/1 decoder over the same bytes actix reads.
struct Shadow {
    codec: Codec,
    buf: BytesMut,
    /// Bytes fed so far.
    fed: u64,
    /// Whether a request's body is being received.
    in_body: bool,
    /// Whole request heads seen.
    heads: u64,
}

impl Shadow {
    fn new() -> Self {
        Self {
            codec: Codec::default(),
            buf: BytesMut::new(),
            fed: 0,
            in_body: false,
            heads: 0,
        }
    }

    /// The offset of the first byte not yet decoded (the start of the head being received).
    fn undecoded_start(&self) -> u64 {
        self.fed - self.buf.len() as u64
    }

    /// Whether a head is awaited: the first one, or a later one that has begun.
    fn awaiting_head(&self) -> bool {
        !self.in_body && (self.heads == 0 || !self.buf.is_empty())
    }

    /// Decodes what `bytes` completes. `Some((offset, answer))` when the request starting at
    /// `offset` must not reach actix: `answer` is what to say (none for a broken body, which the
    /// route's body reader answers when its stream ends).
    fn feed(&mut self, bytes: &[u8]) -> Option<(u64, Option<ApiError>)> {
        self.buf.extend_from_slice(bytes);
        self.fed += bytes.len() as u64;
        loop {
            let start = self.undecoded_start();
            match self.codec.decode(&mut self.buf) {
                Ok(Some(Message::Item(req))) => {
                    self.heads += 1;
                    let head_len = self.undecoded_start() - start;
                    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
                    if target > MAX_URL_BYTES {
                        return Some((start, Some(url_too_long())));
                    }
                    if head_len > MAX_HEAD_BYTES as u64 {
                        return Some((start, Some(head_too_large())));
                    }
                    self.in_body = self.codec.message_type() != MessageType::None;
                }
                Ok(Some(Message::Chunk(Some(_)))) => {}
                Ok(Some(Message::Chunk(None))) => self.in_body = false,
                Ok(None) if self.in_body => return None,
                Ok(None) => return head_problem(&self.buf, false).map(|e| (start, Some(e))),
                Err(_) if self.in_body => return Some((start, None)),
                Err(e) => {
                    let answer = head_problem(&self.buf, true).unwrap_or_else(|| malformed(&e));
                    return Some((start, Some(answer)));
                }
            }
        }
    }
}

/// What is wrong with a head that is incomplete (or could not be parsed) by its size alone:
/// a request line whose target is over [`MAX_URL_BYTES`], or more than [`MAX_HEAD_BYTES`]
/// without the end of the head.
fn head_problem(head: &[u8], complete: bool) -> Option<ApiError> {
    let line_end = head.iter().position(|&b| b == b'\n');
    let line = &head[..line_end.unwrap_or(head.len())];
    let mut parts = line.split(|&b| b == b' ');
    let target = parts.nth(1).map_or(0, <[u8]>::len);
    // A method and a version take a few bytes; a line that long without its end has a long target.
    let unfinished_line = line_end.is_none() && line.len() > MAX_URL_BYTES + 32;
    if target > MAX_URL_BYTES || unfinished_line {
        return Some(url_too_long());
    }
    if !complete && head.len() > MAX_HEAD_BYTES {
        return Some(head_too_large());
    }
    None
}

fn url_too_long() -> ApiError {
    ApiError::with_status(
        StatusCode::URI_TOO_LONG,
        "url",
        format!("The URL (path and query) is longer than {MAX_URL_BYTES} bytes."),
    )
}

fn head_too_large() -> ApiError {
    ApiError::with_status(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers",
        format!("The request head (request line and headers) is larger than {MAX_HEAD_BYTES} bytes."),
    )
}

/// A head that is not valid HTTP/1.1, in our words.
fn malformed(e: &ParseError) -> ApiError {
    if matches!(e, ParseError::TooLarge) {
        return ApiError::with_status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers",
            "The request has too many headers.",
        );
    }
    let what = match e {
        ParseError::Method => "its method is not a valid HTTP method",
        ParseError::Uri(_) => "its URL is not valid",
        ParseError::Version => "its HTTP version is not supported",
        ParseError::Header => {
            "a header is malformed, repeated where it may not be (Host, Content-Length, \
             Transfer-Encoding), missing (Host) or in conflict (Content-Length with Transfer-Encoding)"
        }
        _ => "it is not valid HTTP/1.1",
    };
    ApiError::field("request", format!("The request cannot be read: {what}"))
}

/// The bytes of a whole HTTP/1.1 answer in the envelope, closing the connection.
fn answer_bytes(e: &ApiError) -> Vec<u8> {
    let request_id = RequestId::generate().0;
    let body = serde_json::to_vec(&e.body(&request_id)).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\nx-request-id: {request_id}\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n",
        e.status.as_u16(),
        e.status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The API's routes (they all need a key), to tell which `Expect` requests to check.
struct KeyedRoutes(Vec<(Method, ResourceDef)>);

impl KeyedRoutes {
    fn new() -> Self {
        Self(
            endpoints()
                .into_iter()
                .map(|e| (e.method, ResourceDef::new(format!("{PREFIX}{}", e.path))))
                .collect(),
        )
    }

    fn contains(&self, method: &Method, path: &str) -> bool {
        self.0.iter().any(|(m, def)| m == method && def.is_match(path))
    }
}

/// A refusal of an `Expect: 100-continue` request, answered instead of `100 Continue`.
#[derive(Debug)]
pub struct Refusal(Response<BoxBody>);

impl From<Refusal> for Response<BoxBody> {
    fn from(r: Refusal) -> Self {
        r.0
    }
}

/// The `Expect: 100-continue` check: a request to an API route that would be refused for its
/// key (401, or 429 once its address failed too often) or its declared size (413) is answered
/// now, before its body is sent; everything else continues.
fn expect(
    state: AppState,
    routes: Arc<KeyedRoutes>,
) -> impl actix_service::ServiceFactory<Request, Config = (), Response = Request, Error = Refusal, InitError = ()> {
    fn_service(move |req: Request| {
        let state = state.clone();
        let routes = routes.clone();
        async move {
            match refusal(&req, &state, &routes).await {
                None => Ok(req),
                Some(e) => {
                    let request_id = RequestId::from_header(req.headers().get(REQUEST_ID)).0;
                    let mut res = e.with_request_id(&request_id).error_response();
                    res.head_mut().set_connection_type(actix_http::ConnectionType::Close);
                    Err(Refusal(res.into()))
                }
            }
        }
    })
}

async fn refusal(req: &Request, state: &AppState, routes: &KeyedRoutes) -> Option<ApiError> {
    if !routes.contains(req.method(), req.path()) {
        return None;
    }
    let ip = req.peer_addr().and_then(|peer| {
        state.trusted_proxies.resolve(
            peer.ip(),
            req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()),
        )
    });
    let unauthorized = || match state.limits.check_auth_failure(ip) {
        Ok(()) => ApiError::unauthorized(),
        Err(too_many) => too_many,
    };
    let mut sent = req.headers().get_all(API_KEY);
    let key = match (sent.next(), sent.next()) {
        (Some(v), None) => v.to_str().ok().filter(|k| KeySecret::parse(k).is_some()),
        _ => None,
    };
    let Some(key) = key.map(str::to_owned) else {
        return Some(unauthorized());
    };
    // One trip to the database; when it cannot be made, the route itself answers.
    let known = blocking(state, move |store| store.read(|tx| authenticate(tx, &key).map(|_| ()))).await;
    if known.as_ref().is_err_and(|e| e.code == "UNAUTHORIZED") {
        return Some(unauthorized());
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Some(ApiError::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    None
}
