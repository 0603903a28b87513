DROP TRIGGER interactions_total_delete ON interactions;
DROP TRIGGER interactions_total_insert ON interactions;
DELETE FROM record_totals WHERE resource = 'interactions';
DELETE FROM search_documents WHERE kind = 'interaction';
DROP TABLE interactions;
