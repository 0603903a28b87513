//! Deal use cases beyond the record machinery: stage moves, the stage history, contact links
//! and the pipeline.

use std::collections::BTreeMap;

use crate::actor::{Actor, Permission};
use crate::audit::AuditEvent;
use crate::contact::model::contact_reference;
use crate::deal::model::{Currency, Deal, DealChanges, Stage};
use crate::deal::ports::{DealContact, LinkSort, PipelineFilter, StageSort, StageSpan};
use crate::error::{DomainError, Errors, FieldError, Result};
use crate::id::{ContactId, DealId};
use crate::page::{Page, PageRequest};
use crate::record::ExtrasPatch;
use crate::record::service::{not_found, update};
use crate::store::{Change, Tx};
use crate::text::optional_text;
use crate::time::now;
use crate::value::{Patch, Value};

/// Most deals one bulk move takes.
pub const MAX_BULK: usize = 100;

/// Most characters of a link's `role`.
pub const MAX_ROLE: usize = 100;

/// Moves a deal to `stage` (`PATCH /deals/{id}/stage`): a PATCH of the stage and reason, so
/// the same rules and audit events apply (`deal.stage_moved`; nothing when the deal is in the
/// stage already, unless a lost deal gets a new reason: `deal.updated`).
pub fn move_stage(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: DealId,
    stage: Stage,
    lost_reason: Patch<String>,
) -> Result<Change<Deal>> {
    let changes = DealChanges {
        stage: Some(stage),
        lost_reason,
        ..DealChanges::default()
    };
    update::<Deal>(tx, actor, id, changes, ExtrasPatch::default())
}

/// Checks a bulk move's `deal_ids`: 1 to [`MAX_BULK`] deal ids, none repeated (a repeat is
/// named at its repeat).
pub fn parse_deal_ids(raw: Option<Vec<String>>) -> Result<Vec<DealId>, Vec<FieldError>> {
    let Some(raw) = raw else {
        return Err(vec![FieldError::new("deal_ids", "is required")]);
    };
    if raw.is_empty() || raw.len() > MAX_BULK {
        return Err(vec![FieldError::new(
            "deal_ids",
            format!("must list 1 to {MAX_BULK} deal ids"),
        )]);
    }
    let mut e = Errors::new();
    let mut ids: Vec<DealId> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let field = format!("deal_ids[{i}]");
        match DealId::parse(r.trim()) {
            None => e.push(field, "must be a deal id (deal_...)"),
            Some(id) if ids.contains(&id) => e.push(field, format!("repeats {id}")),
            Some(id) => ids.push(id),
        }
    }
    e.finish()?;
    Ok(ids)
}

/// Moves every deal of `ids` (checked by [`parse_deal_ids`]) to `stage`, all or nothing: a
/// deal not in the workspace is a 400 naming it at its index, and nothing moves. One audit
/// event per deal that changed; the deals in the order given.
pub fn bulk_move(
    tx: &mut dyn Tx,
    actor: &Actor,
    ids: &[DealId],
    stage: Stage,
    lost_reason: Patch<String>,
) -> Result<Change<Vec<Deal>>> {
    actor.authorize(Permission::Write)?;
    // Every id that names no deal of the workspace is reported at once, before anything moves.
    let found = tx.deal_extras().existing(actor.workspace_id, ids)?;
    let mut e = Errors::new();
    for (i, id) in ids.iter().enumerate() {
        if !found.contains(id) {
            e.push(format!("deal_ids[{i}]"), format!("no deal {id} in this workspace"));
        }
    }
    e.finish().map_err(DomainError::Validation)?;
    let mut deals = Vec::with_capacity(ids.len());
    let mut events = Vec::new();
    for id in ids {
        let change = move_stage(tx, actor, *id, stage, lost_reason.clone())?;
        deals.push(change.value);
        events.extend(change.events);
    }
    Ok(Change { value: deals, events })
}

/// `NotFound` unless the deal is in the caller's workspace (one indexed lookup, no record read).
fn deal_exists(tx: &mut dyn Tx, actor: &Actor, id: DealId) -> Result<()> {
    if tx.deal_extras().existing(actor.workspace_id, &[id])?.is_empty() {
        return Err(not_found::<Deal>());
    }
    Ok(())
}

/// A page of a deal's stage history.
pub fn stage_history(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: DealId,
    page: &PageRequest<StageSort>,
) -> Result<Page<StageSpan>> {
    actor.authorize(Permission::Read)?;
    deal_exists(tx, actor, id)?;
    tx.deal_extras().stage_history(actor.workspace_id, id, page)
}

/// A page of a deal's contact links.
pub fn contact_links(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: DealId,
    page: &PageRequest<LinkSort>,
) -> Result<Page<DealContact>> {
    actor.authorize(Permission::Read)?;
    deal_exists(tx, actor, id)?;
    tx.deal_extras().contact_links(actor.workspace_id, id, page)
}

/// A checked link body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLink {
    /// The contact (must be in the workspace).
    pub contact_id: ContactId,
    /// Free text up to [`MAX_ROLE`].
    pub role: Option<String>,
}

impl NewLink {
    /// Checks `contact_id` (required) and `role`.
    pub fn parse(contact_id: Option<String>, role: Option<String>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let contact_id = match contact_id {
            None => {
                e.push("contact_id", "is required");
                None
            }
            Some(raw) => e.check(contact_reference("contact_id", &raw)),
        };
        let role = e.check(optional_text("role", role, MAX_ROLE)).flatten();
        e.finish()?;
        contact_id
            .map(|contact_id| Self { contact_id, role })
            .ok_or_else(|| vec![FieldError::new("contact_id", "is required")])
    }
}

