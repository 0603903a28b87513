//! Follow-ups: reminders about a contact, due on a date, until completed. (`follow-ups` in
//! URL paths only; everywhere else the identifier is `followup`.)

pub mod model;

pub use model::{Due, FollowUp, FollowUpChanges, FollowUpFilter, FollowUpSort, Priority};
