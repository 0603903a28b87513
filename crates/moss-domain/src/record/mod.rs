//! Records: contacts, companies and every later CRM resource with an id, a workspace, tags,
//! custom fields, timestamps, search text, filtered lists and a per-field audit of each change.
//!
//! A resource describes itself once, as a [`Record`] (its fields, how a change applies, its
//! references and its unique key); the use cases in [`service`] do the rest for every record
//! alike: authorisation, not-found naming, tags, custom fields, timestamps, the update that
//! changes nothing, and the audit event. Storage implements one port, [`RecordRepo`].

mod form;
pub mod service;
mod snapshot;

pub use form::{Fields, Form};
pub use snapshot::{Renderer, Snapshot};

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::audit::AuditEvent;
use crate::error::{Errors, FieldError, Result};
use crate::id::{TypedId, WorkspaceId};
use crate::page::{Page, PageRequest, SortField};
use crate::store::Tx;
use crate::text::{TagName, check_custom_fields, fold, parse_tags, search_document, search_words};
use crate::time::{Timestamp, parse_rfc3339};
use crate::value::{Patch, Value};

/// What every record has beside its own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// The workspace it belongs to.
    pub workspace_id: WorkspaceId,
    /// Tag names, in the workspace's spelling, sorted case-insensitively.
    pub tags: Vec<TagName>,
    /// Free-form custom fields.
    pub custom_fields: BTreeMap<String, Value>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change of a stored value.
    pub updated_at: Timestamp,
}

/// The checked `tags` and `custom_fields` of a create body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extras {
    /// Tags as sent (made canonical by the use case).
    pub tags: Vec<TagName>,
    /// Custom fields.
    pub custom_fields: BTreeMap<String, Value>,
}

impl Extras {
    /// Checks both fields, reporting every bad one.
    pub fn parse(
        tags: Option<Vec<String>>,
        custom_fields: Option<BTreeMap<String, Value>>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let tags = e.take(parse_tags("tags", tags.unwrap_or_default()));
        let custom_fields = e.take(check_custom_fields("custom_fields", custom_fields.unwrap_or_default()));
        e.finish()?;
        Ok(Self {
            tags: tags.unwrap_or_default(),
            custom_fields: custom_fields.unwrap_or_default(),
        })
    }
}

/// The checked `tags` and `custom_fields` of a PATCH body: `tags` replaces the whole list when
/// sent (`null` clears it); `custom_fields` merges by name (a name sent with `null` is removed,
/// names not sent keep their values).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtrasPatch {
    /// New tags.
    pub tags: Patch<Vec<TagName>>,
    /// New custom fields.
    pub custom_fields: Patch<BTreeMap<String, Value>>,
}

impl ExtrasPatch {
    /// Checks both fields, reporting every bad one.
    pub fn parse(
        tags: Patch<Vec<String>>,
        custom_fields: Patch<BTreeMap<String, Value>>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let tags = match tags {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Set(Vec::new()),
            Patch::Set(t) => e.take(parse_tags("tags", t)).map_or(Patch::Absent, Patch::Set),
        };
        // Merged by name: each name sent is set, or removed with `null`; `null` for the whole
        // object is refused (contract.md, Request bodies).
        let custom_fields = match custom_fields {
            Patch::Absent => Patch::Absent,
            Patch::Null => {
                e.push(
                    "custom_fields",
                    "cannot be null; remove a field by sending its name with null",
                );
                Patch::Absent
            }
            Patch::Set(m) => e
                .take(check_custom_fields("custom_fields", m))
                .map_or(Patch::Absent, Patch::Set),
        };
        e.finish()?;
        Ok(Self { tags, custom_fields })
    }
}

/// Reads and checks a record's own fields from a body: a create's when `creating`, else a
/// PATCH's.
pub fn read_own<R: Record>(form: &mut dyn Form, creating: bool) -> std::result::Result<R::Changes, Vec<FieldError>> {
    let mut fields = if creating {
        Fields::create(form)
    } else {
        Fields::patch(form)
    };
    let changes = R::read(&mut fields);
    fields.finish(changes)
}

