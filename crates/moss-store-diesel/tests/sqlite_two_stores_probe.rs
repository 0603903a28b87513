#![allow(clippy::unwrap_used, clippy::expect_used)]
use moss_domain::store::{Mode, Store};
use moss_domain::id::{ContactId, WorkspaceId};
use moss_domain::contact::Contact;
use moss_domain::workspace::{Workspace, Slug};
use moss_store_diesel::testing::TestDatabase;

#[test]
fn probe() {
    let db = TestDatabase::sqlite();
    let a = db.store();
    let b = db.store();
    let now = moss_domain::time::now();
    let ws = Workspace { id: WorkspaceId::generate(), name: "w".into(), slug: Slug::parse("s", "w").unwrap(), created_at: now, updated_at: now };
    a.run(Mode::Write, &mut |tx| tx.workspaces().insert_workspace(&ws)).unwrap();
    let errors = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for store in [&a, &b, &a, &b] {
            let errors = &errors;
            s.spawn(move || {
                for i in 0..50 {
                    let c = Contact { id: ContactId::generate(), workspace_id: ws.id, first_name: format!("c{i}"), last_name: None, email: None, phone: None, title: None, linkedin_url: None, company_id: None, notes: None, tags: vec![], custom_fields: Default::default(), created_at: now, updated_at: now };
                    let r = store.run(Mode::Write, &mut |tx| {
                        tx.workspaces().count_workspaces()?;
                        std::thread::yield_now();
                        tx.contacts().insert_contact(&c)
                    });
                    if let Err(e) = r { errors.lock().unwrap().push(e.to_string()); }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    println!("{} errors: {:?}", errors.len(), errors.iter().take(3).collect::<Vec<_>>());
    assert!(errors.is_empty());
}
