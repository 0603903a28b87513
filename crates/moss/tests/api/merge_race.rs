//! A merge racing a delete of its source: one of them wins, and nothing is half done
//! (resources.md, Contact merge; issue: "a merge racing a delete of the source").

use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::Value;

use crate::support::*;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[rstest]
fn a_merge_racing_a_delete_of_its_source_either_wins_whole_or_fails_whole(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let Some(app) = TestApp::start(backend) else { return };
    let (mut merged, mut deleted) = (0, 0);
    for round in 0..8 {
        let source = id(&app.contact(json!({"first_name": format!("Dup {round}"), "phone": "+1 555 0100"})));
        let target = id(&app.contact(json!({"first_name": format!("Original {round}")})));
        for h in 0..5 {
            let r = app
                .post(
                    "/api/v1/interactions",
                    json!({"contact_id": source, "type": "note", "occurred_at": format!("2026-03-01T{h:02}:00:00Z")}),
                )
                .send();
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let deal = id(&app.deal(json!({"name": format!("Deal {round}")})));
        let r = app
            .post(&format!("/api/v1/deals/{deal}/contacts"), json!({"contact_id": source}))
            .send();
        assert_eq!(r.status, 201, "{}", r.text);

        let (merge, delete) = std::thread::scope(|s| {
            let merge = s.spawn(|| {
                app.post(
                    "/api/v1/contacts/merge",
                    json!({"source_id": source, "target_id": target}),
                )
                .send()
            });
            let delete = s.spawn(|| app.delete(&format!("/api/v1/contacts/{source}")).send());
            (merge.join().unwrap(), delete.join().unwrap())
        });
        app.get(&format!("/api/v1/contacts/{source}"))
            .send()
            .assert_error(404, "NOT_FOUND");
        let on = |c: &str| app.list_ids(&format!("/api/v1/interactions?contact_id={c}"));
        let links = app.list_ids(&format!("/api/v1/deals/{deal}/contacts"));
        assert!(on(&source).is_empty(), "round {round}: nothing is left on the source");
        match (merge.status, delete.status) {
            (200, 404) => {
                merged += 1;
                delete.assert_error(404, "NOT_FOUND");
                assert_eq!(on(&target).len(), 5, "round {round}: every interaction moved");
                assert_eq!(links.len(), 1, "round {round}: the link moved");
                assert_eq!(app.audit("event_type=contact.merged").len(), merged);
            }
            (400, 200) => {
                deleted += 1;
                merge.assert_error(400, "VALIDATION_ERROR");
                assert_eq!(merge.fields(), ["source_id"], "{}", merge.text);
                assert!(on(&target).is_empty(), "round {round}: nothing moved");
                assert!(links.is_empty(), "round {round}: the link went with the source");
                let target_now = app.get(&format!("/api/v1/contacts/{target}")).send().body["data"].clone();
                assert_eq!(
                    target_now["phone"],
                    Value::Null,
                    "round {round}: the target took nothing"
                );
            }
            other => panic!(
                "round {round}: merge {} / delete {}: {other:?}",
                merge.text, delete.text
            ),
        }
    }
    assert_eq!(merged + deleted, 8);
}
