DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_no_update_or_delete ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP INDEX audit_log_event;
DROP INDEX audit_log_target;
DROP TABLE idempotency_keys;
