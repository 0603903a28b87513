DROP INDEX custom_field_values_key;
CREATE INDEX custom_field_values_text ON custom_field_values (field_id, substr(value_text, 1, 200), record_id);
ALTER TABLE custom_field_values DROP COLUMN value_key;
