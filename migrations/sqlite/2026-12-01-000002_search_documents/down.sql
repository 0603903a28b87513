ALTER TABLE contacts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE contacts SET search_text = (SELECT other FROM search_documents d WHERE d.record_id = contacts.id);
UPDATE companies SET search_text = (SELECT other FROM search_documents d WHERE d.record_id = companies.id);
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
INSERT INTO companies_fts (companies_fts) VALUES ('rebuild');
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
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
DROP TRIGGER search_fts_update;
DROP TRIGGER search_fts_delete;
DROP TRIGGER search_fts_insert;
DROP TABLE search_fts;
DROP TABLE search_documents;
