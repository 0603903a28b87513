//! Contacts: people in the CRM.

pub mod model;
pub mod ports;
pub mod service;

pub use model::{Contact, ContactChanges, ContactFilter, ContactInput, ContactPatch, ContactSort, NewContact};
