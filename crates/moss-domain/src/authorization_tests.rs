//! Scope and role are checked before anything is read or written: every use case below runs
//! on a [`FakeTx`] without expectations, so a single port call fails the test.

use rstest::rstest;

use crate::actor::{Actor, Role, Scope};
use crate::company::model::{Company, CompanyChanges};
use crate::contact::model::{Contact, ContactChanges};
use crate::error::{DomainError, Result};
use crate::id::{CompanyId, ContactId, KeyId};
use crate::key::model::NewKey;
use crate::key::service as key;
use crate::page::PageRequest;
use crate::record::{Extras, ExtrasPatch, service as record};
use crate::store::Tx;
use crate::testing::{FakeTx, actor, member, new_company, new_contact};
use crate::workspace::model::NewMember;
use crate::workspace::service as workspace;

type Op = fn(&mut dyn Tx, &Actor) -> Result<()>;

fn create_contact(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    record::create::<Contact>(tx, a, new_contact(), Extras::default()).map(drop)
}

fn update_contact(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    let changes = ContactChanges {
        first_name: Some("Grace".into()),
        ..Default::default()
    };
    record::update::<Contact>(tx, a, ContactId::generate(), changes, ExtrasPatch::default()).map(drop)
}

fn delete_contact(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    record::delete::<Contact>(tx, a, ContactId::generate()).map(drop)
}

fn create_company(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    record::create::<Company>(tx, a, new_company(), Extras::default()).map(drop)
}

fn update_company(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    let changes = CompanyChanges {
        name: Some("Initech".into()),
        ..Default::default()
    };
    record::update::<Company>(tx, a, CompanyId::generate(), changes, ExtrasPatch::default()).map(drop)
}

fn delete_company(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    record::delete::<Company>(tx, a, CompanyId::generate()).map(drop)
}

fn create_key(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    let input = NewKey {
        name: "CI".into(),
        scope: Scope::Full,
        expires_at: None,
    };
    key::create_key(tx, a, input, None).map(drop)
}

fn revoke_key(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    key::revoke_key(tx, a, KeyId::generate()).map(drop)
}

fn list_keys(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    key::list_keys(tx, a, &PageRequest::first()).map(drop)
}

fn add_member(tx: &mut dyn Tx, a: &Actor) -> Result<()> {
    let input = NewMember {
        email: "grace@example.com".into(),
        name: None,
        role: Role::Member,
    };
    workspace::add_member(tx, a, input).map(drop)
}

#[rstest]
#[case::create_contact(create_contact)]
#[case::update_contact(update_contact)]
#[case::delete_contact(delete_contact)]
#[case::create_company(create_company)]
#[case::update_company(update_company)]
#[case::delete_company(delete_company)]
#[case::create_key(create_key)]
#[case::revoke_key(revoke_key)]
#[case::add_member(add_member)]
fn read_only_keys_are_refused_every_mutation_before_any_port_call(
    #[case] op: Op,
    #[values(Role::Owner, Role::Member)] role: Role,
) {
    let mut tx = FakeTx::new();
    let result = op(&mut tx, &actor(role, Scope::ReadOnly));
    assert_eq!(result, Err(DomainError::Forbidden("This API key is read-only.".into())));
}

#[rstest]
#[case::create_key(create_key)]
#[case::revoke_key(revoke_key)]
#[case::list_keys(list_keys)]
#[case::add_member(add_member)]
fn members_are_refused_owner_only_use_cases_before_any_port_call(#[case] op: Op) {
    let mut tx = FakeTx::new();
    let result = op(&mut tx, &member());
    assert_eq!(
        result,
        Err(DomainError::Forbidden("Only a workspace owner may do this.".into()))
    );
}
