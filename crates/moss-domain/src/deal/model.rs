//! Deal entity, its value objects, input forms and list query.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use strum::IntoEnumIterator;

use crate::audit::AuditEvent;
use crate::contact::model::{check_company, company_reference, contact_reference};
use crate::error::{DomainError, Errors, FieldError};
use crate::id::{CompanyId, ContactId, DealId, WorkspaceId};
use crate::page::SortField;
use crate::record::{Audited, Common, Diff, Fields, Record, SearchText};
use crate::store::Tx;
use crate::text::{MAX_NAME, MAX_NOTES};
use crate::time::Timestamp;
use crate::value::{Number, Patch, Value};

crate::named_values! {
    /// Where a deal is in the pipeline.
    pub enum Stage ("stage") {
        /// `lead` (the default).
        Lead = "lead",
        /// `prospect`.
        Prospect = "prospect",
        /// `negotiation`.
        Negotiation = "negotiation",
        /// `won`: closed.
        Won = "won",
        /// `lost`: closed, with an optional reason.
        Lost = "lost",
    }
}

impl Stage {
    /// Whether the deal is closed (won or lost).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Won | Self::Lost)
    }
}

/// An ISO 4217 currency, from a maintained list (the `iso_currency` crate), stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The default currency.
    pub const USD: Self = Self(iso_currency::Currency::USD);

    /// Parses a code in any case (`usd` is `USD`); an unknown code is an error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        iso_currency::Currency::from_code(&raw.to_ascii_uppercase())
            .filter(|_| raw.len() == 3)
            .map(Self)
            .ok_or_else(|| FieldError::new(field, "must be an ISO 4217 currency code (USD, EUR, ...)"))
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &'static str {
        self.0.code()
    }

    /// Every code the list knows, upper-case, sorted.
    pub fn all_codes() -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = iso_currency::Currency::iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes
    }

    /// A stored code (already checked).
    pub fn from_stored(code: &str) -> Option<Self> {
        iso_currency::Currency::from_code(code).map(Self)
    }
}

impl Audited for Currency {
    fn audited(&self) -> Value {
        Value::String(self.as_str().to_owned())
    }
}

/// The largest deal value, in cents: 2^53 - 1, exact in every JSON client.
pub const MAX_VALUE: i64 = 9_007_199_254_740_991;

/// Most characters of a `lost_reason`.
pub const MAX_LOST_REASON: usize = 500;

/// A deal value in cents: a whole number from 0 to [`MAX_VALUE`] (`100.0` is 100).
pub fn cents(field: &str, n: Number) -> Result<i64, FieldError> {
    let whole = match n {
        Number::Int(i) => Some(i),
        #[allow(clippy::cast_possible_truncation)]
        Number::Float(f) if f.fract() == 0.0 && (0.0..=MAX_VALUE as f64).contains(&f) => Some(f as i64),
        Number::Float(_) => None,
    };
    whole
        .filter(|v| (0..=MAX_VALUE).contains(v))
        .ok_or_else(|| FieldError::new(field, format!("must be a whole number of cents from 0 to {MAX_VALUE}")))
}

/// Parses a deal reference (TypeID or UUID) in a body or query field.
pub fn deal_reference(field: &str, raw: &str) -> Result<DealId, FieldError> {
    DealId::parse_reference(raw.trim()).ok_or_else(|| FieldError::new(field, "must be a deal id (deal_...)"))
}

/// A calendar date, `YYYY-MM-DD` exactly.
pub fn date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldError::new(field, "must be a date (YYYY-MM-DD)"))
}

