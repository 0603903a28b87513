//! `/deals`: a record resource, and the routes kept by hand beside it: stage moves, the stage
//! history, contact links and `/pipeline`.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::FieldError;
use moss_domain::deal::model::{Deal, DealFilter, Stage};
use moss_domain::deal::ports::{DealContact, PipelineFilter, StageSpan};
use moss_domain::deal::service::{self as deals, NewLink, Pipeline, parse_deal_ids};
use moss_domain::error::Errors;
use moss_domain::id::{ContactId, DealId};
use moss_domain::page::{Page, PageRequest, SortField};
use moss_domain::store::{Applied, Tx};
use moss_domain::text::fold;
use moss_domain::time::{now, to_rfc3339};
use moss_domain::value::Patch;
use moss_domain::{Actor, DomainError};
use serde_json::Value;

use super::path_id;
use super::records::{Filter, FilterKind, Ops, Resource, TAG, WORDS, record_answer};
use crate::auth::{Caller, Read, Write};
use crate::error::ApiError;
use crate::input::{Body, PAGINATION, Query};
use crate::mutation::Mutation;
use crate::{dto, respond, wire};

/// The stage names, for the filters' schemas.
pub const STAGES: &[&str] = &["lead", "prospect", "negotiation", "won", "lost"];

impl Resource for Deal {
    type Writer = crate::auth::Write;
    const PATH: &'static str = "/deals";
    const ITEM_PATH: &'static str = "/deals/{id}";
    const TAG: &'static str = "Deals";
    const SCHEMA: &'static str = "Deal";
    const BODIES: (&'static str, &'static str) = ("DealCreate", "DealUpdate");
    const OPS: Ops = Ops {
        list: ("listDeals", "Lists deals."),
        create: ("createDeal", "Creates a deal."),
        get: ("getDeal", "Reads a deal."),
        update: (
            "updateDeal",
            "Changes the fields sent; null clears an optional field; a new stage is a stage move.",
        ),
        delete: ("deleteDeal", "Deletes a deal and its contact links."),
    };
    const FILTERS: &'static [Filter] = &[
        WORDS,
        Filter {
            name: "stage",
            kind: FilterKind::AnyOf(STAGES),
            doc: "Only deals in this stage, or in any of a comma list (`stage=lead,prospect`).",
        },
        Filter {
            name: "company_id",
            kind: FilterKind::Reference { prefix: "cmp" },
            doc: "Only the deals of this company (`cmp_...` or its UUID).",
        },
        Filter {
            name: "contact_id",
            kind: FilterKind::Reference { prefix: "cnt" },
            doc: "Only the deals linked to this contact (`cnt_...` or its UUID).",
        },
        Filter {
            name: "min_value",
            kind: FilterKind::Cents,
            doc: "Only deals worth at least this many cents (deals of unknown value are left out).",
        },
        Filter {
            name: "max_value",
            kind: FilterKind::Cents,
            doc: "Only deals worth at most this many cents; below `min_value` is a 400 naming `min_value`.",
        },
        TAG,
        Filter {
            name: "expected_close_before",
            kind: FilterKind::Date,
            doc: "Only deals expected to close on or before this date (`YYYY-MM-DD`).",
        },
        Filter {
            name: "expected_close_after",
            kind: FilterKind::Date,
            doc: "Only deals expected to close on or after this date (`YYYY-MM-DD`).",
        },
    ];

    fn filter(q: &Query) -> Result<DealFilter, Vec<FieldError>> {
        DealFilter::parse(|name| q.get(name))
    }

    fn render(&self) -> Value {
        dto::deal(self)
    }
}

fn deal_id(raw: &str) -> Result<DealId, ApiError> {
    path_id(raw, DealId::parse, "Deal")
}

/// A stage move's body: `stage` (required) and `lost_reason`.
pub(crate) fn read_stage_move(b: &mut Body) -> Result<(Stage, Patch<String>), Vec<FieldError>> {
    let stage = b.string("stage");
    let reason = b.patch_string("lost_reason");
    read_move(stage, reason)
}

