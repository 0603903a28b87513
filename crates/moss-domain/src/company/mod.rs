//! Companies: organisations contacts work for.

pub mod model;
pub mod service;

pub use model::{Company, CompanyChanges, CompanyFilter, CompanyInput, CompanyPatch, CompanySort, Domain, NewCompany};
