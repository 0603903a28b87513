//! `/tags`.

use actix_web::{HttpRequest, HttpResponse};
use moss_domain::tag::TagSort;
use moss_domain::tag::ports::TagType;
use moss_domain::tag::service::list_tags;

use crate::auth::{Caller, Read};
use crate::error::ApiError;
use crate::input::{PAGINATION, Query};
use crate::{dto, respond};

/// Query parameters of the tags list.
pub(crate) const PARAMS: [&str; 5] = [PAGINATION[0], PAGINATION[1], PAGINATION[2], PAGINATION[3], "type"];

/// `GET /tags`: the workspace's tags with counts of every record type, or of `type`.
pub async fn list(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PARAMS).and_then(|mut q| {
        let page = q.page::<TagSort>();
        let kind = q.get("type").map(|t| TagType::parse("type", t)).transpose();
        let kind = q.take(kind.map_err(|e| vec![e]));
        q.finish(page.zip(kind))
    });
    let (result, page) = caller
        .read(input, |tx, actor, (page, kind)| {
            Ok((list_tags(tx, actor, kind, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::tag))
}
