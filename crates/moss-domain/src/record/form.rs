//! Reading a record's own fields from a body: one reader per resource
//! ([`Record::read`](crate::record::Record::read)) serves its create and its PATCH alike, since
//! each kind of field has one rule for both:
//!
//! | kind | create: absent or `null` | PATCH: absent | PATCH: `null` | blank |
//! |---|---|---|---|---|
//! | [`Fields::required_text`] | "is required" | unchanged | "is required and cannot be null" | "is required" |
//! | [`Fields::required`] | "is required" | unchanged | "is required and cannot be null" | parsed as sent |
//! | [`Fields::defaulted`] | the server's default | unchanged | "is required and cannot be null" | parsed as sent |
//! | [`Fields::text`], [`Fields::optional`] | none | unchanged | cleared | cleared |
//! | [`Fields::number`] | none | unchanged | cleared | (not a string) |
//! | [`Fields::flag`] | the server's default | unchanged | "is required and cannot be null" | (not a string) |
//!
//! A create is then the record's changes applied to its [`blank`](crate::record::Record::blank).

use crate::error::{Errors, FieldError};
use crate::text::{patch_optional_text, patch_required_text, patch_with, required_text};
use crate::value::{Number, Patch};

/// A body as sent, field by field. The reader checks JSON types: a field of another type is
/// reported by it, and reads as absent here.
pub trait Form {
    /// A string field: absent, `null` or a value.
    fn string(&mut self, name: &'static str) -> Patch<String>;
    /// A number field: absent, `null` or a value.
    fn number(&mut self, name: &'static str) -> Patch<Number>;
    /// A boolean field: absent, `null` or a value.
    fn boolean(&mut self, name: &'static str) -> Patch<bool>;
    /// A list of strings: absent, `null` or a value.
    fn strings(&mut self, name: &'static str) -> Patch<Vec<String>>;
}

/// A record's own fields being read for a create or a PATCH, every bad one reported.
pub struct Fields<'a> {
    form: &'a mut dyn Form,
    creating: bool,
    errors: Errors,
}

impl std::fmt::Debug for Fields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fields")
            .field("creating", &self.creating)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl<'a> Fields<'a> {
    /// Reads a create body's fields.
    pub fn create(form: &'a mut dyn Form) -> Self {
        Self {
            form,
            creating: true,
            errors: Errors::new(),
        }
    }

    /// Reads a PATCH body's fields.
    pub fn patch(form: &'a mut dyn Form) -> Self {
        Self {
            form,
            creating: false,
            errors: Errors::new(),
        }
    }

    fn keep<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        self.errors.check(r)
    }

    /// A required text field of at most `max` characters (trimmed, NFC, not blank). `None`:
    /// not sent in a PATCH, or reported.
    pub fn required_text(&mut self, name: &'static str, max: usize) -> Option<String> {
        let raw = self.form.string(name);
        if self.creating {
            self.keep(required_text(name, raw.into_option(), max))
        } else {
            self.keep(patch_required_text(name, raw, max)).flatten()
        }
    }

    /// A required field in a format `parse` checks, never `null`. `None`: not sent in a
    /// PATCH, or reported.
    pub fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match self.form.string(name) {
            Patch::Absent if !self.creating => None,
            Patch::Absent | Patch::Null if self.creating => self.keep(Err(FieldError::new(name, "is required"))),
            Patch::Null | Patch::Absent => self.keep(Err(FieldError::new(name, "is required and cannot be null"))),
            Patch::Set(s) => self.keep(parse(name, &s)),
        }
    }

    /// An optional text field of at most `max` characters; blank clears it.
    pub fn text(&mut self, name: &'static str, max: usize) -> Patch<String> {
        let raw = self.raw_string(name);
        self.keep(patch_optional_text(name, raw, max)).unwrap_or_default()
    }

    /// An optional field in a format `parse` checks (trimmed first where the format says so);
    /// blank clears it.
    pub fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Patch<T> {
        let raw = self.raw_string(name);
        self.keep(patch_with(name, raw, parse)).unwrap_or_default()
    }

    /// A field the server defaults when a create leaves it out, never `null` in a PATCH, parsed
    /// by `parse` exactly as sent. `None`: the default (a create) or unchanged (a PATCH).
    pub fn defaulted<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match self.form.string(name) {
            Patch::Absent => None,
            Patch::Null if self.creating => None,
            Patch::Null => self.keep(Err(FieldError::new(name, "is required and cannot be null"))),
            Patch::Set(s) => self.keep(parse(name, &s)),
        }
    }

    /// An optional number field, checked by `parse`; `null` clears it.
    pub fn number<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, Number) -> Result<T, FieldError>,
    ) -> Patch<T> {
        match self.form.number(name) {
            Patch::Absent => Patch::Absent,
            Patch::Null if self.creating => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Set(n) => self.keep(parse(name, n)).map_or(Patch::Absent, Patch::Set),
        }
    }

    /// A boolean the server defaults when a create leaves it out, never `null` in a PATCH.
    /// `None`: the default (a create) or unchanged (a PATCH).
    pub fn flag(&mut self, name: &'static str) -> Option<bool> {
        match self.form.boolean(name) {
            Patch::Absent => None,
            Patch::Null if self.creating => None,
            Patch::Null => self.keep(Err(FieldError::new(name, "is required and cannot be null"))),
            Patch::Set(b) => Some(b),
        }
    }

    /// A field only a create sets, in a format `parse` checks: required there, and "cannot be
    /// changed" in a PATCH.
    pub fn frozen<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Option<T> {
        if self.creating {
            return self.required(name, parse);
        }
        if self.form.string(name) != Patch::Absent {
            self.refuse(name, "cannot be changed");
        }
        None
    }

    /// A list of strings checked by `parse`; `null` in a create is the same as absent.
    pub fn list<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, Vec<String>) -> Result<T, Vec<FieldError>>,
    ) -> Patch<T> {
        match self.form.strings(name) {
            Patch::Absent => Patch::Absent,
            Patch::Null if self.creating => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Set(items) => self.errors.take(parse(name, items)).map_or(Patch::Absent, Patch::Set),
        }
    }

    /// A number the server defaults when a create leaves it out, never `null` in a PATCH.
    pub fn defaulted_number<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str, Number) -> Result<T, FieldError>,
    ) -> Option<T> {
        match self.form.number(name) {
            Patch::Absent => None,
            Patch::Null if self.creating => None,
            Patch::Null => self.keep(Err(FieldError::new(name, "is required and cannot be null"))),
            Patch::Set(n) => self.keep(parse(name, n)),
        }
    }

    /// Reports a rule between fields.
    pub fn refuse(&mut self, name: &'static str, message: impl Into<String>) {
        self.errors.push(name, message);
    }

    /// Whether a field read so far was reported.
    pub fn reported(&self, name: &str) -> bool {
        self.errors.names(name)
    }

    /// Whether this is a create.
    pub fn creating(&self) -> bool {
        self.creating
    }

    /// `value` when every field read well, else every error, in the order read.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        self.errors.finish().map(|()| value)
    }

    /// A string as sent; in a create, `null` is the same as absent.
    fn raw_string(&mut self, name: &'static str) -> Patch<String> {
        match self.form.string(name) {
            Patch::Null if self.creating => Patch::Absent,
            raw => raw,
        }
    }
}
