-- A deal's open stage span (the one a move closes) is found without reading its history.
CREATE INDEX deal_stages_open ON deal_stages (deal_id) WHERE left_at IS NULL;