/// An opportunity moving through the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    /// `deal_` id.
    pub id: DealId,
    /// Required, 1-200 characters.
    pub name: String,
    /// Pipeline stage.
    pub stage: Stage,
    /// Integer cents, or unknown.
    pub value: Option<i64>,
    /// ISO 4217 currency.
    pub currency: Currency,
    /// Expected close date.
    pub expected_close: Option<NaiveDate>,
    /// Company in the same workspace.
    pub company_id: Option<CompanyId>,
    /// Free text.
    pub notes: Option<String>,
    /// Why it was lost (only while lost).
    pub lost_reason: Option<String>,
    /// When it was won or lost (kept by the server).
    pub closed_at: Option<Timestamp>,
    /// When it entered its stage (kept by the server).
    pub stage_changed_at: Timestamp,
    /// Workspace, tags, custom fields, timestamps.
    pub common: Common,
}

/// A checked deal PATCH (also what a stage move is), or a create's fields (see
/// [`Record::read`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DealChanges {
    /// Required: never cleared.
    pub name: Option<String>,
    /// Default `lead`; never cleared.
    pub stage: Option<Stage>,
    /// Cents, or unknown.
    pub value: Patch<i64>,
    /// Default `USD`; never cleared.
    pub currency: Option<Currency>,
    /// A date.
    pub expected_close: Patch<NaiveDate>,
    /// A company of the workspace.
    pub company_id: Patch<CompanyId>,
    /// Free text.
    pub notes: Patch<String>,
    /// Only with a lost stage.
    pub lost_reason: Patch<String>,
}

fn lost_reason_refused() -> FieldError {
    FieldError::new("lost_reason", "may only be set on a lost deal (stage lost)")
}

/// The deals list's own filters (beside `q`, `tag` and the sync window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DealFilter {
    /// Only deals in one of these stages (empty: any).
    pub stages: Vec<Stage>,
    /// Only deals of this company.
    pub company_id: Option<CompanyId>,
    /// Only deals linked to this contact.
    pub contact_id: Option<ContactId>,
    /// `value >=`.
    pub min_value: Option<i64>,
    /// `value <=`.
    pub max_value: Option<i64>,
    /// `expected_close <=`.
    pub expected_close_before: Option<NaiveDate>,
    /// `expected_close >=`.
    pub expected_close_after: Option<NaiveDate>,
}

fn query_cents(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| (0..=MAX_VALUE).contains(v))
        .ok_or_else(|| FieldError::new(field, format!("must be a whole number of cents from 0 to {MAX_VALUE}")))
}

impl DealFilter {
    /// Parses the raw filter values, reporting every bad one; `min_value` above `max_value` is
    /// an error naming `min_value`.
    pub fn parse<'a>(raw: impl Fn(&'static str) -> Option<&'a str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let stages = raw("stage")
            .and_then(|s| e.check(Stage::parse_list("stage", s)))
            .unwrap_or_default();
        let company_id = raw("company_id").and_then(|r| e.check(company_reference("company_id", r)));
        let contact_id = raw("contact_id").and_then(|r| e.check(contact_reference("contact_id", r)));
        let min_value = raw("min_value").and_then(|r| e.check(query_cents("min_value", r)));
        let max_value = raw("max_value").and_then(|r| e.check(query_cents("max_value", r)));
        if let (Some(min), Some(max)) = (min_value, max_value)
            && min > max
        {
            e.push("min_value", "must not be greater than max_value");
        }
        let expected_close_before =
            raw("expected_close_before").and_then(|r| e.check(date("expected_close_before", r)));
        let expected_close_after = raw("expected_close_after").and_then(|r| e.check(date("expected_close_after", r)));
        e.finish()?;
        Ok(Self {
            stages,
            company_id,
            contact_id,
            min_value,
            max_value,
            expected_close_before,
            expected_close_after,
        })
    }
}

/// Sort fields of the deals list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealSort {
    /// created_at (default).
    CreatedAt,
    /// updated_at.
    UpdatedAt,
    /// name, case-insensitively.
    Name,
    /// value (unknown values last).
    Value,
    /// expected_close (none last).
    ExpectedClose,
    /// stage_changed_at.
    StageChangedAt,
}

