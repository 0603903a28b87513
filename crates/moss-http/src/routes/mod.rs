//! The route table: every `/api/v1` endpoint with its method, path and permission. The server
//! is built from this table, and tests enumerate it, so a new route cannot escape them.

pub mod activity;
mod audit;
mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod deals;
pub mod engagements;
mod health;
pub mod interactions;
mod keys;
#[cfg(test)]
mod properties;
pub mod records;
mod tags;
mod workspaces;

use actix_web::http::Method;
use actix_web::{HttpRequest, Route, web};
use moss_domain::Permission;
use moss_domain::activity::ActivitySort;
use moss_domain::audit::AuditSort;
use moss_domain::company::Company;
use moss_domain::contact::{Contact, ContactSort};
use moss_domain::deal::Deal;
use moss_domain::deal::ports::{LinkSort, StageSort};
use moss_domain::interaction::Interaction;
use moss_domain::key::KeySort;
use moss_domain::page::SortField;
use moss_domain::tag::TagSort;
use moss_domain::workspace::{MemberSort, WorkspaceSort};

use crate::error::ApiError;
use crate::input::PAGINATION;

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
    /// What the OpenAPI document says about it ([`crate::openapi`]).
    pub doc: Doc,
}

/// The documentation of an endpoint beyond its method, path and permission, which
/// [`crate::openapi::document`] turns into an operation (statuses, headers and errors follow
/// from the method, the path and the permission).
#[derive(Debug, Clone)]
pub struct Doc {
    /// `operationId`.
    pub operation_id: &'static str,
    /// One line for a person.
    pub summary: &'static str,
    /// The group it is listed under.
    pub tag: &'static str,
    /// The list query (paging, sorting, filters), or `None` when the route takes no query.
    pub list: Option<ListDoc>,
    /// The request body's schema (a [`crate::wire`] type's name), if it reads one.
    pub body: Option<&'static str>,
    /// The success answer.
    pub answer: Answer,
}

/// The query of a list route.
#[derive(Debug, Clone)]
pub struct ListDoc {
    /// The sort allow-list (the domain's `SortField::ALL`); empty for a query of filters only,
    /// without paging (`/pipeline`).
    pub sorts: Vec<&'static str>,
    /// The sort used when none is asked for.
    pub default_sort: &'static str,
    /// Filter parameters, beside the paging ones.
    pub filters: Vec<records::Filter>,
}

