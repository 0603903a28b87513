//! API keys: the secret's format, its digest, scopes, and the key use cases.

pub mod model;
pub mod ports;
pub mod service;

pub use model::{ApiKey, KeySecret, KeySort, NewKey, StoredKey};
