//! Custom fields: a workspace's own typed fields on contacts, companies and deals.
//!
//! A definition is itself a record resource (owner writes, everyone reads) on the record
//! machinery. The values of defined fields live in the records' `custom_fields` like free-form
//! ones, and are checked against their definition by [`check_values`], the one call site every
//! write path of a record uses (create, PATCH, merge, imports). Storage keeps defined values in a
//! typed side table, so a list can filter and sort on them with an index
//! ([`CustomQuery`]) and a definition's delete is one statement that makes its values vanish
//! from every read at once.

use std::collections::{BTreeMap, BTreeSet};

use crate::actor::Permission;
use crate::error::{DomainError, Errors, FieldError, Result};
use crate::id::{CustomFieldId, WorkspaceId};
use crate::page::SortField;
use crate::record::{Common, Diff, Fields, Record, SearchText, UniqueKey};
use crate::store::Tx;
use crate::text::{MAX_NAME, MAX_NOTES};
use crate::time::Timestamp;
use crate::value::{Number, Patch, Value};

crate::named_values! {
    /// The records a definition applies to.
    pub enum EntityType ("entity type") {
        /// Contacts.
        Contacts = "contacts",
        /// Companies.
        Companies = "companies",
        /// Deals.
        Deals = "deals",
    }
}

crate::named_values! {
    /// What a field holds.
    pub enum FieldType ("field type") {
        /// A string of up to 10,000 characters.
        Text = "text",
        /// A finite number.
        Number = "number",
        /// One of the options.
        Select = "select",
        /// A list of distinct options.
        Multiselect = "multiselect",
        /// A calendar date, `YYYY-MM-DD`.
        Date = "date",
        /// A boolean.
        Checkbox = "checkbox",
    }
}

impl FieldType {
    /// Whether it takes `field_options`.
    pub fn has_options(self) -> bool {
        matches!(self, Self::Select | Self::Multiselect)
    }

    /// Whether its values compare as numbers (a checkbox: 1 or 0).
    pub fn numeric(self) -> bool {
        matches!(self, Self::Number | Self::Checkbox)
    }
}

/// Most definitions per entity type in a workspace (contract.md, Limits per workspace).
pub const MAX_DEFINITIONS: u64 = 100;
/// Most options of a select field.
pub const MAX_OPTIONS: usize = 200;
/// Longest option.
pub const MAX_OPTION: usize = 100;

/// A custom-field definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
    /// `cf_` id.
    pub id: CustomFieldId,
    /// The records it applies to (frozen).
    pub entity_type: EntityType,
    /// The name in `custom_fields` (frozen), `^[a-z][a-z0-9_]{0,63}$`.
    pub field_name: String,
    /// The name a person reads.
    pub field_label: String,
    /// What it holds (frozen).
    pub field_type: FieldType,
    /// The options of a select type (`None` for the others).
    pub field_options: Option<Vec<String>>,
    /// Whether a create must give it, and no write may clear it.
    pub required: bool,
    /// Where clients show it.
    pub display_order: i64,
    /// Workspace and timestamps (no tags or custom fields of its own).
    pub common: Common,
}

/// A definition's fields as sent: a create's, or a PATCH's (`entity_type`, `field_name` and
/// `field_type` only in a create).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomFieldChanges {
    /// Create only.
    pub entity_type: Option<EntityType>,
    /// Create only.
    pub field_name: Option<String>,
    /// Create only.
    pub field_type: Option<FieldType>,
    /// Required.
    pub field_label: Option<String>,
    /// The options (select types); `null` in a PATCH is refused by [`Record::apply`].
    pub field_options: Patch<Vec<String>>,
    /// Default false.
    pub required: Option<bool>,
    /// Default 0.
    pub display_order: Option<i64>,
}

/// The definitions list's own filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomFieldFilter {
    /// Only the definitions of these entity types (empty: any).
    pub entity_types: Vec<EntityType>,
    /// Only the definitions of these field types (empty: any).
    pub field_types: Vec<FieldType>,
}

