//! [`ApiError`]: every error answer, and the one mapping from domain errors.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use moss_domain::{DomainError, FieldError};

use crate::wire::{ErrorBody, ErrorEnvelope, FieldDetail, to_value};

/// Most field errors listed in one answer's `details` (contract.md, Errors): an answer stays
/// small whatever the body held.
pub const MAX_DETAILS: usize = 100;

/// An error answer in the envelope. The request id is added by the middleware.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// One of the seven codes.
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
    /// Field errors (VALIDATION_ERROR only).
    pub details: Option<Vec<FieldError>>,
    /// `Allow` header for 405.
    pub allow: Option<Box<str>>,
    /// `Retry-After` header (seconds).
    pub retry_after: Option<u64>,
    /// Set only when the error is answered outside the request-id middleware (a panic, a
    /// timeout): then the error renders its own request id and headers.
    pub request_id: Option<Box<str>>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            allow: None,
            retry_after: None,
            request_id: None,
        }
    }

    /// 400 with field errors: the first [`MAX_DETAILS`] of them, and their number in `message`.
    pub fn validation(mut details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("Invalid {}: {}.", one.field, one.message),
            many if many.len() > MAX_DETAILS => format!(
                "The request has {} invalid fields; the first {MAX_DETAILS} are listed.",
                many.len()
            ),
            many => format!("The request has {} invalid fields.", many.len()),
        };
        details.truncate(MAX_DETAILS);
        Self {
            details: Some(details),
            ..Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
        }
    }

    /// 400 about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// A non-400 status that HTTP names more truly, with code VALIDATION_ERROR (405, 413, 415).
    pub fn with_status(status: StatusCode, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let details = vec![FieldError::new(field, message.clone())];
        Self {
            details: Some(details),
            ..Self::new(status, "VALIDATION_ERROR", message)
        }
    }

    /// 401, the same for every authentication failure.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Missing or invalid API key.")
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// 405 with `Allow`.
    pub fn method_not_allowed(method: &str, allow: String) -> Self {
        let mut e = Self::with_status(
            StatusCode::METHOD_NOT_ALLOWED,
            "method",
            format!("Method {method} is not allowed here; allowed: {allow}."),
        );
        e.allow = Some(allow.into());
        e
    }

    /// 500; the cause is logged, never sent.
    pub fn internal(cause: &str) -> Self {
        tracing::error!(cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "internal error")
    }

    /// 503: the request ran longer than `MOSS_REQUEST_TIMEOUT`.
    pub fn timed_out() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "INTERNAL_ERROR",
            "The request took too long and was abandoned; retry shortly (with the same Idempotency-Key for a mutation).",
        );
        e.retry_after = Some(1);
        e
    }

    /// Marks the error to be rendered with this request id by itself.
    pub fn with_request_id(mut self, request_id: &str) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// 503: the database is unreachable or the pool is exhausted.
    pub fn unavailable(cause: &str) -> Self {
        tracing::warn!(cause, "database unavailable");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "INTERNAL_ERROR",
            "The service is temporarily unavailable; retry shortly.",
        );
        e.retry_after = Some(1);
        e
    }

    /// The JSON body, with the request id.
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        to_value(&ErrorEnvelope {
            error: ErrorBody {
                code: self.code.to_owned(),
                message: self.message.clone(),
                details: self.details.as_ref().map(|list| {
                    list.iter()
                        .map(|d| FieldDetail {
                            field: d.field.clone(),
                            message: d.message.clone(),
                        })
                        .collect()
                }),
                request_id: request_id.to_owned(),
            },
        })
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(details) => Self::validation(details),
            DomainError::Unauthorized => Self::unauthorized(),
            DomainError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", m),
            DomainError::NotFound(m) => Self::not_found(m),
            DomainError::Conflict(m) => Self::new(StatusCode::CONFLICT, "CONFLICT", m),
            DomainError::Unavailable(cause) => Self::unavailable(&cause),
            DomainError::Internal(cause) => Self::internal(&cause),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// Rendered without a request id; [`crate::middleware::envelope`] re-renders it.
    fn error_response(&self) -> HttpResponse {
        let mut b = HttpResponse::build(self.status);
        if let Some(id) = &self.request_id {
            b.insert_header((crate::middleware::REQUEST_ID, &**id));
            b.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
            b.insert_header((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
            if let Some(secs) = self.retry_after {
                b.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
            }
        }
        b.json(self.body(self.request_id.as_deref().unwrap_or("")))
    }
}
