import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, createTestDb, migrateDb, type Db } from '../../db/index.ts';
import { appendAudit, auditRowHash, verifyAuditChain, type AuditEntry } from '../../server/auth/audit.ts';
import { deriveSecrets, ephemeralSecrets } from '../../server/auth/secrets.ts';
import { TS_LOADER } from '../loader/node-args.ts';

const secrets = ephemeralSecrets();
const entry = (i: number): AuditEntry => ({
  action: i % 2 ? 'auth.login' : 'patient.read',
  outcome: 'success',
  userId: 1,
  username: 'dr.a',
  role: 'physician',
  target: `patient:${i}`,
  ip: '10.0.0.1',
  detail: { view: 'test', n: i },
});

function seedLog(db: Db, n = 5): void {
  for (let i = 1; i <= n; i++) appendAudit(db, secrets.audit, entry(i), Date.UTC(2026, 10, 24, 9, i));
}

describe('the audit log is append-only', () => {
  let db: Db;
  beforeEach(() => {
    db = createTestDb();
    seedLog(db);
  });

  it('refuses UPDATE and DELETE, even through raw SQL', () => {
    expect(() => db.$client.prepare("UPDATE audit_log SET outcome = 'failure' WHERE id = 2").run()).toThrow(/append-only/);
    expect(() => db.$client.prepare('DELETE FROM audit_log WHERE id = 2').run()).toThrow(/append-only/);
    expect(() => db.$client.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(verifyAuditChain(db, secrets.audit)).toMatchObject({ ok: true, rows: 5, lastId: 5 });
  });

  it('records when in UTC, and chains every row to the one before', () => {
    const rows = db.$client.prepare('SELECT id, at, prev_hash, hash FROM audit_log ORDER BY id').all() as Array<{
      id: number;
      at: string;
      prev_hash: string;
      hash: string;
    }>;
    expect(rows[0]!.at).toBe('2026-11-24T09:01:00.000Z');
    expect(rows[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
  });
});

describe('tampering behind the application’s back is found', () => {
  let db: Db;
  beforeEach(() => {
    db = createTestDb();
    seedLog(db, 6);
    // The attacker has the database file: they drop the triggers first.
    db.$client.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  });

  const problemsOf = (d: Db = db) => verifyAuditChain(d, secrets.audit).problems;

  it('reports the missing triggers themselves', () => {
    expect(problemsOf().map((p) => p.problem)).toEqual(['trigger audit_log_no_update is missing', 'trigger audit_log_no_delete is missing']);
  });

  it('an edited row', () => {
    db.$client.prepare("UPDATE audit_log SET outcome = 'failure' WHERE id = 3").run();
    expect(problemsOf().filter((p) => p.id !== null)).toEqual([{ id: 3, problem: 'its contents do not match its hash (the row was changed)' }]);
  });

  it('an edited row whose hash was re-computed without the key (plain SHA-256, or another key)', () => {
    const row = db.$client.prepare('SELECT * FROM audit_log WHERE id = 3').get() as Record<string, unknown>;
    const forged: Record<string, unknown> = { ...row, ip: '192.168.1.66' };
    const wrongKey = deriveSecrets(Buffer.from('attacker-guess-attacker-guess-attacker')).audit;
    const hash = auditRowHash(wrongKey, {
      id: 3,
      at: forged.at as string,
      userId: forged.user_id as number,
      username: forged.username as string,
      role: forged.role as string,
      action: forged.action as string,
      target: forged.target as string,
      outcome: forged.outcome as string,
      ip: forged.ip as string,
      detail: forged.detail as string,
      prevHash: forged.prev_hash as string,
    });
    db.$client.prepare('UPDATE audit_log SET ip = ?, hash = ? WHERE id = 3').run(forged.ip, hash);
    const ids = problemsOf()
      .filter((p) => p.id !== null)
      .map((p) => p.id);
    expect(ids).toEqual([3, 4]); // row 3 does not match, and row 4 no longer follows it
  });

  it('a row deleted in the middle', () => {
    db.$client.prepare('DELETE FROM audit_log WHERE id = 4').run();
    expect(problemsOf().find((p) => p.id === 5)?.problem).toMatch(/ids 4..4 are missing/);
  });

  it('rows deleted at the end', () => {
    db.$client.prepare('DELETE FROM audit_log WHERE id >= 5').run();
    expect(problemsOf().map((p) => p.problem)).toContain('rows 5..6 at the end are missing');
  });

  it('a row inserted (forged) in the middle', () => {
    db.$client.prepare('UPDATE audit_log SET id = id + 100 WHERE id >= 4').run();
    db.$client
      .prepare("INSERT INTO audit_log (id, at, action, outcome, prev_hash, hash) VALUES (4, '2026-11-24T09:03:30.000Z', 'auth.login', 'success', ?, ?)")
      .run('f'.repeat(64), 'e'.repeat(64));
    expect(problemsOf().some((p) => p.id === 4)).toBe(true);
  });

  it('a new chain cannot continue after tampering without it showing', () => {
    db.$client.prepare("UPDATE audit_log SET username = 'someone.else' WHERE id = 2").run();
    appendAudit(db, secrets.audit, entry(7), Date.now());
    expect(problemsOf().filter((p) => p.id !== null).map((p) => p.id)).toEqual([2]);
  });
});

describe('npm run audit:verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 on an intact log and 1, naming the row, after an edit behind the app’s back', () => {
    const path = join(dir, 'outcomes.db');
    const SECRET_KEY = 'a-test-master-secret-of-at-least-32-characters';
    const key = deriveSecrets(Buffer.from(SECRET_KEY, 'utf8')).audit;
    const db = createDb(path);
    migrateDb(db);
    for (let i = 1; i <= 4; i++) appendAudit(db, key, entry(i), Date.UTC(2026, 10, 24, 9, i));
    db.$client.close();

    const run = () =>
      spawnSync(process.execPath, [...TS_LOADER, 'scripts/audit-verify.ts'], {
        env: { ...process.env, DATABASE_PATH: path, SECRET_KEY },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const ok = run();
    expect(ok.stdout).toContain('Audit log intact: 4 rows');
    expect(ok.status).toBe(0);

    const raw = createDb(path);
    raw.$client.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET ip = '8.8.8.8' WHERE id = 2;");
    raw.$client.close();
    const bad = run();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Audit log TAMPERED');
    expect(bad.stderr).toContain('row 2: its contents do not match its hash');
    expect(bad.stderr).toContain('trigger audit_log_no_update is missing');
  });
});
