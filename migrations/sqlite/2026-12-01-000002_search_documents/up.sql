-- One search index for every record resource: a row per record, with the columns the search
-- tiers need (names, exact keys, the rest), written by the record machinery in the same
-- transaction as the record, and one FTS5 table over it kept in step by triggers. Replaces the
-- per-table `search_text` columns and FTS tables.
CREATE TABLE search_documents (
    -- An explicit rowid alias keeps FTS rowids stable across VACUUM.
    seq INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    names TEXT NOT NULL DEFAULT '',
    keys TEXT NOT NULL DEFAULT '',
    other TEXT NOT NULL DEFAULT ''
);
CREATE INDEX search_documents_workspace_kind ON search_documents (workspace_id, kind);
CREATE VIRTUAL TABLE search_fts USING fts5(
    names, keys, other, content = 'search_documents', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_fts (rowid, names, keys, other) VALUES (new.seq, new.names, new.keys, new.other);
END;
CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, names, keys, other)
    VALUES ('delete', old.seq, old.names, old.keys, old.other);
END;
CREATE TRIGGER search_fts_update AFTER UPDATE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, names, keys, other)
    VALUES ('delete', old.seq, old.names, old.keys, old.other);
    INSERT INTO search_fts (rowid, names, keys, other) VALUES (new.seq, new.names, new.keys, new.other);
END;

-- Existing records keep exactly the words they were found by (their stored search text); the
-- name and key columns are filled from the fields.
INSERT INTO search_documents (record_id, workspace_id, kind, names, keys, other)
SELECT id, workspace_id, 'contact', lower(first_name || coalesce(' ' || last_name, '')),
       coalesce(email_lower, ''), search_text
FROM contacts;
INSERT INTO search_documents (record_id, workspace_id, kind, names, keys, other)
SELECT id, workspace_id, 'company', lower(name), coalesce(domain, ''), search_text
FROM companies;

DROP TRIGGER contacts_fts_update;
DROP TRIGGER contacts_fts_delete;
DROP TRIGGER contacts_fts_insert;
DROP TABLE contacts_fts;
DROP TRIGGER companies_fts_update;
DROP TRIGGER companies_fts_delete;
DROP TRIGGER companies_fts_insert;
DROP TABLE companies_fts;
ALTER TABLE contacts DROP COLUMN search_text;
ALTER TABLE companies DROP COLUMN search_text;
