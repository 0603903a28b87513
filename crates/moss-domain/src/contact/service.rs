//! Contact use cases.

use crate::actor::{Actor, Permission};
use crate::audit::{AuditEvent, diff};
use crate::contact::model::{Contact, ContactChanges, ContactFilter, ContactSort, NewContact};
use crate::error::{DomainError, Result};
use crate::id::{CompanyId, ContactId, WorkspaceId};
use crate::page::{Page, PageRequest};
use crate::store::{Change, Tx};
use crate::tag::service::canonical_tags;
use crate::text::TagName;
use crate::time::now;
use crate::value::{Patch, Value};

fn not_found() -> DomainError {
    DomainError::NotFound("Contact not found.".into())
}

fn taken(email: &str, existing: ContactId) -> DomainError {
    DomainError::Conflict(format!("A contact with email {email} already exists ({existing})."))
}

/// Checks that a referenced company exists in the workspace (400 naming `company_id` if not).
pub(crate) fn check_company(tx: &mut dyn Tx, ws: WorkspaceId, id: Option<CompanyId>) -> Result<()> {
    match id {
        Some(id) if tx.companies().company(ws, id)?.is_none() => Err(DomainError::field(
            "company_id",
            format!("no company {id} in this workspace"),
        )),
        _ => Ok(()),
    }
}

/// Creates a contact. `Conflict` naming the existing contact when the email is taken;
/// `Validation` on `company_id` when that company is not in the workspace.
pub fn create_contact(tx: &mut dyn Tx, actor: &Actor, input: NewContact) -> Result<Change<Contact>> {
    actor.authorize(Permission::Write)?;
    let ws = actor.workspace_id;
    // A bad reference is bad input (400), reported before a business-rule conflict (409).
    check_company(tx, ws, input.company_id)?;
    if let Some(email) = &input.email
        && let Some(existing) = tx.contacts().contact_id_by_email(ws, &email.normalized())?
    {
        return Err(taken(email.as_str(), existing));
    }
    let at = now();
    let tags = canonical_tags(tx, ws, &input.tags, at)?;
    let contact = Contact {
        id: ContactId::generate(),
        workspace_id: ws,
        first_name: input.first_name,
        last_name: input.last_name,
        email: input.email,
        phone: input.phone,
        title: input.title,
        linkedin_url: input.linkedin_url,
        company_id: input.company_id,
        notes: input.notes,
        tags,
        custom_fields: input.custom_fields,
        created_at: at,
        updated_at: at,
    };
    tx.contacts().insert_contact(&contact)?;
    let audit = AuditEvent::new("contact", "created", contact.id);
    Ok(Change::new(contact, audit))
}

/// One contact of the caller's workspace.
pub fn get_contact(tx: &mut dyn Tx, actor: &Actor, id: ContactId) -> Result<Contact> {
    actor.authorize(Permission::Read)?;
    tx.contacts().contact(actor.workspace_id, id)?.ok_or_else(not_found)
}

/// A page of the caller's contacts.
pub fn list_contacts(
    tx: &mut dyn Tx,
    actor: &Actor,
    filter: &ContactFilter,
    page: &PageRequest<ContactSort>,
) -> Result<Page<Contact>> {
    actor.authorize(Permission::Read)?;
    tx.contacts().list_contacts(actor.workspace_id, filter, page)
}

fn tags_value(tags: &[TagName]) -> Value {
    Value::List(tags.iter().map(|t| Value::String(t.as_str().to_owned())).collect())
}

/// Changes the fields sent. The audit entry lists each changed field's old and new value.
pub fn update_contact(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: ContactId,
    changes: ContactChanges,
) -> Result<Change<Contact>> {
    actor.authorize(Permission::Write)?;
    let ws = actor.workspace_id;
    let old = tx.contacts().contact(ws, id)?.ok_or_else(not_found)?;
    let mut new = old.clone();
    if let Some(first) = changes.first_name {
        new.first_name = first;
    }
    new.last_name = changes.last_name.apply_to(&old.last_name);
    new.email = changes.email.apply_to(&old.email);
    new.phone = changes.phone.apply_to(&old.phone);
    new.title = changes.title.apply_to(&old.title);
    new.linkedin_url = changes.linkedin_url.apply_to(&old.linkedin_url);
    new.company_id = changes.company_id.apply_to(&old.company_id);
    new.notes = changes.notes.apply_to(&old.notes);
    if let Patch::Set(fields) = changes.custom_fields {
        new.custom_fields = fields;
    }
    if new.company_id != old.company_id {
        check_company(tx, ws, new.company_id)?;
    }
    if let Some(email) = &new.email
        && old.email.as_ref().map(|e| e.normalized()) != Some(email.normalized())
        && let Some(existing) = tx.contacts().contact_id_by_email(ws, &email.normalized())?
        && existing != id
    {
        return Err(taken(email.as_str(), existing));
    }
    let at = now();
    if let Patch::Set(tags) = changes.tags {
        new.tags = canonical_tags(tx, ws, &tags, at)?;
    }
    let mut diffs = Vec::new();
    diff(
        &mut diffs,
        "first_name",
        old.first_name.clone().into(),
        new.first_name.clone().into(),
    );
    diff(
        &mut diffs,
        "last_name",
        old.last_name.clone().into(),
        new.last_name.clone().into(),
    );
    diff(
        &mut diffs,
        "email",
        old.email.as_ref().map(|e| e.as_str()).into(),
        new.email.as_ref().map(|e| e.as_str()).into(),
    );
    diff(&mut diffs, "phone", old.phone.clone().into(), new.phone.clone().into());
    diff(&mut diffs, "title", old.title.clone().into(), new.title.clone().into());
    diff(
        &mut diffs,
        "linkedin_url",
        old.linkedin_url.as_ref().map(|u| u.as_str()).into(),
        new.linkedin_url.as_ref().map(|u| u.as_str()).into(),
    );
    diff(
        &mut diffs,
        "company_id",
        old.company_id.map(|c| c.to_string()).into(),
        new.company_id.map(|c| c.to_string()).into(),
    );
    diff(&mut diffs, "notes", old.notes.clone().into(), new.notes.clone().into());
    diff(&mut diffs, "tags", tags_value(&old.tags), tags_value(&new.tags));
    diff(
        &mut diffs,
        "custom_fields",
        Value::Map(old.custom_fields.clone()),
        Value::Map(new.custom_fields.clone()),
    );
    if diffs.is_empty() {
        // Nothing stored changes: no write, no entry, `updated_at` stays.
        return Ok(Change::unchanged(old));
    }
    new.updated_at = at;
    tx.contacts().update_contact(&new)?;
    Ok(Change::new(new, AuditEvent::updated("contact", id, diffs)))
}

/// Deletes a contact.
pub fn delete_contact(tx: &mut dyn Tx, actor: &Actor, id: ContactId) -> Result<Change<()>> {
    actor.authorize(Permission::Write)?;
    if !tx.contacts().delete_contact(actor.workspace_id, id)? {
        return Err(not_found());
    }
    Ok(Change::new((), AuditEvent::new("contact", "deleted", id)))
}

#[cfg(test)]
mod tests;
