//! Contact entity, its input forms and its list query.

use std::collections::BTreeMap;

use crate::error::{DomainError, Errors, FieldError};
use crate::id::{CompanyId, ContactId, WorkspaceId};
use crate::page::SortField;
use crate::record::{Common, Diff, Record, RecordRepo, SearchText, Snapshot, UniqueKey, id_list};
use crate::store::Tx;
use crate::text::{
    EmailAddress, HttpUrl, MAX_NAME, MAX_NOTES, MAX_PHONE, fold, optional_email, optional_text, optional_url,
    patch_optional_text, patch_required_text, patch_with, required_text,
};
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

/// A contact body as sent, with JSON types already checked.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// first_name.
    pub first_name: Option<String>,
    /// last_name.
    pub last_name: Option<String>,
    /// email.
    pub email: Option<String>,
    /// phone.
    pub phone: Option<String>,
    /// title.
    pub title: Option<String>,
    /// linkedin_url.
    pub linkedin_url: Option<String>,
    /// company_id (TypeID or UUID).
    pub company_id: Option<String>,
    /// notes.
    pub notes: Option<String>,
}

/// A checked new contact.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    /// first_name.
    pub first_name: String,
    /// last_name.
    pub last_name: Option<String>,
    /// email.
    pub email: Option<EmailAddress>,
    /// phone.
    pub phone: Option<String>,
    /// title.
    pub title: Option<String>,
    /// linkedin_url.
    pub linkedin_url: Option<HttpUrl>,
    /// company_id.
    pub company_id: Option<CompanyId>,
    /// notes.
    pub notes: Option<String>,
}

/// Parses a company reference (TypeID or UUID) in a body or query field.
pub fn company_reference(field: &str, raw: &str) -> Result<CompanyId, FieldError> {
    CompanyId::parse_reference(raw.trim()).ok_or_else(|| FieldError::new(field, "must be a company id (cmp_...)"))
}

/// Parses a contact reference (TypeID or UUID) in a body or query field.
pub fn contact_reference(field: &str, raw: &str) -> Result<ContactId, FieldError> {
    ContactId::parse_reference(raw.trim()).ok_or_else(|| FieldError::new(field, "must be a contact id (cnt_...)"))
}

impl NewContact {
    /// Checks every field, reporting all bad ones at once.
    pub fn parse(input: ContactInput) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let first_name = e.check(required_text("first_name", input.first_name, MAX_NAME));
        let last_name = e.check(optional_text("last_name", input.last_name, MAX_NAME)).flatten();
        let email = e.check(optional_email("email", input.email)).flatten();
        let phone = e.check(optional_text("phone", input.phone, MAX_PHONE)).flatten();
        let title = e.check(optional_text("title", input.title, MAX_NAME)).flatten();
        let linkedin_url = e.check(optional_url("linkedin_url", input.linkedin_url)).flatten();
        let company_id = input
            .company_id
            .and_then(|raw| e.check(patch_with("company_id", Patch::Set(raw), company_reference)))
            .and_then(Patch::into_option);
        let notes = e.check(optional_text("notes", input.notes, MAX_NOTES)).flatten();
        e.finish()?;
        let first_name = first_name.ok_or_else(|| vec![FieldError::new("first_name", "is required")])?;
        Ok(Self {
            first_name,
            last_name,
            email,
            phone,
            title,
            linkedin_url,
            company_id,
            notes,
        })
    }
}

/// A PATCH body as sent, with JSON types already checked.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    /// first_name.
    pub first_name: Patch<String>,
    /// last_name.
    pub last_name: Patch<String>,
    /// email.
    pub email: Patch<String>,
    /// phone.
    pub phone: Patch<String>,
    /// title.
    pub title: Patch<String>,
    /// linkedin_url.
    pub linkedin_url: Patch<String>,
    /// company_id.
    pub company_id: Patch<String>,
    /// notes.
    pub notes: Patch<String>,
}

/// A checked PATCH: only the fields sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactChanges {
    /// first_name (required: never cleared).
    pub first_name: Option<String>,
    /// last_name.
    pub last_name: Patch<String>,
    /// email.
    pub email: Patch<EmailAddress>,
    /// phone.
    pub phone: Patch<String>,
    /// title.
    pub title: Patch<String>,
    /// linkedin_url.
    pub linkedin_url: Patch<HttpUrl>,
    /// company_id.
    pub company_id: Patch<CompanyId>,
    /// notes.
    pub notes: Patch<String>,
}

