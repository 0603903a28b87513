//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::AppState;
use crate::auth::blocking;
use crate::error::ApiError;

/// `GET /healthz`: the process is up (no database).
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": { "status": "ok" } }))
}

/// `GET /readyz`: the database answers; 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    blocking(&state, |store| store.ping()).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": { "status": "ready" } })))
}
