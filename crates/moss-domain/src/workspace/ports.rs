//! Storage port for workspaces and members.

use crate::error::Result;
use crate::id::{MemberId, WorkspaceId};
use crate::page::{Page, PageRequest};
use crate::workspace::model::{Member, MemberSort, Workspace};

/// Workspaces and members.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WorkspaceRepo {
    /// Number of workspaces in the database.
    fn count_workspaces(&mut self) -> Result<u64>;
    /// Stores a new workspace. Returns `Conflict` when the slug is taken.
    fn insert_workspace(&mut self, workspace: &Workspace) -> Result<()>;
    /// The workspace with this id, if any.
    fn workspace(&mut self, id: WorkspaceId) -> Result<Option<Workspace>>;
    /// The workspace with this slug, if any.
    fn workspace_by_slug(&mut self, slug: &str) -> Result<Option<Workspace>>;
    /// Stores a new member. Returns `Conflict` when the email is taken in the workspace.
    fn insert_member(&mut self, member: &Member) -> Result<()>;
    /// The member with this id in the workspace, if any.
    fn member(&mut self, workspace_id: WorkspaceId, id: MemberId) -> Result<Option<Member>>;
    /// The member with this email (compared lower-cased) in the workspace, if any.
    fn member_by_email(&mut self, workspace_id: WorkspaceId, email_lower: &str) -> Result<Option<Member>>;
    /// The earliest owner of the workspace.
    fn first_owner(&mut self, workspace_id: WorkspaceId) -> Result<Option<Member>>;
    /// A page of the workspace's members.
    fn list_members(&mut self, workspace_id: WorkspaceId, page: &PageRequest<MemberSort>) -> Result<Page<Member>>;
}
