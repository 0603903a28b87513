-- One search index for every record resource: a row per record, with the columns the search
-- tiers need (names, exact keys, the rest), written by the record machinery in the same
-- transaction as the record. Replaces the per-table `search_text` columns.
CREATE TABLE search_documents (
    record_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    names TEXT NOT NULL DEFAULT '',
    keys TEXT NOT NULL DEFAULT '',
    other TEXT NOT NULL DEFAULT '',
    search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, names || ' ' || keys || ' ' || other)
    ) STORED
);
CREATE INDEX search_documents_search ON search_documents USING GIN (search);
CREATE INDEX search_documents_workspace_kind ON search_documents (workspace_id, kind);

-- Existing records keep exactly the words they were found by (their stored search text); the
-- name and key columns are filled from the fields.
INSERT INTO search_documents (record_id, workspace_id, kind, names, keys, other)
SELECT id, workspace_id, 'contact', lower(first_name || coalesce(' ' || last_name, '')),
       coalesce(email_lower, ''), search_text
FROM contacts;
INSERT INTO search_documents (record_id, workspace_id, kind, names, keys, other)
SELECT id, workspace_id, 'company', lower(name), coalesce(domain, ''), search_text
FROM companies;

DROP INDEX contacts_search;
DROP INDEX companies_search;
ALTER TABLE contacts DROP COLUMN search, DROP COLUMN search_text;
ALTER TABLE companies DROP COLUMN search, DROP COLUMN search_text;
