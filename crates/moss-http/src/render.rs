//! The one renderer of records: a record's public JSON, whoever asks. The handlers' `GET`s and
//! lists render through each [`Resource::render`]; the snapshots a change carries are rendered
//! by [`JsonRenderer`] through the same functions, inside the mutation's transaction, and a
//! one-record change answers with that snapshot. The composition root (`moss`) puts a
//! [`JsonRenderer`] in the server's [`AppState`](crate::AppState) and in the CLI's contexts.

use std::sync::Arc;

use moss_domain::record::{Renderer, Snapshot};

use crate::routes::records::Resource;

/// Renders a record's snapshot exactly as a `GET` of it answers its `data`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, snapshot: &Snapshot) -> String {
        let json = match snapshot {
            Snapshot::Contact(c) => c.render(),
            Snapshot::Company(c) => c.render(),
            Snapshot::Deal(d) => d.render(),
            Snapshot::Interaction(i) => i.render(),
            Snapshot::Commitment(c) => c.render(),
            Snapshot::FollowUp(f) => f.render(),
            Snapshot::CustomField(d) => d.render(),
        };
        json.to_string()
    }
}

/// A [`JsonRenderer`], shared.
pub fn renderer() -> Arc<dyn Renderer> {
    Arc::new(JsonRenderer)
}

#[cfg(test)]
mod tests {
    use moss_domain::id::WorkspaceId;
    use moss_domain::testing::{stored_company, stored_contact, stored_deal};
    use serde_json::Value;

    use super::*;

    #[test]
    fn a_snapshot_renders_as_its_records_get_answers_it() {
        let ws = WorkspaceId::generate();
        let (contact, company, deal) = (stored_contact(ws), stored_company(ws), stored_deal(ws));
        let cases = [
            (Snapshot::Contact(contact.clone()), contact.render()),
            (Snapshot::Company(company.clone()), company.render()),
            (Snapshot::Deal(deal.clone()), deal.render()),
        ];
        for (snapshot, get) in cases {
            let text = JsonRenderer.render(&snapshot);
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, get, "{snapshot:?}");
            assert!(text.starts_with(r#"{"id":""#), "{text}");
        }
    }
}
