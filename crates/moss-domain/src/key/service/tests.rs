//! API key use cases against mocked ports.

use rstest::rstest;

use super::*;
use crate::actor::{Role, Scope};
use crate::id::WorkspaceId;
use crate::key::model::StoredKey;
use crate::testing::{Calls, FakeTx, an_hour_ago, owner, stored_key, stored_member};

/// The stored form of `secret`: `key` with the secret's digest and the member's `role`.
fn stored(secret: &KeySecret, key: ApiKey, role: Role) -> StoredKey {
    StoredKey {
        key,
        digest: secret.digest().to_vec(),
        role,
    }
}

/// Expects exactly one lookup by `secret`'s digest, answering `found`.
fn expect_lookup(tx: &mut FakeTx, secret: &KeySecret, found: Option<StoredKey>) {
    let digest = secret.digest();
    tx.keys
        .expect_key_by_digest()
        .withf(move |d| *d == digest)
        .times(1)
        .returning(move |_| Ok(found.clone()));
}

/// A key used a moment ago, so authenticating it does not update `last_used_at`.
fn recently_used_key() -> ApiKey {
    ApiKey {
        last_used_at: Some(now() - TimeDelta::seconds(5)),
        ..stored_key(WorkspaceId::generate())
    }
}

// ---- authenticate ----

fn flip_last(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == 'a' { 'b' } else { 'a' };
    }
    chars.into_iter().collect()
}

#[rstest]
#[case::bad_checksum(flip_last)]
#[case::wrong_prefix(|s: &str| s.replacen("moss_k_", "moss_x_", 1))]
#[case::truncated(|s: &str| s[..s.len() - 1].to_owned())]
#[case::bearer_prefix(|s: &str| format!("Bearer {s}"))]
#[case::empty(|_: &str| String::new())]
fn a_malformed_key_is_unauthorized_without_any_port_call(#[case] mangle: fn(&str) -> String) {
    let presented = mangle(KeySecret::generate().expose());
    let mut tx = FakeTx::new();

    assert_eq!(authenticate(&mut tx, &presented), Err(DomainError::Unauthorized));
}

#[test]
fn an_unknown_key_is_unauthorized() {
    let secret = KeySecret::generate();
    let mut tx = FakeTx::new();
    expect_lookup(&mut tx, &secret, None);

    assert_eq!(authenticate(&mut tx, secret.expose()), Err(DomainError::Unauthorized));
}

#[rstest]
#[case::revoked(|k: &mut ApiKey| k.revoked_at = Some(an_hour_ago()))]
#[case::revoked_in_the_future_is_still_revoked(|k: &mut ApiKey| k.revoked_at = Some(now() + TimeDelta::hours(1)))]
#[case::expired(|k: &mut ApiKey| k.expires_at = Some(an_hour_ago()))]
#[case::expired_a_moment_ago(|k: &mut ApiKey| k.expires_at = Some(now() - TimeDelta::milliseconds(1)))]
fn a_revoked_or_expired_key_is_unauthorized_and_not_touched(#[case] spoil: fn(&mut ApiKey)) {
    let secret = KeySecret::generate();
    let mut key = stored_key(WorkspaceId::generate());
    spoil(&mut key);
    let mut tx = FakeTx::new();
    expect_lookup(&mut tx, &secret, Some(stored(&secret, key, Role::Owner)));

    assert_eq!(authenticate(&mut tx, secret.expose()), Err(DomainError::Unauthorized));
}

#[test]
fn a_key_whose_stored_digest_differs_is_unauthorized() {
    let secret = KeySecret::generate();
    let other = KeySecret::generate();
    let mut tx = FakeTx::new();
    expect_lookup(&mut tx, &secret, Some(stored(&other, recently_used_key(), Role::Owner)));

    assert_eq!(authenticate(&mut tx, secret.expose()), Err(DomainError::Unauthorized));
}

