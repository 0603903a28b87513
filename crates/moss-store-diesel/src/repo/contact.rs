use chrono::NaiveDateTime;
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::contact::model::{Contact, ContactFilter, ContactSort};
use moss_domain::id::{CompanyId, ContactId};
use moss_domain::page::{PageRequest, SortOrder};
use moss_domain::text::{EmailAddress, HttpUrl};

use super::record::{common, record_table};
use super::{naive, parse_id};
use crate::connection::{MossConnection, MultiBackend};
use crate::json::map_to_text;
use crate::schema::{contacts, lower, lower_nullable};

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = contacts, treat_none_as_null = true)]
pub(crate) struct ContactRow {
    pub(crate) id: String,
    workspace_id: String,
    first_name: String,
    last_name: Option<String>,
    email: Option<String>,
    email_lower: Option<String>,
    phone: Option<String>,
    title: Option<String>,
    linkedin_url: Option<String>,
    company_id: Option<String>,
    notes: Option<String>,
    custom_fields: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl ContactRow {
    pub(crate) fn from_domain(c: &Contact) -> Self {
        let email = c.email.as_ref().map(|e| e.as_str().to_owned());
        Self {
            id: c.id.to_string(),
            workspace_id: c.common.workspace_id.to_string(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            email_lower: c.email.as_ref().map(EmailAddress::normalized),
            email,
            phone: c.phone.clone(),
            title: c.title.clone(),
            linkedin_url: c.linkedin_url.as_ref().map(|u| u.as_str().to_owned()),
            company_id: c.company_id.map(|id| id.to_string()),
            notes: c.notes.clone(),
            custom_fields: map_to_text(&c.common.custom_fields),
            created_at: naive(&c.common.created_at),
            updated_at: naive(&c.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<moss_domain::text::TagName>) -> Result<Contact> {
        let common = common(
            &self.workspace_id,
            tags,
            &self.custom_fields,
            self.created_at,
            self.updated_at,
        )?;
        Ok(Contact {
            id: parse_id!(ContactId, self.id)?,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email.map(EmailAddress::from_stored),
            phone: self.phone,
            title: self.title,
            linkedin_url: self.linkedin_url.map(HttpUrl::from_stored),
            company_id: self.company_id.map(|c| parse_id!(CompanyId, c)).transpose()?,
            notes: self.notes,
            common,
        })
    }
}

type Boxed<'a> = contacts::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a ContactFilter) -> Boxed<'a> {
    if let Some(company) = f.company_id {
        q = q.filter(contacts::company_id.eq(company.to_string()));
    }
    if let Some(email) = &f.email {
        q = q.filter(contacts::email_lower.eq(email));
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<ContactSort>) -> Boxed<'a> {
    use contacts::{created_at, email, first_name, id, last_name, updated_at};
    match (page.sort, page.order) {
        (ContactSort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (ContactSort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
        (ContactSort::UpdatedAt, SortOrder::Asc) => q.order((updated_at.asc(), id.asc())),
        (ContactSort::UpdatedAt, SortOrder::Desc) => q.order((updated_at.desc(), id.desc())),
        (ContactSort::FirstName, SortOrder::Asc) => q.order((lower(first_name).asc(), id.asc())),
        (ContactSort::FirstName, SortOrder::Desc) => q.order((lower(first_name).desc(), id.desc())),
        (ContactSort::LastName, SortOrder::Asc) => {
            q.order((last_name.is_null().asc(), lower_nullable(last_name).asc(), id.asc()))
        }
        (ContactSort::LastName, SortOrder::Desc) => {
            q.order((last_name.is_null().asc(), lower_nullable(last_name).desc(), id.desc()))
        }
        (ContactSort::Email, SortOrder::Asc) => q.order((email.is_null().asc(), lower_nullable(email).asc(), id.asc())),
        (ContactSort::Email, SortOrder::Desc) => {
            q.order((email.is_null().asc(), lower_nullable(email).desc(), id.desc()))
        }
    }
}

record_table!(record: Contact, row: ContactRow, table: contacts, unique: email_lower);
