//! API key use cases: authenticate, create, list, revoke.

use chrono::TimeDelta;

use crate::actor::{Actor, ActorKind, Permission};
use crate::audit::AuditEvent;
use crate::error::{DomainError, Result};
use crate::id::{KeyId, MemberId};
use crate::key::model::{ApiKey, KeySecret, KeySort, NewKey};
use crate::page::{Page, PageRequest};
use crate::store::{Change, Tx};
use crate::time::{Timestamp, now};

/// How stale `last_used_at` may get before a request updates it.
pub const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::minutes(1);

/// Finds the actor behind a presented key. Every failure is the same `Unauthorized`.
/// A malformed key (bad prefix or checksum) is refused before any port is called.
pub fn authenticate(tx: &mut dyn Tx, presented: &str) -> Result<Actor> {
    let secret = KeySecret::parse(presented).ok_or(DomainError::Unauthorized)?;
    let stored = tx
        .keys()
        .key_by_digest(&secret.digest())?
        .ok_or(DomainError::Unauthorized)?;
    let at = now();
    if !secret.matches(&stored.digest) || !is_active(&stored.key, at) {
        return Err(DomainError::Unauthorized);
    }
    let key = stored.key;
    if key.last_used_at.is_none_or(|t| t <= at - LAST_USED_RESOLUTION) {
        tx.keys().touch_key(key.id, at, at - LAST_USED_RESOLUTION)?;
    }
    Ok(Actor {
        workspace_id: key.workspace_id,
        member_id: Some(key.member_id),
        role: stored.role,
        key_id: Some(key.id),
        scope: key.scope,
        kind: ActorKind::ApiKey,
    })
}

/// A created key and its secret, shown once.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The record.
    pub key: ApiKey,
    /// The full value.
    pub secret: KeySecret,
}

/// Creates a key for `member` (default: the calling member, or the first owner for the CLI).
pub fn create_key(
    tx: &mut dyn Tx,
    actor: &Actor,
    input: NewKey,
    member: Option<MemberId>,
) -> Result<Change<CreatedKey>> {
    actor.authorize(Permission::OwnerWrite)?;
    let member_id = match member.or(actor.member_id) {
        Some(id) => tx.workspaces().member(actor.workspace_id, id)?.map(|m| m.id),
        None => tx.workspaces().first_owner(actor.workspace_id)?.map(|m| m.id),
    }
    .ok_or_else(|| DomainError::NotFound("Member not found.".into()))?;
    let (key, secret) = input.issue(actor.workspace_id, member_id, now());
    tx.keys().insert_key(&key, &secret.digest())?;
    let audit = AuditEvent::new("api_key", "created", key.id);
    Ok(Change::new(CreatedKey { key, secret }, audit))
}

/// A page of the workspace's active keys.
pub fn list_keys(tx: &mut dyn Tx, actor: &Actor, page: &PageRequest<KeySort>) -> Result<Page<ApiKey>> {
    actor.authorize(Permission::OwnerRead)?;
    tx.keys().list_keys(actor.workspace_id, page)
}

/// Revokes a key; from then on it gets 401. Revoking the calling key is allowed.
pub fn revoke_key(tx: &mut dyn Tx, actor: &Actor, id: KeyId) -> Result<Change<()>> {
    actor.authorize(Permission::OwnerWrite)?;
    if tx.keys().active_key(actor.workspace_id, id)?.is_none() {
        return Err(DomainError::NotFound("API key not found.".into()));
    }
    tx.keys().revoke_key(actor.workspace_id, id, now())?;
    Ok(Change::new((), AuditEvent::new("api_key", "revoked", id)))
}

/// Whether a stored key would still authenticate at `at`.
pub fn is_active(key: &ApiKey, at: Timestamp) -> bool {
    key.revoked_at.is_none() && key.expires_at.is_none_or(|e| e > at)
}

#[cfg(test)]
mod tests;