/// A route's success answer; the names are [`crate::wire`] types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200 `{"data": record}`.
    One(&'static str),
    /// 201 `{"data": record}`; `location` when the record has a GET route.
    Created {
        /// The record's schema.
        schema: &'static str,
        /// Whether a `Location` header names the new record.
        location: bool,
    },
    /// 200 `{"data": [records], "meta": {...}}`.
    List(&'static str),
    /// 200 `{"data": [records]}`: several records, not a paged list.
    Many(&'static str),
    /// 200 `{"data": null}`.
    Deleted,
}

impl Doc {
    fn new(operation_id: &'static str, tag: &'static str, summary: &'static str, answer: Answer) -> Self {
        Self {
            operation_id,
            summary,
            tag,
            list: None,
            body: None,
            answer,
        }
    }

    /// A list route whose filters are plain equality filters on the named fields.
    fn list<S: SortField + PartialEq>(self, params: &[&'static str]) -> Self {
        let filters: Vec<records::Filter> = params
            .iter()
            .filter(|p| !PAGINATION.contains(p))
            .map(|name| records::Filter {
                name,
                kind: records::FilterKind::Text,
                doc: "",
            })
            .collect();
        self.list_of(ListDoc::of::<S>(&filters))
    }

    fn list_of(mut self, list: ListDoc) -> Self {
        self.list = Some(list);
        self
    }

    fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }
}

impl ListDoc {
    /// The query of a list sorted by `S`, with these filters.
    pub fn of<S: SortField + PartialEq>(filters: &[records::Filter]) -> Self {
        Self {
            sorts: S::ALL.iter().map(|(name, _)| *name).collect(),
            default_sort: S::ALL
                .iter()
                .find(|(_, s)| *s == S::DEFAULT)
                .map_or("created_at", |(name, _)| *name),
            filters: filters.to_vec(),
        }
    }
}

fn ep(method: Method, path: &'static str, permission: Permission, route: fn() -> Route, doc: Doc) -> Endpoint {
    Endpoint {
        method,
        path,
        permission,
        route,
        doc,
    }
}

/// The whole API.
pub fn endpoints() -> Vec<Endpoint> {
    use Answer::{Created, Deleted, List, One};
    use Permission::{OwnerRead, OwnerWrite, Read, Write};
    let mut table = vec![
        ep(
            Method::GET,
            "/workspaces",
            Read,
            || web::get().to(workspaces::list),
            Doc::new(
                "listWorkspaces",
                "Workspaces",
                "The caller's workspace, as a one-item list.",
                List("Workspace"),
            )
            .list::<WorkspaceSort>(&PAGINATION),
        ),
        ep(
            Method::GET,
            "/workspaces/members",
            Read,
            || web::get().to(workspaces::members),
            Doc::new(
                "listMembers",
                "Workspaces",
                "The members of the caller's workspace.",
                List("Member"),
            )
            .list::<MemberSort>(&PAGINATION),
        ),
        ep(
            Method::GET,
            "/keys",
            OwnerRead,
            || web::get().to(keys::list),
            Doc::new(
                "listKeys",
                "API keys",
                "The workspace's active API keys (owner only).",
                List("ApiKey"),
            )
            .list::<KeySort>(&PAGINATION),
        ),
        ep(
            Method::POST,
            "/keys",
            OwnerWrite,
            || web::post().to(keys::create),
            Doc::new(
                "createKey",
                "API keys",
                "Creates a key for the calling member; the answer shows the secret once (owner only).",
                Created {
                    schema: "CreatedApiKey",
                    location: false,
                },
            )
            .body("KeyCreate"),
        ),
        ep(
            Method::DELETE,
            "/keys/{id}",
            OwnerWrite,
            || web::delete().to(keys::revoke),
            Doc::new(
                "revokeKey",
                "API keys",
                "Revokes a key; it is refused from then on (owner only).",
                Deleted,
            ),
        ),
        ep(
            Method::GET,
            "/companies/{id}/contacts",
            Read,
            || web::get().to(companies::contacts),
            Doc::new(
                "listCompanyContacts",
                "Companies",
                "Lists the company's contacts, like /contacts.",
                List("Contact"),
            )
            .list_of(ListDoc::of::<ContactSort>(&records::params::<Contact>(
                &companies::NOT_OF_A_COMPANY,
            ))),
        ),
        ep(
            Method::GET,
            "/tags",
            Read,
            || web::get().to(tags::list),
            Doc::new(
                "listTags",
                "Tags",
                "The workspace's tags with their counts.",
                List("Tag"),
            )
            .list_of(ListDoc::of::<TagSort>(&[records::Filter {
                name: "type",
                kind: records::FilterKind::OneOf(&["contacts", "companies", "deals"]),
                doc: "Count only the records of this type.",
            }])),
        ),
        ep(
            Method::GET,
            "/audit-logs",
            OwnerRead,
            || web::get().to(audit::list),
            Doc::new(
                "listAuditLogs",
                "Audit log",
                "The workspace's audit entries, newest first (owner only).",
                List("AuditEntry"),
            )
            .list::<AuditSort>(&audit::PARAMS),
        ),
    ];
    // The record resources' five routes each, where the table has always listed them.
    let at = table
        .iter()
        .position(|e| e.path == "/companies/{id}/contacts")
        .unwrap_or(table.len());
    // The literal `/contacts/merge` before `/contacts/{id}` (contract.md, Routing).
    let merge = ep(
        Method::POST,
        "/contacts/merge",
        Write,
        || web::post().to(contacts::merge),
        Doc::new(
            "mergeContacts",
            "Contacts",
            "Folds the source contact into the target (its records move, empty fields fill, the source is deleted); `dry_run=true` only answers what would happen.",
            One("MergeResult"),
        )
        .body("ContactMerge")
        .list_of(ListDoc {
            sorts: Vec::new(),
            default_sort: "",
            filters: contacts::MERGE_FILTERS.to_vec(),
        }),
    );
    let records: Vec<Endpoint> = [vec![merge], records::crud::<Contact>(), records::crud::<Company>()].concat();
    table.splice(at..at, records);
    // Deals: the literal `/deals/bulk-stage` before `/deals/{id}`, which it would otherwise match
    // (contract.md, Routing; `routes.rs` checks that no path shadows another).
    let at = table.iter().position(|e| e.path == "/tags").unwrap_or(table.len());
    let mut deal_routes = vec![ep(
        Method::PATCH,
        "/deals/bulk-stage",
        Write,
        || web::patch().to(deals::bulk_move),
        Doc::new(
            "bulkMoveDeals",
            "Deals",
            "Moves up to 100 deals to a stage, all or nothing; one audit entry per deal moved.",
            Answer::Many("Deal"),
        )
        .body("BulkStageMove"),
    )];
    deal_routes.extend(records::crud::<Deal>());
    deal_routes.extend(records::crud::<Interaction>());
    deal_routes.extend(records::crud::<moss_domain::custom_field::CustomField>());
    deal_routes.push(ep(
        Method::GET,
        "/search",
        Read,
        || web::get().to(custom_fields::search),
        Doc::new(
            "search",
            "Search",
            "Searches contacts, companies, deals and interactions at once: each type's best records, by tier, then name and id.",
            One("SearchResults"),
        )
        .list_of(ListDoc {
            sorts: Vec::new(),
            default_sort: "",
            filters: custom_fields::SEARCH_FILTERS.to_vec(),
        }),
    ));
    deal_routes.extend(engagements::routes());
    for (path, tag, operation, summary, route) in [
        (
            "/contacts/{id}/activity",
            "Contacts",
            "listContactActivity",
            "The contact's timeline, newest first: its interactions, follow-ups and commitments, and the stage moves of the deals linked to it.",
            (|| web::get().to(activity::contact)) as fn() -> Route,
        ),
        (
            "/deals/{id}/activity",
            "Deals",
            "listDealActivity",
            "The deal's timeline, newest first: its interactions, stage moves, follow-ups, commitments and contact links.",
            || web::get().to(activity::deal),
        ),
    ] {
        deal_routes.push(ep(
            Method::GET,
            path,
            Read,
            route,
            Doc::new(operation, tag, summary, List("ActivityItem"))
                .list_of(ListDoc::of::<ActivitySort>(activity::FILTERS)),
        ));
    }
    deal_routes.extend([
        ep(
            Method::PATCH,
            "/deals/{id}/stage",
            Write,
            || web::patch().to(deals::move_stage),
            Doc::new(
                "moveDeal",
                "Deals",
                "Moves a deal to a stage (`deal.stage_moved`); the same stage changes nothing.",
                One("Deal"),
            )
            .body("StageMove"),
        ),
        ep(
            Method::GET,
            "/deals/{id}/stages",
            Read,
            || web::get().to(deals::stages),
            Doc::new(
                "listDealStages",
                "Deals",
                "The deal's stage history, newest first.",
                List("StageSpan"),
            )
            .list::<StageSort>(&PAGINATION),
        ),
        ep(
            Method::GET,
            "/deals/{id}/contacts",
            Read,
            || web::get().to(deals::contacts),
            Doc::new(
                "listDealContacts",
                "Deals",
                "The contacts linked to the deal, each with its contact record.",
                List("DealContact"),
            )
            .list::<LinkSort>(&PAGINATION),
        ),
        ep(
            Method::POST,
            "/deals/{id}/contacts",
            Write,
            || web::post().to(deals::add_contact),
            Doc::new(
                "linkDealContact",
                "Deals",
                "Links a contact to the deal; a contact linked already answers 409.",
                Created {
                    schema: "DealContact",
                    location: false,
                },
            )
            .body("DealContactCreate"),
        ),
        ep(
            Method::DELETE,
            "/deals/{id}/contacts/{contact_id}",
            Write,
            || web::delete().to(deals::remove_contact),
            Doc::new(
                "unlinkDealContact",
                "Deals",
                "Unlinks a contact from the deal; one not linked answers 404.",
                Deleted,
            ),
        ),
        ep(
            Method::GET,
            "/pipeline",
            Read,
            || web::get().to(deals::pipeline),
            Doc::new(
                "getPipeline",
                "Deals",
                "Counts and exact totals per stage and currency, summed by the database.",
                One("Pipeline"),
            )
            .list_of(ListDoc {
                sorts: Vec::new(),
                default_sort: "",
                filters: deals::pipeline_filters(),
            }),
        ),
    ]);
    table.splice(at..at, deal_routes);
    table
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
    // HEAD is served on the health routes (probes use it); elsewhere it is a 405 like any other
    // method a path does not have.
    cfg.service(
        web::resource("/healthz")
            .route(web::get().to(health::healthz))
            .route(web::head().to(health::healthz))
            .default_service(web::to(|req: HttpRequest| not_allowed(req, "GET, HEAD"))),
    )
    .service(
        web::resource("/readyz")
            .route(web::get().to(health::readyz))
            .route(web::head().to(health::readyz))
            .default_service(web::to(|req: HttpRequest| not_allowed(req, "GET, HEAD"))),
    );
}

async fn not_allowed(req: HttpRequest, allow: &'static str) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed(req.method().as_str(), allow.to_owned()))
}

/// The 405 (`Allow: GET`) of a path outside the route table that only reads (the spec, the
/// docs page).
pub async fn only_get(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    not_allowed(req, "GET").await
}

/// The JSON 404 for any unknown path.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("No such route."))
}

/// Parses a path id of the route's own kind; anything else is 404, like a missing record.
pub(crate) fn path_id<T>(raw: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<T, ApiError> {
    parse(raw).ok_or_else(|| ApiError::not_found(format!("{what} not found.")))
}
