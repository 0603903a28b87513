//! Interactions: calls, emails, meetings and notes logged against a contact. Immutable: a
//! client creates and deletes them; only the server changes one (a merge re-points its
//! contact, a deal's delete clears its deal).

pub mod model;

pub use model::{Interaction, InteractionChanges, InteractionFilter, InteractionSort, InteractionType};
