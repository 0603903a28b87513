//! The error model shared by every use case.

use std::fmt;

/// A problem with one field of the input, named by its path (`first_name`, `tags[3]`, `per_page`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the input.
    pub field: String,
    /// A sentence for a person.
    pub message: String,
}

impl FieldError {
    /// Makes a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What went wrong, in business terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input broke one or more rules; every bad field is listed.
    #[error("validation failed: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// The caller could not be authenticated (missing, malformed, unknown, revoked or expired key).
    #[error("unauthorized")]
    Unauthorized,
    /// The caller is authenticated but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The record does not exist in the caller's workspace.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (a duplicate, a rule about other records).
    #[error("{0}")]
    Conflict(String),
    /// The storage cannot be reached right now (unreachable, pool exhausted); retrying may help.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// An unexpected failure; the cause is for the log, never for the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    /// A validation error about a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

/// Result of a domain operation.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// Collects field errors while parsing several inputs, so all of them are reported at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records one field error.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    /// Keeps the value of `r`, or records its errors and returns `None`.
    pub fn take<T>(&mut self, r: Result<T, Vec<FieldError>>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(mut e) => {
                self.0.append(&mut e);
                None
            }
        }
    }
    /// Keeps the value of `r`, or records its single error and returns `None`.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    /// Adds all errors of another collection.
    pub fn extend(&mut self, other: Vec<FieldError>) {
        self.0.extend(other);
    }
    /// Whether an error names `field`.
    pub fn names(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(())` when nothing was recorded, else the errors.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }
    /// The recorded errors.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl From<Vec<FieldError>> for DomainError {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::Validation(errors)
    }
}

impl From<FieldError> for DomainError {
    fn from(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }
}
