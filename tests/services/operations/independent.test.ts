/**
 * Every Operations aggregate against an independent computation on a
 * generated practice: straightforward SQL over the record tables (and the
 * derived outcome tables for follow-up), or a brute-force recount in plain
 * TypeScript written here without the column store, the profiles, the cube
 * or the rules module. Then the same after the records change (the store
 * patches itself from the change log) and with filters that take the
 * line-scan path instead of the cube.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { CPT_FAMILIES, INTERVENTIONAL_CATEGORIES, SEXES } from '../../../db/schema/vocabulary.ts';
import { createContextInner, type ContextInner } from '../../../server/context.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { calendar, comparison, followUp, mix, movers, repeats, volume } from '../../../server/services/operations/service.ts';
import type { OutcomeFilters } from '../../../server/services/outcomes/filters.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const AS_OF = Math.floor(NOW / 86_400_000);
const DAY = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);

let db: Db;
let admin: ContextInner;

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 1500, seed: 606 });
  refreshOutcomes(db);
  admin = createContextInner({ db, user: { id: 1, role: 'admin', providerId: null }, now: () => NOW });
});

const INTERVENTIONAL = INTERVENTIONAL_CATEGORIES.map((c) => `'${c}'`).join(', ');
const FAMILY_CASE = `CASE code ${Object.entries(CPT_FAMILIES)
  .flatMap(([f, x]) => x.codes.map((c) => `WHEN '${c}' THEN '${f}'`))
  .join(' ')} ELSE CASE WHEN code IS NULL THEN 'none' ELSE 'other' END END`;

type SessionRow = {
  patient: number;
  episode: number;
  date: string;
  category: string;
  region: string | null;
  code: string | null;
  family: string;
  provider: number;
  site: number;
  path: string;
  condition: string;
  sex: string;
  lines: number;
};

/** Sessions straight from SQL: one row per patient, day, category and region, with its first line's code and provider. */
function sessions(where = '1'): SessionRow[] {
  return db.$client
    .prepare(
      `WITH l AS (
         SELECT e.patient_id AS patient, t.episode_id AS episode, t.date, t.category, e.region, t.code, coalesce(t.provider_id, e.provider_id) AS provider,
                e.site_id AS site, e.care_path AS path, e.condition_group AS condition, p.sex,
                row_number() OVER (PARTITION BY e.patient_id, t.date, t.category, e.region ORDER BY t.code, t.id) AS k,
                count(*) OVER (PARTITION BY e.patient_id, t.date, t.category, e.region) AS lines
         FROM treatments t JOIN episodes e ON e.id = t.episode_id JOIN patients p ON p.id = e.patient_id
         WHERE t.category IN (${INTERVENTIONAL}))
       SELECT patient, episode, date, category, region, code, ${FAMILY_CASE} AS family, provider, site, path, condition, sex, lines FROM l WHERE k = 1 AND ${where}`,
    )
    .all() as SessionRow[];
}

const tally = <T>(rows: T[], key: (r: T) => string, weight: (r: T) => number = () => 1): Map<string, number> => {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + weight(r));
  return m;
};

/** The service's series as key "bucket|group" -> count (only shown, non-zero cells). */
function seriesCells(v: Awaited<ReturnType<typeof volume>>): Map<string, number> {
  const m = new Map<string, number>();
  v.groups.forEach((g) =>
    g.counts.forEach((c, b) => {
      if (typeof c === 'number' && c > 0) m.set(`${v.buckets[b]!.label}|${g.key}`, c);
    }),
  );
  return m;
}

const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) / 2;
  return s[Math.floor(h)]! + (h - Math.floor(h)) * (s[Math.ceil(h)]! - s[Math.floor(h)]!);
};

