//! Company use cases against mocked ports.

use rstest::rstest;

use super::*;
use crate::DomainError;
use crate::company::CompanyChanges;
use crate::company::model::Domain;
use crate::contact::ContactFilter;
use crate::id::ContactId;
use crate::record::ListFilter;
use crate::record::service::{create, delete, update};
use crate::record::{Extras, ExtrasPatch};
use crate::testing::{Calls, FakeTx, new_company, owner, stored_company, stored_contact};
use crate::value::{Patch, Value};

fn domain(s: &str) -> Domain {
    Domain::parse("domain", s).unwrap()
}

// ---- create ----

#[test]
fn create_with_a_taken_domain_is_a_conflict_naming_the_existing_company() {
    let actor = owner();
    let ws = actor.workspace_id;
    let existing = CompanyId::generate();
    let mut tx = FakeTx::new();
    tx.companies
        .expect_id_by_unique()
        .withf(move |w, d| *w == ws && d == "acme.com")
        .times(1)
        .returning(move |_, _| Ok(Some(existing)));

    let err = create::<Company>(&mut tx, &actor, new_company(), Extras::default()).unwrap_err();

    let DomainError::Conflict(message) = err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains(&existing.to_string()), "{message}");
    assert!(message.contains("acme.com"), "{message}");
}

#[rstest]
#[case::with_domain(Some("acme.com"))]
#[case::without_domain(None)]
fn create_inserts_once_and_audits_company_created(#[case] domain_name: Option<&str>) {
    let actor = owner();
    let ws = actor.workspace_id;
    let mut tx = FakeTx::new();
    if domain_name.is_some() {
        tx.companies.expect_id_by_unique().times(1).returning(|_, _| Ok(None));
    }
    let inserted = Calls::new();
    let sink = inserted.clone();
    tx.companies.expect_insert().times(1).returning(move |c| {
        sink.push(c.clone());
        Ok(())
    });
    let input = CompanyChanges {
        domain: domain_name.map_or(Patch::Absent, |d| Patch::Set(domain(d))),
        ..new_company()
    };

    let change = create::<Company>(&mut tx, &actor, input, Extras::default()).unwrap();

    let company = change.value;
    assert_eq!(inserted.all(), vec![company.clone()]);
    assert_eq!(company.common.workspace_id, ws);
    assert_eq!(company.name, "Acme");
    assert_eq!(company.domain, domain_name.map(domain));
    assert_eq!(change.events[0].event_type(), "company.created");
    assert_eq!(change.events[0].target_id, company.id.to_string());
}

// ---- update ----

#[test]
fn update_of_a_missing_company_is_not_found() {
    let actor = owner();
    let mut tx = FakeTx::new();
    tx.companies.expect_get().times(1).returning(|_, _| Ok(None));
    let patch = CompanyChanges {
        name: Some("Initech".into()),
        ..Default::default()
    };

    let err = update::<Company>(&mut tx, &actor, CompanyId::generate(), patch, ExtrasPatch::default()).unwrap_err();

    assert_eq!(err, DomainError::NotFound("Company not found.".into()));
}

fn expect_stored(tx: &mut FakeTx, stored: &Company) {
    let (ws, id, found) = (stored.common.workspace_id, stored.id, stored.clone());
    tx.companies
        .expect_get()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(move |_, _| Ok(Some(found.clone())));
}

#[test]
fn update_to_another_companys_domain_is_a_conflict_and_writes_nothing() {
    let actor = owner();
    let ws = actor.workspace_id;
    let stored = stored_company(ws);
    let other = CompanyId::generate();
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    tx.companies
        .expect_id_by_unique()
        .withf(move |w, d| *w == ws && d == "initech.com")
        .times(1)
        .returning(move |_, _| Ok(Some(other)));
    let patch = CompanyChanges {
        domain: Patch::Set(domain("initech.com")),
        ..Default::default()
    };

    let err = update::<Company>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap_err();

    let DomainError::Conflict(message) = err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains(&other.to_string()), "{message}");
}