impl CustomFieldFilter {
    /// Parses the raw filter values, reporting every bad one.
    pub fn parse(entity_type: Option<&str>, field_type: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let entity_types = entity_type
            .and_then(|r| e.check(EntityType::parse_list("entity_type", r)))
            .unwrap_or_default();
        let field_types = field_type
            .and_then(|r| e.check(FieldType::parse_list("field_type", r)))
            .unwrap_or_default();
        e.finish()?;
        Ok(Self {
            entity_types,
            field_types,
        })
    }
}

/// Sort fields of the definitions list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomFieldSort {
    /// created_at (default).
    CreatedAt,
    /// display_order.
    DisplayOrder,
    /// field_name.
    FieldName,
}

impl SortField for CustomFieldSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("display_order", Self::DisplayOrder),
        ("field_name", Self::FieldName),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

/// A field name: `^[a-z][a-z0-9_]{0,63}$`.
pub fn field_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let mut chars = raw.chars();
    let ok = raw.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "must be 1 to 64 characters: a lower-case letter, then lower-case letters, digits or _",
        ))
    }
}

/// The options of a select field: 1 to 200 distinct strings of 1 to 100 characters (trimmed,
/// NFC), without `;` (the CSV list separator).
pub fn options(field: &str, raw: Vec<String>) -> Result<Vec<String>, Vec<FieldError>> {
    let mut e = Errors::new();
    if raw.is_empty() || raw.len() > MAX_OPTIONS {
        e.push(field, format!("must have 1 to {MAX_OPTIONS} options"));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, option) in raw.into_iter().enumerate() {
        let path = format!("{field}[{i}]");
        let option = crate::text::nfc(option.trim()).into_owned();
        if crate::text::is_blank(&option) || option.chars().count() > MAX_OPTION {
            e.push(&path, format!("must be 1 to {MAX_OPTION} characters, not blank"));
        } else if option.contains(';') || option.contains('\0') {
            e.push(&path, "must not contain ; or NUL");
        } else if !seen.insert(option.clone()) {
            e.push(&path, format!("repeats the option {option:?}"));
        } else {
            out.push(option);
        }
    }
    e.finish()?;
    Ok(out)
}

