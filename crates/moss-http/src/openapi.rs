//! The OpenAPI 3.1 document, generated from the code: one operation per entry of the route
//! table ([`crate::routes::endpoints`]), with the schemas of the [`crate::wire`] types the
//! bodies are serialized from. Served at `GET /api/v1/openapi.json` and written by
//! `moss openapi` (committed as `docs/openapi.json`).

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use moss_domain::Permission;
use moss_domain::page::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::KnownFormat;

use crate::routes::records::{Filter, FilterKind};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayBuilder, Components, ComponentsBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, SchemaFormat,
};

use crate::routes::{Answer, Endpoint, ListDoc, PREFIX, endpoints};
use crate::wire::{self, schema_ref};

/// Where the document is served (no key needed).
pub const SPEC_PATH: &str = "/api/v1/openapi.json";
/// Where the docs page is served.
pub const DOCS_PATH: &str = "/docs";

/// The name of the security scheme.
const API_KEY: &str = "ApiKey";
/// The media type of every body.
const JSON: &str = "application/json";

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    let mut tags: Vec<&'static str> = Vec::new();
    let all = endpoints();
    for e in &all {
        if !tags.contains(&e.doc.tag) {
            tags.push(e.doc.tag);
        }
        let mut op = operation(e);
        add_links(&mut op, e, &all);
        paths.add_path_operation(format!("{PREFIX}{}", e.path), vec![http_method(&e.method)], op);
    }
    let info = InfoBuilder::new()
        .title("Moss CRM API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The Moss CRM API. Every route needs an `X-API-Key` header. Bodies are JSON; one record \
             answers `{\"data\": {...}}`, a list `{\"data\": [...], \"meta\": {...}}`, an error \
             `{\"error\": {...}}`. Mutations accept an `Idempotency-Key`. Rate limits are per API \
             key and per server instance.",
        ))
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components()))
        .security(Some([requirement()]))
        .tags(Some(tags.into_iter().map(|t| TagBuilder::new().name(t).build())))
        .build()
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().content_type(JSON).body(document_json())
}

/// `GET /api/v1/openapi.json`: the document (no key needed; no query parameters).
pub async fn spec(req: actix_web::HttpRequest) -> Result<HttpResponse, crate::ApiError> {
    crate::input::Query::none(&req)?;
    Ok(serve().await)
}

/// Registers the spec route (no key needed); any other method answers 405 with `Allow: GET`.
pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(SPEC_PATH)
            .route(web::get().to(spec))
            .default_service(web::to(crate::routes::only_get)),
    );
    crate::docs_page::register(cfg);
}

fn http_method(m: &Method) -> HttpMethod {
    match *m {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::HEAD => HttpMethod::Head,
        Method::OPTIONS => HttpMethod::Options,
        _ => HttpMethod::Get,
    }
}

fn is_mutation(m: &Method) -> bool {
    *m == Method::POST || *m == Method::PATCH || *m == Method::DELETE
}

fn requirement() -> SecurityRequirement {
    SecurityRequirement::new(API_KEY, Vec::<String>::new())
}

/// One operation: parameters, body, every answer.
fn operation(e: &Endpoint) -> Operation {
    let mutation = is_mutation(&e.method);
    let mut op = OperationBuilder::new()
        .operation_id(Some(e.doc.operation_id))
        .summary(Some(e.doc.summary))
        .tag(e.doc.tag)
        .security(requirement());
    for name in path_params(e.path) {
        op = op.parameter(path_param(name, e.path));
    }
    if let Some(list) = &e.doc.list {
        for p in list_params(list) {
            op = op.parameter(p);
        }
    }
    op = op.parameter(request_id_param());
    if mutation {
        op = op.parameter(idempotency_param());
    }
    if let Some(body) = e.doc.body {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(JSON, ContentBuilder::new().schema(Some(schema_ref(body))).build())
                .build(),
        ));
    }
    let (status, response) = success(e.doc.answer, mutation);
    op = op.response(status, response);
    let has_id = e.path.contains('{');
    let mut errors: Vec<u16> = vec![400, 401];
    if e.permission != Permission::Read {
        errors.push(403);
    }
    if has_id {
        errors.push(404);
    }
    if mutation {
        errors.extend([409, 413]);
    }
    if e.doc.body.is_some() {
        errors.push(415);
    }
    // Any request: the front door refuses a URL over 8 KiB and a head over 32 KiB.
    errors.extend([414, 431, 429, 500, 503]);
    errors.sort_unstable();
    for status in errors {
        op = op.response(status.to_string(), error_response(status, mutation));
    }
    op.build()
}

