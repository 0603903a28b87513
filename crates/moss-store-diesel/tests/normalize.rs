//! The text normalization step of `moss migrate` over rows written before Moss normalized its
//! input: NFC everywhere, folded comparison keys, colliding rows left alone and reported, and a
//! second run that changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};
use moss_domain::id::{ContactId, WorkspaceId};
use moss_domain::workspace::service::create_workspace;
use moss_domain::{Actor, Store};
use moss_store_diesel::testing::TestDatabase;
use moss_store_diesel::{Backend, MossConnection, normalize};
use rstest::rstest;

fn contact(conn: &mut MossConnection, ws: &str, first: &str, email: Option<&str>, email_lower: Option<&str>) -> String {
    let id = ContactId::generate().to_string();
    let now = chrono::Utc::now().naive_utc();
    diesel::sql_query(
        "INSERT INTO contacts (id, workspace_id, first_name, email, email_lower, custom_fields, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind::<Text, _>(&id)
    .bind::<Text, _>(ws)
    .bind::<Text, _>(first)
    .bind::<Nullable<Text>, _>(email)
    .bind::<Nullable<Text>, _>(email_lower)
    .bind::<Text, _>("{\"k\":\"e\u{301}\"}")
    .bind::<Timestamp, _>(now)
    .execute(conn)
    .unwrap();
    id
}

fn tag(conn: &mut MossConnection, ws: &str, key: &str, name: &str, record: &str) {
    let now = chrono::Utc::now().naive_utc();
    diesel::sql_query("INSERT INTO tags (workspace_id, name_lower, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind::<Text, _>(ws)
        .bind::<Text, _>(key)
        .bind::<Text, _>(name)
        .bind::<Timestamp, _>(now)
        .execute(conn)
        .unwrap();
    diesel::sql_query("INSERT INTO record_tags (record_id, workspace_id, name_lower) VALUES ($1, $2, $3)")
        .bind::<Text, _>(record)
        .bind::<Text, _>(ws)
        .bind::<Text, _>(key)
        .execute(conn)
        .unwrap();
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = Text)]
    first_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email_lower: Option<String>,
    #[diesel(sql_type = Text)]
    custom_fields: String,
    #[diesel(sql_type = Text)]
    search_text: String,
}

fn row(conn: &mut MossConnection, id: &str) -> Row {
    // The search text is the record's entry in the search index (none for a row written by SQL
    // and never rewritten).
    diesel::sql_query(
        "SELECT first_name, email, email_lower, custom_fields, \
         coalesce((SELECT d.names || ' ' || d.keys || ' ' || d.other FROM search_documents d \
                   WHERE d.record_id = contacts.id), '') AS search_text \
         FROM contacts WHERE id = $1",
    )
    .bind::<Text, _>(id)
    .get_result(conn)
    .unwrap()
}

#[derive(QueryableByName, Debug, PartialEq)]
struct TagRow {
    #[diesel(sql_type = Text)]
    name_lower: String,
    #[diesel(sql_type = Text)]
    name: String,
}

