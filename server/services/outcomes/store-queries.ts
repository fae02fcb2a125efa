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
import { compareRawKeys, episodeSelection, groupCodes } from '../analytics/scan.ts';
import { COMPLICATIONS } from '../../../db/schema/vocabulary.ts';
import { ENUMS, NONE, type AnalyticStore, type WindowColumns } from '../analytics/store.ts';
import type { Grouping, OutcomeFilters } from './filters.ts';
import { GROUPINGS } from './filters.ts';
import {
  definitionApplies,
  OPIOID_PARTS,
  OUTCOME_MEASURES,
  RESPONDER_DEFINITIONS,
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

/**
 * Each episode's slot at a window for a responder definition: 0 without a
 * baseline of the measure, else 1 + 2 × change code + (1 if a responder). One
 * array read per row gives the episode, its baseline, its change and its
 * response; counting slots per group is the whole aggregation. Kept until the
 * data change (it depends on the data only).
 */
function rowSlots(store: AnalyticStore, measure: OutcomeMeasure | 'mme', window: FollowUpWindow, definition: ResponderDefinition | null): { slot: Uint16Array | Uint32Array; W: number } {
  const def = definition && definitionApplies(measure, definition) ? definition : null;
  return store.memoize(`outcomes.slots:${measure}:${window}:${def}`, () => {
    const m = store.measure(measure);
    const win = m.windows[window];
    const base = m.baselineValue;
    const code = win.changeCode;
    const flag = def ? (win.flags[def] ?? null) : null;
    const W = 2 * win.changeValues.length + 1;
    const n = store.rows;
    const slot = W <= 0xffff ? new Uint16Array(n) : new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      if (base[i]! !== base[i]!) continue;
      slot[i] = 1 + 2 * code[i]! + (flag !== null && flag[i] === 1 ? 1 : 0);
    }
    return { slot, W };
  });
}

/** Counts per group and slot: a dense table when it fits, a Map beyond. */
class SlotCounts {
  readonly dense: Float64Array | null;
  private readonly sparse = new Map<number, number>();
  constructor(
    readonly groups: number,
    readonly width: number,
  ) {
    this.dense = groups * width <= DENSE_LIMIT ? new Float64Array(groups * width) : null;
  }
  add(g: number, s: number): void {
    const k = g * this.width + s;
    if (this.dense) this.dense[k]!++;
    else this.sparse.set(k, (this.sparse.get(k) ?? 0) + 1);
  }
  get(g: number, s: number): number {
    const k = g * this.width + s;
    return this.dense ? this.dense[k]! : (this.sparse.get(k) ?? 0);
  }
  total(g: number): number {
    let t = 0;
    if (this.dense) for (let s = 0, at = g * this.width; s < this.width; s++, at++) t += this.dense[at]!;
    else for (const [k, n] of this.sparse) if (Math.floor(k / this.width) === g) t += n;
    return t;
  }
}

/** The change codes of group g with their complete cases, ascending by change. */
function changesOf(counts: SlotCounts, g: number, W: number, values: number[]): Array<[code: number, count: number]> {
  const out: Array<[number, number]> = [];
  for (let c = 1; 2 * c + 2 < W; c++) {
    const n = counts.get(g, 1 + 2 * c) + counts.get(g, 2 + 2 * c);
    if (n > 0) out.push([c, n]);
  }
  return out.sort((a, b) => values[a[0]]! - values[b[0]]!);
}

/** Responders of group g: the odd-flag slots. */
function respondersOf(counts: SlotCounts, g: number, W: number): number {
  let r = 0;
  for (let s = 2; s < W; s += 2) r += counts.get(g, s);
  return r;
}

/** Largest dense table of counts (groups × distinct changes) a scan allocates; beyond it, counts go to a Map. */
const DENSE_LIMIT = 1 << 24;

/** The codes with a count in row g of a dense table (width D), ascending by their change value. */
function codesOf(counts: Float64Array | Map<number, number>, g: number, D: number, values: number[]): Array<[code: number, count: number]> {
  const out: Array<[number, number]> = [];
  if (counts instanceof Map) {
    for (const [k, n] of counts) if (Math.floor(k / D) === g) out.push([k % D, n]);
  } else {
    for (let c = 1, at = g * D + 1; c < D; c++, at++) {
      const n = counts[at]!;
      if (n > 0) out.push([c, n]);
    }
  }
  return out.sort((a, b) => values[a[0]]! - values[b[0]]!);
}

