import { createHmac } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import type { AuditOutcome, Role } from '../../db/schema/auth.ts';

/**
 * The audit trail (roles.md): every sign-in and failed sign-in, sign-out,
 * read of patient-level data, import, export and change of a user or role,
 * with who, what, when (UTC), from where and the outcome.
 *
 * Append-only: triggers refuse UPDATE and DELETE on `audit_log`.
 * Tamper-evident: each row carries `hash = HMAC(key, prev_hash | row)`, with
 * the key derived from the master secret outside the database
 * (server/auth/secrets.ts). Someone who drops the triggers and edits,
 * deletes or inserts a row cannot re-compute the chain; `verifyAuditChain`
 * (`npm run audit:verify`) finds the first row that does not match, a gap in
 * the ids, or missing rows at the end (`sqlite_sequence` ahead of the last id).
 *
 * No PHI: targets are surrogate ids (`patient:123`), details are counts,
 * reasons and ids. Callers must never put names, MRNs, dates of birth or
 * record values in `target` or `detail`.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.logout',
  'auth.session_expired',
  'auth.password_change',
  'access.denied',
  'patient.read',
  'import.run',
  'export.deidentified',
  'export.identified',
  'user.create',
  'user.update',
  'user.password_reset',
  'audit.read',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditDetail = Record<string, string | number | boolean | null | Array<string | number>>;

export type AuditEntry = {
  action: AuditAction;
  outcome: AuditOutcome;
  userId?: number | null;
  username?: string | null;
  role?: Role | null;
  target?: string | null;
  ip?: string | null;
  detail?: AuditDetail | null;
};

export type AuditRow = {
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  role: string | null;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  detail: string | null;
  prevHash: string;
  hash: string;
};

export const GENESIS_HASH = '0'.repeat(64);

/** The HMAC of one row, over every column but `hash`, in a fixed order. */
export function auditRowHash(key: Buffer, row: Omit<AuditRow, 'hash'>): string {
  const payload = JSON.stringify([row.id, row.at, row.userId, row.username, row.role, row.action, row.target, row.outcome, row.ip, row.detail]);
  return createHmac('sha256', key).update(row.prevHash).update('\n').update(payload).digest('hex');
}

type RawRow = {
  id: number;
  at: string;
  user_id: number | null;
  username: string | null;
  role: string | null;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
};
const fromRaw = (r: RawRow): AuditRow => ({
  id: r.id,
  at: r.at,
  userId: r.user_id,
  username: r.username,
  role: r.role,
  action: r.action,
  target: r.target,
  outcome: r.outcome,
  ip: r.ip,
  detail: r.detail,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/**
 * Appends one entry to the chain. Runs in an IMMEDIATE transaction (or a
 * savepoint of the caller's), so concurrent writers (the server and a CLI)
 * never fork the chain. `now` is epoch ms.
 */
export function appendAudit(db: Db, key: Buffer, entry: AuditEntry, now: number): AuditRow {
  const sqlite = db.$client;
  const write = sqlite.transaction((): AuditRow => {
    const last = sqlite.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string } | undefined;
    const seq = (sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").pluck().get() as number | undefined) ?? 0;
    // Ids continue from the AUTOINCREMENT sequence, so rows deleted at the end leave a gap that verification sees.
    const id = Math.max(seq, last?.id ?? 0) + 1;
    const row: Omit<AuditRow, 'hash'> = {
      id,
      at: new Date(now).toISOString(),
      userId: entry.userId ?? null,
      username: entry.username ?? null,
      role: entry.role ?? null,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome,
      ip: entry.ip ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const hash = auditRowHash(key, row);
    sqlite
      .prepare(
        `INSERT INTO audit_log (id, at, user_id, username, role, action, target, outcome, ip, detail, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, row.at, row.userId, row.username, row.role, row.action, row.target, row.outcome, row.ip, row.detail, row.prevHash, hash);
    return { ...row, hash };
  });
  return sqlite.inTransaction ? write() : write.immediate();
}

export type AuditProblem = { id: number | null; problem: string };
export type AuditVerification = { ok: boolean; rows: number; lastId: number | null; lastHash: string | null; problems: AuditProblem[] };

/** Re-computes the whole chain; lists every row that does not match (empty when intact). */
export function verifyAuditChain(db: Db, key: Buffer, opts: { maxProblems?: number } = {}): AuditVerification {
  const sqlite = db.$client;
  const max = opts.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  const report = (id: number | null, problem: string) => {
    if (problems.length < max) problems.push({ id, problem });
  };

  const triggers = sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
    .pluck()
    .all() as string[];
  for (const t of ['audit_log_no_update', 'audit_log_no_delete']) if (!triggers.includes(t)) report(null, `trigger ${t} is missing`);

  let expectedId = 1;
  let prevHash = GENESIS_HASH;
  let rows = 0;
  let lastId: number | null = null;
  const iter = sqlite.prepare('SELECT * FROM audit_log ORDER BY id').iterate() as Iterable<RawRow>;
  for (const raw of iter) {
    const row = fromRaw(raw);
    rows++;
    if (row.id !== expectedId) report(row.id, `ids ${expectedId}..${row.id - 1} are missing`);
    if (row.prevHash !== prevHash) report(row.id, 'does not follow the previous row (a row before it was changed, removed or inserted)');
    if (auditRowHash(key, row) !== row.hash) report(row.id, 'its contents do not match its hash (the row was changed)');
    expectedId = row.id + 1;
    prevHash = row.hash;
    lastId = row.id;
  }
  const seq = (sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").pluck().get() as number | undefined) ?? 0;
  if (seq > (lastId ?? 0)) report(null, `rows ${(lastId ?? 0) + 1}..${seq} at the end are missing`);
  return { ok: problems.length === 0, rows, lastId, lastHash: rows ? prevHash : null, problems };
}

export type AuditQuery = {
  userId?: number;
  username?: string;
  action?: string;
  outcome?: AuditOutcome;
  /** Inclusive UTC bounds, ISO-8601. */
  from?: string;
  to?: string;
  /** Rows with id below this (paging backwards from the newest). */
  beforeId?: number;
  limit: number;
};

/** Newest first. */
export function searchAudit(db: Db, q: AuditQuery): AuditRow[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.userId !== undefined) (where.push('user_id = ?'), params.push(q.userId));
  if (q.username) (where.push('username = ?'), params.push(q.username.trim().toLowerCase()));
  if (q.action) {
    // "auth" matches auth.login, auth.logout...
    where.push(q.action.includes('.') ? 'action = ?' : "action LIKE ? || '.%'");
    params.push(q.action);
  }
  if (q.outcome) (where.push('outcome = ?'), params.push(q.outcome));
  if (q.from) (where.push('at >= ?'), params.push(q.from));
  if (q.to) (where.push('at <= ?'), params.push(q.to));
  if (q.beforeId !== undefined) (where.push('id < ?'), params.push(q.beforeId));
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (db.$client.prepare(sql).all(...params, q.limit) as RawRow[]).map(fromRaw);
}
