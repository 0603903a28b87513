-- Foundation: workspaces, members, API keys, companies, contacts, tags, audit log.
-- The same tables as migrations/postgres; full-text search uses FTS5 external-content tables
-- kept in step by triggers.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_lower TEXT NOT NULL,
    name TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, email_lower)
);
CREATE INDEX members_workspace_created ON members (workspace_id, created_at, id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('full', 'read_only')),
    prefix TEXT NOT NULL,
    digest BLOB NOT NULL UNIQUE,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_keys_workspace_created ON api_keys (workspace_id, created_at, id);

CREATE TABLE companies (
    -- An explicit rowid alias keeps FTS rowids stable across VACUUM.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    domain TEXT,
    industry TEXT,
    website TEXT,
    phone TEXT,
    notes TEXT,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    search_text TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, domain)
);
CREATE INDEX companies_workspace_created ON companies (workspace_id, created_at, id);
CREATE INDEX companies_workspace_updated ON companies (workspace_id, updated_at, id);
CREATE INDEX companies_workspace_name ON companies (workspace_id, lower(name), id);

CREATE VIRTUAL TABLE companies_fts USING fts5(
    search_text, content = 'companies', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies BEGIN
    INSERT INTO companies_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER companies_fts_update AFTER UPDATE OF search_text ON companies BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO companies_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;

CREATE TABLE contacts (
    -- An explicit rowid alias keeps FTS rowids stable across VACUUM.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    first_name TEXT NOT NULL,
    last_name TEXT,
    email TEXT,
    email_lower TEXT,
    phone TEXT,
    title TEXT,
    linkedin_url TEXT,
    company_id TEXT REFERENCES companies (id) ON DELETE SET NULL,
    notes TEXT,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    search_text TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, email_lower)
);
CREATE INDEX contacts_workspace_created ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_workspace_updated ON contacts (workspace_id, updated_at, id);
CREATE INDEX contacts_workspace_first_name ON contacts (workspace_id, lower(first_name), id);
CREATE INDEX contacts_workspace_last_name ON contacts (workspace_id, lower(last_name), id);
CREATE INDEX contacts_workspace_email ON contacts (workspace_id, lower(email), id);
CREATE INDEX contacts_company ON contacts (company_id);

CREATE VIRTUAL TABLE contacts_fts USING fts5(
    search_text, content = 'contacts', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search_text ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO contacts_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;

CREATE TABLE tags (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, name_lower)
);

CREATE TABLE record_tags (
    record_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    PRIMARY KEY (record_id, name_lower),
    FOREIGN KEY (workspace_id, name_lower) REFERENCES tags (workspace_id, name_lower) ON DELETE CASCADE
);
CREATE INDEX record_tags_workspace_tag ON record_tags (workspace_id, name_lower, record_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    request_id TEXT NOT NULL,
    ip TEXT,
    metadata TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_workspace_created ON audit_log (workspace_id, created_at, id);
CREATE INDEX audit_log_request ON audit_log (workspace_id, request_id);