/// Links from a create's 201 answer to every operation on the record it made (`{path}/{id}`
/// and below): the new record's `data.id` is their `id`. Clients and stateful testers
/// (schemathesis) follow them from a create to the reads, updates and deletes of its record.
fn add_links(op: &mut Operation, e: &Endpoint, all: &[Endpoint]) {
    if !matches!(e.doc.answer, Answer::Created { .. }) {
        return;
    }
    let record = format!("{}/{{id}}", e.path);
    let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") else {
        return;
    };
    for target in all {
        if target.path == record || target.path.starts_with(&format!("{record}/")) {
            let link = LinkBuilder::new()
                .operation_id(target.doc.operation_id)
                .parameter("id", "$response.body#/data/id")
                .description(format!(
                    "{} `id` is the `data.id` of the record just created.",
                    target.doc.summary
                ))
                .build();
            created
                .links
                .insert(upper_first(target.doc.operation_id), RefOr::T(link));
        }
    }
}

/// `getContact` -> `GetContact` (OpenAPI link names are conventionally capitalized).
fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// The `{name}` placeholders of a path.
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn path_param(name: &str, path: &str) -> Parameter {
    let what = match path.split('/').nth(1) {
        Some("keys") => "API key (`key_...`)",
        Some("contacts") => "contact (`cnt_...`)",
        Some("companies") => "company (`cmp_...`)",
        Some("deals") if name == "contact_id" => "linked contact (`cnt_...`)",
        Some("deals") => "deal (`deal_...`)",
        _ => "record",
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(format!(
            "TypeID of the {what}; an id of another kind, or another workspace's, answers 404."
        )))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))))
        .build()
}

fn query(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn list_params(list: &ListDoc) -> Vec<Parameter> {
    if list.sorts.is_empty() {
        // A query of filters only (`/pipeline`): no paging.
        return list.filters.iter().map(filter_param).collect();
    }
    let mut params = vec![
        query(
            "page",
            "1-based page number (default 1); a page past the end answers an empty list.",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(u32::MAX))
                .default(Some(json!(1))),
        ),
        query(
            "per_page",
            "Items per page, 1-250 (default 25).",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(MAX_PER_PAGE))
                .default(Some(json!(DEFAULT_PER_PAGE))),
        ),
        query(
            "sort",
            "The field to sort by; ties are broken by id in the same direction.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(list.sorts.clone()))
                .default(Some(json!(list.default_sort))),
        ),
        query(
            "order",
            "Sort direction (default desc).",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["asc", "desc"]))
                .default(Some(json!("desc"))),
        ),
    ];
    params.extend(list.filters.iter().map(filter_param));
    params
}

fn filter_param(f: &Filter) -> Parameter {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let doc = if f.doc.is_empty() {
        format!("Only entries whose `{}` equals this value.", f.name)
    } else {
        f.doc.to_owned()
    };
    let schema: RefOr<Schema> = match f.kind {
        FilterKind::Words | FilterKind::Tag | FilterKind::Text => text().into(),
        FilterKind::Reference { prefix } => text().pattern(Some(crate::wire::reference_pattern(prefix))).into(),
        FilterKind::Timestamp => text()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .pattern(Some(crate::wire::timestamp_pattern()))
            .into(),
        FilterKind::Date => text()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(crate::wire::deal::DATE_PATTERN))
            .into(),
        FilterKind::Cents => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(moss_domain::deal::model::MAX_VALUE))
            .into(),
        FilterKind::OneOf(values) => text().enum_values(Some(values.iter().copied())).into(),
        FilterKind::AnyOf(values) => {
            let one = format!("({})", values.join("|"));
            text().pattern(Some(format!("^{one}(,{one})*$"))).into()
        }
        FilterKind::Zone => crate::wire::schema_ref("TimeZone"),
        FilterKind::Integer { min, max } => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(min))
            .maximum(Some(max))
            .into(),
    };
    query(f.name, &doc, schema)
}

