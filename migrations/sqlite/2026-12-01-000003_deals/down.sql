DROP TABLE deal_contacts;
DROP TABLE deal_stages;
DROP TRIGGER deals_total_delete;
DROP TRIGGER deals_total_insert;
DELETE FROM record_totals WHERE resource = 'deals';
DELETE FROM search_documents WHERE kind = 'deal';
DELETE FROM record_tags WHERE record_id LIKE 'deal\_%' ESCAPE '\';
DROP TABLE deals;
