-- Deals, their stage history and their contact links. References carry no ON DELETE action:
-- the use cases clear or remove what refers to a deleted record (and say so in its audit
-- entry), so a forgotten one fails loudly instead of changing rows silently.
CREATE TABLE deals (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('lead', 'prospect', 'negotiation', 'won', 'lost')),
    value BIGINT CHECK (value BETWEEN 0 AND 9007199254740991),
    currency TEXT NOT NULL,
    expected_close DATE,
    company_id TEXT REFERENCES companies (id),
    notes TEXT,
    lost_reason TEXT,
    closed_at TIMESTAMP,
    stage_changed_at TIMESTAMP NOT NULL,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX deals_workspace_created ON deals (workspace_id, created_at, id);
CREATE INDEX deals_workspace_updated ON deals (workspace_id, updated_at, id);
CREATE INDEX deals_workspace_name ON deals (workspace_id, lower(name), id);
CREATE INDEX deals_workspace_value ON deals (workspace_id, value, id);
CREATE INDEX deals_workspace_expected_close ON deals (workspace_id, expected_close, id);
CREATE INDEX deals_workspace_stage_changed ON deals (workspace_id, stage_changed_at, id);
-- The stage filter and the pipeline: an index-only scan over (stage, currency, value).
CREATE INDEX deals_workspace_stage ON deals (workspace_id, stage, currency) INCLUDE (value);
CREATE INDEX deals_company ON deals (company_id);

CREATE TRIGGER deals_total_insert AFTER INSERT ON deals
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_inserted();
CREATE TRIGGER deals_total_delete AFTER DELETE ON deals
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION record_totals_deleted();

CREATE TABLE deal_stages (
    id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals (id),
    workspace_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    entered_at TIMESTAMP NOT NULL,
    left_at TIMESTAMP
);
CREATE INDEX deal_stages_deal ON deal_stages (deal_id, entered_at, id);

CREATE TABLE deal_contacts (
    deal_id TEXT NOT NULL REFERENCES deals (id),
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    workspace_id TEXT NOT NULL,
    role TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (deal_id, contact_id)
);
CREATE INDEX deal_contacts_contact ON deal_contacts (contact_id);
CREATE INDEX deal_contacts_deal_created ON deal_contacts (deal_id, created_at, contact_id);
