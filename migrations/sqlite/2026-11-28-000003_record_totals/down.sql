DROP TRIGGER companies_total_delete;
DROP TRIGGER companies_total_insert;
DROP TRIGGER contacts_total_delete;
DROP TRIGGER contacts_total_insert;
DROP TABLE record_totals;