fn read_move(stage: Option<String>, reason: Patch<String>) -> Result<(Stage, Patch<String>), Vec<FieldError>> {
    let mut e = Errors::new();
    let stage = match stage {
        None => {
            e.push("stage", "is required");
            None
        }
        Some(s) => e.check(Stage::parse("stage", &s)),
    };
    let reason = e
        .check(moss_domain::text::patch_optional_text(
            "lost_reason",
            reason,
            moss_domain::deal::model::MAX_LOST_REASON,
        ))
        .unwrap_or_default();
    e.finish()?;
    stage
        .map(|s| (s, reason))
        .ok_or_else(|| vec![FieldError::new("stage", "is required")])
}

/// A bulk move's body: `deal_ids`, `stage`, `lost_reason`.
pub(crate) fn read_bulk_move(b: &mut Body) -> Result<(Vec<DealId>, Stage, Patch<String>), Vec<FieldError>> {
    let ids = b.string_list("deal_ids");
    let stage = b.string("stage");
    let reason = b.patch_string("lost_reason");
    let ids = parse_deal_ids(ids);
    let moved = read_move(stage, reason);
    moss_domain::record::both(ids, moved).map(|(ids, (stage, reason))| (ids, stage, reason))
}

/// A link body: `contact_id` (required), `role`.
pub(crate) fn read_link(b: &mut Body) -> Result<NewLink, Vec<FieldError>> {
    let contact = b.string("contact_id");
    let role = b.string("role");
    NewLink::parse(contact, role)
}

/// `PATCH /deals/{id}/stage`.
pub async fn move_stage(m: Mutation<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let parsed = read_stage_move(&mut b);
    let (stage, reason) = b.finish(parsed)?;
    let id = deal_id(&path)?;
    m.run_applied(
        move |tx, actor| deals::move_stage(tx, actor, id, stage, reason),
        |a: &Applied<Deal>| record_answer(200, None, a),
    )
    .await
}

/// `PATCH /deals/bulk-stage`: all or nothing; the deals in the order of `deal_ids`.
pub async fn bulk_move(m: Mutation<Write>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let parsed = read_bulk_move(&mut b);
    let (ids, stage, reason) = b.finish(parsed)?;
    m.run(
        move |tx, actor| deals::bulk_move(tx, actor, &ids, stage, reason),
        |list: &Vec<Deal>| respond::rendered(200, None, Value::Array(list.iter().map(dto::deal).collect())),
    )
    .await
}

fn stage_span(s: &StageSpan) -> Value {
    let until = s.left_at.unwrap_or_else(now);
    let seconds = (until - s.entered_at).num_seconds().max(0);
    wire::to_value(&wire::deal::StageSpan {
        stage: s.stage.as_str().to_owned(),
        entered_at: to_rfc3339(&s.entered_at),
        left_at: s.left_at.as_ref().map(to_rfc3339),
        seconds_in_stage: seconds,
    })
}

/// The use case of a paged list under one deal.
type SubList<S, T> = fn(&mut dyn Tx, &Actor, DealId, &PageRequest<S>) -> Result<Page<T>, DomainError>;

