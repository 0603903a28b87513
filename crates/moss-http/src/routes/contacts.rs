//! `/contacts`: a record resource.

use moss_domain::FieldError;
use moss_domain::contact::{Contact, ContactFilter};
use serde_json::Value;

use super::records::{Filter, FilterKind, Ops, Resource, TAG, WORDS};
use crate::dto;
use crate::input::Query;

impl Resource for Contact {
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
