-- Custom-field definitions (a record resource of their own) and the typed values of defined
-- fields, kept beside the JSON of free-form names so an equality filter uses an index and a
-- definition's delete is one indexed statement.
CREATE TABLE custom_field_definitions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL CHECK (entity_type IN ('contacts', 'companies', 'deals')),
    field_name TEXT COLLATE "C" NOT NULL,
    -- `entity_type:field_name`, unique in the workspace.
    name_key TEXT COLLATE "C" NOT NULL,
    field_label TEXT COLLATE "C" NOT NULL,
    field_type TEXT NOT NULL
        CHECK (field_type IN ('text', 'number', 'select', 'multiselect', 'date', 'checkbox')),
    -- A JSON list of strings for the select types, else NULL.
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
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER custom_field_definitions_total_delete AFTER DELETE ON custom_field_definitions
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();

-- One row per value (a multiselect: one per option, `ord` its place; an empty one: one row with
-- no text). Reads join live definitions, so a deleted definition's values vanish at once; its
-- rows are reclaimed afterwards (custom_field_purges).
CREATE TABLE custom_field_values (
    record_id TEXT NOT NULL,
    field_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    value_text TEXT COLLATE "C",
    value_number DOUBLE PRECISION,
    PRIMARY KEY (record_id, field_id, ord)
);
-- Equality on text (the first 200 characters, so a long text value fits a btree entry) and on
-- numbers, per field; also what a purge deletes by.
CREATE INDEX custom_field_values_text ON custom_field_values (field_id, substr(value_text, 1, 200), record_id);
CREATE INDEX custom_field_values_number ON custom_field_values (field_id, value_number, record_id);

-- Definitions deleted whose values are still to be reclaimed.
CREATE TABLE custom_field_purges (
    field_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    deleted_at TIMESTAMP NOT NULL
);

-- Search: the lower-cased name a tier is ordered by, the exact key (email, domain) of tier 1,
-- a names-only weight in the full-text vector (tier 2), and trigrams of names and keys for
-- near matches.
ALTER TABLE search_documents ADD COLUMN label TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE search_documents ADD COLUMN exact TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE search_documents d SET label = lower(c.first_name || coalesce(' ' || c.last_name, '')),
    exact = coalesce(c.email_lower, '')
FROM contacts c WHERE c.id = d.record_id;
UPDATE search_documents d SET label = lower(c.name), exact = coalesce(c.domain, '')
FROM companies c WHERE c.id = d.record_id;
UPDATE search_documents d SET label = lower(x.name) FROM deals x WHERE x.id = d.record_id;
DROP INDEX search_documents_search;
ALTER TABLE search_documents DROP COLUMN search;
ALTER TABLE search_documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, names), 'A')
    || to_tsvector('simple'::regconfig, keys || ' ' || other)
) STORED;
CREATE INDEX search_documents_search ON search_documents USING GIN (search);
CREATE INDEX search_documents_label ON search_documents (workspace_id, kind, label, record_id);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX search_documents_trigrams ON search_documents
    USING GIN ((' ' || names || ' ' || keys || ' ') gin_trgm_ops);
