//! The five routes of every record resource, written once: a resource describes its paths,
//! names, list filters, body readers and rendering as a [`Resource`], and [`crud`] returns its
//! route-table entries.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::custom_field::CustomQuery;
use moss_domain::engagement::{self, Completable};
use moss_domain::id::TypedId;
use moss_domain::idempotency::Rendered;
use moss_domain::page::PageRequest;
use moss_domain::record::{Extras, ExtrasPatch, ListFilter, Record, Window, both, read_own, service};
use moss_domain::store::Applied;
use moss_domain::{FieldError, Permission};
use serde_json::Value;

use super::{Answer, Doc, Endpoint, ListDoc, PREFIX, ep, path_id};
use crate::auth::{Access, Caller, Read, Write};
use crate::error::ApiError;
use crate::input::{Body, PAGINATION, Query};
use crate::mutation::Mutation;
use crate::respond;

/// How a list filter is read and documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// `q`: free text, every word a prefix; never an error.
    Words,
    /// `tag`: a tag name, case-insensitive.
    Tag,
    /// Free text compared exactly (after folding); NUL is dropped like in bodies.
    Text,
    /// An id of a record of this TypeID prefix, or its UUID; NUL is refused.
    Reference {
        /// The TypeID prefix (`cmp`).
        prefix: &'static str,
    },
    /// An RFC 3339 date-time (the sync window); NUL is refused.
    Timestamp,
    /// A calendar date, `YYYY-MM-DD`; NUL is refused.
    Date,
    /// Whole cents, 0 to 2^53-1; NUL is refused.
    Cents,
    /// One of these values; NUL is refused.
    OneOf(&'static [&'static str]),
    /// One of these values or a comma list of them (any of them); NUL is refused.
    AnyOf(&'static [&'static str]),
    /// An IANA time-zone name (`Europe/Paris`); NUL is refused.
    Zone,
    /// A whole number in this range; NUL is refused.
    Integer {
        /// The least.
        min: i64,
        /// The most.
        max: i64,
    },
}

/// One query parameter of a list: the one declaration that drives its parsing, its NUL rule
/// and its OpenAPI documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// Its name.
    pub name: &'static str,
    /// How it is read.
    pub kind: FilterKind,
    /// What it keeps, for a person.
    pub doc: &'static str,
}

impl Filter {
    /// Whether NUL in its value is refused rather than dropped.
    pub fn strict(&self) -> bool {
        !matches!(self.kind, FilterKind::Words | FilterKind::Tag | FilterKind::Text)
    }
}

/// `q`, as every record list has it.
pub const WORDS: Filter = Filter {
    name: "q",
    kind: FilterKind::Words,
    doc: "Full-text filter: every word must match, each as a case-insensitive prefix.",
};

/// `tag`, as every record list has it.
pub const TAG: Filter = Filter {
    name: "tag",
    kind: FilterKind::Tag,
    doc: "Only records carrying this tag (case-insensitive).",
};

/// The sync window every record list takes after its own filters.
pub const WINDOW: [Filter; 4] = [
    Filter {
        name: Window::PARAMS[0],
        kind: FilterKind::Timestamp,
        doc: "Only records created at or after this time (RFC 3339).",
    },
    Filter {
        name: Window::PARAMS[1],
        kind: FilterKind::Timestamp,
        doc: "Only records created at or before this time (RFC 3339).",
    },
    Filter {
        name: Window::PARAMS[2],
        kind: FilterKind::Timestamp,
        doc: "Only records last changed at or after this time (RFC 3339).",
    },
    Filter {
        name: Window::PARAMS[3],
        kind: FilterKind::Timestamp,
        doc: "Only records last changed at or before this time (RFC 3339).",
    },
];

/// Operation ids and summaries of a resource's five routes.
#[derive(Debug, Clone, Copy)]
pub struct Ops {
    /// `GET /things`.
    pub list: (&'static str, &'static str),
    /// `POST /things`.
    pub create: (&'static str, &'static str),
    /// `GET /things/{id}`.
    pub get: (&'static str, &'static str),
    /// `PATCH /things/{id}`.
    pub update: (&'static str, &'static str),
    /// `DELETE /things/{id}`.
    pub delete: (&'static str, &'static str),
}

