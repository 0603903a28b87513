//! Snapshots: a record as it is right after a change. The machinery puts one on the audit
//! event of every record it creates or changes (a bulk move: one per deal), and [`apply`]
//! renders each through the one [`Renderer`] of its [`RequestContext`], inside the mutation's
//! transaction, so what the change answers (and, later, what its webhook carries) is the record
//! as that change left it, never a later read.
//!
//! [`apply`]: crate::store::apply
//! [`RequestContext`]: crate::store::RequestContext

use std::fmt::Debug;

use crate::commitment::Commitment;
use crate::company::Company;
use crate::contact::Contact;
use crate::custom_field::CustomField;
use crate::deal::Deal;
use crate::followup::FollowUp;
use crate::interaction::Interaction;

/// A record right after a change: one variant per record resource (its
/// [`Record::snapshot`](crate::record::Record::snapshot) names it, so a new resource cannot
/// forget it, and the renderer's `match` cannot forget the resource).
#[derive(Debug, Clone, PartialEq)]
pub enum Snapshot {
    /// A contact.
    Contact(Contact),
    /// A company.
    Company(Company),
    /// A deal.
    Deal(Deal),
    /// An interaction.
    Interaction(Interaction),
    /// A commitment.
    Commitment(Commitment),
    /// A follow-up.
    FollowUp(FollowUp),
    /// A custom-field definition.
    CustomField(CustomField),
}

/// Renders a record as the API shows it, as JSON text. Implemented once, by the HTTP layer
/// (`moss_http::render::JsonRenderer`); the composition root puts it in every
/// [`RequestContext`](crate::store::RequestContext), so the API, the CLI and background work
/// render a record alike.
pub trait Renderer: Debug + Send + Sync {
    /// The record's public JSON (the `data` of a `GET` of it).
    fn render(&self, snapshot: &Snapshot) -> String;
}
