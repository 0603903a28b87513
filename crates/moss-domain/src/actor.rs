//! Who is calling: the workspace, member, key and scope every use case runs under.

use crate::error::{DomainError, Result};
use crate::id::{KeyId, MemberId, WorkspaceId};

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Reads and writes.
    Full,
    /// Reads only; every mutation is refused.
    ReadOnly,
}

impl Scope {
    /// The wire name (`full`, `read_only`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::ReadOnly => "read_only",
        }
    }
    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "full" => Some(Self::Full),
            "read_only" => Some(Self::ReadOnly),
            _ => None,
        }
    }
}

/// A member's role in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages keys, members and the audit log as well as the data.
    Owner,
    /// Works with the CRM data only.
    Member,
}

impl Role {
    /// The wire name (`owner`, `member`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }
    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// The kind of actor, as recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A call made with an API key.
    ApiKey,
    /// The `moss` command line or first-start bootstrap.
    System,
}

impl ActorKind {
    /// The audit-log name (`api_key`, `system`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::System => "system",
        }
    }
}

/// What a use case needs the actor to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read CRM data.
    Read,
    /// Create, change or delete CRM data.
    Write,
    /// Read owner-only data (keys, audit log).
    OwnerRead,
    /// Change owner-only data (keys).
    OwnerWrite,
}

impl Permission {
    /// True for the permissions that change data.
    pub fn is_write(self) -> bool {
        matches!(self, Self::Write | Self::OwnerWrite)
    }
    /// True for the owner-only permissions.
    pub fn is_owner_only(self) -> bool {
        matches!(self, Self::OwnerRead | Self::OwnerWrite)
    }
}

/// The caller of a use case. Every port call is made in `workspace_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The workspace every read and write is confined to.
    pub workspace_id: WorkspaceId,
    /// The member acting (the key's member, or the first owner for the CLI).
    pub member_id: Option<MemberId>,
    /// The member's role.
    pub role: Role,
    /// The API key used, if any.
    pub key_id: Option<KeyId>,
    /// The key's scope.
    pub scope: Scope,
    /// Who this is, for the audit log.
    pub kind: ActorKind,
}

impl Actor {
    /// The actor of the `moss` command line: an owner with full scope, audited as `system`.
    pub fn system(workspace_id: WorkspaceId) -> Self {
        Self {
            workspace_id,
            member_id: None,
            role: Role::Owner,
            key_id: None,
            scope: Scope::Full,
            kind: ActorKind::System,
        }
    }

    /// Refuses with `Forbidden` unless the actor has `permission`.
    /// Scope is checked first: a read_only key is refused every mutation, whatever its role.
    pub fn authorize(&self, permission: Permission) -> Result<()> {
        if permission.is_write() && self.scope == Scope::ReadOnly {
            return Err(DomainError::Forbidden("This API key is read-only.".into()));
        }
        if permission.is_owner_only() && self.role != Role::Owner {
            return Err(DomainError::Forbidden("Only a workspace owner may do this.".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor {
            workspace_id: WorkspaceId::generate(),
            member_id: Some(MemberId::generate()),
            role,
            key_id: Some(KeyId::generate()),
            scope,
            kind: ActorKind::ApiKey,
        }
    }

    #[rstest]
    #[case(Role::Owner, Scope::Full, Permission::Read, true)]
    #[case(Role::Owner, Scope::Full, Permission::Write, true)]
    #[case(Role::Owner, Scope::Full, Permission::OwnerRead, true)]
    #[case(Role::Owner, Scope::Full, Permission::OwnerWrite, true)]
    #[case(Role::Owner, Scope::ReadOnly, Permission::Read, true)]
    #[case(Role::Owner, Scope::ReadOnly, Permission::Write, false)]
    #[case(Role::Owner, Scope::ReadOnly, Permission::OwnerRead, true)]
    #[case(Role::Owner, Scope::ReadOnly, Permission::OwnerWrite, false)]
    #[case(Role::Member, Scope::Full, Permission::Read, true)]
    #[case(Role::Member, Scope::Full, Permission::Write, true)]
    #[case(Role::Member, Scope::Full, Permission::OwnerRead, false)]
    #[case(Role::Member, Scope::Full, Permission::OwnerWrite, false)]
    #[case(Role::Member, Scope::ReadOnly, Permission::Read, true)]
    #[case(Role::Member, Scope::ReadOnly, Permission::Write, false)]
    #[case(Role::Member, Scope::ReadOnly, Permission::OwnerRead, false)]
    fn permissions_follow_scope_then_role(
        #[case] role: Role,
        #[case] scope: Scope,
        #[case] permission: Permission,
        #[case] allowed: bool,
    ) {
        let result = actor(role, scope).authorize(permission);
        assert_eq!(result.is_ok(), allowed, "{result:?}");
        if let Err(e) = result {
            assert!(matches!(e, DomainError::Forbidden(_)));
        }
    }
}
