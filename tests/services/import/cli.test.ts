import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../../server/services/import/service.ts';
import { TS_LOADER } from '../../loader/node-args.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/import.ts');
const PRACTICE = join(ROOT, 'tests/fixtures/import/practice');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...TS_LOADER, SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_PATH: join(dir, 'test.db') },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run import', () => {
  it('imports a folder, prints the report, exits 0 when every row is stored; again: all unchanged', () => {
    const first = cli(PRACTICE);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Import #1 \(partial\): completed: every row stored/);
    expect(first.stdout).toMatch(/total\s+28\s+28\s+0\s+0\s+0/);
    const again = cli(PRACTICE, '--json');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as ImportReport;
    expect(report.totals).toMatchObject({ rows: 28, inserted: 0, unchanged: 28 });
  });

  it('exits 1 when some rows are rejected (the rest stored), with the errors in the report', () => {
    const folder = join(dir, 'in');
    cpSync(PRACTICE, folder, { recursive: true });
    writeFileSync(join(folder, 'sites.csv'), 'site_id,name\nS1,North Clinic\nS2,South Clinic\nS3,\n');
    writeFileSync(join(folder, 'README.txt'), 'not data');
    const r = cli(folder);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/completed with errors/);
    expect(r.stdout).toMatch(/sites\.csv\s+4\s+name\s+name is required/);
    expect(r.stdout).toMatch(/missing required value\s+1/);
    expect(r.stdout).toContain('Skipped files in');
  });

  it('records each import in the audit log as done by cli:<os user>, with counts and no values', () => {
    expect(cli(PRACTICE).code).toBe(0);
    const bad = join(dir, 'sites.csv');
    writeFileSync(bad, 'site_id,name\nS1,North\nS2,\n');
    expect(cli(bad, '--all-or-nothing').code).toBe(2);
    const db = new Database(join(dir, 'test.db'), { readonly: true });
    const rows = db.prepare("SELECT username, role, action, outcome, target, detail FROM audit_log WHERE action = 'import.run' ORDER BY id").all() as {
      username: string;
      role: string | null;
      outcome: string;
      target: string;
      detail: string;
    }[];
    db.close();
    expect(rows.map((r) => [r.outcome, r.target])).toEqual([
      ['success', 'import:1'],
      ['failure', 'import:2'],
    ]);
    for (const r of rows) {
      expect(r.username).toMatch(/^cli:[A-Za-z0-9._-]+$/);
      expect(r.role).toBeNull();
    }
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ via: 'cli', status: 'completed', rows: 28, inserted: 28 });
    expect(JSON.parse(rows[1]!.detail)).toMatchObject({ via: 'cli', status: 'rejected', rejected: 1 });
    // Counts only: the rejected row's site name is not in the log.
    expect(rows[1]!.detail).not.toContain('North');
    // The chain verifies with the key the CLI used (next to the database).
    const verify = spawnSync(process.execPath, [...TS_LOADER, join(ROOT, 'scripts/audit-verify.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_PATH: join(dir, 'test.db') },
      encoding: 'utf8',
    });
    expect(verify.status).toBe(0);
  });

  it('exits 2 when nothing is stored (all-or-nothing with a bad row)', () => {
    const bad = join(dir, 'sites.csv');
    writeFileSync(bad, 'site_id,name\nS1,North\nS2,\n');
    const r = cli(bad, '--all-or-nothing', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'rejected', mode: 'all_or_nothing', totals: { inserted: 0, rejected: 1 } });
  });

  it('exits 2 with the usage for a wrong call', () => {
    for (const args of [[], ['--frobnicate', PRACTICE], [join(dir, 'missing')]]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage: npm run import -- <folder or files...>');
    }
    expect(cli('--help').code).toBe(0);
  });
});
