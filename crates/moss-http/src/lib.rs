//! Moss's HTTP adapter: the domain's use cases as actix-web routes, in the JSON envelope of
//! the Moss API (`/api/v1`).
//!
//! Error policy: handlers return [`ApiError`]; domain errors map to the seven published codes
//! with one exhaustive `match` ([`error`]); framework errors (bad JSON, unknown routes, wrong
//! methods, oversized bodies) are rewritten into the same envelope by the request-id
//! middleware, which also adds the request id to every error body. A 500 says only
//! "internal error"; its cause goes to the log.

pub mod auth;
pub mod client_ip;
pub mod db;
pub mod docs_page;
pub mod dto;
pub mod error;
pub mod front;
pub mod input;
pub mod middleware;
pub mod mutation;
pub mod openapi;
#[cfg(test)]
mod properties;
pub mod ratelimit;
pub mod render;
pub mod respond;
pub mod routes;
pub mod wire;

use std::sync::Arc;

use actix_web::web;
use moss_domain::Store;

pub use error::ApiError;
pub use routes::{Endpoint, endpoints};

/// Largest request body accepted (256 KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Shared state of every worker.
#[derive(Clone)]
pub struct AppState {
    /// The storage port.
    pub store: Arc<dyn Store>,
    /// How long an Idempotency-Key's record is kept (at least 24 hours).
    pub idempotency_ttl: chrono::TimeDelta,
    /// This process's rate limiters.
    pub limits: Arc<ratelimit::RateLimits>,
    /// Longest a request may take before it is answered 503 (`MOSS_REQUEST_TIMEOUT`).
    pub request_timeout: std::time::Duration,
    /// Longest a request's body may take to arrive before it is answered 408
    /// (`MOSS_BODY_TIMEOUT`).
    pub body_timeout: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` is believed (`MOSS_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<client_ip::TrustedProxies>,
    /// The threads that run database work, one per pooled connection (`MOSS_DB_POOL_SIZE`);
    /// a request waits at most `MOSS_DB_TIMEOUT` for one.
    pub db: db::DbThreads,
    /// Renders the records a change leaves ([`render::JsonRenderer`]).
    pub renderer: Arc<dyn moss_domain::record::Renderer>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a store, keeping idempotency records for 24 hours.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            idempotency_ttl: moss_domain::idempotency::MIN_RETENTION,
            limits: Arc::new(ratelimit::RateLimits::new(ratelimit::RateLimitSettings::default())),
            request_timeout: std::time::Duration::from_secs(30),
            body_timeout: std::time::Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            trusted_proxies: Arc::default(),
            db: db::DbThreads::new(DEFAULT_DB_THREADS, std::time::Duration::from_secs(5)),
            renderer: render::renderer(),
        }
    }
}

/// Seconds a body may take to arrive by default (`MOSS_BODY_TIMEOUT`).
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 15;

/// Database threads of an [`AppState::new`] (the default pool size).
pub const DEFAULT_DB_THREADS: usize = 10;

/// Registers every route, the middleware and the error handlers on an actix `App`.
/// The binary and the integration tests both build their server with this function.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::field("query", e.to_string()).into()))
            .app_data(
                web::PathConfig::default().error_handler(|_, _| ApiError::not_found("Resource not found.").into()),
            );
        routes::register(cfg);
        openapi::register(cfg);
    }
}

/// Builds the whole application: routes, middleware and the JSON 404 for unknown paths.
pub fn app(
    state: AppState,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .configure(configure(state))
        .default_service(web::to(routes::not_found))
        .wrap(actix_web::middleware::from_fn(middleware::envelope))
}
