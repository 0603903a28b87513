//! Tags: case-insensitive names attached to contacts and companies.

pub mod ports;
pub mod service;

pub use ports::{TagCount, TagSort};