#[rstest]
#[case::owner_full_without_expiry(Role::Owner, Scope::Full, None)]
#[case::member_read_only_expiring_tomorrow(Role::Member, Scope::ReadOnly, Some(TimeDelta::days(1)))]
fn a_valid_key_is_the_actor_of_its_workspace_member_role_and_scope(
    #[case] role: Role,
    #[case] scope: Scope,
    #[case] expires_in: Option<TimeDelta>,
) {
    let secret = KeySecret::generate();
    let key = ApiKey {
        scope,
        expires_at: expires_in.map(|d| now() + d),
        ..recently_used_key()
    };
    let mut tx = FakeTx::new();
    expect_lookup(&mut tx, &secret, Some(stored(&secret, key.clone(), role)));

    let actor = authenticate(&mut tx, secret.expose()).unwrap();

    let expected = Actor {
        workspace_id: key.workspace_id,
        member_id: Some(key.member_id),
        role,
        key_id: Some(key.id),
        scope,
        kind: ActorKind::ApiKey,
    };
    assert_eq!(actor, expected);
}

#[rstest]
#[case::never_used(None, true)]
#[case::used_two_minutes_ago(Some(TimeDelta::minutes(2)), true)]
#[case::used_61_seconds_ago(Some(TimeDelta::seconds(61)), true)]
#[case::used_50_seconds_ago(Some(TimeDelta::seconds(50)), false)]
#[case::used_just_now(Some(TimeDelta::zero()), false)]
fn last_used_at_is_updated_at_most_once_a_minute(#[case] used_ago: Option<TimeDelta>, #[case] touched: bool) {
    let secret = KeySecret::generate();
    let key = ApiKey {
        last_used_at: used_ago.map(|ago| now() - ago),
        ..stored_key(WorkspaceId::generate())
    };
    let mut tx = FakeTx::new();
    expect_lookup(&mut tx, &secret, Some(stored(&secret, key.clone(), Role::Owner)));
    if touched {
        let id = key.id;
        tx.keys
            .expect_touch_key()
            .withf(move |k, at, stale_before| *k == id && *stale_before == *at - LAST_USED_RESOLUTION)
            .times(1)
            .returning(|_, _, _| Ok(()));
    }

    let actor = authenticate(&mut tx, secret.expose()).unwrap();

    assert_eq!(actor.key_id, Some(key.id));
}

// ---- create ----

#[test]
fn create_issues_a_key_for_the_calling_member_and_stores_only_its_digest() {
    let actor = owner();
    let ws = actor.workspace_id;
    let me = crate::workspace::model::Member {
        id: actor.member_id.unwrap(),
        ..stored_member(ws, Role::Owner)
    };
    let mut tx = FakeTx::new();
    let (my_id, found) = (me.id, me.clone());
    tx.workspaces
        .expect_member()
        .withf(move |w, m| *w == ws && *m == my_id)
        .times(1)
        .returning(move |_, _| Ok(Some(found.clone())));
    let inserted = Calls::new();
    let sink = inserted.clone();
    tx.keys.expect_insert_key().times(1).returning(move |k, digest| {
        sink.push((k.clone(), *digest));
        Ok(())
    });
    let input = NewKey {
        name: "CI".into(),
        scope: Scope::ReadOnly,
        expires_at: None,
    };

    let change = create_key(&mut tx, &actor, input, None).unwrap();

    let CreatedKey { key, secret } = change.value;
    assert_eq!(inserted.all(), vec![(key.clone(), secret.digest())]);
    assert_eq!(
        (key.workspace_id, key.member_id, key.scope),
        (ws, me.id, Scope::ReadOnly)
    );
    assert_eq!(key.prefix, secret.prefix());
    assert_eq!(KeySecret::parse(secret.expose()), Some(secret.clone()));
    assert_eq!(change.events[0].event_type(), "api_key.created");
    assert_eq!(change.events[0].target_id, key.id.to_string());
    assert!(
        change.events[0].metadata.is_empty(),
        "the audit entry must not carry the secret"
    );
}

