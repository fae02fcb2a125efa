/**
 * The comparison's shortcuts against the plain computation, on a demo
 * practice read through the analytic store (decision 009, "Performance"):
 * - the crude task's scan of the store's columns equals the crude comparison
 *   of the gathered rows, exactly;
 * - the store's covariate patterns (load.ts, storePatterns: one grouping of
 *   every episode, kept until the data change) renumbered for a population
 *   equal `groupRows` on that population, and the adjusted analysis through
 *   them equals the one that groups the rows itself, exactly;
 * - after a correction of the data, the kept patterns are not reused: the
 *   answer changes and equals the one computed on a store built afresh.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { buildStore, type AnalyticStore } from '../../../server/services/analytics/store.ts';
import { adjustedComparison, crudeComparison, patternsOf, subgroupComparison } from '../../../server/services/compare/compute.ts';
import { crudeFromStore, loadCompareRows, storePatterns } from '../../../server/services/compare/load.ts';
import { compareFullTask, compareWarmUps, type CompareTaskInput } from '../../../server/services/compare/tasks.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { groupRows } from '../../../server/stats/grouping.ts';

let db: Db;
let store: AnalyticStore;
const settings = { measure: 'pain_nrs', definition: 'pct30', denominator: 'complete_case' } as const;
const input: CompareTaskInput = { ...settings, window: 'm3', filters: {} };

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 2500, seed: 77 });
  refreshOutcomes(db);
  store = buildStore(db);
});

describe('the crude task reads the store directly', () => {
  it('equals the crude comparison of the gathered rows, exactly, for each measure, definition and denominator', () => {
    for (const q of [
      { ...input },
      { ...input, window: 'm6' as const, definition: 'mcid' as const, denominator: 'intention_to_treat' as const },
      { ...input, definition: 'pain_free' as const, filters: { sexes: ['female'] } as CompareTaskInput['filters'] },
      { ...input, measure: 'odi' as const, definition: 'mcid' as const },
    ]) {
      const { rows, counts } = loadCompareRows(store, { ...q, fresh: true });
      const s = { measure: q.measure, definition: q.definition, denominator: q.denominator };
      const direct = crudeFromStore(store, { ...q, fresh: true }, s);
      expect(direct).toEqual(crudeComparison(rows, counts, s));
      expect(direct.interventional.complete + direct.conservative.complete).toBeGreaterThan(100);
    }
  });
});

describe('covariate patterns kept per store version', () => {
  it('renumbered for a population, they are the groups groupRows finds on it', () => {
    const { rows } = loadCompareRows(store, { ...input, fresh: true });
    expect(rows.patterns).toBeDefined();
    // Every other complete case with a known duration, and a filtered subset: numbers by first appearance.
    for (const keep of [(i: number) => i % 2 === 0, (i: number) => rows.condition[i] === 1 || rows.sex[i] === 1]) {
      const idx = Int32Array.from([...Array(rows.n).keys()].filter((i) => rows.value[i] === rows.value[i] && rows.duration[i] === rows.duration[i] && keep(i)));
      const treat = Uint8Array.from(idx, (i) => rows.path[i]!);
      const { treated, ...mine } = patternsOf(rows.patterns!, idx, treat)!;
      const plain = groupRows([rows.age, rows.baseline, rows.duration, rows.prior, rows.sex, rows.condition], undefined, idx)!;
      expect(mine).toEqual(plain);
      expect(mine.groups).toBeLessThan(idx.length);
      // Interventional episodes per pattern, summed in the same pass.
      const perPattern = new Float64Array(plain.groups);
      for (let k = 0; k < idx.length; k++) perPattern[plain.groupOf[k]!]! += treat[k]!;
      expect(treated).toEqual(perPattern);
      expect(patternsOf(rows.patterns!, idx, undefined, true)!.groupOf).toEqual(plain.groupOf); // on shared memory, the same
    }
  });

  it('a population with a row outside the kept patterns is grouped by groupRows instead', () => {
    const { rows } = loadCompareRows(store, { ...input, fresh: true });
    const of = Int32Array.from(rows.patterns!.of);
    of[0] = -1;
    expect(patternsOf({ of, count: rows.patterns!.count }, Int32Array.of(1, 0, 2))).toBeNull();
  });

  it('the adjusted analysis and subgroups through them equal those that group the rows, exactly', () => {
    for (const q of [input, { ...input, window: 'w6' as const, filters: { conditions: ['radiculopathy', 'low_back_pain', 'spinal_stenosis'] } as CompareTaskInput['filters'] }]) {
      const { rows } = loadCompareRows(store, { ...q, fresh: true });
      const withPatterns = adjustedComparison(rows, settings);
      const { patterns, ...plainRows } = rows;
      expect(patterns).toBeDefined();
      const plain = adjustedComparison(plainRows, settings);
      expect(withPatterns.result.status).toBe('ok');
      expect(withPatterns.result).toEqual(plain.result);
      expect(withPatterns.internals!.weights).toEqual(plain.internals!.weights);
      expect(withPatterns.internals!.adjustedChange).toEqual(plain.internals!.adjustedChange);
      expect(subgroupComparison(rows, withPatterns.internals, settings)).toEqual(subgroupComparison(plainRows, plain.internals, settings));
    }
  });

  it('the task computes the subgroups while the analysis waits for its last part: the same as after it returns', () => {
    const full = compareFullTask(store, { ...input, fresh: true });
    const { rows } = loadCompareRows(store, { ...input, fresh: true });
    const { result, internals } = adjustedComparison(rows, settings);
    expect(full.adjusted).toEqual(result);
    expect(full.subgroups).toEqual(subgroupComparison(rows, internals, settings));
    expect(full.subgroups.adjusted).toBe(true);
  });

  it('after a correction (pain durations changed), the comparison changes and equals one on a store built afresh', () => {
    const before = compareFullTask(store, { ...input, fresh: true });
    const kept = storePatterns(store, 'pain_nrs')!;
    const sqlite = db.$client;
    const ids = sqlite.prepare('SELECT id FROM episodes ORDER BY id').pluck().all() as number[];
    sqlite.transaction(() => {
      for (const id of ids.filter((_, j) => j % 3 === 0)) sqlite.prepare('UPDATE episodes SET pain_duration_months = coalesce(pain_duration_months, 0) + 7 WHERE id = ?').run(id);
    })();
    refreshOutcomes(db);
    expect(store.sync()).toBe(true);
    const after = compareFullTask(store, input);
    // The kept grouping was made again for the new data (not reused)...
    expect(storePatterns(store, 'pain_nrs')).not.toBe(kept);
    // ... and the answer is the new data's: the propensity model's duration slope and the estimates moved.
    const coef = (f: typeof before) => f.adjusted.propensity!.coefficients.find((c) => c.name === 'duration')!.estimate;
    expect(coef(after)).not.toBeCloseTo(coef(before), 6);
    expect(after.adjusted.doublyRobust!.estimate).not.toBe(before.adjusted.doublyRobust!.estimate);
    const fresh = compareFullTask(buildStore(db), { ...input, fresh: true });
    expect(after.adjusted).toEqual(fresh.adjusted);
    expect(after.subgroups).toEqual(fresh.subgroups);
  });
});

describe('the idle warm-up', () => {
  it('builds the pain grouping the first comparison would otherwise build: the same object, the same answer', () => {
    const fresh = buildStore(db);
    fresh.measure('pain_nrs');
    const steps = compareWarmUps(fresh);
    expect(steps).toHaveLength(1);
    for (const step of steps) step();
    const warmed = storePatterns(fresh, 'pain_nrs');
    expect(warmed).not.toBeNull();
    // Memoized: the comparison finds it instead of grouping again, and its answer is the plain store's.
    expect(storePatterns(fresh, 'pain_nrs')).toBe(warmed);
    const a = compareFullTask(fresh, { ...input, fresh: true });
    const b = compareFullTask(buildStore(db), { ...input, fresh: true });
    expect(a.adjusted).toEqual(b.adjusted);
    expect(a.subgroups).toEqual(b.subgroups);
  });
});