/// A record resource as the HTTP layer serves it.
pub trait Resource: Record {
    /// What its writes need, as the extractor's type: checked after authentication and before
    /// the body is read (its [`Record::WRITE`], which the use cases check too).
    type Writer: Access;
    /// The collection path under [`PREFIX`] (`/contacts`).
    const PATH: &'static str;
    /// The record path (`/contacts/{id}`).
    const ITEM_PATH: &'static str;
    /// The OpenAPI tag (`Contacts`).
    const TAG: &'static str;
    /// The record's schema name (`Contact`); `<name>Create` and `<name>Update` are its bodies.
    const SCHEMA: &'static str;
    /// Its create and update body schemas.
    const BODIES: (&'static str, &'static str);
    /// The operations.
    const OPS: Ops;
    /// The list's query parameters beside paging and the sync window, in order: [`WORDS`],
    /// [`TAG`] and the resource's own.
    const FILTERS: &'static [Filter];
    /// Whether clients cannot change it: no PATCH route (a PATCH answers 405 naming the
    /// methods of the path).
    const IMMUTABLE: bool = false;

    /// Parses the resource's own filters from the query.
    fn filter(q: &Query) -> Result<Self::Filter, Vec<FieldError>>;
    /// The record's public JSON.
    fn render(&self) -> Value;
}

/// Every query parameter of the resource's list, in order, less `except`.
pub fn params<R: Resource>(except: &[&str]) -> Vec<Filter> {
    R::FILTERS
        .iter()
        .chain(WINDOW.iter())
        .copied()
        .filter(|f| !except.contains(&f.name))
        .collect()
}

/// The names a list accepts: paging and its filters.
pub fn names(filters: &[Filter]) -> Vec<&'static str> {
    PAGINATION
        .iter()
        .copied()
        .chain(filters.iter().map(|f| f.name))
        .collect()
}

/// The prefix of the query parameters that filter on defined custom fields (`cf.tier=gold`),
/// and of the sort on one (`sort=cf.tier`).
pub const CUSTOM_PREFIX: &str = "cf.";

/// A record list's parsed query.
pub type ListQuery<R> = (PageRequest<<R as Record>::Sort>, ListFilter<<R as Record>::Filter>);

/// Parses a record list's query: paging, sorting and every filter, reporting every bad one.
pub fn list_query<R: Resource>(req: &HttpRequest, except: &[&str]) -> Result<ListQuery<R>, ApiError> {
    let filters = params::<R>(except);
    let strict: Vec<&str> = filters.iter().filter(|f| f.strict()).map(|f| f.name).collect();
    // Records that can have defined custom fields also take `cf.<name>` and `sort=cf.<name>`.
    let prefix = R::ENTITY.map(|_| CUSTOM_PREFIX);
    let mut q = Query::parse_list(req, &names(&filters), &strict, prefix)?;
    let custom = match prefix {
        Some(p) => CustomQuery {
            filters: q.prefixed(p),
            sort: q.take_sort_prefixed(p),
            ..CustomQuery::default()
        },
        None => CustomQuery::default(),
    };
    let page = q.page::<R::Sort>();
    let window = Window::parse(|name| q.get(name));
    let window = q.take(window);
    let own = R::filter(&q);
    let own = q.take(own);
    let filter = window.zip(own).map(|(window, own)| ListFilter {
        custom,
        ..ListFilter::new(q.get("q"), q.get("tag"), window, own)
    });
    q.finish(page.zip(filter))
}

/// Reads a create body: the resource's own fields, then `tags` and `custom_fields`.
pub fn read_create<R: Resource>(b: &mut Body) -> Result<(R::Changes, Extras), Vec<FieldError>> {
    let own = read_own::<R>(b, true);
    if !R::EXTRAS {
        return own.map(|own| (own, Extras::default()));
    }
    let extras = Extras::parse(b.string_list("tags"), b.object_field("custom_fields"));
    both(own, extras)
}

/// Reads a PATCH body: the resource's own fields, then `tags` and `custom_fields`.
pub fn read_update<R: Resource>(b: &mut Body) -> Result<(R::Changes, ExtrasPatch), Vec<FieldError>> {
    let own = read_own::<R>(b, false);
    if !R::EXTRAS {
        return own.map(|own| (own, ExtrasPatch::default()));
    }
    let extras = ExtrasPatch::parse(b.patch_string_list("tags"), b.patch_object("custom_fields"));
    both(own, extras)
}

fn id<R: Resource>(raw: &str) -> Result<R::Id, ApiError> {
    path_id(raw, R::Id::from_typeid, R::NAME)
}

