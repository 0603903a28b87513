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
use crate::input::{PAGINATION, Query};
use crate::mutation::Mutation;
use crate::{dto, respond};
use serde_json::Value;

/// Query parameters of the companies list.
pub(crate) const PARAMS: [&str; 7] = [
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
    let input = Query::parse(&req, &PARAMS).and_then(|mut q| {
        let page = q.page::<CompanySort>();
        let filter = CompanyFilter::parse(q.get("q"), q.get("tag"), q.get("domain"));
        q.finish(page).map(|page| (page, filter))
    });
    let (result, page) = caller
        .read(input, |tx, actor, (page, filter)| {
            Ok((list_companies(tx, actor, &filter, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::company))
}

/// `GET /companies/{id}`.
pub async fn get(caller: Caller<Read>, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let input = Query::none(&req).and_then(|()| id(&path));
    let company = caller.read(input, get_company).await?;
    Ok(respond::one(dto::company(&company)))
}

/// `GET /companies/{id}/contacts`: the company's contacts, listed like `/contacts`.
pub async fn contacts(
    caller: Caller<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let allowed: Vec<&str> = CONTACT_PARAMS.iter().copied().filter(|p| *p != "company_id").collect();
    let input = Query::parse(&req, &allowed)
        .and_then(contact_list_query)
        .and_then(|(page, filter)| Ok((page, filter, id(&path)?)));
    let (result, page) = caller
        .read(input, |tx, actor, (page, filter, id)| {
            Ok((company_contacts(tx, actor, id, filter, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::contact))
}

/// `POST /companies`.
pub async fn create(m: Mutation<Write>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let raw = dto::company_input(&mut b);
    let new = b.finish(NewCompany::parse(raw))?;
    m.run(
        move |tx, actor| create_company(tx, actor, new),
        |c| respond::rendered(201, Some(format!("/api/v1/companies/{}", c.id)), dto::company(c)),
    )
    .await
}

/// `PATCH /companies/{id}`.
pub async fn update(m: Mutation<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let raw = dto::company_patch(&mut b);
    let changes = b.finish(CompanyChanges::parse(raw))?;
    let id = id(&path)?;
    m.run(
        move |tx, actor| update_company(tx, actor, id, changes),
        |c| respond::rendered(200, None, dto::company(c)),
    )
    .await
}

/// `DELETE /companies/{id}`: its contacts stay, with `company_id` cleared.
pub async fn delete(m: Mutation<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path)?;
    m.run(
        move |tx, actor| delete_company(tx, actor, id),
        |()| respond::rendered(200, None, Value::Null),
    )
    .await
}
