/**
 * `npm run bench -- operations [--patients N] [--rounds R]`: every procedure
 * behind the Operations page at scale, as the server runs them (the services
 * the router calls, with the caller's masking), and the whole page.
 *
 * 1. The demo practice of N patients (default 1,000,000: 2M episodes, 8M
 *    treatments of which 2.8M procedures) in .tmp/bench-outcomes/, opened
 *    read-only (shared; never written; take .tmp/flags/bench.lock around a 1M run).
 * 2. The column store: load time, lines, episodes, profiles, day-cube entries, RSS.
 * 3. Each procedure over several page states (no filter; a provider, two
 *    procedure types and a date range: the day cube; condition and sex: the
 *    line scan; daily volume for a year), as an admin and as a practice
 *    manager (masking), R rounds: p50 and p95 per procedure and of the whole
 *    page (the eight calls the page makes for one state, one after another).
 * 4. Keeping the store exact: patching 1,000 patients' lines and episodes
 *    (what a refresh after a correction costs), read from the database.
 *
 * Targets (issue 6): each procedure <= 50 ms p95, the whole page <= 150 ms.
 */
import type { Db } from '../db/index.ts';
import { createContextInner, type ContextInner } from '../server/context.ts';
import { compile, flaggedLines } from '../server/services/operations/aggregate.ts';
import { calendar, comparison, followUp, mix, movers, repeats, storeOf, volume, type FollowUpInput } from '../server/services/operations/service.ts';
import { CATS, OperationsStore } from '../server/services/operations/store.ts';
import type { OutcomeFilters } from '../server/services/outcomes/filters.ts';
import { openPracticeReadOnly, practicePath } from './outcomes-practice.ts';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')} ms`;
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

type State = { name: string; filters: OutcomeFilters; period: 'day' | 'week' | 'month' | 'quarter'; by: 'family' | 'code' | 'provider' | 'site' | 'category' | 'care_path' | 'none' };

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

/** The page's calls for one state, as OperationsPage makes them. */
function page(ctx: ContextInner, s: State, store: OperationsStore): Array<[string, () => unknown]> {
  const fu: FollowUpInput = { filters: s.filters, measure: 'pain_nrs', window: 'm3', definition: 'pct30', by: 'provider', period: 'quarter' };
  return [
    ['volume', () => volume(ctx, { filters: s.filters, period: s.period, by: s.by, unit: 'sessions' })],
    ['movers', () => movers(ctx, { filters: s.filters, period: s.period === 'day' ? 'week' : s.period, unit: 'sessions' })],
    ['calendar', () => calendar(ctx, { filters: s.filters, year: null })],
    ['mix', () => mix(ctx, { filters: s.filters, period: 'quarter' })],
    ['repeats', () => repeats(ctx, { filters: s.filters })],
    // The patient-level list without its audit row (the bench database is read-only): selection, sort, first page.
    ['flaggedEpisodes', () => flaggedLines(store, compile(store, s.filters), CATS.esi).slice(0, 50)],
    ['followUp', () => followUp(ctx, fu)],
    ['comparison', () => comparison(ctx, fu)],
  ];
}

export async function run(args: string[]): Promise<void> {
  const patients = flag(args, 'patients', 1_000_000);
  const rounds = flag(args, 'rounds', 5);
  const db = openPracticeReadOnly(patients);
  if (!db) {
    console.log(`no complete practice at ${practicePath(patients)}: run \`npm run bench -- outcomes --patients ${patients}\` once to generate it`);
    return;
  }
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const store = storeOf(db);
  const loadMs = performance.now() - t0;
  console.log(
    `store loaded in ${ms(loadMs)}: ${store.n.toLocaleString('en-US')} procedure lines, ${store.epMax.toLocaleString('en-US')} episodes, ` +
      `${store.profiles.size.toLocaleString('en-US')} line profiles, ${store.coarse.size.toLocaleString('en-US')} coarse profiles, ` +
      `${store.cube.size.toLocaleString('en-US')} day-cube entries; RSS +${((process.memoryUsage().rss - rss0) / 1e6).toFixed(0)} MB`,
  );
  const t1 = performance.now();
  store.bitsOf('pain_nrs');
  console.log(`pain NRS bit fields loaded in ${ms(performance.now() - t1)}`);

  const now = () => Date.parse('2026-11-24T12:00:00Z');
  const roles = {
    admin: createContextInner({ db, user: { id: 1, role: 'admin', providerId: null, username: 'bench' }, now }),
    practice_manager: createContextInner({ db, user: { id: 2, role: 'practice_manager', providerId: null, username: 'bench' }, now }),
  };
  const all = states(db);
  for (const [role, ctx] of Object.entries(roles)) {
    const per = new Map<string, number[]>();
    const pages: number[] = [];
    // Warm-up: one page per state (JIT), not counted.
    for (const s of all) for (const [, f] of page(ctx, s, store)) f();
    for (let r = 0; r < rounds; r++) {
      for (const s of all) {
        const p0 = performance.now();
        for (const [name, f] of page(ctx, s, store)) {
          const a = performance.now();
          f();
          const t = performance.now() - a;
          if (!per.has(name)) per.set(name, []);
          per.get(name)!.push(t);
        }
        pages.push(performance.now() - p0);
      }
    }
    console.log(`\n${role}: ${rounds} rounds x ${all.length} page states (${all.map((s) => s.name).join('; ')})`);
    console.log(`  ${'procedure'.padEnd(16)} ${'p50'.padStart(9)} ${'p95'.padStart(9)}   target 50 ms p95`);
    for (const [name, xs] of per) {
      const p95 = percentile(xs, 0.95);
      console.log(`  ${name.padEnd(16)} ${ms(percentile(xs, 0.5)).padStart(9)} ${ms(p95).padStart(9)}   ${p95 <= 50 ? 'ok' : 'MISSED'}`);
    }
    const p95 = percentile(pages, 0.95);
    console.log(`  ${'whole page'.padEnd(16)} ${ms(percentile(pages, 0.5)).padStart(9)} ${ms(p95).padStart(9)}   target 150 ms p95: ${p95 <= 150 ? 'ok' : 'MISSED'}`);
  }

  // Keeping the store exact: re-read 1,000 patients spread over the practice, as a sync after a refresh does.
  const some = db.$client.prepare('SELECT id FROM patients WHERE id % 997 = 0 LIMIT 1000').pluck().all() as number[];
  const episodes = db.$client.prepare(`SELECT id FROM episodes WHERE patient_id IN (${some.join(',')})`).pluck().all() as number[];
  const patch = store as unknown as { loadEpisodes(ids: number[]): void; loadLines(p: number[]): void };
  const t2 = performance.now();
  patch.loadEpisodes(episodes);
  patch.loadLines(some);
  console.log(`\npatching ${some.length.toLocaleString('en-US')} patients (${episodes.length.toLocaleString('en-US')} episodes): ${ms(performance.now() - t2)}; dead lines now ${store.dead.toLocaleString('en-US')}`);
  db.$client.close();
}
