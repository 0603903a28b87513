DROP TRIGGER companies_total_delete ON companies;
DROP TRIGGER companies_total_insert ON companies;
DROP TRIGGER contacts_total_delete ON contacts;
DROP TRIGGER contacts_total_insert ON contacts;
DROP FUNCTION record_totals_deleted();
DROP FUNCTION record_totals_inserted();
DROP TABLE record_totals;
