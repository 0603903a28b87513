DROP TABLE deal_contacts;
DROP TABLE deal_stages;
DROP TRIGGER deals_total_delete ON deals;
DROP TRIGGER deals_total_insert ON deals;
DELETE FROM record_totals WHERE resource = 'deals';
DELETE FROM search_documents WHERE kind = 'deal';
DELETE FROM record_tags WHERE record_id LIKE 'deal\_%';
DROP TABLE deals;
