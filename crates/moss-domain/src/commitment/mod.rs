//! Commitments: promises made to a contact, open until completed.

pub mod model;

pub use model::{Commitment, CommitmentChanges, CommitmentFilter, CommitmentSort, CommitmentStatus};