#[test]
fn create_for_a_member_outside_the_workspace_is_not_found_and_stores_nothing() {
    let actor = owner();
    let mut tx = FakeTx::new();
    tx.workspaces.expect_member().times(1).returning(|_, _| Ok(None));
    let input = NewKey {
        name: "CI".into(),
        scope: Scope::Full,
        expires_at: None,
    };

    let err = create_key(&mut tx, &actor, input, Some(crate::id::MemberId::generate())).unwrap_err();

    assert_eq!(err, DomainError::NotFound("Member not found.".into()));
}

#[test]
fn create_from_the_command_line_defaults_to_the_first_owner() {
    let ws = WorkspaceId::generate();
    let first = stored_member(ws, Role::Owner);
    let mut tx = FakeTx::new();
    let found = first.clone();
    tx.workspaces
        .expect_first_owner()
        .withf(move |w| *w == ws)
        .times(1)
        .returning(move |_| Ok(Some(found.clone())));
    tx.keys.expect_insert_key().times(1).returning(|_, _| Ok(()));
    let input = NewKey {
        name: "CLI".into(),
        scope: Scope::Full,
        expires_at: None,
    };

    let change = create_key(&mut tx, &Actor::system(ws), input, None).unwrap();

    assert_eq!(change.value.key.member_id, first.id);
}

// ---- list ----

#[test]
fn list_reads_the_callers_workspace() {
    let actor = owner();
    let ws = actor.workspace_id;
    let key = stored_key(ws);
    let mut tx = FakeTx::new();
    let listed = key.clone();
    tx.keys
        .expect_list_keys()
        .withf(move |w, _| *w == ws)
        .times(1)
        .returning(move |_, _| {
            Ok(Page {
                items: vec![listed.clone()],
                total: 1,
            })
        });

    let page = list_keys(&mut tx, &actor, &PageRequest::first()).unwrap();

    assert_eq!(
        page,
        Page {
            items: vec![key],
            total: 1
        }
    );
}

// ---- revoke ----

#[test]
fn revoking_a_key_that_is_not_active_is_not_found_and_revokes_nothing() {
    let actor = owner();
    let ws = actor.workspace_id;
    let id = KeyId::generate();
    let mut tx = FakeTx::new();
    tx.keys
        .expect_active_key()
        .withf(move |w, k| *w == ws && *k == id)
        .times(1)
        .returning(|_, _| Ok(None));

    let err = revoke_key(&mut tx, &actor, id).unwrap_err();

    assert_eq!(err, DomainError::NotFound("API key not found.".into()));
}

#[test]
fn revoking_an_active_key_revokes_it_once_and_audits_api_key_revoked() {
    let actor = owner();
    let ws = actor.workspace_id;
    let key = stored_key(ws);
    let id = key.id;
    let mut tx = FakeTx::new();
    tx.keys
        .expect_active_key()
        .withf(move |w, k| *w == ws && *k == id)
        .times(1)
        .returning(move |_, _| Ok(Some(key.clone())));
    tx.keys
        .expect_revoke_key()
        .withf(move |w, k, _| *w == ws && *k == id)
        .times(1)
        .returning(|_, _, _| Ok(()));

    let change = revoke_key(&mut tx, &actor, id).unwrap();

    assert_eq!(change.events[0].event_type(), "api_key.revoked");
    assert_eq!(change.events[0].target_id, id.to_string());
}

// ---- is_active ----

#[rstest]
#[case::active(None, None, true)]
#[case::expires_later(None, Some(TimeDelta::hours(1)), true)]
#[case::expired(None, Some(-TimeDelta::hours(1)), false)]
#[case::revoked(Some(-TimeDelta::hours(1)), None, false)]
fn is_active_follows_revocation_and_expiry(
    #[case] revoked: Option<TimeDelta>,
    #[case] expires: Option<TimeDelta>,
    #[case] active: bool,
) {
    let at = now();
    let key = ApiKey {
        revoked_at: revoked.map(|d| at + d),
        expires_at: expires.map(|d| at + d),
        ..stored_key(WorkspaceId::generate())
    };
    assert_eq!(is_active(&key, at), active);
}
