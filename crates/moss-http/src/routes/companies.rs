//! `/companies` routes.

use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::company::service::{
    company_contacts, create_company, delete_company, get_company, list_companies, update_company,
};
use moss_domain::company::{CompanyChanges, CompanyFilter, CompanySort, NewCompany};
use moss_domain::id::CompanyId;

use super::contacts::{PARAMS as CONTACT_PARAMS, list_query as contact_list_query};
use super::path_id;
use crate::auth::{Caller, Read, Write};
use crate::error::ApiError;
use crate::input::{self, PAGINATION, Query};
use crate::{dto, respond};

const PARAMS: [&str; 7] = [
    PAGINATION[0],
    PAGINATION[1],
    PAGINATION[2],
    PAGINATION[3],
    "q",
    "tag",
    "domain",
];

fn id(raw: &str) -> Result<CompanyId, ApiError> {
    path_id(raw, CompanyId::parse, "Company")
}

/// `GET /companies`.
pub async fn list(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::parse(&req, &PARAMS)?;
    let page = q.page::<CompanySort>();
    let filter = CompanyFilter::parse(q.get("q"), q.get("tag"), q.get("domain"));
    let page = q.finish(page)?;
    let result = caller
        .read(move |tx, actor| list_companies(tx, actor, &filter, &page))
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::company))
}

/// `GET /companies/{id}`.
pub async fn get(caller: Caller<Read>, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Query::none(&req)?;
    let id = id(&path)?;
    let company = caller.read(move |tx, actor| get_company(tx, actor, id)).await?;
    Ok(respond::one(dto::company(&company)))
}

/// `GET /companies/{id}/contacts`: the company's contacts, listed like `/contacts`.
pub async fn contacts(
    caller: Caller<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let allowed: Vec<&str> = CONTACT_PARAMS.iter().copied().filter(|p| *p != "company_id").collect();
    let (page, filter) = contact_list_query(Query::parse(&req, &allowed)?)?;
    let id = id(&path)?;
    let result = caller
        .read(move |tx, actor| company_contacts(tx, actor, id, filter, &page))
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::contact))
}

/// `POST /companies`.
pub async fn create(caller: Caller<Write>, req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    Query::none(&req)?;
    let body = input::read_body(&req, payload).await?;
    let mut b = input::json_object(&req, &body)?;
    let raw = dto::company_input(&mut b);
    let new = b.finish(NewCompany::parse(raw))?;
    let company = caller.mutate(move |tx, actor| create_company(tx, actor, new)).await?;
    Ok(respond::created(
        Some(format!("/api/v1/companies/{}", company.id)),
        dto::company(&company),
    ))
}

/// `PATCH /companies/{id}`.
pub async fn update(
    caller: Caller<Write>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    Query::none(&req)?;
    let body = input::read_body(&req, payload).await?;
    let mut b = input::json_object(&req, &body)?;
    let raw = dto::company_patch(&mut b);
    let changes = b.finish(CompanyChanges::parse(raw))?;
    let id = id(&path)?;
    let company = caller
        .mutate(move |tx, actor| update_company(tx, actor, id, changes))
        .await?;
    Ok(respond::one(dto::company(&company)))
}

/// `DELETE /companies/{id}`: its contacts stay, with `company_id` cleared.
pub async fn delete(
    caller: Caller<Write>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Query::none(&req)?;
    let id = id(&path)?;
    caller.mutate(move |tx, actor| delete_company(tx, actor, id)).await?;
    Ok(respond::deleted())
}
