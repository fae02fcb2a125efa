/**
 * The outcome queries as tasks over the analytic store
 * (server/services/analytics/): the same answers as the SQL of query.ts, which
 * stays as their reference (tests/services/analytics/equivalence.test.ts
 * compares both on generated practices), in milliseconds at 1M patients
 * instead of seconds. Each is one pass over the episode rows (complications:
 * over the treatment rows) with the filters as a mask and the groups as small
 * integers; changes are counted by their dictionary code, so a group's
 * distribution of change is an array of counts.
 */
import { FOLLOW_UP_WINDOW_NAMES, type FollowUpWindow } from '../../../db/schema/vocabulary.ts';
import { compareRawKeys, episodeMask, groupCodes } from '../analytics/scan.ts';
import { COMPLICATIONS } from '../../../db/schema/vocabulary.ts';
import { ENUMS, NONE, type AnalyticStore, type WindowColumns } from '../analytics/store.ts';
import type { Grouping, OutcomeFilters } from './filters.ts';
import {
  definitionApplies,
  OPIOID_PARTS,
  type ChangeGroup,
  type ChangeQuery,
  type ComplicationGroup,
  type OpioidGroup,
  type OpioidPart,
  type OutcomeMeasure,
  type RawKey,
  type ResponderDefinition,
  type TrajectoryGroup,
} from './query.ts';

/** Keys of the groups that have `n[g] > 0`, in SQLite's order. */
function present(keys: RawKey[], n: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let g = 0; g < keys.length; g++) if (n[g]! > 0) out.push(g);
  return out.sort((a, b) => compareRawKeys(keys[a]!, keys[b]!));
}

/** Per-group counts of each change code at a window: dense when small, sparse otherwise. */
class CodeCounts {
  private readonly dense: Float64Array | null;
  private readonly sparse = new Map<number, number>();
  constructor(
    private readonly groups: number,
    private readonly width: number,
  ) {
    this.dense = groups * width <= 4_000_000 ? new Float64Array(groups * width) : null;
  }
  add(g: number, code: number): void {
    const k = g * this.width + code;
    if (this.dense) this.dense[k]!++;
    else this.sparse.set(k, (this.sparse.get(k) ?? 0) + 1);
  }
  /** The group's codes with their counts. */
  of(g: number): Array<[code: number, count: number]> {
    const out: Array<[number, number]> = [];
    if (this.dense) {
      for (let c = 1; c < this.width; c++) {
        const n = this.dense[g * this.width + c]!;
        if (n > 0) out.push([c, n]);
      }
    } else {
      for (const [k, n] of this.sparse) if (Math.floor(k / this.width) === g) out.push([k % this.width, n]);
    }
    return out;
  }
}