describe('procedure volume', () => {
  it('sessions by CPT family and month equal a SQL count of distinct patient, day, type and region', async () => {
    const v = await volume(admin, { filters: {}, period: 'month', by: 'family', unit: 'sessions' });
    const expected = tally(sessions(), (s) => `${s.date.slice(0, 7)}|${s.family}`);
    expect(seriesCells(v)).toEqual(expected);
    expect(v.total).toBe(sessions().length);
  });

  it('lines by code and week equal a SQL count of treatment rows', async () => {
    const v = await volume(admin, { filters: {}, period: 'week', by: 'code', unit: 'lines' });
    const rows = db.$client.prepare(`SELECT date, code FROM treatments WHERE category IN (${INTERVENTIONAL})`).all() as Array<{ date: string; code: string }>;
    // Weeks start on Monday.
    const weekOf = (iso: string) => {
      const d = DAY(iso);
      const monday = d - ((((d + 3) % 7) + 7) % 7);
      return `Week of ${new Date(monday * 86_400_000).toISOString().slice(0, 10)}`;
    };
    const top = [...tally(rows, (r) => r.code).entries()].sort((a, b) => b[1] - a[1]);
    const named = new Set(top.slice(0, 8).map(([c]) => c));
    const expected = tally(rows, (r) => `${weekOf(r.date)}|${named.has(r.code) ? r.code : 'others'}`);
    expect(seriesCells(v)).toEqual(expected);
    // Year-over-year: 52 weeks earlier, from the same counts.
    const totals = tally(rows, (r) => weekOf(r.date));
    const last = v.buckets.length - 1;
    const before = new Date((DAY(v.buckets[last]!.start) - 364) * 86_400_000).toISOString().slice(0, 10);
    expect(v.yearBefore[last]).toBe(totals.get(`Week of ${before}`) ?? 0);
    expect(v.yearChange[last]).toBeCloseTo((totals.get(v.buckets[last]!.label)! - totals.get(`Week of ${before}`)!) / totals.get(`Week of ${before}`)!, 12);
    expect(v.periodChange[last]).toBeCloseTo((totals.get(v.buckets[last]!.label)! - totals.get(v.buckets[last - 1]!.label)!) / totals.get(v.buckets[last - 1]!.label)!, 12);
  });

  it('with filters on the procedure and on the episode (line scan and cube alike)', async () => {
    const cases: Array<{ filters: OutcomeFilters; where: string; keep: (s: SessionRow) => boolean }> = [
      {
        filters: { providers: [2, 3], from: '2025-02-10', to: '2026-03-31', categories: ['epidural_steroid_injection', 'medial_branch_block'] },
        where: '1',
        keep: (s) => [2, 3].includes(s.provider) && s.date >= '2025-02-10' && s.date <= '2026-03-31' && ['epidural_steroid_injection', 'medial_branch_block'].includes(s.category),
      },
      {
        filters: { carePath: 'interventional', conditions: ['radiculopathy', 'low_back_pain'], sexes: ['female'] },
        where: '1',
        keep: (s) => s.path === 'interventional' && ['radiculopathy', 'low_back_pain'].includes(s.condition) && s.sex === 'female',
      },
      { filters: { codes: ['64483', '62323'], sites: [1] }, where: '1', keep: (s) => ['64483', '62323'].includes(s.code ?? '') && s.site === 1 },
    ];
    for (const c of cases) {
      const v = await volume(admin, { filters: c.filters, period: 'quarter', by: 'provider', unit: 'sessions' });
      const quarter = (iso: string) => `${iso.slice(0, 4)}-Q${Math.floor((Number(iso.slice(5, 7)) - 1) / 3) + 1}`;
      const expected = tally(sessions(c.where).filter(c.keep), (s) => `${quarter(s.date)}|${s.provider}`);
      expect(expected.size).toBeGreaterThan(0);
      expect(seriesCells(v)).toEqual(expected);
    }
  });

  it('the calendar counts sessions per day of the year', async () => {
    const c = await calendar(admin, { filters: {}, year: 2025 });
    const expected = tally(sessions().filter((s) => s.date.startsWith('2025')), (s) => s.date);
    expect(c.days).toHaveLength(365);
    expect(new Map(c.days.filter((d) => d.count !== 0).map((d) => [d.date, d.count]))).toEqual(expected);
    expect(c.days[0]).toMatchObject({ date: '2025-01-01', weekday: 2 }); // a Wednesday (0 = Monday)
  });

  it('top movers compare the latest month with the one before and a year before', async () => {
    const m = await movers(admin, { filters: {}, period: 'month', unit: 'sessions' });
    const all = sessions();
    const last = m.current!;
    const prev = m.previous!;
    const year = m.yearBefore!;
    for (const mv of m.movers.filter((x) => x.by === 'code')) {
      const count = (month: string) => all.filter((s) => s.date.startsWith(month) && (s.code ?? 'none') === mv.key).length;
      expect([mv.current, mv.previous, mv.yearBefore]).toEqual([count(last), count(prev), count(year)]);
      expect(mv.change).toBe(count(last) - count(prev));
    }
    const changes = m.movers.filter((x) => x.by === 'site').map((x) => Math.abs(x.change!));
    expect(changes).toEqual([...changes].sort((a, b) => b - a));
  });

  it('the interventional share of episodes per quarter equals a SQL count', async () => {
    const x = await mix(admin, { filters: {}, period: 'quarter' });
    const rows = db.$client
      .prepare(`SELECT index_quarter AS q, sum(care_path = 'interventional') AS i, sum(care_path = 'conservative') AS c FROM outcome_episodes GROUP BY 1 ORDER BY 1`)
      .all() as Array<{ q: number; i: number; c: number }>;
    expect(x.buckets.map((b) => [b.label, b.interventional, b.conservative])).toEqual(rows.map((r) => [`${Math.floor(r.q / 10)}-Q${r.q % 10}`, r.i, r.c]));
    expect(x.buckets[0]!.share.p).toBeCloseTo(rows[0]!.i / (rows[0]!.i + rows[0]!.c), 12);
  });
});

