//! Migrations: every one applies, reverts and applies again on both backends, and the two
//! backends' migration folders stay in step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::Text;
use moss_domain::id::WorkspaceId;
use moss_domain::store::{Mode, Store};
use moss_domain::workspace::{Slug, Workspace};
use moss_store_diesel::testing::TestDatabase;
use moss_store_diesel::{Backend, MossConnection, migrate};
use rstest::rstest;

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Object {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
}

/// Every schema object (tables, indexes, views, sequences, triggers), by kind and name.
fn schema_objects(conn: &mut MossConnection) -> Vec<Object> {
    let mut objects: Vec<Object> = match conn {
        MossConnection::Pg(c) => diesel::sql_query(
            "SELECT c.relkind::text AS kind, c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' \
             UNION ALL SELECT 'trigger' AS kind, t.tgname::text AS name FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND NOT t.tgisinternal",
        )
        .load(c)
        .unwrap(),
        MossConnection::Sqlite(c) => diesel::sql_query(
            "SELECT type AS kind, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .load(c)
        .unwrap(),
    };
    objects.sort();
    objects
}

fn names(objects: &[Object]) -> BTreeSet<&str> {
    objects.iter().map(|o| o.name.as_str()).collect()
}

const TABLES: [&str; 8] = [
    "workspaces",
    "members",
    "api_keys",
    "companies",
    "contacts",
    "tags",
    "record_tags",
    "audit_log",
];

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn migrations_go_up_down_and_up_again(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let mut conn = db.url().connect().unwrap();
    let first = schema_objects(&mut conn);
    for table in TABLES {
        assert!(
            names(&first).contains(table),
            "{table} missing after migrating: {first:?}"
        );
    }
    // Already up to date: nothing to apply.
    assert_eq!(migrate::run_on(&mut conn).unwrap(), Vec::<String>::new());

    migrate::revert_all(&mut conn).unwrap();
    let reverted = schema_objects(&mut conn);
    let left: BTreeSet<&str> = names(&reverted)
        .into_iter()
        .filter(|n| !n.starts_with("__diesel_schema_migrations"))
        .collect();
    assert!(left.is_empty(), "down.sql left objects behind: {left:?}");

    let applied = migrate::run_on(&mut conn).unwrap();
    assert_eq!(applied.len(), migration_dirs("postgres").len(), "{applied:?}");
    assert_eq!(
        schema_objects(&mut conn),
        first,
        "up after down recreates exactly the same schema"
    );

    // And the store works on it.
    let store = db.store();
    let ws = Workspace {
        id: WorkspaceId::generate(),
        name: "After".into(),
        slug: Slug::parse("slug", "after").unwrap(),
        created_at: moss_domain::time::now(),
        updated_at: moss_domain::time::now(),
    };
    store
        .run(Mode::Write, &mut |tx| tx.workspaces().insert_workspace(&ws))
        .unwrap();
    let mut found = None;
    store
        .run(Mode::Read, &mut |tx| {
            found = tx.workspaces().workspace(ws.id)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(found, Some(ws));
}

fn migrations_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

/// The migration folder names of one backend.
fn migration_dirs(backend: &str) -> BTreeSet<String> {
    std::fs::read_dir(migrations_root().join(backend))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations_each_with_up_and_down() {
    let pg = migration_dirs("postgres");
    let sqlite = migration_dirs("sqlite");
    assert!(!pg.is_empty());
    assert_eq!(
        pg, sqlite,
        "migrations/postgres and migrations/sqlite must have the same folders"
    );
    for backend in ["postgres", "sqlite"] {
        // Nothing but migration folders (diesel would not run a stray file, and a reader would
        // be misled by it).
        for entry in std::fs::read_dir(migrations_root().join(backend)).unwrap() {
            let entry = entry.unwrap();
            assert!(
                entry.file_type().unwrap().is_dir(),
                "stray file {}",
                entry.path().display()
            );
        }
        for dir in &pg {
            let (version, name) = dir
                .split_once('_')
                .unwrap_or_else(|| panic!("{dir}: expected <version>_<name>"));
            assert!(
                !name.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '-'),
                "{dir}"
            );
            for file in ["up.sql", "down.sql"] {
                let path = migrations_root().join(backend).join(dir).join(file);
                let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!sql.trim().is_empty(), "{} is empty", path.display());
            }
        }
    }
}

/// The schema convention of record tables (crates.io's `schema_details.rs` is the model): every
/// table the record machinery stores ([`moss_store_diesel::RECORD_TABLES`]) has the triggers that
/// keep its stored total, on both backends, and the one search index exists. A new record
/// resource whose migration forgets them fails here rather than answering `total: 0`.
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn every_record_table_keeps_its_total_and_shares_the_search_index(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let mut conn = db.url().connect().unwrap();
    let objects = schema_objects(&mut conn);
    let present = names(&objects);
    for table in moss_store_diesel::RECORD_TABLES {
        assert!(present.contains(table), "{backend:?}: no table {table}");
        for trigger in [format!("{table}_total_insert"), format!("{table}_total_delete")] {
            assert!(
                present.contains(trigger.as_str()),
                "{backend:?}: {table} has no trigger {trigger}"
            );
        }
        assert!(
            !present.contains(format!("{table}_fts").as_str()),
            "{backend:?}: {table} has a search table of its own; records share search_documents"
        );
    }
    assert!(present.contains("search_documents"), "{backend:?}");
    let index = match backend {
        Backend::Sqlite => "search_fts",
        Backend::Postgres => "search_documents_search",
    };
    assert!(present.contains(index), "{backend:?}: no {index}");
}

fn batch(conn: &mut MossConnection, sql: &str) {
    use diesel::connection::SimpleConnection;
    match conn {
        MossConnection::Pg(c) => c.batch_execute(sql).unwrap(),
        MossConnection::Sqlite(c) => c.batch_execute(sql).unwrap(),
    }
}

/// Records stored before the shared search index keep being found by the words they were
/// found by: the migration fills `search_documents` from each table's old search text.
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn records_written_before_the_search_index_are_found_after_it(#[case] backend: Backend) {
    use moss_domain::contact::{Contact, ContactFilter};
    use moss_domain::record::{ListFilter, Window};
    let Some(db) = TestDatabase::new(backend) else { return };
    let folder = migrations_root()
        .join(if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        })
        .join("2026-12-01-000002_search_documents");
    let read = |f: &str| std::fs::read_to_string(folder.join(f)).unwrap();
    let mut conn = db.url().connect().unwrap();
    batch(&mut conn, &read("down.sql"));
    let ws = WorkspaceId::generate();
    let contact = moss_domain::id::ContactId::generate();
    batch(
        &mut conn,
        &format!(
            "INSERT INTO workspaces (id, name, slug, created_at, updated_at) \
             VALUES ('{ws}', 'Old', 'old', '2026-01-01 00:00:00', '2026-01-01 00:00:00'); \
             INSERT INTO contacts (id, workspace_id, first_name, email, email_lower, custom_fields, search_text, \
             created_at, updated_at) VALUES ('{contact}', '{ws}', 'Ada', 'Ada@Example.com', 'ada@example.com', '{{}}', \
             'ada ada example com analyst', '2026-01-01 00:00:00', '2026-01-01 00:00:00');"
        ),
    );
    batch(&mut conn, &read("up.sql"));

    let store = db.store();
    for q in ["ada", "analyst", "exam"] {
        let filter = ListFilter::new(Some(q), None, Window::default(), ContactFilter::default());
        let mut ids = Vec::new();
        store
            .run(Mode::Read, &mut |tx| {
                let page = tx.contacts().list(ws, &filter, &moss_domain::PageRequest::first())?;
                ids = page.items.iter().map(|c: &Contact| c.id).collect();
                Ok(())
            })
            .unwrap();
        assert_eq!(ids, vec![contact], "{backend:?}: q={q}");
    }
}
