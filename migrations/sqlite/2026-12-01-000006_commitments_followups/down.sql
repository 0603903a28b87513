DROP TRIGGER followups_total_delete;
DROP TRIGGER followups_total_insert;
DROP TRIGGER commitments_total_delete;
DROP TRIGGER commitments_total_insert;
DELETE FROM record_totals WHERE resource IN ('commitments', 'followups');
DELETE FROM search_documents WHERE kind IN ('commitment', 'followup');
DROP TABLE followups;
DROP TABLE commitments;
