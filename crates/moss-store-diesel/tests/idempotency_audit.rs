//! Idempotency records and the append-only audit log, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeDelta;
use diesel::connection::SimpleConnection;
use moss_domain::audit::{AuditEntry, AuditEvent, AuditFilter, AuditSort};
use moss_domain::id::{KeyId, WorkspaceId};
use moss_domain::idempotency::{Claim, ClaimOutcome, Fingerprint, IdempotencyKey, StoredResponse};
use moss_domain::page::SortOrder;
use moss_domain::store::{Mode, Store};
use moss_domain::time::now;
use moss_domain::workspace::Workspace;
use moss_domain::{Actor, DomainError, PageRequest};
use moss_store_diesel::testing::TestDatabase;
use moss_store_diesel::{Backend, DieselStore};
use rstest::rstest;

fn write<T>(
    store: &DieselStore,
    f: impl FnOnce(&mut dyn moss_domain::Tx) -> moss_domain::Result<T>,
) -> moss_domain::Result<T> {
    let mut f = Some(f);
    let mut out = None;
    store.run(Mode::Write, &mut |tx| {
        out = Some((f.take().unwrap())(tx)?);
        Ok(())
    })?;
    Ok(out.unwrap())
}

fn claim(key: &str, body: &[u8], expires_in: TimeDelta) -> Claim {
    Claim {
        api_key: KeyId::generate(),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: Fingerprint::of("POST", "/api/v1/contacts", "", body),
        expires_at: now() + expires_in,
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_claim_is_kept_with_its_answer_until_it_expires(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let store = db.store();
    let c = claim("k", b"{}", TimeDelta::hours(24));
    let answer = StoredResponse {
        status: 201,
        location: Some("/api/v1/contacts/x".into()),
        body: b"{\"data\":1}".to_vec(),
    };
    let (c1, a1) = (c.clone(), answer.clone());
    let outcome = write(&store, move |tx| {
        let o = tx.idempotency().claim(&c1, now())?;
        tx.idempotency().store_response(&c1, &a1)?;
        Ok(o)
    })
    .unwrap();
    assert_eq!(outcome, ClaimOutcome::Claimed);
    let c2 = c.clone();
    let again = write(&store, move |tx| tx.idempotency().claim(&c2, now())).unwrap();
    assert_eq!(
        again,
        ClaimOutcome::Used {
            fingerprint: c.fingerprint,
            response: answer.clone()
        }
    );
    // The same key of another API key is free.
    let mut other = c.clone();
    other.api_key = KeyId::generate();
    assert_eq!(
        write(&store, move |tx| tx.idempotency().claim(&other, now())).unwrap(),
        ClaimOutcome::Claimed
    );
    // Once expired, the key is free again, and purging removes expired records.
    let c3 = c.clone();
    let later = now() + TimeDelta::hours(25);
    assert_eq!(
        write(&store, move |tx| tx.idempotency().claim(&c3, later)).unwrap(),
        ClaimOutcome::Claimed
    );
    let purged = write(&store, move |tx| {
        tx.idempotency().purge_expired(later + TimeDelta::hours(25))
    })
    .unwrap();
    assert_eq!(purged, 2, "both records have expired by then");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn a_claim_rolled_back_with_its_transaction_leaves_the_key_free(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let store = db.store();
    let c = claim("k", b"{}", TimeDelta::hours(24));
    let c1 = c.clone();
    let err = write(&store, move |tx| {
        tx.idempotency().claim(&c1, now())?;
        Err::<(), _>(DomainError::Internal("boom".into()))
    })
    .unwrap_err();
    assert_eq!(err, DomainError::Internal("boom".into()));
    assert_eq!(
        write(&store, move |tx| tx.idempotency().claim(&c, now())).unwrap(),
        ClaimOutcome::Claimed
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn the_failure_switch_rolls_back_a_whole_mutation(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let store = db.store();
    let dyn_store: &dyn Store = &store;
    let ctx = moss_domain::testing::context(Actor::system(WorkspaceId::generate()), "req-1");
    let create = |slug: &'static str| {
        move |tx: &mut dyn moss_domain::Tx, _: &Actor| {
            let w = Workspace::parse_new("W", slug, now()).unwrap();
            tx.workspaces().insert_workspace(&w)?;
            let mut audit = AuditEvent::new("workspace", "created", w.id);
            audit.workspace_id = Some(w.id);
            Ok(moss_domain::Change::new((), audit))
        }
    };
    store.fail_next_write();
    let err = dyn_store.mutate(&ctx, create("w")).unwrap_err();
    assert_eq!(err, DomainError::Internal("injected failure after writing".into()));
    assert_eq!(dyn_store.read(|tx| tx.workspaces().count_workspaces()).unwrap(), 0);
    // The switch fires once; the same slug is free because nothing was kept.
    dyn_store.mutate(&ctx, create("w")).unwrap();
    assert_eq!(dyn_store.read(|tx| tx.workspaces().count_workspaces()).unwrap(), 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn audit_entries_cannot_be_changed_or_deleted(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let store = db.store();
    let dyn_store: &dyn Store = &store;
    let w = Workspace::parse_new("W", "w", now()).unwrap();
    let ws = w.id;
    let ctx = moss_domain::testing::context(Actor::system(ws), "req-1");
    dyn_store
        .mutate(&ctx, move |tx, _| {
            tx.workspaces().insert_workspace(&w)?;
            Ok(moss_domain::Change::new(
                (),
                AuditEvent::new("workspace", "created", ws),
            ))
        })
        .unwrap();
    let page = PageRequest {
        page: 1,
        per_page: 25,
        sort: AuditSort::CreatedAt,
        order: SortOrder::Desc,
    };
    let entries: Vec<AuditEntry> = dyn_store
        .read(|tx| tx.audit().list_audit(ws, &AuditFilter::default(), &page))
        .unwrap()
        .items;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].request_id, "req-1");
    let mut conn = db.url().connect().unwrap();
    for sql in ["UPDATE audit_log SET event_type = 'x'", "DELETE FROM audit_log"] {
        let err = conn.batch_execute(sql).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let after = dyn_store
        .read(|tx| tx.audit().list_audit(ws, &AuditFilter::default(), &page))
        .unwrap()
        .items;
    assert_eq!(after, entries);
}
