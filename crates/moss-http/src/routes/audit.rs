//! `/audit-logs` (owner only).

use actix_web::{HttpRequest, HttpResponse};
use moss_domain::audit::{AuditFilter, AuditSort, list_audit};

use crate::auth::{Caller, OwnerRead};
use crate::error::ApiError;
use crate::input::{PAGINATION, Query};
use crate::{dto, respond};

/// Query parameters of the audit log list.
pub(crate) const PARAMS: [&str; 10] = [
    PAGINATION[0],
    PAGINATION[1],
    PAGINATION[2],
    PAGINATION[3],
    "event_type",
    "target_type",
    "target_id",
    "actor_type",
    "actor_id",
    "request_id",
];

/// `GET /audit-logs`: the workspace's audit entries, newest first.
pub async fn list(caller: Caller<OwnerRead>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = Query::parse(&req, &PARAMS).and_then(|mut q| {
        let page = q.page::<AuditSort>();
        let owned = |name: &str| q.get(name).map(str::to_owned);
        let filter = AuditFilter {
            event_type: owned("event_type"),
            target_type: owned("target_type"),
            target_id: owned("target_id"),
            actor_type: owned("actor_type"),
            actor_id: owned("actor_id"),
            request_id: owned("request_id"),
        };
        q.finish(page).map(|page| (page, filter))
    });
    let (result, page) = caller
        .read(input, |tx, actor, (page, filter)| {
            Ok((list_audit(tx, actor, &filter, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::audit_entry))
}
