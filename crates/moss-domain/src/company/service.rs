//! Company use cases.

use crate::actor::{Actor, Permission};
use crate::audit::{AuditEvent, diff};
use crate::company::model::{Company, CompanyChanges, CompanyFilter, CompanySort, NewCompany};
use crate::contact::model::{Contact, ContactFilter, ContactSort};
use crate::error::{DomainError, Result};
use crate::id::CompanyId;
use crate::page::{Page, PageRequest};
use crate::store::{Change, Tx};
use crate::tag::service::canonical_tags;
use crate::time::now;
use crate::value::{Patch, Value};

fn not_found() -> DomainError {
    DomainError::NotFound("Company not found.".into())
}

fn taken(domain: &str, existing: CompanyId) -> DomainError {
    DomainError::Conflict(format!("A company with domain {domain} already exists ({existing})."))
}

/// Creates a company. `Conflict` naming the existing company when the domain is taken.
pub fn create_company(tx: &mut dyn Tx, actor: &Actor, input: NewCompany) -> Result<Change<Company>> {
    actor.authorize(Permission::Write)?;
    let ws = actor.workspace_id;
    if let Some(domain) = &input.domain
        && let Some(existing) = tx.companies().company_id_by_domain(ws, domain.as_str())?
    {
        return Err(taken(domain.as_str(), existing));
    }
    let at = now();
    let tags = canonical_tags(tx, ws, &input.tags, at)?;
    let company = Company {
        id: CompanyId::generate(),
        workspace_id: ws,
        name: input.name,
        domain: input.domain,
        industry: input.industry,
        website: input.website,
        phone: input.phone,
        notes: input.notes,
        tags,
        custom_fields: input.custom_fields,
        created_at: at,
        updated_at: at,
    };
    tx.companies().insert_company(&company)?;
    let audit = AuditEvent::new("company", "created", company.id);
    Ok(Change::new(company, audit))
}

/// One company of the caller's workspace.
pub fn get_company(tx: &mut dyn Tx, actor: &Actor, id: CompanyId) -> Result<Company> {
    actor.authorize(Permission::Read)?;
    tx.companies().company(actor.workspace_id, id)?.ok_or_else(not_found)
}

/// A page of the caller's companies.
pub fn list_companies(
    tx: &mut dyn Tx,
    actor: &Actor,
    filter: &CompanyFilter,
    page: &PageRequest<CompanySort>,
) -> Result<Page<Company>> {
    actor.authorize(Permission::Read)?;
    tx.companies().list_companies(actor.workspace_id, filter, page)
}

/// A page of a company's contacts; `NotFound` when the company is not in the workspace.
pub fn company_contacts(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: CompanyId,
    mut filter: ContactFilter,
    page: &PageRequest<ContactSort>,
) -> Result<Page<Contact>> {
    actor.authorize(Permission::Read)?;
    if tx.companies().company(actor.workspace_id, id)?.is_none() {
        return Err(not_found());
    }
    filter.company_id = Some(id);
    tx.contacts().list_contacts(actor.workspace_id, &filter, page)
}

/// Changes the fields sent; the audit entry lists each change.
pub fn update_company(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: CompanyId,
    changes: CompanyChanges,
) -> Result<Change<Company>> {
    actor.authorize(Permission::Write)?;
    let ws = actor.workspace_id;
    let old = tx.companies().company(ws, id)?.ok_or_else(not_found)?;
    let mut new = old.clone();
    if let Some(name) = changes.name {
        new.name = name;
    }
    new.domain = changes.domain.apply_to(&old.domain);
    new.industry = changes.industry.apply_to(&old.industry);
    new.website = changes.website.apply_to(&old.website);
    new.phone = changes.phone.apply_to(&old.phone);
    new.notes = changes.notes.apply_to(&old.notes);
    if let Patch::Set(fields) = changes.custom_fields {
        new.custom_fields = fields;
    }
    if let Some(domain) = &new.domain
        && old.domain.as_ref() != Some(domain)
        && let Some(existing) = tx.companies().company_id_by_domain(ws, domain.as_str())?
        && existing != id
    {
        return Err(taken(domain.as_str(), existing));
    }
    let at = now();
    if let Patch::Set(tags) = changes.tags {
        new.tags = canonical_tags(tx, ws, &tags, at)?;
    }
    let tags = |c: &Company| Value::List(c.tags.iter().map(|t| Value::String(t.as_str().to_owned())).collect());
    let mut diffs = Vec::new();
    diff(&mut diffs, "name", old.name.clone().into(), new.name.clone().into());
    diff(
        &mut diffs,
        "domain",
        old.domain.as_ref().map(|d| d.as_str()).into(),
        new.domain.as_ref().map(|d| d.as_str()).into(),
    );
    diff(
        &mut diffs,
        "industry",
        old.industry.clone().into(),
        new.industry.clone().into(),
    );
    diff(
        &mut diffs,
        "website",
        old.website.as_ref().map(|u| u.as_str()).into(),
        new.website.as_ref().map(|u| u.as_str()).into(),
    );
    diff(&mut diffs, "phone", old.phone.clone().into(), new.phone.clone().into());
    diff(&mut diffs, "notes", old.notes.clone().into(), new.notes.clone().into());
    diff(&mut diffs, "tags", tags(&old), tags(&new));
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
    tx.companies().update_company(&new)?;
    Ok(Change::new(new, AuditEvent::updated("company", id, diffs)))
}

/// Deletes a company; its contacts stay, with `company_id` cleared.
pub fn delete_company(tx: &mut dyn Tx, actor: &Actor, id: CompanyId) -> Result<Change<()>> {
    actor.authorize(Permission::Write)?;
    if !tx.companies().delete_company(actor.workspace_id, id)? {
        return Err(not_found());
    }
    Ok(Change::new((), AuditEvent::new("company", "deleted", id)))
}

#[cfg(test)]
mod tests;