/** Episodes matching the filters, per group (every live episode, with or without scores). */
export function episodesByGroupTask(store: AnalyticStore, q: { filters: OutcomeFilters; groupBy: Grouping | null }): Array<[RawKey, number]> {
  const sel = episodeSelection(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const n = new Float64Array(keys.length);
  for (let k = 0; k < sel.length; k++) n[codes[sel[k]!]!]!++;
  return present(keys, n).map((g) => [keys[g]!, n[g]!]);
}

/**
 * One pass: the episodes per group and, per group, the episodes with a
 * baseline, responders and counts of each change code at the window.
 */
function scanChange(store: AnalyticStore, q: ChangeQuery) {
  const m = store.measure(q.measure);
  const sel = episodeSelection(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const win = m.windows[q.window];
  const { slot, W } = rowSlots(store, q.measure, q.window, q.definition);
  const K = keys.length;
  const counts = new SlotCounts(K, W);
  if (counts.dense) {
    const dense = counts.dense;
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k]!;
      dense[codes[i]! * W + slot[i]!]!++;
    }
  } else for (let k = 0; k < sel.length; k++) counts.add(codes[sel[k]!]!, slot[sel[k]!]!);
  const episodes = new Float64Array(K);
  const withBaseline = new Float64Array(K);
  for (let g = 0; g < K; g++) ((episodes[g] = counts.total(g)), (withBaseline[g] = episodes[g]! - counts.get(g, 0)));
  const changes = present(keys, withBaseline).map((g): ChangeGroup => {
    const cs = changesOf(counts, g, W, win.changeValues);
    let complete = 0;
    for (const [, k] of cs) complete += k;
    return {
      key: keys[g]!,
      withBaseline: withBaseline[g]!,
      complete,
      responders: respondersOf(counts, g, W),
      values: cs.map(([c]) => win.changeValues[c]!),
      counts: cs.map(([, k]) => k),
    };
  });
  return { episodes: present(keys, episodes).map((g): [RawKey, number] => [keys[g]!, episodes[g]!]), changes };
}

/** As query.ts changeByGroup: per group, baselines, complete cases, responders and the distribution of change. */
export function changeByGroupTask(store: AnalyticStore, q: ChangeQuery): ChangeGroup[] {
  return scanChange(store, q).changes;
}

/** episodesByGroup and changeByGroup of the same filters and grouping in one pass (the tiles, tables and histogram). */
export function episodesAndChangeTask(store: AnalyticStore, q: ChangeQuery): { episodes: Array<[RawKey, number]>; changes: ChangeGroup[] } {
  return scanChange(store, q);
}

