//! Workspace and member entities.

use crate::actor::Role;
use crate::error::{Errors, FieldError};
use crate::id::{MemberId, WorkspaceId};
use crate::page::SortField;
use crate::text::{EmailAddress, MAX_NAME, optional_text, required_text};
use crate::time::Timestamp;

/// A workspace slug: 1-63 lowercase letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = (1..=63).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be 1 to 63 lowercase letters, digits or hyphens",
            ))
        }
    }
    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Wraps a stored slug without checking it.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// A workspace: holds all CRM data, its members and its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// `ws_` id.
    pub id: WorkspaceId,
    /// Display name.
    pub name: String,
    /// Unique slug.
    pub slug: Slug,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl Workspace {
    /// Checks a new workspace's name and slug.
    pub fn parse_new(name: &str, slug: &str, now: Timestamp) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::new();
        let name = errors.check(required_text("name", Some(name.to_owned()), MAX_NAME));
        let slug = errors.check(Slug::parse("slug", slug));
        errors.finish()?;
        match (name, slug) {
            (Some(name), Some(slug)) => Ok(Self {
                id: WorkspaceId::generate(),
                name,
                slug,
                created_at: now,
                updated_at: now,
            }),
            _ => Err(vec![FieldError::new("name", "is required")]),
        }
    }
}

/// A member of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// `usr_` id.
    pub id: MemberId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Email, unique per workspace (case-insensitively).
    pub email: EmailAddress,
    /// Display name.
    pub name: Option<String>,
    /// Owner or member.
    pub role: Role,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Input for a new member.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Email address.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Role.
    pub role: Role,
}

impl NewMember {
    /// Checks the input and makes the member.
    pub fn into_member(self, workspace_id: WorkspaceId, now: Timestamp) -> Result<Member, Vec<FieldError>> {
        let mut errors = Errors::new();
        let email = errors.check(EmailAddress::parse("email", &self.email));
        let name = errors.check(optional_text("name", self.name, MAX_NAME));
        errors.finish()?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(vec![FieldError::new("email", "is required")]);
        };
        Ok(Member {
            id: MemberId::generate(),
            workspace_id,
            email,
            name,
            role: self.role,
            created_at: now,
            updated_at: now,
        })
    }
}

/// Sort fields of the members list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSort {
    /// Joined.
    CreatedAt,
    /// Email, case-insensitively.
    Email,
    /// Name, case-insensitively.
    Name,
}

impl SortField for MemberSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("email", Self::Email),
        ("name", Self::Name),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

/// Sort fields of the workspaces list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceSort {
    /// Created.
    CreatedAt,
    /// Name.
    Name,
}

impl SortField for WorkspaceSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt), ("name", Self::Name)];
    const DEFAULT: Self = Self::CreatedAt;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("default", true)]
    #[case("acme-2", true)]
    #[case("a", true)]
    #[case("", false)]
    #[case("Acme", false)]
    #[case("acme_corp", false)]
    #[case("acme corp", false)]
    #[case("é", false)]
    fn slug_form(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(Slug::parse("slug", raw).is_ok(), ok);
    }

    #[test]
    fn slug_length_is_at_most_63() {
        assert!(Slug::parse("slug", &"a".repeat(63)).is_ok());
        assert!(Slug::parse("slug", &"a".repeat(64)).is_err());
    }

    #[test]
    fn new_workspace_reports_name_and_slug_at_once() {
        let err = Workspace::parse_new(" ", "BAD", crate::time::now()).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "slug"]);
    }
}