impl CustomField {
    /// Checks a value against the definition (`null` is checked by the caller: it removes the
    /// value).
    pub fn check(&self, value: &Value) -> std::result::Result<(), String> {
        let options = self.field_options.as_deref().unwrap_or_default();
        let listed = |options: &[String]| {
            let shown: Vec<&str> = options.iter().take(20).map(String::as_str).collect();
            format!("must be one of: {}", shown.join(", "))
        };
        match (self.field_type, value) {
            (FieldType::Text, Value::String(s)) if s.chars().count() <= MAX_NOTES => Ok(()),
            (FieldType::Text, Value::String(_)) => Err(format!("must be at most {MAX_NOTES} characters")),
            (FieldType::Text, _) => Err("must be a string".into()),
            (FieldType::Number, Value::Number(Number::Int(_))) => Ok(()),
            (FieldType::Number, Value::Number(Number::Float(f))) if f.is_finite() => Ok(()),
            (FieldType::Number, _) => Err("must be a finite number".into()),
            (FieldType::Select, Value::String(s)) if options.contains(s) => Ok(()),
            (FieldType::Select, _) => Err(listed(options)),
            (FieldType::Multiselect, Value::List(items)) => {
                let mut seen = BTreeSet::new();
                for item in items {
                    match item {
                        Value::String(s) if options.contains(s) => {
                            if !seen.insert(s) {
                                return Err(format!("repeats the option {s:?}"));
                            }
                        }
                        _ => return Err(format!("must be a list of distinct options; each {}", listed(options))),
                    }
                }
                Ok(())
            }
            (FieldType::Multiselect, _) => Err(format!("must be a list of distinct options; each {}", listed(options))),
            (FieldType::Date, Value::String(s)) if is_date(s) => Ok(()),
            (FieldType::Date, _) => Err("must be a date, YYYY-MM-DD".into()),
            (FieldType::Checkbox, Value::Bool(_)) => Ok(()),
            (FieldType::Checkbox, _) => Err("must be true or false".into()),
        }
    }
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// The custom fields a write touches.
#[derive(Debug)]
pub enum Touched<'a> {
    /// A create's: every name, and every required field must be there; a defined name sent as
    /// `null` is left out (null removes).
    Create(&'a mut BTreeMap<String, Value>),
    /// A PATCH's or a merge's names, with the values sent (`null` removes).
    Names(&'a BTreeMap<String, Value>),
}

/// Checks the custom fields a write touches against the definitions of the record's entity
/// type (names without one stay free-form): in a create every required field must be there,
/// and no write may set a required field to `null`. A wrong value is a 400 naming
/// `custom_fields.<name>`.
pub fn check_values<R: Record>(tx: &mut dyn Tx, ws: WorkspaceId, touched: Touched<'_>) -> Result<()> {
    let Some(entity) = R::ENTITY else {
        return Ok(());
    };
    let definitions = tx.custom_fields().definitions(ws, entity)?;
    if definitions.is_empty() {
        return Ok(());
    }
    let (sent, creating) = match &touched {
        Touched::Create(fields) => (&**fields, true),
        Touched::Names(names) => (*names, false),
    };
    let mut e = Errors::new();
    let mut removed = Vec::new();
    for d in &definitions {
        let path = format!("custom_fields.{}", d.field_name);
        match sent.get(&d.field_name) {
            None if d.required && creating => e.push(&path, "is required"),
            None => {}
            Some(Value::Null) if d.required => e.push(&path, "is required and cannot be null"),
            Some(Value::Null) => removed.push(&d.field_name),
            Some(value) => {
                if let Err(message) = d.check(value) {
                    e.push(&path, message);
                }
            }
        }
    }
    e.finish().map_err(DomainError::Validation)?;
    if let Touched::Create(fields) = touched {
        for name in removed {
            fields.remove(name);
        }
    }
    Ok(())
}

/// How a list filters and sorts on defined fields: `cf.<name>=<value>` and `sort=cf.<name>`,
/// as sent, then resolved by the use case against the definitions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomQuery {
    /// `cf.<name>` and the value, as sent, in order.
    pub filters: Vec<(String, String)>,
    /// The `<name>` of `sort=cf.<name>`.
    pub sort: Option<String>,
    /// The filters, resolved.
    pub conditions: Vec<CustomCondition>,
    /// The sort, resolved.
    pub order_by: Option<CustomSort>,
}

/// One resolved `cf.<name>=<value>`: the records holding this value of the field.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomCondition {
    /// The definition's id.
    pub field_id: String,
    /// The value to match.
    pub value: CustomMatch,
}

/// A value as the side table compares it.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomMatch {
    /// A text value (up to 10,000 characters: the index holds its first 200, the row the rest).
    Text(String),
    /// A select's or a multiselect's option or a date: at most 100 characters, so the index
    /// alone decides.
    Short(String),
    /// A number, a checkbox (1 or 0).
    Number(f64),
}

/// A resolved `sort=cf.<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSort {
    /// The definition's id.
    pub field_id: String,
    /// Whether its values sort as numbers (else as lower-cased text).
    pub numeric: bool,
}

