/**
 * `npm run bench -- derive [--patients N] [--batch N] [--keep] [--no-trigger-cost]`: the derived
 * outcome tables at production scale (docs/decisions/005-derived-outcomes.md).
 *
 * 1. A synthetic practice of N patients (default 1,000,000: ~1.9M episodes,
 *    ~10M observations) written with fast INSERTs into .tmp/, then a full
 *    rebuild, an incremental refresh of 1,000 corrected episodes and of 1,000
 *    episodes with new observations.
 * 2. One typical aggregation on outcome_measures (mean pain change and
 *    responders at 3 months by care path x condition group, for a one-year
 *    index-date range and for all dates) in SQL, and the same figures from the
 *    rows loaded once into typed arrays, the route to the page's 50 ms.
 * 3. Cost of the consistency scheme on bulk inserts: 1M observation rows
 *    upserted the way the record store does (see triggerCost).
 * Prints seconds, milliseconds and peak RSS.
 */
import { rmSync, statSync } from 'node:fs';
import { createDb, migrateDb, type Db } from '../db/index.ts';
import { measureIdRange } from '../db/schema/outcomes.ts';
import { CONDITION_GROUP_NAMES, REGIONS } from '../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../server/domain/dates.ts';
import { BULK_BATCH_SIZE, outcomesPending, rebuildOutcomes, refreshOutcomes } from '../server/services/outcomes/refresh.ts';
import { countFlag, percentile } from './common.ts';

const DIR = '.tmp';

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(2);

function freshDb(name: string): { db: Db; path: string } {
  const path = `${DIR}/${name}.db`;
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  const db = createDb(path);
  migrateDb(db);
  return { db, path };
}

function removeDb(path: string): void {
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
}

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Multi-row INSERT helper: buffers rows and writes `per` rows per statement. */
class Inserter {
  private readonly buf: unknown[] = [];
  private readonly full;
  count = 0;
  constructor(
    private readonly db: Db,
    private readonly table: string,
    private readonly columns: string[],
    private readonly per = 200,
  ) {
    this.full = this.statement(per);
  }
  private statement(n: number) {
    const one = `(${this.columns.map(() => '?').join(',')})`;
    return this.db.$client.prepare(`INSERT INTO ${this.table} (${this.columns.join(',')}) VALUES ${new Array(n).fill(one).join(',')}`);
  }
  add(...row: unknown[]): void {
    for (const v of row) this.buf.push(v);
    this.count++;
    if (this.buf.length === this.per * this.columns.length) {
      this.full.run(this.buf);
      this.buf.length = 0;
    }
  }
  flush(): void {
    if (this.buf.length) this.statement(this.buf.length / this.columns.length).run(this.buf);
    this.buf.length = 0;
  }
}

const INTERVENTIONAL: Array<[string, string]> = [
  ['epidural_steroid_injection', '62323'],
  ['epidural_steroid_injection', '64483'],
  ['facet_joint_injection', '64493'],
  ['medial_branch_block', '64493'],
  ['radiofrequency_ablation', '64635'],
  ['sacroiliac_joint_injection', '27096'],
];
const CONSERVATIVE: Array<[string, string | null]> = [
  ['medication', null],
  ['physical_therapy', '97110'],
  ['exercise_program', null],
  ['psychological_therapy', null],
];

