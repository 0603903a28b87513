//! `GET /contacts/{id}/activity` and `GET /deals/{id}/activity`: the timelines.

use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::activity::{self, ActivityItem, ActivitySort, ActivityType, Subject, parse_types};
use moss_domain::id::{ContactId, DealId};
use serde_json::Value;

use super::path_id;
use super::records::{Filter, FilterKind, names};
use crate::auth::{Caller, Read};
use crate::error::ApiError;
use crate::input::{Query, to_json};
use crate::{respond, wire};

/// A timeline's one filter.
pub const FILTERS: &[Filter] = &[Filter {
    name: "type",
    kind: FilterKind::AnyOf(ActivityType::NAMES),
    doc: "Only items of this type, or of any of a comma list (`type=interaction,deal`).",
}];

async fn timeline(
    caller: Caller<Read>,
    req: &HttpRequest,
    subject: Result<Subject, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let input = Query::parse_strict(req, &names(FILTERS), &["type"]).and_then(|mut q| {
        let page = q.page::<ActivitySort>();
        let types = parse_types(q.get("type"));
        let types = q.take(types);
        let query = q.finish(page.zip(types))?;
        Ok((query, subject?))
    });
    let (result, page) = caller
        .read(input, |tx, actor, ((page, types), subject)| {
            Ok((activity::activity(tx, actor, subject, &types, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, render))
}

/// `GET /contacts/{id}/activity`.
pub async fn contact(
    caller: Caller<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let subject = path_id(&path, ContactId::parse, "Contact").map(Subject::Contact);
    timeline(caller, &req, subject).await
}

/// `GET /deals/{id}/activity`.
pub async fn deal(caller: Caller<Read>, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let subject = path_id(&path, DealId::parse, "Deal").map(Subject::Deal);
    timeline(caller, &req, subject).await
}

fn render(i: &ActivityItem) -> Value {
    wire::to_value(&wire::activity::ActivityItem {
        id: i.id.clone(),
        kind: i.kind.as_str().to_owned(),
        event: i.event.clone(),
        timestamp: moss_domain::time::to_rfc3339(&i.timestamp),
        details: i.details.iter().map(|(k, v)| (k.clone(), to_json(v))).collect(),
    })
}