impl CustomQuery {
    /// Whether it neither filters nor sorts.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty() && self.sort.is_none()
    }

    /// Resolves the names and values as sent against the entity type's definitions: an
    /// undefined name is a 400 naming `cf.<name>` (or `sort`), a value of the wrong form a 400
    /// naming `cf.<name>`.
    pub fn resolve(&mut self, definitions: &[CustomField]) -> Result<()> {
        let find = |name: &str| definitions.iter().find(|d| d.field_name == name);
        let mut e = Errors::new();
        self.conditions.clear();
        for (name, raw) in &self.filters {
            let path = format!("cf.{name}");
            let Some(d) = find(name) else {
                e.push(&path, "is not a defined custom field of these records");
                continue;
            };
            let value = match d.field_type {
                FieldType::Number => raw
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(CustomMatch::Number)
                    .ok_or("must be a number"),
                FieldType::Checkbox => match raw.as_str() {
                    "true" => Ok(CustomMatch::Number(1.0)),
                    "false" => Ok(CustomMatch::Number(0.0)),
                    _ => Err("must be true or false"),
                },
                FieldType::Date if !is_date(raw) => Err("must be a date, YYYY-MM-DD"),
                FieldType::Text => Ok(CustomMatch::Text(raw.clone())),
                FieldType::Select | FieldType::Multiselect | FieldType::Date => Ok(CustomMatch::Short(raw.clone())),
            };
            match value {
                Ok(value) => self.conditions.push(CustomCondition {
                    field_id: d.id.to_string(),
                    value,
                }),
                Err(message) => e.push(&path, message),
            }
        }
        self.order_by = None;
        if let Some(name) = &self.sort {
            match find(name) {
                Some(d) => {
                    self.order_by = Some(CustomSort {
                        field_id: d.id.to_string(),
                        numeric: d.field_type.numeric(),
                    });
                }
                None => e.push(
                    "sort",
                    format!("cf.{name} is not a defined custom field of these records"),
                ),
            }
        }
        e.finish().map_err(DomainError::Validation)
    }
}

/// Storage of definitions beyond the record port: what the machinery and the list queries need.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CustomFieldRepo {
    /// The workspace's definitions for an entity type, by field name.
    fn definitions(&mut self, ws: WorkspaceId, entity: EntityType) -> Result<Vec<CustomField>>;
    /// The number of records holding `option` in the field.
    fn holding(&mut self, field: CustomFieldId, option: &str) -> Result<u64>;
    /// The number of records holding a value of the field.
    fn count_values(&mut self, field: CustomFieldId) -> Result<u64>;
    /// Moves the free-form values of a new definition's name that fit it into its typed
    /// storage (values that do not fit stay free-form); returns how many moved.
    fn adopt(&mut self, definition: &CustomField) -> Result<u64>;
    /// Records that a deleted definition's values are to be reclaimed.
    fn schedule_purge(&mut self, ws: WorkspaceId, field: CustomFieldId, at: Timestamp) -> Result<()>;
    /// Whether values of deleted definitions are waiting to be reclaimed.
    fn purge_pending(&mut self) -> Result<bool>;
    /// Reclaims up to `batch` values of deleted definitions; returns how many it removed.
    fn purge(&mut self, batch: i64) -> Result<u64>;
}

impl Record for CustomField {
    type Id = CustomFieldId;
    type Changes = CustomFieldChanges;
    type Filter = CustomFieldFilter;
    type Sort = CustomFieldSort;
    const KIND: &'static str = "custom_field";
    const NAME: &'static str = "Custom field";
    const EXTRAS: bool = false;
    const WRITE: Permission = Permission::OwnerWrite;

    crate::record_accessors!(CustomField, custom_field_definitions);

    fn read(f: &mut Fields<'_>) -> CustomFieldChanges {
        CustomFieldChanges {
            entity_type: f.frozen("entity_type", EntityType::parse),
            field_name: f.frozen("field_name", field_name),
            field_label: f.required_text("field_label", MAX_NAME),
            field_type: f.frozen("field_type", FieldType::parse),
            field_options: f.list("field_options", options),
            required: f.flag("required"),
            display_order: f.defaulted_number("display_order", |name, n| match n {
                Number::Int(i) => Ok(i),
                Number::Float(_) => Err(FieldError::new(name, "must be a whole number")),
            }),
        }
    }

    fn blank(id: CustomFieldId, common: Common) -> Self {
        Self {
            id,
            entity_type: EntityType::Contacts,
            field_name: String::new(),
            field_label: String::new(),
            field_type: FieldType::Text,
            field_options: None,
            required: false,
            display_order: 0,
            common,
        }
    }

