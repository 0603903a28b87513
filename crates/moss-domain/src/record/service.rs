//! The use cases every record resource shares, written once.

use crate::actor::Actor;
use crate::audit::AuditEvent;
use crate::custom_field::{Touched, check_values};
use crate::error::{DomainError, Result};
use crate::id::TypedId;
use crate::page::{Page, PageRequest};
use crate::record::{Common, Diff, Extras, ExtrasPatch, ListFilter, Record, merge_custom_fields};
use crate::store::{Change, Tx};
use crate::tag::service::canonical_tags;
use crate::time::now;
use crate::value::Patch;

/// "Contact not found.": the same answer for a record that never existed and for one of
/// another workspace.
pub fn not_found<R: Record>() -> DomainError {
    DomainError::NotFound(format!("{} not found.", R::NAME))
}

/// Refuses a record whose unique key another record of the workspace holds (409 naming it).
/// Not looked up when the key is the one `before` already had.
fn check_unique<R: Record>(tx: &mut dyn Tx, record: &R, before: Option<&R>) -> Result<()> {
    let Some(unique) = record.unique() else {
        return Ok(());
    };
    if before.and_then(Record::unique).is_some_and(|b| b.key == unique.key) {
        return Ok(());
    }
    match R::repo(tx).id_by_unique(record.common().workspace_id, &unique.key)? {
        Some(existing) if existing != record.id() => Err(DomainError::Conflict(format!(
            "A {} with {} {} already exists ({existing}).",
            R::KIND,
            unique.field,
            unique.shown
        ))),
        _ => Ok(()),
    }
}

/// Creates a record. References are checked first (400 naming the field), then the unique key
/// (409 naming the record holding it); tags take the workspace's spelling.
pub fn create<R: Record>(tx: &mut dyn Tx, actor: &Actor, fields: R::Changes, extras: Extras) -> Result<Change<R>> {
    actor.authorize(R::WRITE)?;
    let ws = actor.workspace_id;
    let mut extras = extras;
    check_values::<R>(tx, ws, Touched::Create(&mut extras.custom_fields))?;
    let at = now();
    let common = Common {
        workspace_id: ws,
        tags: Vec::new(),
        custom_fields: extras.custom_fields,
        created_at: at,
        updated_at: at,
    };
    let mut record = R::blank(R::Id::generate(), common);
    record.apply(fields, at, &mut Diff::default())?;
    record.check(tx, None)?;
    check_unique(tx, &record, None)?;
    record.common_mut().tags = canonical_tags(tx, ws, &extras.tags, at)?;
    R::repo(tx).insert(&record)?;
    record.after_write(tx, None)?;
    let event = AuditEvent::new(R::KIND, "created", record.id()).with_snapshot(record.snapshot());
    Ok(Change::new(record, event))
}

/// One record of the caller's workspace.
pub fn get<R: Record>(tx: &mut dyn Tx, actor: &Actor, id: R::Id) -> Result<R> {
    actor.authorize(R::READ)?;
    R::repo(tx).get(actor.workspace_id, id)?.ok_or_else(not_found::<R>)
}

/// A page of the caller's records.
pub fn list<R: Record>(
    tx: &mut dyn Tx,
    actor: &Actor,
    filter: &ListFilter<R::Filter>,
    page: &PageRequest<R::Sort>,
) -> Result<Page<R>> {
    actor.authorize(R::READ)?;
    let ws = actor.workspace_id;
    if filter.custom.is_empty() {
        return R::repo(tx).list(ws, filter, page);
    }
    let definitions = match R::ENTITY {
        Some(entity) => tx.custom_fields().definitions(ws, entity)?,
        None => Vec::new(),
    };
    let mut filter = filter.clone();
    filter.custom.resolve(&definitions)?;
    R::repo(tx).list(ws, &filter, page)
}

/// Changes the fields sent. The audit entry lists each changed field's old and new value; a
/// PATCH that changes no stored value writes nothing, keeps `updated_at` and audits nothing.
pub fn update<R: Record>(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: R::Id,
    changes: R::Changes,
    extras: ExtrasPatch,
) -> Result<Change<R>> {
    actor.authorize(R::WRITE)?;
    let ws = actor.workspace_id;
    if let Patch::Set(changes) = &extras.custom_fields {
        check_values::<R>(tx, ws, Touched::Names(changes))?;
    }
    let old = R::repo(tx).get(ws, id)?.ok_or_else(not_found::<R>)?;
    let at = now();
    let mut new = old.clone();
    let mut diff = Diff::default();
    new.apply(changes, at, &mut diff)?;
    if let Patch::Set(changes) = extras.custom_fields {
        let fields = merge_custom_fields(new.common().custom_fields.clone(), changes)?;
        diff.set("custom_fields", &mut new.common_mut().custom_fields, Some(fields));
    }
    new.check(tx, Some(&old))?;
    check_unique(tx, &new, Some(&old))?;
    if let Patch::Set(tags) = extras.tags {
        let tags = canonical_tags(tx, ws, &tags, at)?;
        diff.set("tags", &mut new.common_mut().tags, Some(tags));
    }
    if diff.is_empty() {
        return Ok(Change::unchanged(old));
    }
    new.common_mut().updated_at = at;
    R::repo(tx).update(&new, &old)?;
    new.after_write(tx, Some(&old))?;
    let event = new.update_event(&old, diff).with_snapshot(new.snapshot());
    Ok(Change::new(new, event))
}

/// Deletes a record with its tags and search text.
pub fn delete<R: Record>(tx: &mut dyn Tx, actor: &Actor, id: R::Id) -> Result<Change<()>> {
    actor.authorize(R::WRITE)?;
    let ws = actor.workspace_id;
    // Scoped to the workspace, so for a record that is not there it changes nothing; a 404
    // also undoes whatever it wrote (the mutation's savepoint).
    let metadata = R::before_delete(tx, ws, id, now())?;
    if !R::repo(tx).delete(ws, id)? {
        return Err(not_found::<R>());
    }
    let mut event = AuditEvent::new(R::KIND, "deleted", id);
    event.metadata = metadata;
    Ok(Change::new((), event))
}

#[cfg(test)]
mod tests;
