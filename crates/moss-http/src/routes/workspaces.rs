//! `/workspaces` routes.

use actix_web::{HttpRequest, HttpResponse};
use moss_domain::Page;
use moss_domain::workspace::service::{current_workspace, list_members};
use moss_domain::workspace::{MemberSort, WorkspaceSort};

use crate::auth::{Caller, Read};
use crate::error::ApiError;
use crate::input::{PAGINATION, Query};
use crate::{dto, respond};

/// `GET /workspaces`: the caller's workspace, as a one-item list.
pub async fn list(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PAGINATION).and_then(|mut q| {
        let page = q.page::<WorkspaceSort>();
        q.finish(page)
    });
    let (ws, page) = caller
        .read(input, |tx, actor, page| Ok((current_workspace(tx, actor)?, page)))
        .await?;
    let items = if page.page == 1 { vec![ws] } else { Vec::new() };
    Ok(respond::list(
        Page { items, total: 1 },
        page.page,
        page.per_page,
        dto::workspace,
    ))
}

/// `GET /workspaces/members`: members of the caller's workspace.
pub async fn members(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PAGINATION).and_then(|mut q| {
        let page = q.page::<MemberSort>();
        q.finish(page)
    });
    let (result, page) = caller
        .read(input, |tx, actor, page| Ok((list_members(tx, actor, &page)?, page)))
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::member))
}
