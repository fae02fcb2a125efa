import { spawn, spawnSync } from 'node:child_process';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { imports } from '../../../db/schema/imports.ts';
import { DomainError } from '../../../server/errors.ts';
import { getImport, recoverInterruptedImports, runImport } from '../../../server/services/import/service.ts';
import { isProcessAlive, processStartMs } from '../../../server/services/import/recovery.ts';
import { dropSecondaryIndexes } from '../../../server/services/demo/bulk.ts';

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(isProcessAlive(child.pid!)).toBe(false);
  return child.pid!;
}

function running(pid: number | null, report: object | null = null, startedAt = new Date().toISOString()): number {
  return db
    .insert(imports)
    .values({ startedAt, status: 'running', mode: 'partial', source: 'x.csv', pid, batchesCommitted: 2, report: report && JSON.stringify(report) })
    .returning({ id: imports.id })
    .get().id;
}

describe('recoverInterruptedImports', () => {
  it("marks a running import whose process is gone as interrupted, keeping its counts and saying what is stored", () => {
    const id = running(deadPid(), { importId: 1, status: 'running', notes: [], files: [{ file: 'x.csv', committedThroughLine: 100001 }] });
    expect(recoverInterruptedImports(db)).toEqual([id]);
    const row = getImport(db, id);
    expect(row).toMatchObject({ status: 'interrupted', batchesCommitted: 2 });
    expect(row.finishedAt).not.toBeNull();
    expect(row.report).toMatchObject({ status: 'interrupted', files: [{ committedThroughLine: 100001 }] });
    expect(row.report!.notes[0]).toMatch(/stopped after 2 committed batches/);
  });

  it('leaves an import of a live process alone', () => {
    const id = running(process.ppid);
    expect(recoverInterruptedImports(db)).toEqual([]);
    expect(getImport(db, id).status).toBe('running');
  });

  it('marks an import with our own pid that this process is not running (a restarted container reuses pids)', () => {
    const id = running(process.pid);
    expect(recoverInterruptedImports(db)).toEqual([id]);
  });

  it('marks an import whose pid now belongs to a process that started after the import (pid reuse)', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      const started = processStartMs(pid);
      expect(started).not.toBeNull();
      // Linux's clock for process starts: within a few seconds of now.
      expect(Math.abs(started! - Date.now())).toBeLessThan(10_000);
      const before = running(pid, null, new Date(started! - 60_000).toISOString()); // the import began a minute before this process
      const after = running(pid, null, new Date(started! + 5_000).toISOString()); // began after it: this process may be running it
      expect(isProcessAlive(pid)).toBe(true);
      expect(recoverInterruptedImports(db)).toEqual([before]);
      expect(getImport(db, after).status).toBe('running');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('rebuilds the indexes a killed bulk load left missing', () => {
    const names = () => db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all();
    const all = names();
    const dropped = dropSecondaryIndexes(db);
    expect(dropped.length).toBeGreaterThan(3);
    expect(names()).not.toEqual(all);
    expect(recoverInterruptedImports(db)).toEqual([]);
    expect(names()).toEqual(all);
    // It sorted on disk for the rebuild, and put the connection's setting back.
    expect(db.$client.pragma('temp_store', { simple: true })).toBe(2);
  });

  it('ignores finished imports', () => {
    db.insert(imports).values({ startedAt: 'x', status: 'completed', mode: 'partial', source: 'x', pid: deadPid() }).run();
    expect(recoverInterruptedImports(db)).toEqual([]);
  });
});

describe('an internal failure during an import', () => {
  it('keeps the committed batches and marks the import interrupted (a full disk)', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `S${i},${'Site name '.repeat(8)}${i}`).join('\n');
    const pages = db.$client.pragma('page_count', { simple: true }) as number;
    db.$client.pragma(`max_page_count = ${pages + 200}`);
    await expect(runImport(db, [{ name: 'sites.csv', content: `site_id,name\n${rows}\n` }], { batchRows: 1000 })).rejects.toMatchObject({
      code: 'SQLITE_FULL',
    });
    const row = getImport(db, 1);
    expect(row.status).toBe('interrupted');
    expect(row.batchesCommitted).toBeGreaterThan(0);
    expect(db.$client.prepare('SELECT count(*) FROM sites').pluck().get()).toBe(row.batchesCommitted * 1000);
    expect(row.report).toMatchObject({ status: 'interrupted', totals: { inserted: row.batchesCommitted * 1000 } });
    expect(row.report!.notes.at(-1)).toMatch(/failed with an internal error/);
  });
});

describe('one import at a time', () => {
  it('refuses to start while another process is importing', async () => {
    running(process.ppid);
    await expect(runImport(db, [{ name: 'sites.csv', content: 'site_id,name\nS1,North\n' }])).rejects.toEqual(
      new DomainError('CONFLICT', 'import #1 is still running: wait for it to finish'),
    );
  });

  it('starts after recovering an import whose process died', async () => {
    const stale = running(deadPid());
    const { report } = await runImport(db, [{ name: 'sites.csv', content: 'site_id,name\nS1,North\n' }]);
    expect(report.status).toBe('completed');
    expect(getImport(db, stale).status).toBe('interrupted');
  });

  it('refuses a second import in the same process while the first one runs', async () => {
    let second: Promise<unknown> | null = null;
    const { report } = await runImport(db, [{ name: 'sites.csv', content: 'site_id,name\nS1,North\n' }], {
      onProgress: () => {
        second ??= runImport(db, [{ name: 'sites.csv', content: 'site_id,name\nS2,South\n' }]).catch((err: unknown) => err);
      },
    });
    expect(await second).toMatchObject({ code: 'CONFLICT' });
    expect(report.status).toBe('completed');
  });

  it('refuses a call without files', async () => {
    await expect(runImport(db, [])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
