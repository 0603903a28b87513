//! `/contacts` routes.

use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::PageRequest;
use moss_domain::contact::service::{create_contact, delete_contact, get_contact, list_contacts, update_contact};
use moss_domain::contact::{ContactChanges, ContactFilter, ContactSort, NewContact};
use moss_domain::id::ContactId;

use super::path_id;
use crate::auth::{Caller, Read, Write};
use crate::error::ApiError;
use crate::input::{PAGINATION, Query};
use crate::mutation::Mutation;
use crate::{dto, respond};
use serde_json::Value;

/// Query parameters of contact lists.
pub(crate) const PARAMS: [&str; 8] = [
    PAGINATION[0],
    PAGINATION[1],
    PAGINATION[2],
    PAGINATION[3],
    "q",
    "company_id",
    "tag",
    "email",
];

/// Parses a contact list's paging and filters, reporting every bad parameter.
pub(crate) fn list_query(mut q: Query) -> Result<(PageRequest<ContactSort>, ContactFilter), ApiError> {
    let page = q.page();
    let filter = ContactFilter::parse(q.get("q"), q.get("company_id"), q.get("tag"), q.get("email"));
    let filter = q.take(filter);
    q.finish(page.zip(filter))
}

fn id(raw: &str) -> Result<ContactId, ApiError> {
    path_id(raw, ContactId::parse, "Contact")
}

/// `GET /contacts`.
pub async fn list(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PARAMS).and_then(list_query);
    let (result, page) = caller
        .read(input, |tx, actor, (page, filter)| {
            Ok((list_contacts(tx, actor, &filter, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::contact))
}

/// `GET /contacts/{id}`.
pub async fn get(caller: Caller<Read>, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let input = Query::none(&req).and_then(|()| id(&path));
    let contact = caller.read(input, get_contact).await?;
    Ok(respond::one(dto::contact(&contact)))
}

/// `POST /contacts`.
pub async fn create(m: Mutation<Write>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let raw = dto::contact_input(&mut b);
    let new = b.finish(NewContact::parse(raw))?;
    m.run(
        move |tx, actor| create_contact(tx, actor, new),
        |c| respond::rendered(201, Some(format!("/api/v1/contacts/{}", c.id)), dto::contact(c)),
    )
    .await
}

/// `PATCH /contacts/{id}`.
pub async fn update(m: Mutation<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let raw = dto::contact_patch(&mut b);
    let changes = b.finish(ContactChanges::parse(raw))?;
    let id = id(&path)?;
    m.run(
        move |tx, actor| update_contact(tx, actor, id, changes),
        |c| respond::rendered(200, None, dto::contact(c)),
    )
    .await
}

/// `DELETE /contacts/{id}`.
pub async fn delete(m: Mutation<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path)?;
    m.run(
        move |tx, actor| delete_contact(tx, actor, id),
        |()| respond::rendered(200, None, Value::Null),
    )
    .await
}
