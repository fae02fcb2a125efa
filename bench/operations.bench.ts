/**
 * `npm run bench -- operations [--patients N] [--rounds R]`: every procedure
 * behind the Operations page at scale, as the server runs them: through the
 * router (createCaller), the scans as tasks in the analytics worker thread
 * (WorkerAnalytics, as main.ts starts it), masking on the caller's side.
 *
 * 1. The demo practice of N patients (default 1,000,000: 2M episodes, 8M
 *    treatments of which 2.8M procedures) in .tmp/bench-outcomes/, opened
 *    read-only (shared; never written; take .tmp/flags/bench.lock around a 1M run).
 * 2. Start-up: the worker's episode columns, then the first page, which waits
 *    for the treatments and pain scores to load and for the Operations
 *    derivation (procedure lines by patient, payer rules, profiles, day cube).
 * 3. Each procedure over several page states (no filter; two providers, two
 *    procedure types and a year: the day cube; condition and sex: the line
 *    scan; daily volume for a year), as an admin and as a practice manager
 *    (masking), R rounds, the task cache cleared before each state: p50 and
 *    p95 per procedure, and of the whole page, its calls one after another
 *    and together (as the browser's batched request sends them).
 *
 * The flagged-episode list is timed as its task (the router's audit row
 * cannot be written to the read-only database).
 *
 * Targets (issue 6): each procedure <= 50 ms p95, the whole page <= 150 ms.
 */
import type { Db } from '../db/index.ts';
import { createContextInner } from '../server/context.ts';
import { appRouter } from '../server/routers/_app.ts';
import { WorkerAnalytics, type Analytics } from '../server/services/analytics/runtime.ts';
import type { RouterInputs } from '../server/routers/_app.ts';
import type { OutcomeFilters } from '../server/services/outcomes/filters.ts';
import { createCallerFactory } from '../server/trpc.ts';
import { openPracticeReadOnly, practicePath } from './outcomes-practice.ts';
import { countFlag, ms, percentile } from './common.ts';

type Filters = NonNullable<Exclude<RouterInputs['operations']['repeats'], void | undefined>['filters']>;
type State = { name: string; filters: Filters; period: 'day' | 'week' | 'month' | 'quarter'; by: 'family' | 'code' | 'provider' | 'site' | 'category' | 'care_path' | 'none' };

function states(db: Db): State[] {
  const providers = db.$client.prepare('SELECT id FROM providers ORDER BY id LIMIT 3').pluck().all() as number[];
  const last = db.$client.prepare('SELECT max(date) FROM treatments').pluck().get() as string;
  const yearBefore = `${Number(last.slice(0, 4)) - 1}${last.slice(4)}`;
  return [
    { name: 'whole practice, monthly by family', filters: {}, period: 'month', by: 'family' },
    { name: 'providers, ESI + MBB, one year', filters: { providers: providers.slice(0, 2), categories: ['epidural_steroid_injection', 'medial_branch_block'], from: yearBefore, to: last }, period: 'week', by: 'code' },
    { name: 'radiculopathy, women (line scan)', filters: { conditions: ['radiculopathy'], sexes: ['female'], carePath: 'interventional' }, period: 'quarter', by: 'provider' },
    { name: 'daily, last year, by site', filters: { from: yearBefore, to: last }, period: 'day', by: 'site' },
  ];
}

const callerFor = (ctx: ReturnType<typeof createContextInner>) => createCallerFactory(appRouter)(ctx);
type Caller = ReturnType<typeof callerFor>;

/** The page's calls for one state, as OperationsPage makes them. */
function page(caller: Caller, analytics: Analytics, s: State): Array<[string, () => Promise<unknown>]> {
  const fu = { filters: s.filters, measure: 'pain_nrs' as const, window: 'm3' as const, definition: 'pct30' as const, by: 'provider' as const, period: 'quarter' as const };
  return [
    ['volume', () => caller.operations.volume({ filters: s.filters, period: s.period, by: s.by, unit: 'sessions' })],
    ['movers', () => caller.operations.movers({ filters: s.filters, period: s.period === 'day' ? 'week' : s.period, unit: 'sessions' })],
    ['calendar', () => caller.operations.calendar({ filters: s.filters, year: null })],
    ['mix', () => caller.operations.mix({ filters: s.filters, period: 'quarter' })],
    ['repeats', () => caller.operations.repeats({ filters: s.filters })],
    ['flaggedEpisodes', () => analytics.runTask('operations.flagged', { filters: s.filters as OutcomeFilters, own: null, limit: 50, cursor: null })],
    ['followUp', () => caller.operations.followUp(fu)],
    ['comparison', () => caller.operations.comparison(fu)],
  ];
}

