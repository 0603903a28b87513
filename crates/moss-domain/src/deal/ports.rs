//! Storage of what deals have beyond the record machinery: stage history, contact links, the
//! pipeline, and clearing a company's references.

use crate::contact::model::Contact;
use crate::deal::model::{Currency, Stage};
use crate::error::Result;
use crate::id::{CompanyId, ContactId, DealId, WorkspaceId};
use crate::page::{Page, PageRequest, SortField};
use crate::time::Timestamp;

/// A stretch of time a deal spent in one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpan {
    /// The stage.
    pub stage: Stage,
    /// When the deal entered it.
    pub entered_at: Timestamp,
    /// When it left; `None` for the current stage.
    pub left_at: Option<Timestamp>,
}

/// Sort of the stage history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageSort {
    /// entered_at (the only one).
    EnteredAt,
}

impl SortField for StageSort {
    const ALL: &'static [(&'static str, Self)] = &[("entered_at", Self::EnteredAt)];
    const DEFAULT: Self = Self::EnteredAt;
}

/// A contact linked to a deal.
#[derive(Debug, Clone, PartialEq)]
pub struct DealContact {
    /// The deal.
    pub deal_id: DealId,
    /// The contact.
    pub contact_id: ContactId,
    /// Free text, up to 100 characters.
    pub role: Option<String>,
    /// When it was linked.
    pub created_at: Timestamp,
    /// The contact record.
    pub contact: Contact,
}

/// Sort of a deal's contact links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSort {
    /// created_at (the only one).
    CreatedAt,
}

impl SortField for LinkSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt)];
    const DEFAULT: Self = Self::CreatedAt;
}

/// The records whose `company_id` a company's delete cleared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cleared {
    /// Contacts (ids).
    pub contacts: Vec<String>,
    /// Deals (ids).
    pub deals: Vec<String>,
}

/// The filters of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PipelineFilter {
    /// Only deals of this company.
    pub company_id: Option<CompanyId>,
    /// Only deals carrying this tag (folded).
    pub tag: Option<String>,
    /// `expected_close <=`.
    pub expected_close_before: Option<chrono::NaiveDate>,
    /// `expected_close >=`.
    pub expected_close_after: Option<chrono::NaiveDate>,
}

/// One group of the pipeline, as the database sums it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRow {
    /// Stage.
    pub stage: Stage,
    /// Currency.
    pub currency: Currency,
    /// Deals in the group (null values included).
    pub count: u64,
    /// Sum of the known values, exact.
    pub value: i128,
}

/// Deals beyond their record.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait DealRepo {
    /// Which of `ids` are deals of the workspace.
    fn existing(&mut self, workspace_id: WorkspaceId, ids: &[DealId]) -> Result<Vec<DealId>>;
    /// Closes the deal's open stage span at `at` and opens one for `stage` from `at`.
    fn enter_stage(&mut self, workspace_id: WorkspaceId, deal: DealId, stage: Stage, at: Timestamp) -> Result<()>;
    /// A page of the deal's stage history.
    fn stage_history(
        &mut self,
        workspace_id: WorkspaceId,
        deal: DealId,
        page: &PageRequest<StageSort>,
    ) -> Result<Page<StageSpan>>;
    /// Links a contact; `false` (and nothing written) when it is linked already.
    fn link_contact(
        &mut self,
        workspace_id: WorkspaceId,
        deal: DealId,
        contact: ContactId,
        role: Option<String>,
        at: Timestamp,
    ) -> Result<bool>;
    /// Unlinks a contact; `false` when it was not linked.
    fn unlink_contact(&mut self, workspace_id: WorkspaceId, deal: DealId, contact: ContactId) -> Result<bool>;
    /// A page of the deal's links, each with its contact.
    fn contact_links(
        &mut self,
        workspace_id: WorkspaceId,
        deal: DealId,
        page: &PageRequest<LinkSort>,
    ) -> Result<Page<DealContact>>;
    /// The deals a contact is linked to, sorted.
    fn deals_of_contact(&mut self, workspace_id: WorkspaceId, contact: ContactId) -> Result<Vec<String>>;
    /// Moves every link of `from` to `into` (a merge): a deal linked to both keeps `into`'s
    /// link, taking `from`'s role where its own is null; returns how many links `from` had.
    fn move_contact_links(&mut self, workspace_id: WorkspaceId, from: ContactId, into: ContactId) -> Result<u64>;
    /// Removes every link of a contact (it is being deleted); the deals it was linked to.
    fn remove_contact_links(&mut self, workspace_id: WorkspaceId, contact: ContactId) -> Result<Vec<String>>;
    /// Removes a deal's links and stage history (it is being deleted).
    fn forget_deal(&mut self, workspace_id: WorkspaceId, deal: DealId) -> Result<()>;
    /// Clears `company_id` on the company's contacts and deals, moving their `updated_at` to
    /// `at` (the company is being deleted).
    fn clear_company(&mut self, workspace_id: WorkspaceId, company: CompanyId, at: Timestamp) -> Result<Cleared>;
    /// The pipeline's groups (stage, currency) with their count and exact sum, summed by the
    /// database.
    fn pipeline(&mut self, workspace_id: WorkspaceId, filter: &PipelineFilter) -> Result<Vec<PipelineRow>>;
}
