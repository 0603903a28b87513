//! `/commitments` and `/follow-ups`: record resources with a completion route each
//! (`PATCH /.../{id}/complete`).

use moss_domain::FieldError;
use moss_domain::commitment::{Commitment, CommitmentFilter, CommitmentStatus};
use moss_domain::followup::{Due, FollowUp, FollowUpFilter, Priority};
use serde_json::Value;

use super::Endpoint;
use super::records::{Filter, FilterKind, Ops, Resource, complete_route, crud};
use crate::dto;
use crate::input::Query;

const CONTACT: Filter = Filter {
    name: "contact_id",
    kind: FilterKind::Reference { prefix: "cnt" },
    doc: "Only the records of this contact (`cnt_...` or its UUID).",
};
const DEAL: Filter = Filter {
    name: "deal_id",
    kind: FilterKind::Reference { prefix: "deal" },
    doc: "Only the records of this deal (`deal_...` or its UUID).",
};
const TZ: Filter = Filter {
    name: "tz",
    kind: FilterKind::Zone,
    doc: "The IANA time zone whose calendar date is \"today\" (default UTC).",
};
const BOOLEAN: &[&str] = &["true", "false"];

impl Resource for Commitment {
    type Writer = crate::auth::Write;
    const PATH: &'static str = "/commitments";
    const ITEM_PATH: &'static str = "/commitments/{id}";
    const TAG: &'static str = "Commitments";
    const SCHEMA: &'static str = "Commitment";
    const BODIES: (&'static str, &'static str) = ("CommitmentCreate", "CommitmentUpdate");
    const OPS: Ops = Ops {
        list: ("listCommitments", "Lists commitments, by due date (undated ones last)."),
        create: ("createCommitment", "Records a promise made to a contact."),
        get: ("getCommitment", "Reads a commitment."),
        update: (
            "updateCommitment",
            "Changes the fields sent; `status: completed` completes it (`commitment.completed`).",
        ),
        delete: ("deleteCommitment", "Deletes a commitment."),
    };
    const FILTERS: &'static [Filter] = &[
        CONTACT,
        DEAL,
        Filter {
            name: "status",
            kind: FilterKind::AnyOf(CommitmentStatus::NAMES),
            doc: "Only commitments of this status, or of any of a comma list.",
        },
        Filter {
            name: "overdue",
            kind: FilterKind::OneOf(BOOLEAN),
            doc: "`true`: only open commitments due before today; `false`: every other one.",
        },
        TZ,
    ];

    fn filter(q: &Query) -> Result<CommitmentFilter, Vec<FieldError>> {
        CommitmentFilter::parse(|name| q.get(name))
    }

    fn render(&self) -> Value {
        dto::commitment(self)
    }
}

impl Resource for FollowUp {
    type Writer = crate::auth::Write;
    const PATH: &'static str = "/follow-ups";
    const ITEM_PATH: &'static str = "/follow-ups/{id}";
    const TAG: &'static str = "Follow-ups";
    const SCHEMA: &'static str = "FollowUp";
    const BODIES: (&'static str, &'static str) = ("FollowUpCreate", "FollowUpUpdate");
    const OPS: Ops = Ops {
        list: ("listFollowUps", "Lists follow-ups, by due date."),
        create: ("createFollowUp", "Sets a reminder about a contact."),
        get: ("getFollowUp", "Reads a follow-up."),
        update: (
            "updateFollowUp",
            "Changes the fields sent; `completed: true` completes it (`followup.completed`).",
        ),
        delete: ("deleteFollowUp", "Deletes a follow-up."),
    };
    const FILTERS: &'static [Filter] = &[
        CONTACT,
        DEAL,
        Filter {
            name: "completed",
            kind: FilterKind::OneOf(BOOLEAN),
            doc: "Only completed (`true`) or only open (`false`) follow-ups.",
        },
        Filter {
            name: "priority",
            kind: FilterKind::AnyOf(Priority::NAMES),
            doc: "Only follow-ups of this priority, or of any of a comma list (`priority=high,medium`).",
        },
        Filter {
            name: "due",
            kind: FilterKind::AnyOf(Due::NAMES),
            doc: "Only open follow-ups due today, before today (`overdue`) or after today (`upcoming`), or any of a comma list.",
        },
        TZ,
    ];

    fn filter(q: &Query) -> Result<FollowUpFilter, Vec<FieldError>> {
        FollowUpFilter::parse(|name| q.get(name))
    }

    fn render(&self) -> Value {
        dto::followup(self)
    }
}

/// The routes of both: their five each and their completion routes.
pub fn routes() -> Vec<Endpoint> {
    let mut routes = crud::<Commitment>();
    routes.push(complete_route::<Commitment>(
        "/commitments/{id}/complete",
        "completeCommitment",
        "Completes a commitment (`commitment.completed`); 409 when it is completed already.",
    ));
    routes.extend(crud::<FollowUp>());
    routes.push(complete_route::<FollowUp>(
        "/follow-ups/{id}/complete",
        "completeFollowUp",
        "Completes a follow-up (`followup.completed`); 409 when it is completed already.",
    ));
    routes
}