/** Episodes matching the filters, per group (every live episode, with or without scores). */
export function episodesByGroupTask(store: AnalyticStore, q: { filters: OutcomeFilters; groupBy: Grouping | null }): Array<[RawKey, number]> {
  const mask = episodeMask(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const n = new Float64Array(keys.length);
  for (let i = 0; i < mask.length; i++) if (mask[i]) n[codes[i]!]!++;
  return present(keys, n).map((g) => [keys[g]!, n[g]!]);
}

/** As query.ts changeByGroup: per group, baselines, complete cases, responders and the distribution of change. */
export function changeByGroupTask(store: AnalyticStore, q: ChangeQuery): ChangeGroup[] {
  const m = store.measure(q.measure);
  const mask = episodeMask(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const win = m.windows[q.window];
  const flag = q.definition && definitionApplies(q.measure, q.definition) ? (win.flags[q.definition] ?? null) : null;
  const base = m.baselineValue;
  const code = win.changeCode;
  const D = win.changeValues.length;
  const withBaseline = new Float64Array(keys.length);
  const responders = new Float64Array(keys.length);
  const counts = new CodeCounts(keys.length, D);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const b = base[i]!;
    if (b !== b) continue;
    const g = codes[i]!;
    withBaseline[g]!++;
    const c = code[i]!;
    if (c !== 0) counts.add(g, c);
    if (flag !== null && flag[i] === 1) responders[g]!++;
  }
  return present(keys, withBaseline).map((g) => {
    const cs = counts.of(g).sort((a, b) => win.changeValues[a[0]]! - win.changeValues[b[0]]!);
    let complete = 0;
    for (const [, n] of cs) complete += n;
    return {
      key: keys[g]!,
      withBaseline: withBaseline[g]!,
      complete,
      responders: responders[g]!,
      values: cs.map(([c]) => win.changeValues[c]!),
      counts: cs.map(([, n]) => n),
    };
  });
}

/** As query.ts trajectoryByGroup: per group and window, complete cases, Σ change, Σ change², responders. */
export function trajectoryByGroupTask(
  store: AnalyticStore,
  q: { measure: OutcomeMeasure | 'mme'; definition: ResponderDefinition | null; filters: OutcomeFilters; groupBy: Grouping | null },
): TrajectoryGroup[] {
  const m = store.measure(q.measure);
  const mask = episodeMask(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const applies = q.definition !== null && definitionApplies(q.measure, q.definition);
  const K = keys.length;
  const base = m.baselineValue;
  const withBaseline = new Float64Array(K);
  const per = FOLLOW_UP_WINDOW_NAMES.map((w) => {
    const win: WindowColumns = m.windows[w];
    return {
      w,
      win,
      code: win.changeCode,
      flag: applies ? (win.flags[q.definition!] ?? null) : null,
      counts: new CodeCounts(K, win.changeValues.length),
      responders: new Float64Array(K),
    };
  });
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const b = base[i]!;
    if (b !== b) continue;
    const g = codes[i]!;
    withBaseline[g]!++;
    for (let k = 0; k < per.length; k++) {
      const p = per[k]!;
      const c = p.code[i]!;
      if (c !== 0) p.counts.add(g, c);
      if (p.flag !== null && p.flag[i] === 1) p.responders[g]!++;
    }
  }
  return present(keys, withBaseline).map((g) => ({
    key: keys[g]!,
    withBaseline: withBaseline[g]!,
    windows: Object.fromEntries(
      per.map((p) => {
        let complete = 0;
        let sum = 0;
        let sumSq = 0;
        for (const [c, n] of p.counts.of(g)) {
          const v = p.win.changeValues[c]!;
          complete += n;
          sum += v * n;
          sumSq += v * v * n;
        }
        return [p.w, { complete, sum, sumSq, responders: p.responders[g]! }];
      }),
    ) as TrajectoryGroup['windows'],
  }));
}

/** As query.ts opioidsByGroup: the eight parts of the opioid figures and the MME change sums, among episodes with a baseline pain score. */
export function opioidsByGroupTask(store: AnalyticStore, q: { window: FollowUpWindow; filters: OutcomeFilters; groupBy: Grouping | null }): OpioidGroup[] {
  const pain = store.measure('pain_nrs');
  const mme = store.measure('mme');
  const mask = episodeMask(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const K = keys.length;
  const P = Object.fromEntries(OPIOID_PARTS.map((p, i) => [p, i])) as Record<OpioidPart, number>;
  const parts = OPIOID_PARTS.map(() => new Float64Array(K));
  const rows = new Float64Array(K);
  const cn = new Float64Array(K);
  const cs = new Float64Array(K);
  const cq = new Float64Array(K);
  const pb = pain.baselineValue;
  const pv = pain.windows[q.window].value;
  const mb = mme.baselineValue;
  const mv = mme.windows[q.window].value;
  const mc = mme.windows[q.window].change;
  const reduced = mme.windows[q.window].flags.pct50!;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    if (pb[i]! !== pb[i]!) continue;
    const g = codes[i]!;
    rows[g]!++;
    const on = mb[i]! > 0;
    const v = mv[i]!;
    const visit = pv[i]! === pv[i]! || v === v;
    let part: number;
    if (!on) part = !visit ? P.offNoVisit : v > 0 ? P.offVisitOn : P.offVisitOff;
    else if (!visit) part = P.onNoVisit;
    else if (v !== v) part = P.onVisitNoMme;
    else if (v === 0) part = P.stopped;
    else if (v > 0) part = reduced[i] === 1 ? P.reducedOn : reduced[i] === 0 ? P.notReduced : -1;
    else part = -1;
    if (part >= 0) parts[part]![g]!++;
    if (on) {
      const c = mc[i]!;
      if (c === c) (cn[g]!++, (cs[g]! += c), (cq[g]! += c * c));
    }
  }
  return present(keys, rows).map((g) => ({
    key: keys[g]!,
    parts: Object.fromEntries(OPIOID_PARTS.map((p, i) => [p, parts[i]![g]!])) as Record<OpioidPart, number>,
    change: { complete: cn[g]!, sum: cs[g]!, sumSq: cq[g]! },
  }));
}

const MINOR = COMPLICATIONS.indexOf('minor');
const MAJOR = COMPLICATIONS.indexOf('major');

/** As query.ts complicationsByCategory: per treatment category, treatments with a status recorded, minor, major (categories in text order). */
export function complicationsByCategoryTask(store: AnalyticStore, q: { filters: OutcomeFilters }): ComplicationGroup[] {
  const t = store.treatments();
  const mask = episodeMask(store, q.filters);
  const n = new Float64Array(256);
  const recorded = new Float64Array(256);
  const minor = new Float64Array(256);
  const major = new Float64Array(256);
  const { episodeRow, category, complication, length } = t;
  for (let j = 0; j < length; j++) {
    const r = episodeRow[j]!;
    if (r < 0 || !mask[r]) continue;
    const c = category[j]!;
    n[c]!++;
    const x = complication[j]!;
    if (x !== NONE) {
      recorded[c]!++;
      if (x === MINOR) minor[c]!++;
      else if (x === MAJOR) major[c]!++;
    }
  }
  const names = ENUMS.category as readonly string[];
  const out: ComplicationGroup[] = [];
  for (let c = 0; c < names.length; c++) if (n[c]! > 0) out.push({ category: names[c]!, recorded: recorded[c]!, minor: minor[c]!, major: major[c]! });
  return out.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}

/** What there is to filter by (query.ts presentValues without the index-date span, which the episodes table's index answers). */
export function presentValuesTask(store: AnalyticStore, _q: Record<string, never> = {}): {
  categories: string[];
  conditions: string[];
  codes: string[];
  providers: number[];
  sites: number[];
} {
  const ep = store.episodes;
  const cat = new Uint8Array(256);
  const cond = new Uint8Array(256);
  const code = new Uint8Array(store.dicts.code.length);
  const providers = new Set<number>();
  const sites = new Set<number>();
  let lastP = Number.NaN;
  let lastS = Number.NaN;
  for (let i = 0; i < store.rows; i++) {
    if (!ep.alive[i]) continue;
    cat[ep.category[i]!] = 1;
    cond[ep.conditionGroup[i]!] = 1;
    code[ep.code[i]!] = 1;
    const p = ep.providerId[i]!;
    if (p !== lastP) providers.add((lastP = p));
    const s = ep.siteId[i]!;
    if (s !== lastS) sites.add((lastS = s));
  }
  const pick = (values: readonly (string | null)[], seen: Uint8Array) =>
    values.filter((v, i): v is string => v !== null && seen[i] === 1).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    categories: pick(ENUMS.category, cat),
    conditions: pick(ENUMS.conditionGroup, cond),
    codes: pick(store.dicts.code, code),
    providers: [...providers].sort((a, b) => a - b),
    sites: [...sites].sort((a, b) => a - b),
  };
}

/** The outcome tasks, as registered in server/services/analytics/tasks.ts. */
export const outcomeTasks = {
  'outcomes.episodesByGroup': episodesByGroupTask,
  'outcomes.changeByGroup': changeByGroupTask,
  'outcomes.trajectoryByGroup': trajectoryByGroupTask,
  'outcomes.opioidsByGroup': opioidsByGroupTask,
  'outcomes.complicationsByCategory': complicationsByCategoryTask,
  'outcomes.presentValues': presentValuesTask,
};
