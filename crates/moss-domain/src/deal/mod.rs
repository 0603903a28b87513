//! Deals: opportunities moving through the pipeline.

pub mod model;
pub mod ports;
pub mod service;

pub use model::{Currency, Deal, DealChanges, DealFilter, DealSort, Stage};
