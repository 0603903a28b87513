ALTER TABLE contacts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE contacts SET search_text = d.other FROM search_documents d WHERE d.record_id = contacts.id;
UPDATE companies SET search_text = d.other FROM search_documents d WHERE d.record_id = companies.id;
ALTER TABLE contacts ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED;
ALTER TABLE companies ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED;
CREATE INDEX contacts_search ON contacts USING GIN (search);
CREATE INDEX companies_search ON companies USING GIN (search);
DROP TABLE search_documents;