impl SortField for DealSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
        ("name", Self::Name),
        ("value", Self::Value),
        ("expected_close", Self::ExpectedClose),
        ("stage_changed_at", Self::StageChangedAt),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

impl Record for Deal {
    type Id = DealId;
    type Changes = DealChanges;
    type Filter = DealFilter;
    type Sort = DealSort;
    const KIND: &'static str = "deal";
    const NAME: &'static str = "Deal";
    const ENTITY: Option<crate::custom_field::EntityType> = Some(crate::custom_field::EntityType::Deals);

    crate::record_accessors!(Deal, deals);

    fn blank(id: DealId, common: Common) -> Self {
        Self {
            id,
            name: String::new(),
            stage: Stage::Lead,
            value: None,
            currency: Currency::USD,
            expected_close: None,
            company_id: None,
            notes: None,
            lost_reason: None,
            closed_at: None,
            stage_changed_at: common.created_at,
            common,
        }
    }

    fn read(f: &mut Fields<'_>) -> DealChanges {
        let changes = DealChanges {
            name: f.required_text("name", MAX_NAME),
            stage: f.defaulted("stage", Stage::parse),
            value: f.number("value", cents),
            currency: f.defaulted("currency", Currency::parse),
            expected_close: f.optional("expected_close", date),
            company_id: f.optional("company_id", company_reference),
            notes: f.text("notes", MAX_NOTES),
            lost_reason: f.text("lost_reason", MAX_LOST_REASON),
        };
        // A create knows its stage here (a PATCH's may be the stored one: `apply` checks it);
        // a stage reported already is not a reason to report the reason too.
        let open = changes.stage.unwrap_or(Stage::Lead) != Stage::Lost && !f.reported("stage");
        if f.creating() && matches!(changes.lost_reason, Patch::Set(_)) && open {
            f.refuse("lost_reason", lost_reason_refused().message);
        }
        changes
    }

    fn apply(&mut self, c: DealChanges, at: Timestamp, d: &mut Diff) -> Result<(), DomainError> {
        let stage = c.stage.unwrap_or(self.stage);
        if matches!(c.lost_reason, Patch::Set(_)) && stage != Stage::Lost {
            return Err(DomainError::Validation(vec![lost_reason_refused()]));
        }
        d.set("name", &mut self.name, c.name);
        d.patch("value", &mut self.value, c.value);
        d.set("currency", &mut self.currency, c.currency);
        d.patch("expected_close", &mut self.expected_close, c.expected_close);
        d.patch("company_id", &mut self.company_id, c.company_id);
        d.patch("notes", &mut self.notes, c.notes);
        if stage != self.stage {
            d.set("stage", &mut self.stage, Some(stage));
            d.set("stage_changed_at", &mut self.stage_changed_at, Some(at));
            d.set("closed_at", &mut self.closed_at, Some(stage.is_closed().then_some(at)));
            if stage != Stage::Lost {
                d.set("lost_reason", &mut self.lost_reason, Some(None));
            }
        }
        d.patch("lost_reason", &mut self.lost_reason, c.lost_reason);
        Ok(())
    }

