DROP INDEX deal_stages_open;
