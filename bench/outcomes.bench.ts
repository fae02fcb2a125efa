/**
 * `npm run bench -- outcomes [--patients N] [--rounds R] [--fresh] [--no-duckdb] [--no-contrast]`:
 * every procedure behind the Outcomes page, at scale, as the server runs them.
 *
 * 1. The demo practice of N patients (default 1,000,000: about 2M episodes,
 *    12.8M observations) in .tmp/bench-outcomes/, opened read-only when it is
 *    complete (it is shared; never written), else generated and derived
 *    (bench/outcomes-practice.ts).
 * 2. The analytic store in its worker thread (WorkerAnalytics, as main.ts
 *    starts it): time until the episodes are loaded and until the page's data
 *    (pain, MME, treatments) are, the store's size, and the process's RSS.
 * 3. Each procedure through the router (createCaller, as an admin) over
 *    several page states (filters a physician would pick), R rounds; task
 *    results, masks and group codes are forgotten before each page state, so
 *    every state computes its scans (the procedures of one page share them, as
 *    in the server): p50 and p95 per procedure, and the whole page.
 * 4. Event-loop delay: a light HTTP request (GET /healthz on the real Fastify
 *    app) sent while a heavy page state is computed, and the loop's delay
 *    histogram over the rounds; the same with the store on the main thread
 *    for contrast (--no-contrast skips it).
 * 5. The same figures computed by DuckDB (@duckdb/node-api) from the raw rows,
 *    cross-checked against the engine's (counts, means, SDs, medians).
 *
 * Targets (issue 3): each procedure <= 50 ms p95, the whole page <= 150 ms.
 * The machine has 2 cores shared with other work: take .tmp/flags/bench.lock
 * around a 1M run; a round that looks disturbed should be run again.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Db } from '../db/index.ts';
import { INTERVENTIONAL_CATEGORIES } from '../db/schema/vocabulary.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../server/app.ts';
import { createContextInner } from '../server/context.ts';
import { appRouter } from '../server/routers/_app.ts';
import { inProcessAnalytics, WorkerAnalytics, type Analytics } from '../server/services/analytics/runtime.ts';
import { createCallerFactory } from '../server/trpc.ts';
import { openPractice, openPracticeReadOnly, practicePath } from './outcomes-practice.ts';
import { countFlag, ms, percentile } from './common.ts';

const callerFor = (db: Db, analytics: Analytics) =>
  createCallerFactory(appRouter)(createContextInner({ db, user: { id: 1, role: 'admin', providerId: null, username: 'bench' }, analytics }));
type Caller = ReturnType<typeof callerFor>;

// ---- page states ---------------------------------------------------------------------------

type State = {
  name: string;
  measure: 'pain_nrs' | 'odi';
  window: 'w6' | 'm3' | 'm6' | 'm12';
  definition: 'pct30' | 'pct50' | 'mcid';
  denominator: 'complete_case' | 'intention_to_treat';
  filters: {
    carePath?: 'interventional' | 'conservative' | null;
    conditions?: Array<'radiculopathy' | 'low_back_pain'>;
    categories?: Array<'epidural_steroid_injection' | 'radiofrequency_ablation'>;
    providers?: number[];
    from?: string | null;
    to?: string | null;
  };
};

function states(db: Db): State[] {
  const last = db.$client.prepare('SELECT max(start_date) FROM episodes').pluck().get() as string;
  const yearBefore = `${Number(last.slice(0, 4)) - 1}${last.slice(4)}`;
  const providers = (db.$client.prepare('SELECT id FROM providers ORDER BY id LIMIT 3').pluck().all() as number[]).slice(0, 3);
  const base = { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: {} } as const;
  return [
    { ...base, name: 'default: pain, 3 months, >= 30 %, complete case' },
    { ...base, name: 'interventional, 6 months', window: 'm6', filters: { carePath: 'interventional' } },
    { ...base, name: 'radiculopathy', filters: { conditions: ['radiculopathy'] } },
    { ...base, name: 'last year of index dates', filters: { from: yearBefore, to: last } },
    { ...base, name: 'three providers', filters: { providers } },
    { ...base, name: 'ODI, MCID, 12 months', measure: 'odi', definition: 'mcid', window: 'm12' },
    { ...base, name: '>= 50 %, intention to treat', definition: 'pct50', denominator: 'intention_to_treat' },
    { ...base, name: 'ESI and RFA, 6 weeks', window: 'w6', filters: { categories: ['epidural_steroid_injection', 'radiofrequency_ablation'] } },
  ];
}

/** The queries the page sends for one state (OutcomesPage.tsx). */
function pageCalls(c: Caller, s: State): Record<string, () => Promise<unknown>> {
  const query = { measure: s.measure, window: s.window, definition: s.definition, denominator: s.denominator, filters: s.filters };
  return {
    summary: () => c.outcomes.summary(query),
    trajectory: () => c.outcomes.trajectory({ measure: s.measure, definition: s.definition, filters: s.filters }),
    responders: () => c.outcomes.responders({ query, by: 'category' }),
    distribution: () => c.outcomes.distribution({ measure: s.measure, window: s.window, definition: s.definition, filters: s.filters }),
    table: () => c.outcomes.table({ query, by: 'category' }),
    opioids: () => c.outcomes.opioids({ window: s.window, denominator: s.denominator, filters: s.filters }),
    complications: () => c.outcomes.complications({ filters: s.filters }),
    filterOptions: () => c.outcomes.filterOptions(),
  };
}