/// `GET /things`.
pub async fn list<R: Resource>(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = list_query::<R>(&req, &[]);
    let (result, page) = caller
        .read(input, |tx, actor, (page, filter)| {
            Ok((service::list::<R>(tx, actor, &filter, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, R::render))
}

/// `GET /things/{id}`.
pub async fn get<R: Resource>(
    caller: Caller<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let input = Query::none(&req).and_then(|()| id::<R>(&path));
    let record = caller.read(input, service::get::<R>).await?;
    Ok(respond::one(record.render()))
}

/// `POST /things`.
pub async fn create<R: Resource>(m: Mutation<R::Writer>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let parsed = read_create::<R>(&mut b);
    let (new, extras) = b.finish(parsed)?;
    m.run_applied(
        move |tx, actor| service::create::<R>(tx, actor, new, extras),
        |a: &Applied<R>| record_answer(201, Some(format!("{PREFIX}{}/{}", R::PATH, a.value.id())), a),
    )
    .await
}

/// `PATCH /things/{id}`.
pub async fn update<R: Resource>(m: Mutation<R::Writer>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let parsed = read_update::<R>(&mut b);
    let (changes, extras) = b.finish(parsed)?;
    let id = id::<R>(&path)?;
    m.run_applied(
        move |tx, actor| service::update::<R>(tx, actor, id, changes, extras),
        |a: &Applied<R>| record_answer(200, None, a),
    )
    .await
}

/// `PATCH /things/{id}/complete`: no body (none, or `{}`); 409 when it is completed already.
pub async fn complete<R: Resource + Completable>(
    m: Mutation<Write>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !m.body_is_empty() {
        let b = m.json()?;
        b.finish(Ok(()))?;
    }
    let id = id::<R>(&path)?;
    m.run_applied(
        move |tx, actor| engagement::complete::<R>(tx, actor, id),
        |a: &Applied<R>| record_answer(200, None, a),
    )
    .await
}

/// The route-table entry of `PATCH /things/{id}/complete`.
pub fn complete_route<R: Resource + Completable>(
    item_path: &'static str,
    operation: &'static str,
    summary: &'static str,
) -> Endpoint {
    ep(
        Method::PATCH,
        item_path,
        Permission::Write,
        || web::patch().to(complete::<R>),
        Doc::new(operation, R::TAG, summary, Answer::One(R::SCHEMA)),
    )
}

/// The answer of a one-record change: the snapshot the change rendered in its transaction, or,
/// for a PATCH that changed nothing (no event, no snapshot), the record rendered now.
pub fn record_answer<R: Resource>(status: u16, location: Option<String>, a: &Applied<R>) -> Rendered {
    match a.snapshot() {
        Some(json) => respond::rendered_json(status, location, json),
        None => respond::rendered(status, location, a.value.render()),
    }
}

/// `DELETE /things/{id}`.
pub async fn delete<R: Resource>(m: Mutation<R::Writer>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id::<R>(&path)?;
    m.run(
        move |tx, actor| service::delete::<R>(tx, actor, id),
        |()| respond::rendered(200, None, Value::Null),
    )
    .await
}

/// The route-table entries of a record resource: list, create, get, update (unless it is
/// immutable), delete.
pub fn crud<R: Resource>() -> Vec<Endpoint> {
    const {
        assert!(matches!(
            (R::WRITE, <R::Writer as Access>::PERMISSION),
            (Permission::Write, Permission::Write) | (Permission::OwnerWrite, Permission::OwnerWrite)
        ))
    };
    let ops = R::OPS;
    let (create_body, update_body) = R::BODIES;
    let mut routes = vec![
        ep(
            Method::GET,
            R::PATH,
            R::READ,
            || web::get().to(list::<R>),
            Doc::new(ops.list.0, R::TAG, ops.list.1, Answer::List(R::SCHEMA))
                .list_of(ListDoc::of::<R::Sort>(&params::<R>(&[]))),
        ),
        ep(
            Method::POST,
            R::PATH,
            R::WRITE,
            || web::post().to(create::<R>),
            Doc::new(
                ops.create.0,
                R::TAG,
                ops.create.1,
                Answer::Created {
                    schema: R::SCHEMA,
                    location: true,
                },
            )
            .body(create_body),
        ),
        ep(
            Method::GET,
            R::ITEM_PATH,
            R::READ,
            || web::get().to(get::<R>),
            Doc::new(ops.get.0, R::TAG, ops.get.1, Answer::One(R::SCHEMA)),
        ),
        ep(
            Method::PATCH,
            R::ITEM_PATH,
            R::WRITE,
            || web::patch().to(update::<R>),
            Doc::new(ops.update.0, R::TAG, ops.update.1, Answer::One(R::SCHEMA)).body(update_body),
        ),
        ep(
            Method::DELETE,
            R::ITEM_PATH,
            R::WRITE,
            || web::delete().to(delete::<R>),
            Doc::new(ops.delete.0, R::TAG, ops.delete.1, Answer::Deleted),
        ),
    ];
    if R::IMMUTABLE {
        routes.retain(|e| e.method != Method::PATCH);
    }
    routes
}