impl ContactChanges {
    /// Checks every field sent, reporting all bad ones at once.
    pub fn parse(p: ContactPatch) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let first_name = e
            .check(patch_required_text("first_name", p.first_name, MAX_NAME))
            .flatten();
        let last_name = e
            .check(patch_optional_text("last_name", p.last_name, MAX_NAME))
            .unwrap_or_default();
        let email = e
            .check(patch_with("email", p.email, EmailAddress::parse))
            .unwrap_or_default();
        let phone = e
            .check(patch_optional_text("phone", p.phone, MAX_PHONE))
            .unwrap_or_default();
        let title = e
            .check(patch_optional_text("title", p.title, MAX_NAME))
            .unwrap_or_default();
        let linkedin_url = e
            .check(patch_with("linkedin_url", p.linkedin_url, HttpUrl::parse))
            .unwrap_or_default();
        let company_id = e
            .check(patch_with("company_id", p.company_id, company_reference))
            .unwrap_or_default();
        let notes = e
            .check(patch_optional_text("notes", p.notes, MAX_NOTES))
            .unwrap_or_default();
        e.finish()?;
        Ok(Self {
            first_name,
            last_name,
            email,
            phone,
            title,
            linkedin_url,
            company_id,
            notes,
        })
    }
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
    type New = NewContact;
    type Changes = ContactChanges;
    type Filter = ContactFilter;
    type Sort = ContactSort;
    const KIND: &'static str = "contact";
    const NAME: &'static str = "Contact";

    fn id(&self) -> ContactId {
        self.id
    }
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn build(id: ContactId, common: Common, n: NewContact) -> Self {
        Self {
            id,
            first_name: n.first_name,
            last_name: n.last_name,
            email: n.email,
            phone: n.phone,
            title: n.title,
            linkedin_url: n.linkedin_url,
            company_id: n.company_id,
            notes: n.notes,
            common,
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
        let deals = tx.deal_extras().remove_contact_links(ws, id)?;
        let mut deleted = BTreeMap::new();
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

    fn snapshot(&self) -> Snapshot {
        Snapshot::Contact(self.clone())
    }

    fn repo(tx: &mut dyn Tx) -> &mut dyn RecordRepo<Self> {
        tx.contacts()
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

    #[test]
    fn new_contact_reports_all_bad_fields_at_once() {
        let input = ContactInput {
            first_name: Some("  ".into()),
            email: Some("nope".into()),
            linkedin_url: Some("ftp://x".into()),
            company_id: Some("cnt_01h455vb4pex5vsknk084sn02q".into()),
            phone: Some("1".repeat(51)),
            ..Default::default()
        };
        let err = NewContact::parse(input).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_name", "email", "phone", "linkedin_url", "company_id"]);
    }

    #[test]
    fn blank_optional_fields_become_null_and_company_accepts_a_uuid() {
        let input = ContactInput {
            first_name: Some(" Jane ".into()),
            last_name: Some("".into()),
            email: Some("  ".into()),
            company_id: Some("01890a5d-ac96-774b-bcce-b302099a8057".into()),
            ..Default::default()
        };
        let c = NewContact::parse(input).unwrap();
        assert_eq!(c.first_name, "Jane");
        assert_eq!(c.last_name, None);
        assert_eq!(c.email, None);
        assert_eq!(
            c.company_id.map(|id| id.to_string()).as_deref(),
            Some("cmp_01h455vb4pex5vsknk084sn02q")
        );
    }

    #[test]
    fn patch_distinguishes_absent_null_and_value() {
        let patch = ContactPatch {
            last_name: Patch::Null,
            title: Patch::Set("CTO".into()),
            ..Default::default()
        };
        let c = ContactChanges::parse(patch).unwrap();
        assert_eq!(c.first_name, None);
        assert_eq!(c.last_name, Patch::Null);
        assert_eq!(c.title, Patch::Set("CTO".into()));
        assert_eq!(c.email, Patch::Absent);
    }

    #[test]
    fn patch_null_first_name_is_rejected() {
        let err = ContactChanges::parse(ContactPatch {
            first_name: Patch::Null,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err[0].field, "first_name");
    }

    #[test]
    fn filter_rejects_bad_company_id_but_not_any_q() {
        assert!(ContactFilter::parse(None, Some("\"' OR 1=1 --*")).is_ok());
        let err = ContactFilter::parse(Some("nope"), None).unwrap_err();
        assert_eq!(err[0].field, "company_id");
    }
}
