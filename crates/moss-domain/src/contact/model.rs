//! Contact entity, its input forms and its list query.

use std::collections::BTreeMap;

use crate::error::{DomainError, Errors, FieldError};
use crate::id::{CompanyId, ContactId, WorkspaceId};
use crate::page::SortField;
use crate::record::{Common, Diff, Fields, Record, SearchText, UniqueKey, id_list};
use crate::store::Tx;
use crate::text::{EmailAddress, HttpUrl, MAX_NAME, MAX_NOTES, MAX_PHONE, fold};
use crate::time::Timestamp;
use crate::value::{Patch, Value};

/// A person in the CRM.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// `cnt_` id.
    pub id: ContactId,
    /// Required.
    pub first_name: String,
    /// Optional.
    pub last_name: Option<String>,
    /// Unique per workspace, case-insensitively.
    pub email: Option<EmailAddress>,
    /// Optional.
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// LinkedIn profile.
    pub linkedin_url: Option<HttpUrl>,
    /// Company in the same workspace.
    pub company_id: Option<CompanyId>,
    /// Free text.
    pub notes: Option<String>,
    /// Workspace, tags, custom fields, timestamps.
    pub common: Common,
}

/// Parses a company reference (TypeID or UUID) in a body or query field.
pub fn company_reference(field: &str, raw: &str) -> Result<CompanyId, FieldError> {
    CompanyId::parse_reference(raw.trim()).ok_or_else(|| FieldError::new(field, "must be a company id (cmp_...)"))
}

/// Parses a contact reference (TypeID or UUID) in a body or query field.
pub fn contact_reference(field: &str, raw: &str) -> Result<ContactId, FieldError> {
    ContactId::parse_reference(raw.trim()).ok_or_else(|| FieldError::new(field, "must be a contact id (cnt_...)"))
}

/// A checked PATCH, or a create's fields (see [`Record::read`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactChanges {
    /// Required: never cleared.
    pub first_name: Option<String>,
    /// Optional text fields.
    pub last_name: Patch<String>,
    /// Unique per workspace, case-insensitively.
    pub email: Patch<EmailAddress>,
    /// Optional text fields.
    pub phone: Patch<String>,
    /// Optional text fields.
    pub title: Patch<String>,
    /// An http(s) URL.
    pub linkedin_url: Patch<HttpUrl>,
    /// A company of the workspace (TypeID or UUID).
    pub company_id: Patch<CompanyId>,
    /// Optional text fields.
    pub notes: Patch<String>,
}

/// The contacts list's own filters (beside `q`, `tag` and the sync window); they combine
/// with AND.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactFilter {
    /// Only contacts of this company.
    pub company_id: Option<CompanyId>,
    /// Only the contact with this email (folded).
    pub email: Option<String>,
}

impl ContactFilter {
    /// Parses the raw filter values, reporting every bad one.
    pub fn parse(company_id: Option<&str>, email: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let company_id = company_id.and_then(|raw| e.check(company_reference("company_id", raw)));
        e.finish()?;
        Ok(Self {
            company_id,
            email: email.map(|m| fold(m.trim())),
        })
    }
}

impl Record for Contact {
    type Id = ContactId;
    type Changes = ContactChanges;
    type Filter = ContactFilter;
    type Sort = ContactSort;
    const KIND: &'static str = "contact";
    const NAME: &'static str = "Contact";
    const ENTITY: Option<crate::custom_field::EntityType> = Some(crate::custom_field::EntityType::Contacts);

    crate::record_accessors!(Contact, contacts);

    fn blank(id: ContactId, common: Common) -> Self {
        Self {
            id,
            first_name: String::new(),
            last_name: None,
            email: None,
            phone: None,
            title: None,
            linkedin_url: None,
            company_id: None,
            notes: None,
            common,
        }
    }

    fn read(f: &mut Fields<'_>) -> ContactChanges {
        ContactChanges {
            first_name: f.required_text("first_name", MAX_NAME),
            last_name: f.text("last_name", MAX_NAME),
            email: f.optional("email", EmailAddress::parse),
            phone: f.text("phone", MAX_PHONE),
            title: f.text("title", MAX_NAME),
            linkedin_url: f.optional("linkedin_url", HttpUrl::parse),
            company_id: f.optional("company_id", company_reference),
            notes: f.text("notes", MAX_NOTES),
        }
    }

    fn apply(&mut self, c: ContactChanges, _at: Timestamp, d: &mut Diff) -> Result<(), DomainError> {
        d.set("first_name", &mut self.first_name, c.first_name);
        d.patch("last_name", &mut self.last_name, c.last_name);
        d.patch("email", &mut self.email, c.email);
        d.patch("phone", &mut self.phone, c.phone);
        d.patch("title", &mut self.title, c.title);
        d.patch("linkedin_url", &mut self.linkedin_url, c.linkedin_url);
        d.patch("company_id", &mut self.company_id, c.company_id);
        d.patch("notes", &mut self.notes, c.notes);
        Ok(())
    }

