//! Success answers in the envelope.

use actix_web::HttpResponse;
use actix_web::http::header;
use moss_domain::Page;
use moss_domain::idempotency::{Rendered, StoredResponse};
use serde_json::{Value, json};

use crate::wire::{ListMeta, to_value};

/// 200 `{"data": data}`.
pub fn one(data: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": data }))
}

/// 201 `{"data": data}` with `Location` when the record has a GET route.
pub fn created(location: Option<String>, data: Value) -> HttpResponse {
    let mut b = HttpResponse::Created();
    if let Some(location) = location {
        b.insert_header((header::LOCATION, location));
    }
    b.json(json!({ "data": data }))
}

/// 200 `{"data": null}`.
pub fn deleted() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": null }))
}

/// 200 `{"data": [...], "meta": {page, per_page, total, total_pages}}`.
pub fn list<T>(page: Page<T>, page_no: u32, per_page: u32, render: impl Fn(&T) -> Value) -> HttpResponse {
    let total_pages = page.total_pages(per_page);
    let data: Vec<Value> = page.items.iter().map(render).collect();
    let meta = ListMeta {
        page: page_no,
        per_page,
        total: page.total,
        total_pages,
    };
    HttpResponse::Ok().json(json!({ "data": data, "meta": to_value(&meta) }))
}

/// The answer of a mutation: `{"data": data}` with a status and optional `Location`.
pub fn rendered(status: u16, location: Option<String>, data: Value) -> Rendered {
    Rendered::same(stored(status, location, data))
}

/// The answer of a mutation whose `data` is JSON already rendered (a record's snapshot).
pub fn rendered_json(status: u16, location: Option<String>, data: &str) -> Rendered {
    let mut body = Vec::with_capacity(data.len() + 10);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(data.as_bytes());
    body.push(b'}');
    Rendered::same(StoredResponse { status, location, body })
}

/// An answer carrying a one-time secret: sent with it, kept (for replays) without it.
pub fn rendered_with_secret(status: u16, sent: Value, kept: Value) -> Rendered {
    Rendered {
        sent: stored(status, None, sent),
        kept: Some(stored(status, None, kept)),
    }
}

fn stored(status: u16, location: Option<String>, data: Value) -> StoredResponse {
    StoredResponse {
        status,
        location,
        body: serde_json::to_vec(&json!({ "data": data })).unwrap_or_default(),
    }
}