// ---- DuckDB from the raw rows --------------------------------------------------------------

const RAW_TABLES: Array<[table: string, columns: string, sqlite: string]> = [
  ['patients', 'id BIGINT, birth_date DATE, sex VARCHAR', 'SELECT id, birth_date, sex FROM patients'],
  [
    'episodes',
    'id BIGINT, patient_id BIGINT, care_path VARCHAR, condition_group VARCHAR, provider_id BIGINT, site_id BIGINT, start_date DATE',
    'SELECT id, patient_id, care_path, condition_group, provider_id, site_id, start_date FROM episodes',
  ],
  [
    'treatments',
    'id BIGINT, episode_id BIGINT, date DATE, category VARCHAR, code VARCHAR, complication VARCHAR',
    'SELECT id, episode_id, date, category, code, complication FROM treatments',
  ],
  ['observations', 'episode_id BIGINT, date DATE, measure VARCHAR, value DOUBLE', 'SELECT episode_id, date, measure, value FROM observations WHERE episode_id IS NOT NULL'],
];

/** The raw rows in a DuckDB file next to the practice (made once: CSV out of SQLite, read_csv into DuckDB). */
async function duckdbFor(db: Db, patients: number): Promise<{ con: DuckDBConnection; close: () => void }> {
  const path = practicePath(patients).replace(/\.db$/, '.duckdb');
  const fresh = !existsSync(path);
  const instance = await DuckDBInstance.create(path);
  const con = await instance.connect();
  if (fresh) {
    const t0 = performance.now();
    const dir = `${path}.csv`;
    mkdirSync(dir, { recursive: true });
    for (const [table, columns, sql] of RAW_TABLES) {
      const file = `${dir}/${table}.csv`;
      const out = createWriteStream(file);
      let buf = '';
      for (const row of db.$client.prepare(sql).raw().iterate() as Iterable<unknown[]>) {
        buf += row.map((v) => (v === null ? '' : String(v))).join(',') + '\n';
        if (buf.length > 1 << 20) {
          if (!out.write(buf)) await once(out, 'drain');
          buf = '';
        }
      }
      out.end(buf);
      await once(out, 'finish');
      const types = columns.split(', ').map((c) => c.split(' ')) as Array<[string, string]>;
      await con.run(
        `CREATE TABLE ${table} AS SELECT * FROM read_csv('${file}', header = false, nullstr = '', columns = {${types.map(([n, t]) => `'${n}': '${t}'`).join(', ')}})`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
    console.log(`DuckDB: raw rows loaded into ${path} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return { con, close: () => (con.closeSync(), instance.closeSync()) };
}

const WINDOWS = { w2: [14, 7, 21], w6: [42, 22, 63], m3: [91, 64, 135], m6: [182, 136, 272], m12: [365, 273, 456] } as const;
const INTERVENTIONAL = `(${INTERVENTIONAL_CATEGORIES.map((c) => `'${c}'`).join(', ')})`;

function duckWhere(s: State): string {
  const f = s.filters;
  const parts: string[] = [];
  if (f.carePath) parts.push(`e.care_path = '${f.carePath}'`);
  if (f.conditions?.length) parts.push(`e.condition_group IN (${f.conditions.map((x) => `'${x}'`).join(', ')})`);
  if (f.categories?.length) parts.push(`pt.category IN (${f.categories.map((x) => `'${x}'`).join(', ')})`);
  if (f.providers?.length) parts.push(`e.provider_id IN (${f.providers.join(', ')})`);
  if (f.from) parts.push(`e.start_date >= DATE '${f.from}'`);
  if (f.to) parts.push(`e.start_date <= DATE '${f.to}'`);
  return parts.length ? parts.join(' AND ') : 'true';
}

/** Episodes of the state with their primary treatment (derive-rules: an interventional episode's first procedure, else the first treatment). */
function duckEpisodes(s: State): string {
  return `pt AS (
      SELECT t.episode_id, first(t.category ORDER BY CASE WHEN e.care_path = 'interventional' AND t.category IN ${INTERVENTIONAL} THEN 0 ELSE 1 END,
        t.date, t.code NULLS LAST, t.id) AS category
      FROM treatments t JOIN episodes e ON e.id = t.episode_id GROUP BY t.episode_id),
    ep AS (SELECT e.*, pt.category FROM episodes e LEFT JOIN pt ON pt.episode_id = e.id WHERE ${duckWhere(s)})`;
}

/** Per episode of the state: baseline and the value counted at each window (spec: last in days -30..0; nearest the target, earlier on a tie). */
function duckPicks(measure: string): string {
  const w = Object.entries(WINDOWS)
    .map(([k, [t, a, b]]) => `arg_min(o.value, 2 * abs(o.day - ${t}) + (o.day > ${t})::INT) FILTER (WHERE o.day BETWEEN ${a} AND ${b}) AS ${k}`)
    .join(',\n        ');
  return `o AS (SELECT ob.episode_id, ob.value, (ob.date - ep.start_date) AS day FROM observations ob JOIN ep ON ep.id = ob.episode_id WHERE ob.measure = '${measure}'),
    pick AS (SELECT o.episode_id, arg_max(o.value, o.day) FILTER (WHERE o.day BETWEEN -30 AND 0) AS b,
        ${w}
      FROM o GROUP BY o.episode_id)`;
}

function duckResponder(def: string, measure: string, b: string, v: string): string {
  const c = measure === 'promis_pf' ? `(${v} - ${b})` : `(${b} - ${v})`;
  switch (def) {
    case 'pct30':
      return `(${b} > 0 AND ${c} >= 0.3 * ${b} - 1e-9)`;
    case 'pct50':
      return `(${b} > 0 AND ${c} >= 0.5 * ${b} - 1e-9)`;
    case 'pain_free':
      return `(${v} <= 1 + 1e-9)`;
    default:
      return `(${c} >= ${measure === 'odi' ? 10 : measure === 'pain_nrs' ? 2 : 5} - 1e-9)`;
  }
}

/** The figures of `summary` (by care path) and `table` (by category), per the spec from the raw rows. */
function duckBreakdown(s: State, by: 'care_path' | 'category'): string {
  const x = s.window;
  const change = `(pick.b - pick.${x})`;
  return `WITH ${duckEpisodes(s)}, ${duckPicks(s.measure)}
    SELECT ep.${by} AS g, count(*) AS episodes, count(pick.b) AS with_baseline, count(${change}) AS complete,
      avg(${change}) AS mean, stddev_samp(${change}) AS sd, quantile_cont(${change}, 0.5) AS median,
      count(*) FILTER (WHERE ${duckResponder(s.definition, s.measure, 'pick.b', `pick.${x}`)}) AS responders
    FROM ep LEFT JOIN pick ON pick.episode_id = ep.id GROUP BY ALL ORDER BY g`;
}

function duckTrajectory(s: State): string {
  const cols = Object.keys(WINDOWS)
    .map((w) => `count(pick.b - pick.${w}) AS n_${w}, avg(pick.b - pick.${w}) AS mean_${w}, stddev_samp(pick.b - pick.${w}) AS sd_${w}`)
    .join(', ');
  return `WITH ${duckEpisodes(s)}, ${duckPicks(s.measure)} SELECT ep.care_path AS g, ${cols} FROM ep LEFT JOIN pick ON pick.episode_id = ep.id GROUP BY ALL ORDER BY g`;
}

function duckDistribution(s: State): string {
  return `WITH ${duckEpisodes(s)}, ${duckPicks(s.measure)}
    SELECT ep.care_path AS g, pick.b - pick.${s.window} AS c, count(*) AS n FROM ep JOIN pick ON pick.episode_id = ep.id
    WHERE pick.b IS NOT NULL AND pick.${s.window} IS NOT NULL GROUP BY ALL ORDER BY g, c`;
}

function duckOpioids(s: State): string {
  const x = s.window;
  const [t, a, b] = WINDOWS[x];
  return `WITH ${duckEpisodes(s)},
    o AS (SELECT ob.episode_id, ob.measure, ob.value, (ob.date - ep.start_date) AS day FROM observations ob JOIN ep ON ep.id = ob.episode_id
          WHERE ob.measure IN ('pain_nrs', 'mme')),
    pick AS (SELECT episode_id,
        arg_max(value, day) FILTER (WHERE measure = 'pain_nrs' AND day BETWEEN -30 AND 0) AS pb,
        arg_min(value, 2 * abs(day - ${t}) + (day > ${t})::INT) FILTER (WHERE measure = 'pain_nrs' AND day BETWEEN ${a} AND ${b}) AS pv,
        arg_max(value, day) FILTER (WHERE measure = 'mme' AND day BETWEEN -30 AND 0) AS mb,
        arg_min(value, 2 * abs(day - ${t}) + (day > ${t})::INT) FILTER (WHERE measure = 'mme' AND day BETWEEN ${a} AND ${b}) AS mv
      FROM o GROUP BY episode_id)
    SELECT ep.care_path AS g, count(*) AS with_visit,
      count(*) FILTER (WHERE coalesce(mb, 0) > 0) AS on_baseline,
      count(*) FILTER (WHERE coalesce(mb, 0) > 0 AND mv IS NOT NULL) AS complete,
      count(*) FILTER (WHERE coalesce(mb, 0) > 0 AND mv IS NOT NULL AND mb - mv >= 0.5 * mb - 1e-9) AS reduced,
      count(*) FILTER (WHERE coalesce(mb, 0) > 0 AND mv = 0) AS stopped,
      avg(mb - mv) FILTER (WHERE coalesce(mb, 0) > 0) AS mme_change
    FROM ep JOIN pick ON pick.episode_id = ep.id WHERE pick.pb IS NOT NULL GROUP BY ALL ORDER BY g`;
}

function duckComplications(s: State): string {
  return `WITH ${duckEpisodes(s)}
    SELECT t.category AS g, count(t.complication) AS recorded, count(*) FILTER (WHERE t.complication = 'minor') AS minor,
      count(*) FILTER (WHERE t.complication = 'major') AS major
    FROM ep JOIN treatments t ON t.episode_id = ep.id GROUP BY ALL ORDER BY g`;
}

const DUCK_QUERIES: Record<string, (s: State) => string> = {
  summary: (s) => duckBreakdown(s, 'care_path'),
  trajectory: duckTrajectory,
  responders: (s) => duckBreakdown(s, 'category'),
  distribution: duckDistribution,
  table: (s) => duckBreakdown(s, 'category'),
  opioids: duckOpioids,
  complications: duckComplications,
};

async function duckRows(con: DuckDBConnection, sql: string): Promise<Array<Record<string, unknown>>> {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
}

const num = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));
const near = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));

/** Compares the engine's summary and table with DuckDB's for one state; returns the disagreements. */
async function crossCheck(c: Caller, con: DuckDBConnection, s: State): Promise<string[]> {
  const problems: string[] = [];
  const query = { measure: s.measure, window: s.window, definition: s.definition, denominator: s.denominator, filters: s.filters };
  for (const [procedure, by] of [['summary', 'care_path'], ['table', 'category']] as const) {
    const mine = procedure === 'summary' ? await c.outcomes.summary(query) : await c.outcomes.table({ query, by: 'category' });
    const duck = new Map((await duckRows(con, duckBreakdown(s, by))).map((r) => [r.g as string | null, r]));
    for (const g of mine.groups) {
      const d = duck.get(g.key);
      const what = `${s.name} / ${procedure} ${g.key}`;
      if (!d) {
        problems.push(`${what}: missing in DuckDB`);
        continue;
      }
      const checks: Array<[string, number | null, number | null]> = [
        ['episodes', g.episodes as number, num(d.episodes)],
        ['with baseline', g.withBaseline as number, num(d.with_baseline)],
        ['complete', g.complete as number, num(d.complete)],
        ['responders', g.responders ? (g.responders.x as number) : null, g.responders ? num(d.responders) : null],
        ['mean', g.change.mean, num(d.mean)],
        ['sd', g.change.sd, num(d.sd)],
        ['median', g.change.median, num(d.median)],
      ];
      for (const [name, a, b] of checks) if (!near(a, b)) problems.push(`${what}: ${name} ${a} vs DuckDB ${b}`);
    }
  }
  return problems;
}

// ---- run -------------------------------------------------------------------------------------

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MB`;

/** Times every procedure of every state, `rounds` times, forgetting cached results before each state. */
async function timePages(caller: Caller, analytics: Analytics, page: State[], rounds: number, onState?: (s: State) => void) {
  const times: Record<string, number[]> = {};
  const pageTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const s of page) {
      await analytics.clearCache();
      onState?.(s);
      const t0 = performance.now();
      for (const [name, call] of Object.entries(pageCalls(caller, s))) {
        const t = performance.now();
        await call();
        (times[name] ??= []).push(performance.now() - t);
      }
      pageTimes.push(performance.now() - t0);
    }
  }
  return { times, pageTimes };
}

function printTimes(title: string, { times, pageTimes }: { times: Record<string, number[]>; pageTimes: number[] }): void {
  console.log(`\n${title}`);
  console.log(`  ${'procedure'.padEnd(15)} ${'p50'.padStart(10)} ${'p95'.padStart(10)}   target 50 ms p95 (${pageTimes.length} page states)`);
  for (const [name, xs] of Object.entries(times)) {
    const p95 = percentile(xs, 0.95);
    console.log(`  ${name.padEnd(15)} ${ms(percentile(xs, 0.5)).padStart(10)} ${ms(p95).padStart(10)}   ${p95 <= 50 ? 'ok' : 'MISSED'}`);
  }
  const pageP95 = percentile(pageTimes, 0.95);
  console.log(`  ${'whole page'.padEnd(15)} ${ms(percentile(pageTimes, 0.5)).padStart(10)} ${ms(pageP95).padStart(10)}   target 150 ms: ${pageP95 <= 150 ? 'ok' : 'MISSED'}`);
}

/**
 * Latency of GET /healthz on the real app, sent while a heavy page state
 * (every procedure, nothing cached) is being computed, and the event loop's
 * delay meanwhile.
 */
async function lightDuringHeavy(db: Db, analytics: Analytics, page: State[]): Promise<{ light: number[]; loopP99: number; loopMax: number }> {
  const app = await buildApp({ db, clientDist: null, analytics });
  const caller = callerFor(db, analytics);
  const light: number[] = [];
  // Warm the app up (routes compiled, JIT) so the figures are about the loop, not the first request.
  for (let i = 0; i < 50; i++) await app.inject({ method: 'GET', url: '/healthz' });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  try {
    for (const s of page) {
      await analytics.clearCache();
      const heavy = Promise.all(Object.values(pageCalls(caller, s)).map((call) => call()));
      // Requests while the page computes: one at the start, then every 10 ms until it is done.
      let done = false;
      void heavy.then(() => (done = true));
      do {
        const t = performance.now();
        const res = await app.inject({ method: 'GET', url: '/healthz' });
        if (res.statusCode !== 200) throw new Error(`healthz answered ${res.statusCode}`);
        light.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      } while (!done);
      await heavy;
    }
  } finally {
    h.disable();
    await app.close();
  }
  return { light, loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6 };
}

export async function run(args: string[]): Promise<void> {
  const patients = countFlag(args, 'patients', 1_000_000);
  const rounds = countFlag(args, 'rounds', 3);
  const ro = args.includes('--fresh') ? null : openPracticeReadOnly(patients);
  const db = ro ?? openPractice(patients, { fresh: args.includes('--fresh') });
  const counts = db.$client
    .prepare(
      `SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM episodes) AS episodes,
        (SELECT count(*) FROM treatments) AS treatments, (SELECT count(*) FROM observations) AS observations`,
    )
    .get() as Record<string, number>;
  console.log(
    `practice${ro ? ' (read-only)' : ''}: ${Object.entries(counts)
      .map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`)
      .join(', ')}; ${rounds} round(s) over ${states(db).length} page states`,
  );
  const page = states(db);
  const rss0 = process.memoryUsage().rss;

  // ---- the store in its worker, as the server starts it
  const t0 = performance.now();
  const analytics = new WorkerAnalytics({ path: practicePath(patients) });
  await analytics.ready();
  const episodesReady = performance.now() - t0;
  const caller = callerFor(db, analytics);
  const warm = performance.now();
  for (const call of Object.values(pageCalls(caller, page[0]!))) await call();
  const firstPage = performance.now() - warm;
  const pageReady = performance.now() - t0;
  // The worker builds the scans' indexes while idle (after loading, and after the data change): wait for it, as a server would be by the time its users arrive.
  let stats = await analytics.stats();
  while ((stats.pendingWork ?? 0) > 0) {
    await new Promise((r) => setTimeout(r, 200));
    stats = await analytics.stats();
  }
  const warmed = performance.now() - t0;
  const rss1 = process.memoryUsage().rss;
  console.log(`\nanalytic store (worker thread):`);
  console.log(`  episodes loaded, server can answer analytic requests: ${ms(episodesReady)}`);
  console.log(`  first page (waits for pain, MME and treatments to load): ${ms(firstPage)}; everything the page reads in memory ${ms(pageReady)} after start`);
  console.log(`  indexes of the scans built while idle: ${ms(warmed)} after start`);
  console.log(`  load per part: ${Object.entries(stats.loadMs).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
  console.log(`  ${stats.liveEpisodes.toLocaleString('en-US')} episodes, ${stats.treatments?.toLocaleString('en-US')} treatments, measures ${stats.measures.join(', ')}: columns ${mb(stats.bytes)}; process RSS ${mb(rss0)} before, ${mb(rss1)} after`);

  // ---- every procedure, every state
  const worker = await timePages(caller, analytics, page, rounds);
  printTimes('engine (analytic store in the worker), per procedure:', worker);

  // ---- a light request while a heavy query runs
  const during = await lightDuringHeavy(db, analytics, page);
  console.log(`\nevent loop while a page state computes (worker): GET /healthz p50 ${ms(percentile(during.light, 0.5))}, p95 ${ms(percentile(during.light, 0.95))}, max ${ms(Math.max(...during.light))} (${during.light.length} requests); loop delay p99 ${ms(during.loopP99)}, max ${ms(during.loopMax)}`);
  if (!args.includes('--no-contrast')) {
    const local = inProcessAnalytics(db);
    await local.ready();
    for (const call of Object.values(pageCalls(callerFor(db, local), page[0]!))) await call();
    const blocked = await lightDuringHeavy(db, local, page);
    console.log(`  the same with the store on the main thread (contrast): GET /healthz p50 ${ms(percentile(blocked.light, 0.5))}, p95 ${ms(percentile(blocked.light, 0.95))}, max ${ms(Math.max(...blocked.light))}; loop delay p99 ${ms(blocked.loopP99)}, max ${ms(blocked.loopMax)}`);
    await local.close();
  }

  if (args.includes('--no-duckdb')) {
    await analytics.close();
    db.$client.close();
    return;
  }
  const duck = await duckdbFor(db, patients);
  try {
    const problems: string[] = [];
    for (const s of page.slice(0, 4)) problems.push(...(await crossCheck(caller, duck.con, s)));
    console.log(`\ncross-check of summary and table against DuckDB on ${Math.min(4, page.length)} states: ${problems.length ? `${problems.length} DISAGREEMENTS` : 'all counts, means, SDs and medians agree'}`);
    for (const p of problems.slice(0, 20)) console.log(`  ${p}`);

    const duckTimes: Record<string, number[]> = {};
    const duckPage: number[] = [];
    for (const s of page) {
      const t0 = performance.now();
      for (const [name, q] of Object.entries(DUCK_QUERIES)) {
        const t = performance.now();
        await duckRows(duck.con, q(s));
        (duckTimes[name] ??= []).push(performance.now() - t);
      }
      duckPage.push(performance.now() - t0);
    }
    console.log('\nDuckDB from the raw rows (picks baseline and follow-ups per query), and the ratio engine / DuckDB (p50):');
    for (const [name, xs] of Object.entries(duckTimes)) {
      const ours = percentile(worker.times[name]!, 0.5);
      const theirs = percentile(xs, 0.5);
      console.log(`  ${name.padEnd(15)} ${ms(theirs).padStart(10)} p50 ${ms(percentile(xs, 0.95)).padStart(10)} p95   ratio ${(ours / theirs).toFixed(3)}`);
    }
    console.log(`  ${'whole page'.padEnd(15)} ${ms(percentile(duckPage, 0.5)).padStart(10)} p50   ratio ${(percentile(worker.pageTimes, 0.5) / percentile(duckPage, 0.5)).toFixed(3)}`);
  } finally {
    duck.close();
    await analytics.close();
    db.$client.close();
  }
}
