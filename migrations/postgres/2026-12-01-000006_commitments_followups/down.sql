DROP TRIGGER followups_total_delete ON followups;
DROP TRIGGER followups_total_insert ON followups;
DROP TRIGGER commitments_total_delete ON commitments;
DROP TRIGGER commitments_total_insert ON commitments;
DELETE FROM record_totals WHERE resource IN ('commitments', 'followups');
DELETE FROM search_documents WHERE kind IN ('commitment', 'followup');
DROP TABLE followups;
DROP TABLE commitments;