    fn unique(&self) -> Option<UniqueKey> {
        self.email.as_ref().map(|e| UniqueKey {
            field: "email",
            shown: e.as_str().to_owned(),
            key: e.normalized(),
        })
    }

    fn check(&self, tx: &mut dyn Tx, before: Option<&Self>) -> Result<(), DomainError> {
        if before.map(|b| b.company_id) != Some(self.company_id) {
            check_company(tx, self.common.workspace_id, self.company_id)?;
        }
        Ok(())
    }

    /// Its deal links go with it, listed in the entry (`{"deleted": {"deal_links": ...}}`) so
    /// that a mirror can apply the cascade; its deals stay.
    fn before_delete(
        tx: &mut dyn Tx,
        ws: WorkspaceId,
        id: ContactId,
        _at: Timestamp,
    ) -> Result<BTreeMap<String, Value>, DomainError> {
        let mut deleted = tx.engagements().delete_of_contact(ws, id)?.listed();
        let deals = tx.deal_extras().remove_contact_links(ws, id)?;
        deleted.insert("deal_links".to_owned(), id_list(&deals));
        Ok(BTreeMap::from([("deleted".to_owned(), Value::Map(deleted))]))
    }

    fn search(&self) -> SearchText {
        SearchText::of(
            [Some(self.first_name.as_str()), self.last_name.as_deref()],
            [self.email.as_ref().map(EmailAddress::as_str)],
            [self.title.as_deref(), self.notes.as_deref()],
        )
    }
}

/// Checks that a referenced company exists in the workspace (400 naming `company_id` if not).
pub fn check_company(tx: &mut dyn Tx, ws: WorkspaceId, id: Option<CompanyId>) -> Result<(), DomainError> {
    match id {
        Some(id) if tx.companies().get(ws, id)?.is_none() => Err(DomainError::field(
            "company_id",
            format!("no company {id} in this workspace"),
        )),
        _ => Ok(()),
    }
}

/// Sort fields of the contacts list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSort {
    /// created_at (default).
    CreatedAt,
    /// updated_at.
    UpdatedAt,
    /// first_name, case-insensitively.
    FirstName,
    /// last_name, case-insensitively.
    LastName,
    /// email, case-insensitively.
    Email,
}

impl SortField for ContactSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
        ("first_name", Self::FirstName),
        ("last_name", Self::LastName),
        ("email", Self::Email),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::read_own;
    use crate::testing::{MapForm, created};
    use crate::value::Patch;

    #[test]
    fn a_new_contact_reports_all_bad_fields_at_once() {
        let mut form = MapForm::new()
            .set("first_name", "  ")
            .set("email", "nope")
            .set("linkedin_url", "ftp://x")
            .set("company_id", "cnt_01h455vb4pex5vsknk084sn02q")
            .set("phone", &"1".repeat(51));
        let err = read_own::<Contact>(&mut form, true).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_name", "email", "phone", "linkedin_url", "company_id"]);
    }

    #[test]
    fn blank_optional_fields_become_null_and_company_accepts_a_uuid() {
        let mut form = MapForm::new()
            .set("first_name", " Jane ")
            .set("last_name", "")
            .set("email", "  ")
            .null("title")
            .set("company_id", "01890a5d-ac96-774b-bcce-b302099a8057");
        let c = created::<Contact>(&mut form).unwrap();
        assert_eq!(c.first_name, "Jane");
        assert_eq!((c.last_name, c.email, c.title), (None, None, None));
        assert_eq!(
            c.company_id.map(|id| id.to_string()).as_deref(),
            Some("cmp_01h455vb4pex5vsknk084sn02q")
        );
    }

    #[test]
    fn patch_distinguishes_absent_null_and_value() {
        let mut form = MapForm::new().null("last_name").set("title", "CTO");
        let c = read_own::<Contact>(&mut form, false).unwrap();
        assert_eq!(c.first_name, None);
        assert_eq!(c.last_name, Patch::Null);
        assert_eq!(c.title, Patch::Set("CTO".into()));
        assert_eq!(c.email, Patch::Absent);
    }

    #[test]
    fn a_null_first_name_is_required_in_a_create_and_refused_in_a_patch() {
        let err = read_own::<Contact>(&mut MapForm::new().null("first_name"), false).unwrap_err();
        assert_eq!(
            (err[0].field.as_str(), err[0].message.as_str()),
            ("first_name", "is required and cannot be null")
        );
        let err = read_own::<Contact>(&mut MapForm::new().null("first_name"), true).unwrap_err();
        assert_eq!(
            (err[0].field.as_str(), err[0].message.as_str()),
            ("first_name", "is required")
        );
    }

    #[test]
    fn filter_rejects_bad_company_id_but_not_any_q() {
        assert!(ContactFilter::parse(None, Some("\"' OR 1=1 --*")).is_ok());
        let err = ContactFilter::parse(Some("nope"), None).unwrap_err();
        assert_eq!(err[0].field, "company_id");
    }
}