/** As query.ts trajectoryByGroup: per group and window, complete cases, Σ change, Σ change², responders. */
export function trajectoryByGroupTask(
  store: AnalyticStore,
  q: { measure: OutcomeMeasure | 'mme'; definition: ResponderDefinition | null; filters: OutcomeFilters; groupBy: Grouping | null },
): TrajectoryGroup[] {
  const m = store.measure(q.measure);
  const sel = episodeSelection(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const K = keys.length;
  const per = FOLLOW_UP_WINDOW_NAMES.map((w) => {
    const { slot, W } = rowSlots(store, q.measure, w, q.definition);
    return { w, values: m.windows[w].changeValues, slot, W, counts: new SlotCounts(K, W) };
  });
  if (per.length === 5 && per.every((p) => p.counts.dense)) {
    // The five windows unrolled, branch-free: one pass over the selected rows.
    const [a, b, c, d, e] = per as [(typeof per)[0], (typeof per)[0], (typeof per)[0], (typeof per)[0], (typeof per)[0]];
    const [sa, sb, sc, sd, se] = [a.slot, b.slot, c.slot, d.slot, e.slot];
    const [ca, cb, cc, cd, ce] = [a.counts.dense!, b.counts.dense!, c.counts.dense!, d.counts.dense!, e.counts.dense!];
    const [Wa, Wb, Wc, Wd, We] = [a.W, b.W, c.W, d.W, e.W];
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k]!;
      const g = codes[i]!;
      ca[g * Wa + sa[i]!]!++;
      cb[g * Wb + sb[i]!]!++;
      cc[g * Wc + sc[i]!]!++;
      cd[g * Wd + sd[i]!]!++;
      ce[g * We + se[i]!]!++;
    }
  } else for (let k = 0; k < sel.length; k++) for (const p of per) p.counts.add(codes[sel[k]!]!, p.slot[sel[k]!]!);
  const withBaseline = new Float64Array(K);
  for (let g = 0; g < K; g++) withBaseline[g] = per[0]!.counts.total(g) - per[0]!.counts.get(g, 0);
  return present(keys, withBaseline).map((g) => ({
    key: keys[g]!,
    withBaseline: withBaseline[g]!,
    windows: Object.fromEntries(
      per.map((p) => {
        let complete = 0;
        let sum = 0;
        let sumSq = 0;
        for (const [c, k] of changesOf(p.counts, g, p.W, p.values)) {
          const v = p.values[c]!;
          complete += k;
          sum += v * k;
          sumSq += v * v * k;
        }
        return [p.w, { complete, sum, sumSq, responders: respondersOf(p.counts, g, p.W) }];
      }),
    ) as TrajectoryGroup['windows'],
  }));
}

/** As query.ts opioidsByGroup: the eight parts of the opioid figures and the MME change sums, among episodes with a baseline pain score. */
export function opioidsByGroupTask(store: AnalyticStore, q: { window: FollowUpWindow; filters: OutcomeFilters; groupBy: Grouping | null }): OpioidGroup[] {
  // Both measures first (a load brings the store to one state before anything is read).
  store.measure('pain_nrs');
  const mme = store.measure('mme');
  const sel = episodeSelection(store, q.filters);
  const { codes, keys } = groupCodes(store, q.groupBy);
  const K = keys.length;
  const NP = OPIOID_PARTS.length;
  const S = NP + 1;
  const part = opioidParts(store, q.window);
  const mw = mme.windows[q.window];
  const mcode = mw.changeCode;
  const D = mw.changeValues.length;
  // slots[g * S + part]: the eight parts and (slot NP) on opioids without a part; their sum is the group's rows.
  const slots = new Float64Array(K * S);
  const change = new Float64Array(K * D);
  for (let k = 0; k < sel.length; k++) {
    const i = sel[k]!;
    const p = part[i]!;
    if (p === NOT_IN_POPULATION) continue;
    const g = codes[i]!;
    slots[g * S + p]!++;
    // On opioids at baseline: the MME change, when there is one, counts.
    if (p >= FIRST_ON) {
      const c = mcode[i]!;
      if (c !== 0) change[g * D + c]!++;
    }
  }
  const rows = new Float64Array(K);
  for (let g = 0; g < K; g++) for (let p = 0; p < S; p++) rows[g]! += slots[g * S + p]!;
  return present(keys, rows).map((g) => {
    let complete = 0;
    let sum = 0;
    let sumSq = 0;
    for (const [c, n] of codesOf(change, g, D, mw.changeValues)) {
      const x = mw.changeValues[c]!;
      complete += n;
      sum += x * n;
      sumSq += x * x * n;
    }
    return {
      key: keys[g]!,
      parts: Object.fromEntries(OPIOID_PARTS.map((name, i) => [name, slots[g * S + i]!])) as Record<OpioidPart, number>,
      change: { complete, sum, sumSq },
    };
  });
}

/**
 * Whether the practice records opioid doses at all: any episode with a daily
 * MME at baseline or in a window. A practice (or a trial's data set) that
 * never records MME would otherwise read as "no one on opioids".
 */
export function mmeRecordedTask(store: AnalyticStore, _q: Record<string, never>): boolean {
  const mme = store.measure('mme');
  return store.memoize('outcomes.mmeRecorded', () => {
    const alive = store.episodes.alive;
    const columns = [mme.baselineValue, ...FOLLOW_UP_WINDOW_NAMES.map((w) => mme.windows[w].value)];
    for (const v of columns) for (let i = 0; i < store.rows; i++) if (alive[i] === 1 && v[i] === v[i]) return true;
    return false;
  });
}