/// `fields` after a PATCH's `custom_fields`: each name sent is set, or removed when sent as
/// `null`; the others keep their values. The merged object may hold at most
/// [`MAX_CUSTOM_FIELDS`](crate::text::MAX_CUSTOM_FIELDS) names.
pub fn merge_custom_fields(
    mut fields: BTreeMap<String, Value>,
    changes: BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>> {
    for (name, value) in changes {
        if value == Value::Null {
            fields.remove(&name);
        } else {
            fields.insert(name, value);
        }
    }
    if fields.len() > crate::text::MAX_CUSTOM_FIELDS {
        return Err(crate::error::DomainError::field(
            "custom_fields",
            format!("must have at most {} fields", crate::text::MAX_CUSTOM_FIELDS),
        ));
    }
    Ok(fields)
}

/// Joins the errors of a record's own fields and of its extras, own fields first.
pub fn both<A, B>(
    own: Result<A, Vec<FieldError>>,
    extras: Result<B, Vec<FieldError>>,
) -> Result<(A, B), Vec<FieldError>> {
    match (own, extras) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut a), Err(b)) => {
            a.extend(b);
            Err(a)
        }
        (Err(a), Ok(_)) | (Ok(_), Err(a)) => Err(a),
    }
}

/// The time window of a sync: `created_after`, `created_before`, `updated_after`,
/// `updated_before`, each inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// `created_at >=`.
    pub created_after: Option<Timestamp>,
    /// `created_at <=`.
    pub created_before: Option<Timestamp>,
    /// `updated_at >=`.
    pub updated_after: Option<Timestamp>,
    /// `updated_at <=`.
    pub updated_before: Option<Timestamp>,
}

impl Window {
    /// The query parameters, in this order.
    pub const PARAMS: [&'static str; 4] = ["created_after", "created_before", "updated_after", "updated_before"];

    /// Parses the four parameters (RFC 3339), reporting every bad one.
    pub fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let mut read = |name: &str| {
            get(name).and_then(|raw| {
                e.check(
                    parse_rfc3339(raw)
                        .ok_or_else(|| FieldError::new(name, "must be an RFC 3339 date-time (2026-01-31T09:30:00Z)")),
                )
            })
        };
        let window = Self {
            created_after: read(Self::PARAMS[0]),
            created_before: read(Self::PARAMS[1]),
            updated_after: read(Self::PARAMS[2]),
            updated_before: read(Self::PARAMS[3]),
        };
        e.finish()?;
        Ok(window)
    }

    /// Whether it keeps every record.
    pub fn is_open(&self) -> bool {
        *self == Self::default()
    }
}

/// A list's query: the filters every record list has, and the resource's own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListFilter<F> {
    /// `q`: full-text words, each must match as a prefix.
    pub words: Vec<String>,
    /// `tag`: only records carrying it (folded: [`crate::text::fold`]).
    pub tag: Option<String>,
    /// The sync window.
    pub window: Window,
    /// The resource's own filters.
    pub own: F,
    /// Filters and sort on defined custom fields.
    pub custom: crate::custom_field::CustomQuery,
}

impl<F: Default + PartialEq> ListFilter<F> {
    /// The filter of a list's raw `q`, `tag` and window values, around the resource's own.
    pub fn new(q: Option<&str>, tag: Option<&str>, window: Window, own: F) -> Self {
        Self {
            words: q.map(search_words).unwrap_or_default(),
            tag: tag.map(|t| fold(t.trim())),
            window,
            own,
            custom: crate::custom_field::CustomQuery::default(),
        }
    }

    /// Whether it keeps every record of the workspace (a list's total is then the stored one).
    pub fn keeps_all(&self) -> bool {
        self.words.is_empty() && self.only_words_if_any()
    }

    /// Whether `q` is its only filter (a list's total is then the search index's count).
    pub fn words_only(&self) -> bool {
        !self.words.is_empty() && self.only_words_if_any()
    }

