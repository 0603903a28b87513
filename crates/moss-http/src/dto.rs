//! Wire forms: how each record is rendered, and how each body is read into domain input.
//! Every record always has the same keys; absent values are `null`.

use moss_domain::audit::AuditEntry;
use moss_domain::company::{Company, CompanyInput, CompanyPatch};
use moss_domain::contact::{Contact, ContactInput, ContactPatch};
use moss_domain::key::ApiKey;
use moss_domain::tag::TagCount;
use moss_domain::text::TagName;
use moss_domain::time::{Timestamp, to_rfc3339};
use moss_domain::workspace::{Member, Workspace};
use serde_json::{Value, json};

use crate::input::{Body, to_json};

fn time(t: &Timestamp) -> Value {
    json!(to_rfc3339(t))
}

fn opt_time(t: Option<&Timestamp>) -> Value {
    t.map_or(Value::Null, time)
}

fn tags(list: &[TagName]) -> Value {
    json!(list.iter().map(TagName::as_str).collect::<Vec<_>>())
}

fn object(map: &std::collections::BTreeMap<String, moss_domain::value::Value>) -> Value {
    Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
}

/// A workspace.
pub fn workspace(w: &Workspace) -> Value {
    json!({
        "id": w.id.to_string(),
        "name": w.name,
        "slug": w.slug.as_str(),
        "created_at": time(&w.created_at),
        "updated_at": time(&w.updated_at),
    })
}

/// A member.
pub fn member(m: &Member) -> Value {
    json!({
        "id": m.id.to_string(),
        "email": m.email.as_str(),
        "name": m.name,
        "role": m.role.as_str(),
        "created_at": time(&m.created_at),
        "updated_at": time(&m.updated_at),
    })
}

/// An API key (never its secret).
pub fn api_key(k: &ApiKey) -> Value {
    json!({
        "id": k.id.to_string(),
        "name": k.name,
        "scope": k.scope.as_str(),
        "prefix": k.prefix,
        "member_id": k.member_id.to_string(),
        "expires_at": opt_time(k.expires_at.as_ref()),
        "last_used_at": opt_time(k.last_used_at.as_ref()),
        "created_at": time(&k.created_at),
    })
}

/// A newly created API key: the record plus `key`, the secret, shown this once.
/// `None` renders `"key": null`, as stored for replays.
pub fn created_api_key(k: &ApiKey, secret: Option<&str>) -> Value {
    let mut v = api_key(k);
    if let Value::Object(map) = &mut v {
        map.insert("key".into(), json!(secret));
    }
    v
}

/// A contact.
pub fn contact(c: &Contact) -> Value {
    json!({
        "id": c.id.to_string(),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email.as_ref().map(|e| e.as_str()),
        "phone": c.phone,
        "title": c.title,
        "linkedin_url": c.linkedin_url.as_ref().map(|u| u.as_str()),
        "company_id": c.company_id.map(|id| id.to_string()),
        "notes": c.notes,
        "tags": tags(&c.tags),
        "custom_fields": object(&c.custom_fields),
        "created_at": time(&c.created_at),
        "updated_at": time(&c.updated_at),
    })
}

/// A company.
pub fn company(c: &Company) -> Value {
    json!({
        "id": c.id.to_string(),
        "name": c.name,
        "domain": c.domain.as_ref().map(|d| d.as_str()),
        "industry": c.industry,
        "website": c.website.as_ref().map(|u| u.as_str()),
        "phone": c.phone,
        "notes": c.notes,
        "tags": tags(&c.tags),
        "custom_fields": object(&c.custom_fields),
        "created_at": time(&c.created_at),
        "updated_at": time(&c.updated_at),
    })
}

/// A tag with its count.
pub fn tag(t: &TagCount) -> Value {
    json!({ "name": t.name, "count": t.count })
}

/// Reads a contact create body.
pub fn contact_input(b: &mut Body) -> ContactInput {
    ContactInput {
        first_name: b.string("first_name"),
        last_name: b.string("last_name"),
        email: b.string("email"),
        phone: b.string("phone"),
        title: b.string("title"),
        linkedin_url: b.string("linkedin_url"),
        company_id: b.string("company_id"),
        notes: b.string("notes"),
        tags: b.string_list("tags"),
        custom_fields: b.object_field("custom_fields"),
    }
}

/// Reads a contact PATCH body.
pub fn contact_patch(b: &mut Body) -> ContactPatch {
    ContactPatch {
        first_name: b.patch_string("first_name"),
        last_name: b.patch_string("last_name"),
        email: b.patch_string("email"),
        phone: b.patch_string("phone"),
        title: b.patch_string("title"),
        linkedin_url: b.patch_string("linkedin_url"),
        company_id: b.patch_string("company_id"),
        notes: b.patch_string("notes"),
        tags: b.patch_string_list("tags"),
        custom_fields: b.patch_object("custom_fields"),
    }
}

/// Reads a company create body.
pub fn company_input(b: &mut Body) -> CompanyInput {
    CompanyInput {
        name: b.string("name"),
        domain: b.string("domain"),
        industry: b.string("industry"),
        website: b.string("website"),
        phone: b.string("phone"),
        notes: b.string("notes"),
        tags: b.string_list("tags"),
        custom_fields: b.object_field("custom_fields"),
    }
}

/// Reads a company PATCH body.
pub fn company_patch(b: &mut Body) -> CompanyPatch {
    CompanyPatch {
        name: b.patch_string("name"),
        domain: b.patch_string("domain"),
        industry: b.patch_string("industry"),
        website: b.patch_string("website"),
        phone: b.patch_string("phone"),
        notes: b.patch_string("notes"),
        tags: b.patch_string_list("tags"),
        custom_fields: b.patch_object("custom_fields"),
    }
}

/// An audit entry.
pub fn audit_entry(e: &AuditEntry) -> Value {
    json!({
        "id": e.id.to_string(),
        "event_type": e.event_type,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "actor_type": e.actor_type,
        "actor_id": e.actor_id,
        "request_id": e.request_id,
        "ip": e.ip,
        "metadata": object(&e.metadata),
        "created_at": time(&e.created_at),
    })
}