fn tags_of(conn: &mut MossConnection, record: &str) -> Vec<TagRow> {
    diesel::sql_query(
        "SELECT t.name_lower, t.name FROM record_tags r JOIN tags t \
         ON t.workspace_id = r.workspace_id AND t.name_lower = r.name_lower WHERE r.record_id = $1 ORDER BY t.name_lower",
    )
    .bind::<Text, _>(record)
    .load(conn)
    .unwrap()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn old_rows_are_rewritten_in_nfc_colliding_ones_are_reported_and_a_second_run_changes_nothing(
    #[case] backend: Backend,
) {
    let Some(db) = TestDatabase::new(backend) else { return };
    let store = db.store();
    let ctx = moss_domain::testing::context(Actor::system(WorkspaceId::generate()), "test");
    let created = (&store as &dyn Store)
        .mutate(&ctx, |tx, _| {
            create_workspace(tx, "Cafe\u{301}", "cafe", "jose\u{301}@example.com")
        })
        .unwrap();
    let ws = created.workspace.id.to_string();
    let mut conn = db.url().connect().unwrap();
    diesel::sql_query("UPDATE workspaces SET name = $1")
        .bind::<Text, _>("Cafe\u{301}")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("UPDATE members SET email = $1, email_lower = $1")
        .bind::<Text, _>("JOSE\u{301}@example.com")
        .execute(&mut conn)
        .unwrap();

    // Written before normalization: decomposed text, keys lower-cased but not folded.
    let renee = contact(
        &mut conn,
        &ws,
        "Rene\u{301}e",
        Some("Rene\u{301}e@Example.com"),
        Some("rene\u{301}e@example.com"),
    );
    let composed = contact(
        &mut conn,
        &ws,
        "Ren\u{e9}e",
        Some("ren\u{e9}e@example.com"),
        Some("ren\u{e9}e@example.com"),
    );
    let strasse = contact(
        &mut conn,
        &ws,
        "S",
        Some("STRASSE@example.com"),
        Some("strasse@example.com"),
    );
    let strasse2 = contact(
        &mut conn,
        &ws,
        "S",
        Some("Stra\u{df}e@example.com"),
        Some("stra\u{df}e@example.com"),
    );
    tag(&mut conn, &ws, "caf\u{e9}", "caf\u{e9}", &composed);
    tag(&mut conn, &ws, "cafe\u{301}", "cafe\u{301}", &renee);
    tag(&mut conn, &ws, "stra\u{df}e", "Stra\u{df}e", &renee);

    let first = normalize::run_on(&mut conn).unwrap();
    let mut collisions = first.collisions.clone();
    collisions.sort();
    // Whichever of the two Renées is read first keeps its email; the other is reported.
    let reported_renee = collisions.iter().any(|c| c == &format!("contact {renee}"));
    let reported_composed = collisions.iter().any(|c| c == &format!("contact {composed}"));
    assert!(reported_renee ^ reported_composed, "{collisions:?}");
    assert!(collisions.contains(&format!("tag {ws}/cafe\u{301}")), "{collisions:?}");
    assert!(collisions.contains(&format!("contact {strasse2}")), "{collisions:?}");
    assert_eq!(collisions.len(), 3, "{collisions:?}");

    // A rewritten contact: NFC text and custom fields, a folded key, its search text.
    let ok = if reported_renee { &composed } else { &renee };
    let r = row(&mut conn, ok);
    assert_eq!(r.first_name, "Ren\u{e9}e");
    assert_eq!(r.email_lower.as_deref(), Some("ren\u{e9}e@example.com"));
    assert_eq!(r.custom_fields, "{\"k\":\"\u{e9}\"}");
    assert!(r.search_text.starts_with("ren\u{e9}e"), "{}", r.search_text);
    let s = row(&mut conn, &strasse);
    assert_eq!(s.email_lower.as_deref(), Some("strasse@example.com"));
    // A colliding contact is left exactly as it was.
    let left = row(&mut conn, &strasse2);
    assert_eq!(left.email_lower.as_deref(), Some("stra\u{df}e@example.com"));
    assert_eq!(left.search_text, "", "left unchanged");

    // ß moved to its folded key with its record; the decomposed café collided and stayed.
    let renee_tags = tags_of(&mut conn, &renee);
    assert_eq!(
        renee_tags,
        [
            TagRow {
                name_lower: "cafe\u{301}".into(),
                name: "cafe\u{301}".into()
            },
            TagRow {
                name_lower: "strasse".into(),
                name: "Stra\u{df}e".into()
            },
        ]
    );

    // The workspace's name and its owner's email are NFC now, the email's key folded.
    let created_ws = (&store as &dyn Store)
        .read(|tx| tx.workspaces().workspace(created.workspace.id))
        .unwrap()
        .unwrap();
    assert_eq!(created_ws.name, "Caf\u{e9}");
    let owner = (&store as &dyn Store)
        .read(|tx| {
            tx.workspaces()
                .member_by_email(created.workspace.id, "jos\u{e9}@example.com")
        })
        .unwrap()
        .expect("found by its folded email");
    assert_eq!(owner.email.as_str(), "JOS\u{c9}@example.com");

    // Idempotent: nothing more to do, the same rows still reported.
    let second = normalize::run_on(&mut conn).unwrap();
    assert_eq!(second.rewritten, 0, "{second:?}");
    let mut again = second.collisions.clone();
    again.sort();
    assert_eq!(again, collisions);
    assert!(first.rewritten >= 4, "{first:?}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn the_step_runs_once_at_serve_start_and_whenever_migrate_asks(#[case] backend: Backend) {
    let Some(db) = TestDatabase::new(backend) else { return };
    assert!(normalize::run_once(db.url()).unwrap().is_some(), "first start runs it");
    assert!(normalize::run_once(db.url()).unwrap().is_none(), "later starts do not");
    assert_eq!(normalize::run(db.url()).unwrap(), normalize::Normalized::default());
}