    /// Whether one `cf.<name>` condition is its only filter (a list's total is then the count of
    /// the side table's matching values).
    pub fn custom_only(&self) -> bool {
        self.words.is_empty()
            && self.tag.is_none()
            && self.window.is_open()
            && self.own == F::default()
            && self.custom.conditions.len() == 1
    }

    fn only_words_if_any(&self) -> bool {
        self.tag.is_none() && self.window.is_open() && self.own == F::default() && self.custom.filters.is_empty()
    }
}

/// The text a record is found by, in the columns the search tiers use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchText {
    /// Name fields (first and last name, company or deal name).
    pub names: String,
    /// Exact keys (email, domain), case-folded.
    pub keys: String,
    /// Every other searchable field.
    pub other: String,
    /// The name fields as written, joined by spaces and lower-cased (ASCII, as the lists'
    /// name sorts): what a search tier is ordered by.
    pub label: String,
    /// The first key (email, domain), case-folded: what search's first tier compares `q` to.
    pub exact: String,
}

impl SearchText {
    /// The search text of the given fields: every word, folded, separated by spaces.
    pub fn of<'a>(
        names: impl IntoIterator<Item = Option<&'a str>>,
        keys: impl IntoIterator<Item = Option<&'a str>>,
        other: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Self {
        let names: Vec<&str> = names.into_iter().flatten().collect();
        let keys: Vec<&str> = keys.into_iter().flatten().collect();
        Self {
            label: names.join(" ").to_ascii_lowercase(),
            exact: keys.first().map(|k| fold(k)).unwrap_or_default(),
            names: search_document(names.iter().copied().map(Some)),
            keys: search_document(keys.iter().copied().map(Some)),
            other: search_document(other),
        }
    }
}

/// A value that must stay unique in its workspace (a contact's email, a company's domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueKey {
    /// The field it is in.
    pub field: &'static str,
    /// The value as the record shows it.
    pub shown: String,
    /// The value as it is compared (folded).
    pub key: String,
}

/// A record resource, described once: the machinery of [`service`] and the storage and HTTP
/// layers do the rest.
pub trait Record: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// Its id type.
    type Id: TypedId;
    /// Its own fields of a PATCH, checked: only the fields sent; a create is its changes
    /// applied to its [`Record::blank`].
    type Changes: Debug + Send + 'static;
    /// Its own list filters (its default keeps every record).
    type Filter: Debug + Default + PartialEq + Clone + Send + Sync + 'static;
    /// Its sort allow-list.
    type Sort: SortField + Debug + PartialEq + Send + Sync + 'static;
    /// Singular name: the audit target type (`contact`).
    const KIND: &'static str;
    /// The name a person reads (`Contact`): "Contact not found."
    const NAME: &'static str;
    /// Whether it has `tags` and `custom_fields` (an interaction has neither: its bodies refuse
    /// them as unknown fields, and its `Common` keeps them empty).
    const EXTRAS: bool = true;
    /// The entity type its custom-field definitions name, if it can have defined fields.
    const ENTITY: Option<crate::custom_field::EntityType> = None;
    /// What reading it needs.
    const READ: crate::actor::Permission = crate::actor::Permission::Read;
    /// What writing it needs (custom-field definitions: the owner).
    const WRITE: crate::actor::Permission = crate::actor::Permission::Write;

    /// Its id.
    fn id(&self) -> Self::Id;
    /// Its common fields.
    fn common(&self) -> &Common;
    /// Its common fields, to change.
    fn common_mut(&mut self) -> &mut Common;
    /// Reads its own fields from a body, for a create or a PATCH (see [`Fields`]).
    fn read(fields: &mut Fields<'_>) -> Self::Changes;
    /// The record a create starts from: every own field empty or at its default.
    fn blank(id: Self::Id, common: Common) -> Self;
    /// Applies a PATCH's own fields (or a create's, to its blank) at `at`, recording each
    /// value that changes (server-kept ones too); a rule that needs the record's other fields
    /// (a 400 naming the field) is checked here.
    fn apply(&mut self, changes: Self::Changes, at: Timestamp, diff: &mut Diff) -> Result<()>;
    /// The value that must be unique in the workspace, if any.
    fn unique(&self) -> Option<UniqueKey> {
        None
    }
    /// Checks its references (a 400 naming the field), against the stored record it replaces.
    fn check(&self, _tx: &mut dyn Tx, _before: Option<&Self>) -> Result<()> {
        Ok(())
    }
    /// The audit event of an update that changed what `diff` lists.
    fn update_event(&self, _before: &Self, diff: Diff) -> AuditEvent {
        AuditEvent::updated(Self::KIND, self.id(), diff.into_changes())
    }
    /// Runs after the record is written (created when `before` is `None`), in the same
    /// transaction: what else a write of it keeps in step.
    fn after_write(&self, _tx: &mut dyn Tx, _before: Option<&Self>) -> Result<()> {
        Ok(())
    }
    /// Runs before the record is deleted, in the same transaction: removes or clears what
    /// refers to it, and returns the delete entry's metadata (`{}` when nothing went with it).
    fn before_delete(
        _tx: &mut dyn Tx,
        _ws: WorkspaceId,
        _id: Self::Id,
        _at: Timestamp,
    ) -> Result<BTreeMap<String, Value>> {
        Ok(BTreeMap::new())
    }
    /// The text it is found by.
    fn search(&self) -> SearchText;
    /// A copy of it for its change's audit event, which the context's renderer renders.
    fn snapshot(&self) -> Snapshot;
    /// Its repository in a unit of work.
    fn repo(tx: &mut dyn Tx) -> &mut dyn RecordRepo<Self>;
}

