//! The route table: every `/api/v1` endpoint with its method, path and permission. The server
//! is built from this table, and tests enumerate it, so a new route cannot escape them.

mod audit;
mod companies;
mod contacts;
mod health;
mod keys;
#[cfg(test)]
mod properties;
mod tags;
mod workspaces;

use actix_web::http::Method;
use actix_web::{HttpRequest, Route, web};
use moss_domain::Permission;

use crate::error::ApiError;

/// Every path is under this prefix.
pub const PREFIX: &str = "/api/v1";

/// One route of the API.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path under [`PREFIX`], with `{id}` placeholders.
    pub path: &'static str,
    /// What the caller needs; the handler's `Caller<P>` enforces the same.
    pub permission: Permission,
    /// Builds the actix route.
    pub route: fn() -> Route,
}

fn ep(method: Method, path: &'static str, permission: Permission, route: fn() -> Route) -> Endpoint {
    Endpoint {
        method,
        path,
        permission,
        route,
    }
}

/// The whole API.
pub fn endpoints() -> Vec<Endpoint> {
    use Permission::{OwnerRead, OwnerWrite, Read, Write};
    vec![
        ep(Method::GET, "/workspaces", Read, || web::get().to(workspaces::list)),
        ep(Method::GET, "/workspaces/members", Read, || {
            web::get().to(workspaces::members)
        }),
        ep(Method::GET, "/keys", OwnerRead, || web::get().to(keys::list)),
        ep(Method::POST, "/keys", OwnerWrite, || web::post().to(keys::create)),
        ep(Method::DELETE, "/keys/{id}", OwnerWrite, || {
            web::delete().to(keys::revoke)
        }),
        ep(Method::GET, "/contacts", Read, || web::get().to(contacts::list)),
        ep(Method::POST, "/contacts", Write, || web::post().to(contacts::create)),
        ep(Method::GET, "/contacts/{id}", Read, || web::get().to(contacts::get)),
        ep(Method::PATCH, "/contacts/{id}", Write, || {
            web::patch().to(contacts::update)
        }),
        ep(Method::DELETE, "/contacts/{id}", Write, || {
            web::delete().to(contacts::delete)
        }),
        ep(Method::GET, "/companies", Read, || web::get().to(companies::list)),
        ep(Method::POST, "/companies", Write, || web::post().to(companies::create)),
        ep(Method::GET, "/companies/{id}", Read, || web::get().to(companies::get)),
        ep(Method::PATCH, "/companies/{id}", Write, || {
            web::patch().to(companies::update)
        }),
        ep(Method::DELETE, "/companies/{id}", Write, || {
            web::delete().to(companies::delete)
        }),
        ep(Method::GET, "/companies/{id}/contacts", Read, || {
            web::get().to(companies::contacts)
        }),
        ep(Method::GET, "/tags", Read, || web::get().to(tags::list)),
        ep(Method::GET, "/audit-logs", OwnerRead, || web::get().to(audit::list)),
    ]
}

/// Registers the table (one actix resource per path, with a 405 naming the allowed methods)
/// and the health routes.
pub fn register(cfg: &mut web::ServiceConfig) {
    let table = endpoints();
    let mut paths: Vec<&'static str> = Vec::new();
    for e in &table {
        if !paths.contains(&e.path) {
            paths.push(e.path);
        }
    }
    for path in paths {
        let here: Vec<&Endpoint> = table.iter().filter(|e| e.path == path).collect();
        let allow = here.iter().map(|e| e.method.as_str()).collect::<Vec<_>>().join(", ");
        let mut resource = web::resource(format!("{PREFIX}{path}"));
        for e in here {
            resource = resource.route((e.route)());
        }
        resource = resource.default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move { Err::<actix_web::HttpResponse, _>(ApiError::method_not_allowed(req.method().as_str(), allow)) }
        }));
        cfg.service(resource);
    }
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)));
}

/// The JSON 404 for any unknown path.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("No such route."))
}

/// Parses a path id of the route's own kind; anything else is 404, like a missing record.
pub(crate) fn path_id<T>(raw: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<T, ApiError> {
    parse(raw).ok_or_else(|| ApiError::not_found(format!("{what} not found.")))
}
