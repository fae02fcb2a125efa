/**
 * The worker path: a WorkerAnalytics over a file database answers like the
 * in-process runtime (same tasks, same store), follows a refresh made by the
 * main thread (the version moves and the figures change), reports errors of
 * a task as rejections, and keeps the main event loop free while it works.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, migrateDb, type Db } from '../../../db/index.ts';
import { inProcessAnalytics, WorkerAnalytics } from '../../../server/services/analytics/runtime.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';

let dir: string;
let db: Db;
let worker: WorkerAnalytics;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'analytics-worker-'));
  db = createDb(join(dir, 'practice.db'));
  migrateDb(db);
  generateDemoPractice(db, { patients: 300, seed: 9 });
  refreshOutcomes(db);
  worker = new WorkerAnalytics({ path: join(dir, 'practice.db') });
  await worker.ready();
}, 60_000);

afterAll(async () => {
  await worker?.close();
  db?.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const change = { measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: {}, groupBy: 'category' } as const;

describe('analytics worker', () => {
  it('answers as the in-process runtime does', async () => {
    const a = await worker.runTasks([
      ['outcomes.changeByGroup', change],
      ['outcomes.complicationsByCategory', { filters: { carePath: 'interventional' } }],
    ] as const);
    const b = await inProcessAnalytics(db).runTasks([
      ['outcomes.changeByGroup', change],
      ['outcomes.complicationsByCategory', { filters: { carePath: 'interventional' } }],
    ] as const);
    expect(a.version).toBe(b.version);
    expect(a.results).toEqual(b.results);
    expect(a.results[0].length).toBeGreaterThan(3);
  });

  it('follows a refresh made by another connection', async () => {
    const before = await worker.runTasks([['outcomes.episodesByGroup', { filters: {}, groupBy: null }]] as const);
    const id = db.$client.prepare('SELECT max(id) FROM episodes').pluck().get() as number;
    db.$client.transaction(() => {
      db.$client.prepare('DELETE FROM observations WHERE episode_id = ?').run(id);
      db.$client.prepare('DELETE FROM treatments WHERE episode_id = ?').run(id);
      db.$client.prepare('DELETE FROM episodes WHERE id = ?').run(id);
    })();
    refreshOutcomes(db);
    const after = await worker.runTasks([['outcomes.episodesByGroup', { filters: {}, groupBy: null }]] as const);
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.results[0]).toEqual([['all', (before.results[0][0]![1] as number) - 1]]);
  });

  it('rejects an unknown task and stays usable', async () => {
    await expect(worker.runTask('no.such.task' as never, {} as never)).rejects.toThrow(/unknown analytic task/);
    expect((await worker.stats()).liveEpisodes).toBeGreaterThan(0);
  });

  it('starts a new worker after a crash: pending calls fail, the next one is answered', async () => {
    const before = await worker.runTask('outcomes.episodesByGroup', { filters: {}, groupBy: 'care_path' });
    // A long batch (distinct inputs, nothing cached) is still running when the worker dies.
    const long = worker.runTasks(
      Array.from({ length: 2000 }, (_, i) => ['outcomes.trajectoryByGroup', { measure: 'odi', definition: 'mcid', filters: { from: `2019-01-${String(1 + (i % 28)).padStart(2, '0')}`, to: `2031-${String(1 + Math.floor(i / 28) % 12).padStart(2, '0')}-01` }, groupBy: 'site' }] as const),
    );
    await worker.crashForTest();
    await expect(long).rejects.toThrow(/analytics worker/);
    expect(worker.starts).toBe(1);
    const after = await worker.runTask('outcomes.episodesByGroup', { filters: {}, groupBy: 'care_path' });
    expect(worker.starts).toBe(2);
    expect(after).toEqual(before);
  });

  it('does not block the main event loop while a task runs', async () => {
    await worker.clearCache();
    // Ticks of the main loop counted while the worker computes a batch.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    // Distinct inputs (no cached result): every call scans.
    const calls = Array.from({ length: 400 }, (_, i) => ['outcomes.trajectoryByGroup', { measure: 'pain_nrs', definition: 'pct30', filters: { from: `2020-01-${String(1 + (i % 28)).padStart(2, '0')}`, to: `2030-01-${String(1 + Math.floor(i / 28)).padStart(2, '0')}` }, groupBy: 'provider' }] as const);
    const t0 = performance.now();
    await worker.runTasks(calls);
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(ms).toBeGreaterThan(20);
    // The loop ran throughout (at least a tick per 5 ms of the worker's time, allowing for a slow shared machine).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(ms / 5));
  });
});