/// Storage of one record resource. Tags are stored with the record (their spellings already
/// canonical), and so is its search text.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RecordRepo<R: Record> {
    /// Stores a new record.
    fn insert(&mut self, record: &R) -> Result<()>;
    /// Replaces a stored record's fields and tags. `before` is the stored record it replaces, as
    /// read in this unit of work: tags and search text equal to its are not written again.
    /// MUST return `NotFound` when the record is gone.
    fn update(&mut self, record: &R, before: &R) -> Result<()>;
    /// Deletes a record with its tags and search text; `false` when it is not in the workspace.
    fn delete(&mut self, workspace_id: WorkspaceId, id: R::Id) -> Result<bool>;
    /// The record with this id in the workspace, if any.
    fn get(&mut self, workspace_id: WorkspaceId, id: R::Id) -> Result<Option<R>>;
    /// The records with these ids in the workspace, in the order of `ids`; ids of no record of
    /// the workspace are left out.
    fn get_many(&mut self, workspace_id: WorkspaceId, ids: &[R::Id]) -> Result<Vec<R>>;
    /// The id of the record whose [`UniqueKey::key`] is `key`, if any.
    fn id_by_unique(&mut self, workspace_id: WorkspaceId, key: &str) -> Result<Option<R::Id>>;
    /// A page of the workspace's records matching `filter`, with the exact total.
    fn list(
        &mut self,
        workspace_id: WorkspaceId,
        filter: &ListFilter<R::Filter>,
        page: &PageRequest<R::Sort>,
    ) -> Result<Page<R>>;
}

/// How a value appears in an audit entry's `changes`.
pub trait Audited {
    /// The value as the entry shows it.
    fn audited(&self) -> Value;
}

impl Audited for String {
    fn audited(&self) -> Value {
        Value::String(self.clone())
    }
}

impl<T: Audited> Audited for Option<T> {
    fn audited(&self) -> Value {
        self.as_ref().map_or(Value::Null, Audited::audited)
    }
}

impl Audited for Vec<TagName> {
    fn audited(&self) -> Value {
        Value::List(self.iter().map(|t| Value::String(t.as_str().to_owned())).collect())
    }
}

impl Audited for Vec<String> {
    fn audited(&self) -> Value {
        Value::List(self.iter().cloned().map(Value::String).collect())
    }
}

impl Audited for BTreeMap<String, Value> {
    fn audited(&self) -> Value {
        Value::Map(self.clone())
    }
}