/** Writes a synthetic practice straight into the tables (ids chosen here, like a bulk load). */
function buildPractice(db: Db, patients: number): { episodes: number; treatments: number; observations: number } {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const sqlite = db.$client;
  const SITES = 5;
  const PROVIDERS = 40;
  sqlite.transaction(() => {
    for (let s = 1; s <= SITES; s++) sqlite.prepare('INSERT INTO sites (id, key, name) VALUES (?, ?, ?)').run(s, `S${s}`, `Site ${s}`);
    for (let p = 1; p <= PROVIDERS; p++)
      sqlite.prepare('INSERT INTO providers (id, key, name, site_id) VALUES (?, ?, ?, ?)').run(p, `D${p}`, `Provider ${p}`, 1 + (p % SITES));
  })();
  const pat = new Inserter(db, 'patients', ['id', 'mrn', 'birth_date', 'sex']);
  const epi = new Inserter(db, 'episodes', [
    'id',
    'key',
    'patient_id',
    'care_path',
    'condition_code',
    'condition_group',
    'region',
    'provider_id',
    'site_id',
    'start_date',
    'pain_duration_months',
  ]);
  const tre = new Inserter(db, 'treatments', ['id', 'key', 'episode_id', 'date', 'category', 'code', 'complication']);
  const obs = new Inserter(db, 'observations', ['id', 'patient_id', 'episode_id', 'episode_by_date', 'date', 'measure', 'value']);
  const CODES: Record<string, string> = {
    low_back_pain: 'M54.50',
    radiculopathy: 'M54.16',
    spinal_stenosis: 'M48.061',
    facet_arthropathy: 'M47.816',
    neck_pain: 'M54.2',
    sacroiliac: 'M46.1',
    crps: 'G90.50',
    neuropathy: 'G62.9',
    post_laminectomy: 'M96.1',
    other: 'M79.7',
  };
  const first = parseIsoDate('2018-01-01')!;
  // A trusted bulk load: references are correct by construction.
  sqlite.pragma('foreign_keys = OFF');
  let e = 0;
  let t = 0;
  let o = 0;
  const CHUNK = 20_000;
  for (let p0 = 1; p0 <= patients; p0 += CHUNK) {
    sqlite.transaction(() => {
      for (let p = p0; p < p0 + CHUNK && p <= patients; p++) {
        pat.add(p, `MRN${p}`, daysToIso(parseIsoDate('1935-01-01')! + Math.floor(r() * 65 * 365)), r() < 0.56 ? 'female' : 'male');
        const n = r() < 0.3 ? 1 : r() < 0.7 ? 2 : 3;
        let start = first + Math.floor(r() * 900);
        for (let k = 0; k < n; k++) {
          e++;
          const interventional = r() < 0.5;
          const group = pick(CONDITION_GROUP_NAMES);
          const provider = 1 + Math.floor(r() * PROVIDERS);
          epi.add(
            e,
            `E${e}`,
            p,
            interventional ? 'interventional' : 'conservative',
            CODES[group],
            group,
            pick(REGIONS),
            provider,
            1 + (provider % SITES),
            daysToIso(start),
            r() < 0.8 ? Math.floor(r() * 60) : null,
          );
          const courses = interventional ? 1 + Math.floor(r() * 3) : 1 + Math.floor(r() * 2);
          for (let c = 0; c < courses; c++) {
            const [category, code] = interventional ? pick(INTERVENTIONAL) : pick(CONSERVATIVE);
            const u = r();
            tre.add(++t, `T${t}`, e, daysToIso(start + (c === 0 ? 0 : 30 + Math.floor(r() * 150))), category, code, u < 0.02 ? 'minor' : u < 0.025 ? 'major' : 'none');
          }
          const effect = interventional ? 0.35 : 0.2;
          const base = 4 + Math.floor(r() * 7);
          const followUps = [14, 42, 91, 182, 365];
          const series = (measure: string, b: number, scale: number, windows: number) => {
            if (r() < 0.9) obs.add(++o, p, e, 0, daysToIso(start - Math.floor(r() * 28)), measure, b);
            for (let w = 0; w < windows; w++) {
              if (r() < 0.4) continue;
              const v = Math.max(0, Math.min(scale, Math.round(b * (1 - effect + (r() - 0.5) * 0.6))));
              obs.add(++o, p, e, 0, daysToIso(start + followUps[w]! + Math.floor((r() - 0.5) * 10)), measure, v);
            }
          };
          series('pain_nrs', base, 10, 5);
          if (r() < 0.3) series('odi', 20 + Math.floor(r() * 50), 100, 3);
          if (r() < 0.2) series('mme', r() < 0.3 ? 0 : 10 + Math.floor(r() * 80), 1000, 3);
          start += 500 + Math.floor(r() * 300);
        }
      }
      pat.flush();
      epi.flush();
      tre.flush();
      obs.flush();
    })();
  }
  sqlite.pragma('foreign_keys = ON');
  return { episodes: e, treatments: t, observations: o };
}

/**
 * 1M observation upserts shaped like the record store's, on a database with
 * 100k patients: as migrated (no insert trigger), with no outcome trigger at
 * all, with an insert trigger that only checks the id against the mark (what
 * guarding the marks against chosen ids would cost), and with a naive trigger
 * that queues every inserted row's episode.
 */