fn request_id_param() -> Parameter {
    ParameterBuilder::new()
        .name("X-Request-Id")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Your id for the request: used when 1-200 characters of `[A-Za-z0-9._:+/=-]`, otherwise \
             replaced by a generated `req_...` id. Never a reason to refuse a request.",
        ))
        // Any value a client can send as a header (RFC 9110 field-value: no surrounding
        // whitespace, no CR/LF or other controls but tab): the server takes them all.
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(
            r"^([\x21-\x7E\x80-\xFF]([\t\x20-\x7E\x80-\xFF]*[\x21-\x7E\x80-\xFF])?)?$",
        ))))
        .build()
}

fn idempotency_param() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1-255 printable ASCII characters, scoped to the API key and kept at least 24 hours. The \
             same key with the same request replays the first answer (`Idempotent-Replayed: true`); \
             with a different request it answers 409.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                // A header's value has no surrounding whitespace (RFC 9110): spaces are allowed
                // inside only, so a value of spaces alone (received empty, and refused) is not one.
                .pattern(Some("^[\\x21-\\x7E]([\\x20-\\x7E]*[\\x21-\\x7E])?$")),
        ))
        .build()
}

fn with_headers(mut b: ResponseBuilder, names: &[&str]) -> ResponseBuilder {
    for name in names {
        b = b.header_ref(*name, Ref::new(format!("#/components/headers/{name}")));
    }
    b
}

/// The headers of an answer after authentication.
const AUTHENTICATED: [&str; 3] = ["X-Request-Id", "RateLimit", "RateLimit-Policy"];

fn success(answer: Answer, mutation: bool) -> (String, Response) {
    let (status, description, schema, location) = match answer {
        Answer::One(s) => (200, "The record.", envelope_name(s), false),
        Answer::List(s) => (200, "One page of the list.", list_name(s), false),
        Answer::Many(s) => (200, "The records, in the order asked for.", many_name(s), false),
        Answer::Deleted => (200, "Done: `{\"data\": null}`.", "Deleted".to_owned(), false),
        Answer::Created { schema, location } => (201, "Created.", envelope_name(schema), location),
    };
    let mut headers: Vec<&str> = AUTHENTICATED.to_vec();
    if location {
        headers.push("Location");
    }
    if mutation {
        headers.push("Idempotent-Replayed");
    }
    let b = ResponseBuilder::new()
        .description(description)
        .content(JSON, ContentBuilder::new().schema(Some(schema_ref(&schema))).build());
    (status.to_string(), with_headers(b, &headers).build())
}

fn error_response(status: u16, mutation: bool) -> Response {
    let description = match status {
        400 => "VALIDATION_ERROR: bad input; `details` names every bad field, query parameter or header.",
        401 => "UNAUTHORIZED: the API key is missing, malformed, unknown, revoked or expired.",
        403 => "FORBIDDEN: a read-only key on a mutation, or a member's key on an owner-only route.",
        404 => "NOT_FOUND: no such record in the caller's workspace.",
        409 => {
            "CONFLICT: a uniqueness rule, or an Idempotency-Key used for a different request (or still \
             running: then `Retry-After`)."
        }
        413 => "VALIDATION_ERROR: the body is larger than 256 KiB.",
        414 => "VALIDATION_ERROR: the URL (path and query) is longer than 8 KiB.",
        415 => "VALIDATION_ERROR: the body is not JSON (`Content-Type: application/json`).",
        431 => "VALIDATION_ERROR: the request head (request line and headers) is larger than 32 KiB.",
        429 => "RATE_LIMITED: too many requests; retry after `Retry-After` seconds.",
        500 => "INTERNAL_ERROR: an unexpected failure; the body says only \"internal error\".",
        _ => {
            "INTERNAL_ERROR: the database is unavailable or the request took too long; retry after `Retry-After` seconds."
        }
    };
    // Answered before authentication (401) or by the front door (414, 431): no rate-limit state.
    let mut headers: Vec<&str> = if matches!(status, 401 | 414 | 431) {
        vec!["X-Request-Id"]
    } else {
        AUTHENTICATED.to_vec()
    };
    if matches!(status, 409 | 429 | 503) {
        headers.push("Retry-After");
    }
    if mutation && matches!(status, 404 | 409) {
        headers.push("Idempotent-Replayed");
    }
    let b = ResponseBuilder::new().description(description).content(
        JSON,
        ContentBuilder::new().schema(Some(schema_ref("ErrorEnvelope"))).build(),
    );
    with_headers(b, &headers).build()
}

fn envelope_name(schema: &str) -> String {
    format!("{schema}Envelope")
}

