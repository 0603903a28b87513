//! The store contract suite: every repository behaviour the domain relies on, run against
//! SQLite (always) and Postgres (when the harness can get one; see `moss_store_diesel::testing`).
//! Ordering tests also run on a Postgres database whose default collation is ICU `en-US`, to
//! prove that no ordering depends on the database's collation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp as SqlTimestamp};
use moss_domain::actor::{Actor, ActorKind, Role, Scope};
use moss_domain::audit::{AuditEntry, AuditEvent};
use moss_domain::company::{Company, CompanyFilter, CompanySort, Domain};
use moss_domain::contact::{Contact, ContactFilter, ContactSort};
use moss_domain::custom_field::{CustomField, EntityType, FieldType};
use moss_domain::id::{AuditId, CompanyId, ContactId, CustomFieldId, KeyId, MemberId, WorkspaceId};
use moss_domain::key::{ApiKey, KeySecret, KeySort};
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::record::{Common, ListFilter, Window};
use moss_domain::store::{Change, Mode, Store, Tx};
use moss_domain::tag::{TagCount, TagSort};
use moss_domain::text::{EmailAddress, HttpUrl, TagName};
use moss_domain::time::Timestamp;
use moss_domain::value::{Number, Value};
use moss_domain::workspace::{Member, Slug, Workspace};
use moss_domain::{DomainError, Result};
use moss_store_diesel::testing::TestDatabase;
use moss_store_diesel::{Backend, DieselStore, MossConnection, PoolSettings};
use rstest::rstest;

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

/// Where a test runs.
#[derive(Debug, Clone, Copy)]
enum Db {
    Sqlite,
    Postgres,
    /// Postgres with an ICU `en-US` default collation (not "C"-like), for ordering tests.
    PostgresIcu,
}

impl From<Backend> for Db {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Sqlite => Self::Sqlite,
            Backend::Postgres => Self::Postgres,
        }
    }
}

/// A migrated database and a store on it. `store` is declared first so that its pool closes
/// before the database is dropped.
struct Fx {
    store: DieselStore,
    db: TestDatabase,
}

impl Fx {
    fn new(db: impl Into<Db>) -> Option<Self> {
        let db = match db.into() {
            Db::Sqlite => TestDatabase::new(Backend::Sqlite)?,
            Db::Postgres => TestDatabase::new(Backend::Postgres)?,
            Db::PostgresIcu => {
                TestDatabase::postgres_with("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")?
            }
        };
        Some(Self { store: db.store(), db })
    }

    fn dyn_store(&self) -> &dyn Store {
        &self.store
    }

    /// A read-only unit of work.
    fn read<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        self.dyn_store().read(f)
    }

    /// A write unit of work (one transaction) through `Store::run`.
    fn write<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut f = Some(f);
        let mut out = None;
        self.store.run(Mode::Write, &mut |tx| {
            out = Some((f.take().expect("runs once"))(tx)?);
            Ok(())
        })?;
        Ok(out.expect("ran"))
    }

    fn workspace(&self, slug: &str) -> WorkspaceId {
        let w = Workspace {
            id: WorkspaceId::generate(),
            name: format!("Workspace {slug}"),
            slug: Slug::parse("slug", slug).unwrap(),
            created_at: ts(0),
            updated_at: ts(1),
        };
        self.write(|tx| tx.workspaces().insert_workspace(&w)).unwrap();
        w.id
    }

    /// Inserts a contact the way the domain does: tags made canonical first.
    fn insert_contact(&self, c: &Contact) -> Contact {
        self.write(|tx| {
            let mut c = c.clone();
            c.common.tags = canonical(tx, c.common.workspace_id, &c.common.tags)?;
            tx.contacts().insert(&c)?;
            Ok(c)
        })
        .unwrap()
    }

    fn update_contact(&self, c: &Contact) -> Result<Contact> {
        self.write(|tx| {
            let mut c = c.clone();
            c.common.tags = canonical(tx, c.common.workspace_id, &c.common.tags)?;
            let before = tx
                .contacts()
                .get(c.common.workspace_id, c.id)?
                .unwrap_or_else(|| c.clone());
            tx.contacts().update(&c, &before)?;
            Ok(c)
        })
    }

    fn insert_company(&self, c: &Company) -> Company {
        self.write(|tx| {
            let mut c = c.clone();
            c.common.tags = canonical(tx, c.common.workspace_id, &c.common.tags)?;
            tx.companies().insert(&c)?;
            Ok(c)
        })
        .unwrap()
    }

    fn contact(&self, ws: WorkspaceId, id: ContactId) -> Option<Contact> {
        self.read(|tx| tx.contacts().get(ws, id)).unwrap()
    }

    fn contacts(
        &self,
        ws: WorkspaceId,
        filter: &ListFilter<ContactFilter>,
        page: &PageRequest<ContactSort>,
    ) -> Page<Contact> {
        self.read(|tx| tx.contacts().list(ws, filter, page)).unwrap()
    }

    /// Ids of every contact matching `q`, in the default order.
    fn search_contacts(&self, ws: WorkspaceId, q: &str) -> Vec<ContactId> {
        let filter = contact_filter(Some(q), None, None, None).unwrap();
        let page = self.contacts(ws, &filter, &page_of(ContactSort::CreatedAt, SortOrder::Asc, 1, 250));
        assert_eq!(page.total, page.items.len() as u64, "total of {q:?}");
        page.items.iter().map(|c| c.id).collect()
    }

    fn search_companies(&self, ws: WorkspaceId, q: &str) -> Vec<CompanyId> {
        let filter = company_filter(Some(q), None, None);
        let page = self
            .read(|tx| {
                tx.companies()
                    .list(ws, &filter, &page_of(CompanySort::CreatedAt, SortOrder::Asc, 1, 250))
            })
            .unwrap();
        assert_eq!(page.total, page.items.len() as u64, "total of {q:?}");
        page.items.iter().map(|c| c.id).collect()
    }

    /// A raw connection, for checks the ports do not offer.
    fn conn(&self) -> MossConnection {
        self.db.url().connect().unwrap()
    }

    fn count_rows(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let rows: Vec<N> = match &mut self.conn() {
            MossConnection::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
            MossConnection::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
        };
        rows[0].n
    }
}

/// Returns early (skipping the test) when the database cannot be had.
macro_rules! fixture {
    ($db:expr) => {
        match Fx::new($db) {
            Some(fx) => fx,
            None => return,
        }
    };
}

/// A contacts list filter from the raw `q`, `company_id`, `tag` and `email` values.
fn contact_filter(
    q: Option<&str>,
    company_id: Option<&str>,
    tag: Option<&str>,
    email: Option<&str>,
) -> std::result::Result<ListFilter<ContactFilter>, Vec<moss_domain::FieldError>> {
    Ok(ListFilter::new(
        q,
        tag,
        Window::default(),
        ContactFilter::parse(company_id, email)?,
    ))
}

/// A companies list filter from the raw `q`, `tag` and `domain` values.
fn company_filter(q: Option<&str>, tag: Option<&str>, domain: Option<&str>) -> ListFilter<CompanyFilter> {
    ListFilter::new(q, tag, Window::default(), CompanyFilter::parse(domain))
}

fn canonical(tx: &mut dyn Tx, ws: WorkspaceId, tags: &[TagName]) -> Result<Vec<TagName>> {
    moss_domain::tag::service::canonical_tags(tx, ws, tags, ts(0))
}

/// 2026-01-02T03:04:05.123456Z plus `micros` microseconds: sub-second parts on purpose.
fn ts(micros: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + TimeDelta::microseconds(123_456 + micros)
}

fn tags(names: &[&str]) -> Vec<TagName> {
    names.iter().map(|n| TagName::parse("tags", n).unwrap()).collect()
}

fn tag_names(tags: &[TagName]) -> Vec<&str> {
    tags.iter().map(TagName::as_str).collect()
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse("email", s).unwrap()
}

fn page_of<S>(sort: S, order: SortOrder, page: u32, per_page: u32) -> PageRequest<S> {
    PageRequest {
        page,
        per_page,
        sort,
        order,
    }
}

fn new_contact(ws: WorkspaceId, first_name: &str) -> Contact {
    Contact {
        id: ContactId::generate(),
        first_name: first_name.to_owned(),
        last_name: None,
        email: None,
        phone: None,
        title: None,
        linkedin_url: None,
        company_id: None,
        notes: None,
        common: Common {
            workspace_id: ws,
            tags: Vec::new(),
            custom_fields: BTreeMap::new(),
            created_at: ts(0),
            updated_at: ts(0),
        },
    }
}

fn new_company(ws: WorkspaceId, name: &str) -> Company {
    Company {
        id: CompanyId::generate(),
        name: name.to_owned(),
        domain: None,
        industry: None,
        website: None,
        phone: None,
        notes: None,
        common: Common {
            workspace_id: ws,
            tags: Vec::new(),
            custom_fields: BTreeMap::new(),
            created_at: ts(0),
            updated_at: ts(0),
        },
    }
}

fn new_member(ws: WorkspaceId, mail: &str, role: Role, at: Timestamp) -> Member {
    Member {
        id: MemberId::generate(),
        workspace_id: ws,
        email: email(mail),
        name: Some(format!("Member {mail}")),
        role,
        created_at: at,
        updated_at: at,
    }
}

fn new_key(ws: WorkspaceId, member: MemberId, name: &str, at: Timestamp) -> (ApiKey, KeySecret) {
    let secret = KeySecret::generate();
    let key = ApiKey {
        id: KeyId::generate(),
        workspace_id: ws,
        member_id: member,
        name: name.to_owned(),
        scope: Scope::ReadOnly,
        prefix: secret.prefix(),
        // Far in the future: expired keys are not listed.
        expires_at: Some(Utc.with_ymd_and_hms(2099, 1, 2, 3, 4, 5).unwrap() + TimeDelta::microseconds(654_321)),
        last_used_at: None,
        revoked_at: None,
        created_at: at,
    };
    (key, secret)
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T>) -> bool {
    matches!(r, Err(DomainError::Conflict(_)))
}

/// The order the contract promises: nulls last in both directions, then the key in the
/// requested direction, then the id in the same direction.
fn expected_order<K: Ord + Clone>(rows: &[(String, Option<K>)], order: SortOrder) -> Vec<String> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        let nulls = a.1.is_none().cmp(&b.1.is_none());
        let values = a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0));
        nulls.then(match order {
            SortOrder::Asc => values,
            SortOrder::Desc => values.reverse(),
        })
    });
    rows.into_iter().map(|(id, _)| id).collect()
}