#[test]
fn update_with_the_same_values_neither_looks_up_the_domain_nor_writes() {
    let actor = owner();
    let stored = stored_company(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let patch = CompanyChanges {
        name: Some("Acme".into()),
        domain: Patch::Set(domain("ACME.com")),
        industry: Patch::Null,
        ..Default::default()
    };

    let change = update::<Company>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap();

    assert_eq!(change.value, stored);
    assert!(change.events.is_empty(), "a write that changes nothing is not audited");
}

#[test]
fn update_audits_only_the_changed_fields() {
    let actor = owner();
    let stored = stored_company(actor.workspace_id);
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &stored);
    let updates = Calls::new();
    let sink = updates.clone();
    tx.companies.expect_update().times(1).returning(move |c, _| {
        sink.push(c.clone());
        Ok(())
    });
    let patch = CompanyChanges {
        name: Some("Acme".into()),
        domain: Patch::Null,
        industry: Patch::Set("Anvils".into()),
        ..Default::default()
    };

    let change = update::<Company>(&mut tx, &actor, stored.id, patch, ExtrasPatch::default()).unwrap();

    let pair =
        |old: Value, new: Value| Value::Map([("old".to_owned(), old), ("new".to_owned(), new)].into_iter().collect());
    let expected: std::collections::BTreeMap<String, Value> = [
        ("domain".to_owned(), pair(Value::from("acme.com"), Value::Null)),
        ("industry".to_owned(), pair(Value::Null, Value::from("Anvils"))),
    ]
    .into_iter()
    .collect();
    assert_eq!(change.events[0].metadata.get("changes"), Some(&Value::Map(expected)));
    assert_eq!(updates.all(), vec![change.value.clone()]);
    assert_eq!(change.value.domain, None);
    assert!(change.value.common.updated_at > stored.common.updated_at);
}

// ---- delete ----

#[rstest]
#[case::found(true)]
#[case::missing(false)]
fn delete_is_not_found_when_the_repo_deleted_nothing(#[case] found: bool) {
    let actor = owner();
    let ws = actor.workspace_id;
    let id = CompanyId::generate();
    let mut tx = FakeTx::new();
    tx.deal_extras
        .expect_clear_company()
        .withf(move |w, i, _| *w == ws && *i == id)
        .times(1)
        .returning(|_, _, _| Ok(crate::deal::ports::Cleared::default()));
    tx.companies
        .expect_delete()
        .withf(move |w, i| *w == ws && *i == id)
        .times(1)
        .returning(move |_, _| Ok(found));

    let result = delete::<Company>(&mut tx, &actor, id);

    if found {
        let audit = result.unwrap().events.remove(0);
        assert_eq!(audit.event_type(), "company.deleted");
        assert_eq!(audit.target_id, id.to_string());
    } else {
        assert_eq!(result.unwrap_err(), DomainError::NotFound("Company not found.".into()));
    }
}

// ---- a company's contacts ----

#[test]
fn contacts_of_a_missing_company_are_not_found_and_never_listed() {
    let actor = owner();
    let mut tx = FakeTx::new();
    tx.companies.expect_get().times(1).returning(|_, _| Ok(None));

    let err = company_contacts(
        &mut tx,
        &actor,
        CompanyId::generate(),
        ListFilter::default(),
        &PageRequest::first(),
    )
    .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

#[test]
fn contacts_of_a_company_are_filtered_by_it() {
    let actor = owner();
    let ws = actor.workspace_id;
    let company = stored_company(ws);
    let contact = Contact {
        company_id: Some(company.id),
        ..stored_contact(ws)
    };
    let mut tx = FakeTx::new();
    expect_stored(&mut tx, &company);
    let (company_id, listed) = (company.id, contact.clone());
    tx.contacts
        .expect_list()
        .withf(move |w, f, _| *w == ws && f.own.company_id == Some(company_id) && f.words == ["ada"])
        .times(1)
        .returning(move |_, _, _| {
            Ok(Page {
                items: vec![listed.clone()],
                total: 1,
            })
        });
    let filter = ListFilter {
        words: vec!["ada".into()],
        own: ContactFilter {
            company_id: Some(CompanyId::generate()),
            ..Default::default()
        },
        ..Default::default()
    };

    let page = company_contacts(&mut tx, &actor, company.id, filter, &PageRequest::first()).unwrap();

    assert_eq!(
        page.items.iter().map(|c| c.id).collect::<Vec<ContactId>>(),
        [contact.id]
    );
    assert_eq!(page.total, 1);
}