type TriggerVariant = 'none' | 'migrated' | 'guarded' | 'naive';
const TRIGGER_VARIANTS: TriggerVariant[] = ['none', 'migrated', 'guarded', 'naive'];
function triggerCost(variant: TriggerVariant): number {
  const { db, path } = freshDb(`bench-derive-triggers-${variant}`);
  const sqlite = db.$client;
  if (variant === 'none') {
    for (const name of sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'outcome_%'`).pluck().all() as string[])
      sqlite.exec(`DROP TRIGGER ${name}`);
  }
  if (variant === 'guarded') {
    sqlite.exec(`CREATE TRIGGER guard_queue AFTER INSERT ON observations
      WHEN new.episode_id IS NOT NULL AND new.id <= (SELECT last_id FROM outcome_marks WHERE source = 'observations')
      BEGIN INSERT INTO outcome_queue (episode_id) VALUES (new.episode_id) ON CONFLICT DO NOTHING; END`);
  }
  if (variant === 'naive') {
    sqlite.exec(`CREATE TRIGGER naive_queue AFTER INSERT ON observations WHEN new.episode_id IS NOT NULL
      BEGIN INSERT INTO outcome_queue (episode_id) VALUES (new.episode_id) ON CONFLICT DO NOTHING; END`);
  }
  const P = 100_000;
  sqlite.transaction(() => {
    sqlite.prepare(`INSERT INTO sites (id, key, name) VALUES (1, 'S', 'Site')`).run();
    sqlite.prepare(`INSERT INTO providers (id, key, name) VALUES (1, 'D', 'Provider')`).run();
    const ip = sqlite.prepare('INSERT INTO patients (id, mrn, birth_date, sex) VALUES (?, ?, ?, ?)');
    const ie = sqlite.prepare(
      `INSERT INTO episodes (id, key, patient_id, care_path, condition_code, condition_group, provider_id, site_id, start_date)
       VALUES (?, ?, ?, 'interventional', 'M54.16', 'radiculopathy', 1, 1, ?)`,
    );
    for (let p = 1; p <= P; p++) {
      ip.run(p, `M${p}`, '1960-01-01', 'female');
      ie.run(2 * p - 1, `E${2 * p - 1}`, p, '2022-01-01');
      ie.run(2 * p, `E${2 * p}`, p, '2023-06-01');
    }
  })();
  const N = 256;
  const cols = ['key', 'patient_id', 'episode_id', 'episode_by_date', 'date', 'measure', 'value', 'import_id'];
  const one = `(${cols.map(() => '?').join(',')})`;
  const upsert = (n: number) =>
    sqlite.prepare(
      `INSERT INTO observations (${cols.join(',')}) VALUES ${new Array(n).fill(one).join(',')}
       ON CONFLICT(patient_id, measure, date) DO UPDATE SET episode_id = excluded.episode_id, episode_by_date = excluded.episode_by_date,
         value = excluded.value, import_id = excluded.import_id
       WHERE observations.episode_id IS NOT excluded.episode_id OR observations.episode_by_date IS NOT excluded.episode_by_date
         OR observations.value IS NOT excluded.value`,
    );
  const full = upsert(N);
  const chunks: unknown[][] = [];
  let chunk: unknown[] = [];
  const base = parseIsoDate('2022-01-01')!;
  for (let p = 1; p <= P; p++) {
    for (let k = 0; k < 10; k++) {
      const second = k >= 5;
      chunk.push(null, p, second ? 2 * p : 2 * p - 1, 1, daysToIso(base + (second ? 516 : 0) + (k % 5) * 40), k % 2 ? 'odi' : 'pain_nrs', 5, null);
      if (chunk.length === N * cols.length) {
        chunks.push(chunk);
        chunk = [];
      }
    }
  }
  if (chunk.length) chunks.push(chunk);
  const perTx = Math.floor(50_000 / N);
  const t0 = performance.now();
  for (let c = 0; c < chunks.length; c += perTx) {
    sqlite.transaction(() => {
      for (let k = c; k < c + perTx && k < chunks.length; k++) {
        const params = chunks[k]!;
        (params.length === N * cols.length ? full : upsert(params.length / cols.length)).run(params);
      }
    })();
  }
  const s = (performance.now() - t0) / 1000;
  sqlite.close();
  removeDb(path);
  return s;
}

function timeQuery(run: () => unknown, times = 20): { p50: number; p95: number } {
  run();
  const ts: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    run();
    ts.push(performance.now() - t0);
  }
  return { p50: percentile(ts, 0.5), p95: percentile(ts, 0.95) };
}

/** The aggregation, done once in SQL on outcome_measures and once over typed arrays loaded from it. */
function aggregations(db: Db): void {
  const sqlite = db.$client;
  const span = sqlite.prepare(`SELECT min(index_day) AS lo, max(index_day) AS hi FROM outcome_episodes`).get() as { lo: number; hi: number };
  const yearFrom = span.hi - 365;
  const sql = sqlite.prepare(`
    SELECT care_path, condition_group,
      count(*) AS with_baseline, count(m3_value) AS with_follow_up,
      avg(m3_change) AS mean_change, sum(m3_change * m3_change) AS sum_sq,
      sum(m3_pct30) AS responders_30, sum(m3_pct50) AS responders_50
    FROM outcome_measures
    WHERE id BETWEEN ? AND ? AND baseline_value IS NOT NULL AND index_day BETWEEN ? AND ?
    GROUP BY care_path, condition_group`);
  const [lo, hi] = measureIdRange('pain_nrs');
  const plan = (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql.source}`).all(lo, hi, 0, 0) as Array<{ detail: string }>).map((x) => x.detail).join('; ');
  const y = timeQuery(() => sql.all(lo, hi, yearFrom, span.hi));
  const all = timeQuery(() => sql.all(lo, hi, span.lo, span.hi), 5);
  console.log(`aggregation in SQL (plan: ${plan})`);
  console.log(`  one year of index dates: p50 ${y.p50.toFixed(1)} ms, p95 ${y.p95.toFixed(1)} ms`);
  console.log(`  all index dates:         p50 ${all.p50.toFixed(1)} ms, p95 ${all.p95.toFixed(1)} ms`);

  // The same figures from columns in memory (what a query service can keep and update per refresh).
  const t0 = performance.now();
  const n = sqlite.prepare(`SELECT count(*) FROM outcome_measures WHERE id BETWEEN ? AND ?`).pluck().get(lo, hi) as number;
  const day = new Int32Array(n);
  const group = new Uint8Array(n);
  const hasBase = new Uint8Array(n);
  const change = new Float32Array(n);
  const r30 = new Int8Array(n);
  const r50 = new Int8Array(n);
  const paths = new Map<string, number>();
  const conds = new Map<string, number>();
  const code = (m: Map<string, number>, v: string) => m.get(v) ?? (m.set(v, m.size), m.size - 1);
  let i = 0;
  const rows = sqlite
    .prepare(
      `SELECT index_day, care_path, condition_group, baseline_value IS NOT NULL, m3_change, m3_pct30, m3_pct50
       FROM outcome_measures WHERE id BETWEEN ? AND ?`,
    )
    .raw()
    .iterate(lo, hi) as Iterable<[number, string, string, number, number | null, number | null, number | null]>;
  for (const [d, cp, cg, hb, c, a, b] of rows) {
    day[i] = d;
    group[i] = code(paths, cp) * 16 + code(conds, cg);
    hasBase[i] = hb;
    change[i] = c ?? Number.NaN;
    r30[i] = a ?? -1;
    r50[i] = b ?? -1;
    i++;
  }
  const loadMs = performance.now() - t0;
  const scan = (lo: number, hi: number) => {
    const G = 64;
    const nb = new Float64Array(G);
    const nf = new Float64Array(G);
    const sum = new Float64Array(G);
    const sq = new Float64Array(G);
    const a = new Float64Array(G);
    const b = new Float64Array(G);
    for (let k = 0; k < n; k++) {
      const d = day[k]!;
      if (d < lo || d > hi || !hasBase[k]) continue;
      const g = group[k]!;
      nb[g]!++;
      const c = change[k]!;
      if (c === c) {
        nf[g]!++;
        sum[g]! += c;
        sq[g]! += c * c;
        if (r30[k] === 1) a[g]!++;
        if (r50[k] === 1) b[g]!++;
      }
    }
    return { nb, nf, sum, sq, a, b };
  };
  const my = timeQuery(() => scan(yearFrom, span.hi));
  const mall = timeQuery(() => scan(span.lo, span.hi));
  console.log(`aggregation over typed arrays (${n.toLocaleString('en-US')} pain rows loaded in ${(loadMs / 1000).toFixed(2)} s)`);
  console.log(`  one year of index dates: p50 ${my.p50.toFixed(1)} ms, p95 ${my.p95.toFixed(1)} ms`);
  console.log(`  all index dates:         p50 ${mall.p50.toFixed(1)} ms, p95 ${mall.p95.toFixed(1)} ms`);
}

