-- Data steps written in Rust (`moss_store_diesel::normalize`) record here that they have run,
-- so `moss serve` runs each once after an upgrade; `moss migrate` runs them again on demand.
CREATE TABLE maintenance_steps (
    name TEXT PRIMARY KEY,
    done_at TIMESTAMP NOT NULL
);
