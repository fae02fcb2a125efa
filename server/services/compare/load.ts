/**
 * The one way the comparison's inputs are read: from the analytic store
 * (server/services/analytics/store.ts, kept exact with the derived tables'
 * change log), as the rows of rows.ts. The episodes matching the practice
 * filters (episodeMask, shared with the Outcomes page; the care-path filter
 * is ignored here since both paths are compared) with a baseline of the
 * measure, and the episode counts for complications.
 *
 * The last rows gathered are kept for the next call on the same store state
 * and query (crude, full and matched comparisons of one page view read the
 * same rows); one entry only, so memory stays at one query's rows.
 */
import { isMainThread } from 'node:worker_threads';
import { groupRows } from '../../stats/grouping.ts';
import type { FollowUpWindow, Measure } from '../../../db/schema/vocabulary.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import { episodeMask } from '../analytics/scan.ts';
import { NONE as STORE_NONE, NULL_DAY, NULL_INT, type AnalyticStore } from '../analytics/store.ts';
import { allocateRows, NONE, type CompareRows, type EpisodeCounts } from './rows.ts';
import { crudeComparison, crudeFromColumns, type CompareSettings, type CrudeComparison } from './compute.ts';

export interface CompareQuery {
  measure: Measure;
  window: FollowUpWindow;
  filters: OutcomeFilters;
}

/** Index of 'interventional' in CARE_PATHS (vocabulary order: interventional, conservative). */
const INTERVENTIONAL = 0;

// The store too: tests (and any process) may hold several stores, whose versions can be equal.
let last: { store: AnalyticStore; version: number; key: string; rows: CompareRows; counts: EpisodeCounts } | null = null;

/** Column buffers kept between loads (a million rows of 15 columns is 150 MB: allocating it per request would keep the collector busy). */
let pool: CompareRows | null = null;
let patternPool: Int32Array | null = null;

function reuseRows(k: number): CompareRows {
  // Shared in a worker thread, so the durability helper reads them without a copy (helper.ts).
  if (!pool || pool.n < k) pool = allocateRows(Math.ceil(k * 1.1), !isMainThread);
  const p = pool;
  return {
    n: k,
    path: p.path.subarray(0, k), baseline: p.baseline.subarray(0, k), value: p.value.subarray(0, k), change: p.change.subarray(0, k),
    condition: p.condition.subarray(0, k), region: p.region.subarray(0, k), sex: p.sex.subarray(0, k), age: p.age.subarray(0, k),
    duration: p.duration.subarray(0, k), prior: p.prior.subarray(0, k), category: p.category.subarray(0, k),
    responseDay: p.responseDay.subarray(0, k), lossDay: p.lossDay.subarray(0, k), repeatDay: p.repeatDay.subarray(0, k),
    lastFollowUpDay: p.lastFollowUpDay.subarray(0, k),
  };
}

/** A pattern column of k rows from the pool (shared in a worker thread, like the rows). */
function reusePatterns(k: number): Int32Array {
  if (!patternPool || patternPool.length < k) {
    const size = Math.ceil(k * 1.1);
    patternPool = isMainThread ? new Int32Array(size) : new Int32Array(new SharedArrayBuffer(4 * size));
  }
  return patternPool.subarray(0, k);
}

/**
 * The covariate pattern (age, baseline, pain duration, prior procedures, sex,
 * condition group: the adjusted analysis's covariates) of every live episode
 * row with a baseline of the measure and a known pain duration, -1 for the
 * others; patterns numbered by first appearance over the store's rows. A
 * function of the data only (kept until the data change, store.memoize): a
 * request groups its population's patterns through it (compute.ts,
 * patternsOf) instead of hashing six columns of every row again. null when a
 * covariate cannot be grouped exactly (grouping.ts): requests then group
 * their rows themselves.
 */
export function storePatterns(store: AnalyticStore, measure: Measure): { of: Int32Array; count: number } | null {
  return store.memoize(`compare:patterns:${measure}`, () => {
    const m = store.measure(measure);
    const ep = store.episodes;
    const n = store.rows;
    const alive = ep.alive;
    const present = m.present;
    const base = m.baselineValue;
    const duration = ep.painDurationMonths;
    const age = ep.age;
    const prior = ep.priorProcedures;
    const keep = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0 || present[i] === 0 || base[i] !== base[i] || duration[i] !== duration[i]) continue;
      // A missing age or prior count is no pattern: such rows are grouped per request, as before.
      if (age[i] === NULL_INT || prior[i] === NULL_INT) continue;
      keep[k++] = i;
    }
    const rowsOf = keep.subarray(0, k);
    const g = groupRows([age, base, duration, prior, ep.sex, ep.conditionGroup], undefined, rowsOf);
    if (!g) return null;
    const of = new Int32Array(n).fill(-1);
    for (let j = 0; j < k; j++) of[rowsOf[j]!] = g.groupOf[j]!;
    return { of, count: g.groups };
  });
}

/** The comparison filters: the practice filters without the care path. */
export function compareFilters(f: OutcomeFilters): OutcomeFilters {
  return { ...f, carePath: null };
}

