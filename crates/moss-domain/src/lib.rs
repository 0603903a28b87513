//! The Moss CRM domain: what a workspace, a member, an API key, a contact, a company and a
//! tag are, which rules they obey, and the ports (repository traits) the rules need.
//!
//! Error policy, in five lines:
//! - Every fallible operation returns [`DomainError`], which says what went wrong in business terms.
//! - Bad input is `Validation` with one [`FieldError`] per bad field, all of them at once.
//! - A record outside the caller's workspace is `NotFound`, exactly like one that never existed.
//! - Adapters translate their own failures (SQL, pool, I/O) into `Internal` or `Unavailable`.
//! - Nothing here knows about HTTP, SQL or JSON; adapters map these errors to their own codes.

pub mod activity;
pub mod actor;
pub mod audit;
pub mod commitment;
pub mod company;
pub mod contact;
pub mod custom_field;
pub mod deal;
pub mod engagement;
pub mod error;
pub mod followup;
pub mod id;
pub mod idempotency;
pub mod interaction;
pub mod key;
pub mod page;
#[cfg(test)]
mod properties;
pub mod record;
pub mod search;
pub mod store;
pub mod tag;
#[cfg(any(test, feature = "mocks"))]
pub mod testing;
pub mod text;
pub mod time;
pub mod value;
pub mod workspace;

#[cfg(test)]
mod authorization_tests;

pub use actor::{Actor, ActorKind, Permission, Role, Scope};
pub use error::{DomainError, FieldError, Result};
pub use page::{Page, PageRequest, SortOrder};
pub use store::{Answer, Change, Mode, RequestContext, Store, Tx};