/** Brute force: per patient, type and region, the sessions' days in order. */
function chains(all: SessionRow[]): Map<string, SessionRow[]> {
  const m = new Map<string, SessionRow[]>();
  for (const s of all) {
    const k = `${s.patient}|${s.category}|${s.region}`;
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(s);
  }
  for (const c of m.values()) c.sort((a, b) => (a.date < b.date ? -1 : 1));
  return m;
}

describe('repeats and payer rules', () => {
  it('intervals, 12-month repeat rates, ESI flags and MBB -> RFA conversion equal a brute-force recount', async () => {
    const r = await repeats(admin, { filters: {} });
    const all = sessions();
    const ch = chains(all);
    const gaps = new Map<string, number[]>();
    const mature = new Map<string, [number, number]>();
    let esi = 0;
    let flagged = 0;
    const flaggedPatients = new Set<number>();
    let series = 0;
    let converted = 0;
    for (const c of ch.values()) {
      const cat = c[0]!.category;
      c.forEach((s, k) => {
        const d = DAY(s.date);
        const next = c[k + 1] ? DAY(c[k + 1]!.date) - d : null;
        if (next !== null) gaps.set(cat, [...(gaps.get(cat) ?? []), next]);
        if (d + 364 <= AS_OF) {
          const m = mature.get(cat) ?? [0, 0];
          m[0]++;
          if (next !== null && next <= 364) m[1]++;
          mature.set(cat, m);
        }
        if (cat === 'epidural_steroid_injection') {
          esi++;
          const inWindow = c.filter((o) => DAY(o.date) <= d && DAY(o.date) >= d - 364).length;
          if (inWindow > 4) {
            flagged++;
            flaggedPatients.add(s.patient);
          }
        }
        if (cat === 'medial_branch_block') {
          const prev = c[k - 1];
          if (prev && d - DAY(prev.date) <= 364) return;
          if (d + 364 > AS_OF) return;
          series++;
          const rfa = ch.get(`${s.patient}|radiofrequency_ablation|${s.region}`) ?? [];
          if (rfa.some((o) => DAY(o.date) > d && DAY(o.date) - d <= 364)) converted++;
        }
      });
    }
    expect(flagged).toBeGreaterThan(0);
    expect(converted).toBeGreaterThan(0);
    expect(r.esi.sessions).toBe(esi);
    expect(r.esi.flagged).toBe(flagged);
    expect(r.esi.patients).toBe(flaggedPatients.size);
    expect(r.mbb.series).toBe(series);
    expect(r.mbb.converted).toBe(converted);
    for (const g of r.byCategory) {
      const xs = gaps.get(g.key) ?? [];
      expect(g.intervals).toBe(xs.length);
      expect(g.median).toBe(median(xs));
      const m = mature.get(g.key) ?? [0, 0];
      expect([g.repeatRate.x, g.repeatRate.n]).toEqual([m[1], m[0]]);
      const bins = g.histogram.map((h) => h.count);
      expect(bins.reduce((a, b) => (a as number) + (b as number), 0)).toBe(xs.length);
      expect(bins[0]).toBe(xs.filter((x) => x <= 30).length);
      expect(bins.at(-1)).toBe(xs.filter((x) => x > 360).length);
    }
  });
});

