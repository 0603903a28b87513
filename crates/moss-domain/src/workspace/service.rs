//! Workspace and member use cases.

use crate::actor::{Actor, Permission, Role};
use crate::audit::AuditEvent;
use crate::error::{DomainError, Result};
use crate::id::WorkspaceId;
use crate::key::model::{ApiKey, KeySecret, NewKey};
use crate::page::{Page, PageRequest};
use crate::store::{Change, Tx};
use crate::time::now;
use crate::workspace::model::{Member, MemberSort, NewMember, Workspace};

/// A new workspace with its first owner and that owner's key (shown once).
#[derive(Debug, Clone)]
pub struct CreatedWorkspace {
    /// The workspace.
    pub workspace: Workspace,
    /// Its first owner.
    pub owner: Member,
    /// The owner's key record.
    pub key: ApiKey,
    /// The owner's key, the only time it is shown.
    pub secret: KeySecret,
}

/// Creates a workspace, its first owner and a full-scope key for that owner.
/// `Conflict` when the slug is taken.
pub fn create_workspace(
    tx: &mut dyn Tx,
    name: &str,
    slug: &str,
    owner_email: &str,
) -> Result<Change<CreatedWorkspace>> {
    let at = now();
    let workspace = Workspace::parse_new(name, slug, at);
    // Checked even when the workspace is bad, so every bad field is reported at once.
    let owner_ws = workspace.as_ref().map_or_else(|_| WorkspaceId::generate(), |w| w.id);
    let owner = NewMember {
        email: owner_email.to_owned(),
        name: None,
        role: Role::Owner,
    }
    .into_member(owner_ws, at)
    .map_err(|mut errs| {
        for e in &mut errs {
            if e.field == "email" {
                e.field = "owner_email".into();
            }
        }
        errs
    });
    let (workspace, owner) = match (workspace, owner) {
        (Ok(workspace), Ok(owner)) => (workspace, owner),
        (workspace, owner) => {
            let mut errors = workspace.err().unwrap_or_default();
            errors.extend(owner.err().unwrap_or_default());
            return Err(DomainError::Validation(errors));
        }
    };
    if tx.workspaces().workspace_by_slug(workspace.slug.as_str())?.is_some() {
        return Err(DomainError::Conflict(format!(
            "A workspace with slug {} already exists.",
            workspace.slug.as_str()
        )));
    }
    tx.workspaces().insert_workspace(&workspace)?;
    tx.workspaces().insert_member(&owner)?;
    let (key, secret) = NewKey::parse("Owner key", None, None, at)
        .map_err(DomainError::Validation)?
        .issue(workspace.id, owner.id, at);
    tx.keys().insert_key(&key, &secret.digest())?;
    let mut audit = AuditEvent::new("workspace", "created", workspace.id);
    audit.workspace_id = Some(workspace.id);
    let created = CreatedWorkspace {
        workspace,
        owner,
        key,
        secret,
    };
    Ok(Change::new(created, audit))
}

/// The caller's workspace.
pub fn current_workspace(tx: &mut dyn Tx, actor: &Actor) -> Result<Workspace> {
    actor.authorize(Permission::Read)?;
    tx.workspaces()
        .workspace(actor.workspace_id)?
        .ok_or_else(|| DomainError::NotFound("Workspace not found.".into()))
}

/// Adds a member. `Conflict` when the email is already a member.
pub fn add_member(tx: &mut dyn Tx, actor: &Actor, input: NewMember) -> Result<Change<Member>> {
    actor.authorize(Permission::OwnerWrite)?;
    let member = input.into_member(actor.workspace_id, now())?;
    if tx
        .workspaces()
        .member_by_email(actor.workspace_id, &member.email.normalized())?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "{} is already a member of this workspace.",
            member.email.as_str()
        )));
    }
    tx.workspaces().insert_member(&member)?;
    let audit = AuditEvent::new("member", "created", member.id);
    Ok(Change::new(member, audit))
}

/// A page of the caller's workspace's members.
pub fn list_members(tx: &mut dyn Tx, actor: &Actor, page: &PageRequest<MemberSort>) -> Result<Page<Member>> {
    actor.authorize(Permission::Read)?;
    tx.workspaces().list_members(actor.workspace_id, page)
}

#[cfg(test)]
mod tests;
