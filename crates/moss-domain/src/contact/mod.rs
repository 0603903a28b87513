//! Contacts: people in the CRM.

pub mod merge;
pub mod model;

pub use model::{Contact, ContactChanges, ContactFilter, ContactSort};
