//! HTTP integration tests: the real app over real HTTP, on SQLite and on Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activity;
mod audit;
mod auth;
mod commitments;
mod companies;
mod contacts;
mod deal_stages;
mod deals;
mod followups;
mod front_door;
mod idempotency;
mod interactions;
mod keys;
mod limits;
mod lists;
mod openapi;
mod pipeline;
mod routes;
mod support;
mod sync_window;
mod tenancy;
mod text;
mod transport;
mod validation;
mod workspaces;