/** `fresh`: gather again even when the last rows are for this query (benchmarks time the gathering). */
export function loadCompareRows(store: AnalyticStore, q: CompareQuery & { fresh?: boolean }): { rows: CompareRows; counts: EpisodeCounts } {
  const filters = compareFilters(q.filters);
  const m = store.measure(q.measure); // may bring the store to a newer state: read the version after
  const key = JSON.stringify([q.measure, q.window, filters]);
  if (!q.fresh && last && last.store === store && last.version === store.version && last.key === key) return { rows: last.rows, counts: last.counts };
  last = null;
  const mask = episodeMask(store, filters);
  const ep = store.episodes;
  const n = store.rows;
  const wcols = m.windows[q.window];
  const base = m.baselineValue;
  const counts: EpisodeCounts = { episodes: [0, 0], withComplication: [0, 0], withMajor: [0, 0] };
  let k = 0;
  {
    const carePath = ep.carePath;
    const minor = ep.complicationsMinor;
    const majors = ep.complicationsMajor;
    const recorded = ep.complicationRecorded;
    const present = m.present;
    let e1 = 0, e0 = 0, c1 = 0, c0 = 0, j1 = 0, j0 = 0;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      if (present[i] && base[i] === base[i]) k++;
      // Complication rates: of the episodes with a status recorded (a minor or major one is recorded too).
      if (recorded[i] === 0) continue;
      const major = majors[i]!;
      const any = minor[i]! + major > 0 ? 1 : 0;
      const mj = major > 0 ? 1 : 0;
      if (carePath[i] === INTERVENTIONAL) {
        e1++;
        c1 += any;
        j1 += mj;
      } else {
        e0++;
        c0 += any;
        j0 += mj;
      }
    }
    counts.episodes = [e0, e1];
    counts.withComplication = [c0, c1];
    counts.withMajor = [j0, j1];
  }
  const rows = reuseRows(k);
  const patterns = storePatterns(store, q.measure);
  const patternOf = patterns ? reusePatterns(k) : null;
  const globalOf = patterns ? patterns.of : null;
  const day = (v: number) => (v === NULL_DAY ? NaN : v);
  const int = (v: number) => (v === NULL_INT ? NaN : v);
  // Hoisted: some store columns are getters (the change is decoded on first read).
  const carePath = ep.carePath;
  const value = wcols.value;
  const change = wcols.change;
  const condition = ep.conditionGroup;
  const region = ep.region;
  const sex = ep.sex;
  const age = ep.age;
  const duration = ep.painDurationMonths;
  const prior = ep.priorProcedures;
  const category = ep.category;
  const responseDay = m.responseDay;
  const lossDay = m.lossDay;
  const repeatDay = ep.repeatDay;
  const lastDay = m.lastFollowUpDay;
  const present = m.present;
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i] || !present[i] || base[i] !== base[i]) continue;
    rows.path[r] = carePath[i] === INTERVENTIONAL ? 1 : 0;
    rows.baseline[r] = base[i]!;
    rows.value[r] = value[i]!;
    rows.change[r] = change[i]!;
    rows.condition[r] = condition[i]!;
    rows.region[r] = region[i] === STORE_NONE ? NONE : region[i]!;
    rows.sex[r] = sex[i]!;
    rows.age[r] = age[i]!;
    rows.duration[r] = duration[i]!;
    rows.prior[r] = prior[i]!;
    rows.category[r] = category[i] === STORE_NONE ? NONE : category[i]!;
    rows.responseDay[r] = day(responseDay[i]!);
    rows.lossDay[r] = day(lossDay[i]!);
    rows.repeatDay[r] = int(repeatDay[i]!);
    rows.lastFollowUpDay[r] = day(lastDay[i]!);
    if (patternOf !== null) patternOf[r] = globalOf![i]!;
    r++;
  }
  if (patterns && patternOf) rows.patterns = { of: patternOf, count: patterns.count };
  last = { store, version: store.version, key, rows, counts };
  return { rows, counts };
}

/**
 * The crude comparison straight from the store's columns (no copy): the
 * episodes matching the filters with a baseline are fed to the accumulator
 * as they are read, with the complication counts of every matching episode.
 * When the last full load is for this query its rows are used instead.
 */
export function crudeFromStore(store: AnalyticStore, q: CompareQuery & { fresh?: boolean }, settings: CompareSettings): CrudeComparison {
  const filters = compareFilters(q.filters);
  const m = store.measure(q.measure);
  const key = JSON.stringify([q.measure, q.window, filters]);
  if (!q.fresh && last && last.store === store && last.version === store.version && last.key === key) return crudeComparison(last.rows, last.counts, settings);
  const mask = episodeMask(store, filters);
  const ep = store.episodes;
  const w = m.windows[q.window];
  return crudeFromColumns(settings, store.rows, {
    mask, present: m.present, carePath: ep.carePath, interventional: INTERVENTIONAL,
    baseline: m.baselineValue, value: w.value, changeCode: w.changeCode, changeValues: w.changeValues, minor: ep.complicationsMinor, major: ep.complicationsMajor,
    recorded: ep.complicationRecorded,
  });
}
