/**
 * The store's tasks (server/services/outcomes/store-queries.ts) give the same
 * answers as the SQL of query.ts, the reference implementation, on generated
 * practices: random filters, groupings, measures, windows and definitions
 * (fast-check), before and after corrections, deletions and new episodes that
 * the store follows through the change log. Counts and distributions must be
 * equal; sums of change equal to 1e-12 (summation order differs).
 * Also: a store kept up to date by sync holds exactly the columns of a store
 * built from scratch.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { CARE_PATHS, CONDITION_GROUP_NAMES, FOLLOW_UP_WINDOW_NAMES, SEXES, TREATMENT_CATEGORIES } from '../../../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { AnalyticStore, buildStore } from '../../../server/services/analytics/store.ts';
import { inProcessAnalytics } from '../../../server/services/analytics/runtime.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { AGE_BAND_LABELS, GROUPINGS, type OutcomeFilters } from '../../../server/services/outcomes/filters.ts';
import {
  changeByGroup,
  complicationsByCategory,
  episodesByGroup,
  opioidsByGroup,
  OUTCOME_MEASURES,
  presentValues,
  RESPONDER_DEFINITIONS,
  trajectoryByGroup,
} from '../../../server/services/outcomes/query.ts';
import {
  changeByGroupTask,
  complicationsByCategoryTask,
  episodesAndChangeTask,
  episodesByGroupTask,
  opioidsByGroupTask,
  outcomeWarmUps,
  presentValuesTask,
  trajectoryByGroupTask,
} from '../../../server/services/outcomes/store-queries.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { RecordStore } from '../../../server/services/records/store.ts';

let db: Db;
let store: AnalyticStore;
let providers: number[];
let sites: number[];
let codes: string[];
let span: [string, string];

/** Deep equality with numbers equal to 1e-12 relative (sums in another order). */
function expectSame(actual: unknown, expected: unknown, path = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Math.abs(actual - expected) > 1e-12 * Math.max(1, Math.abs(expected))) expect(actual, path).toBe(expected);
    return;
  }
  if (expected instanceof Map) return expectSame([...(actual as Map<unknown, unknown>)], [...expected], path);
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  if (expected && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const k of Object.keys(expected)) expectSame((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(actual, path).toBe(expected);
}

const filtersArb = () =>
  fc.record(
    {
      carePath: fc.constantFrom(...CARE_PATHS, null),
      conditions: fc.subarray([...CONDITION_GROUP_NAMES], { maxLength: 3 }),
      categories: fc.subarray([...TREATMENT_CATEGORIES], { maxLength: 3 }),
      codes: fc.subarray(codes, { maxLength: 2 }),
      providers: fc.subarray(providers, { maxLength: 3 }),
      sites: fc.subarray(sites, { maxLength: 2 }),
      ageBands: fc.subarray([...AGE_BAND_LABELS], { maxLength: 3 }),
      sexes: fc.subarray([...SEXES], { maxLength: 2 }),
      from: fc.option(fc.integer({ min: parseIsoDate(span[0])!, max: parseIsoDate(span[1])! }).map(daysToIso), { nil: null }),
      to: fc.option(fc.integer({ min: parseIsoDate(span[0])!, max: parseIsoDate(span[1])! }).map(daysToIso), { nil: null }),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<OutcomeFilters>;

function compareAll(runs: number, seed: number): void {
  store.sync();
  const grouping = fc.constantFrom(...GROUPINGS, null);
  fc.assert(
    fc.property(
      filtersArb(),
      grouping,
      fc.constantFrom(...OUTCOME_MEASURES, 'mme' as const),
      fc.constantFrom(...FOLLOW_UP_WINDOW_NAMES),
      fc.constantFrom(...RESPONDER_DEFINITIONS, null),
      (filters, groupBy, measure, window, definition) => {
        expectSame(episodesByGroupTask(store, { filters, groupBy }), [...episodesByGroup(db, filters, groupBy)], 'episodes');
        const q = { measure, window, definition, filters, groupBy };
        expectSame(changeByGroupTask(store, q), changeByGroup(db, q), 'change');
        expectSame(episodesAndChangeTask(store, q), { episodes: [...episodesByGroup(db, filters, groupBy)], changes: changeByGroup(db, q) }, 'episodes and change');
        expectSame(trajectoryByGroupTask(store, q), trajectoryByGroup(db, q), 'trajectory');
        expectSame(opioidsByGroupTask(store, { window, filters, groupBy }), opioidsByGroup(db, { window, filters, groupBy }), 'opioids');
        expectSame(complicationsByCategoryTask(store, { filters }), complicationsByCategory(db, filters), 'complications');
      },
    ),
    { numRuns: runs, seed },
  );
  const { firstIndexDate: _f, lastIndexDate: _l, ...values } = presentValues(db);
  expectSame(presentValuesTask(store), values, 'present values');
}

/** Every column of every live episode (by id), of the loaded measures and of the treatments, as plain values. */
function columns(s: AnalyticStore): Map<number, unknown[]> {
  const out = new Map<number, unknown[]>();
  const ep = s.episodes as unknown as Record<string, ArrayLike<number>>;
  const measures = OUTCOME_MEASURES.concat().map((m) => s.measure(m));
  const t = s.treatments();
  for (let i = 0; i < s.rows; i++) {
    if (!s.episodes.alive[i]) continue;
    const row: unknown[] = Object.keys(ep).sort().map((k) => (k === 'code' || k === 'cptFamily' || k === 'conditionCode' ? s.decode(k, ep[k]![i]!) : ep[k]![i]));
    for (const m of measures) {
      row.push(m.present[i], m.baselineValue[i], m.baselineDay[i], m.responseDay[i], m.lossDay[i], m.lastFollowUpDay[i]);
      for (const w of FOLLOW_UP_WINDOW_NAMES) {
        const x = m.windows[w];
        row.push(x.value[i], x.day[i], x.change[i], x.changeValues[x.changeCode[i]!], ...Object.values(x.flags).map((f) => f[i]));
      }
    }
    const ts: unknown[] = [];
    for (let j = t.tStart[i]!; j < t.tStart[i]! + t.tCount[i]!; j++) {
      expect(t.episodeRow[j]).toBe(i);
      ts.push([t.day[j], s.decode('code', t.code[j]!), t.category[j], t.providerId[j], t.laterality[j], t.complication[j]]);
    }
    row.push(ts);
    out.set(s.episodes.episodeId[i]!, row);
  }
  return out;
}

function edit(db: Db, seed: number): void {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const sqlite = db.$client;
  const ids = (sql: string) => sqlite.prepare(sql).pluck().all() as number[];
  const pick = <T,>(xs: T[], k: number) => Array.from({ length: k }, () => xs[Math.floor(rand() * xs.length)]!);
  sqlite.transaction(() => {
    // Corrections of scores, deleted scores, changed complications, a moved index date.
    for (const id of pick(ids('SELECT id FROM observations'), 40)) sqlite.prepare('UPDATE observations SET value = ? WHERE id = ? AND measure = ?').run(Math.floor(rand() * 10), id, 'pain_nrs');
    for (const id of pick(ids('SELECT id FROM observations'), 20)) sqlite.prepare('DELETE FROM observations WHERE id = ?').run(id);
    for (const id of pick(ids('SELECT id FROM treatments'), 20)) sqlite.prepare('UPDATE treatments SET complication = ? WHERE id = ?').run(rand() < 0.5 ? 'major' : 'minor', id);
    for (const id of pick(ids('SELECT id FROM episodes'), 5)) sqlite.prepare("UPDATE episodes SET start_date = date(start_date, '+3 days') WHERE id = ?").run(id);
    // Deleted episodes (with their rows).
    for (const id of pick(ids('SELECT id FROM episodes'), 6)) {
      sqlite.prepare('DELETE FROM observations WHERE episode_id = ?').run(id);
      sqlite.prepare('DELETE FROM treatments WHERE episode_id = ?').run(id);
      sqlite.prepare('DELETE FROM episodes WHERE id = ?').run(id);
    }
  })();
  // New episodes, through the record store.
  const rs = new RecordStore(db);
  const pr = sqlite.prepare('SELECT p.key AS provider, s.key AS site FROM providers p JOIN sites s ON s.id = p.site_id LIMIT 1').get() as { provider: string; site: string };
  sqlite.transaction(() => {
    for (let i = 0; i < 25; i++) {
      const mrn = `NEW-${seed}-${i}`;
      const start = daysToIso(parseIsoDate('2025-01-01')! + Math.floor(rand() * 300));
      const at = (d: number) => daysToIso(parseIsoDate(start)! + d);
      rs.writePatients([{ mrn, birthDate: '1970-03-03', sex: rand() < 0.5 ? 'female' : 'male', zip: null }], null);
      rs.writeEpisodes([{ key: mrn, patientMrn: mrn, carePath: 'interventional', conditionCode: 'M54.16', region: 'lumbar', providerKey: pr.provider, siteKey: pr.site, startDate: start, painDurationMonths: 5 }], null);
      rs.writeTreatments([{ key: `${mrn}-T`, episodeKey: mrn, date: start, category: 'epidural_steroid_injection', code: '64483', laterality: 'left', providerKey: pr.provider, complication: 'none' }], null);
      rs.writeObservations(
        [-3, 14, 40, 90, 180, 360].flatMap((d) => [
          { key: null, patientMrn: mrn, episodeKey: mrn, date: at(d), measure: 'pain_nrs' as const, value: Math.floor(rand() * 11) },
          { key: null, patientMrn: mrn, episodeKey: mrn, date: at(d), measure: 'mme' as const, value: Math.floor(rand() * 4) * 15 },
        ]),
        null,
      );
    }
  })();
}

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 700, seed: 5 });
  refreshOutcomes(db);
  store = buildStore(db);
  providers = db.$client.prepare('SELECT id FROM providers').pluck().all() as number[];
  sites = db.$client.prepare('SELECT id FROM sites').pluck().all() as number[];
  codes = db.$client.prepare('SELECT DISTINCT code FROM outcome_episodes WHERE code IS NOT NULL').pluck().all() as string[];
  span = db.$client.prepare('SELECT min(index_date), max(index_date) FROM outcome_episodes').raw().get() as [string, string];
}, 60_000);