/// Implements [`Audited`] for types shown by their `Display` or `as_str`.
#[macro_export]
macro_rules! audited_as_str {
    ($($t:ty),*) => {$(
        impl $crate::record::Audited for $t {
            fn audited(&self) -> $crate::value::Value {
                $crate::value::Value::String(self.as_str().to_owned())
            }
        }
    )*};
}

/// The accessors every `impl Record` writes alike (its id, its common fields, its snapshot and
/// its repository), from the record's `Snapshot` variant and its `Tx` accessor:
/// `crate::record_accessors!(Deal, deals);`.
#[macro_export]
macro_rules! record_accessors {
    ($variant:ident, $repo:ident) => {
        fn id(&self) -> Self::Id {
            self.id
        }
        fn common(&self) -> &$crate::record::Common {
            &self.common
        }
        fn common_mut(&mut self) -> &mut $crate::record::Common {
            &mut self.common
        }
        fn snapshot(&self) -> $crate::record::Snapshot {
            $crate::record::Snapshot::$variant(self.clone())
        }
        fn repo(tx: &mut dyn $crate::store::Tx) -> &mut dyn $crate::record::RecordRepo<Self> {
            tx.$repo()
        }
    };
}

/// An enum of named values as the API spells them (a deal's stage, an interaction's type):
/// `ALL`, `NAMES`, `as_str`, `parse` (exactly as spelled), `parse_list` (one name or a comma
/// list, repeats dropped: a list filter) and [`Audited`]. `$noun` names the value in errors.
#[macro_export]
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($noun:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the API's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// Every name, in the API's order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// Its name in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// Parses a name, exactly as the API spells it.
            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::error::FieldError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    $crate::error::FieldError::new(field, format!("must be one of: {}", Self::NAMES.join(", ")))
                })
            }

            /// Parses a list filter: one name or a comma list (any of them).
            pub fn parse_list(field: &str, raw: &str) -> Result<Vec<Self>, $crate::error::FieldError> {
                let mut out = Vec::new();
                for part in raw.split(',') {
                    let value = Self::parse(field, part).map_err(|_| {
                        $crate::error::FieldError::new(
                            field,
                            format!(
                                "unknown {} {part:?}; one or a comma list of: {}",
                                $noun,
                                Self::NAMES.join(", ")
                            ),
                        )
                    })?;
                    if !out.contains(&value) {
                        out.push(value);
                    }
                }
                Ok(out)
            }
        }

        impl $crate::record::Audited for $name {
            fn audited(&self) -> $crate::value::Value {
                $crate::value::Value::String(self.as_str().to_owned())
            }
        }
    };
}

/// Implements [`Audited`] for ids (shown as TypeIDs).
macro_rules! audited_display {
    ($($t:ty),*) => {$(
        impl Audited for $t {
            fn audited(&self) -> Value {
                Value::String(self.to_string())
            }
        }
    )*};
}

audited_display!(
    crate::id::ContactId,
    crate::id::CompanyId,
    crate::id::DealId,
    crate::id::InteractionId
);

impl Audited for bool {
    fn audited(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Audited for i64 {
    fn audited(&self) -> Value {
        Value::Number(crate::value::Number::Int(*self))
    }
}

impl Audited for Timestamp {
    fn audited(&self) -> Value {
        Value::String(crate::time::to_rfc3339(self))
    }
}

impl Audited for chrono::NaiveDate {
    fn audited(&self) -> Value {
        Value::String(self.format("%Y-%m-%d").to_string())
    }
}

/// `{"count": n, "ids": [...]}` for what went with a deleted record, the ids capped at
/// [`MAX_LISTED_IDS`] with `"truncated": true` past that.
pub fn id_list(ids: &[String]) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "count".to_owned(),
        Value::Number(crate::value::Number::Int(i64::try_from(ids.len()).unwrap_or(i64::MAX))),
    );
    m.insert(
        "ids".to_owned(),
        Value::List(ids.iter().take(MAX_LISTED_IDS).cloned().map(Value::String).collect()),
    );
    if ids.len() > MAX_LISTED_IDS {
        m.insert("truncated".to_owned(), Value::Bool(true));
    }
    Value::Map(m)
}