const NOT_IN_POPULATION = 255;
/** OPIOID_PARTS from onNoVisit on are "on opioids at baseline"; slot NP too (on, MME above 0 without a reduced flag). */
const FIRST_ON = OPIOID_PARTS.indexOf('onNoVisit');

/**
 * Each episode's opioid part at a window (OPIOID_PARTS index; NP: on opioids
 * with no part; 255: no baseline pain score, outside the population), kept
 * until the data change: the parts depend on the data only, not the filters.
 */
function opioidParts(store: AnalyticStore, window: FollowUpWindow): Uint8Array {
  return store.memoize(`outcomes.opioidParts:${window}`, () => {
    const pain = store.measure('pain_nrs');
    const mme = store.measure('mme');
    const P = Object.fromEntries(OPIOID_PARTS.map((p, i) => [p, i])) as Record<OpioidPart, number>;
    const NP = OPIOID_PARTS.length;
    const pb = pain.baselineValue;
    const pv = pain.windows[window].value;
    const mb = mme.baselineValue;
    const mv = mme.windows[window].value;
    const reduced = mme.windows[window].flags.pct50!;
    const out = new Uint8Array(store.rows);
    for (let i = 0; i < out.length; i++) {
      if (pb[i]! !== pb[i]!) {
        out[i] = NOT_IN_POPULATION;
        continue;
      }
      const on = mb[i]! > 0;
      const v = mv[i]!;
      const visit = pv[i]! === pv[i]! || v === v;
      let part: number;
      if (!on) part = !visit ? P.offNoVisit : v > 0 ? P.offVisitOn : P.offVisitOff;
      else if (!visit) part = P.onNoVisit;
      else if (v !== v) part = P.onVisitNoMme;
      else if (v === 0) part = P.stopped;
      else if (v > 0) part = reduced[i] === 1 ? P.reducedOn : reduced[i] === 0 ? P.notReduced : NP;
      else part = NP;
      out[i] = part;
    }
    return out;
  });
}

const MINOR = COMPLICATIONS.indexOf('minor');
const MAJOR = COMPLICATIONS.indexOf('major');

/** As query.ts complicationsByCategory: per treatment category, treatments with a status recorded, minor, major (categories in text order). */
export function complicationsByCategoryTask(store: AnalyticStore, q: { filters: OutcomeFilters }): ComplicationGroup[] {
  const t = store.treatments();
  const sel = episodeSelection(store, q.filters);
  // counts[category * 4 + status]: status 0..2 = none, minor, major; 3 = not recorded. Per episode, its
  // treatments as (category and status, how many) pairs (kept until the data change): an episode's
  // several treatments mostly share one or two, so the scan reads far fewer entries than treatments.
  const pairs = store.memoize('outcomes.treatmentPairs', () => {
    const { tStart, tCount, category, complication } = t;
    const n = store.rows;
    const start = new Int32Array(n + 1);
    const combo = new Uint8Array(t.length);
    const count = new Uint32Array(t.length);
    const seen = new Int32Array(256).fill(-1);
    let p = 0;
    for (let r = 0; r < n; r++) {
      start[r] = p;
      const first = p;
      for (let j = tStart[r]!, end = j + tCount[r]!; j < end; j++) {
        const x = complication[j]!;
        const c = category[j]! * 4 + (x === NONE ? 3 : x);
        const at = seen[c]!;
        if (at >= first) count[at]!++;
        else ((seen[c] = p), (combo[p] = c), (count[p] = 1), p++);
      }
    }
    start[n] = p;
    return { start, combo: combo.slice(0, p), count: count.slice(0, p) };
  });
  const counts = new Float64Array(256 * 4);
  const { start, combo, count } = pairs;
  for (let k = 0; k < sel.length; k++) {
    const r = sel[k]!;
    for (let j = start[r]!, end = start[r + 1]!; j < end; j++) counts[combo[j]!]! += count[j]!;
  }
  const names = ENUMS.category as readonly string[];
  const out: ComplicationGroup[] = [];
  for (let c = 0; c < names.length; c++) {
    const at = c * 4;
    const recorded = counts[at]! + counts[at + MINOR]! + counts[at + MAJOR]!;
    if (recorded + counts[at + 3]! > 0) out.push({ category: names[c]!, recorded, minor: counts[at + MINOR]!, major: counts[at + MAJOR]! });
  }
  return out.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}

