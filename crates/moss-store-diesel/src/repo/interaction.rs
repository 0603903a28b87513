//! Interactions: the record, on the machinery of `repo::record`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::id::{ContactId, DealId, InteractionId};
use moss_domain::interaction::{Interaction, InteractionFilter, InteractionSort, InteractionType};
use moss_domain::page::{PageRequest, SortOrder};
use moss_domain::text::TagName;

use super::record::{common, record_table};
use super::{naive, parse_id, utc};
use crate::connection::{MossConnection, MultiBackend};
use crate::error;
use crate::schema::interactions;

#[derive(Queryable, Selectable, Insertable, AsChangeset, PartialEq, Clone)]
#[diesel(table_name = interactions, treat_none_as_null = true)]
pub(crate) struct InteractionRow {
    pub(crate) id: String,
    workspace_id: String,
    contact_id: String,
    kind: String,
    deal_id: Option<String>,
    notes: Option<String>,
    occurred_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl InteractionRow {
    pub(crate) fn from_domain(i: &Interaction) -> Self {
        Self {
            id: i.id.to_string(),
            workspace_id: i.common.workspace_id.to_string(),
            contact_id: i.contact_id.to_string(),
            kind: i.kind.as_str().to_owned(),
            deal_id: i.deal_id.map(|d| d.to_string()),
            notes: i.notes.clone(),
            occurred_at: naive(&i.occurred_at),
            created_at: naive(&i.common.created_at),
            updated_at: naive(&i.common.updated_at),
        }
    }

    pub(crate) fn into_domain(self, tags: Vec<TagName>) -> Result<Interaction> {
        let common = common(&self.workspace_id, tags, "{}", self.created_at, self.updated_at)?;
        Ok(Interaction {
            id: parse_id!(InteractionId, self.id)?,
            contact_id: parse_id!(ContactId, self.contact_id)?,
            kind: InteractionType::parse("type", &self.kind).map_err(|_| error::corrupt("type", &self.kind))?,
            deal_id: self.deal_id.map(|d| parse_id!(DealId, d)).transpose()?,
            notes: self.notes,
            occurred_at: utc(self.occurred_at),
            common,
        })
    }
}

type Boxed<'a> = interactions::BoxedQuery<'a, MultiBackend>;

fn own_filter<'a>(mut q: Boxed<'a>, f: &'a InteractionFilter) -> Boxed<'a> {
    if let Some(contact) = f.contact_id {
        q = q.filter(interactions::contact_id.eq(contact.to_string()));
    }
    if let Some(deal) = f.deal_id {
        q = q.filter(interactions::deal_id.eq(deal.to_string()));
    }
    if !f.types.is_empty() {
        q = q.filter(interactions::kind.eq_any(f.types.iter().map(|t| t.as_str())));
    }
    if let Some(t) = &f.occurred_after {
        q = q.filter(interactions::occurred_at.ge(naive(t)));
    }
    if let Some(t) = &f.occurred_before {
        q = q.filter(interactions::occurred_at.le(naive(t)));
    }
    q
}

fn ordered<'a>(q: Boxed<'a>, page: &PageRequest<InteractionSort>) -> Boxed<'a> {
    use interactions::{created_at, id, occurred_at};
    match (page.sort, page.order) {
        (InteractionSort::OccurredAt, SortOrder::Asc) => q.order((occurred_at.asc(), id.asc())),
        (InteractionSort::OccurredAt, SortOrder::Desc) => q.order((occurred_at.desc(), id.desc())),
        (InteractionSort::CreatedAt, SortOrder::Asc) => q.order((created_at.asc(), id.asc())),
        (InteractionSort::CreatedAt, SortOrder::Desc) => q.order((created_at.desc(), id.desc())),
    }
}

record_table!(record: Interaction, row: InteractionRow, table: interactions, unique: none);
