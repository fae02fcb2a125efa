/**
 * The attrition funnel against an independent recomputation from the record
 * tables (oracle.ts), for every criterion type, inclusions and exclusions;
 * prefix matching; re-runs on the same data; the data state moving when data
 * arrives; and the small-cell masking of the funnel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { cohortData, forgetCohortData } from '../../../server/services/cohorts/data.ts';
import { CohortDefinition, conditionMatches, parseCohortDefinition, type Criterion } from '../../../server/services/cohorts/definition.ts';
import { memberIds, MaskCache, runFunnel } from '../../../server/services/cohorts/funnel.ts';
import { fingerprint, maskSequence, runCohort } from '../../../server/services/cohorts/service.ts';
import { storeColumns } from '../../../server/services/cohorts/store-columns.ts';
import { inProcessAnalytics } from '../../../server/services/analytics/runtime.ts';
import { buildStore } from '../../../server/services/analytics/store.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { RecordStore } from '../../../server/services/records/store.ts';
import { oracleFunnel } from './oracle.ts';

let db: Db;
beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 600, seed: 11 });
  refreshOutcomes(db);
});

const def = (criteria: unknown[]) => CohortDefinition.parse({ schemaVersion: 1, criteria });

const TYPICAL = def([
  { type: 'condition', codes: ['M54.1*', 'M51.1*'] },
  { type: 'indexDate', from: '2024-01-01', to: '2026-06-30' },
  { type: 'age', min: 40, max: 79 },
  { type: 'painDuration', is: 'chronic' },
  { type: 'followUp', measure: 'pain_nrs', window: 'm3' },
]);

const CASES: Array<[string, CohortDefinition]> = [
  ['a typical five-criterion cohort', TYPICAL],
  [
    'exclusions: interventional, not SCS, no prior procedures, not the neck',
    def([
      { type: 'carePath', paths: ['interventional'] },
      { type: 'treatment', exclude: true, categories: ['spinal_cord_stimulation'] },
      { type: 'priorProcedures', min: 0, max: 0 },
      { type: 'condition', exclude: true, codes: ['M54.2'] },
    ]),
  ],
  [
    'sex, region, baseline range, CPT code',
    def([
      { type: 'sex', sexes: ['female'] },
      { type: 'region', regions: ['lumbar', 'unrecorded'] },
      { type: 'baseline', measure: 'pain_nrs', min: 6, max: 8.5 },
      { type: 'treatment', codes: ['64483', '62323'], categories: [] },
    ]),
  ],
  [
    'ODI follow-up at 6 months, not chronic, prior procedures 1+',
    def([
      { type: 'followUp', measure: 'odi', window: 'm6' },
      { type: 'painDuration', is: 'not_chronic' },
      { type: 'priorProcedures', min: 1, max: null },
    ]),
  ],
  ['exact codes and an exclusion of a category', def([{ type: 'condition', codes: ['M54.16', 'G90.5*'] }, { type: 'treatment', exclude: true, categories: ['medication'] }])],
  ['no criteria: the whole practice', def([])],
];

describe('the funnel equals the counts recomputed from the records', () => {
  it.each(CASES)('%s', (_name, d) => {
    const data = cohortData(db);
    const f = runFunnel(data, d);
    const o = oracleFunnel(db, d.criteria);
    expect([f.start, ...f.steps]).toEqual(o.steps);
    expect([...memberIds(data, f.members)]).toEqual(o.ids);
  });

  it.each(CASES)('the shared analytic store gives the same funnel and members: %s', (_name, d) => {
    const own = cohortData(db);
    const shared = storeColumns(buildStore(db));
    const a = runFunnel(own, d);
    const b = runFunnel(shared, d);
    expect([b.start, ...b.steps]).toEqual([a.start, ...a.steps]);
    expect(memberIds(shared, b.members)).toEqual(memberIds(own, a.members));
  });

  it('the typical cohort is neither empty nor the whole practice (the test can fail)', () => {
    const f = runFunnel(cohortData(db), TYPICAL);
    expect(f.steps.at(-1)!.episodes).toBeGreaterThan(10);
    expect(f.steps.at(-1)!.episodes).toBeLessThan(f.start.episodes / 4);
  });
});

describe('criteria', () => {
  it('a prefix ending in * matches every code that starts with it; a code matches only itself', () => {
    expect(conditionMatches('M54.16', 'M54.1*')).toBe(true);
    expect(conditionMatches('M54.17', 'M54.1*')).toBe(true);
    expect(conditionMatches('M54.2', 'M54.1*')).toBe(false);
    expect(conditionMatches('M54.16', 'M54.16')).toBe(true);
    expect(conditionMatches('M54.161', 'M54.16')).toBe(false);
    expect(conditionMatches('M54.50', 'M54*')).toBe(true);
  });

  it('validates codes, ranges and the schema version', () => {
    expect(() => def([{ type: 'condition', codes: ['not a code'] }])).toThrow();
    expect(() => def([{ type: 'age', min: 70, max: 40 }])).toThrow();
    expect(() => def([{ type: 'indexDate', from: '2025-01-01', to: '2024-01-01' }])).toThrow();
    expect(() => def([{ type: 'treatment', categories: [], codes: [] }])).toThrow();
    expect(() => parseCohortDefinition({ schemaVersion: 2, criteria: [] })).toThrow();
    expect(def([{ type: 'condition', codes: ['m54.1*'] }]).criteria[0]).toMatchObject({ codes: ['M54.1*'], exclude: false });
  });

  it('include and exclude of the same criterion partition the episodes', () => {
    const data = cohortData(db);
    const c: Criterion = { type: 'condition', exclude: false, codes: ['M54.5*'] };
    const inc = runFunnel(data, { criteria: [c] }).steps[0]!.episodes;
    const exc = runFunnel(data, { criteria: [{ ...c, exclude: true }] }).steps[0]!.episodes;
    expect(inc + exc).toBe(data.n);
    expect(inc).toBeGreaterThan(0);
  });

  it('a baseline bound equal to a stored value keeps it (float32 columns)', () => {
    const data = cohortData(db);
    const values = new Set<number>();
    for (const v of Array.from(data.baselineOf('pain_nrs'))) if (!Number.isNaN(v)) values.add(Math.round(v * 100) / 100);
    const v = [...values].find((x) => !Number.isInteger(x)) ?? [...values][0]!;
    const exact = runFunnel(data, def([{ type: 'baseline', measure: 'pain_nrs', min: v, max: v }])).steps[0]!.episodes;
    expect(exact).toBe(oracleFunnel(db, def([{ type: 'baseline', measure: 'pain_nrs', min: v, max: v }]).criteria).steps[1]!.episodes);
    expect(exact).toBeGreaterThan(0);
  });

  it('a changed criterion recomputes only its own mask', () => {
    const data = cohortData(db);
    const cache = new MaskCache();
    const a = runFunnel(data, TYPICAL, cache);
    const edited = def([...TYPICAL.criteria.slice(0, 2), { type: 'age', min: 50, max: 79 }, ...TYPICAL.criteria.slice(3)]);
    const b = runFunnel(data, edited, cache);
    expect(b.steps[1]).toEqual(a.steps[1]);
    expect(b.steps[2]!.episodes).toBeLessThanOrEqual(a.steps[2]!.episodes);
    expect([b.start, ...b.steps]).toEqual(oracleFunnel(db, edited.criteria).steps);
  });
});

describe('re-running', () => {
  it('gives the same episodes and data state on the same data, and a new state after data arrives', async () => {
    const ctx = { db, analytics: inProcessAnalytics(db) };
    const first = await runCohort(ctx, TYPICAL);
    forgetCohortData(db);
    const again = await runCohort(ctx, TYPICAL);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.dataState).toEqual(first.dataState);
    expect(first.fingerprint).toBe(fingerprint(memberIds(cohortData(db), runFunnel(cohortData(db), TYPICAL).members)));
    expect(fingerprint(new Int32Array([1, 2, 3]))).not.toBe(fingerprint(new Int32Array([1, 2, 4])));

    // A new pain score in an episode's 3-month window: re-derived, the state moves and the data reloads.
    const row = db.$client
      .prepare(
        `SELECT e.key AS episodeKey, p.mrn, e.start_date AS start FROM episodes e JOIN patients p ON p.id = e.patient_id
          WHERE NOT EXISTS (SELECT 1 FROM observations o WHERE o.episode_id = e.id AND o.measure = 'pain_nrs' AND julianday(o.date) - julianday(e.start_date) BETWEEN 64 AND 135)
          LIMIT 1`,
      )
      .get() as { episodeKey: string; mrn: string; start: string };
    const date = new Date(Date.parse(row.start) + 91 * 86_400_000).toISOString().slice(0, 10);
    const store = new RecordStore(db);
    db.$client.transaction(() => store.writeObservations([{ key: null, patientMrn: row.mrn, episodeKey: row.episodeKey, date, measure: 'pain_nrs', value: 4 }], null))();
    refreshOutcomes(db);
    const later = await runCohort(ctx, def([{ type: 'followUp', measure: 'pain_nrs', window: 'm3' }]));
    expect(later.dataState.outcomeSeq).toBeGreaterThan(first.dataState.outcomeSeq);
    expect([later.start, ...later.steps]).toEqual(oracleFunnel(db, [{ type: 'followUp', exclude: false, measure: 'pain_nrs', window: 'm3' }]).steps);
  });
});

describe('masking the funnel for suppressed roles', () => {
  const p = { suppress: true, threshold: 11 };
  it('withholds small counts and any count whose difference from a shown one is small', () => {
    expect(maskSequence([1000, 995, 900, 5, 0], p)).toEqual([
      1000,
      { suppressed: 'complementary', display: '—' },
      900,
      { suppressed: 'small', display: '<11' },
      0,
    ]);
  });
  it('no two shown counts differ by 1 to 10 (random sequences)', () => {
    for (let trial = 0; trial < 200; trial++) {
      let v = 50 + Math.floor(Math.random() * 200);
      const seq = [v];
      for (let k = 0; k < 8; k++) seq.push((v = Math.max(0, v - Math.floor(Math.random() * 25))));
      const shown = maskSequence(seq, p).filter((c): c is number => typeof c === 'number');
      for (const a of shown) {
        expect(a === 0 || a >= 11).toBe(true);
        for (const b of shown) expect(Math.abs(a - b) === 0 || Math.abs(a - b) >= 11).toBe(true);
      }
    }
  });
  it('shows everything to roles without suppression', () => {
    expect(maskSequence([20, 15, 3], { suppress: false, threshold: 11 })).toEqual([20, 15, 3]);
  });
});