/** What there is to filter by (query.ts presentValues without the index-date span, which the episodes table's index answers). */
export function presentValuesTask(store: AnalyticStore, _q: Record<string, never> = {}): PresentValues {
  // Depends on the data only: kept until they change.
  return store.memoize('outcomes.presentValues', () => scanPresentValues(store));
}

type PresentValues = { categories: string[]; conditions: string[]; codes: string[]; providers: number[]; sites: number[] };

function scanPresentValues(store: AnalyticStore): PresentValues {
  const ep = store.episodes;
  const cat = new Uint8Array(256);
  const cond = new Uint8Array(256);
  const code = new Uint8Array(store.dicts.code.length);
  const n = store.rows;
  for (let i = 0; i < n; i++) {
    if (ep.alive[i] === 0) continue;
    cat[ep.category[i]!] = 1;
    cond[ep.conditionGroup[i]!] = 1;
    code[ep.code[i]!] = 1;
  }
  const ids = (grouping: 'provider' | 'site') => {
    const { codes, keys } = groupCodes(store, grouping);
    const seen = new Uint8Array(keys.length);
    for (let i = 0; i < n; i++) if (ep.alive[i] !== 0) seen[codes[i]!] = 1;
    return (keys as number[]).filter((_, k) => seen[k] === 1).sort((a, b) => a - b);
  };
  const providers = ids('provider');
  const sites = ids('site');
  const pick = (values: readonly (string | null)[], seen: Uint8Array) =>
    values.filter((v, i): v is string => v !== null && seen[i] === 1).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    categories: pick(ENUMS.category, cat),
    conditions: pick(ENUMS.conditionGroup, cond),
    codes: pick(store.dicts.code, code),
    providers,
    sites,
  };
}

/**
 * The indexes the Outcomes page's scans use, as small steps for the worker to
 * build while idle (after loading, and again after the data change), so no
 * page pays for them: the slots of every measure, window and responder
 * definition, each window's opioid parts, the group codes, the treatment
 * pairs and the values present. Only what is already loaded is touched.
 */
export function outcomeWarmUps(store: AnalyticStore): Array<() => void> {
  const steps: Array<() => void> = [() => void episodeSelection(store, {})];
  for (const g of GROUPINGS) steps.push(() => void groupCodes(store, g));
  for (const m of [...OUTCOME_MEASURES, 'mme'] as const) {
    if (!store.hasMeasure(m)) continue;
    for (const w of FOLLOW_UP_WINDOW_NAMES)
      for (const d of RESPONDER_DEFINITIONS) if (definitionApplies(m, d)) steps.push(() => void rowSlots(store, m, w, d));
  }
  if (store.hasMeasure('pain_nrs') && store.hasMeasure('mme')) for (const w of FOLLOW_UP_WINDOW_NAMES) steps.push(() => void opioidParts(store, w));
  if (store.hasTreatments()) steps.push(() => void complicationsByCategoryTask(store, { filters: {} }));
  steps.push(() => void presentValuesTask(store));
  return steps;
}

/** The outcome tasks, as registered in server/services/analytics/tasks.ts. */
export const outcomeTasks = {
  'outcomes.episodesByGroup': episodesByGroupTask,
  'outcomes.changeByGroup': changeByGroupTask,
  'outcomes.episodesAndChange': episodesAndChangeTask,
  'outcomes.trajectoryByGroup': trajectoryByGroupTask,
  'outcomes.opioidsByGroup': opioidsByGroupTask,
  'outcomes.mmeRecorded': mmeRecordedTask,
  'outcomes.complicationsByCategory': complicationsByCategoryTask,
  'outcomes.presentValues': presentValuesTask,
};
