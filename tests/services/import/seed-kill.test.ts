/**
 * A kill during a bulk demo seed: the generator drops the big tables'
 * secondary indexes first (server/services/demo/bulk.ts) and rebuilds them at
 * the end. Killed in between, the database holds whole batches and lacks those
 * indexes; the start-up recovery (recoverInterruptedImports, run by the server
 * and the CLIs) must rebuild them, and seeding again must complete the practice.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createTestDb, migrateDb } from '../../../db/index.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { recoverInterruptedImports } from '../../../server/services/import/service.ts';
import { contentHash } from '../demo/helpers.ts';
import { TS_LOADER } from '../../loader/node-args.ts';

const CHILD = fileURLToPath(new URL('./seed-kill-child.ts', import.meta.url));
const PATIENTS = 6_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-kill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const indexNames = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];

describe('a kill during a bulk seed', () => {
  it('leaves whole batches; recovery at start rebuilds the missing indexes; seeding again completes the practice', async () => {
    const dbPath = join(dir, 'seed.db');
    const canonical = indexNames(createTestDb().$client);

    const child = spawn(process.execPath, [...TS_LOADER, CHILD, dbPath, String(PATIENTS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

    // Wait until some batches are committed (the patients table is readable while the child writes: WAL).
    let seen = 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const probe = new Database(dbPath, { readonly: true, fileMustExist: true });
        seen = probe.prepare('SELECT count(*) FROM patients').pluck().get() as number;
        probe.close();
      } catch {
        seen = 0; // not created or not migrated yet
      }
      if (seen >= 1000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen, `the child did not commit batches: ${stderr}`).toBeGreaterThanOrEqual(1000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const check = new Database(dbPath);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = check.prepare('SELECT count(*) FROM patients').pluck().get() as number;
    expect(stored).toBeLessThan(PATIENTS); // it was really interrupted
    expect(stored % 200).toBe(0); // whole batches of 200 patients
    const missing = canonical.filter((n) => !indexNames(check).includes(n));
    expect(missing.length).toBeGreaterThan(0); // the bulk load had dropped them
    check.close();

    // What the server and the import CLI do at start.
    const db = createDb(dbPath);
    migrateDb(db);
    recoverInterruptedImports(db);
    expect(indexNames(db.$client)).toEqual(canonical);
    expect(db.$client.pragma('integrity_check', { simple: true })).toBe('ok');

    // Seeding again completes it: the same practice as one uninterrupted run.
    generateDemoPractice(db, { patients: PATIENTS, seed: 3, batchSize: 200 });
    const whole = createTestDb();
    generateDemoPractice(whole, { patients: PATIENTS, seed: 3 });
    expect(contentHash(db)).toBe(contentHash(whole));
    db.$client.close();
  }, 120_000);
});
