//! The record use cases against mocked ports, through contacts (email unique, a company
//! reference): what every record resource gets from the machinery.

use std::collections::BTreeMap;

use rstest::rstest;

use super::*;
use crate::DomainError;
use crate::contact::ContactChanges;
use crate::contact::model::Contact;
use crate::id::{CompanyId, ContactId};
use crate::record::Snapshot;
use crate::testing::{Calls, FakeTx, new_contact, owner, stored_company, stored_contact};
use crate::text::EmailAddress;
use crate::text::TagName;
use crate::value::Value;

fn tags(names: &[&str]) -> Vec<TagName> {
    names.iter().map(|n| TagName::from_stored((*n).to_owned())).collect()
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse("email", s).unwrap()
}

/// `{"changes": {field: {"old": old, "new": new}, ...}}` as the audit metadata of an update.
fn changes(fields: Vec<(&str, Value, Value)>) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for (field, old, new) in fields {
        let pair = BTreeMap::from([("old".to_owned(), old), ("new".to_owned(), new)]);
        map.insert(field.to_owned(), Value::Map(pair));
    }
    BTreeMap::from([("changes".to_owned(), Value::Map(map))])
}

/// Expects exactly one `contact(ws, id)` lookup answering `stored`.
fn expect_stored(tx: &mut FakeTx, stored: &Contact) {
    let (ws, id, found) = (stored.common.workspace_id, stored.id, stored.clone());
    tx.contacts
        .expect_get()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(move |_, _| Ok(Some(found.clone())));
}

/// Expects exactly one `update_contact` and records what it was given.
fn expect_update(tx: &mut FakeTx) -> Calls<Contact> {
    let calls = Calls::new();
    let sink = calls.clone();
    tx.contacts.expect_update().times(1).returning(move |c, _| {
        sink.push(c.clone());
        Ok(())
    });
    calls
}

// ---- create ----

#[test]
fn create_with_a_taken_email_is_a_conflict_naming_the_existing_contact() {
    let actor = owner();
    let ws = actor.workspace_id;
    let existing = ContactId::generate();
    let mut tx = FakeTx::new();
    tx.contacts
        .expect_id_by_unique()
        .withf(move |w, e| *w == ws && e == "ada@example.com")
        .times(1)
        .returning(move |_, _| Ok(Some(existing)));

    let err = create::<Contact>(&mut tx, &actor, new_contact(), Extras::default()).unwrap_err();

    let DomainError::Conflict(message) = err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains(&existing.to_string()), "{message}");
    assert!(message.contains("Ada@Example.com"), "{message}");
}

#[test]
fn create_with_an_unknown_company_is_a_validation_error_before_any_email_lookup() {
    let actor = owner();
    let ws = actor.workspace_id;
    let company_id = CompanyId::generate();
    let mut tx = FakeTx::new();
    tx.companies
        .expect_get()
        .withf(move |w, id| *w == ws && *id == company_id)
        .times(1)
        .returning(|_, _| Ok(None));
    let input = ContactChanges {
        company_id: Patch::Set(company_id),
        ..new_contact()
    };

    let err = create::<Contact>(&mut tx, &actor, input, Extras::default()).unwrap_err();

    let DomainError::Validation(fields) = err else {
        panic!("expected Validation, got {err:?}")
    };
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0].field, "company_id");
    assert!(fields[0].message.contains(&company_id.to_string()), "{fields:?}");
}

