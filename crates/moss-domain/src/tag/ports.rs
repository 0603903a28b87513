//! Storage port for tags.

use crate::error::Result;
use crate::id::WorkspaceId;
use crate::page::{Page, PageRequest, SortField};
use crate::text::TagName;
use crate::time::Timestamp;

/// A tag and how many records carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    /// The spelling first written in the workspace.
    pub name: String,
    /// Records carrying it.
    pub count: u64,
}

/// Sort fields of the tags list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSort {
    /// Records carrying the tag (default).
    Count,
    /// Name, case-insensitively.
    Name,
}

impl SortField for TagSort {
    const ALL: &'static [(&'static str, Self)] = &[("count", Self::Count), ("name", Self::Name)];
    const DEFAULT: Self = Self::Count;
}

/// The record type a tag count is limited to (`GET /tags?type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagType {
    /// Contacts only.
    Contacts,
    /// Companies only.
    Companies,
    /// Deals only.
    Deals,
}

impl TagType {
    /// Every type, as the API names them.
    pub const ALL: [(&'static str, Self); 3] = [
        ("contacts", Self::Contacts),
        ("companies", Self::Companies),
        ("deals", Self::Deals),
    ];

    /// Parses `contacts`, `companies` or `deals`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, crate::error::FieldError> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == raw)
            .map(|(_, t)| *t)
            .ok_or_else(|| crate::error::FieldError::new(field, "must be one of: contacts, companies, deals"))
    }

    /// The TypeID prefix of its records' ids.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Self::Contacts => crate::id::ContactId::PREFIX,
            Self::Companies => crate::id::CompanyId::PREFIX,
            Self::Deals => crate::id::DealId::PREFIX,
        }
    }
}

/// Tags of a workspace.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TagRepo {
    /// Makes sure each tag exists in the workspace and returns the stored spelling of each
    /// (the first one written), in the order given.
    fn ensure_tags(&mut self, workspace_id: WorkspaceId, tags: &[TagName], at: Timestamp) -> Result<Vec<TagName>>;
    /// A page of the workspace's tags that at least one record (of `kind`, when given) carries,
    /// with counts.
    fn list_tags(
        &mut self,
        workspace_id: WorkspaceId,
        kind: Option<TagType>,
        page: &PageRequest<TagSort>,
    ) -> Result<Page<TagCount>>;
}
