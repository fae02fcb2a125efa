/**
 * `npm run bench -- cohorts [--patients 1000000] [--runs 30] [--no-export] [--only=wide-csv,long-parquet] [--json-level 0]`
 *
 * `--json-level N`: deflate JSON files at level N (0 stores them) instead of the export's level, to measure
 * what compression costs.
 *
 * Issue 7's figures at scale, on the bench practice (.tmp/bench-outcomes/,
 * opened read-only; `npm run bench -- outcomes` makes it):
 * - the attrition funnel of a typical five-criterion cohort, p50 / p95: every
 *   mask computed afresh (a new definition), and one criterion edited (the
 *   others' masks kept, what the page does as a user types);
 * - export streaming: rows per second of every file of the zip (episodes,
 *   observations, treatments) through the worker thread, and the process's
 *   resident memory sampled during it (start, peak, and at each quarter of
 *   the run: flat means it does not grow with the rows written).
 */
import { performance } from 'node:perf_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { memoryUsage } from 'node:process';
import { storeColumns } from '../server/services/cohorts/store-columns.ts';
import { CohortDefinition } from '../server/services/cohorts/definition.ts';
import { MaskCache, runFunnel } from '../server/services/cohorts/funnel.ts';
import { exportRequest } from '../server/services/export/request.ts';
import { inProcessAnalytics } from '../server/services/analytics/runtime.ts';
import { exportZip } from '../server/services/export/stream.ts';
import type { ExportFormat, ExportShape } from '../server/services/export/tables.ts';
import { openPracticeReadOnly } from './outcomes-practice.ts';

const flag = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

const TYPICAL = CohortDefinition.parse({
  schemaVersion: 1,
  criteria: [
    { type: 'condition', codes: ['M54.1*', 'M51.1*'] },
    { type: 'indexDate', from: '2024-01-01', to: '2025-12-31' },
    { type: 'age', min: 40, max: 79 },
    { type: 'painDuration', is: 'chronic' },
    { type: 'followUp', measure: 'pain_nrs', window: 'm3' },
  ],
});