/// Links a contact to a deal: 404 for a deal not in the workspace, 400 naming `contact_id` for
/// a contact not in it, 409 when it is linked already. Audited as `deal.contact_added`.
pub fn link_contact(tx: &mut dyn Tx, actor: &Actor, id: DealId, link: NewLink) -> Result<Change<DealContact>> {
    actor.authorize(Permission::Write)?;
    let ws = actor.workspace_id;
    deal_exists(tx, actor, id)?;
    let Some(contact) = tx.contacts().get(ws, link.contact_id)? else {
        return Err(DomainError::field(
            "contact_id",
            format!("no contact {} in this workspace", link.contact_id),
        ));
    };
    let at = now();
    if !tx
        .deal_extras()
        .link_contact(ws, id, link.contact_id, link.role.clone(), at)?
    {
        return Err(DomainError::Conflict(format!(
            "Contact {} is already linked to this deal.",
            link.contact_id
        )));
    }
    let mut event = AuditEvent::new("deal", "contact_added", id);
    event
        .metadata
        .insert("contact_id".to_owned(), Value::String(link.contact_id.to_string()));
    event.metadata.insert("role".to_owned(), link.role.clone().into());
    let value = DealContact {
        deal_id: id,
        contact_id: link.contact_id,
        role: link.role,
        created_at: at,
        contact,
    };
    Ok(Change::new(value, event))
}

/// Unlinks a contact: 404 for a deal not in the workspace or a contact not linked. Audited as
/// `deal.contact_removed`.
pub fn unlink_contact(tx: &mut dyn Tx, actor: &Actor, id: DealId, contact: ContactId) -> Result<Change<()>> {
    actor.authorize(Permission::Write)?;
    deal_exists(tx, actor, id)?;
    if !tx.deal_extras().unlink_contact(actor.workspace_id, id, contact)? {
        return Err(DomainError::NotFound("That contact is not linked to this deal.".into()));
    }
    let mut event = AuditEvent::new("deal", "contact_removed", id);
    event
        .metadata
        .insert("contact_id".to_owned(), Value::String(contact.to_string()));
    Ok(Change::new((), event))
}

/// Deals in a group of the pipeline and their exact totals per currency.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    /// Deals (null values included).
    pub count: u64,
    /// One entry per currency present, sorted by code; exact sums of the known values.
    pub totals: BTreeMap<&'static str, i128>,
}

impl Group {
    fn add(&mut self, currency: Currency, count: u64, value: i128) {
        self.count += count;
        *self.totals.entry(currency.as_str()).or_insert(0) += value;
    }
}

/// The pipeline summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Every stage in pipeline order.
    pub stages: Vec<(Stage, Group)>,
    /// lead, prospect and negotiation together.
    pub open: Group,
    /// won / (won + lost) in ten-thousandths, rounded half away from zero; `None` when both
    /// are 0.
    pub win_rate_bp: Option<u64>,
}

/// The pipeline of the caller's workspace, summed by the database.
pub fn pipeline(tx: &mut dyn Tx, actor: &Actor, filter: &PipelineFilter) -> Result<Pipeline> {
    actor.authorize(Permission::Read)?;
    let rows = tx.deal_extras().pipeline(actor.workspace_id, filter)?;
    let mut stages: Vec<(Stage, Group)> = Stage::ALL.iter().map(|s| (*s, Group::default())).collect();
    let mut open = Group::default();
    for r in rows {
        if let Some((_, g)) = stages.iter_mut().find(|(s, _)| *s == r.stage) {
            g.add(r.currency, r.count, r.value);
        }
        if !r.stage.is_closed() {
            open.add(r.currency, r.count, r.value);
        }
    }
    let count = |stage: Stage| stages.iter().find(|(s, _)| *s == stage).map_or(0, |(_, g)| g.count);
    let (won, lost) = (count(Stage::Won), count(Stage::Lost));
    let closed = won + lost;
    let win_rate_bp = (closed > 0).then(|| (won * 20_000 + closed) / (2 * closed));
    Ok(Pipeline {
        stages,
        open,
        win_rate_bp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deal_ids_are_one_to_a_hundred_without_repeats_named_at_the_repeat() {
        let a = DealId::generate().to_string();
        let b = DealId::generate().to_string();
        assert_eq!(parse_deal_ids(Some(vec![a.clone(), b.clone()])).unwrap().len(), 2);
        let err = parse_deal_ids(Some(vec![a.clone(), b.clone(), "x".into(), b])).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["deal_ids[2]", "deal_ids[3]"]);
        assert_eq!(parse_deal_ids(Some(vec![])).unwrap_err()[0].field, "deal_ids");
        assert_eq!(parse_deal_ids(Some(vec![a; 101])).unwrap_err()[0].field, "deal_ids");
        assert_eq!(parse_deal_ids(None).unwrap_err()[0].field, "deal_ids");
    }

    #[test]
    fn the_win_rate_rounds_half_away_from_zero_to_four_places() {
        let rate = |won: u64, lost: u64| {
            let closed = won + lost;
            (closed > 0).then(|| (won * 20_000 + closed) / (2 * closed))
        };
        assert_eq!(rate(2, 1), Some(6667));
        assert_eq!(rate(1, 2), Some(3333));
        assert_eq!(rate(1, 0), Some(10_000));
        assert_eq!(rate(0, 0), None);
        // 1/8 = 0.125 exactly: 1250 ten-thousandths; 1/16000 = 0.0000625 rounds up to 1.
        assert_eq!(rate(1, 7), Some(1250));
        assert_eq!(rate(1, 15_999), Some(1));
    }
}
