-- Commitments and follow-ups: engagement records of a contact, with no tags or custom fields.
-- References carry no ON DELETE action: a contact's delete deletes them and a deal's delete
-- clears their deal_id, through the use cases (which list them in the delete's entry).
CREATE TABLE commitments (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    description TEXT NOT NULL,
    deal_id TEXT REFERENCES deals (id),
    due_date DATE,
    status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
    completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX commitments_workspace_due ON commitments (workspace_id, due_date, id);
CREATE INDEX commitments_workspace_created ON commitments (workspace_id, created_at, id);
CREATE INDEX commitments_contact ON commitments (contact_id, created_at, id);
CREATE INDEX commitments_deal ON commitments (deal_id, created_at, id);

CREATE TRIGGER commitments_total_insert AFTER INSERT ON commitments
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER commitments_total_delete AFTER DELETE ON commitments
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();

-- `priority` is stored as its rank (0 low, 1 medium, 2 high), so the priority sort is by rank.
CREATE TABLE followups (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    title TEXT NOT NULL,
    deal_id TEXT REFERENCES deals (id),
    due_date DATE NOT NULL,
    priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
    notes TEXT,
    completed BOOLEAN NOT NULL,
    completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX followups_workspace_due ON followups (workspace_id, due_date, id);
CREATE INDEX followups_workspace_priority ON followups (workspace_id, priority, id);
CREATE INDEX followups_workspace_created ON followups (workspace_id, created_at, id);
-- "Due today" and its neighbours: the open follow-ups of a workspace by date.
CREATE INDEX followups_workspace_open_due ON followups (workspace_id, due_date, id) WHERE NOT completed;
CREATE INDEX followups_contact ON followups (contact_id, created_at, id);
CREATE INDEX followups_deal ON followups (deal_id, created_at, id);

CREATE TRIGGER followups_total_insert AFTER INSERT ON followups
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER followups_total_delete AFTER DELETE ON followups
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();