export async function run(args: string[]): Promise<void> {
  const patients = countFlag(args, 'patients', 1_000_000);
  const rounds = countFlag(args, 'rounds', 5);
  const db = openPracticeReadOnly(patients);
  if (!db) {
    console.log(`no complete practice at ${practicePath(patients)}: run \`npm run bench -- outcomes --patients ${patients}\` once to generate it`);
    return;
  }
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const analytics = new WorkerAnalytics({ path: practicePath(patients), preload: { measures: ['pain_nrs'], treatments: true } });
  await analytics.ready();
  const ready = performance.now() - t0;
  const now = () => Date.parse('2026-11-24T12:00:00Z');
  const callerAs = (role: 'admin' | 'practice_manager') => callerFor(createContextInner({ db, user: { id: 1, role, providerId: null, username: 'bench' }, analytics, now }));
  const all = states(db);
  const t1 = performance.now();
  for (const [, f] of page(callerAs('admin'), analytics, all[0]!)) await f();
  const first = performance.now() - t1;
  const stats = await analytics.stats();
  const ops = await analytics.runTask('operations.stats', {});
  console.log(`analytics worker ready (episodes) in ${ms(ready)}; first Operations page ${ms(first)} (loads treatments and pain, derives the Operations columns)`);
  console.log(
    `  Operations derivation (per store state): ${ms(ops.buildMs)}; ${ops.lines.toLocaleString('en-US')} procedure lines, ${ops.profiles.toLocaleString('en-US')} line profiles, ` +
      `${ops.coarseProfiles.toLocaleString('en-US')} coarse profiles, ${ops.cubeEntries.toLocaleString('en-US')} day-cube entries, ${ops.rollupEntries.toLocaleString('en-US')} episode rollup entries`,
  );
  console.log(`  derivation per stage: ${Object.entries(ops.stageMs).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
  console.log(`  store load per part: ${Object.entries(stats.loadMs).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
  console.log(`  ${stats.liveEpisodes.toLocaleString('en-US')} episodes, ${stats.treatments?.toLocaleString('en-US')} treatments; process RSS ${(rss0 / 1e6).toFixed(0)} MB before, ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB after (the worker's memory included)`);

  // Steady state: the worker preloads the other measures and builds every page's indexes while idle; a task that
  // arrives meanwhile waits for the step in progress. Time the page once that work is done (as a server some
  // minutes after start), then one untimed round for the JIT.
  const idle0 = performance.now();
  while (((await analytics.stats()).pendingWork ?? 0) > 0 && performance.now() - idle0 < 300_000) await new Promise((r) => setTimeout(r, 500));
  console.log(`  worker idle work (preloads, warm-ups) finished ${ms(performance.now() - t0)} after start`);
  for (const s of all) for (const [, f] of page(callerAs('admin'), analytics, s)) await f();

  for (const role of ['admin', 'practice_manager'] as const) {
    const caller = callerAs(role);
    const per = new Map<string, number[]>();
    const sequential: number[] = [];
    const together: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const s of all) {
        await analytics.clearCache();
        const p0 = performance.now();
        for (const [name, f] of page(caller, analytics, s)) {
          const a = performance.now();
          await f();
          const t = performance.now() - a;
          if (!per.has(name)) per.set(name, []);
          per.get(name)!.push(t);
        }
        sequential.push(performance.now() - p0);
        await analytics.clearCache();
        const p1 = performance.now();
        await Promise.all(page(caller, analytics, s).map(([, f]) => f()));
        together.push(performance.now() - p1);
      }
    }
    console.log(`\n${role}: ${rounds} rounds x ${all.length} page states (${all.map((s) => s.name).join('; ')})`);
    console.log(`  ${'procedure'.padEnd(16)} ${'p50'.padStart(9)} ${'p95'.padStart(9)}   target 50 ms p95`);
    for (const [name, xs] of per) {
      const p95 = percentile(xs, 0.95);
      console.log(`  ${name.padEnd(16)} ${ms(percentile(xs, 0.5)).padStart(9)} ${ms(p95).padStart(9)}   ${p95 <= 50 ? 'ok' : 'MISSED'}`);
    }
    for (const [name, xs] of [['whole page, one call after another', sequential], ['whole page, calls together', together]] as const) {
      const p95 = percentile(xs, 0.95);
      console.log(`  ${name}: p50 ${ms(percentile(xs, 0.5))}, p95 ${ms(p95)}   target 150 ms p95: ${p95 <= 150 ? 'ok' : 'MISSED'}`);
    }
  }
  await analytics.close();
  db.$client.close();
}
