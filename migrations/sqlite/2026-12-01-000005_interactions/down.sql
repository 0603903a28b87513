DROP TRIGGER interactions_total_delete;
DROP TRIGGER interactions_total_insert;
DELETE FROM record_totals WHERE resource = 'interactions';
DELETE FROM search_documents WHERE kind = 'interaction';
DROP TABLE interactions;