#[rstest]
#[case::without_tags(&[], &[], &[])]
#[case::with_tags(&["vip", "lead"], &["VIP", "lead"], &["lead", "VIP"])]
fn create_inserts_once_and_audits_contact_created(
    #[case] sent: &[&str],
    #[case] workspace_spelling: &[&str],
    #[case] expected: &[&str],
) {
    let actor = owner();
    let ws = actor.workspace_id;
    let company = stored_company(ws);
    let mut tx = FakeTx::new();
    let found = company.clone();
    tx.companies
        .expect_get()
        .times(1)
        .returning(move |_, _| Ok(Some(found.clone())));
    tx.contacts.expect_id_by_unique().times(1).returning(|_, _| Ok(None));
    if !sent.is_empty() {
        let (sent, stored) = (tags(sent), tags(workspace_spelling));
        tx.tags
            .expect_ensure_tags()
            .withf(move |w, t, _| *w == ws && t == sent.as_slice())
            .times(1)
            .returning(move |_, _, _| Ok(stored.clone()));
    }
    let inserted = Calls::new();
    let sink = inserted.clone();
    tx.contacts.expect_insert().times(1).returning(move |c| {
        sink.push(c.clone());
        Ok(())
    });
    let input = ContactChanges {
        company_id: Patch::Set(company.id),
        ..new_contact()
    };
    let extras = Extras {
        tags: tags(sent),
        ..Extras::default()
    };

    let change = create::<Contact>(&mut tx, &actor, input, extras).unwrap();

    let contact = change.value;
    assert_eq!(inserted.all(), vec![contact.clone()]);
    assert_eq!(contact.common.workspace_id, ws);
    assert_eq!(contact.first_name, "Ada");
    assert_eq!(contact.email, Some(email("Ada@Example.com")));
    assert_eq!(contact.company_id, Some(company.id));
    assert_eq!(contact.common.tags, tags(expected));
    assert_eq!(contact.common.created_at, contact.common.updated_at);
    assert_eq!(change.events[0].event_type(), "contact.created");
    assert_eq!(change.events[0].target_id, contact.id.to_string());
    assert!(change.events[0].metadata.is_empty());
    // The event carries the record as it was created, for the renderer.
    assert_eq!(
        change.events[0].snapshot.as_deref(),
        Some(&Snapshot::Contact(contact.clone()))
    );
}

// ---- get ----

#[test]
fn get_of_a_missing_contact_is_not_found() {
    let actor = owner();
    let ws = actor.workspace_id;
    let mut tx = FakeTx::new();
    tx.contacts
        .expect_get()
        .withf(move |w, _| *w == ws)
        .times(1)
        .returning(|_, _| Ok(None));

    let err = get::<Contact>(&mut tx, &actor, ContactId::generate()).unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

// ---- update ----

#[test]
fn update_of_a_missing_contact_is_not_found_and_writes_nothing() {
    let actor = owner();
    let ws = actor.workspace_id;
    let id = ContactId::generate();
    let mut tx = FakeTx::new();
    tx.contacts
        .expect_get()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(|_, _| Ok(None));
    let patch = ContactChanges {
        first_name: Some("Grace".into()),
        ..Default::default()
    };

    let err = update::<Contact>(&mut tx, &actor, id, patch, ExtrasPatch::default()).unwrap_err();

    assert_eq!(err, DomainError::NotFound("Contact not found.".into()));
}

#[rstest]
#[case::first_name(
    ContactChanges { first_name: Some("Augusta".into()), ..Default::default() },
    "first_name", Value::from("Ada"), Value::from("Augusta"),
)]
#[case::last_name_cleared(
    ContactChanges { last_name: Patch::Null, ..Default::default() },
    "last_name", Value::from("Lovelace"), Value::Null,
)]
#[case::phone_set(
    ContactChanges { phone: Patch::Set("+44 20 7946 0000".into()), ..Default::default() },
    "phone", Value::Null, Value::from("+44 20 7946 0000"),
)]
#[case::title_changed(
    ContactChanges { title: Patch::Set("Countess".into()), ..Default::default() },
    "title", Value::from("Analyst"), Value::from("Countess"),
)]
#[case::notes_set(
    ContactChanges { notes: Patch::Set("Wrote the first program".into()), ..Default::default() },
    "notes", Value::Null, Value::from("Wrote the first program"),
)]
#[case::custom_fields_replaced(
    ContactChanges::default(),
    "custom_fields",
    Value::Map(BTreeMap::new()),
    Value::Map(BTreeMap::from([("tier".to_owned(), Value::from("gold"))])),
)]
fn update_audits_the_changed_field_with_old_and_new_values(
    #[case] patch: ContactChanges,
    #[case] field: &str,
    #[case] old: Value,
    #[case] new: Value,
) {
    let actor = owner();
    let stored = stored_contact(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let updates = expect_update(&mut tx);
    let extras = ExtrasPatch {
        custom_fields: if field == "custom_fields" {
            Patch::Set(BTreeMap::from([("tier".to_owned(), Value::from("gold"))]))
        } else {
            Patch::Absent
        },
        ..ExtrasPatch::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, patch, extras).unwrap();

    assert_eq!(change.events[0].event_type(), "contact.updated");
    assert_eq!(change.events[0].target_id, stored.id.to_string());
    assert_eq!(change.events[0].metadata, changes(vec![(field, old, new)]));
    assert_eq!(
        change.events[0].snapshot.as_deref(),
        Some(&Snapshot::Contact(change.value.clone())),
        "the record right after the change"
    );
    assert_eq!(updates.all(), vec![change.value.clone()]);
    assert!(change.value.common.updated_at > stored.common.updated_at);
    assert_eq!(change.value.common.created_at, stored.common.created_at);
}

#[test]
fn update_leaves_fields_sent_with_their_current_value_out_of_the_audit() {
    let actor = owner();
    let stored = stored_contact(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let updates = expect_update(&mut tx);
    let patch = ContactChanges {
        first_name: Some("Ada".into()),
        last_name: Patch::Set("Lovelace".into()),
        title: Patch::Set("Analyst".into()),
        notes: Patch::Null,
        phone: Patch::Set("+1 555 0100".into()),
        ..Default::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap();

    assert_eq!(
        change.events[0].metadata,
        changes(vec![("phone", Value::Null, Value::from("+1 555 0100"))])
    );
    let expected = Contact {
        phone: Some("+1 555 0100".into()),
        common: Common {
            updated_at: change.value.common.updated_at,
            ..stored.common.clone()
        },
        ..stored
    };
    assert_eq!(change.value, expected);
    assert_eq!(updates.all(), vec![expected]);
}

#[rstest]
#[case::nothing_sent(ContactChanges::default())]
#[case::same_values_sent(ContactChanges {
    first_name: Some("Ada".into()),
    last_name: Patch::Set("Lovelace".into()),
    email: Patch::Set(email("ada@example.com")),
    phone: Patch::Null,
    ..Default::default()
})]
fn update_without_a_change_writes_nothing(#[case] patch: ContactChanges) {
    let actor = owner();
    let stored = stored_contact(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let extras = ExtrasPatch {
        tags: Patch::Set(Vec::new()),
        custom_fields: Patch::Set(BTreeMap::new()),
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, patch, extras).unwrap();

    assert_eq!(change.value, stored);
    assert!(change.events.is_empty(), "a write that changes nothing is not audited");
}

#[test]
fn update_to_another_contacts_email_is_a_conflict_and_writes_nothing() {
    let actor = owner();
    let ws = actor.workspace_id;
    let stored = stored_contact(ws);
    let other = ContactId::generate();
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    tx.contacts
        .expect_id_by_unique()
        .withf(move |w, e| *w == ws && e == "grace@example.com")
        .times(1)
        .returning(move |_, _| Ok(Some(other)));
    let patch = ContactChanges {
        email: Patch::Set(email("Grace@Example.com")),
        ..Default::default()
    };

    let err = update::<Contact>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap_err();

    let DomainError::Conflict(message) = err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains(&other.to_string()), "{message}");
}

