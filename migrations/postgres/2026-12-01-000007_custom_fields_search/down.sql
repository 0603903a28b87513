DROP INDEX search_documents_trigrams;
DROP INDEX search_documents_label;
DROP INDEX search_documents_search;
ALTER TABLE search_documents DROP COLUMN search;
ALTER TABLE search_documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, names || ' ' || keys || ' ' || other)
) STORED;
CREATE INDEX search_documents_search ON search_documents USING GIN (search);
ALTER TABLE search_documents DROP COLUMN exact;
ALTER TABLE search_documents DROP COLUMN label;
DROP TABLE custom_field_purges;
DROP TABLE custom_field_values;
DROP TRIGGER custom_field_definitions_total_delete ON custom_field_definitions;
DROP TRIGGER custom_field_definitions_total_insert ON custom_field_definitions;
DELETE FROM record_totals WHERE resource = 'custom_field_definitions';
DROP TABLE custom_field_definitions;
