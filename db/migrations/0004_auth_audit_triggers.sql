-- The audit log is append-only (../shared/spec/roles.md): the database itself
-- refuses to change or remove a row, whoever asks. Dropping these triggers
-- behind the application's back is caught by `npm run audit:verify`, which also
-- re-computes the hash chain (server/auth/audit.ts).
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log`
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log`
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
