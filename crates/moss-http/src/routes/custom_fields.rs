//! `/custom-fields` (a record resource: owner writes, everyone reads) and `GET /search`.

use actix_web::{HttpRequest, HttpResponse};
use moss_domain::FieldError;
use moss_domain::custom_field::{CustomField, CustomFieldFilter, EntityType, FieldType};
use moss_domain::search::{self, Found, SearchQuery};
use serde_json::{Map, Value};

use super::records::{Filter, FilterKind, Ops, Resource};
use crate::auth::{Caller, Read};
use crate::error::ApiError;
use crate::input::Query;
use crate::{dto, respond};

impl Resource for CustomField {
    type Writer = crate::auth::OwnerWrite;
    const PATH: &'static str = "/custom-fields";
    const ITEM_PATH: &'static str = "/custom-fields/{id}";
    const TAG: &'static str = "Custom fields";
    const SCHEMA: &'static str = "CustomField";
    const BODIES: (&'static str, &'static str) = ("CustomFieldCreate", "CustomFieldUpdate");
    const OPS: Ops = Ops {
        list: ("listCustomFields", "Lists the custom-field definitions."),
        create: ("createCustomField", "Defines a custom field (owner only)."),
        get: ("getCustomField", "Reads a custom-field definition."),
        update: (
            "updateCustomField",
            "Changes a definition's label, options, required flag or display order (owner only).",
        ),
        delete: (
            "deleteCustomField",
            "Deletes a definition; its values vanish from every read at once (owner only).",
        ),
    };
    const FILTERS: &'static [Filter] = &[
        Filter {
            name: "entity_type",
            kind: FilterKind::AnyOf(EntityType::NAMES),
            doc: "Only the definitions for these records (one or a comma list).",
        },
        Filter {
            name: "field_type",
            kind: FilterKind::AnyOf(FieldType::NAMES),
            doc: "Only the definitions of these field types (one or a comma list).",
        },
    ];

    fn filter(q: &Query) -> Result<CustomFieldFilter, Vec<FieldError>> {
        CustomFieldFilter::parse(q.get("entity_type"), q.get("field_type"))
    }

    fn render(&self) -> Value {
        dto::custom_field(self)
    }
}

/// The query parameters of `GET /search`.
pub const SEARCH_FILTERS: &[Filter] = &[
    Filter {
        name: "q",
        kind: FilterKind::Words,
        doc: "Required: every word must match, each as a case-insensitive prefix; near matches fill the places left.",
    },
    Filter {
        name: "types",
        kind: FilterKind::AnyOf(search::SearchType::NAMES),
        doc: "The record types to search, a comma list (default all four).",
    },
    Filter {
        name: "per_type",
        kind: FilterKind::Integer { min: 1, max: 20 },
        doc: "Most records per type, 1 to 20 (default 5).",
    },
];

/// `GET /search`: the best records of each type asked for.
pub async fn search(caller: Caller<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let names: Vec<&str> = SEARCH_FILTERS.iter().map(|f| f.name).collect();
    let strict: Vec<&str> = SEARCH_FILTERS.iter().filter(|f| f.strict()).map(|f| f.name).collect();
    let input = Query::parse_strict(&req, &names, &strict).and_then(|mut q| {
        let parsed = SearchQuery::parse(q.get("q"), q.get("types"), q.get("per_type"));
        let parsed = q.take(parsed);
        q.finish(parsed)
    });
    let found = caller.read(input, |tx, actor, q| search::search(tx, actor, &q)).await?;
    let mut data = Map::new();
    for f in found {
        let (name, records): (&str, Vec<Value>) = match f {
            Found::Contacts(r) => ("contacts", r.iter().map(Resource::render).collect()),
            Found::Companies(r) => ("companies", r.iter().map(Resource::render).collect()),
            Found::Deals(r) => ("deals", r.iter().map(Resource::render).collect()),
            Found::Interactions(r) => ("interactions", r.iter().map(Resource::render).collect()),
        };
        data.insert(name.to_owned(), Value::Array(records));
    }
    Ok(respond::one(Value::Object(data)))
}
