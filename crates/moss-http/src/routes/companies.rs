//! `/companies`: a record resource, and `/companies/{id}/contacts`.

use actix_web::{HttpRequest, HttpResponse, web};
use moss_domain::FieldError;
use moss_domain::company::service::company_contacts;
use moss_domain::company::{Company, CompanyFilter};
use moss_domain::contact::Contact;
use moss_domain::id::CompanyId;
use serde_json::Value;

use super::path_id;
use super::records::{Filter, FilterKind, Ops, Resource, TAG, WORDS, list_query};
use crate::auth::{Caller, Read};
use crate::error::ApiError;
use crate::input::Query;
use crate::{dto, respond};

impl Resource for Company {
    type Writer = crate::auth::Write;
    const PATH: &'static str = "/companies";
    const ITEM_PATH: &'static str = "/companies/{id}";
    const TAG: &'static str = "Companies";
    const SCHEMA: &'static str = "Company";
    const BODIES: (&'static str, &'static str) = ("CompanyCreate", "CompanyUpdate");
    const OPS: Ops = Ops {
        list: ("listCompanies", "Lists companies."),
        create: ("createCompany", "Creates a company."),
        get: ("getCompany", "Reads a company."),
        update: (
            "updateCompany",
            "Changes the fields sent; null clears an optional field.",
        ),
        delete: (
            "deleteCompany",
            "Deletes a company; its contacts stay, with company_id cleared.",
        ),
    };
    const FILTERS: &'static [Filter] = &[
        WORDS,
        TAG,
        Filter {
            name: "domain",
            kind: FilterKind::Text,
            doc: "Only the company with this domain (case-insensitive).",
        },
    ];

    fn filter(q: &Query) -> Result<CompanyFilter, Vec<FieldError>> {
        Ok(CompanyFilter::parse(q.get("domain")))
    }

    fn render(&self) -> Value {
        dto::company(self)
    }
}

/// The contacts list's parameters a company's contacts do not take: the company is the path's.
pub(crate) const NOT_OF_A_COMPANY: [&str; 1] = ["company_id"];

/// `GET /companies/{id}/contacts`: the company's contacts, listed like `/contacts`.
pub async fn contacts(
    caller: Caller<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let input = list_query::<Contact>(&req, &NOT_OF_A_COMPANY)
        .and_then(|(page, filter)| Ok((page, filter, path_id(&path, CompanyId::parse, "Company")?)));
    let (result, page) = caller
        .read(input, |tx, actor, (page, filter, id)| {
            Ok((company_contacts(tx, actor, id, filter, &page)?, page))
        })
        .await?;
    Ok(respond::list(result, page.page, page.per_page, dto::contact))
}
