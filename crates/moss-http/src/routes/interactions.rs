//! `/interactions`: a record resource that clients cannot change (no PATCH).

use moss_domain::FieldError;
use moss_domain::interaction::{Interaction, InteractionFilter, InteractionType};
use serde_json::Value;

use super::records::{Filter, FilterKind, Ops, Resource, WORDS};
use crate::dto;
use crate::input::Query;

impl Resource for Interaction {
    type Writer = crate::auth::Write;
    const PATH: &'static str = "/interactions";
    const ITEM_PATH: &'static str = "/interactions/{id}";
    const TAG: &'static str = "Interactions";
    const SCHEMA: &'static str = "Interaction";
    const BODIES: (&'static str, &'static str) = ("InteractionCreate", "");
    const OPS: Ops = Ops {
        list: ("listInteractions", "Lists interactions, the most recent first."),
        create: ("createInteraction", "Logs an interaction with a contact."),
        get: ("getInteraction", "Reads an interaction."),
        update: ("", ""),
        delete: ("deleteInteraction", "Deletes an interaction."),
    };
    const FILTERS: &'static [Filter] = &[
        Filter {
            doc: "Full-text filter on the notes: every word must match, each as a case-insensitive prefix.",
            ..WORDS
        },
        Filter {
            name: "contact_id",
            kind: FilterKind::Reference { prefix: "cnt" },
            doc: "Only the interactions with this contact (`cnt_...` or its UUID).",
        },
        Filter {
            name: "deal_id",
            kind: FilterKind::Reference { prefix: "deal" },
            doc: "Only the interactions about this deal (`deal_...` or its UUID).",
        },
        Filter {
            name: "type",
            kind: FilterKind::AnyOf(InteractionType::NAMES),
            doc: "Only interactions of this type, or of any of a comma list (`type=call,meeting`).",
        },
        Filter {
            name: "occurred_after",
            kind: FilterKind::Timestamp,
            doc: "Only interactions that occurred at or after this time (RFC 3339).",
        },
        Filter {
            name: "occurred_before",
            kind: FilterKind::Timestamp,
            doc: "Only interactions that occurred at or before this time (RFC 3339).",
        },
    ];
    const IMMUTABLE: bool = true;

    fn filter(q: &Query) -> Result<InteractionFilter, Vec<FieldError>> {
        InteractionFilter::parse(|name| q.get(name))
    }

    fn render(&self) -> Value {
        dto::interaction(self)
    }
}