#[test]
fn update_to_a_free_email_checks_it_once_and_saves_it() {
    let actor = owner();
    let stored = stored_contact(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    tx.contacts
        .expect_id_by_unique()
        .withf(|_, e| e == "grace@example.com")
        .times(1)
        .returning(|_, _| Ok(None));
    let updates = expect_update(&mut tx);
    let patch = ContactChanges {
        email: Patch::Set(email("Grace@Example.com")),
        ..Default::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap();

    let expected = changes(vec![(
        "email",
        Value::from("ada@example.com"),
        Value::from("Grace@Example.com"),
    )]);
    assert_eq!(change.events[0].metadata, expected);
    assert_eq!(updates.all().len(), 1);
}

#[test]
fn update_changing_only_the_email_case_does_not_look_for_a_conflict() {
    let actor = owner();
    let stored = stored_contact(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let updates = expect_update(&mut tx);
    let patch = ContactChanges {
        email: Patch::Set(email("ADA@example.com")),
        ..Default::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap();

    let expected = changes(vec![(
        "email",
        Value::from("ada@example.com"),
        Value::from("ADA@example.com"),
    )]);
    assert_eq!(change.events[0].metadata, expected);
    assert_eq!(updates.all()[0].email, Some(email("ADA@example.com")));
}

#[test]
fn update_to_an_unknown_company_is_a_validation_error_and_writes_nothing() {
    let actor = owner();
    let ws = actor.workspace_id;
    let stored = stored_contact(ws);
    let company_id = CompanyId::generate();
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    tx.companies
        .expect_get()
        .withf(move |w, id| *w == ws && *id == company_id)
        .times(1)
        .returning(|_, _| Ok(None));
    // The email change is never checked: the bad reference is reported first.
    let patch = ContactChanges {
        company_id: Patch::Set(company_id),
        email: Patch::Set(email("grace@example.com")),
        ..Default::default()
    };

    let err = update::<Contact>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap_err();

    let DomainError::Validation(fields) = err else {
        panic!("expected Validation, got {err:?}")
    };
    assert_eq!(
        fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
        ["company_id"]
    );
}

#[test]
fn update_clearing_the_company_does_not_look_it_up() {
    let actor = owner();
    let company = stored_company(actor.workspace_id);
    let stored = Contact {
        company_id: Some(company.id),
        ..stored_contact(actor.workspace_id)
    };
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let updates = expect_update(&mut tx);
    let patch = ContactChanges {
        company_id: Patch::Null,
        ..Default::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap();

    let expected = changes(vec![("company_id", Value::from(company.id.to_string()), Value::Null)]);
    assert_eq!(change.events[0].metadata, expected);
    assert_eq!(updates.all()[0].company_id, None);
}

#[test]
fn update_replaces_tags_with_the_workspace_spelling_sorted() {
    let actor = owner();
    let ws = actor.workspace_id;
    let mut stored = stored_contact(ws);
    stored.common.tags = tags(&["old"]);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    tx.tags
        .expect_ensure_tags()
        .withf(move |w, t, _| *w == ws && t == tags(&["vip", "Alpha"]).as_slice())
        .times(1)
        .returning(|_, _, _| Ok(tags(&["VIP", "alpha"])));
    let updates = expect_update(&mut tx);
    let extras = ExtrasPatch {
        tags: Patch::Set(tags(&["vip", "Alpha"])),
        ..ExtrasPatch::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, ContactChanges::default(), extras).unwrap();

    assert_eq!(change.value.common.tags, tags(&["alpha", "VIP"]));
    let expected = changes(vec![(
        "tags",
        Value::from(vec!["old".to_owned()]),
        Value::from(vec!["alpha".to_owned(), "VIP".to_owned()]),
    )]);
    assert_eq!(change.events[0].metadata, expected);
    assert_eq!(updates.all()[0].common.tags, tags(&["alpha", "VIP"]));
}

#[test]
fn update_clearing_tags_does_not_touch_the_tag_repo() {
    let actor = owner();
    let mut stored = stored_contact(actor.workspace_id);
    stored.common.tags = tags(&["vip"]);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let updates = expect_update(&mut tx);
    let extras = ExtrasPatch {
        tags: Patch::Set(Vec::new()),
        ..ExtrasPatch::default()
    };

    let change = update::<Contact>(&mut tx, &actor, stored.id, ContactChanges::default(), extras).unwrap();

    assert!(change.value.common.tags.is_empty());
    assert!(updates.all()[0].common.tags.is_empty());
}

// ---- delete ----

#[rstest]
#[case::found(true)]
#[case::missing(false)]
fn delete_is_not_found_when_the_repo_deleted_nothing(#[case] found: bool) {
    let actor = owner();
    let ws = actor.workspace_id;
    let id = ContactId::generate();
    let mut tx = FakeTx::new();
    let linked = crate::id::DealId::generate().to_string();
    let listed = linked.clone();
    tx.deal_extras
        .expect_remove_contact_links()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(move |_, _| Ok(vec![listed.clone()]));
    tx.engagements
        .expect_delete_of_contact()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(|_, _| Ok(Default::default()));
    tx.contacts
        .expect_delete()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(move |_, _| Ok(found));

    let result = delete::<Contact>(&mut tx, &actor, id);

    if found {
        let audit = result.unwrap().events.remove(0);
        assert_eq!(audit.event_type(), "contact.deleted");
        assert_eq!(audit.target_id, id.to_string());
        let deal_links = BTreeMap::from([
            ("count".to_owned(), Value::Number(crate::value::Number::Int(1))),
            ("ids".to_owned(), Value::List(vec![Value::String(linked)])),
        ]);
        let none = BTreeMap::from([
            ("count".to_owned(), Value::Number(crate::value::Number::Int(0))),
            ("ids".to_owned(), Value::List(Vec::new())),
        ]);
        let deleted = BTreeMap::from([
            ("deal_links".to_owned(), Value::Map(deal_links)),
            ("interactions".to_owned(), Value::Map(none.clone())),
            ("commitments".to_owned(), Value::Map(none.clone())),
            ("followups".to_owned(), Value::Map(none)),
        ]);
        assert_eq!(
            audit.metadata,
            BTreeMap::from([("deleted".to_owned(), Value::Map(deleted))])
        );
    } else {
        assert_eq!(result.unwrap_err(), DomainError::NotFound("Contact not found.".into()));
    }
}
