-- Exact totals of unfiltered lists without counting rows: each workspace's number of contacts
-- and companies, kept by triggers in the same transaction as the insert or delete. SQLite has
-- one writer at a time, so one row (shard 0) per workspace and resource is enough; the column
-- exists so that both backends read totals with the same query.
CREATE TABLE record_totals (
    workspace_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    shard INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, resource, shard)
) WITHOUT ROWID;

INSERT INTO record_totals (workspace_id, resource, shard, total)
SELECT workspace_id, 'contacts', 0, count(*) FROM contacts GROUP BY workspace_id;
INSERT INTO record_totals (workspace_id, resource, shard, total)
SELECT workspace_id, 'companies', 0, count(*) FROM companies GROUP BY workspace_id;

CREATE TRIGGER contacts_total_insert AFTER INSERT ON contacts
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (NEW.workspace_id, 'contacts', 0, 1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER contacts_total_delete AFTER DELETE ON contacts
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (OLD.workspace_id, 'contacts', 0, -1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total - 1;
END;
CREATE TRIGGER companies_total_insert AFTER INSERT ON companies
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (NEW.workspace_id, 'companies', 0, 1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER companies_total_delete AFTER DELETE ON companies
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total) VALUES (OLD.workspace_id, 'companies', 0, -1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total - 1;
END;