export async function run(args: string[]): Promise<void> {
  const patients = countFlag(args, 'patients', 1_000_000);
  const batchSize = countFlag(args, 'batch', BULK_BATCH_SIZE);
  const keep = args.includes('--keep');
  const skipTriggers = args.includes('--no-trigger-cost');

  const { db, path } = freshDb('bench-derive');
  let t0 = performance.now();
  const built = buildPractice(db, patients);
  console.log(
    `practice: ${patients.toLocaleString('en-US')} patients, ${built.episodes.toLocaleString('en-US')} episodes, ` +
      `${built.treatments.toLocaleString('en-US')} treatments, ${built.observations.toLocaleString('en-US')} observations, written in ${seconds(t0)} s`,
  );

  t0 = performance.now();
  const full = rebuildOutcomes(db, { batchSize });
  const measureRows = db.$client.prepare('SELECT count(*) FROM outcome_measures').pluck().get() as number;
  console.log(
    `full rebuild: ${seconds(t0)} s (${full.derived.toLocaleString('en-US')} episodes, ${measureRows.toLocaleString('en-US')} measure rows, ` +
      `${full.batches} batches of ${batchSize.toLocaleString('en-US')}), peak RSS ${peakRssMb()} MB`,
  );

  // 1,000 corrections: one pain value in each of 1,000 episodes spread over the practice.
  const sqlite = db.$client;
  const step = Math.max(1, Math.floor(built.episodes / 1000));
  const targets = sqlite
    .prepare(`SELECT min(id) FROM observations WHERE episode_id IN (SELECT value FROM json_each(?)) GROUP BY episode_id`)
    .pluck()
    .all(JSON.stringify(Array.from({ length: 1000 }, (_, k) => 1 + k * step))) as number[];
  sqlite.transaction(() => {
    const upd = sqlite.prepare(`UPDATE observations SET value = CASE WHEN value >= 1 THEN value - 1 ELSE value + 1 END WHERE id = ?`);
    for (const id of targets) upd.run(id);
  })();
  t0 = performance.now();
  const corrected = refreshOutcomes(db);
  console.log(`incremental refresh after ${targets.length} corrections: ${(performance.now() - t0).toFixed(0)} ms (${corrected.derived} episodes re-derived)`);

  // New observations for 1,000 episodes (the id-mark path).
  const maxObs = sqlite.prepare('SELECT max(id) FROM observations').pluck().get() as number;
  sqlite.transaction(() => {
    const ins = sqlite.prepare(
      `INSERT INTO observations (patient_id, episode_id, episode_by_date, date, measure, value)
       SELECT patient_id, id, 0, date(start_date, '+200 days'), 'promis_pf', 45 FROM episodes WHERE id = ?`,
    );
    for (let k = 0; k < 1000; k++) ins.run(2 + k * step);
  })();
  t0 = performance.now();
  const added = refreshOutcomes(db);
  console.log(
    `incremental refresh after new observations in 1,000 episodes: ${(performance.now() - t0).toFixed(0)} ms ` +
      `(${added.derived} episodes re-derived; ${sqlite.prepare('SELECT max(id) FROM observations').pluck().get() as number - maxObs} new rows)`,
  );
  console.log(`consistent: ${outcomesPending(db).consistent}`);

  aggregations(db);

  const mb = (p: string) => (statSync(p).size / 1e6).toFixed(0);
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  console.log(`database ${mb(path)} MB; peak RSS ${peakRssMb()} MB`);
  sqlite.close();
  if (!keep) removeDb(path);

  // Last, so that the peak RSS above is the derivation's own.
  if (!skipTriggers) {
    console.log('trigger cost: 1,000,000 observation upserts (256 rows per statement, 50,000 per transaction)');
    const runs = Object.fromEntries(TRIGGER_VARIANTS.map((v) => [v, [] as number[]]));
    for (let k = 0; k < 3; k++) for (const v of TRIGGER_VARIANTS) runs[v]!.push(triggerCost(v));
    const best = (v: string) => Math.min(...runs[v]!);
    for (const v of TRIGGER_VARIANTS) {
      const extra = best(v) - best('none');
      console.log(
        `  ${v.padEnd(9)} best of 3: ${best(v).toFixed(2)} s (${Math.round(1e6 / best(v)).toLocaleString('en-US')} rows/s)` +
          (v === 'none' ? '' : `, +${extra.toFixed(2)} s per 1M rows (${((100 * extra) / best('none')).toFixed(0)} %)`),
      );
    }
  }
}
