//! Moss's storage adapter: every port of `moss-domain` implemented once with diesel, used by
//! both Postgres and SQLite through one `#[derive(MultiConnection)]` connection type.
//!
//! Error policy: diesel and pool errors are translated in one place ([`error`]); the domain
//! never sees a diesel type. Unique violations become `Conflict`, an unreachable database or an
//! exhausted pool `Unavailable`, anything unexpected `Internal` (logged with its cause).

pub mod connection;
mod error;
mod json;
pub mod migrate;
pub mod normalize;
mod repo;
mod schema;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use connection::{Backend, DatabaseUrl, MossConnection, PoolSettings};
pub use store::DieselStore;