/// A paged list under one deal (`/deals/{id}/stages`, `/deals/{id}/contacts`): paging only,
/// the deal's id from the path, `list` the use case and `render` each item.
async fn deal_sub_list<S, T>(
    caller: Caller<Read>,
    req: &HttpRequest,
    path: &str,
    list: SubList<S, T>,
    render: fn(&T) -> Value,
) -> Result<HttpResponse, ApiError>
where
    S: SortField + Send + 'static,
    T: Send + 'static,
{
    let input = Query::parse(req, &PAGINATION).and_then(|mut q| {
        let page = q.page::<S>();
        let page = q.finish(page)?;
        Ok((page, deal_id(path)?))
    });
    let (result, page) = caller
        .read(input, move |tx, actor, (page, id)| {
            Ok((list(tx, actor, id, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, render))
}

/// `GET /deals/{id}/stages`.
pub async fn stages(caller: Caller<Read>, req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    deal_sub_list(caller, &req, &path, deals::stage_history, stage_span).await
}

/// `GET /deals/{id}/contacts`.
pub async fn contacts(
    caller: Caller<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    deal_sub_list(caller, &req, &path, deals::contact_links, dto::deal_contact).await
}

/// `POST /deals/{id}/contacts`.
pub async fn add_contact(m: Mutation<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut b = m.json()?;
    let parsed = read_link(&mut b);
    let new = b.finish(parsed)?;
    let id = deal_id(&path)?;
    m.run(
        move |tx, actor| deals::link_contact(tx, actor, id, new),
        |l: &DealContact| respond::rendered(201, None, dto::deal_contact(l)),
    )
    .await
}

/// `DELETE /deals/{id}/contacts/{contact_id}`.
pub async fn remove_contact(m: Mutation<Write>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (deal, contact) = path.into_inner();
    let id = deal_id(&deal)?;
    let contact =
        ContactId::parse(&contact).ok_or_else(|| ApiError::not_found("That contact is not linked to this deal."))?;
    m.run(
        move |tx, actor| deals::unlink_contact(tx, actor, id, contact),
        |()| respond::rendered(200, None, Value::Null),
    )
    .await
}

/// Query parameters of `/pipeline`: the deal list's, those that make sense for a summary.
pub(crate) fn pipeline_filters() -> Vec<Filter> {
    const NAMES: [&str; 4] = ["company_id", "tag", "expected_close_before", "expected_close_after"];
    Deal::FILTERS
        .iter()
        .copied()
        .filter(|f| NAMES.contains(&f.name))
        .collect()
}

/// Parses the pipeline's filters as the deal list parses them, reporting every bad one.
pub(crate) fn pipeline_query(req: &HttpRequest) -> Result<PipelineFilter, ApiError> {
    let filters = pipeline_filters();
    let strict: Vec<&str> = filters.iter().filter(|f| f.strict()).map(|f| f.name).collect();
    let names: Vec<&str> = filters.iter().map(|f| f.name).collect();
    let mut q = Query::parse_strict(req, &names, &strict)?;
    let tag = q.get("tag").map(|t| fold(t.trim()));
    let own = Deal::filter(&q);
    let own = q.take(own);
    q.finish(own.map(|f| PipelineFilter {
        company_id: f.company_id,
        tag,
        expected_close_before: f.expected_close_before,
        expected_close_after: f.expected_close_after,
    }))
}

/// `GET /pipeline`: counts and exact totals per stage and currency, summed by the database.
pub async fn pipeline(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let input = pipeline_query(&req);
    let summary = caller
        .read(input, |tx, actor, filter| deals::pipeline(tx, actor, &filter))
        .await?;
    let body = render_pipeline(&summary).map_err(|_| ApiError::internal("the pipeline could not be rendered"))?;
    Ok(HttpResponse::Ok().insert_header(ContentType::json()).body(body))
}

fn totals(g: &deals::Group) -> Result<Vec<wire::deal::PipelineTotal>, serde_json::Error> {
    g.totals
        .iter()
        .map(|(currency, value)| {
            Ok(wire::deal::PipelineTotal {
                currency: (*currency).to_owned(),
                value: serde_json::value::RawValue::from_string(value.to_string())?,
            })
        })
        .collect()
}

/// The pipeline's JSON: totals are written as exact integers (past 2^63 too), so the body is
/// serialized directly rather than through `serde_json::Value`.
pub(crate) fn render_pipeline(p: &Pipeline) -> Result<String, serde_json::Error> {
    let stages = p
        .stages
        .iter()
        .map(|(stage, g)| {
            Ok(wire::deal::PipelineStage {
                stage: stage.as_str().to_owned(),
                count: g.count,
                totals: totals(g)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    #[allow(clippy::cast_precision_loss)]
    let win_rate = p.win_rate_bp.map(|bp| bp as f64 / 10_000.0);
    let data = wire::deal::Pipeline {
        stages,
        open: wire::deal::PipelineOpen {
            count: p.open.count,
            totals: totals(&p.open)?,
        },
        win_rate,
    };
    #[derive(serde::Serialize)]
    struct Envelope<T> {
        data: T,
    }
    serde_json::to_string(&Envelope { data })
}
