//! Workspace and member use cases against mocked ports.

use rstest::rstest;

use super::*;
use crate::actor::Scope;
use crate::testing::{Calls, FakeTx, owner, stored_member};
use crate::workspace::model::Slug;

// ---- create_workspace ----

#[rstest]
#[case::blank_name(" ", "acme", "owner@acme.com", &["name"])]
#[case::uppercase_slug("Acme", "Acme", "owner@acme.com", &["slug"])]
#[case::slug_with_space("Acme", "acme corp", "owner@acme.com", &["slug"])]
#[case::bad_owner_email("Acme", "acme", "nope", &["owner_email"])]
#[case::everything_bad_at_once("", "", "nope", &["name", "slug", "owner_email"])]
fn create_workspace_reports_bad_input_before_any_port_call(
    #[case] name: &str,
    #[case] slug: &str,
    #[case] email: &str,
    #[case] fields: &[&str],
) {
    let mut tx = FakeTx::new();

    let err = create_workspace(&mut tx, name, slug, email).unwrap_err();

    let DomainError::Validation(errors) = err else {
        panic!("expected Validation, got {err:?}")
    };
    assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), fields);
}

#[test]
fn create_workspace_with_a_taken_slug_is_a_conflict_and_inserts_nothing() {
    let mut tx = FakeTx::new();
    tx.workspaces
        .expect_workspace_by_slug()
        .withf(|s| s == "acme")
        .times(1)
        .returning(|_| {
            let at = crate::time::now();
            Ok(Some(Workspace {
                id: crate::id::WorkspaceId::generate(),
                name: "Other".into(),
                slug: Slug::from_stored("acme".into()),
                created_at: at,
                updated_at: at,
            }))
        });

    let err = create_workspace(&mut tx, "Acme", "acme", "owner@acme.com").unwrap_err();

    let DomainError::Conflict(message) = err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains("acme"), "{message}");
}

#[test]
fn create_workspace_inserts_the_workspace_its_owner_and_the_owners_key() {
    let mut tx = FakeTx::new();
    tx.workspaces
        .expect_workspace_by_slug()
        .withf(|s| s == "acme")
        .times(1)
        .returning(|_| Ok(None));
    let workspaces = Calls::new();
    let sink = workspaces.clone();
    tx.workspaces.expect_insert_workspace().times(1).returning(move |w| {
        sink.push(w.clone());
        Ok(())
    });
    let members = Calls::new();
    let sink = members.clone();
    tx.workspaces.expect_insert_member().times(1).returning(move |m| {
        sink.push(m.clone());
        Ok(())
    });
    let keys = Calls::new();
    let sink = keys.clone();
    tx.keys.expect_insert_key().times(1).returning(move |k, digest| {
        sink.push((k.clone(), *digest));
        Ok(())
    });

    let change = create_workspace(&mut tx, " Acme Inc ", "acme", "Owner@Acme.com").unwrap();

    let CreatedWorkspace {
        workspace,
        owner,
        key,
        secret,
    } = change.value;
    assert_eq!(workspaces.all(), vec![workspace.clone()]);
    assert_eq!((workspace.name.as_str(), workspace.slug.as_str()), ("Acme Inc", "acme"));
    assert_eq!(members.all(), vec![owner.clone()]);
    assert_eq!(owner.workspace_id, workspace.id);
    assert_eq!(owner.role, Role::Owner);
    assert_eq!(owner.email.as_str(), "Owner@Acme.com");
    assert_eq!(keys.all(), vec![(key.clone(), secret.digest())]);
    assert_eq!(
        (key.workspace_id, key.member_id, key.scope),
        (workspace.id, owner.id, Scope::Full)
    );
    assert_eq!(key.prefix, secret.prefix());
    assert_eq!(change.events[0].event_type(), "workspace.created");
    assert_eq!(change.events[0].target_id, workspace.id.to_string());
    assert!(
        change.events[0].metadata.is_empty(),
        "the audit entry must not carry the secret"
    );
}

// ---- add_member ----

#[test]
fn add_member_with_a_taken_email_is_a_conflict_and_inserts_nothing() {
    let actor = owner();
    let ws = actor.workspace_id;
    let existing = stored_member(ws, Role::Member);
    let mut tx = FakeTx::new();
    tx.workspaces
        .expect_member_by_email()
        .withf(move |w, e| *w == ws && e == "grace@example.com")
        .times(1)
        .returning(move |_, _| Ok(Some(existing.clone())));
    let input = NewMember {
        email: "Grace@Example.com".into(),
        name: None,
        role: Role::Member,
    };

    let err = add_member(&mut tx, &actor, input).unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[test]
fn add_member_with_a_bad_email_is_a_validation_error_before_any_port_call() {
    let mut tx = FakeTx::new();
    let input = NewMember {
        email: "nope".into(),
        name: None,
        role: Role::Member,
    };

    let err = add_member(&mut tx, &owner(), input).unwrap_err();

    assert_eq!(err, DomainError::field("email", "must be a valid email address"));
}

#[test]
fn add_member_inserts_once_and_audits_member_created() {
    let actor = owner();
    let ws = actor.workspace_id;
    let mut tx = FakeTx::new();
    tx.workspaces
        .expect_member_by_email()
        .times(1)
        .returning(|_, _| Ok(None));
    let inserted = Calls::new();
    let sink = inserted.clone();
    tx.workspaces.expect_insert_member().times(1).returning(move |m| {
        sink.push(m.clone());
        Ok(())
    });
    let input = NewMember {
        email: "grace@example.com".into(),
        name: Some("Grace".into()),
        role: Role::Member,
    };

    let change = add_member(&mut tx, &actor, input).unwrap();

    assert_eq!(inserted.all(), vec![change.value.clone()]);
    assert_eq!((change.value.workspace_id, change.value.role), (ws, Role::Member));
    assert_eq!(change.events[0].event_type(), "member.created");
    assert_eq!(change.events[0].target_id, change.value.id.to_string());
}