fn list_name(schema: &str) -> String {
    format!("{schema}List")
}

fn many_name(schema: &str) -> String {
    format!("{schema}Many")
}

/// `{"data": [records]}`: several records that are not a paged list.
fn many_envelope(schema: &str) -> Schema {
    closed(ObjectBuilder::new())
        .property("data", ArrayBuilder::new().items(schema_ref(schema)))
        .required("data")
        .build()
        .into()
}

fn closed(b: ObjectBuilder) -> ObjectBuilder {
    b.schema_type(Type::Object)
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
}

fn envelope(schema: &str) -> Schema {
    closed(ObjectBuilder::new())
        .property("data", schema_ref(schema))
        .required("data")
        .build()
        .into()
}

fn list_envelope(schema: &str) -> Schema {
    closed(ObjectBuilder::new())
        .property("data", ArrayBuilder::new().items(schema_ref(schema)))
        .required("data")
        .property("meta", schema_ref("ListMeta"))
        .required("meta")
        .build()
        .into()
}

fn header(description: &str, schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

fn add<T: ToSchema>(b: ComponentsBuilder) -> ComponentsBuilder {
    b.schema(T::name(), T::schema())
}

fn components() -> Components {
    let mut b = ComponentsBuilder::new();
    b = add::<wire::Workspace>(b);
    b = add::<wire::Member>(b);
    b = add::<wire::Role>(b);
    b = add::<wire::Scope>(b);
    b = add::<wire::ApiKey>(b);
    b = add::<wire::CreatedApiKey>(b);
    b = add::<wire::Contact>(b);
    b = add::<wire::Company>(b);
    b = add::<wire::Tag>(b);
    b = add::<wire::AuditEntry>(b);
    b = add::<wire::ListMeta>(b);
    b = add::<wire::ErrorCode>(b);
    b = add::<wire::FieldDetail>(b);
    b = add::<wire::ErrorBody>(b);
    b = add::<wire::ErrorEnvelope>(b);
    b = add::<wire::ContactCreate>(b);
    b = add::<wire::ContactUpdate>(b);
    b = add::<wire::ContactMerge>(b);
    b = add::<wire::MergeMoved>(b);
    b = add::<wire::MergeResult>(b);
    b = add::<wire::CompanyCreate>(b);
    b = add::<wire::CompanyUpdate>(b);
    b = add::<wire::KeyCreate>(b);
    b = add::<wire::deal::Stage>(b);
    b = add::<wire::deal::Deal>(b);
    b = add::<wire::deal::DealCreate>(b);
    b = add::<wire::deal::DealUpdate>(b);
    b = add::<wire::deal::StageMove>(b);
    b = add::<wire::deal::BulkStageMove>(b);
    b = add::<wire::deal::StageSpan>(b);
    b = add::<wire::deal::DealContact>(b);
    b = add::<wire::deal::DealContactCreate>(b);
    b = add::<wire::deal::PipelineTotal>(b);
    b = add::<wire::deal::PipelineStage>(b);
    b = add::<wire::deal::PipelineOpen>(b);
    b = add::<wire::deal::Pipeline>(b);
    b = add::<wire::custom_field::EntityType>(b);
    b = add::<wire::custom_field::FieldType>(b);
    b = add::<wire::custom_field::CustomField>(b);
    b = add::<wire::custom_field::CustomFieldCreate>(b);
    b = add::<wire::custom_field::CustomFieldUpdate>(b);
    b = add::<wire::custom_field::SearchResults>(b);
    b = add::<wire::interaction::InteractionType>(b);
    b = add::<wire::interaction::Interaction>(b);
    b = add::<wire::interaction::InteractionCreate>(b);
    b = add::<wire::engagement::CommitmentStatus>(b);
    b = add::<wire::engagement::Commitment>(b);
    b = add::<wire::engagement::CommitmentCreate>(b);
    b = add::<wire::engagement::CommitmentUpdate>(b);
    b = add::<wire::engagement::Priority>(b);
    b = add::<wire::engagement::FollowUp>(b);
    b = add::<wire::engagement::FollowUpCreate>(b);
    b = add::<wire::engagement::FollowUpUpdate>(b);
    b = b.schema(
        "TimeZone",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(moss_domain::engagement::zone_names()))
            .description(Some(
                "An IANA time-zone name, exactly as spelled (the database of the `chrono-tz` crate).",
            ))
            .build(),
    );
    b = add::<wire::activity::ActivityType>(b);
    b = add::<wire::activity::ActivityItem>(b);
    let mut ones: Vec<&str> = Vec::new();
    let mut lists: Vec<&str> = Vec::new();
    let mut manys: Vec<&str> = Vec::new();
    for e in endpoints() {
        match e.doc.answer {
            Answer::One(s) | Answer::Created { schema: s, .. } if !ones.contains(&s) => ones.push(s),
            Answer::List(s) if !lists.contains(&s) => lists.push(s),
            Answer::Many(s) if !manys.contains(&s) => manys.push(s),
            _ => {}
        }
    }
    for s in manys {
        b = b.schema(many_name(s), many_envelope(s));
    }
    for s in ones {
        b = b.schema(envelope_name(s), envelope(s));
    }
    for s in lists {
        b = b.schema(list_name(s), list_envelope(s));
    }
    b = b.schema(
        "Deleted",
        closed(ObjectBuilder::new())
            .property("data", ObjectBuilder::new().schema_type(Type::Null))
            .required("data"),
    );
    b = b
        .header(
            "X-Request-Id",
            header(
                "The request's id: the client's `X-Request-Id` when acceptable, else a generated `req_...`.",
                ObjectBuilder::new().schema_type(Type::String),
            ),
        )
        .header(
            "RateLimit",
            header(
                "`\"default\";r=<requests left>;t=<seconds until the bucket is full>` \
                 (draft-ietf-httpapi-ratelimit-headers-09).",
                ObjectBuilder::new().schema_type(Type::String),
            ),
        )
        .header(
            "RateLimit-Policy",
            header(
                "`\"default\";q=<burst>;w=<seconds to refill the burst>`.",
                ObjectBuilder::new().schema_type(Type::String),
            ),
        )
        .header(
            "Retry-After",
            header(
                "Seconds to wait before retrying.",
                ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)),
            ),
        )
        .header(
            "Location",
            header(
                "The path of the new record's GET route.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::Custom("uri-reference".to_owned()))),
            ),
        )
        .header(
            "Idempotent-Replayed",
            header(
                "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["true"])),
            ),
        );
    let mut components = b
        .security_scheme(
            API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key, `moss_k_...`, created with `moss key create` or `POST /api/v1/keys`.",
            ))),
        )
        .build();
    for (name, schema) in components.schemas.iter_mut() {
        if let (Some(example), RefOr::T(schema)) = (example_of(name), schema) {
            set_example(schema, example);
        }
    }
    components
}

