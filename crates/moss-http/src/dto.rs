//! Wire forms: how each record is rendered, and how each body is read into domain input.
//! Every record always has the same keys; absent values are `null`. Records are rendered
//! through the [`crate::wire`] structs, which the OpenAPI document describes.

use moss_domain::audit::AuditEntry;
use moss_domain::commitment::Commitment;
use moss_domain::company::Company;
use moss_domain::contact::Contact;
use moss_domain::contact::merge::Merged;
use moss_domain::custom_field::CustomField;
use moss_domain::deal::Deal;
use moss_domain::deal::ports::DealContact;
use moss_domain::followup::FollowUp;
use moss_domain::interaction::Interaction;
use moss_domain::key::ApiKey;
use moss_domain::tag::TagCount;
use moss_domain::text::TagName;
use moss_domain::time::{Timestamp, to_rfc3339};
use moss_domain::workspace::{Member, Workspace};
use serde_json::{Map, Value};

use crate::input::{Body, to_json};
use crate::wire::{self, to_value};

fn time(t: &Timestamp) -> String {
    to_rfc3339(t)
}

fn opt_time(t: Option<&Timestamp>) -> Option<String> {
    t.map(time)
}

fn tags(list: &[TagName]) -> Vec<String> {
    list.iter().map(|t| t.as_str().to_owned()).collect()
}

fn object(map: &std::collections::BTreeMap<String, moss_domain::value::Value>) -> Map<String, Value> {
    map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()
}

/// A workspace.
pub fn workspace(w: &Workspace) -> Value {
    to_value(&wire::Workspace {
        id: w.id.to_string(),
        name: w.name.clone(),
        slug: w.slug.as_str().to_owned(),
        created_at: time(&w.created_at),
        updated_at: time(&w.updated_at),
    })
}

/// A member.
pub fn member(m: &Member) -> Value {
    to_value(&wire::Member {
        id: m.id.to_string(),
        email: m.email.as_str().to_owned(),
        name: m.name.clone(),
        role: m.role.as_str().to_owned(),
        created_at: time(&m.created_at),
        updated_at: time(&m.updated_at),
    })
}

fn api_key_record(k: &ApiKey) -> wire::ApiKey {
    wire::ApiKey {
        id: k.id.to_string(),
        name: k.name.clone(),
        scope: k.scope.as_str().to_owned(),
        prefix: k.prefix.clone(),
        member_id: k.member_id.to_string(),
        expires_at: opt_time(k.expires_at.as_ref()),
        last_used_at: opt_time(k.last_used_at.as_ref()),
        created_at: time(&k.created_at),
    }
}

/// An API key (never its secret).
pub fn api_key(k: &ApiKey) -> Value {
    to_value(&api_key_record(k))
}

/// A newly created API key: the record plus `key`, the secret, shown this once.
/// `None` renders `"key": null`, as stored for replays.
pub fn created_api_key(k: &ApiKey, secret: Option<&str>) -> Value {
    to_value(&wire::CreatedApiKey {
        record: api_key_record(k),
        key: secret.map(str::to_owned),
    })
}

/// A contact.
pub fn contact(c: &Contact) -> Value {
    to_value(&contact_record(c))
}

