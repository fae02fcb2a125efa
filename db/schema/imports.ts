import { sql } from 'drizzle-orm';
import { check, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { oneOf } from './util.ts';

export const IMPORT_STATUSES = [
  'running', // batches are being committed
  'completed', // every row stored
  'completed_with_errors', // valid rows stored, invalid rows reported
  'rejected', // nothing stored (all-or-nothing with errors, or nothing valid)
  'interrupted', // the process died; `batches_committed` batches are stored, the rest is not
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const IMPORT_MODES = ['partial', 'all_or_nothing'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

/**
 * One row per import, written before the first batch and updated in the same
 * transaction as every batch, so after a crash it says exactly which batches
 * were committed. `report` is the JSON ImportReport (no PHI values in it).
 */
export const imports = sqliteTable(
  'imports',
  {
    id: integer('id').primaryKey(),
    startedAt: text('started_at').notNull(),
    finishedAt: text('finished_at'),
    status: text('status', { enum: IMPORT_STATUSES }).notNull(),
    mode: text('mode', { enum: IMPORT_MODES }).notNull(),
    source: text('source').notNull(),
    userId: integer('user_id'),
    /** The process running the import and when it last committed: tells a crashed import from a running one. */
    pid: integer('pid'),
    heartbeatAt: text('heartbeat_at'),
    batchesCommitted: integer('batches_committed').notNull().default(0),
    rowsInserted: integer('rows_inserted').notNull().default(0),
    rowsUpdated: integer('rows_updated').notNull().default(0),
    rowsUnchanged: integer('rows_unchanged').notNull().default(0),
    rowsRejected: integer('rows_rejected').notNull().default(0),
    report: text('report'),
  },
  (t) => [check('imports_status_enum', oneOf(t.status, IMPORT_STATUSES)), check('imports_mode_enum', oneOf(t.mode, IMPORT_MODES))],
);
