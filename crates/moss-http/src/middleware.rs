//! The outermost middleware: request id, access log, and the envelope for every error.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::FutureExt;
use moss_domain::id::RequestIdValue;
use tracing::Instrument;

use crate::error::ApiError;
use crate::ratelimit::RateHeaders;

/// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-09).
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The header carrying the request id both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id: the client's when acceptable, otherwise a generated `req_...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// Accepts 1-200 characters of `[A-Za-z0-9._:+/=-]`; anything else gets a fresh id.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|s| is_valid_request_id(s))
            .map_or_else(Self::generate, |s| Self(s.to_owned()))
    }

    /// A fresh `req_` TypeID.
    pub fn generate() -> Self {
        Self(RequestIdValue::generate().to_string())
    }

    /// The id stored on a request (set by the middleware), or a fresh one.
    pub fn of(req: &actix_web::HttpRequest) -> Self {
        req.extensions().get::<Self>().cloned().unwrap_or_else(Self::generate)
    }
}

/// Whether a client-sent request id is used as is.
pub fn is_valid_request_id(s: &str) -> bool {
    (1..=200).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:+/=-".contains(&b))
}

/// The middleware: `App::wrap(actix_web::middleware::from_fn(middleware::envelope))`.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = RequestId::from_header(req.headers().get(REQUEST_ID));
    req.extensions_mut().insert(request_id.clone());
    let method = req.method().clone();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id.0, %method, %path);
    let started = Instant::now();
    let timeout = req
        .app_data::<actix_web::web::Data<crate::AppState>>()
        .map_or(std::time::Duration::from_secs(30), |s| s.request_timeout);
    // Handlers' and extractors' errors arrive as responses carrying the error. A panic or an
    // overrun leaves no request to answer with, so they are answered by `ApiError` itself,
    // which then carries the request id.
    let call = std::panic::AssertUnwindSafe(next.call(req)).catch_unwind();
    let res = match actix_web::rt::time::timeout(timeout, call)
        .instrument(span.clone())
        .await
    {
        Ok(Ok(res)) => res?.map_into_boxed_body(),
        Ok(Err(_panic)) => {
            span.in_scope(|| tracing::error!("handler panicked"));
            return Err(ApiError::internal("handler panicked")
                .with_request_id(&request_id.0)
                .into());
        }
        Err(_elapsed) => {
            span.in_scope(|| tracing::warn!(timeout_s = timeout.as_secs(), "request timed out"));
            return Err(ApiError::timed_out().with_request_id(&request_id.0).into());
        }
    };
    let mut res = into_envelope(res, &request_id);
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id.0) {
        headers.insert(REQUEST_ID, v);
    }
    let rate = res.request().extensions().get::<RateHeaders>().cloned();
    let headers = res.headers_mut();
    if let Some(rate) = rate {
        for (name, value) in [(RATELIMIT_POLICY, rate.policy), (RATELIMIT, rate.limit)] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
    }
    if !path.starts_with("/docs") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if res.status() == StatusCode::REQUEST_TIMEOUT {
        // The rest of a slow body may still be arriving: the connection cannot be reused.
        res.response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    let status = res.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    Ok(res)
}

/// Rewrites any error answer (ours or the framework's) into the envelope with the request id.
fn into_envelope(res: ServiceResponse<BoxBody>, request_id: &RequestId) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let api = match res.response().error() {
        Some(err) => match err.as_error::<ApiError>() {
            Some(api) => api.clone(),
            None => from_framework(status, &err.to_string()),
        },
        None if status.is_client_error() || status.is_server_error() => {
            let is_json = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if is_json {
                return res;
            }
            from_framework(status, status.canonical_reason().unwrap_or("error"))
        }
        None => return res,
    };
    let mut b = HttpResponse::build(api.status);
    if let Some(allow) = &api.allow {
        b.insert_header((header::ALLOW, &**allow));
    }
    if let Some(secs) = api.retry_after {
        b.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    let body = b.json(api.body(&request_id.0));
    res.into_response(body.map_into_boxed_body())
}

/// The envelope for an error the framework produced.
fn from_framework(status: StatusCode, text: &str) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::with_status(
            status,
            "body",
            format!("The request body is larger than {} bytes.", crate::MAX_BODY_BYTES),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::with_status(
            status,
            "body",
            "The request body must be JSON (Content-Type: application/json).",
        ),
        StatusCode::NOT_FOUND => ApiError::not_found("Resource not found."),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::with_status(status, "method", "This method is not allowed here."),
        s if s.is_server_error() => ApiError::internal(text),
        _ => ApiError::field("body", text.to_owned()),
    }
}
