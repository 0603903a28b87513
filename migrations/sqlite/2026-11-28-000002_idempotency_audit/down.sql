DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP INDEX audit_log_event;
DROP INDEX audit_log_target;
DROP TABLE idempotency_keys;
