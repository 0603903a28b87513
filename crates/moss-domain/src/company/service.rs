//! Company use cases beyond the record machinery.

use crate::actor::{Actor, Permission};
use crate::company::model::Company;
use crate::contact::model::Contact;
use crate::error::Result;
use crate::id::CompanyId;
use crate::page::{Page, PageRequest};
use crate::record::ListFilter;
use crate::record::service::not_found;
use crate::store::Tx;

/// A page of a company's contacts, listed like `/contacts`; `NotFound` when the company is not
/// in the workspace.
pub fn company_contacts(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: CompanyId,
    mut filter: ListFilter<<Contact as crate::record::Record>::Filter>,
    page: &PageRequest<<Contact as crate::record::Record>::Sort>,
) -> Result<Page<Contact>> {
    actor.authorize(Permission::Read)?;
    if tx.companies().get(actor.workspace_id, id)?.is_none() {
        return Err(not_found::<Company>());
    }
    filter.own.company_id = Some(id);
    tx.contacts().list(actor.workspace_id, &filter, page)
}

#[cfg(test)]
mod tests;
