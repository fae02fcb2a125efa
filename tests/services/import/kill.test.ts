/**
 * A kill in the middle of an import: a child process imports a large file
 * into a database file and is SIGKILLed once its first batch is committed.
 * The database must be intact, hold whole batches only, and after recovery
 * the import's row must say 'interrupted' with the batches that are stored.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, migrateDb } from '../../../db/index.ts';
import { getImport, recoverInterruptedImports, runImport, type ImportReport } from '../../../server/services/import/service.ts';
import { TS_LOADER } from '../../loader/node-args.ts';

const CHILD = fileURLToPath(new URL('../../fixtures/import/kill-child.ts', import.meta.url));
const PATIENTS = 20_000;
const ROWS = 600_000;
const BATCH = 5_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'import-kill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function observationsCsv(): string {
  const lines = ['patient_id,date,measure,value'];
  for (let i = 0; i < ROWS; i++) {
    const day = new Date(Date.UTC(2020, 0, 1) + Math.floor(i / PATIENTS) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`P${i % PATIENTS},${day},pain_nrs,${i % 11}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('a kill during an import', () => {
  it('leaves whole batches, an intact database, and an import row that says which batches are stored', async () => {
    const dbPath = join(dir, 'kill.db');
    const csvPath = join(dir, 'observations.csv');
    const db = createDb(dbPath);
    migrateDb(db);
    const patients = Array.from({ length: PATIENTS }, (_, i) => `P${i},1960-01-01,female`).join('\n');
    await runImport(db, [{ name: 'patients.csv', content: `patient_id,birth_date,sex\n${patients}\n` }]);
    writeFileSync(csvPath, observationsCsv());

    const child = spawn(process.execPath, [...TS_LOADER, CHILD, dbPath, csvPath, String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

    // Poll the import's row (WAL: this connection reads while the child writes).
    const poll = db.$client.prepare("SELECT batches_committed FROM imports WHERE id = 2 AND status = 'running'").pluck();
    const deadline = Date.now() + 20_000;
    let seen: number | undefined;
    while (Date.now() < deadline) {
      seen = poll.get() as number | undefined;
      if (seen !== undefined && seen >= 1) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(seen, `the child did not commit a batch: ${stderr}`).toBeGreaterThanOrEqual(1);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // A fresh connection, as after a restart.
    const check = new Database(dbPath);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.pragma('foreign_key_check')).toEqual([]);
    const row = check.prepare('SELECT status, batches_committed, rows_inserted, report FROM imports WHERE id = 2').get() as {
      status: string;
      batches_committed: number;
      rows_inserted: number;
      report: string;
    };
    const stored = check.prepare('SELECT count(*) FROM observations').pluck().get() as number;
    check.close();

    expect(row.status).toBe('running');
    expect(row.batches_committed).toBeGreaterThanOrEqual(1);
    expect(row.batches_committed).toBeLessThan(ROWS / BATCH); // it was really interrupted
    expect(stored).toBe(row.batches_committed * BATCH); // whole batches, as many as the row says
    expect(row.rows_inserted).toBe(stored);
    const progress = JSON.parse(row.report) as ImportReport;
    expect(progress.files[0]).toMatchObject({ file: 'observations.csv', rows: stored, inserted: stored, committedThroughLine: stored + 1 });

    // Start-up recovery: the process is gone, the row says interrupted and keeps its counts.
    expect(recoverInterruptedImports(db)).toEqual([2]);
    const after = getImport(db, 2);
    expect(after).toMatchObject({ status: 'interrupted', batchesCommitted: row.batches_committed, rowsInserted: stored });
    expect(after.report).toMatchObject({ status: 'interrupted', files: [{ committedThroughLine: stored + 1 }] });

    // Importing the same file again completes it: the stored rows are unchanged.
    const { report } = await runImport(db, [{ path: csvPath }], { batchRows: 50_000 });
    expect(report).toMatchObject({ status: 'completed', totals: { rows: ROWS, inserted: ROWS - stored, unchanged: stored } });
    expect(db.$client.prepare('SELECT count(*) FROM observations').pluck().get()).toBe(ROWS);
    db.$client.close();
  }, 120_000);
});
