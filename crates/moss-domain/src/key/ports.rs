//! Storage port for API keys.

use crate::error::Result;
use crate::id::{KeyId, WorkspaceId};
use crate::key::model::{ApiKey, KeySort, StoredKey};
use crate::page::{Page, PageRequest};
use crate::time::Timestamp;

/// API keys.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyRepo {
    /// Stores a new key with the SHA-256 digest of its secret.
    fn insert_key(&mut self, key: &ApiKey, digest: &[u8; 32]) -> Result<()>;
    /// The key whose secret has this digest (revoked and expired ones included), with its
    /// member's role. This is the only lookup not scoped to a workspace: it is how the
    /// workspace is found.
    fn key_by_digest(&mut self, digest: &[u8; 32]) -> Result<Option<StoredKey>>;
    /// The active (not revoked) key with this id in the workspace.
    fn active_key(&mut self, workspace_id: WorkspaceId, id: KeyId) -> Result<Option<ApiKey>>;
    /// A page of the workspace's active keys: not revoked and not expired.
    fn list_keys(&mut self, workspace_id: WorkspaceId, page: &PageRequest<KeySort>) -> Result<Page<ApiKey>>;
    /// Marks the key revoked. Returns `NotFound` when it is not an active key of the workspace.
    fn revoke_key(&mut self, workspace_id: WorkspaceId, id: KeyId, at: Timestamp) -> Result<()>;
    /// Sets `last_used_at` to `at` unless it is already later than `stale_before`.
    fn touch_key(&mut self, id: KeyId, at: Timestamp, stale_before: Timestamp) -> Result<()>;
}
