//! Contact merge: fold a duplicate (the source) into the original (the target), in one
//! transaction, or say what that would do (`dry_run`).

use std::collections::BTreeMap;

use crate::actor::{Actor, Permission};
use crate::audit::AuditEvent;
use crate::contact::model::{Contact, contact_reference};
use crate::error::{DomainError, Errors, FieldError, Result};
use crate::id::ContactId;
use crate::record::Record;
use crate::store::{Change, Tx};
use crate::text::sort_tags;
use crate::time::now;
use crate::value::{Number, Value};

/// How many of the source's records moved (or would move) to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moved {
    /// Interactions.
    pub interactions: u64,
    /// Commitments.
    pub commitments: u64,
    /// Follow-ups.
    pub followups: u64,
    /// Deal links, re-pointed or folded into the target's own link.
    pub deal_links: u64,
}

impl Moved {
    /// As an audit entry shows it.
    pub fn to_value(self) -> Value {
        let n = |v: u64| Value::Number(Number::Int(i64::try_from(v).unwrap_or(i64::MAX)));
        Value::Map(BTreeMap::from([
            ("interactions".to_owned(), n(self.interactions)),
            ("commitments".to_owned(), n(self.commitments)),
            ("followups".to_owned(), n(self.followups)),
            ("deal_links".to_owned(), n(self.deal_links)),
        ]))
    }
}

/// What a merge did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The target as it is after the merge.
    pub contact: Contact,
    /// What moved.
    pub moved: Moved,
    /// The target's fields that took the source's value, in the contact's field order, then
    /// `tags`, then `custom_fields.<name>`.
    pub filled: Vec<String>,
    /// Whether nothing was changed.
    pub dry_run: bool,
}

/// Checks a merge body's ids: both required and well-formed, and not the same (named at
/// `source_id`).
pub fn parse_merge(
    source: Option<String>,
    target: Option<String>,
) -> std::result::Result<(ContactId, ContactId), Vec<FieldError>> {
    let mut e = Errors::new();
    let mut read = |field: &'static str, raw: Option<String>| match raw {
        None => {
            e.push(field, "is required");
            None
        }
        Some(raw) => e.check(contact_reference(field, &raw)),
    };
    let source = read("source_id", source);
    let target = read("target_id", target);
    if source.is_some() && source == target {
        e.push("source_id", "must differ from target_id");
    }
    e.finish()?;
    match (source, target) {
        (Some(s), Some(t)) => Ok((s, t)),
        _ => Err(vec![FieldError::new("source_id", "is required")]),
    }
}

/// A contact's name as a timeline and a merge entry show it: first and last, the last left out
/// when null.
pub fn full_name(c: &Contact) -> String {
    display_name(&c.first_name, c.last_name.as_deref())
}

/// A first and a last name joined by a space, the last left out when there is none.
pub fn display_name(first: &str, last: Option<&str>) -> String {
    match last {
        Some(last) => format!("{first} {last}"),
        None => first.to_owned(),
    }
}

/// The target with the source's values where its own are empty, the source's tags and custom
/// fields it lacks, and the names of what it took.
fn fill(target: &Contact, source: &Contact) -> (Contact, Vec<String>) {
    let mut merged = target.clone();
    let mut filled = Vec::new();
    macro_rules! take {
        ($($field:ident),*) => {$(
            if merged.$field.is_none() && source.$field.is_some() {
                merged.$field = source.$field.clone();
                filled.push(stringify!($field).to_owned());
            }
        )*};
    }
    take!(last_name, email, phone, title, linkedin_url, company_id, notes);
    let have: Vec<String> = merged.common.tags.iter().map(|t| t.key()).collect();
    let gained: Vec<_> = source
        .common
        .tags
        .iter()
        .filter(|t| !have.contains(&t.key()))
        .cloned()
        .collect();
    if !gained.is_empty() {
        merged.common.tags.extend(gained);
        sort_tags(&mut merged.common.tags);
        filled.push("tags".to_owned());
    }
    for (name, value) in &source.common.custom_fields {
        if !merged.common.custom_fields.contains_key(name) {
            merged.common.custom_fields.insert(name.clone(), value.clone());
            filled.push(format!("custom_fields.{name}"));
        }
    }
    (merged, filled)
}

fn count(ids: &[String]) -> u64 {
    u64::try_from(ids.len()).unwrap_or(u64::MAX)
}