describe('the two paths', () => {
  it('the day cube and the line scan give the same answers (a sex filter naming every sex takes the line scan)', async () => {
    const every = { sexes: [...SEXES] };
    expect(await repeats(admin, { filters: every })).toEqual(await repeats(admin, { filters: {} }));
    for (const period of ['week', 'quarter'] as const) {
      const a = await volume(admin, { filters: every, period, by: 'code', unit: 'lines' });
      const b = await volume(admin, { filters: {}, period, by: 'code', unit: 'lines' });
      expect(a).toEqual(b);
    }
    expect(await movers(admin, { filters: every, period: 'month', unit: 'sessions' })).toEqual(await movers(admin, { filters: {}, period: 'month', unit: 'sessions' }));
    expect(await calendar(admin, { filters: every, year: 2025 })).toEqual(await calendar(admin, { filters: {}, year: 2025 }));
  });
});

describe('follow-up completion and the comparison table', () => {
  it('per provider: episodes, baselines, due windows, scores and responders equal a SQL count of the derived tables', async () => {
    const input = { filters: {}, measure: 'pain_nrs' as const, window: 'm6' as const, definition: 'pct30' as const, by: 'provider' as const, period: 'quarter' as const };
    const f = await followUp(admin, input);
    const c = await comparison(admin, input);
    const rows = db.$client
      .prepare(
        `SELECT e.provider_id AS g, count(*) AS episodes, count(m.baseline_value) AS baseline,
                sum(m.baseline_value IS NOT NULL AND e.index_day + 272 <= @asOf) AS eligible,
                sum(m.baseline_value IS NOT NULL AND m.m6_value IS NOT NULL AND e.index_day + 272 <= @asOf) AS scored,
                sum(m.baseline_value IS NOT NULL AND m.m6_pct30 = 1 AND e.index_day + 272 <= @asOf) AS responders
         FROM outcome_episodes e LEFT JOIN outcome_measures m ON m.episode_id = e.episode_id AND m.measure = 'pain_nrs'
         GROUP BY 1 ORDER BY 1`,
      )
      .all({ asOf: AS_OF }) as Array<{ g: number; episodes: number; baseline: number; eligible: number; scored: number; responders: number }>;
    expect(f.groups.map((g) => [Number(g.key), g.episodes, g.baseline.x, g.completion.n, g.completion.x])).toEqual(
      rows.map((r) => [r.g, r.episodes, r.baseline, r.eligible, r.scored]),
    );
    expect(c.rows.map((g) => [Number(g.key), g.responders.x, g.responders.n])).toEqual(rows.map((r) => [r.g, r.responders, r.scored]));
    const bySession = tally(sessions(), (s) => String(s.provider));
    expect(c.rows.filter((g) => g.sessions !== 0).map((g) => [g.key, g.sessions])).toEqual([...bySession.entries()].sort((a, b) => Number(a[0]) - Number(b[0])));
    // Quarterly series sum to the overall figures.
    for (const g of f.groups) expect(g.series.reduce((a, s) => a + (s.episodes as number), 0)).toBe(g.episodes);
  });

  it('for a practice manager: no published count of 1 to 10, and none by one subtraction of two published counts', async () => {
    const manager = createContextInner({ db, user: { id: 2, role: 'practice_manager', providerId: null }, now: () => NOW });
    const small = (x: unknown) => typeof x === 'number' && x >= 1 && x <= 10;
    let checked = 0;
    let shownFigures = 0;
    for (const by of ['provider', 'site'] as const) {
      for (const window of ['w2', 'm12'] as const) {
        const input = { filters: { conditions: ['radiculopathy' as const] }, measure: 'pain_nrs' as const, window, definition: 'pct50' as const, by, period: 'month' as const };
        const f = await followUp(manager, input);
        const c = await comparison(manager, input);
        const lines = [
          ...f.groups.flatMap((g) => [g, ...g.series]).map((x) => ({ episodes: x.episodes, withBaseline: x.baseline.x, eligible: x.completion.n, scored: x.completion.x, responders: null as unknown })),
          ...[...c.rows, c.practice].map((r) => ({ episodes: r.episodes, withBaseline: r.baseline.x, eligible: r.completion.n, scored: r.responders.n, responders: r.responders.x })),
        ];
        for (const l of lines) {
          const nested = [l.episodes, l.withBaseline, l.eligible, l.scored, l.responders];
          for (const x of nested) {
            expect(small(x)).toBe(false);
            if (typeof x === 'number') shownFigures++;
          }
          for (let a = 0; a < nested.length; a++)
            for (let b = a + 1; b < nested.length; b++) {
              const [x, y] = [nested[a], nested[b]];
              if (typeof x === 'number' && typeof y === 'number') {
                expect(small(x - y), JSON.stringify({ by, window, a, b, l })).toBe(false);
                checked++;
              }
            }
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(shownFigures).toBeGreaterThan(50);
  });

  it('stays exact after records change: the analytic store applies the change log and the derivation follows its version', async () => {
    const mbbLines = async () => (await volume(admin, { filters: { categories: ['medial_branch_block'] }, period: 'month', by: 'none', unit: 'lines' })).total;
    const before = (await mbbLines()) as number;
    const patient = db.$client
      .prepare(`SELECT e.patient_id FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE t.category = 'epidural_steroid_injection' GROUP BY 1 HAVING count(*) >= 3 LIMIT 1`)
      .pluck()
      .get() as number;
    // Delete one ESI line of that patient, move another by 400 days, add an MBB.
    const ids = db.$client
      .prepare(`SELECT t.id FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE e.patient_id = ? AND t.category = 'epidural_steroid_injection' ORDER BY t.id`)
      .pluck()
      .all(patient) as number[];
    db.$client.prepare('DELETE FROM treatments WHERE id = ?').run(ids[0]);
    db.$client.prepare(`UPDATE treatments SET date = date(date, '+400 days') WHERE id = ?`).run(ids[1]);
    const episode = db.$client.prepare('SELECT id FROM episodes WHERE patient_id = ? LIMIT 1').pluck().get(patient) as number;
    db.$client
      .prepare(`INSERT INTO treatments (key, episode_id, date, category, code) VALUES ('ops-test-added', ?, '2024-06-03', 'medial_branch_block', '64493')`)
      .run(episode);
    refreshOutcomes(db);
    const after = await repeats(admin, { filters: {} });
    const all = sessions();
    expect(after.esi.sessions).toBe(all.filter((s) => s.category === 'epidural_steroid_injection').length);
    expect(await mbbLines()).toBe(before + 1);
    const v = await volume(admin, { filters: {}, period: 'month', by: 'family', unit: 'sessions' });
    expect(seriesCells(v)).toEqual(tally(all, (s) => `${s.date.slice(0, 7)}|${s.family}`));
    // The derivation follows the analytic store's version: the line-scan path (a condition filter) agrees too.
    const radiculopathy = await volume(admin, { filters: { conditions: ['radiculopathy'] }, period: 'month', by: 'code', unit: 'lines' });
    const lines = db.$client
      .prepare(`SELECT substr(t.date, 1, 7) AS m, t.code FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE t.category IN (${INTERVENTIONAL}) AND e.condition_group = 'radiculopathy'`)
      .all() as Array<{ m: string; code: string }>;
    const top = [...tally(lines, (r) => r.code).entries()].sort((x, y) => y[1] - x[1]);
    const named = new Set(top.slice(0, 8).map(([c]) => c));
    expect(seriesCells(radiculopathy)).toEqual(tally(lines, (r) => `${r.m}|${named.has(r.code) ? r.code : 'others'}`));
  });
});
