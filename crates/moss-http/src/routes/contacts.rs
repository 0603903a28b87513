//! `/contacts`: a record resource.

use actix_web::HttpResponse;
use moss_domain::FieldError;
use moss_domain::contact::merge::{self as contact_merge, Merged, parse_merge};
use moss_domain::contact::{Contact, ContactFilter};
use moss_domain::id::ContactId;
use serde_json::Value;

use super::records::{Filter, FilterKind, Ops, Resource, TAG, WORDS};
use crate::auth::Write;
use crate::error::ApiError;
use crate::input::{Body, Query};
use crate::mutation::{Mutation, QueryNames};
use crate::{dto, respond};

impl Resource for Contact {
    type Writer = crate::auth::Write;
    const PATH: &'static str = "/contacts";
    const ITEM_PATH: &'static str = "/contacts/{id}";
    const TAG: &'static str = "Contacts";
    const SCHEMA: &'static str = "Contact";
    const BODIES: (&'static str, &'static str) = ("ContactCreate", "ContactUpdate");
    const OPS: Ops = Ops {
        list: ("listContacts", "Lists contacts."),
        create: ("createContact", "Creates a contact."),
        get: ("getContact", "Reads a contact."),
        update: (
            "updateContact",
            "Changes the fields sent; null clears an optional field.",
        ),
        delete: ("deleteContact", "Deletes a contact."),
    };
    const FILTERS: &'static [Filter] = &[
        WORDS,
        Filter {
            name: "company_id",
            kind: FilterKind::Reference { prefix: "cmp" },
            doc: "Only the contacts of this company (`cmp_...` or its UUID); an unknown company matches nothing.",
        },
        TAG,
        Filter {
            name: "email",
            kind: FilterKind::Text,
            doc: "Only the contact with this email (case-insensitive).",
        },
    ];

    fn filter(q: &Query) -> Result<ContactFilter, Vec<FieldError>> {
        ContactFilter::parse(q.get("company_id"), q.get("email"))
    }

    fn render(&self) -> Value {
        dto::contact(self)
    }
}

/// `POST /contacts/merge` takes `dry_run`.
#[derive(Debug)]
pub struct MergeQuery;

impl QueryNames for MergeQuery {
    const NAMES: &'static [&'static str] = &["dry_run"];
}

/// The merge's one query parameter, for the OpenAPI document.
pub const MERGE_FILTERS: &[Filter] = &[Filter {
    name: "dry_run",
    kind: FilterKind::OneOf(&["true", "false"]),
    doc: "`true`: answer what the merge would do, and change nothing (default `false`).",
}];

/// Reads a merge body: `source_id` and `target_id`.
pub(crate) fn read_merge(b: &mut Body) -> Result<(ContactId, ContactId), Vec<FieldError>> {
    let source = b.string("source_id");
    let target = b.string("target_id");
    parse_merge(source, target)
}

/// `POST /contacts/merge`: folds the source into the target, in one transaction.
pub async fn merge(m: Mutation<Write, MergeQuery>) -> Result<HttpResponse, ApiError> {
    let dry_run = match m.query()?.get("dry_run") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("dry_run", "must be true or false")),
    };
    let mut b = m.json()?;
    let parsed = read_merge(&mut b);
    let (source, target) = b.finish(parsed)?;
    m.run(
        move |tx, actor| contact_merge::merge(tx, actor, source, target, dry_run),
        |r: &Merged| respond::rendered(200, None, dto::merged(r)),
    )
    .await
}