/// Merges `source` into `target` (both must be contacts of the workspace, else a 400 naming the
/// field): the source's interactions, commitments, follow-ups and deal links move to the target,
/// the target fills its empty fields and gains the tags and custom fields it lacks, and the
/// source is deleted; one `contact.merged` entry on the target. A dry run changes nothing and
/// writes no entry. A source deleted meanwhile (a racing delete) fails the whole merge.
pub fn merge(
    tx: &mut dyn Tx,
    actor: &Actor,
    source: ContactId,
    target: ContactId,
    dry_run: bool,
) -> Result<Change<Merged>> {
    actor.authorize(Permission::Write)?;
    let ws = actor.workspace_id;
    let missing = |field: &str, id: ContactId| DomainError::field(field, format!("no contact {id} in this workspace"));
    let from = tx.contacts().get(ws, source)?;
    let into = tx.contacts().get(ws, target)?;
    let (from, into) = match (from, into) {
        (Some(f), Some(i)) => (f, i),
        (None, Some(_)) => return Err(missing("source_id", source)),
        (Some(_), None) => return Err(missing("target_id", target)),
        (None, None) => {
            return Err(DomainError::Validation(vec![
                FieldError::new("source_id", format!("no contact {source} in this workspace")),
                FieldError::new("target_id", format!("no contact {target} in this workspace")),
            ]));
        }
    };
    let (mut merged, filled) = fill(&into, &from);
    // The custom fields the target takes are checked against their definitions like any write.
    let taken: BTreeMap<String, Value> = filled
        .iter()
        .filter_map(|f| f.strip_prefix("custom_fields."))
        .filter_map(|name| Some((name.to_owned(), merged.common.custom_fields.get(name)?.clone())))
        .collect();
    crate::custom_field::check_values::<Contact>(tx, ws, crate::custom_field::Touched::Names(&taken))?;
    if dry_run {
        let records = tx.engagements().of_contact(ws, source)?;
        let links = tx.deal_extras().deals_of_contact(ws, source)?;
        let moved = Moved {
            interactions: count(&records.interactions),
            commitments: count(&records.commitments),
            followups: count(&records.followups),
            deal_links: count(&links),
        };
        return Ok(Change::unchanged(Merged {
            contact: merged,
            moved,
            filled,
            dry_run,
        }));
    }
    let at = now();
    let records = tx.engagements().move_contact(ws, source, target, at)?;
    let deal_links = tx.deal_extras().move_contact_links(ws, source, target)?;
    // The source goes first, so its email (unique in the workspace) can move to the target.
    if !tx.contacts().delete(ws, source)? {
        return Err(missing("source_id", source));
    }
    if !filled.is_empty() {
        merged.common.updated_at = at;
        tx.contacts().update(&merged, &into)?;
    }
    let moved = Moved {
        interactions: count(&records.interactions),
        commitments: count(&records.commitments),
        followups: count(&records.followups),
        deal_links,
    };
    let mut event = AuditEvent::new(Contact::KIND, "merged", target).with_snapshot(merged.snapshot());
    event.metadata = BTreeMap::from([
        ("source_id".to_owned(), Value::String(source.to_string())),
        ("source_name".to_owned(), Value::String(full_name(&from))),
        ("filled".to_owned(), Value::from(filled.clone())),
        ("moved".to_owned(), moved.to_value()),
    ]);
    Ok(Change::new(
        Merged {
            contact: merged,
            moved,
            filled,
            dry_run,
        },
        event,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::WorkspaceId;
    use crate::testing::stored_contact;
    use crate::text::{EmailAddress, TagName};

    #[test]
    fn the_target_keeps_its_values_and_fills_the_empty_ones_in_field_order() {
        let ws = WorkspaceId::generate();
        let mut target = stored_contact(ws);
        target.email = None;
        target.title = Some("CTO".into());
        target.common.tags = vec![TagName::parse("t", "VIP").unwrap()];
        target.common.custom_fields.insert("tier".into(), Value::from("gold"));
        let mut source = stored_contact(ws);
        source.email = Some(EmailAddress::from_stored("ada@old.example".into()));
        source.title = Some("Analyst".into());
        source.notes = Some("met at the fair".into());
        source.common.tags = vec![
            TagName::parse("t", "vip").unwrap(),
            TagName::parse("t", "lead").unwrap(),
        ];
        source.common.custom_fields.insert("tier".into(), Value::from("silver"));
        source.common.custom_fields.insert("seats".into(), Value::from("12"));
        let (merged, filled) = fill(&target, &source);
        assert_eq!(filled, ["email", "notes", "tags", "custom_fields.seats"]);
        assert_eq!(merged.title.as_deref(), Some("CTO"));
        assert_eq!(merged.email, source.email);
        let tags: Vec<_> = merged.common.tags.iter().map(|t| t.as_str()).collect();
        assert_eq!(tags, ["lead", "VIP"]);
        assert_eq!(merged.common.custom_fields["tier"], Value::from("gold"));
    }

    #[test]
    fn the_ids_are_required_well_formed_and_different() {
        let err = parse_merge(None, None).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["source_id", "target_id"]);
        let id = ContactId::generate().to_string();
        let err = parse_merge(Some(id.clone()), Some(id)).unwrap_err();
        assert_eq!(err[0].field, "source_id");
        assert!(parse_merge(Some("nope".into()), Some(ContactId::generate().to_string())).is_err());
    }
}