/// Most ids an audit entry lists of what went with a deleted record.
pub const MAX_LISTED_IDS: usize = 1000;
audited_as_str!(crate::text::EmailAddress, crate::text::HttpUrl);

/// The fields an update changed, each with its old and new value.
#[derive(Debug, Default)]
pub struct Diff {
    changes: Vec<(&'static str, Value, Value)>,
}

impl Diff {
    /// Sets a field to `new` when given, recording it if the value changes.
    pub fn set<T: Audited + PartialEq>(&mut self, field: &'static str, slot: &mut T, new: Option<T>) {
        if let Some(new) = new
            && *slot != new
        {
            self.changes.push((field, slot.audited(), new.audited()));
            *slot = new;
        }
    }

    /// Applies a PATCH of an optional field (absent, `null` or a value).
    pub fn patch<T: Audited + PartialEq>(&mut self, field: &'static str, slot: &mut Option<T>, patch: Patch<T>) {
        match patch {
            Patch::Absent => {}
            Patch::Null => self.set(field, slot, Some(None)),
            Patch::Set(v) => self.set(field, slot, Some(Some(v))),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether `field` changed.
    pub fn changed(&self, field: &str) -> bool {
        self.changes.iter().any(|(f, _, _)| *f == field)
    }

    /// The changes, for an audit event.
    pub fn into_changes(self) -> Vec<(&'static str, Value, Value)> {
        self.changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_records_only_values_that_change() {
        let mut d = Diff::default();
        let mut name = "Ann".to_owned();
        let mut title: Option<String> = Some("CTO".into());
        d.set("name", &mut name, Some("Ann".into()));
        d.set("name", &mut name, None);
        d.patch("title", &mut title, Patch::Absent);
        assert!(d.is_empty());
        d.patch("title", &mut title, Patch::Null);
        assert_eq!(title, None);
        assert_eq!(d.into_changes(), vec![("title", Value::from("CTO"), Value::Null)]);
    }

    #[test]
    fn a_window_reports_every_bad_bound_and_is_inclusive_data() {
        let raw = |n: &str| match n {
            "created_after" => Some("yesterday"),
            "updated_before" => Some("2026-01-01"),
            "created_before" => Some("2026-01-31T09:30:00Z"),
            _ => None,
        };
        let err = Window::parse(raw).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["created_after", "updated_before"]);
        let ok = Window::parse(|n| (n == "created_before").then_some("2026-01-31T09:30:00Z")).unwrap();
        assert!(ok.created_before.is_some() && !ok.is_open());
        assert!(Window::default().is_open());
    }

    #[test]
    fn a_patchs_custom_fields_merge_by_name_and_stay_within_100() {
        let stored = BTreeMap::from([("a".to_owned(), Value::from("1")), ("b".to_owned(), Value::from("2"))]);
        let changes = BTreeMap::from([("b".to_owned(), Value::Null), ("c".to_owned(), Value::from("3"))]);
        let merged = merge_custom_fields(stored.clone(), changes).unwrap();
        assert_eq!(
            merged,
            BTreeMap::from([("a".to_owned(), Value::from("1")), ("c".to_owned(), Value::from("3"))])
        );
        let many: BTreeMap<String, Value> = (0..99).map(|i| (format!("n{i}"), Value::from("x"))).collect();
        let err = merge_custom_fields(stored, many).unwrap_err();
        assert!(matches!(err, crate::error::DomainError::Validation(ref f) if f[0].field == "custom_fields"));
        let null = ExtrasPatch::parse(Patch::Absent, Patch::Null).unwrap_err();
        assert_eq!(null[0].field, "custom_fields");
    }

    #[test]
    fn own_and_extra_errors_are_reported_together_own_first() {
        let own: Result<(), _> = Err(vec![FieldError::new("name", "is required")]);
        let extras = Extras::parse(Some(vec!["".into()]), None).map(|_| ());
        let err = both(own, extras).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "tags[0]"]);
    }
}
