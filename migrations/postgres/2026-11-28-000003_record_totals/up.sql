-- Exact totals of unfiltered lists without counting rows: each workspace's number of contacts
-- and companies, kept by triggers in the same transaction as the insert or delete.
--
-- A total is spread over up to 16 rows per workspace and resource (the shard is the writing
-- backend's pid modulo 16), so concurrent creates in one workspace do not queue on one row
-- lock until they commit. The total is the sum of the shards.
CREATE TABLE record_totals (
    workspace_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    shard SMALLINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, resource, shard)
);

INSERT INTO record_totals (workspace_id, resource, shard, total)
SELECT workspace_id, 'contacts', 0, count(*) FROM contacts GROUP BY workspace_id;
INSERT INTO record_totals (workspace_id, resource, shard, total)
SELECT workspace_id, 'companies', 0, count(*) FROM companies GROUP BY workspace_id;

-- Statement-level, with transition tables: one upsert per statement, also for bulk loads.
CREATE FUNCTION record_totals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total)
    SELECT workspace_id, TG_TABLE_NAME, pg_backend_pid() % 16, count(*) FROM inserted GROUP BY workspace_id
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = record_totals.total + EXCLUDED.total;
    RETURN NULL;
END $$;

CREATE FUNCTION record_totals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total)
    SELECT workspace_id, TG_TABLE_NAME, pg_backend_pid() % 16, -count(*) FROM deleted GROUP BY workspace_id
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = record_totals.total + EXCLUDED.total;
    RETURN NULL;
END $$;

CREATE TRIGGER contacts_total_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER contacts_total_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();
CREATE TRIGGER companies_total_insert AFTER INSERT ON companies
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER companies_total_delete AFTER DELETE ON companies
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();

