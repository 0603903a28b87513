//! Loosely-typed values: custom field values and audit metadata.

use std::collections::BTreeMap;

/// A number as the client wrote it: integers stay integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A whole number.
    Int(i64),
    /// Anything else.
    Float(f64),
}

/// A JSON-like value, without depending on a JSON library.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// true or false.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// An object with ordered keys.
    Map(BTreeMap<String, Value>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Self::List(v.into_iter().map(Self::String).collect())
    }
}

/// A field sent in a PATCH: absent (unchanged), `null` (cleared) or a new value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    /// Not sent: keep the current value.
    #[default]
    Absent,
    /// Sent as `null`: clear the value.
    Null,
    /// Sent with a value.
    Set(T),
}

impl<T> Patch<T> {
    /// Applies a fallible conversion to the value, keeping Absent/Null.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Patch<U>, E> {
        Ok(match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Set(v) => Patch::Set(f(v)?),
        })
    }
    /// The field's new value: unchanged when absent, cleared by `null`, else the value sent.
    pub fn apply_to(self, current: &Option<T>) -> Option<T>
    where
        T: Clone,
    {
        match self {
            Self::Absent => current.clone(),
            Self::Null => None,
            Self::Set(v) => Some(v),
        }
    }
    /// The value sent, if any (absent and `null` are both `None`).
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Set(v) => Some(v),
            Self::Absent | Self::Null => None,
        }
    }
    /// True when the field was not sent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}
