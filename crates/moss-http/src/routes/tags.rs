//! `/tags`.

use actix_web::{HttpRequest, HttpResponse};
use moss_domain::tag::TagSort;
use moss_domain::tag::service::list_tags;

use crate::auth::{Caller, Read};
use crate::error::ApiError;
use crate::input::{PAGINATION, Query};
use crate::{dto, respond};

/// `GET /tags`: the workspace's tags with counts.
pub async fn list(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PAGINATION).and_then(|mut q| {
        let page = q.page::<TagSort>();
        q.finish(page)
    });
    let (result, page) = caller
        .read(input, |tx, actor, page| Ok((list_tags(tx, actor, &page)?, page)))
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::tag))
}
