-- Interactions (the same as migrations/postgres): no tags or custom fields; references carry no
-- ON DELETE action (the use cases delete or clear what refers to a deleted record).
CREATE TABLE interactions (
    id TEXT PRIMARY KEY NOT NULL,
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
CREATE INDEX interactions_contact_occurred ON interactions (contact_id, occurred_at, id);
CREATE INDEX interactions_deal_occurred ON interactions (deal_id, occurred_at, id);

CREATE TRIGGER interactions_total_insert AFTER INSERT ON interactions
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (NEW.workspace_id, 'interactions', 0, 1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER interactions_total_delete AFTER DELETE ON interactions
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (OLD.workspace_id, 'interactions', 0, -1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total - 1;
END;