/// How both databases compare text case-insensitively: ASCII letters lower-cased, then bytes.
fn text_key(s: &str) -> Vec<u8> {
    s.to_ascii_lowercase().into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Workspaces, members, keys
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn workspaces_and_members(#[case] backend: Backend) {
    let fx = fixture!(backend);
    assert_eq!(fx.read(|tx| tx.workspaces().count_workspaces()).unwrap(), 0);
    let w = Workspace {
        id: WorkspaceId::generate(),
        name: "Acme Sales".into(),
        slug: Slug::parse("slug", "acme").unwrap(),
        created_at: ts(0),
        updated_at: ts(7),
    };
    fx.write(|tx| tx.workspaces().insert_workspace(&w)).unwrap();
    assert_eq!(fx.read(|tx| tx.workspaces().workspace(w.id)).unwrap(), Some(w.clone()));
    assert_eq!(
        fx.read(|tx| tx.workspaces().workspace_by_slug("acme")).unwrap(),
        Some(w.clone())
    );
    assert_eq!(fx.read(|tx| tx.workspaces().workspace_by_slug("other")).unwrap(), None);
    assert_eq!(
        fx.read(|tx| tx.workspaces().workspace(WorkspaceId::generate()))
            .unwrap(),
        None
    );
    let same_slug = Workspace {
        id: WorkspaceId::generate(),
        ..w.clone()
    };
    assert!(is_conflict(
        &fx.write(|tx| tx.workspaces().insert_workspace(&same_slug))
    ));
    assert_eq!(fx.read(|tx| tx.workspaces().count_workspaces()).unwrap(), 1);

    let member = new_member(w.id, "Bob@Example.com", Role::Member, ts(0));
    let owner2 = new_member(w.id, "owner2@example.com", Role::Owner, ts(2));
    let owner1 = new_member(w.id, "owner1@example.com", Role::Owner, ts(1));
    for m in [&member, &owner2, &owner1] {
        fx.write(|tx| tx.workspaces().insert_member(m)).unwrap();
    }
    assert_eq!(
        fx.read(|tx| tx.workspaces().member(w.id, member.id)).unwrap(),
        Some(member.clone())
    );
    assert_eq!(
        fx.read(|tx| tx.workspaces().member_by_email(w.id, "bob@example.com"))
            .unwrap(),
        Some(member.clone())
    );
    assert_eq!(
        fx.read(|tx| tx.workspaces().first_owner(w.id)).unwrap(),
        Some(owner1.clone())
    );
    // Emails are unique per workspace, case-insensitively.
    let dup = new_member(w.id, "BOB@example.COM", Role::Owner, ts(3));
    assert!(is_conflict(&fx.write(|tx| tx.workspaces().insert_member(&dup))));
    // ... but not across workspaces, and members are not visible across them.
    let other = fx.workspace("other");
    let elsewhere = new_member(other, "bob@example.com", Role::Owner, ts(3));
    fx.write(|tx| tx.workspaces().insert_member(&elsewhere)).unwrap();
    assert_eq!(fx.read(|tx| tx.workspaces().member(other, member.id)).unwrap(), None);
    assert_eq!(
        fx.read(|tx| tx.workspaces().first_owner(other)).unwrap(),
        Some(elsewhere)
    );

    let page = fx
        .read(|tx| tx.workspaces().list_members(w.id, &PageRequest::first()))
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        [owner2.id, owner1.id, member.id]
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn api_keys(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let member = new_member(ws, "m@example.com", Role::Member, ts(0));
    fx.write(|tx| tx.workspaces().insert_member(&member)).unwrap();
    let (key, secret) = new_key(ws, member.id, "CI", ts(5));
    fx.write(|tx| tx.keys().insert_key(&key, &secret.digest())).unwrap();

    // Found by digest with the member's role, revoked or not.
    let stored = fx
        .read(|tx| tx.keys().key_by_digest(&secret.digest()))
        .unwrap()
        .unwrap();
    assert_eq!(stored.key, key);
    assert_eq!(stored.digest, secret.digest().to_vec());
    assert_eq!(stored.role, Role::Member);
    assert!(fx.read(|tx| tx.keys().key_by_digest(&[7; 32])).unwrap().is_none());
    // The digest is unique.
    let (twin, _) = new_key(ws, member.id, "twin", ts(6));
    assert!(is_conflict(
        &fx.write(|tx| tx.keys().insert_key(&twin, &secret.digest()))
    ));

    assert_eq!(
        fx.read(|tx| tx.keys().active_key(ws, key.id)).unwrap(),
        Some(key.clone())
    );
    let other = fx.workspace("other");
    assert_eq!(fx.read(|tx| tx.keys().active_key(other, key.id)).unwrap(), None);

    // touch_key: sets when never used, not again while fresh, again once stale.
    fx.write(|tx| tx.keys().touch_key(key.id, ts(100), ts(40))).unwrap();
    let used = |fx: &Fx| {
        fx.read(|tx| tx.keys().active_key(ws, key.id))
            .unwrap()
            .unwrap()
            .last_used_at
    };
    assert_eq!(used(&fx), Some(ts(100)));
    fx.write(|tx| tx.keys().touch_key(key.id, ts(150), ts(99))).unwrap();
    assert_eq!(
        used(&fx),
        Some(ts(100)),
        "fresh: last_used_at is later than stale_before"
    );
    fx.write(|tx| tx.keys().touch_key(key.id, ts(200), ts(100))).unwrap();
    assert_eq!(
        used(&fx),
        Some(ts(200)),
        "stale: last_used_at is not later than stale_before"
    );
    fx.write(|tx| tx.keys().touch_key(KeyId::generate(), ts(300), ts(300)))
        .unwrap();

    // Listing shows active keys only; revoking is scoped to the workspace and happens once.
    let (second, second_secret) = new_key(ws, member.id, "backup", ts(6));
    fx.write(|tx| tx.keys().insert_key(&second, &second_secret.digest()))
        .unwrap();
    let listed = |fx: &Fx| {
        let p = fx
            .read(|tx| {
                tx.keys()
                    .list_keys(ws, &page_of(KeySort::CreatedAt, SortOrder::Desc, 1, 25))
            })
            .unwrap();
        (p.total, p.items.iter().map(|k| k.id).collect::<Vec<_>>())
    };
    assert_eq!(listed(&fx), (2, vec![second.id, key.id]));
    assert!(matches!(
        fx.write(|tx| tx.keys().revoke_key(other, key.id, ts(500))),
        Err(DomainError::NotFound(_))
    ));
    fx.write(|tx| tx.keys().revoke_key(ws, key.id, ts(500))).unwrap();
    assert!(matches!(
        fx.write(|tx| tx.keys().revoke_key(ws, key.id, ts(600))),
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        fx.write(|tx| tx.keys().revoke_key(ws, KeyId::generate(), ts(600))),
        Err(DomainError::NotFound(_))
    ));
    assert_eq!(fx.read(|tx| tx.keys().active_key(ws, key.id)).unwrap(), None);
    assert_eq!(listed(&fx), (1, vec![second.id]));
    let revoked = fx
        .read(|tx| tx.keys().key_by_digest(&secret.digest()))
        .unwrap()
        .unwrap();
    assert_eq!(revoked.key.revoked_at, Some(ts(500)));
    assert_eq!(revoked.key.last_used_at, Some(ts(200)));
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[case::postgres_icu(Db::PostgresIcu)]
fn keys_sort_with_nulls_last(#[case] db: Db) {
    let fx = fixture!(db);
    let ws = fx.workspace("acme");
    let member = new_member(ws, "m@example.com", Role::Owner, ts(0));
    fx.write(|tx| tx.workspaces().insert_member(&member)).unwrap();
    let specs: [(&str, i64, Option<i64>); 6] = [
        ("beta", 0, Some(5)),
        ("Alpha", 0, None),
        ("alpha", 1, Some(5)),
        ("_ops", 1_000_000, None),
        ("Zulu", -1, Some(1_000)),
        ("éclair", 0, Some(0)),
    ];
    let mut keys = Vec::new();
    for (name, created, used) in specs {
        let (mut key, secret) = new_key(ws, member.id, name, ts(created));
        key.last_used_at = used.map(ts);
        fx.write(|tx| tx.keys().insert_key(&key, &secret.digest())).unwrap();
        keys.push(key);
    }
    for sort in [KeySort::CreatedAt, KeySort::Name, KeySort::LastUsedAt] {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let got: Vec<String> = fx
                .read(|tx| tx.keys().list_keys(ws, &page_of(sort, order, 1, 25)))
                .unwrap()
                .items
                .iter()
                .map(|k| k.id.to_string())
                .collect();
            let want = match sort {
                KeySort::CreatedAt => expected_order(
                    &keys
                        .iter()
                        .map(|k| (k.id.to_string(), Some(k.created_at)))
                        .collect::<Vec<_>>(),
                    order,
                ),
                KeySort::Name => expected_order(
                    &keys
                        .iter()
                        .map(|k| (k.id.to_string(), Some(text_key(&k.name))))
                        .collect::<Vec<_>>(),
                    order,
                ),
                KeySort::LastUsedAt => expected_order(
                    &keys
                        .iter()
                        .map(|k| (k.id.to_string(), k.last_used_at))
                        .collect::<Vec<_>>(),
                    order,
                ),
            };
            assert_eq!(got, want, "{sort:?} {order:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------------------------

fn full_contact(ws: WorkspaceId) -> Contact {
    let mut custom = BTreeMap::new();
    custom.insert("tier".to_owned(), Value::String("gold".into()));
    custom.insert("seats".to_owned(), Value::Number(Number::Int(-42)));
    custom.insert("score".to_owned(), Value::Number(Number::Float(0.25)));
    custom.insert("vip".to_owned(), Value::Bool(true));
    custom.insert("none".to_owned(), Value::Null);
    custom.insert(
        "langs".to_owned(),
        Value::List(vec![Value::String("en".into()), Value::String("fr".into())]),
    );
    Contact {
        last_name: Some("O'Brien".into()),
        email: Some(email("Jane.OBrien@Example.com")),
        phone: Some("+1 555 0100".into()),
        title: Some("Head of Ops".into()),
        linkedin_url: Some(HttpUrl::parse("linkedin_url", "https://www.linkedin.com/in/jane").unwrap()),
        notes: Some("Met at the fair. Ünïcödé ✓".into()),
        common: Common {
            tags: tags(&["zeta", "VIP", "alpha", "Beta"]),
            custom_fields: custom,
            created_at: ts(0),
            updated_at: ts(1),
            ..new_contact(ws, "Jane").common.clone()
        },
        ..new_contact(ws, "Jane")
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn contact_round_trip_update_and_delete(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let company = fx.insert_company(&new_company(ws, "Acme"));
    let c = fx.insert_contact(&Contact {
        company_id: Some(company.id),
        ..full_contact(ws)
    });
    let stored = fx.contact(ws, c.id).unwrap();
    // Every field round-trips, timestamps to the microsecond; tags come back sorted
    // case-insensitively.
    assert_eq!(tag_names(&stored.common.tags), ["alpha", "Beta", "VIP", "zeta"]);
    assert_eq!(
        stored,
        Contact {
            common: Common {
                tags: stored.common.tags.clone(),
                ..c.clone().common.clone()
            },
            ..c.clone()
        }
    );
    assert_eq!(stored.common.created_at, ts(0));
    assert_eq!(stored.common.updated_at.timestamp_subsec_micros(), 123_457);
    assert_eq!(
        fx.read(|tx| tx.contacts().id_by_unique(ws, "jane.obrien@example.com"))
            .unwrap(),
        Some(c.id)
    );

    // Update: every field replaced, tags replaced (one kept, one dropped, one new).
    let changed = Contact {
        first_name: "Janet".into(),
        last_name: None,
        email: Some(email("janet@example.org")),
        phone: None,
        title: None,
        linkedin_url: None,
        company_id: None,
        notes: None,
        common: Common {
            tags: tags(&["vip", "new"]),
            custom_fields: BTreeMap::new(),
            updated_at: ts(999_999),
            ..stored.clone().common.clone()
        },
        ..stored.clone()
    };
    let changed = fx.update_contact(&changed).unwrap();
    let reread = fx.contact(ws, c.id).unwrap();
    // The tag keeps its first spelling.
    assert_eq!(tag_names(&reread.common.tags), ["new", "VIP"]);
    assert_eq!(
        reread,
        Contact {
            common: Common {
                tags: reread.common.tags.clone(),
                ..changed.common.clone()
            },
            ..changed
        }
    );
    assert_eq!(
        fx.read(|tx| tx.contacts().id_by_unique(ws, "jane.obrien@example.com"))
            .unwrap(),
        None
    );
    assert_eq!(
        fx.read(|tx| tx.contacts().id_by_unique(ws, "janet@example.org"))
            .unwrap(),
        Some(c.id)
    );

    let ghost = new_contact(ws, "Ghost");
    assert!(matches!(fx.update_contact(&ghost), Err(DomainError::NotFound(_))));
    assert!(fx.contact(ws, ghost.id).is_none());

    assert!(fx.write(|tx| tx.contacts().delete(ws, c.id)).unwrap());
    assert!(fx.contact(ws, c.id).is_none());
    assert!(!fx.write(|tx| tx.contacts().delete(ws, c.id)).unwrap());
    assert_eq!(fx.count_rows("record_tags"), 0, "a deleted contact's tags go with it");
    let tags_left = fx
        .read(|tx| tx.tags().list_tags(ws, None, &PageRequest::first()))
        .unwrap();
    assert_eq!(
        tags_left,
        Page {
            items: vec![],
            total: 0
        }
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn tags_keep_the_first_spelling(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let other = fx.workspace("other");
    let first = fx
        .write(|tx| tx.tags().ensure_tags(ws, &tags(&["VIP"]), ts(0)))
        .unwrap();
    assert_eq!(tag_names(&first), ["VIP"]);
    // Later spellings get the stored one, in the order given.
    let later = fx
        .write(|tx| tx.tags().ensure_tags(ws, &tags(&["lead", "vip", "Vip"]), ts(1)))
        .unwrap();
    assert_eq!(tag_names(&later), ["lead", "VIP", "VIP"]);
    // Spellings are per workspace.
    let elsewhere = fx
        .write(|tx| tx.tags().ensure_tags(other, &tags(&["vip"]), ts(2)))
        .unwrap();
    assert_eq!(tag_names(&elsewhere), ["vip"]);
    // New tags given twice in one call: the first spelling given wins.
    let fresh = fx
        .write(|tx| tx.tags().ensure_tags(ws, &tags(&["New", "NEW", "lead"]), ts(3)))
        .unwrap();
    assert_eq!(tag_names(&fresh), ["New", "New", "lead"]);
    // A record given one tag twice (in two spellings) carries it once.
    let twice = Contact {
        common: Common {
            tags: tags(&["New", "new"]),
            ..new_contact(ws, "Twice").common.clone()
        },
        ..new_contact(ws, "Twice")
    };
    fx.write(|tx| tx.contacts().insert(&twice)).unwrap();
    assert_eq!(tag_names(&fx.contact(ws, twice.id).unwrap().common.tags), ["New"]);
    // And what a record stores is what it returns.
    let c = fx.insert_contact(&Contact {
        common: Common {
            tags: tags(&["vIp", "Lead", "b"]),
            ..new_contact(ws, "Jane").common.clone()
        },
        ..new_contact(ws, "Jane")
    });
    assert_eq!(
        tag_names(&fx.contact(ws, c.id).unwrap().common.tags),
        ["b", "lead", "VIP"]
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn contact_emails_are_unique_per_workspace_case_insensitively(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let other = fx.workspace("other");
    let jane = fx.insert_contact(&Contact {
        email: Some(email("Jane@Example.com")),
        ..new_contact(ws, "Jane")
    });
    let twin = Contact {
        email: Some(email("jane@example.COM")),
        ..new_contact(ws, "Twin")
    };
    let r = fx.write(|tx| tx.contacts().insert(&twin));
    assert!(is_conflict(&r), "{r:?}");
    assert!(fx.contact(ws, twin.id).is_none());
    // The same address in another workspace is fine.
    let there = fx.insert_contact(&Contact {
        email: Some(email("JANE@example.com")),
        ..new_contact(other, "Jane")
    });
    assert_eq!(
        fx.read(|tx| tx.contacts().id_by_unique(other, "jane@example.com"))
            .unwrap(),
        Some(there.id)
    );
    assert_eq!(
        fx.read(|tx| tx.contacts().id_by_unique(ws, "jane@example.com"))
            .unwrap(),
        Some(jane.id)
    );
    // Any number of contacts without an email.
    fx.insert_contact(&new_contact(ws, "NoMail1"));
    fx.insert_contact(&new_contact(ws, "NoMail2"));
    // Updating into a taken address conflicts too, and changes nothing.
    let bob = fx.insert_contact(&Contact {
        email: Some(email("bob@example.com")),
        ..new_contact(ws, "Bob")
    });
    let r = fx.update_contact(&Contact {
        email: Some(email("JANE@EXAMPLE.COM")),
        ..bob.clone()
    });
    assert!(is_conflict(&r), "{r:?}");
    assert_eq!(fx.contact(ws, bob.id).unwrap().email, Some(email("bob@example.com")));
    // Changing only the case of one's own address is fine.
    fx.update_contact(&Contact {
        email: Some(email("BOB@example.com")),
        ..bob.clone()
    })
    .unwrap();
    assert_eq!(fx.contact(ws, bob.id).unwrap().email, Some(email("BOB@example.com")));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn records_of_another_workspace_are_invisible(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let a = fx.workspace("a");
    let b = fx.workspace("b");
    let company = fx.insert_company(&Company {
        domain: Some(Domain::parse("d", "acme.com").unwrap()),
        ..new_company(a, "Acme")
    });
    let c = fx.insert_contact(&Contact {
        email: Some(email("jane@acme.com")),
        company_id: Some(company.id),
        common: Common {
            tags: tags(&["vip"]),
            ..new_contact(a, "Jane").common.clone()
        },
        ..new_contact(a, "Jane")
    });

    assert!(fx.contact(b, c.id).is_none());
    assert_eq!(
        fx.read(|tx| tx.contacts().id_by_unique(b, "jane@acme.com")).unwrap(),
        None
    );
    let r = fx.update_contact(&Contact {
        first_name: "Hijack".into(),
        common: Common {
            workspace_id: b,
            ..c.clone().common.clone()
        },
        ..c.clone()
    });
    assert!(matches!(r, Err(DomainError::NotFound(_))), "{r:?}");
    assert!(!fx.write(|tx| tx.contacts().delete(b, c.id)).unwrap());
    let all = ListFilter::<ContactFilter>::default();
    assert_eq!(
        fx.contacts(b, &all, &PageRequest::first()),
        Page {
            items: vec![],
            total: 0
        }
    );
    for filter in [
        contact_filter(Some("jane"), None, None, None).unwrap(),
        contact_filter(None, Some(&company.id.to_string()), None, None).unwrap(),
        contact_filter(None, None, Some("vip"), None).unwrap(),
        contact_filter(None, None, None, Some("jane@acme.com")).unwrap(),
    ] {
        assert_eq!(fx.contacts(b, &filter, &PageRequest::first()).total, 0, "{filter:?}");
        assert_eq!(fx.contacts(a, &filter, &PageRequest::first()).total, 1, "{filter:?}");
    }

    assert!(fx.read(|tx| tx.companies().get(b, company.id)).unwrap().is_none());
    assert_eq!(fx.read(|tx| tx.companies().id_by_unique(b, "acme.com")).unwrap(), None);
    let r = fx.write(|tx| {
        tx.companies().update(
            &Company {
                common: Common {
                    workspace_id: b,
                    ..company.clone().common.clone()
                },
                ..company.clone()
            },
            &company,
        )
    });
    assert!(matches!(r, Err(DomainError::NotFound(_))), "{r:?}");
    assert!(!fx.write(|tx| tx.companies().delete(b, company.id)).unwrap());
    let companies = fx
        .read(|tx| {
            tx.companies()
                .list(b, &ListFilter::<CompanyFilter>::default(), &PageRequest::first())
        })
        .unwrap();
    assert_eq!(
        companies,
        Page {
            items: vec![],
            total: 0
        }
    );
    assert_eq!(
        fx.read(|tx| tx.tags().list_tags(b, None, &PageRequest::first()))
            .unwrap()
            .total,
        0
    );

    // Untouched in its own workspace.
    let still = fx.contact(a, c.id).unwrap();
    assert_eq!(still.first_name, "Jane");
    assert_eq!(still.company_id, Some(company.id));
}

// ---------------------------------------------------------------------------------------------
// Contact list: search, filters, sorting, paging
// ---------------------------------------------------------------------------------------------

/// The shared search index follows every write: a changed record is found by its new words only,
/// a deleted one by none, and a `q`-only total (counted on the index) agrees with the same search
/// combined with a filter that keeps everything (counted through the record table).
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn the_search_index_follows_updates_and_deletes(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let other = fx.workspace("other");
    let a = fx.insert_contact(&new_contact(ws, "Zebedee"));
    let b = fx.insert_contact(&new_contact(ws, "Zebulon"));
    fx.insert_contact(&new_contact(other, "Zebedee"));
    assert_eq!(fx.search_contacts(ws, "zeb"), vec![a.id, b.id]);
    let renamed = Contact {
        first_name: "Quentin".into(),
        ..b.clone()
    };
    fx.update_contact(&renamed).unwrap();
    assert_eq!(fx.search_contacts(ws, "zeb"), vec![a.id]);
    assert_eq!(fx.search_contacts(ws, "quent"), vec![b.id]);
    assert!(fx.write(|tx| tx.contacts().delete(ws, a.id)).unwrap());
    assert_eq!(fx.search_contacts(ws, "zeb"), Vec::<ContactId>::new());
    let both = |q: &str| {
        let only_q = contact_filter(Some(q), None, None, None).unwrap();
        let with_window = ListFilter {
            window: Window {
                created_after: Some(ts(-1_000_000_000)),
                ..Window::default()
            },
            ..only_q.clone()
        };
        let page = PageRequest::<ContactSort>::first();
        (
            fx.contacts(ws, &only_q, &page).total,
            fx.contacts(ws, &with_window, &page).total,
        )
    };
    assert_eq!(both("quent"), (1, 1));
    assert_eq!(both("zeb"), (0, 0));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn contact_search(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let jane = fx.insert_contact(&Contact {
        last_name: Some("Doe".into()),
        email: Some(email("jane.doe@acme-corp.example")),
        title: Some("CTO".into()),
        notes: Some("Loves Rust; met at RustConf 2024".into()),
        ..new_contact(ws, "Jane")
    });
    let john = fx.insert_contact(&Contact {
        last_name: Some("Smith".into()),
        title: Some("Acme reseller".into()),
        ..new_contact(ws, "John")
    });
    let bo = fx.insert_contact(&Contact {
        last_name: Some("Müller".into()),
        ..new_contact(ws, "Björn")
    });

    assert_eq!(fx.search_contacts(ws, "jane"), [jane.id]);
    assert_eq!(fx.search_contacts(ws, "JA"), [jane.id]);
    // Prefixes of any word of any searchable field, e-mail words included.
    assert_eq!(fx.search_contacts(ws, "acm"), [jane.id, john.id]);
    assert_eq!(fx.search_contacts(ws, "corp"), [jane.id]);
    assert_eq!(fx.search_contacts(ws, "jane.doe@acme-corp.example"), [jane.id]);
    assert_eq!(fx.search_contacts(ws, "rustconf"), [jane.id]);
    assert_eq!(fx.search_contacts(ws, "2024"), [jane.id]);
    assert_eq!(fx.search_contacts(ws, "müll"), [bo.id]);
    assert_eq!(fx.search_contacts(ws, "BJÖRN"), [bo.id]);
    // Every word must match.
    assert_eq!(fx.search_contacts(ws, "acme jo"), [john.id]);
    assert_eq!(fx.search_contacts(ws, "acme ja doe"), [jane.id]);
    assert!(fx.search_contacts(ws, "jane smith").is_empty());
    assert!(fx.search_contacts(ws, "xyz").is_empty());
    // Not infix, not a suffix.
    assert!(fx.search_contacts(ws, "cme").is_empty());
    // Punctuation and operators are plain separators: never an error.
    for q in [
        "\"",
        "'",
        "*",
        "(",
        ")",
        ":",
        "-",
        "\"acme",
        "acme*",
        "(acme)",
        "acme:*",
        "-acme",
        "'acme'",
        "a'b",
        "\"' OR 1=1 --*",
        "acme & !john | (x)",
        "NEAR(acme john)",
        "acme AND john",
        "NOT acme",
        "^acme",
        "acme\\",
        "%",
        "_",
        "%acme%",
        "a_b",
        ";",
        "{acme}",
        "[acme]",
        "!!!",
        "<->",
        "acme <-> john",
        "\0",
        "\u{1F600}",
        "   ",
        "",
    ] {
        let filter = contact_filter(Some(q), None, None, None).unwrap();
        let r = fx.read(|tx| tx.contacts().list(ws, &filter, &PageRequest::first()));
        assert!(r.is_ok(), "q={q:?}: {r:?}");
    }
    assert_eq!(fx.search_contacts(ws, "\"acme*"), [jane.id, john.id]);
    assert_eq!(fx.search_contacts(ws, "(acme) -jo"), [john.id]);
    assert_eq!(
        fx.search_contacts(ws, "NEAR(acme john)"),
        Vec::<ContactId>::new(),
        "near is a word here"
    );
    // Words and operators that are not letters or digits are not words at all.
    assert_eq!(fx.search_contacts(ws, "!!! ***").len(), 3, "no words: no filter");

    // Updates re-index; deleted rows vanish.
    fx.update_contact(&Contact {
        title: Some("Globex buyer".into()),
        ..john.clone()
    })
    .unwrap();
    assert_eq!(fx.search_contacts(ws, "acme"), [jane.id]);
    assert_eq!(fx.search_contacts(ws, "globex"), [john.id]);
    fx.write(|tx| tx.contacts().delete(ws, jane.id)).unwrap();
    assert!(fx.search_contacts(ws, "acme").is_empty());
    assert!(fx.search_contacts(ws, "jane").is_empty());
    assert_eq!(fx.search_contacts(ws, "globex"), [john.id]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn contact_filters_combine(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let acme = fx.insert_company(&new_company(ws, "Acme"));
    let globex = fx.insert_company(&new_company(ws, "Globex"));
    let a = fx.insert_contact(&Contact {
        company_id: Some(acme.id),
        email: Some(email("Ann@Acme.com")),
        common: Common {
            tags: tags(&["VIP"]),
            ..new_contact(ws, "Ann").common.clone()
        },
        ..new_contact(ws, "Ann")
    });
    let b = fx.insert_contact(&Contact {
        company_id: Some(acme.id),
        common: Common {
            tags: tags(&["lead"]),
            ..new_contact(ws, "Ben").common.clone()
        },
        ..new_contact(ws, "Ben")
    });
    let c = fx.insert_contact(&Contact {
        company_id: Some(globex.id),
        common: Common {
            tags: tags(&["vip", "lead"]),
            ..new_contact(ws, "Cat").common.clone()
        },
        ..new_contact(ws, "Cat")
    });
    let d = fx.insert_contact(&new_contact(ws, "Dan"));
    let ids = |q: Option<&str>, company: Option<String>, tag: Option<&str>, mail: Option<&str>| {
        let filter = contact_filter(q, company.as_deref(), tag, mail).unwrap();
        let page = fx.contacts(ws, &filter, &page_of(ContactSort::FirstName, SortOrder::Asc, 1, 25));
        assert_eq!(page.total, page.items.len() as u64);
        page.items.iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(None, None, None, None), [a.id, b.id, c.id, d.id]);
    assert_eq!(ids(None, Some(acme.id.to_string()), None, None), [a.id, b.id]);
    assert_eq!(ids(None, Some(acme.id.uuid().to_string()), None, None), [a.id, b.id]);
    assert_eq!(ids(None, Some(CompanyId::generate().to_string()), None, None), []);
    assert_eq!(ids(None, None, Some("vip"), None), [a.id, c.id]);
    assert_eq!(ids(None, None, Some(" VIP "), None), [a.id, c.id]);
    assert_eq!(ids(None, None, Some("Lead"), None), [b.id, c.id]);
    assert_eq!(ids(None, None, Some("nope"), None), []);
    assert_eq!(ids(None, None, None, Some("ANN@acme.COM")), [a.id]);
    assert_eq!(
        ids(None, None, None, Some("ann")),
        [],
        "the email filter is exact, not a prefix"
    );
    assert_eq!(ids(None, Some(acme.id.to_string()), Some("vip"), None), [a.id]);
    assert_eq!(
        ids(None, Some(globex.id.to_string()), Some("vip"), Some("ann@acme.com")),
        []
    );
    assert_eq!(ids(Some("c"), None, Some("lead"), None), [c.id]);
}

/// Contacts whose sort keys tie, differ only in case, sort differently by collation, are null,
/// and carry timestamps of every precision (whole seconds, milliseconds, microseconds).
/// first_name, last_name, email, created_at and updated_at offsets (µs).
type ContactSpec = (&'static str, Option<&'static str>, Option<&'static str>, i64, i64);

fn sortable_contacts(ws: WorkspaceId) -> Vec<Contact> {
    let specs: [ContactSpec; 12] = [
        ("alice", Some("Zed"), Some("alice@x.io"), 0, 0),
        ("Alice", Some("zed"), Some("Alice2@x.io"), 0, 0),
        ("ALICE", None, None, 0, 5),
        ("bob", Some("adams"), Some("BOB@x.io"), -123_456, 1_000),
        ("Bob", Some("Adams"), None, -123_456, 1_000),
        ("Émile", Some("Ölund"), Some("emile@x.io"), 1, -1),
        ("émile", Some("éclair"), Some("Émile@x.io"), 877_544, 0),
        ("zoe", Some("_under"), Some("_zoe@x.io"), 1_000, 999_999),
        ("_x", Some("a-b"), Some("a-b@x.io"), 1_000, 0),
        ("a-b", Some("ab"), Some("ab@x.io"), 2_000_000, 0),
        ("ab", None, Some("a_b@x.io"), -1, 5),
        ("10", Some("9"), Some("9@x.io"), 0, -123_456),
    ];
    specs
        .iter()
        .map(|(first, last, mail, created, updated)| Contact {
            last_name: last.map(str::to_owned),
            email: mail.map(email),
            common: Common {
                created_at: ts(*created),
                updated_at: ts(*updated),
                ..new_contact(ws, first).common.clone()
            },
            ..new_contact(ws, first)
        })
        .collect()
}

fn contact_sort_key(c: &Contact, sort: ContactSort) -> Option<Vec<u8>> {
    let micros = |t: &DateTime<Utc>| t.timestamp_micros().to_be_bytes().to_vec();
    match sort {
        ContactSort::CreatedAt => Some(micros(&c.common.created_at)),
        ContactSort::UpdatedAt => Some(micros(&c.common.updated_at)),
        ContactSort::FirstName => Some(text_key(&c.first_name)),
        ContactSort::LastName => c.last_name.as_deref().map(text_key),
        ContactSort::Email => c.email.as_ref().map(|e| text_key(e.as_str())),
    }
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[case::postgres_icu(Db::PostgresIcu)]
fn contacts_sort_by_every_field_both_ways(#[case] db: Db) {
    let fx = fixture!(db);
    let ws = fx.workspace("acme");
    let other = fx.workspace("other");
    fx.insert_contact(&new_contact(other, "Elsewhere"));
    let rows = sortable_contacts(ws);
    for c in &rows {
        fx.insert_contact(c);
    }
    let all = ListFilter::<ContactFilter>::default();
    for (_, sort) in <ContactSort as moss_domain::page::SortField>::ALL {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let keyed: Vec<_> = rows
                .iter()
                .map(|c| (c.id.to_string(), contact_sort_key(c, *sort)))
                .collect();
            let want = expected_order(&keyed, order);
            let full = fx.contacts(ws, &all, &page_of(*sort, order, 1, 250));
            assert_eq!(full.total, rows.len() as u64);
            let got: Vec<String> = full.items.iter().map(|c| c.id.to_string()).collect();
            let names = |ids: &[String]| {
                ids.iter()
                    .map(|id| {
                        rows.iter()
                            .find(|c| c.id.to_string() == *id)
                            .map_or("?", |c| c.first_name.as_str())
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&got), names(&want), "{sort:?} {order:?}");
            assert_eq!(got, want, "{sort:?} {order:?}: ties broken by id in the same direction");
            // Pages concatenate to the full list: nothing repeated or skipped.
            let mut paged = Vec::new();
            for page in 1..=5 {
                let p = fx.contacts(ws, &all, &page_of(*sort, order, page, 5));
                assert_eq!(p.total, 12);
                assert_eq!(p.items.len(), [5, 5, 2, 0, 0][page as usize - 1]);
                paged.extend(p.items.iter().map(|c| c.id.to_string()));
            }
            assert_eq!(paged, want, "{sort:?} {order:?} paged");
        }
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn totals_are_exact_and_a_page_past_the_end_is_empty(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let empty = fx.contacts(ws, &ListFilter::<ContactFilter>::default(), &PageRequest::first());
    assert_eq!(
        empty,
        Page {
            items: vec![],
            total: 0
        }
    );
    assert_eq!(empty.total_pages(25), 0);
    for i in 0..7 {
        fx.insert_contact(&Contact {
            common: Common {
                tags: tags(&["t"]),
                ..new_contact(ws, &format!("c{i}")).common.clone()
            },
            ..new_contact(ws, &format!("c{i}"))
        });
    }
    for (page, per_page, len) in [
        (1, 3, 3),
        (2, 3, 3),
        (3, 3, 1),
        (4, 3, 0),
        (1000, 3, 0),
        (u32::MAX, 250, 0),
        (1, 250, 7),
    ] {
        let p = fx.contacts(
            ws,
            &ListFilter::<ContactFilter>::default(),
            &page_of(ContactSort::CreatedAt, SortOrder::Desc, page, per_page),
        );
        assert_eq!((p.items.len(), p.total), (len, 7), "page {page} of {per_page}");
        let t = fx
            .read(|tx| {
                tx.tags()
                    .list_tags(ws, None, &page_of(TagSort::Count, SortOrder::Desc, page, per_page))
            })
            .unwrap();
        assert_eq!(t.total, 1);
        let k = fx
            .read(|tx| {
                tx.keys()
                    .list_keys(ws, &page_of(KeySort::CreatedAt, SortOrder::Desc, page, per_page))
            })
            .unwrap();
        assert_eq!(k.total, 0);
        let m = fx
            .read(|tx| {
                tx.workspaces().list_members(
                    ws,
                    &page_of(
                        moss_domain::workspace::MemberSort::Email,
                        SortOrder::Asc,
                        page,
                        per_page,
                    ),
                )
            })
            .unwrap();
        assert_eq!(m.total, 0);
    }
    let filtered = contact_filter(Some("c1"), None, None, None).unwrap();
    let p = fx.contacts(ws, &filtered, &page_of(ContactSort::CreatedAt, SortOrder::Desc, 2, 1));
    assert_eq!((p.items.len(), p.total), (0, 1));
}

// ---------------------------------------------------------------------------------------------
// Companies
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn company_round_trip_and_delete_clears_contacts(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let mut custom = BTreeMap::new();
    custom.insert("employees".to_owned(), Value::Number(Number::Int(5000)));
    let acme = fx.insert_company(&Company {
        domain: Some(Domain::parse("domain", "Acme.com").unwrap()),
        industry: Some("Manufacturing".into()),
        website: Some(HttpUrl::parse("website", "https://acme.com/about?x=1").unwrap()),
        phone: Some("+1 555 0199".into()),
        notes: Some("Big one".into()),
        common: Common {
            tags: tags(&["b2b", "Enterprise"]),
            custom_fields: custom,
            created_at: ts(-1),
            updated_at: ts(1),
            ..new_company(ws, "Acme Corp").common.clone()
        },
        ..new_company(ws, "Acme Corp")
    });
    let stored = fx.read(|tx| tx.companies().get(ws, acme.id)).unwrap().unwrap();
    assert_eq!(stored, acme);
    assert_eq!(tag_names(&stored.common.tags), ["b2b", "Enterprise"]);
    assert_eq!(
        fx.read(|tx| tx.companies().id_by_unique(ws, "acme.com")).unwrap(),
        Some(acme.id)
    );

    // Domains are unique per workspace; companies without one are not limited.
    let twin = Company {
        domain: Some(Domain::parse("domain", "acme.com").unwrap()),
        ..new_company(ws, "Twin")
    };
    assert!(is_conflict(&fx.write(|tx| tx.companies().insert(&twin))));
    let other = fx.workspace("other");
    fx.insert_company(&Company {
        domain: Some(Domain::parse("domain", "acme.com").unwrap()),
        ..new_company(other, "Acme")
    });
    fx.insert_company(&new_company(ws, "No domain 1"));
    let nodomain = fx.insert_company(&new_company(ws, "No domain 2"));
    let r = fx.write(|tx| {
        tx.companies().update(
            &Company {
                domain: acme.domain.clone(),
                ..nodomain.clone()
            },
            &nodomain,
        )
    });
    assert!(is_conflict(&r), "{r:?}");

    // Update.
    let changed = Company {
        name: "Acme Inc".into(),
        domain: Some(Domain::parse("domain", "acme.io").unwrap()),
        industry: None,
        website: None,
        common: Common {
            tags: tags(&["ENTERPRISE"]),
            updated_at: ts(77),
            ..stored.clone().common.clone()
        },
        ..stored.clone()
    };
    fx.write(|tx| {
        let mut c = changed.clone();
        c.common.tags = canonical(tx, ws, &c.common.tags)?;
        tx.companies().update(&c, &stored)
    })
    .unwrap();
    let reread = fx.read(|tx| tx.companies().get(ws, acme.id)).unwrap().unwrap();
    assert_eq!(
        reread,
        Company {
            common: Common {
                tags: tags(&["Enterprise"]),
                ..changed.common.clone()
            },
            ..changed
        }
    );
    assert_eq!(fx.read(|tx| tx.companies().id_by_unique(ws, "acme.com")).unwrap(), None);
    let ghost = new_company(ws, "Ghost");
    assert!(matches!(
        fx.write(|tx| tx.companies().update(&ghost, &ghost)),
        Err(DomainError::NotFound(_))
    ));

    // Deleting a company clears company_id on its contacts (and only on its contacts).
    let employee = fx.insert_contact(&Contact {
        company_id: Some(acme.id),
        ..new_contact(ws, "Employee")
    });
    let outsider = fx.insert_contact(&Contact {
        company_id: Some(nodomain.id),
        ..new_contact(ws, "Outsider")
    });
    assert!(fx.write(|tx| tx.companies().delete(ws, acme.id)).unwrap());
    assert!(fx.read(|tx| tx.companies().get(ws, acme.id)).unwrap().is_none());
    assert!(!fx.write(|tx| tx.companies().delete(ws, acme.id)).unwrap());
    let employee_now = fx.contact(ws, employee.id).unwrap();
    assert_eq!(
        employee_now,
        Contact {
            company_id: None,
            ..employee
        }
    );
    assert_eq!(fx.contact(ws, outsider.id).unwrap().company_id, Some(nodomain.id));
    let by_company = contact_filter(None, Some(&acme.id.to_string()), None, None).unwrap();
    assert_eq!(fx.contacts(ws, &by_company, &PageRequest::first()).total, 0);
    let tag_list = fx
        .read(|tx| tx.tags().list_tags(ws, None, &PageRequest::first()))
        .unwrap();
    assert_eq!(tag_list.total, 0, "the company's tags went with it: {tag_list:?}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn company_search_and_filters(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let acme = fx.insert_company(&Company {
        domain: Some(Domain::parse("d", "acme-widgets.com").unwrap()),
        industry: Some("Manufacturing".into()),
        common: Common {
            tags: tags(&["B2B"]),
            ..new_company(ws, "Acme Widgets").common.clone()
        },
        ..new_company(ws, "Acme Widgets")
    });
    let globex = fx.insert_company(&Company {
        notes: Some("Competitor of Acme".into()),
        common: Common {
            tags: tags(&["b2b", "lead"]),
            ..new_company(ws, "Globex").common.clone()
        },
        ..new_company(ws, "Globex")
    });
    assert_eq!(fx.search_companies(ws, "acm"), [acme.id, globex.id]);
    assert_eq!(fx.search_companies(ws, "wid"), [acme.id]);
    assert_eq!(fx.search_companies(ws, "acme manu"), [acme.id]);
    assert_eq!(fx.search_companies(ws, "ACME-WIDGETS.COM"), [acme.id]);
    assert_eq!(fx.search_companies(ws, "comp acme"), [globex.id]);
    assert!(fx.search_companies(ws, "acme nope").is_empty());
    for q in ["\"", "'*()", "acme:*", "-", "acme & globex", "\"acme", "NEAR(a b)"] {
        let filter = company_filter(Some(q), None, None);
        let r = fx.read(|tx| tx.companies().list(ws, &filter, &PageRequest::first()));
        assert!(r.is_ok(), "q={q:?}: {r:?}");
    }
    fx.write(|tx| {
        tx.companies().update(
            &Company {
                notes: None,
                ..globex.clone()
            },
            &globex,
        )
    })
    .unwrap();
    assert_eq!(fx.search_companies(ws, "acme"), [acme.id]);
    fx.write(|tx| tx.companies().delete(ws, acme.id)).unwrap();
    assert!(fx.search_companies(ws, "acme").is_empty());
    assert_eq!(fx.search_companies(ws, "glob"), [globex.id]);

    let ids = |tag: Option<&str>, domain: Option<&str>| {
        let filter = company_filter(None, tag, domain);
        let p = fx
            .read(|tx| tx.companies().list(ws, &filter, &PageRequest::first()))
            .unwrap();
        p.items.iter().map(|c| c.id).collect::<Vec<_>>()
    };
    let initech = fx.insert_company(&Company {
        domain: Some(Domain::parse("d", "initech.com").unwrap()),
        ..new_company(ws, "Initech")
    });
    assert_eq!(ids(Some("B2B"), None), [globex.id]);
    assert_eq!(ids(Some("LEAD"), None), [globex.id]);
    assert_eq!(ids(None, Some("INITECH.com")), [initech.id]);
    assert_eq!(ids(Some("lead"), Some("initech.com")), []);
}

fn sortable_companies(ws: WorkspaceId) -> Vec<Company> {
    let specs: [(&str, Option<&str>, i64, i64); 9] = [
        ("acme", Some("acme.com"), 0, 0),
        ("Acme", Some("acme.io"), 0, 0),
        ("ACME", None, 1, 0),
        ("_acme", Some("a-cme.com"), -1, 5),
        ("Éclair", Some("xn--clair-bsa.fr"), 1_000, 5),
        ("zeta", None, 1_000, 1_000_000),
        ("a-b", Some("ab.com"), 999, -999),
        ("ab", Some("a0.com"), 999, -999),
        ("9 Lives", Some("9lives.com"), 0, 1),
    ];
    specs
        .iter()
        .map(|(name, domain, created, updated)| Company {
            domain: domain.map(|d| Domain::parse("d", d).unwrap()),
            common: Common {
                created_at: ts(*created),
                updated_at: ts(*updated),
                ..new_company(ws, name).common.clone()
            },
            ..new_company(ws, name)
        })
        .collect()
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[case::postgres_icu(Db::PostgresIcu)]
fn companies_sort_by_every_field_both_ways(#[case] db: Db) {
    let fx = fixture!(db);
    let ws = fx.workspace("acme");
    let rows = sortable_companies(ws);
    for c in &rows {
        fx.insert_company(c);
    }
    let all = ListFilter::<CompanyFilter>::default();
    for (_, sort) in <CompanySort as moss_domain::page::SortField>::ALL {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let keyed: Vec<_> = rows
                .iter()
                .map(|c| {
                    let key = match sort {
                        CompanySort::CreatedAt => Some(c.common.created_at.timestamp_micros().to_be_bytes().to_vec()),
                        CompanySort::UpdatedAt => Some(c.common.updated_at.timestamp_micros().to_be_bytes().to_vec()),
                        CompanySort::Name => Some(text_key(&c.name)),
                        CompanySort::Domain => c.domain.as_ref().map(|d| text_key(d.as_str())),
                    };
                    (c.id.to_string(), key)
                })
                .collect();
            let want = expected_order(&keyed, order);
            let list = |page, per_page| {
                fx.read(|tx| tx.companies().list(ws, &all, &page_of(*sort, order, page, per_page)))
                    .unwrap()
            };
            let full = list(1, 250);
            assert_eq!(full.total, rows.len() as u64);
            let got: Vec<String> = full.items.iter().map(|c| c.id.to_string()).collect();
            assert_eq!(got, want, "{sort:?} {order:?}");
            let mut paged = Vec::new();
            for page in 1..=4 {
                let p = list(page, 4);
                assert_eq!(p.total, 9);
                paged.extend(p.items.iter().map(|c| c.id.to_string()));
            }
            assert_eq!(paged, want, "{sort:?} {order:?} paged");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tags list
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[case::postgres_icu(Db::PostgresIcu)]
fn tag_counts_across_contacts_and_companies(#[case] db: Db) {
    let fx = fixture!(db);
    let ws = fx.workspace("acme");
    let other = fx.workspace("other");
    fx.insert_contact(&Contact {
        common: Common {
            tags: tags(&["VIP", "lead", "éclair"]),
            ..new_contact(ws, "A").common.clone()
        },
        ..new_contact(ws, "A")
    });
    fx.insert_contact(&Contact {
        common: Common {
            tags: tags(&["vip", "fig"]),
            ..new_contact(ws, "B").common.clone()
        },
        ..new_contact(ws, "B")
    });
    fx.insert_company(&Company {
        common: Common {
            tags: tags(&["Vip", "B2B", "a-b"]),
            ..new_company(ws, "C").common.clone()
        },
        ..new_company(ws, "C")
    });
    fx.insert_company(&Company {
        common: Common {
            tags: tags(&["ab", "_x"]),
            ..new_company(ws, "D").common.clone()
        },
        ..new_company(ws, "D")
    });
    fx.insert_contact(&Contact {
        common: Common {
            tags: tags(&["vip", "lead", "other-only"]),
            ..new_contact(other, "E").common.clone()
        },
        ..new_contact(other, "E")
    });
    // Known but unused tags are not listed.
    fx.write(|tx| tx.tags().ensure_tags(ws, &tags(&["orphan"]), ts(0)))
        .unwrap();
    let tc = |name: &str, count: u64| TagCount {
        name: name.to_owned(),
        count,
    };
    let list = |sort, order, page, per_page| {
        fx.read(|tx| tx.tags().list_tags(ws, None, &page_of(sort, order, page, per_page)))
            .unwrap()
    };

    let by_count = list(TagSort::Count, SortOrder::Desc, 1, 25);
    // Ties (count 1) by name, case-insensitively and byte-wise on both databases.
    let ones = ["_x", "a-b", "ab", "B2B", "fig", "lead", "éclair"];
    let mut want = vec![tc("VIP", 3)];
    want.extend(ones.iter().map(|n| tc(n, 1)));
    assert_eq!(
        by_count,
        Page {
            items: want.clone(),
            total: 8
        }
    );
    let asc = list(TagSort::Count, SortOrder::Asc, 1, 25);
    let mut want_asc: Vec<TagCount> = ones.iter().map(|n| tc(n, 1)).collect();
    want_asc.push(tc("VIP", 3));
    assert_eq!(asc.items, want_asc);

    let by_name = list(TagSort::Name, SortOrder::Asc, 1, 25);
    let names: Vec<&str> = by_name.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["_x", "a-b", "ab", "B2B", "fig", "lead", "VIP", "éclair"]);
    let by_name_desc = list(TagSort::Name, SortOrder::Desc, 1, 25);
    let names_desc: Vec<&str> = by_name_desc.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names_desc, names.iter().rev().copied().collect::<Vec<_>>());

    // Paging.
    let mut paged = Vec::new();
    for page in 1..=3 {
        let p = list(TagSort::Count, SortOrder::Desc, page, 3);
        assert_eq!(p.total, 8);
        paged.extend(p.items);
    }
    assert_eq!(paged, want);
    assert_eq!(
        list(TagSort::Count, SortOrder::Desc, 9, 3),
        Page {
            items: vec![],
            total: 8
        }
    );
    let elsewhere = fx
        .read(|tx| tx.tags().list_tags(other, None, &PageRequest::first()))
        .unwrap();
    assert_eq!(elsewhere.items, [tc("lead", 1), tc("other-only", 1), tc("vip", 1)]);
}

// ---------------------------------------------------------------------------------------------
// Units of work: audit, commit, rollback
// ---------------------------------------------------------------------------------------------

#[derive(QueryableByName, Debug, PartialEq)]
struct AuditRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    workspace_id: String,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    target_type: String,
    #[diesel(sql_type = Text)]
    target_id: String,
    #[diesel(sql_type = Text)]
    actor_type: String,
    #[diesel(sql_type = Nullable<Text>)]
    actor_id: Option<String>,
    #[diesel(sql_type = Text)]
    request_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    ip: Option<String>,
    #[diesel(sql_type = Text)]
    metadata: String,
    #[diesel(sql_type = SqlTimestamp)]
    created_at: chrono::NaiveDateTime,
}

fn audit_rows(fx: &Fx) -> Vec<AuditRow> {
    let sql = "SELECT id, workspace_id, event_type, target_type, target_id, actor_type, actor_id, request_id, ip, \
               metadata, created_at FROM audit_log ORDER BY created_at, id";
    match &mut fx.conn() {
        MossConnection::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
        MossConnection::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
    }
}

fn key_actor(ws: WorkspaceId, key: KeyId) -> Actor {
    Actor {
        workspace_id: ws,
        member_id: None,
        role: Role::Owner,
        key_id: Some(key),
        scope: Scope::Full,
        kind: ActorKind::ApiKey,
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn audit_entries_are_stored_as_given(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let mut metadata = BTreeMap::new();
    metadata.insert("summary".to_owned(), Value::String("x \"quoted\" ✓".into()));
    metadata.insert("n".to_owned(), Value::Number(Number::Int(3)));
    let entry = AuditEntry {
        id: AuditId::generate(),
        workspace_id: ws,
        event_type: "contact.updated".into(),
        target_type: "contact".into(),
        target_id: ContactId::generate().to_string(),
        actor_type: "api_key".into(),
        actor_id: Some(KeyId::generate().to_string()),
        request_id: "req_123".into(),
        ip: Some("2001:db8::1".into()),
        metadata,
        created_at: ts(42),
    };
    fx.write(|tx| tx.audit().insert_audit(&entry)).unwrap();
    let rows = audit_rows(&fx);
    assert_eq!(
        rows,
        [AuditRow {
            id: entry.id.to_string(),
            workspace_id: ws.to_string(),
            event_type: entry.event_type.clone(),
            target_type: entry.target_type.clone(),
            target_id: entry.target_id.clone(),
            actor_type: entry.actor_type.clone(),
            actor_id: entry.actor_id.clone(),
            request_id: entry.request_id.clone(),
            ip: entry.ip.clone(),
            metadata: r#"{"n":3,"summary":"x \"quoted\" ✓"}"#.to_owned(),
            created_at: ts(42).naive_utc(),
        }]
    );
    // An audit id is written once.
    assert!(is_conflict(&fx.write(|tx| tx.audit().insert_audit(&entry))));

    // Through `mutate`: the change and its audit entry commit together.
    let key = KeyId::generate();
    let ctx = moss_domain::testing::context(key_actor(ws, key), "req_abc");
    let created = fx
        .dyn_store()
        .mutate(&ctx, |tx, actor| {
            let c = Contact {
                ..new_contact(actor.workspace_id, "Jane")
            };
            tx.contacts().insert(&c)?;
            let event = AuditEvent::new("contact", "created", c.id);
            Ok(Change::new(c, event))
        })
        .unwrap();
    assert!(fx.contact(ws, created.id).is_some());
    let rows = audit_rows(&fx);
    let last = rows.iter().find(|r| r.request_id == "req_abc").unwrap();
    assert_eq!(
        (
            last.event_type.as_str(),
            last.target_id.as_str(),
            last.actor_id.as_deref(),
            last.ip.as_deref()
        ),
        (
            "contact.created",
            created.id.to_string().as_str(),
            Some(key.to_string().as_str()),
            None
        )
    );
    assert_eq!(last.metadata, "{}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_failed_unit_of_work_leaves_nothing(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let before = (
        fx.count_rows("workspaces"),
        fx.count_rows("contacts"),
        fx.count_rows("tags"),
        fx.count_rows("record_tags"),
    );

    // The work itself fails after writing.
    let new_ws = Workspace {
        id: WorkspaceId::generate(),
        name: "New".into(),
        slug: Slug::parse("s", "new").unwrap(),
        created_at: ts(0),
        updated_at: ts(0),
    };
    let c = Contact {
        common: Common {
            tags: tags(&["VIP"]),
            ..new_contact(ws, "Jane").common.clone()
        },
        ..new_contact(ws, "Jane")
    };
    let r: Result<()> = fx.write(|tx| {
        tx.workspaces().insert_workspace(&new_ws)?;
        let mut c = c.clone();
        c.common.tags = canonical(tx, ws, &c.common.tags)?;
        tx.contacts().insert(&c)?;
        Err(DomainError::field("x", "no"))
    });
    assert!(matches!(r, Err(DomainError::Validation(_))));
    // A database error part-way (the second insert conflicts).
    let first = Contact {
        email: Some(email("a@x.io")),
        ..new_contact(ws, "A")
    };
    let second = Contact {
        email: Some(email("A@X.IO")),
        ..new_contact(ws, "B")
    };
    let r = fx.write(|tx| {
        tx.contacts().insert(&first)?;
        tx.contacts().insert(&second)
    });
    assert!(is_conflict(&r), "{r:?}");
    // `mutate` whose audit entry cannot be written (its workspace does not exist): the change
    // is not kept either.
    let ctx = moss_domain::testing::context(Actor::system(WorkspaceId::generate()), "req_x");
    let orphan = new_contact(ws, "Orphan");
    let r = fx.dyn_store().mutate(&ctx, |tx, _| {
        tx.contacts().insert(&orphan)?;
        Ok(Change::new((), AuditEvent::new("contact", "created", orphan.id)))
    });
    assert!(r.is_err());

    assert!(fx.read(|tx| tx.workspaces().workspace(new_ws.id)).unwrap().is_none());
    assert!(fx.contact(ws, c.id).is_none());
    assert!(fx.contact(ws, first.id).is_none());
    assert!(fx.contact(ws, orphan.id).is_none());
    let after = (
        fx.count_rows("workspaces"),
        fx.count_rows("contacts"),
        fx.count_rows("tags"),
        fx.count_rows("record_tags"),
    );
    assert_eq!(after, before);
    assert_eq!(fx.count_rows("audit_log"), 0);
    assert!(fx.search_contacts(ws, "jane").is_empty(), "nor its search entry");

    // And the store is still usable afterwards.
    fx.insert_contact(&first);
    assert_eq!(fx.search_contacts(ws, "a"), [first.id]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn timestamps_round_trip_to_the_microsecond(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let times = [
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap() + TimeDelta::microseconds(1),
        Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap() + TimeDelta::microseconds(999_999),
        Utc.with_ymd_and_hms(2038, 1, 19, 3, 14, 8).unwrap() + TimeDelta::milliseconds(500),
        moss_domain::time::now(),
    ];
    for t in times {
        let c = fx.insert_contact(&Contact {
            common: Common {
                created_at: t,
                updated_at: t + TimeDelta::microseconds(1),
                ..new_contact(ws, "T").common.clone()
            },
            ..new_contact(ws, "T")
        });
        let back = fx.contact(ws, c.id).unwrap();
        assert_eq!(
            (back.common.created_at, back.common.updated_at),
            (t, t + TimeDelta::microseconds(1))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn concurrent_writers_agree_on_new_tags(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    const TAGS: u64 = 12;
    let threads = 4;
    let rounds = 30;
    std::thread::scope(|s| {
        for t in 0..threads {
            let fx = &fx;
            s.spawn(move || {
                for i in 0..rounds {
                    // New tags every round, written in opposite orders and spellings by
                    // neighbouring threads.
                    let mut names: Vec<String> = (0..TAGS)
                        .map(|k| {
                            if t % 2 == 0 {
                                format!("t{i}x{k}")
                            } else {
                                format!("T{i}X{k}")
                            }
                        })
                        .collect();
                    if t % 2 == 1 {
                        names.reverse();
                    }
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let c = Contact {
                        common: Common {
                            tags: tags(&names),
                            ..new_contact(ws, &format!("t{t}r{i}")).common.clone()
                        },
                        ..new_contact(ws, &format!("t{t}r{i}"))
                    };
                    fx.insert_contact(&c);
                    // Readers alongside the writers.
                    let _ = fx.contacts(ws, &ListFilter::<ContactFilter>::default(), &PageRequest::first());
                }
            });
        }
    });
    let all = fx.contacts(
        ws,
        &ListFilter::<ContactFilter>::default(),
        &page_of(ContactSort::CreatedAt, SortOrder::Asc, 1, 250),
    );
    assert_eq!(all.total, threads * rounds);
    for i in 0..rounds {
        let of_round: Vec<&Contact> = all
            .items
            .iter()
            .filter(|c| c.first_name.ends_with(&format!("r{i}")))
            .collect();
        assert_eq!(of_round.len(), threads as usize);
        // Everyone got the spelling that was stored first.
        assert!(
            of_round.windows(2).all(|w| w[0].common.tags == w[1].common.tags),
            "{of_round:?}"
        );
    }
    let counts = fx
        .read(|tx| {
            tx.tags()
                .list_tags(ws, None, &page_of(TagSort::Count, SortOrder::Desc, 1, 250))
        })
        .unwrap();
    assert_eq!(counts.total, TAGS * rounds);
    assert!(counts.items.iter().all(|t| t.count == threads));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_unit_of_work_that_panics_leaves_nothing_and_the_pool_healthy(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    // One connection, so the next unit of work gets the very connection the panic left.
    let store = DieselStore::new(
        db.url().clone(),
        PoolSettings {
            size: 1,
            ..PoolSettings::default()
        },
    );
    let fx = Fx { store, db };
    let ws = fx.workspace("acme");
    let ghost = new_contact(ws, "Ghost");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fx.store.run(Mode::Write, &mut |tx| {
            tx.contacts().insert(&ghost)?;
            panic!("a bug in a use case");
        })
    }));
    assert!(caught.is_err());
    let real = fx.insert_contact(&new_contact(ws, "Real"));
    // Seen from another pool: the later unit of work committed, the panicking one did not.
    let other = fx.db.store();
    let seen = |id| {
        let mut found = None;
        other
            .run(Mode::Read, &mut |tx| {
                found = tx.contacts().get(ws, id)?;
                Ok(())
            })
            .unwrap();
        found.is_some()
    };
    assert!(seen(real.id), "the next unit of work was committed");
    assert!(!seen(ghost.id), "the panicking unit of work was rolled back");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn two_stores_on_one_database_write_side_by_side(#[case] backend: Backend) {
    // Two stores stand for two processes on one database (`moss` commands next to `moss
    // serve`): units of work that read before they write must wait for each other, not fail.
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let second = fx.db.store();
    let stores = [&fx.store, &second, &fx.store, &second];
    std::thread::scope(|s| {
        for (t, store) in stores.into_iter().enumerate() {
            s.spawn(move || {
                for i in 0..25 {
                    let c = new_contact(ws, &format!("t{t}r{i}"));
                    store
                        .run(Mode::Write, &mut |tx| {
                            tx.contacts().id_by_unique(ws, "nobody@example.com")?;
                            std::thread::yield_now();
                            tx.contacts().insert(&c)
                        })
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(fx.count_rows("contacts"), 100);
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[case::postgres_icu(Db::PostgresIcu)]
fn members_sort_with_nulls_last(#[case] db: Db) {
    use moss_domain::workspace::MemberSort;
    let fx = fixture!(db);
    let ws = fx.workspace("acme");
    let specs: [(&str, Option<&str>, i64); 6] = [
        ("b@x.io", Some("bob"), 0),
        ("A@x.io", None, 0),
        ("a2@x.io", Some("Bob"), 1),
        ("_z@x.io", Some("Émile"), -1),
        ("c@x.io", None, 1_000),
        ("d@x.io", Some("émile"), 0),
    ];
    let mut members = Vec::new();
    for (mail, name, at) in specs {
        let m = Member {
            name: name.map(str::to_owned),
            ..new_member(ws, mail, Role::Member, ts(at))
        };
        fx.write(|tx| tx.workspaces().insert_member(&m)).unwrap();
        members.push(m);
    }
    for sort in [MemberSort::CreatedAt, MemberSort::Email, MemberSort::Name] {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let keyed: Vec<_> = members
                .iter()
                .map(|m| {
                    let key = match sort {
                        MemberSort::CreatedAt => Some(m.created_at.timestamp_micros().to_be_bytes().to_vec()),
                        MemberSort::Email => Some(text_key(m.email.as_str())),
                        MemberSort::Name => m.name.as_deref().map(text_key),
                    };
                    (m.id.to_string(), key)
                })
                .collect();
            let page = fx
                .read(|tx| tx.workspaces().list_members(ws, &page_of(sort, order, 1, 25)))
                .unwrap();
            let got: Vec<String> = page.items.iter().map(|m| m.id.to_string()).collect();
            assert_eq!(got, expected_order(&keyed, order), "{sort:?} {order:?}");
        }
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn search_treats_unicode_words_alike(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let tokyo = fx.insert_contact(&Contact {
        notes: Some("東京タワー tour".into()),
        ..new_contact(ws, "Ken")
    });
    let mixed = fx.insert_contact(&Contact {
        notes: Some("x² abc123def 1e5 Ελληνικά".into()),
        ..new_contact(ws, "Mix")
    });
    let accents = fx.insert_contact(&Contact {
        last_name: Some("Çelik-Ødegård".into()),
        ..new_contact(ws, "Zoë")
    });
    assert_eq!(fx.search_contacts(ws, "東京"), [tokyo.id]);
    assert_eq!(fx.search_contacts(ws, "東京タワー"), [tokyo.id]);
    assert_eq!(fx.search_contacts(ws, "x²"), [mixed.id]);
    assert_eq!(fx.search_contacts(ws, "abc12"), [mixed.id]);
    assert_eq!(fx.search_contacts(ws, "abc123def"), [mixed.id]);
    assert_eq!(fx.search_contacts(ws, "1e"), [mixed.id]);
    assert_eq!(fx.search_contacts(ws, "ελλ"), [mixed.id]);
    assert_eq!(fx.search_contacts(ws, "ΕΛΛΗΝΙΚΆ"), [mixed.id]);
    assert_eq!(fx.search_contacts(ws, "zoë çel ødeg"), [accents.id]);
    assert!(fx.search_contacts(ws, "zoe").is_empty(), "accents are not folded");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn unfiltered_totals_are_exact_through_every_kind_of_write(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let other = fx.workspace("other");
    let all = ListFilter::<ContactFilter>::default();
    let contacts_total = |ws| {
        fx.contacts(ws, &all, &page_of(ContactSort::CreatedAt, SortOrder::Desc, 1, 1))
            .total
    };
    let companies_total = |ws| {
        fx.read(|tx| {
            tx.companies().list(
                ws,
                &ListFilter::<CompanyFilter>::default(),
                &page_of(CompanySort::CreatedAt, SortOrder::Desc, 1, 1),
            )
        })
        .unwrap()
        .total
    };
    assert_eq!((contacts_total(ws), companies_total(ws)), (0, 0));

    let a = fx.insert_contact(&new_contact(ws, "A"));
    fx.insert_contact(&new_contact(ws, "B"));
    fx.insert_contact(&new_contact(other, "Elsewhere"));
    let acme = fx.insert_company(&new_company(ws, "Acme"));
    assert_eq!((contacts_total(ws), contacts_total(other)), (2, 1));
    assert_eq!((companies_total(ws), companies_total(other)), (1, 0));

    assert!(fx.write(|tx| tx.contacts().delete(ws, a.id)).unwrap());
    assert!(fx.write(|tx| tx.companies().delete(ws, acme.id)).unwrap());
    assert_eq!((contacts_total(ws), companies_total(ws)), (1, 0));

    // A rolled-back transaction leaves the total as it was.
    let failed = fx.write(|tx| {
        tx.contacts().insert(&new_contact(ws, "Rolled back"))?;
        Err::<(), _>(DomainError::Internal("fails after inserting".into()))
    });
    assert!(failed.is_err());
    assert_eq!(contacts_total(ws), 1);

    // Rows written by SQL outside the application (a bulk import) are counted too.
    let ids: Vec<String> = (0..3).map(|_| ContactId::generate().to_string()).collect();
    let values: Vec<String> = ids
        .iter()
        .map(|id| format!("('{id}', '{ws}', 'Imported', '{{}}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        .collect();
    let sql = format!(
        "INSERT INTO contacts (id, workspace_id, first_name, custom_fields, created_at, updated_at) VALUES {}",
        values.join(", ")
    );
    match &mut fx.conn() {
        MossConnection::Pg(c) => diesel::sql_query(sql).execute(c).unwrap(),
        MossConnection::Sqlite(c) => diesel::sql_query(sql).execute(c).unwrap(),
    };
    assert_eq!(contacts_total(ws), 4);
    assert_eq!(fx.count_rows("contacts"), 5, "the stored totals agree with the rows");
    let listed = fx.contacts(ws, &all, &page_of(ContactSort::CreatedAt, SortOrder::Asc, 1, 250));
    assert_eq!(listed.items.len(), 4);
}

/// Recording a key's use never waits for another transaction holding the key's row: on
/// Postgres the UPDATE skips a locked row (another request is recording the use), so a burst of
/// requests with one key does not queue behind one commit after another.
#[test]
fn touching_a_key_does_not_wait_for_a_locked_row() {
    use diesel::connection::SimpleConnection;
    let fx = fixture!(Backend::Postgres);
    let ws = fx.workspace("acme");
    let member = new_member(ws, "m@example.com", Role::Member, ts(0));
    fx.write(|tx| tx.workspaces().insert_member(&member)).unwrap();
    let (key, secret) = new_key(ws, member.id, "CI", ts(5));
    fx.write(|tx| tx.keys().insert_key(&key, &secret.digest())).unwrap();

    let mut holder = fx.conn();
    let MossConnection::Pg(pg) = &mut holder else {
        panic!("a Postgres fixture")
    };
    pg.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM api_keys WHERE id = '{}' FOR UPDATE",
        key.id
    ))
    .unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            let r = fx.read(|tx| tx.keys().touch_key(key.id, ts(100), ts(40)));
            done.send(r).unwrap();
        });
        let outcome = finished.recv_timeout(std::time::Duration::from_secs(5));
        // Release the row either way, so a waiting UPDATE cannot hang the test.
        pg.batch_execute("ROLLBACK").unwrap();
        assert!(
            matches!(outcome, Ok(Ok(()))),
            "touch_key waited for the locked row: {outcome:?}"
        );
    });
    let used = fx.read(|tx| tx.keys().active_key(ws, key.id)).unwrap().unwrap();
    assert_eq!(used.last_used_at, None, "the locked row was skipped, not updated");
    fx.read(|tx| tx.keys().touch_key(key.id, ts(100), ts(40))).unwrap();
    let used = fx.read(|tx| tx.keys().active_key(ws, key.id)).unwrap().unwrap();
    assert_eq!(used.last_used_at, Some(ts(100)), "and updated once free");
}

// ---------------------------------------------------------------------------------------------
// Custom-field values: the typed side table, a definition's delete and the reclaiming after it
// ---------------------------------------------------------------------------------------------

fn definition(ws: WorkspaceId, name: &str, field_type: FieldType, options: Option<&[&str]>) -> CustomField {
    CustomField {
        id: CustomFieldId::generate(),
        entity_type: EntityType::Contacts,
        field_name: name.to_owned(),
        field_label: name.to_owned(),
        field_type,
        field_options: options.map(|o| o.iter().map(|s| (*s).to_owned()).collect()),
        required: false,
        display_order: 0,
        common: Common {
            workspace_id: ws,
            tags: Vec::new(),
            custom_fields: BTreeMap::new(),
            created_at: ts(0),
            updated_at: ts(0),
        },
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn defined_values_live_in_the_side_table_and_are_reclaimed_after_their_definition(#[case] backend: Backend) {
    let fx = fixture!(backend);
    let ws = fx.workspace("acme");
    let langs = definition(ws, "langs", FieldType::Multiselect, Some(&["en", "fr", "de"]));
    fx.write(|tx| tx.custom_field_definitions().insert(&langs)).unwrap();
    let mut ids = Vec::new();
    for (i, list) in [vec!["en", "fr"], vec!["de"], vec![]].into_iter().enumerate() {
        let mut c = new_contact(ws, &format!("C{i}"));
        let list = Value::List(list.into_iter().map(Value::from).collect());
        c.common.custom_fields = BTreeMap::from([("langs".to_owned(), list), ("free".to_owned(), Value::from("x"))]);
        ids.push(fx.insert_contact(&c).id);
    }
    // One row per option (an empty list: one row holding none); the free-form name stays in
    // the record's JSON; reads show both.
    assert_eq!(fx.count_rows("custom_field_values"), 4);
    let first = fx.contact(ws, ids[0]).unwrap();
    assert_eq!(
        first.common.custom_fields["langs"],
        Value::List(vec![Value::from("en"), Value::from("fr")])
    );
    assert_eq!(first.common.custom_fields["free"], Value::from("x"));
    assert_eq!(
        fx.contact(ws, ids[2]).unwrap().common.custom_fields["langs"],
        Value::List(Vec::new())
    );
    let many = fx.read(|tx| tx.contacts().get_many(ws, &[ids[2], ids[0]])).unwrap();
    assert_eq!(many.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[2], ids[0]]);
    assert_eq!(many[1], first);

    // The definition's delete: its values vanish from reads at once, their rows stay until
    // reclaimed, a batch at a time (each batch takes whole records), then nothing is pending.
    fx.write(|tx| {
        assert_eq!(tx.custom_fields().count_values(langs.id)?, 3);
        tx.custom_fields().schedule_purge(ws, langs.id, ts(1))?;
        assert!(tx.custom_field_definitions().delete(ws, langs.id)?);
        Ok(())
    })
    .unwrap();
    let after = fx.contact(ws, ids[0]).unwrap();
    assert_eq!(
        after.common.custom_fields,
        BTreeMap::from([("free".to_owned(), Value::from("x"))])
    );
    assert_eq!(after.common.updated_at, first.common.updated_at);
    assert_eq!(fx.count_rows("custom_field_values"), 4);
    assert!(fx.read(|tx| tx.custom_fields().purge_pending()).unwrap());
    let mut passes = Vec::new();
    loop {
        let n = fx.write(|tx| tx.custom_fields().purge(1)).unwrap();
        if n == 0 {
            break;
        }
        assert!(
            fx.read(|tx| tx.custom_fields().purge_pending()).unwrap(),
            "done only once a pass finds none"
        );
        passes.push(n);
    }
    passes.sort_unstable();
    assert_eq!(passes, [1, 1, 2], "a batch of one takes one whole record");
    assert!(!fx.read(|tx| tx.custom_fields().purge_pending()).unwrap());
    assert_eq!(fx.count_rows("custom_field_values"), 0);
    assert_eq!(fx.count_rows("custom_field_purges"), 0);
}
