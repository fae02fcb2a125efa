import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, createTestDb, migrateDb, type Db } from '../../db/index.ts';
import { verifyAuditChain } from '../../server/auth/audit.ts';
import { ensureDemoUsers, formatDemoLogins } from '../../server/auth/demo-users.ts';
import { login } from '../../server/auth/login.ts';
import { verifyPassword } from '../../server/auth/password.ts';
import { ephemeralSecrets } from '../../server/auth/secrets.ts';
import { createContextInner } from '../../server/context.ts';
import { callerFor, PASSWORD, seedPractice, seedUsers, type TestUsers } from './helpers.ts';
import { TS_LOADER } from '../loader/node-args.ts';

describe('user management (admin)', () => {
  let db: Db;
  let u: TestUsers;
  beforeEach(async () => {
    db = createTestDb();
    seedPractice(db);
    u = await seedUsers(db);
  });
  const admin = () => callerFor(db, u.admin, { ip: '10.0.0.5' });

  it('creates users of every role, physicians linked to a provider, researchers with an optional data-use agreement', async () => {
    const doc = await admin().users.create({ username: 'Dr.C', password: PASSWORD, role: 'physician', providerId: 3 });
    expect(doc).toMatchObject({ username: 'dr.c', role: 'physician', providerId: 3, providerName: 'Dr C', disabled: false });
    const res = await admin().users.create({ username: 'res2', password: PASSWORD, role: 'researcher', dua: { reference: 'DUA-2026-014', expiresOn: '2027-12-31' } });
    expect(res).toMatchObject({ duaReference: 'DUA-2026-014', duaExpiresOn: '2027-12-31' });
    expect(res.duaRecordedAt).not.toBeNull();
    const list = await admin().users.list();
    expect(list.map((x) => x.username)).toContain('res2');
    expect(JSON.stringify(list)).not.toContain('argon2');
  });

  it('enforces the password rules and the role links', async () => {
    await expect(admin().users.create({ username: 'weak', password: 'password1', role: 'admin' })).rejects.toThrow(/commonly used/);
    await expect(admin().users.create({ username: 'short', password: 'Ab1!', role: 'admin' })).rejects.toThrow(/at least 8/);
    await expect(admin().users.create({ username: 'samename', password: 'samename', role: 'admin' })).rejects.toThrow(/username/);
    await expect(admin().users.create({ username: 'doc', password: PASSWORD, role: 'physician' })).rejects.toThrow(/provider/);
    await expect(admin().users.create({ username: 'mgr', password: PASSWORD, role: 'practice_manager', providerId: 1 })).rejects.toThrow(/Only a physician/);
    await expect(admin().users.create({ username: 'mgr', password: PASSWORD, role: 'admin', dua: { reference: 'X' } })).rejects.toThrow(/data-use/);
    await expect(admin().users.create({ username: 'dr.a', password: PASSWORD, role: 'admin' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('changes roles, disables users, and keeps at least one admin', async () => {
    const changed = await admin().users.update({ id: u.researcher.id, role: 'physician', providerId: 2 });
    expect(changed).toMatchObject({ role: 'physician', providerId: 2 });
    const disabled = await admin().users.update({ id: u.practice_manager.id, disabled: true });
    expect(disabled.disabled).toBe(true);
    await expect(login({ ...createContextInner({ db, user: null }) }, { username: 'manager', password: PASSWORD })).rejects.toThrow(
      'Invalid username or password.',
    );
    await expect(admin().users.update({ id: u.admin.id, disabled: true })).rejects.toThrow(/yourself/);
    await expect(admin().users.update({ id: u.admin.id, role: 'researcher' })).rejects.toThrow(/yourself/);
  });

  it('audits every change: who, what, from where', async () => {
    await admin().users.create({ username: 'newbie', password: PASSWORD, role: 'researcher' });
    await admin().users.update({ id: u.researcher.id, dua: { reference: 'DUA-1' } });
    await admin().users.resetPassword({ id: u.researcher.id, password: 'another-long-passphrase' });
    const rows = db.$client
      .prepare("SELECT username, role, action, target, ip, detail FROM audit_log WHERE action LIKE 'user.%' AND username = 'admin' ORDER BY id")
      .all() as Array<Record<string, string>>;
    expect(rows.map((r) => [r.action, r.ip])).toEqual([
      ['user.create', '10.0.0.5'],
      ['user.update', '10.0.0.5'],
      ['user.password_reset', '10.0.0.5'],
    ]);
    expect(JSON.parse(rows[1]!.detail!)).toMatchObject({ dataUseAgreement: true });
    expect(JSON.stringify(rows)).not.toContain('another-long-passphrase');
    expect(verifyAuditChain(db, createContextInner({ db, user: null }).secrets.audit).ok).toBe(true);
  });

  it('the audit search finds entries by user, action and time', async () => {
    await admin().users.create({ username: 'newbie', password: PASSWORD, role: 'researcher' });
    const byAction = await admin().audit.search({ action: 'user.create', limit: 10 });
    expect(byAction.rows.map((r) => r.detail?.username)).toContain('newbie');
    const byFamily = await admin().audit.search({ action: 'user', username: 'admin' });
    expect(byFamily.rows.every((r) => r.action.startsWith('user.') && r.username === 'admin')).toBe(true);
    const future = await admin().audit.search({ from: '2100-01-01T00:00:00Z' });
    expect(future.rows).toEqual([]);
    // Reading the log is itself in the log.
    expect((await admin().audit.search({ action: 'audit.read' })).rows.length).toBeGreaterThan(0);
  });
});

describe('demo users for npm start', () => {
  it('creates one user per role on an empty user table, once, with printed logins that work', async () => {
    const db = createTestDb();
    seedPractice(db);
    const secrets = ephemeralSecrets();
    const logins = await ensureDemoUsers(db, secrets);
    expect(logins.map((l) => l.role)).toEqual(['admin', 'physician', 'practice_manager', 'researcher']);
    expect(await ensureDemoUsers(db, secrets)).toEqual([]);
    const text = formatDemoLogins(logins, 'http://127.0.0.1:3000/');
    for (const l of logins) {
      expect(text).toContain(l.password);
      const hash = db.$client.prepare('SELECT password_hash FROM users WHERE username = ?').pluck().get(l.username) as string;
      expect(await verifyPassword(hash, l.password)).toBe(true);
    }
    expect(verifyAuditChain(db, secrets.audit).ok).toBe(true);
  });

  it('makes no physician when there is no provider to link', async () => {
    const db = createTestDb();
    expect((await ensureDemoUsers(db, ephemeralSecrets())).map((l) => l.role)).toEqual(['admin', 'practice_manager', 'researcher']);
  });
});

describe('npm run user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'user-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'outcomes.db');
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, [...TS_LOADER, 'scripts/user.ts', ...args], {
      env: { ...process.env, DATABASE_PATH: path, SECRET_KEY: 'cli-test-master-secret-at-least-32-characters' },
      input,
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('creates the first admin, lists, refuses bad input, changes a role', () => {
    const db = createDb(path);
    migrateDb(db);
    seedPractice(db);
    db.$client.close();

    const created = run(['create', '--username', 'chief', '--role', 'admin', '--password-stdin'], 'a-long-admin-passphrase\n');
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect(created.stdout).toContain('Created admin chief');

    const doc = run(['create', '--username', 'doc', '--role', 'physician', '--provider', 'P2']);
    expect(doc.status).toBe(0);
    expect(doc.stdout).toMatch(/Password \(shown once\): \S{16,}/);

    expect(run(['create', '--username', 'doc2', '--role', 'physician']).stderr).toContain('A physician must be linked to a provider.');
    expect(run(['create', '--username', 'x', '--role', 'king']).status).toBe(1);
    expect(run(['create', '--username', 'weakling', '--role', 'admin', '--password-stdin'], 'password\n').stderr).toContain('commonly used');

    expect(run(['set-role', '--username', 'doc', '--role', 'researcher']).status).toBe(0);
    const list = run(['list']);
    expect(list.stdout).toMatch(/chief\s+admin/);
    expect(list.stdout).toMatch(/doc\s+researcher/);

    const check = createDb(path);
    const hash = check.$client.prepare("SELECT password_hash FROM users WHERE username = 'chief'").pluck().get() as string;
    const actors = check.$client.prepare("SELECT DISTINCT username FROM audit_log WHERE action LIKE 'user.%'").pluck().all() as string[];
    check.$client.close();
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(actors.every((a) => a.startsWith('cli:'))).toBe(true);
    return verifyPassword(hash, 'a-long-admin-passphrase').then((ok) => expect(ok).toBe(true));
  });
});
