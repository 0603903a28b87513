-- Custom-field definitions and typed values (the same as migrations/postgres), and the search
-- columns of the tiers: label, exact, and a trigram index of names and keys.
CREATE TABLE custom_field_definitions (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL CHECK (entity_type IN ('contacts', 'companies', 'deals')),
    field_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    field_label TEXT NOT NULL,
    field_type TEXT NOT NULL
        CHECK (field_type IN ('text', 'number', 'select', 'multiselect', 'date', 'checkbox')),
    field_options TEXT,
    required BOOLEAN NOT NULL DEFAULT FALSE,
    display_order BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, name_key)
);
CREATE INDEX custom_field_definitions_entity ON custom_field_definitions (workspace_id, entity_type, field_name);
CREATE INDEX custom_field_definitions_created ON custom_field_definitions (workspace_id, created_at, id);
CREATE TRIGGER custom_field_definitions_total_insert AFTER INSERT ON custom_field_definitions
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total)
    VALUES (NEW.workspace_id, 'custom_field_definitions', 0, 1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER custom_field_definitions_total_delete AFTER DELETE ON custom_field_definitions
BEGIN
    INSERT INTO record_totals (workspace_id, resource, shard, total)
    VALUES (OLD.workspace_id, 'custom_field_definitions', 0, -1)
    ON CONFLICT (workspace_id, resource, shard) DO UPDATE SET total = total - 1;
END;

CREATE TABLE custom_field_values (
    record_id TEXT NOT NULL,
    field_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    value_text TEXT,
    value_number DOUBLE,
    PRIMARY KEY (record_id, field_id, ord)
) WITHOUT ROWID;
CREATE INDEX custom_field_values_text ON custom_field_values (field_id, substr(value_text, 1, 200), record_id);
CREATE INDEX custom_field_values_number ON custom_field_values (field_id, value_number, record_id);

CREATE TABLE custom_field_purges (
    field_id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    deleted_at TIMESTAMP NOT NULL
);

ALTER TABLE search_documents ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE search_documents ADD COLUMN exact TEXT NOT NULL DEFAULT '';
UPDATE search_documents SET
    label = (SELECT lower(c.first_name || coalesce(' ' || c.last_name, '')) FROM contacts c WHERE c.id = record_id),
    exact = (SELECT coalesce(c.email_lower, '') FROM contacts c WHERE c.id = record_id)
WHERE kind = 'contact';
UPDATE search_documents SET
    label = (SELECT lower(c.name) FROM companies c WHERE c.id = record_id),
    exact = (SELECT coalesce(c.domain, '') FROM companies c WHERE c.id = record_id)
WHERE kind = 'company';
UPDATE search_documents SET label = (SELECT lower(x.name) FROM deals x WHERE x.id = record_id)
WHERE kind = 'deal';
CREATE INDEX search_documents_label ON search_documents (workspace_id, kind, label, record_id);

-- Trigrams of names and keys, padded with spaces so a word's first and last two letters make
-- trigrams of their own; contentless, kept in step by triggers.
CREATE VIRTUAL TABLE search_trigrams USING fts5(padded, content = '', tokenize = 'trigram');
INSERT INTO search_trigrams (rowid, padded)
SELECT seq, ' ' || names || ' ' || keys || ' ' FROM search_documents;
CREATE TRIGGER search_trigrams_insert AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_trigrams (rowid, padded) VALUES (new.seq, ' ' || new.names || ' ' || new.keys || ' ');
END;
CREATE TRIGGER search_trigrams_delete AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_trigrams (search_trigrams, rowid, padded)
    VALUES ('delete', old.seq, ' ' || old.names || ' ' || old.keys || ' ');
END;
CREATE TRIGGER search_trigrams_update AFTER UPDATE OF names, keys ON search_documents BEGIN
    INSERT INTO search_trigrams (search_trigrams, rowid, padded)
    VALUES ('delete', old.seq, ' ' || old.names || ' ' || old.keys || ' ');
    INSERT INTO search_trigrams (rowid, padded) VALUES (new.seq, ' ' || new.names || ' ' || new.keys || ' ');
END;
