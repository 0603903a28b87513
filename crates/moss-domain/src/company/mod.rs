//! Companies: organisations contacts work for.

pub mod model;
pub mod service;

pub use model::{Company, CompanyChanges, CompanyFilter, CompanySort, Domain};