fn contact_record(c: &Contact) -> wire::Contact {
    wire::Contact {
        id: c.id.to_string(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        email: c.email.as_ref().map(|e| e.as_str().to_owned()),
        phone: c.phone.clone(),
        title: c.title.clone(),
        linkedin_url: c.linkedin_url.as_ref().map(|u| u.as_str().to_owned()),
        company_id: c.company_id.map(|id| id.to_string()),
        notes: c.notes.clone(),
        tags: tags(&c.common.tags),
        custom_fields: object(&c.common.custom_fields),
        created_at: time(&c.common.created_at),
        updated_at: time(&c.common.updated_at),
    }
}

/// A company.
pub fn company(c: &Company) -> Value {
    to_value(&wire::Company {
        id: c.id.to_string(),
        name: c.name.clone(),
        domain: c.domain.as_ref().map(|d| d.as_str().to_owned()),
        industry: c.industry.clone(),
        website: c.website.as_ref().map(|u| u.as_str().to_owned()),
        phone: c.phone.clone(),
        notes: c.notes.clone(),
        tags: tags(&c.common.tags),
        custom_fields: object(&c.common.custom_fields),
        created_at: time(&c.common.created_at),
        updated_at: time(&c.common.updated_at),
    })
}

/// A tag with its count.
pub fn tag(t: &TagCount) -> Value {
    to_value(&wire::Tag {
        name: t.name.clone(),
        count: t.count,
    })
}

/// Reads an API key create body: `name`, `scope`, `expires_at`.
pub fn key_input(b: &mut Body) -> (Option<String>, Option<String>, Option<String>) {
    (b.string("name"), b.string("scope"), b.string("expires_at"))
}

/// An audit entry.
pub fn audit_entry(e: &AuditEntry) -> Value {
    to_value(&wire::AuditEntry {
        id: e.id.to_string(),
        event_type: e.event_type.clone(),
        target_type: e.target_type.clone(),
        target_id: e.target_id.clone(),
        actor_type: e.actor_type.clone(),
        actor_id: e.actor_id.clone(),
        request_id: e.request_id.clone(),
        ip: e.ip.clone(),
        metadata: object(&e.metadata),
        created_at: time(&e.created_at),
    })
}

/// A deal.
pub fn deal(d: &Deal) -> Value {
    to_value(&wire::deal::Deal {
        id: d.id.to_string(),
        name: d.name.clone(),
        stage: d.stage.as_str().to_owned(),
        value: d.value,
        currency: d.currency.as_str().to_owned(),
        expected_close: d.expected_close.map(|e| e.format("%Y-%m-%d").to_string()),
        company_id: d.company_id.map(|id| id.to_string()),
        notes: d.notes.clone(),
        lost_reason: d.lost_reason.clone(),
        closed_at: opt_time(d.closed_at.as_ref()),
        stage_changed_at: time(&d.stage_changed_at),
        tags: tags(&d.common.tags),
        custom_fields: object(&d.common.custom_fields),
        created_at: time(&d.common.created_at),
        updated_at: time(&d.common.updated_at),
    })
}

/// A custom-field definition.
pub fn custom_field(d: &CustomField) -> Value {
    to_value(&wire::custom_field::CustomField {
        id: d.id.to_string(),
        entity_type: d.entity_type.as_str().to_owned(),
        field_name: d.field_name.clone(),
        field_label: d.field_label.clone(),
        field_type: d.field_type.as_str().to_owned(),
        field_options: d.field_options.clone(),
        required: d.required,
        display_order: d.display_order,
        created_at: time(&d.common.created_at),
        updated_at: time(&d.common.updated_at),
    })
}

/// A deal's contact link, with the contact.
pub fn deal_contact(l: &DealContact) -> Value {
    to_value(&wire::deal::DealContact {
        deal_id: l.deal_id.to_string(),
        contact_id: l.contact_id.to_string(),
        role: l.role.clone(),
        created_at: time(&l.created_at),
        contact: contact_record(&l.contact),
    })
}

/// An interaction.
pub fn interaction(i: &Interaction) -> Value {
    to_value(&wire::interaction::Interaction {
        id: i.id.to_string(),
        contact_id: i.contact_id.to_string(),
        kind: i.kind.as_str().to_owned(),
        deal_id: i.deal_id.map(|d| d.to_string()),
        notes: i.notes.clone(),
        occurred_at: time(&i.occurred_at),
        created_at: time(&i.common.created_at),
        updated_at: time(&i.common.updated_at),
    })
}

fn day(d: &chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A commitment.
pub fn commitment(c: &Commitment) -> Value {
    to_value(&wire::engagement::Commitment {
        id: c.id.to_string(),
        contact_id: c.contact_id.to_string(),
        description: c.description.clone(),
        deal_id: c.deal_id.map(|d| d.to_string()),
        due_date: c.due_date.as_ref().map(day),
        status: c.status.as_str().to_owned(),
        completed_at: opt_time(c.completed_at.as_ref()),
        created_at: time(&c.common.created_at),
        updated_at: time(&c.common.updated_at),
    })
}

/// A follow-up.
pub fn followup(f: &FollowUp) -> Value {
    to_value(&wire::engagement::FollowUp {
        id: f.id.to_string(),
        contact_id: f.contact_id.to_string(),
        title: f.title.clone(),
        deal_id: f.deal_id.map(|d| d.to_string()),
        due_date: day(&f.due_date),
        priority: f.priority.as_str().to_owned(),
        notes: f.notes.clone(),
        completed: f.completed,
        completed_at: opt_time(f.completed_at.as_ref()),
        created_at: time(&f.common.created_at),
        updated_at: time(&f.common.updated_at),
    })
}

/// What a merge did (or would do).
pub fn merged(m: &Merged) -> Value {
    to_value(&wire::MergeResult {
        contact: contact_record(&m.contact),
        moved: wire::MergeMoved {
            interactions: m.moved.interactions,
            commitments: m.moved.commitments,
            followups: m.moved.followups,
            deal_links: m.moved.deal_links,
        },
        filled: m.filled.clone(),
        dry_run: m.dry_run,
    })
}
