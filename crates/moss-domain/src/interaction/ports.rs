//! What the engagement records (interactions; commitments and follow-ups next) need beyond the
//! record machinery: the cascades of a contact's or a deal's delete.

use crate::error::Result;
use crate::id::{ContactId, DealId, WorkspaceId};
use crate::time::Timestamp;

/// Engagement records of a contact or a deal, in bulk.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EngagementRepo {
    /// Deletes the interactions of a contact (it is being deleted), with their search text;
    /// returns their ids, oldest first.
    fn delete_contact_interactions(&mut self, workspace_id: WorkspaceId, contact: ContactId) -> Result<Vec<String>>;
    /// Clears `deal_id` on the interactions of a deal (it is being deleted), moving their
    /// `updated_at` to `at`; returns their ids, oldest first.
    fn clear_deal(&mut self, workspace_id: WorkspaceId, deal: DealId, at: Timestamp) -> Result<Vec<String>>;
}
