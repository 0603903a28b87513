//! Starting the HTTP server: one path for the binary and the integration tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use moss_domain::Store;
use moss_domain::store::Mode;
use moss_http::AppState;
use moss_http::client_ip::TrustedProxies;
use moss_http::front::ConnectionSettings;
use moss_http::ratelimit::{RateLimitSettings, RateLimits};

/// How often expired idempotency records are purged (besides when their key is reused).
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Server settings from flags and environment.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// How long in-flight requests may run after SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
    /// How long idempotency records are kept (at least 24 hours).
    pub idempotency_ttl: Duration,
    /// Per-key and per-IP rate limits.
    pub rate_limits: RateLimitSettings,
    /// Longest a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Longest a request's body may take to arrive before it is answered 408.
    pub body_timeout: Duration,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive: Duration,
    /// How long a client may take to send a request's head (slow clients are cut off).
    pub client_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Stop gracefully on SIGTERM and SIGINT (off for servers embedded in tests).
    pub handle_signals: bool,
    /// Threads running database work: the pool's size (`MOSS_DB_POOL_SIZE`).
    pub db_threads: usize,
    /// How long a request waits for a database connection (`MOSS_DB_TIMEOUT`).
    pub db_timeout: Duration,
    /// How often the values of deleted custom-field definitions are reclaimed
    /// (`MOSS_RECLAIM_INTERVAL`).
    pub reclaim_every: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            workers: 0,
            shutdown_timeout: Duration::from_secs(30),
            idempotency_ttl: Duration::from_secs(86_400),
            rate_limits: RateLimitSettings::default(),
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(moss_http::DEFAULT_BODY_TIMEOUT_SECS),
            keep_alive: Duration::from_secs(5),
            client_timeout: Duration::from_secs(5),
            trusted_proxies: TrustedProxies::default(),
            handle_signals: true,
            db_threads: moss_http::DEFAULT_DB_THREADS,
            db_timeout: Duration::from_secs(5),
            reclaim_every: Duration::from_secs(5),
        }
    }
}

/// Builds the server on a bound listener (port 0 in tests) and starts the periodic cleanup.
/// Must be called inside an actix system; run the server by awaiting it.
pub fn build(listener: TcpListener, store: Arc<dyn Store>, settings: ServerSettings) -> std::io::Result<Server> {
    let ttl = chrono::TimeDelta::from_std(settings.idempotency_ttl)
        .unwrap_or(moss_domain::idempotency::MIN_RETENTION)
        .max(moss_domain::idempotency::MIN_RETENTION);
    let limits = Arc::new(RateLimits::new(settings.rate_limits));
    let state = AppState {
        store: store.clone(),
        idempotency_ttl: ttl,
        limits: limits.clone(),
        request_timeout: settings.request_timeout,
        body_timeout: settings.body_timeout,
        trusted_proxies: Arc::new(settings.trusted_proxies),
        db: moss_http::db::DbThreads::new(settings.db_threads, settings.db_timeout),
        renderer: moss_http::render::renderer(),
    };
    // actix stops gracefully on SIGTERM only (SIGINT drops in-flight requests); we handle both.
    let server = moss_http::front::server(
        listener,
        state,
        ConnectionSettings {
            workers: settings.workers,
            keep_alive: settings.keep_alive,
            client_timeout: settings.client_timeout,
            shutdown_timeout: settings.shutdown_timeout,
        },
    )?;
    actix_web::rt::spawn(reclaim_loop(store.clone(), settings.reclaim_every));
    actix_web::rt::spawn(cleanup_loop(store, limits));
    if settings.handle_signals {
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
    }
    Ok(server)
}

/// Resolves on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops gracefully");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Values of deleted custom-field definitions reclaimed per transaction.
const RECLAIM_BATCH: i64 = 10_000;

/// Every `every`, for as long as the server runs: deletes the stored values of deleted
/// custom-field definitions, [`RECLAIM_BATCH`] per transaction, until none is left. (Reads
/// stopped showing them when the definition was deleted.) Several instances may run it at once:
/// each batch deletes what is still there.
async fn reclaim_loop(store: Arc<dyn Store>, every: Duration) {
    let mut tick = actix_web::rt::time::interval_at(actix_web::rt::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        // A read first: a transaction only when there is something to reclaim.
        let check = store.clone();
        let pending = actix_web::web::block(move || {
            let mut pending = false;
            check
                .run(Mode::Read, &mut |tx| {
                    pending = tx.custom_fields().purge_pending()?;
                    Ok(())
                })
                .map(|()| pending)
        })
        .await;
        if !matches!(pending, Ok(Ok(true))) {
            continue;
        }
        loop {
            let store = store.clone();
            let reclaimed = actix_web::web::block(move || {
                let mut n = 0;
                store
                    .run(Mode::Write, &mut |tx| {
                        n = tx.custom_fields().purge(RECLAIM_BATCH)?;
                        Ok(())
                    })
                    .map(|()| n)
            })
            .await;
            match reclaimed {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => tracing::info!(reclaimed = n, "reclaimed values of deleted custom fields"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "reclaiming custom-field values failed");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reclaiming custom-field values failed");
                    break;
                }
            }
        }
    }
}

/// Every [`PURGE_EVERY`], for as long as the server runs: deletes expired idempotency records
/// and forgets rate-limit buckets that are full again.
async fn cleanup_loop(store: Arc<dyn Store>, limits: Arc<RateLimits>) {
    let start = actix_web::rt::time::Instant::now() + PURGE_EVERY;
    let mut every = actix_web::rt::time::interval_at(start, PURGE_EVERY);
    loop {
        every.tick().await;
        limits.retain_recent();
        let store = store.clone();
        let purged = actix_web::web::block(move || {
            let mut purged = 0;
            store
                .run(Mode::Write, &mut |tx| {
                    purged = tx.idempotency().purge_expired(moss_domain::time::now())?;
                    Ok(())
                })
                .map(|()| purged)
        })
        .await;
        match purged {
            Ok(Ok(n)) if n > 0 => tracing::info!(purged = n, "purged expired idempotency records"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "purging idempotency records failed"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency records failed"),
        }
    }
}
