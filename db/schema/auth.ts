import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { providers } from './practice.ts';
import { isoDate, oneOf } from './util.ts';

/** The four roles of ../shared/spec/roles.md. */
export const ROLES = ['physician', 'practice_manager', 'researcher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A person who signs in. `username` is stored lower-case (sign-in is
 * case-insensitive). A physician is linked to the provider whose episodes are
 * "their patients"; no other role has a provider. A researcher may have a
 * recorded data-use agreement (reference, date recorded, optional expiry),
 * which is what allows an identified (limited data set) export.
 * Users are disabled, never deleted: the audit log refers to them.
 */
export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey(),
    username: text('username').notNull().unique(),
    displayName: text('display_name'),
    /** Argon2id PHC string (server/auth/password.ts). */
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    providerId: integer('provider_id').references(() => providers.id),
    duaReference: text('dua_reference'),
    duaRecordedAt: text('dua_recorded_at'),
    duaExpiresOn: text('dua_expires_on'),
    disabledAt: text('disabled_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    passwordChangedAt: text('password_changed_at').notNull(),
  },
  (t) => [
    check('users_role_enum', oneOf(t.role, ROLES)),
    check('users_username_format', sql`${t.username} GLOB '[a-z0-9]*' AND ${t.username} NOT GLOB '*[^a-z0-9._-]*' AND length(${t.username}) BETWEEN 3 AND 64`),
    check('users_physician_has_provider', sql`(${t.role} = 'physician') = (${t.providerId} IS NOT NULL)`),
    check('users_dua_researcher_only', sql`${t.duaReference} IS NULL OR ${t.role} = 'researcher'`),
    check('users_dua_complete', sql`(${t.duaReference} IS NULL) = (${t.duaRecordedAt} IS NULL)`),
    check('users_dua_expiry_iso', sql`${t.duaExpiresOn} IS NULL OR ${isoDate(t.duaExpiresOn)}`),
    index('users_provider_idx').on(t.providerId),
  ],
);

/**
 * A signed-in session. Only the SHA-256 of the random session id is stored, so
 * a copy of the database does not hand out live sessions. Times are epoch
 * milliseconds: idle expiry compares `last_seen_at`, absolute expiry
 * `expires_at` (12 h after sign-in, never extended).
 */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    ip: text('ip'),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

/**
 * Failed sign-ins per key: `user:<sha256 of the username>` (whether or not
 * such a user exists, so throttling never tells) and `ip:<address>`.
 * Times are epoch milliseconds.
 */
export const loginThrottle = sqliteTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  firstFailureAt: integer('first_failure_at').notNull(),
  lastFailureAt: integer('last_failure_at').notNull(),
  lockedUntil: integer('locked_until'),
});

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * The audit trail: who (user id, username and role at the time), what
 * (action, target: a surrogate id such as `patient:123`, never a PHI value),
 * when (UTC ISO-8601), from where (IP) and the outcome. Append-only: triggers
 * (migration `auth_audit_triggers`) refuse UPDATE and DELETE. Tamper-evident:
 * `hash` = HMAC-SHA-256 over the row and `prev_hash`, with a key kept outside
 * the database (server/auth/audit.ts, `npm run audit:verify`).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    userId: integer('user_id'),
    username: text('username'),
    role: text('role'),
    action: text('action').notNull(),
    target: text('target'),
    outcome: text('outcome', { enum: AUDIT_OUTCOMES }).notNull(),
    ip: text('ip'),
    /** JSON object of non-PHI details (counts, reasons, ids). */
    detail: text('detail'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    check('audit_log_outcome_enum', oneOf(t.outcome, AUDIT_OUTCOMES)),
    index('audit_log_at_idx').on(t.at),
    index('audit_log_user_idx').on(t.userId, t.at),
    index('audit_log_action_idx').on(t.action, t.at),
  ],
);
