//! Starting the HTTP server: one path for the binary and the integration tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use actix_web::dev::Server;
use moss_domain::Store;
use moss_http::AppState;

/// Server settings from flags and environment.
#[derive(Debug, Clone, Copy)]
pub struct ServerSettings {
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// How long in-flight requests may run after SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            workers: 0,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Builds the server on a bound listener (port 0 in tests). Run it by awaiting the result.
pub fn build(listener: TcpListener, store: Arc<dyn Store>, settings: ServerSettings) -> std::io::Result<Server> {
    let state = AppState::new(store);
    let mut server = HttpServer::new(move || moss_http::app(state.clone()))
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok(server.run())
}
