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
import type { FollowUpWindow, Measure } from '../../../db/schema/vocabulary.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import { episodeMask } from '../analytics/scan.ts';
import { NONE as STORE_NONE, NULL_DAY, NULL_INT, type AnalyticStore } from '../analytics/store.ts';
import { allocateRows, NONE, type CompareRows, type EpisodeCounts } from './rows.ts';

export interface CompareQuery {
  measure: Measure;
  window: FollowUpWindow;
  filters: OutcomeFilters;
}

/** Index of 'interventional' in CARE_PATHS (vocabulary order: interventional, conservative). */
const INTERVENTIONAL = 0;

let last: { version: number; key: string; rows: CompareRows; counts: EpisodeCounts } | null = null;

/** The comparison filters: the practice filters without the care path. */
export function compareFilters(f: OutcomeFilters): OutcomeFilters {
  return { ...f, carePath: null };
}

/** `fresh`: gather again even when the last rows are for this query (benchmarks time the gathering). */
export function loadCompareRows(store: AnalyticStore, q: CompareQuery & { fresh?: boolean }): { rows: CompareRows; counts: EpisodeCounts } {
  const filters = compareFilters(q.filters);
  const m = store.measure(q.measure); // may bring the store to a newer state: read the version after
  const key = JSON.stringify([q.measure, q.window, filters]);
  if (!q.fresh && last && last.version === store.version && last.key === key) return { rows: last.rows, counts: last.counts };
  last = null;
  const mask = episodeMask(store, filters);
  const ep = store.episodes;
  const n = store.rows;
  const wcols = m.windows[q.window];
  const base = m.baselineValue;
  const counts: EpisodeCounts = { episodes: [0, 0], withComplication: [0, 0], withMajor: [0, 0] };
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const t = ep.carePath[i] === INTERVENTIONAL ? 1 : 0;
    counts.episodes[t]++;
    const major = ep.complicationsMajor[i]!;
    const any = ep.complicationsMinor[i]! + major;
    if (any > 0) counts.withComplication[t]++;
    if (major > 0) counts.withMajor[t]++;
    if (m.present[i] && base[i] === base[i]) k++;
  }
  const rows = allocateRows(k);
  const day = (v: number) => (v === NULL_DAY ? NaN : v);
  const int = (v: number) => (v === NULL_INT ? NaN : v);
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i] || !m.present[i] || base[i] !== base[i]) continue;
    rows.path[r] = ep.carePath[i] === INTERVENTIONAL ? 1 : 0;
    rows.baseline[r] = base[i]!;
    rows.value[r] = wcols.value[i]!;
    rows.change[r] = wcols.change[i]!;
    rows.condition[r] = ep.conditionGroup[i]!;
    rows.region[r] = ep.region[i] === STORE_NONE ? NONE : ep.region[i]!;
    rows.sex[r] = ep.sex[i]!;
    rows.age[r] = ep.age[i]!;
    rows.duration[r] = ep.painDurationMonths[i]!;
    rows.prior[r] = ep.priorProcedures[i]!;
    rows.category[r] = ep.category[i] === STORE_NONE ? NONE : ep.category[i]!;
    rows.responseDay[r] = day(m.responseDay[i]!);
    rows.lossDay[r] = day(m.lossDay[i]!);
    rows.repeatDay[r] = int(ep.repeatDay[i]!);
    rows.lastFollowUpDay[r] = day(m.lastFollowUpDay[i]!);
    r++;
  }
  last = { version: store.version, key, rows, counts };
  return { rows, counts };
}