    fn check(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<(), DomainError> {
        if before.map(|b| b.company_id) != Some(self.company_id) {
            check_company(tx, self.common.workspace_id, self.company_id)?;
        }
        Ok(())
    }

    fn update_event(&self, before: &Self, diff: Diff) -> AuditEvent {
        let mut event = AuditEvent::updated(Self::KIND, self.id, diff.into_changes());
        if before.stage != self.stage {
            event.verb = "stage_moved";
            event
                .metadata
                .insert("from_stage".to_owned(), Value::from(before.stage.as_str()));
            event
                .metadata
                .insert("to_stage".to_owned(), Value::from(self.stage.as_str()));
        }
        event
    }

    fn after_write(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<(), DomainError> {
        if before.is_none_or(|b| b.stage != self.stage) {
            tx.deal_extras()
                .enter_stage(self.common.workspace_id, self.id, self.stage, self.stage_changed_at)?;
        }
        Ok(())
    }

    fn before_delete(
        tx: &mut dyn Tx,
        ws: WorkspaceId,
        id: DealId,
        at: Timestamp,
    ) -> Result<BTreeMap<String, Value>, DomainError> {
        tx.deal_extras().forget_deal(ws, id)?;
        let cleared = tx.engagements().clear_deal(ws, id, at)?.listed();
        Ok(BTreeMap::from([("cleared".to_owned(), Value::Map(cleared))]))
    }

    fn search(&self) -> SearchText {
        SearchText::of([Some(self.name.as_str())], [], [self.notes.as_deref()])
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::record::read_own;
    use crate::testing::{MapForm, created};

    #[rstest]
    #[case("usd", Some("USD"))]
    #[case("EUR", Some("EUR"))]
    #[case("eUr", Some("EUR"))]
    #[case("XTS", Some("XTS"))]
    #[case("ABC", None)]
    #[case("US", None)]
    #[case("USDD", None)]
    #[case("", None)]
    fn currencies_come_from_the_iso_list_in_any_case(#[case] raw: &str, #[case] code: Option<&str>) {
        assert_eq!(Currency::parse("currency", raw).ok().map(|c| c.as_str()), code);
    }

    #[test]
    fn the_currency_list_is_the_maintained_one() {
        let codes = Currency::all_codes();
        assert!(codes.len() > 150, "{}", codes.len());
        assert!(codes.contains(&"USD") && codes.contains(&"JPY") && codes.windows(2).all(|w| w[0] < w[1]));
    }

    #[rstest]
    #[case(Number::Int(0), Some(0))]
    #[case(Number::Int(MAX_VALUE), Some(MAX_VALUE))]
    #[case(Number::Int(MAX_VALUE + 1), None)]
    #[case(Number::Int(-1), None)]
    #[case(Number::Float(100.0), Some(100))]
    #[case(Number::Float(1.5), None)]
    #[case(Number::Float(1e300), None)]
    fn values_are_whole_cents_up_to_2_53(#[case] n: Number, #[case] want: Option<i64>) {
        assert_eq!(cents("value", n).ok(), want);
    }

    #[rstest]
    #[case("2026-03-31", true)]
    #[case("2026-02-30", false)]
    #[case("2026-3-31", false)]
    #[case("2026-03-31T00:00:00Z", false)]
    #[case(" 2026-03-31", false)]
    fn dates_are_exactly_yyyy_mm_dd(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(date("d", raw).is_ok(), ok);
    }

    #[test]
    fn a_new_deal_defaults_to_lead_in_usd_and_refuses_lost_reason_unless_lost() {
        let d = created::<Deal>(&mut MapForm::new().set("name", "Big")).unwrap();
        assert_eq!((d.stage, d.currency.as_str(), d.value), (Stage::Lead, "USD", None));
        assert_eq!((d.closed_at, d.stage_changed_at), (None, d.common.created_at));
        let err =
            read_own::<Deal>(&mut MapForm::new().set("name", "Big").set("lost_reason", "price"), true).unwrap_err();
        assert_eq!(err[0].field, "lost_reason");
        let lost = created::<Deal>(
            &mut MapForm::new()
                .set("name", "Big")
                .set("stage", "lost")
                .set("lost_reason", "price")
                .set("currency", "eur"),
        )
        .unwrap();
        assert_eq!(
            (lost.currency.as_str(), lost.lost_reason.as_deref()),
            ("EUR", Some("price"))
        );
        assert_eq!(lost.closed_at, Some(lost.common.created_at), "created closed");
        // `null` for a defaulted field is its default in a create, refused in a PATCH.
        let d = created::<Deal>(&mut MapForm::new().set("name", "Big").null("stage").null("currency")).unwrap();
        assert_eq!((d.stage, d.currency), (Stage::Lead, Currency::USD));
        let err = read_own::<Deal>(&mut MapForm::new().null("stage").null("currency"), false).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["stage", "currency"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let form = MapForm::new()
            .set("stage", "won!")
            .number("value", Number::Int(-5))
            .set("currency", "zzz")
            .set("expected_close", "tomorrow")
            .set("company_id", "nope");
        let err = read_own::<Deal>(&mut form.set("lost_reason", "price"), true).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        // Not `lost_reason`: with the stage unreadable, nothing says the deal is open.
        assert_eq!(
            fields,
            ["name", "stage", "value", "currency", "expected_close", "company_id"]
        );
    }

    #[test]
    fn stage_lists_refuse_an_unknown_stage_and_min_above_max_names_min() {
        assert_eq!(
            Stage::parse_list("stage", "lead,prospect,lead").unwrap(),
            [Stage::Lead, Stage::Prospect]
        );
        assert!(Stage::parse_list("stage", "lead,open").is_err());
        assert!(Stage::parse_list("stage", "lead,").is_err());
        let err = DealFilter::parse(|name| match name {
            "min_value" => Some("10"),
            "max_value" => Some("5"),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(err[0].field, "min_value");
    }

    fn stored(stage: Stage) -> Deal {
        let mut d = Deal::blank(
            DealId::generate(),
            crate::testing::stored_common(WorkspaceId::generate()),
        );
        d.name = "Big".into();
        d.stage = stage;
        d.value = Some(100);
        d.closed_at = stage.is_closed().then_some(d.common.created_at);
        if stage == Stage::Lost {
            d.lost_reason = Some("price".into());
        }
        d
    }

    #[test]
    fn a_move_keeps_the_server_fields_and_lists_them_in_the_changes() {
        let mut d = stored(Stage::Lead);
        let at = crate::time::now();
        let mut diff = Diff::default();
        d.apply(
            DealChanges {
                stage: Some(Stage::Won),
                ..Default::default()
            },
            at,
            &mut diff,
        )
        .unwrap();
        assert_eq!((d.stage, d.closed_at, d.stage_changed_at), (Stage::Won, Some(at), at));
        for f in ["stage", "closed_at", "stage_changed_at"] {
            assert!(diff.changed(f), "{f}");
        }
        // Leaving lost clears the reason and closed_at.
        let mut lost = stored(Stage::Lost);
        let mut diff = Diff::default();
        lost.apply(
            DealChanges {
                stage: Some(Stage::Prospect),
                ..Default::default()
            },
            at,
            &mut diff,
        )
        .unwrap();
        assert_eq!((lost.lost_reason, lost.closed_at), (None, None));
        assert!(diff.changed("lost_reason") && diff.changed("closed_at"));
    }

    #[test]
    fn lost_reason_needs_a_lost_deal_and_a_same_stage_move_changes_nothing() {
        let mut open = stored(Stage::Prospect);
        let err = open
            .apply(
                DealChanges {
                    lost_reason: Patch::Set("x".into()),
                    ..Default::default()
                },
                crate::time::now(),
                &mut Diff::default(),
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(ref f) if f[0].field == "lost_reason"));
        let mut same = stored(Stage::Prospect);
        let mut diff = Diff::default();
        same.apply(
            DealChanges {
                stage: Some(Stage::Prospect),
                ..Default::default()
            },
            crate::time::now(),
            &mut diff,
        )
        .unwrap();
        assert!(diff.is_empty());
        // A new reason on a lost deal is an update of the reason only.
        let mut lost = stored(Stage::Lost);
        let mut diff = Diff::default();
        lost.apply(
            DealChanges {
                lost_reason: Patch::Set("timing".into()),
                ..Default::default()
            },
            crate::time::now(),
            &mut diff,
        )
        .unwrap();
        assert_eq!(diff.into_changes().len(), 1);
    }
}
