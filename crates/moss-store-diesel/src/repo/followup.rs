//! Follow-ups: the record, on the machinery of `repo::record` (`priority` stored as its rank).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::followup::{Due, FollowUp, FollowUpFilter, FollowUpSort, Priority};
use moss_domain::id::{ContactId, DealId, FollowUpId};
use moss_domain::page::{PageRequest, SortOrder};
use moss_domain::text::TagName;

use super::record::{common, record_table};
use super::{naive, parse_id, utc};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::schema::followups;

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = followups, treat_none_as_null = true)]
pub(crate) struct FollowUpRow {
    pub(crate) id: String,
    workspace_id: String,
    contact_id: String,
    title: String,
    deal_id: Option<String>,
    due_date: NaiveDate,
    priority: i32,
    notes: Option<String>,
    completed: bool,
    completed_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl FollowUpRow {
    pub(crate) fn from_domain(f: &FollowUp) -> Self {
        Self {
            id: f.id.to_string(),
            workspace_id: f.common.workspace_id.to_string(),
            contact_id: f.contact_id.to_string(),
            title: f.title.clone(),
            deal_id: f.deal_id.map(|d| d.to_string()),
            due_date: f.due_date,
            priority: f.priority.rank(),
            notes: f.notes.clone(),
            completed: f.completed,
            completed_at: f.completed_at.as_ref().map(naive),
            created_at: naive(&f.common.created_at),
            updated_at: naive(&f.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<TagName>) -> Result<FollowUp> {
        let common = common(&self.workspace_id, tags, "{}", self.created_at, self.updated_at)?;
        Ok(FollowUp {
            id: parse_id!(FollowUpId, self.id)?,
            contact_id: parse_id!(ContactId, self.contact_id)?,
            title: self.title,
            deal_id: self.deal_id.map(|d| parse_id!(DealId, d)).transpose()?,
            due_date: self.due_date,
            priority: Priority::of_rank(self.priority)
                .ok_or_else(|| error::corrupt("priority", &self.priority.to_string()))?,
            notes: self.notes,
            completed: self.completed,
            completed_at: self.completed_at.map(utc),
            common,
        })
    }
}

type Boxed<'a> = followups::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a FollowUpFilter) -> Boxed<'a> {
    use followups::{completed, contact_id, deal_id, due_date, priority};
    if let Some(contact) = f.contact_id {
        q = q.filter(contact_id.eq(contact.to_string()));
    }
    if let Some(deal) = f.deal_id {
        q = q.filter(deal_id.eq(deal.to_string()));
    }
    if let Some(done) = f.completed {
        q = q.filter(completed.eq(done));
    }
    if !f.priorities.is_empty() {
        q = q.filter(priority.eq_any(f.priorities.iter().map(|p| p.rank())));
    }
    if let Some((due, today)) = &f.due {
        let today = *today;
        // `NOT completed` as SQL text, not a bound `completed = false`: SQLite uses the partial
        // index `followups_workspace_open_due` only for a condition it can see.
        q = q.filter(diesel::dsl::not(completed));
        // Any of the three windows around today: each set of them is one comparison.
        let has = |d: Due| due.contains(&d);
        q = match (has(Due::Overdue), has(Due::Today), has(Due::Upcoming)) {
            (true, true, true) => q,
            (true, true, false) => q.filter(due_date.le(today)),
            (false, true, true) => q.filter(due_date.ge(today)),
            (true, false, true) => q.filter(due_date.ne(today)),
            (true, false, false) => q.filter(due_date.lt(today)),
            (false, true, false) => q.filter(due_date.eq(today)),
            (false, false, true) => q.filter(due_date.gt(today)),
            (false, false, false) => q,
        };
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<FollowUpSort>) -> Boxed<'a> {
    use followups::{created_at, due_date, id, priority};
    match (page.sort, page.order) {
        (FollowUpSort::DueDate, SortOrder::Asc) => q.order((due_date.asc(), id.asc())),
        (FollowUpSort::DueDate, SortOrder::Desc) => q.order((due_date.desc(), id.desc())),
        (FollowUpSort::Priority, SortOrder::Asc) => q.order((priority.asc(), id.asc())),
        (FollowUpSort::Priority, SortOrder::Desc) => q.order((priority.desc(), id.desc())),
        (FollowUpSort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (FollowUpSort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
    }
}

record_table!(record: FollowUp, row: FollowUpRow, table: followups, unique: none);
