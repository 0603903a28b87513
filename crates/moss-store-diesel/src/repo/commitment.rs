//! Commitments: the record, on the machinery of `repo::record`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::commitment::{Commitment, CommitmentFilter, CommitmentSort, CommitmentStatus};
use moss_domain::id::{CommitmentId, ContactId, DealId};
use moss_domain::page::{PageRequest, SortOrder};
use moss_domain::text::TagName;

use super::record::{common, record_table};
use super::{naive, parse_id, utc};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::schema::commitments;

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = commitments, treat_none_as_null = true)]
pub(crate) struct CommitmentRow {
    pub(crate) id: String,
    workspace_id: String,
    contact_id: String,
    description: String,
    deal_id: Option<String>,
    due_date: Option<NaiveDate>,
    status: String,
    completed_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl CommitmentRow {
    pub(crate) fn from_domain(c: &Commitment) -> Self {
        Self {
            id: c.id.to_string(),
            workspace_id: c.common.workspace_id.to_string(),
            contact_id: c.contact_id.to_string(),
            description: c.description.clone(),
            deal_id: c.deal_id.map(|d| d.to_string()),
            due_date: c.due_date,
            status: c.status.as_str().to_owned(),
            completed_at: c.completed_at.as_ref().map(naive),
            created_at: naive(&c.common.created_at),
            updated_at: naive(&c.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<TagName>) -> Result<Commitment> {
        let common = common(&self.workspace_id, tags, "{}", self.created_at, self.updated_at)?;
        Ok(Commitment {
            id: parse_id!(CommitmentId, self.id)?,
            contact_id: parse_id!(ContactId, self.contact_id)?,
            description: self.description,
            deal_id: self.deal_id.map(|d| parse_id!(DealId, d)).transpose()?,
            due_date: self.due_date,
            status: CommitmentStatus::parse("status", &self.status)
                .map_err(|_| error::corrupt("status", &self.status))?,
            completed_at: self.completed_at.map(utc),
            common,
        })
    }
}

type Boxed<'a> = commitments::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a CommitmentFilter) -> Boxed<'a> {
    use commitments::{contact_id, deal_id, due_date, status};
    if let Some(contact) = f.contact_id {
        q = q.filter(contact_id.eq(contact.to_string()));
    }
    if let Some(deal) = f.deal_id {
        q = q.filter(deal_id.eq(deal.to_string()));
    }
    if !f.statuses.is_empty() {
        q = q.filter(status.eq_any(f.statuses.iter().map(|s| s.as_str())));
    }
    let open = CommitmentStatus::Open.as_str();
    match (f.overdue, f.today) {
        (Some(true), Some(today)) => q = q.filter(status.eq(open)).filter(due_date.lt(today)),
        // Everything else: completed, undated, or due today or later.
        (Some(false), Some(today)) => {
            q = q.filter(status.ne(open).or(due_date.is_null()).or(due_date.ge(today)));
        }
        _ => {}
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<CommitmentSort>) -> Boxed<'a> {
    use commitments::{created_at, due_date, id};
    match (page.sort, page.order) {
        (CommitmentSort::DueDate, SortOrder::Asc) => q.order((due_date.is_null().asc(), due_date.asc(), id.asc())),
        (CommitmentSort::DueDate, SortOrder::Desc) => q.order((due_date.is_null().asc(), due_date.desc(), id.desc())),
        (CommitmentSort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (CommitmentSort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
    }
}

record_table!(record: Commitment, row: CommitmentRow, table: commitments, unique: none);
