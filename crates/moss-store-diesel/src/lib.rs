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
pub use repo::record::RECORD_TABLES;
pub use store::DieselStore;

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};

/// The slug of the oldest workspace, if there is one. Only the first-start banner needs it, to
/// suggest a workspace that exists; the domain's ports list nothing across workspaces (and need
/// not), so this one query stays in the adapter.
pub fn oldest_workspace_slug(url: &DatabaseUrl) -> Result<Option<String>, moss_domain::DomainError> {
    use schema::workspaces::dsl::{created_at, id, slug, workspaces};
    let mut conn = url
        .connect()
        .map_err(|e| moss_domain::DomainError::Unavailable(e.to_string()))?;
    workspaces
        .select(slug)
        .order((created_at.asc(), id.asc()))
        .first::<String>(&mut conn)
        .optional()
        .map_err(error::db)
}
