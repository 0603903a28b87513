-- The first 200 characters of a text value as a column of its own (written by the app), so that
-- an equality filter and a list's count on a defined field are index-only scans: Postgres cannot
-- answer from an expression index (`substr(value_text, 1, 200)`) without reading the rows.
ALTER TABLE custom_field_values ADD COLUMN value_key TEXT COLLATE "C";
UPDATE custom_field_values SET value_key = substr(value_text, 1, 200) WHERE value_text IS NOT NULL;
DROP INDEX custom_field_values_text;
CREATE INDEX custom_field_values_key ON custom_field_values (field_id, value_key, record_id);
