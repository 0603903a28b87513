//! The composition root: wires the diesel store into the HTTP app, and the `moss` command line.

pub mod cli;
pub mod commands;
pub mod output;
pub mod server;