describe('store tasks = SQL reference', () => {
  it('on a generated practice', () => compareAll(60, 1));

  it('with the indexes the worker builds while idle already built (the same answers)', () => {
    for (const m of [...OUTCOME_MEASURES, 'mme' as const]) store.measure(m);
    store.treatments();
    const steps = outcomeWarmUps(store);
    expect(steps.length).toBeGreaterThan(50);
    for (const step of steps) step();
    compareAll(30, 4);
  });

  it('after corrections, deletions and new episodes, followed through the change log', () => {
    // Load everything first, so the edits reach loaded measures and treatments through sync.
    for (const m of [...OUTCOME_MEASURES, 'mme' as const]) store.measure(m);
    store.treatments();
    const before = store.version;
    edit(db, 11);
    refreshOutcomes(db);
    expect(store.sync()).toBe(true);
    expect(store.version).toBeGreaterThan(before);
    compareAll(40, 2);
    edit(db, 12);
    refreshOutcomes(db);
    compareAll(40, 3);
  });

  it('a synced store holds exactly what a store built from scratch holds', () => {
    edit(db, 13);
    refreshOutcomes(db);
    store.sync();
    const fresh = buildStore(db);
    expect(fresh.version).toBe(store.version);
    const a = columns(store);
    const b = columns(fresh);
    expect(a.size).toBe(b.size);
    expect(a.size).toBe(db.$client.prepare('SELECT count(*) FROM outcome_episodes').pluck().get());
    for (const [id, row] of b) expect(a.get(id), `episode ${id}`).toEqual(row);
  });

  it('a measure with more distinct changes than 16-bit codes hold is read with 32-bit codes, and answers the same', () => {
    const limit = AnalyticStore.narrowCodeLimit;
    AnalyticStore.narrowCodeLimit = 6;
    try {
      const wide = buildStore(db);
      const pain = wide.measure('pain_nrs');
      expect(pain.windows.m3.changeValues.length).toBeGreaterThan(7);
      expect(pain.windows.m3.changeCode).toBeInstanceOf(Uint32Array);
      const q = { measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: {}, groupBy: 'category' } as const;
      expectSame(changeByGroupTask(wide, q), changeByGroup(db, q), 'change');
      expectSame(trajectoryByGroupTask(wide, q), trajectoryByGroup(db, q), 'trajectory');
      // After an edit the sync writes codes into the 32-bit columns.
      edit(db, 14);
      refreshOutcomes(db);
      wide.sync();
      expect(wide.measure('pain_nrs').windows.m3.changeCode).toBeInstanceOf(Uint32Array);
      expectSame(changeByGroupTask(wide, q), changeByGroup(db, q), 'change after sync');
    } finally {
      AnalyticStore.narrowCodeLimit = limit;
    }
    expect(buildStore(db).measure('pain_nrs').windows.m3.changeCode).toBeInstanceOf(Uint16Array);
  });

  it('the in-process runtime answers a batch from one state, with its version', async () => {
    const analytics = inProcessAnalytics(db);
    const { version, results } = await analytics.runTasks([
      ['outcomes.episodesByGroup', { filters: {}, groupBy: 'care_path' }],
      ['outcomes.changeByGroup', { measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: {}, groupBy: 'care_path' }],
    ] as const);
    expect(version).toBe(db.$client.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'outcome_changes'`).pluck().get());
    expectSame(results[0], [...episodesByGroup(db, {}, 'care_path')]);
    expectSame(results[1], changeByGroup(db, { measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: {}, groupBy: 'care_path' }));
  });
});
