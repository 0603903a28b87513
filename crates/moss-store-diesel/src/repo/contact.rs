use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use moss_domain::Result;
use moss_domain::contact::model::{Contact, ContactFilter, ContactSort};
use moss_domain::contact::ports::ContactRepo;
use moss_domain::id::{CompanyId, ContactId, WorkspaceId};
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::text::{EmailAddress, HttpUrl, search_document};

use super::tag::{add_record_tags, clear_record_tags, set_record_tags, tags_of, with_joined_tags};
use super::{count, limits, naive, parse_id, stored_total, utc};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::json::{map_from_text, map_to_text};
use crate::schema::{contacts, lower, lower_nullable, record_tags, tags};
use crate::store::DieselTx;

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
    search_text: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl ContactRow {
    pub(crate) fn from_domain(c: &Contact) -> Self {
        let email = c.email.as_ref().map(|e| e.as_str().to_owned());
        let search_text = search_document([
            Some(c.first_name.as_str()),
            c.last_name.as_deref(),
            email.as_deref(),
            c.title.as_deref(),
            c.notes.as_deref(),
        ]);
        Self {
            id: c.id.to_string(),
            workspace_id: c.workspace_id.to_string(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            email_lower: c.email.as_ref().map(EmailAddress::normalized),
            email,
            phone: c.phone.clone(),
            title: c.title.clone(),
            linkedin_url: c.linkedin_url.as_ref().map(|u| u.as_str().to_owned()),
            company_id: c.company_id.map(|id| id.to_string()),
            notes: c.notes.clone(),
            custom_fields: map_to_text(&c.custom_fields),
            search_text,
            created_at: naive(&c.created_at),
            updated_at: naive(&c.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<moss_domain::text::TagName>) -> Result<Contact> {
        let custom_fields: BTreeMap<_, _> =
            map_from_text(&self.custom_fields).ok_or_else(|| error::corrupt("custom_fields", &self.custom_fields))?;
        Ok(Contact {
            id: parse_id!(ContactId, self.id)?,
            workspace_id: parse_id!(WorkspaceId, self.workspace_id)?,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email.map(EmailAddress::from_stored),
            phone: self.phone,
            title: self.title,
            linkedin_url: self.linkedin_url.map(HttpUrl::from_stored),
            company_id: self.company_id.map(|c| parse_id!(CompanyId, c)).transpose()?,
            notes: self.notes,
            tags,
            custom_fields,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

type Boxed<'a> = contacts::BoxedQuery<'a, MultiBackend>;

/// The contacts of `ws` matching `f`, unordered.
fn filtered<'a>(conn: &MossConnection, ws: &'a str, f: &'a ContactFilter) -> Boxed<'a> {
    let mut q = contacts::table.filter(contacts::workspace_id.eq(ws)).into_boxed();
    if let Some(company) = f.company_id {
        q = q.filter(contacts::company_id.eq(company.to_string()));
    }
    if let Some(email) = &f.email {
        q = q.filter(contacts::email_lower.eq(email));
    }
    if let Some(tag) = &f.tag {
        let tagged = record_tags::table
            .filter(record_tags::workspace_id.eq(ws))
            .filter(record_tags::name_lower.eq(tag))
            .select(record_tags::record_id);
        q = q.filter(contacts::id.eq_any(tagged));
    }
    if !f.words.is_empty() {
        q = match conn {
            MossConnection::Pg(_) => q.filter(
                sql::<Bool>("contacts.search @@ to_tsquery('simple', ")
                    .bind::<Text, _>(pg_tsquery(&f.words))
                    .sql(")"),
            ),
            MossConnection::Sqlite(_) => q.filter(
                sql::<Bool>("contacts.seq IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ")
                    .bind::<Text, _>(fts5_query(&f.words))
                    .sql(")"),
            ),
        };
    }
    q
}

/// Whether `f` keeps every contact (the list's total is then the stored one). Destructured so
/// that a new filter field cannot be forgotten here.
fn unfiltered(f: &ContactFilter) -> bool {
    let ContactFilter {
        words,
        company_id,
        tag,
        email,
    } = f;
    words.is_empty() && company_id.is_none() && tag.is_none() && email.is_none()
}

/// `'w1':* & 'w2':*` — every word as a prefix. Words are letters and digits only.
pub(crate) fn pg_tsquery(words: &[String]) -> String {
    words.iter().map(|w| format!("'{w}':*")).collect::<Vec<_>>().join(" & ")
}

/// `"w1"* "w2"*` — every word as a prefix (FTS5's implicit AND).
pub(crate) fn fts5_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
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

impl DieselTx<'_> {
    fn load_contacts(&mut self, ws: &str, rows: Vec<ContactRow>) -> Result<Vec<Contact>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = tags_of(self.conn, ws, &ids)?;
        rows.into_iter()
            .map(|r| {
                let t = tags.remove(&r.id).unwrap_or_default();
                r.into_domain(t)
            })
            .collect()
    }
}

impl ContactRepo for DieselTx<'_> {
    fn insert_contact(&mut self, c: &Contact) -> Result<()> {
        let row = ContactRow::from_domain(c);
        diesel::insert_into(contacts::table)
            .values(&row)
            .execute(self.conn)
            .map_err(error::db)?;
        add_record_tags(self.conn, &row.workspace_id, &row.id, &c.tags)
    }

    fn update_contact(&mut self, c: &Contact) -> Result<()> {
        let row = ContactRow::from_domain(c);
        let n = diesel::update(
            contacts::table
                .filter(contacts::workspace_id.eq(&row.workspace_id))
                .filter(contacts::id.eq(&row.id)),
        )
        .set(&row)
        .execute(self.conn)
        .map_err(error::db)?;
        if n == 0 {
            return Err(moss_domain::DomainError::NotFound("Contact not found.".into()));
        }
        set_record_tags(self.conn, &row.workspace_id, &row.id, &c.tags)
    }

    fn delete_contact(&mut self, ws: WorkspaceId, id: ContactId) -> Result<bool> {
        let id = id.to_string();
        let n = diesel::delete(
            contacts::table
                .filter(contacts::workspace_id.eq(ws.to_string()))
                .filter(contacts::id.eq(&id)),
        )
        .execute(self.conn)
        .map_err(error::db)?;
        if n > 0 {
            clear_record_tags(self.conn, &id)?;
        }
        Ok(n > 0)
    }

    fn contact(&mut self, ws: WorkspaceId, id: ContactId) -> Result<Option<Contact>> {
        // One statement: the row once per tag it carries (or once with no tag), so a single
        // read costs one round trip rather than two.
        let rows: Vec<(ContactRow, Option<String>)> = contacts::table
            .left_join(
                record_tags::table.on(record_tags::workspace_id
                    .eq(contacts::workspace_id)
                    .and(record_tags::record_id.eq(contacts::id))),
            )
            .left_join(
                tags::table.on(tags::workspace_id
                    .eq(record_tags::workspace_id)
                    .and(tags::name_lower.eq(record_tags::name_lower))),
            )
            .filter(contacts::workspace_id.eq(ws.to_string()))
            .filter(contacts::id.eq(id.to_string()))
            .select((ContactRow::as_select(), tags::name.nullable()))
            .load(self.conn)
            .map_err(error::db)?;
        with_joined_tags(rows)
            .map(|(row, names)| row.into_domain(names))
            .transpose()
    }

    fn contact_id_by_email(&mut self, ws: WorkspaceId, email_lower: &str) -> Result<Option<ContactId>> {
        contacts::table
            .filter(contacts::workspace_id.eq(ws.to_string()))
            .filter(contacts::email_lower.eq(email_lower))
            .select(contacts::id)
            .first::<String>(self.conn)
            .optional()
            .map_err(error::db)?
            .map(|id| parse_id!(ContactId, id))
            .transpose()
    }

    fn list_contacts(
        &mut self,
        ws: WorkspaceId,
        f: &ContactFilter,
        page: &PageRequest<ContactSort>,
    ) -> Result<Page<Contact>> {
        let ws = ws.to_string();
        let total = if unfiltered(f) {
            stored_total(self.conn, &ws, "contacts")?
        } else {
            count(
                filtered(self.conn, &ws, f)
                    .count()
                    .get_result::<i64>(self.conn)
                    .map_err(error::db)?,
            )
        };
        let (limit, offset) = limits(page);
        let rows = if u64::try_from(offset).unwrap_or(u64::MAX) >= total {
            Vec::new()
        } else if offset == 0 {
            ordered(filtered(self.conn, &ws, f), page)
                .select(ContactRow::as_select())
                .limit(limit)
                .load(self.conn)
                .map_err(error::db)?
        } else {
            // A deferred join in two steps: the OFFSET is skipped on the sort's index reading
            // ids only (an index-only scan), then only the page's rows are fetched.
            let page_ids: Vec<String> = ordered(filtered(self.conn, &ws, f), page)
                .select(contacts::id)
                .limit(limit)
                .offset(offset)
                .load(self.conn)
                .map_err(error::db)?;
            let rows: Boxed<'_> = contacts::table
                .filter(contacts::workspace_id.eq(&ws))
                .filter(contacts::id.eq_any(&page_ids))
                .into_boxed();
            ordered(rows, page)
                .select(ContactRow::as_select())
                .load(self.conn)
                .map_err(error::db)?
        };
        let items = self.load_contacts(&ws, rows)?;
        Ok(Page { items, total })
    }
}
