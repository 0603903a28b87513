//! Workspaces and their members.

pub mod model;
pub mod ports;
pub mod service;

pub use model::{Member, MemberSort, NewMember, Slug, Workspace, WorkspaceSort};