    fn apply(&mut self, c: CustomFieldChanges, _at: Timestamp, d: &mut Diff) -> Result<()> {
        let CustomFieldChanges {
            entity_type,
            field_name,
            field_type,
            field_label,
            field_options,
            required,
            display_order,
        } = c;
        // A create starts from the blank, whose name is empty (a stored one never is).
        let creating = self.field_name.is_empty();
        d.set("entity_type", &mut self.entity_type, entity_type);
        d.set("field_name", &mut self.field_name, field_name);
        d.set("field_type", &mut self.field_type, field_type);
        d.set("field_label", &mut self.field_label, field_label);
        match (self.field_type.has_options(), field_options) {
            (true, Patch::Set(o)) => d.set("field_options", &mut self.field_options, Some(Some(o))),
            (true, Patch::Absent) if !creating => {}
            (true, _) => {
                return Err(DomainError::field(
                    "field_options",
                    "is required for a select or multiselect field",
                ));
            }
            (false, Patch::Set(_)) => {
                return Err(DomainError::field(
                    "field_options",
                    format!("must be absent or null for a {} field", self.field_type.as_str()),
                ));
            }
            (false, _) => {}
        }
        d.set("required", &mut self.required, required);
        d.set("display_order", &mut self.display_order, display_order);
        Ok(())
    }

    fn unique(&self) -> Option<UniqueKey> {
        Some(UniqueKey {
            field: "field_name",
            shown: format!("{} on {}", self.field_name, self.entity_type.as_str()),
            key: format!("{}:{}", self.entity_type.as_str(), self.field_name),
        })
    }

