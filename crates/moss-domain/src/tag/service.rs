//! Tag use cases.

use crate::actor::{Actor, Permission};
use crate::error::Result;
use crate::id::WorkspaceId;
use crate::page::{Page, PageRequest};
use crate::store::Tx;
use crate::tag::ports::{TagCount, TagSort, TagType};
use crate::text::{TagName, sort_tags};
use crate::time::Timestamp;

/// The workspace's spelling of each tag, sorted case-insensitively as records present them.
pub fn canonical_tags(tx: &mut dyn Tx, ws: WorkspaceId, tags: &[TagName], at: Timestamp) -> Result<Vec<TagName>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let mut stored = tx.tags().ensure_tags(ws, tags, at)?;
    sort_tags(&mut stored);
    Ok(stored)
}

/// A page of the caller's tags with counts (of every record type, or of `kind`).
pub fn list_tags(
    tx: &mut dyn Tx,
    actor: &Actor,
    kind: Option<TagType>,
    page: &PageRequest<TagSort>,
) -> Result<Page<TagCount>> {
    actor.authorize(Permission::Read)?;
    tx.tags().list_tags(actor.workspace_id, kind, page)
}
