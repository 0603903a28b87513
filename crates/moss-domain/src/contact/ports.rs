//! Storage port for contacts.

use crate::contact::model::{Contact, ContactFilter, ContactSort};
use crate::error::Result;
use crate::id::{ContactId, WorkspaceId};
use crate::page::{Page, PageRequest};

/// Contacts. Tags are stored with the record (their spellings already canonical).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ContactRepo {
    /// Stores a new contact. Returns `Conflict` when its email is taken in the workspace.
    fn insert_contact(&mut self, contact: &Contact) -> Result<()>;
    /// Replaces a stored contact's fields and tags. Returns `NotFound` when it is gone and
    /// `Conflict` when the new email is taken.
    fn update_contact(&mut self, contact: &Contact) -> Result<()>;
    /// Deletes a contact; `false` when it is not in the workspace.
    fn delete_contact(&mut self, workspace_id: WorkspaceId, id: ContactId) -> Result<bool>;
    /// The contact with this id in the workspace, if any.
    fn contact(&mut self, workspace_id: WorkspaceId, id: ContactId) -> Result<Option<Contact>>;
    /// The id of the contact with this email (lower-cased) in the workspace, if any.
    fn contact_id_by_email(&mut self, workspace_id: WorkspaceId, email_lower: &str) -> Result<Option<ContactId>>;
    /// A page of the workspace's contacts matching `filter`, with the exact total.
    fn list_contacts(
        &mut self,
        workspace_id: WorkspaceId,
        filter: &ContactFilter,
        page: &PageRequest<ContactSort>,
    ) -> Result<Page<Contact>>;
}