/// The example of a component: a [`wire`] type's own, or built from the record's for its
/// envelopes (`ContactEnvelope`, `ContactList`) and the delete answer.
pub fn example_of(name: &str) -> Option<serde_json::Value> {
    if let Some(example) = wire::example(name) {
        return Some(example);
    }
    if name == "Deleted" {
        return Some(json!({ "data": null }));
    }
    if let Some(record) = name.strip_suffix("Envelope") {
        return Some(json!({ "data": wire::example(record)? }));
    }
    if let Some(record) = name.strip_suffix("Many") {
        return Some(json!({ "data": [wire::example(record)?] }));
    }
    let record = name.strip_suffix("List")?;
    Some(json!({ "data": [wire::example(record)?], "meta": wire::example("ListMeta")? }))
}

/// Sets a schema's `example` (what the docs page shows and "Try it out" sends).
fn set_example(schema: &mut Schema, example: serde_json::Value) {
    match schema {
        Schema::Object(o) => o.example = Some(example),
        Schema::Array(a) => a.example = Some(example),
        Schema::OneOf(o) => o.example = Some(example),
        Schema::AllOf(a) => a.example = Some(example),
        Schema::AnyOf(a) => a.example = Some(example),
        _ => {}
    }
}

#[cfg(test)]
#[path = "schema_exactness.rs"]
mod schema_exactness;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use actix_web::http::header::CONTENT_TYPE;
    use actix_web::test::TestRequest;
    use utoipa::ToSchema;

    use moss_domain::commitment::Commitment;
    use moss_domain::company::Company;
    use moss_domain::contact::Contact;
    use moss_domain::custom_field::CustomField;
    use moss_domain::deal::Deal;
    use moss_domain::followup::FollowUp;
    use moss_domain::interaction::Interaction;

    use crate::dto;
    use crate::input::{Body, json_object};
    use crate::routes::{deals, endpoints, records};
    use crate::wire;

    fn read_by(reader: fn(&mut Body)) -> BTreeSet<String> {
        let req = TestRequest::default()
            .insert_header((CONTENT_TYPE, "application/json"))
            .to_http_request();
        let mut body = json_object(&req, b"{}").expect("an empty object");
        reader(&mut body);
        body.read_fields()
    }

    fn properties<T: ToSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).expect("schema");
        schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect()
    }

    /// Each request-body schema lists exactly the fields its reader reads (and so accepts).
    #[test]
    fn body_schemas_name_exactly_the_fields_the_readers_read() {
        let checked: Vec<(&str, BTreeSet<String>, BTreeSet<String>)> = vec![
            (
                "ContactCreate",
                properties::<wire::ContactCreate>(),
                read_by(|b| drop(records::read_create::<Contact>(b))),
            ),
            (
                "ContactUpdate",
                properties::<wire::ContactUpdate>(),
                read_by(|b| drop(records::read_update::<Contact>(b))),
            ),
            (
                "CompanyCreate",
                properties::<wire::CompanyCreate>(),
                read_by(|b| drop(records::read_create::<Company>(b))),
            ),
            (
                "CompanyUpdate",
                properties::<wire::CompanyUpdate>(),
                read_by(|b| drop(records::read_update::<Company>(b))),
            ),
            (
                "KeyCreate",
                properties::<wire::KeyCreate>(),
                read_by(|b| drop(dto::key_input(b))),
            ),
            (
                "DealCreate",
                properties::<wire::deal::DealCreate>(),
                read_by(|b| drop(records::read_create::<Deal>(b))),
            ),
            (
                "DealUpdate",
                properties::<wire::deal::DealUpdate>(),
                read_by(|b| drop(records::read_update::<Deal>(b))),
            ),
            (
                "InteractionCreate",
                properties::<wire::interaction::InteractionCreate>(),
                read_by(|b| drop(records::read_create::<Interaction>(b))),
            ),
            (
                "CommitmentCreate",
                properties::<wire::engagement::CommitmentCreate>(),
                read_by(|b| drop(records::read_create::<Commitment>(b))),
            ),
            (
                "CommitmentUpdate",
                properties::<wire::engagement::CommitmentUpdate>(),
                read_by(|b| drop(records::read_update::<Commitment>(b))),
            ),
            (
                "FollowUpCreate",
                properties::<wire::engagement::FollowUpCreate>(),
                read_by(|b| drop(records::read_create::<FollowUp>(b))),
            ),
            (
                "FollowUpUpdate",
                properties::<wire::engagement::FollowUpUpdate>(),
                read_by(|b| drop(records::read_update::<FollowUp>(b))),
            ),
            (
                "CustomFieldCreate",
                properties::<wire::custom_field::CustomFieldCreate>(),
                read_by(|b| drop(records::read_create::<CustomField>(b))),
            ),
            (
                "CustomFieldUpdate",
                properties::<wire::custom_field::CustomFieldUpdate>(),
                // The frozen fields are read only to be refused ("cannot be changed").
                read_by(|b| drop(records::read_update::<CustomField>(b)))
                    .into_iter()
                    .filter(|f| !["entity_type", "field_name", "field_type"].contains(&f.as_str()))
                    .collect(),
            ),
            (
                "ContactMerge",
                properties::<wire::ContactMerge>(),
                read_by(|b| drop(crate::routes::contacts::read_merge(b))),
            ),
            (
                "StageMove",
                properties::<wire::deal::StageMove>(),
                read_by(|b| drop(deals::read_stage_move(b))),
            ),
            (
                "BulkStageMove",
                properties::<wire::deal::BulkStageMove>(),
                read_by(|b| drop(deals::read_bulk_move(b))),
            ),
            (
                "DealContactCreate",
                properties::<wire::deal::DealContactCreate>(),
                read_by(|b| drop(deals::read_link(b))),
            ),
        ];
        for (name, documented, read) in &checked {
            assert_eq!(documented, read, "{name}");
        }
        for e in endpoints() {
            if let Some(body) = e.doc.body {
                assert!(
                    checked.iter().any(|(name, _, _)| *name == body),
                    "{} {}: body schema {body} is not checked against its reader",
                    e.method,
                    e.path
                );
            }
        }
    }
}
