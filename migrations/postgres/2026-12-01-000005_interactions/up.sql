-- Interactions: calls, emails, meetings, ... logged against a contact. No tags or custom fields.
-- References carry no ON DELETE action: a contact's delete deletes its interactions and a deal's
-- delete clears their deal_id, through the use cases (which list them in the delete's entry).
CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    type TEXT NOT NULL CHECK (type IN ('call', 'email', 'meeting', 'note', 'demo', 'proposal')),
    deal_id TEXT REFERENCES deals (id),
    notes TEXT,
    occurred_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX interactions_workspace_occurred ON interactions (workspace_id, occurred_at, id);
CREATE INDEX interactions_workspace_created ON interactions (workspace_id, created_at, id);
-- A contact's and a deal's interactions, newest first (the filters and the timelines).
CREATE INDEX interactions_contact_occurred ON interactions (contact_id, occurred_at, id);
CREATE INDEX interactions_deal_occurred ON interactions (deal_id, occurred_at, id);

CREATE TRIGGER interactions_total_insert AFTER INSERT ON interactions
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER interactions_total_delete AFTER DELETE ON interactions
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();
