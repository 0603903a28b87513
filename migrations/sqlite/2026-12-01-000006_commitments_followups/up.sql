-- Commitments and follow-ups (the same as migrations/postgres): no tags or custom fields;
-- references carry no ON DELETE action (the use cases delete or clear what refers to a
-- deleted record). `priority` is stored as its rank (0 low, 1 medium, 2 high).
CREATE TABLE commitments (
    id TEXT PRIMARY KEY NOT NULL,
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
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (NEW.workspace_id, 'commitments', 0, 1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER commitments_total_delete AFTER DELETE ON commitments
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (OLD.workspace_id, 'commitments', 0, -1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total - 1;
END;

CREATE TABLE followups (
    id TEXT PRIMARY KEY NOT NULL,
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
CREATE INDEX followups_workspace_open_due ON followups (workspace_id, due_date, id) WHERE NOT completed;
CREATE INDEX followups_contact ON followups (contact_id, created_at, id);
CREATE INDEX followups_deal ON followups (deal_id, created_at, id);

CREATE TRIGGER followups_total_insert AFTER INSERT ON followups
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (NEW.workspace_id, 'followups', 0, 1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER followups_total_delete AFTER DELETE ON followups
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (OLD.workspace_id, 'followups', 0, -1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total - 1;
END;