    /// A new definition must stay within the workspace's limit; a PATCH may not remove an option
    /// that records hold (409 saying how many).
    fn check(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<()> {
        let ws = self.common.workspace_id;
        let Some(before) = before else {
            let count = u64::try_from(tx.custom_fields().definitions(ws, self.entity_type)?.len()).unwrap_or(u64::MAX);
            if count >= MAX_DEFINITIONS {
                return Err(DomainError::Conflict(format!(
                    "A workspace may have at most {MAX_DEFINITIONS} custom fields on {}.",
                    self.entity_type.as_str()
                )));
            }
            return Ok(());
        };
        let kept = self.field_options.as_deref().unwrap_or_default();
        for removed in before.field_options.iter().flatten().filter(|o| !kept.contains(o)) {
            let n = tx.custom_fields().holding(self.id, removed)?;
            if n > 0 {
                let records = if n == 1 { "record holds" } else { "records hold" };
                return Err(DomainError::Conflict(format!(
                    "{n} {records} the option {removed:?}; change them before removing it."
                )));
            }
        }
        Ok(())
    }

    fn after_write(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<()> {
        if before.is_none() {
            tx.custom_fields().adopt(self)?;
        }
        Ok(())
    }

    /// Its values vanish from every read with it (reads join live definitions); their storage
    /// is reclaimed afterwards. The entry says how many records held one.
    fn before_delete(
        tx: &mut dyn Tx,
        ws: WorkspaceId,
        id: CustomFieldId,
        at: Timestamp,
    ) -> Result<BTreeMap<String, Value>> {
        if tx.custom_field_definitions().get(ws, id)?.is_none() {
            return Ok(BTreeMap::new());
        }
        let removed = tx.custom_fields().count_values(id)?;
        tx.custom_fields().schedule_purge(ws, id, at)?;
        Ok(BTreeMap::from([(
            "values_removed".to_owned(),
            Value::Number(Number::Int(i64::try_from(removed).unwrap_or(i64::MAX))),
        )]))
    }

    fn search(&self) -> SearchText {
        SearchText::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn def(field_type: FieldType, options: Option<&[&str]>) -> CustomField {
        let common = Common {
            workspace_id: WorkspaceId::generate(),
            tags: Vec::new(),
            custom_fields: BTreeMap::new(),
            created_at: crate::time::now(),
            updated_at: crate::time::now(),
        };
        let mut d = CustomField::blank(CustomFieldId::generate(), common);
        d.field_type = field_type;
        d.field_options = options.map(|o| o.iter().map(|s| (*s).to_owned()).collect());
        d
    }

    #[rstest]
    #[case("tier", true)]
    #[case("a", true)]
    #[case("deal_size_2", true)]
    #[case("Tier", false)]
    #[case("dealSize", false)]
    #[case("2tier", false)]
    #[case("_tier", false)]
    #[case("", false)]
    #[case("tier-x", false)]
    fn field_names(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(field_name("field_name", raw).is_ok(), ok, "{raw}");
        assert!(field_name("f", &"a".repeat(64)).is_ok());
        assert!(field_name("f", &"a".repeat(65)).is_err());
    }

    #[test]
    fn options_are_distinct_bounded_and_trimmed() {
        assert_eq!(
            options("o", vec![" gold ".into(), "silver".into()]).unwrap(),
            ["gold", "silver"]
        );
        assert!(options("o", vec![]).is_err());
        assert!(options("o", (0..201).map(|i| i.to_string()).collect()).is_err());
        assert!(options("o", (0..200).map(|i| i.to_string()).collect()).is_ok());
        let repeated = options("o", vec!["a".into(), "a".into()]).unwrap_err();
        assert_eq!(repeated[0].field, "o[1]");
        assert!(options("o", vec!["a;b".into()]).is_err());
    }

    #[rstest]
    #[case(FieldType::Text, Value::from("x"), true)]
    #[case(FieldType::Text, Value::Number(Number::Int(1)), false)]
    #[case(FieldType::Number, Value::Number(Number::Float(1.5)), true)]
    #[case(FieldType::Number, Value::from("1"), false)]
    #[case(FieldType::Select, Value::from("gold"), true)]
    #[case(FieldType::Select, Value::from("bronze"), false)]
    #[case(FieldType::Multiselect, Value::List(vec![Value::from("gold"), Value::from("silver")]), true)]
    #[case(FieldType::Multiselect, Value::List(vec![Value::from("gold"), Value::from("gold")]), false)]
    #[case(FieldType::Multiselect, Value::from("gold"), false)]
    #[case(FieldType::Date, Value::from("2026-02-28"), true)]
    #[case(FieldType::Date, Value::from("2026-13-01"), false)]
    #[case(FieldType::Date, Value::from("2026-2-28"), false)]
    #[case(FieldType::Checkbox, Value::Bool(true), true)]
    #[case(FieldType::Checkbox, Value::from("true"), false)]
    fn values_are_checked_by_type(#[case] t: FieldType, #[case] v: Value, #[case] ok: bool) {
        let options: &[&str] = &["gold", "silver"];
        let d = def(t, t.has_options().then_some(options));
        assert_eq!(d.check(&v).is_ok(), ok, "{t:?} {v:?}");
    }

    #[test]
    fn a_query_resolves_names_and_values_against_the_definitions() {
        let mut tier = def(FieldType::Select, Some(&["gold"]));
        tier.field_name = "tier".into();
        let mut seats = def(FieldType::Number, None);
        seats.field_name = "seats".into();
        let mut q = CustomQuery {
            filters: vec![("tier".into(), "gold".into()), ("seats".into(), "12".into())],
            sort: Some("seats".into()),
            ..CustomQuery::default()
        };
        q.resolve(&[tier.clone(), seats.clone()]).unwrap();
        assert_eq!(q.conditions[1].value, CustomMatch::Number(12.0));
        assert_eq!(q.order_by.as_ref().map(|s| s.numeric), Some(true));
        let mut bad = CustomQuery {
            filters: vec![("nope".into(), "x".into()), ("seats".into(), "many".into())],
            sort: Some("nope".into()),
            ..CustomQuery::default()
        };
        let DomainError::Validation(errors) = bad.resolve(&[tier, seats]).unwrap_err() else {
            panic!("not a validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["cf.nope", "cf.seats", "sort"]);
    }
}
