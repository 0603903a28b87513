//! Storage port for companies.

use crate::company::model::{Company, CompanyFilter, CompanySort};
use crate::error::Result;
use crate::id::{CompanyId, WorkspaceId};
use crate::page::{Page, PageRequest};

/// Companies.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CompanyRepo {
    /// Stores a new company. Returns `Conflict` when its domain is taken in the workspace.
    fn insert_company(&mut self, company: &Company) -> Result<()>;
    /// Replaces a stored company's fields and tags. Returns `Conflict` when the domain is taken.
    fn update_company(&mut self, company: &Company) -> Result<()>;
    /// Deletes a company and clears `company_id` on its contacts; `false` when it is not in
    /// the workspace.
    fn delete_company(&mut self, workspace_id: WorkspaceId, id: CompanyId) -> Result<bool>;
    /// The company with this id in the workspace, if any.
    fn company(&mut self, workspace_id: WorkspaceId, id: CompanyId) -> Result<Option<Company>>;
    /// The id of the company with this domain in the workspace, if any.
    fn company_id_by_domain(&mut self, workspace_id: WorkspaceId, domain: &str) -> Result<Option<CompanyId>>;
    /// A page of the workspace's companies matching `filter`, with the exact total.
    fn list_companies(
        &mut self,
        workspace_id: WorkspaceId,
        filter: &CompanyFilter,
        page: &PageRequest<CompanySort>,
    ) -> Result<Page<Company>>;
}