/** CPU seconds (user + system) of each thread of this process, by thread id (Linux /proc). */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(rest[11]) + Number(rest[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export async function run(args: string[]): Promise<void> {
  const patients = flag(args, 'patients', 1_000_000);
  const runs = flag(args, 'runs', 30);
  const db = openPracticeReadOnly(patients);
  if (!db) {
    console.log(`No complete bench practice of ${patients} patients: run \`npm run bench -- outcomes --patients ${patients}\` first.`);
    return;
  }
  console.log(`practice: ${patients.toLocaleString('en-US')} patients`);

  // The server's path: the shared analytic store (decision 008), the cohort columns built on it (store-columns.ts).
  const analytics = inProcessAnalytics(db);
  let t0 = performance.now();
  await analytics.ready();
  const store = analytics.storeNow();
  const tStore = performance.now() - t0;
  t0 = performance.now();
  const data = storeColumns(store);
  data.followUpOf('pain_nrs');
  console.log(
    `analytic store episodes loaded in ${(tStore / 1000).toFixed(1)} s; cohort columns (treatments, pain follow-up) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${data.state.episodes.toLocaleString('en-US')} episodes, RSS ${mb(memoryUsage().rss)}`,
  );

  // ---- funnel -------------------------------------------------------------------------
  const cold: number[] = [];
  const edited: number[] = [];
  const task: number[] = [];
  let last = runFunnel(data, TYPICAL, new MaskCache());
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    last = runFunnel(data, TYPICAL, new MaskCache());
    cold.push(performance.now() - t0);
  }
  const cache = new MaskCache();
  runFunnel(data, TYPICAL, cache);
  for (let r = 0; r < runs; r++) {
    const def = { ...TYPICAL, criteria: TYPICAL.criteria.map((c) => (c.type === 'age' ? { ...c, min: 40 + (r % 20) } : c)) };
    t0 = performance.now();
    runFunnel(data, def, cache);
    edited.push(performance.now() - t0);
  }
  for (let r = 0; r < runs; r++) {
    const criteria = TYPICAL.criteria.map((c) => (c.type === 'age' ? { ...c, min: 30 + r } : c));
    await analytics.clearCache();
    t0 = performance.now();
    await analytics.runTask('cohorts.funnel', { criteria });
    task.push(performance.now() - t0);
  }
  console.log(
    `funnel, typical five criteria (${[last.start, ...last.steps].map((s) => s.episodes.toLocaleString('en-US')).join(' -> ')} episodes):`,
  );
  console.log(`  every mask afresh: p50 ${pct(cold, 0.5).toFixed(1)} ms, p95 ${pct(cold, 0.95).toFixed(1)} ms (target <= 200 ms)`);
  console.log(`  one criterion edited (the others' masks kept): p50 ${pct(edited, 0.5).toFixed(1)} ms, p95 ${pct(edited, 0.95).toFixed(1)} ms`);
  console.log(`  as the task cohorts.funnel (runner, no result cache, one criterion new): p50 ${pct(task, 0.5).toFixed(1)} ms, p95 ${pct(task, 0.95).toFixed(1)} ms`);

  if (args.includes('--no-export')) return;

  // ---- export ---------------------------------------------------------------------------
  const everyone = CohortDefinition.parse({ schemaVersion: 1, criteria: [] });
  // Every measure's columns and the treatments loaded before the exports, as the server's analytics worker preloads them.
  t0 = performance.now();
  await analytics.runTask('export.warm', {});
  console.log(`measure columns and treatments loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS ${mb(memoryUsage().rss)}`);
  const cases: Array<[ExportShape, ExportFormat]> = [
    ['wide', 'csv'],
    ['wide', 'json'],
    ['wide', 'parquet'],
    ['long', 'csv'],
    ['long', 'parquet'],
    ['long', 'json'],
  ];
  for (const [shape, format] of cases) {
    if (args.includes('--quick') && format === 'json') continue;
    // `--only=wide-csv,long-parquet`: just those exports.
    const only = args.find((a) => a.startsWith('--only='));
    if (only && !only.slice('--only='.length).split(',').includes(`${shape}-${format}`)) continue;
    const { request } = await exportRequest({ db, analytics }, everyone, { shape, format, identified: false, cohort: null, now: Date.now() });
    const rssStart = memoryUsage().rss;
    const samples: Array<{ at: number; rss: number }> = [];
    // CPU by thread: the request's thread (this one: also the in-process analytic store), the export worker
    // (it says), and the rest (libuv's pool: deflate; V8's helpers: GC).
    const before = threadCpu();
    const timer = setInterval(() => samples.push({ at: performance.now(), rss: memoryUsage().rss }), 100);
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const jsonLevel = flag(args, 'json-level', -1);
    const out = exportZip(db.$client, request, { worker: true, ...(jsonLevel >= 0 ? { level: (name: string) => (name.endsWith('.json') ? jsonLevel : 1) } : {}) });
    let bytes = 0;
    for await (const c of out.stream) bytes += (c as Buffer).length;
    const counts = await out.done;
    const load = (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ');
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    clearInterval(timer);
    const after = threadCpu();
    const used = (tid: number) => (after.get(tid) ?? 0) - (before.get(tid) ?? 0);
    const mainCpu = used(process.pid);
    const workerCpu = out.workerCpu ?? NaN;
    const restCpu = cpuS - mainCpu - workerCpu;
    // The other threads still alive, busiest first (the pool's deflate shows as one or a few of them).
    const others = [...after.keys()]
      .filter((t) => t !== process.pid)
      .map((t) => used(t))
      .filter((c) => c >= 0.1)
      .sort((a, b) => b - a)
      .map((c) => c.toFixed(1));
    const rows = (counts.episodes ?? 0) + (counts.observations ?? 0) + (counts.treatments ?? 0);
    const peak = Math.max(rssStart, ...samples.map((x) => x.rss));
    const quarter = (q: number) => {
      const at = t0 + q * s * 1000;
      const near = samples.reduce((b, x) => (Math.abs(x.at - at) < Math.abs(b.at - at) ? x : b), samples[0] ?? { at, rss: rssStart });
      return mb(near.rss);
    };
    console.log(
      `export ${shape} ${format}: ${rows.toLocaleString('en-US')} rows (${Object.entries(counts)
        .map(([k, v]) => `${k} ${v!.toLocaleString('en-US')}`)
        .join(', ')}) in ${s.toFixed(1)} s = ${Math.round(rows / s).toLocaleString('en-US')} rows/s (CPU of every thread ${cpuS.toFixed(1)} s: ${Math.round(rows / cpuS).toLocaleString('en-US')} rows per CPU-second; request thread ${mainCpu.toFixed(1)} s, export worker ${workerCpu.toFixed(1)} s, other threads ${restCpu.toFixed(1)} s, the busiest ${others.join(' / ')} s); zip ${mb(bytes)}; RSS start ${mb(rssStart)}, peak ${mb(peak)}, at 25/50/75 % ${quarter(0.25)} / ${quarter(0.5)} / ${quarter(0.75)}${out.filled ? `; slots from the store / SQLite: episodes ${out.filled.episodes.store} / ${out.filled.episodes.sqlite}, treatments ${out.filled.treatments.store} / ${out.filled.treatments.sqlite}` : ''}; load ${load}`,
    );
  }
}
