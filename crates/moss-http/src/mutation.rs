//! [`Mutation`]: the one way a route changes data. It authenticates and authorizes the caller,
//! reads the body, checks the `Idempotency-Key`, and runs the use case through the store's
//! `answer` unit of work, so every mutating route gets its audit entry and idempotency by
//! construction: the change, the audit entry, the key's claim and the answer commit together.

use std::marker::PhantomData;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use moss_domain::idempotency::{Claim, Fingerprint, IdempotencyKey, Rendered, StoredResponse};
use moss_domain::store::{Answer, Applied, Change, Tx};
use moss_domain::{Actor, DomainError};

use crate::auth::{Access, Admitted, Caller, blocking};
use crate::error::ApiError;
use crate::input::{self, Body, Query};

/// The request header naming an idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header marking a replay.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The query parameters a mutating route takes (most take none: [`NoQuery`]).
pub trait QueryNames {
    /// Their names; each keeps NUL (their parsers refuse it).
    const NAMES: &'static [&'static str];
}

/// No query parameter: any is a 400.
#[derive(Debug)]
pub struct NoQuery;

impl QueryNames for NoQuery {
    const NAMES: &'static [&'static str] = &[];
}

/// A mutating request by a caller holding permission `P`, with its body read; `Q` names the
/// query parameters it may carry.
#[derive(Debug)]
pub struct Mutation<P, Q = NoQuery> {
    caller: Admitted,
    _access: PhantomData<(P, Q)>,
    req: HttpRequest,
    body: web::Bytes,
    claim: Option<Claim>,
}

impl<P: Access + 'static, Q: QueryNames + 'static> FromRequest for Mutation<P, Q> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::<P>::from_request(req, payload);
        let payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            // Check order: authentication and permission, then input (body, query, header).
            let caller = caller.await?.admit().await?;
            let body = input::read_body(&req, payload, caller.state().body_timeout).await?;
            Query::parse_strict(&req, Q::NAMES, Q::NAMES)?.finish(Some(()))?;
            let mut sent = req.headers().get_all(IDEMPOTENCY_KEY);
            let claim = match (sent.next(), sent.next()) {
                (None, _) => None,
                (Some(_), Some(_)) => {
                    return Err(ApiError::field("Idempotency-Key", "must be sent at most once"));
                }
                (Some(raw), None) => {
                    let key = raw
                        .to_str()
                        .map_err(|_| ApiError::field("Idempotency-Key", "must be 1 to 255 printable ASCII characters"))
                        .and_then(|s| IdempotencyKey::parse(s).map_err(|e| ApiError::validation(vec![e])))?;
                    let api_key = caller
                        .actor()
                        .key_id
                        .ok_or_else(|| ApiError::internal("API caller without a key"))?;
                    let ttl = caller.state().idempotency_ttl;
                    Some(Claim {
                        api_key,
                        key,
                        fingerprint: Fingerprint::of(req.method().as_str(), req.path(), req.query_string(), &body),
                        expires_at: moss_domain::time::now() + ttl,
                    })
                }
            };
            Ok(Self {
                caller,
                _access: PhantomData,
                req,
                body,
                claim,
            })
        })
    }
}

impl<P, Q: QueryNames> Mutation<P, Q> {
    /// The query parameters (only the names of `Q`, checked when the request was read).
    pub fn query(&self) -> Result<Query, ApiError> {
        Query::parse_strict(&self.req, Q::NAMES, Q::NAMES)
    }
}

impl<P, Q> Mutation<P, Q> {
    /// Whether the request came without a body (a route whose body is optional).
    pub fn body_is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The body as a JSON object (415 for another content type, 400 when unreadable).
    pub fn json(&self) -> Result<Body, ApiError> {
        input::json_object(&self.req, &self.body)
    }

    /// Runs the use case and answers: `render` turns its value into the success answer.
    /// A 404 or 409 from the use case is answered in the envelope (and kept for replays when an
    /// Idempotency-Key was sent); other errors roll everything back.
    pub async fn run<T: Send + 'static>(
        self,
        op: impl FnOnce(&mut dyn Tx, &Actor) -> Result<Change<T>, DomainError> + Send + 'static,
        render: impl Fn(&T) -> Rendered + Send + 'static,
    ) -> Result<HttpResponse, ApiError> {
        self.run_applied(op, move |applied| render(&applied.value)).await
    }

    /// As [`Mutation::run`], with `render` given the snapshots the change rendered too (a
    /// one-record change answers with its record's snapshot).
    pub async fn run_applied<T: Send + 'static>(
        self,
        op: impl FnOnce(&mut dyn Tx, &Actor) -> Result<Change<T>, DomainError> + Send + 'static,
        render: impl Fn(&Applied<T>) -> Rendered + Send + 'static,
    ) -> Result<HttpResponse, ApiError> {
        let ctx = self.caller.ctx.clone();
        let claim = self.claim;
        let request_id = ctx.request_id.clone();
        let answer = blocking(self.caller.state(), move |store| {
            store.answer(&ctx, claim.as_ref(), op, |outcome| match outcome {
                Ok(applied) => render(applied),
                Err(e) => Rendered::same(error_answer(e, &request_id)),
            })
        })
        .await?;
        Ok(send(answer))
    }
}

/// A domain error rendered as the envelope the client gets.
fn error_answer(e: &DomainError, request_id: &str) -> StoredResponse {
    let api = ApiError::from(e.clone());
    StoredResponse {
        status: api.status.as_u16(),
        location: None,
        body: serde_json::to_vec(&api.body(request_id)).unwrap_or_default(),
    }
}

/// Sends an answer exactly as rendered (or as stored, for a replay).
fn send(answer: Answer) -> HttpResponse {
    let (response, replayed) = match answer {
        Answer::Fresh(r) => (r, false),
        Answer::Replayed(r) => (r, true),
    };
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut b = HttpResponse::build(status);
    b.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
    if let Some(location) = response.location {
        b.insert_header((LOCATION, location));
    }
    if replayed {
        b.insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")));
    }
    b.body(response.body)
}
