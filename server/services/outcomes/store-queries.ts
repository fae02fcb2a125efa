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
import { FOLLOW_UP_WINDOW_NAMES, type FollowUpWindow, type Measure } from '../../../db/schema/vocabulary.ts';
import { compareRawKeys, episodeSelection, groupCodes } from '../analytics/scan.ts';
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

/** 1 where the episode has a baseline of the measure: one byte a row for scans instead of the 8-byte value (kept until the data change). */
function hasBaseline(store: AnalyticStore, measure: Measure): Uint8Array {
  return store.memoize(`outcomes.hasBaseline:${measure}`, () => {
    const b = store.measure(measure).baselineValue;
    const out = new Uint8Array(store.rows);
    for (let i = 0; i < out.length; i++) out[i] = b[i] === b[i] ? 1 : 0;
    return out;
  });
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
  const flag = q.definition && definitionApplies(q.measure, q.definition) ? (win.flags[q.definition] ?? null) : null;
  const base = hasBaseline(store, q.measure);
  const code = win.changeCode;
  const D = win.changeValues.length;
  const K = keys.length;
  const episodes = new Float64Array(K);
  const withBaseline = new Float64Array(K);
  const responders = new Float64Array(K);
  let counts: Float64Array | Map<number, number>;
  if (K * D <= DENSE_LIMIT) {
    const dense = new Float64Array(K * D);
    // A responder flag is 1 only for a complete case (a change), so it is read only then.
    const f = flag ?? new Int8Array(0);
    const withFlag = flag !== null;
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k]!;
      const g = codes[i]!;
      episodes[g]!++;
      if (base[i] === 0) continue;
      withBaseline[g]!++;
      const c = code[i]!;
      if (c !== 0) {
        dense[g * D + c]!++;
        if (withFlag && f[i] === 1) responders[g]!++;
      }
    }
    counts = dense;
  } else {
    const sparse = new Map<number, number>();
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k]!;
      const g = codes[i]!;
      episodes[g]!++;
      if (base[i] === 0) continue;
      withBaseline[g]!++;
      const c = code[i]!;
      if (c !== 0) sparse.set(g * D + c, (sparse.get(g * D + c) ?? 0) + 1);
      if (c !== 0 && flag !== null && flag[i] === 1) responders[g]!++;
    }
    counts = sparse;
  }
  const changes = present(keys, withBaseline).map((g): ChangeGroup => {
    const cs = codesOf(counts, g, D, win.changeValues);
    let complete = 0;
    for (const [, k] of cs) complete += k;
    return {
      key: keys[g]!,
      withBaseline: withBaseline[g]!,
      complete,
      responders: responders[g]!,
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
  const applies = q.definition !== null && definitionApplies(q.measure, q.definition);
  const K = keys.length;
  const base = hasBaseline(store, q.measure);
  const withBaseline = new Float64Array(K);
  const none = new Int8Array(0);
  const per = FOLLOW_UP_WINDOW_NAMES.map((w) => {
    const win: WindowColumns = m.windows[w];
    const flag = applies ? (win.flags[q.definition!] ?? null) : null;
    return { w, values: win.changeValues, D: win.changeValues.length, code: win.changeCode, flag: flag ?? none, hasFlag: flag !== null, responders: new Float64Array(K) };
  });
  const dense = per.every((p) => K * p.D <= DENSE_LIMIT);
  const counts: Array<Float64Array | Map<number, number>> = per.map((p) => (dense ? new Float64Array(K * p.D) : new Map<number, number>()));
  if (dense && per.length === 5) {
    // The five windows unrolled: one pass over the rows (a change exists only with a baseline).
    const [a, b, c, d, e] = per as [(typeof per)[0], (typeof per)[0], (typeof per)[0], (typeof per)[0], (typeof per)[0]];
    const [ca, cb, cc, cd, ce] = counts as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    const [ka, kb, kc, kd, ke] = [a.code, b.code, c.code, d.code, e.code];
    const [fa, fb, fc, fd, fe] = [a.flag, b.flag, c.flag, d.flag, e.flag];
    const [ra, rb, rc, rd, re] = [a.responders, b.responders, c.responders, d.responders, e.responders];
    const [Da, Db, Dc, Dd, De] = [a.D, b.D, c.D, d.D, e.D];
    const flags = applies;
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k]!;
      if (base[i] === 0) continue;
      const g = codes[i]!;
      withBaseline[g]!++;
      let x = ka[i]!;
      if (x !== 0) (ca[g * Da + x]!++, flags && fa[i] === 1 && ra[g]!++);
      x = kb[i]!;
      if (x !== 0) (cb[g * Db + x]!++, flags && fb[i] === 1 && rb[g]!++);
      x = kc[i]!;
      if (x !== 0) (cc[g * Dc + x]!++, flags && fc[i] === 1 && rc[g]!++);
      x = kd[i]!;
      if (x !== 0) (cd[g * Dd + x]!++, flags && fd[i] === 1 && rd[g]!++);
      x = ke[i]!;
      if (x !== 0) (ce[g * De + x]!++, flags && fe[i] === 1 && re[g]!++);
    }
  } else {
    for (let k = 0; k < sel.length; k++) {
      const i = sel[k]!;
      if (base[i] === 0) continue;
      const g = codes[i]!;
      withBaseline[g]!++;
      per.forEach((p, k) => {
        const x = p.code[i]!;
        if (x === 0) return;
        const t = counts[k]!;
        if (t instanceof Map) t.set(g * p.D + x, (t.get(g * p.D + x) ?? 0) + 1);
        else t[g * p.D + x]!++;
        if (p.hasFlag && p.flag[i] === 1) p.responders[g]!++;
      });
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
        for (const [c, k] of codesOf(counts[per.indexOf(p)]!, g, p.D, p.values)) {
          const v = p.values[c]!;
          complete += k;
          sum += v * k;
          sumSq += v * v * k;
        }
        return [p.w, { complete, sum, sumSq, responders: p.responders[g]! }];
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

/** The outcome tasks, as registered in server/services/analytics/tasks.ts. */
export const outcomeTasks = {
  'outcomes.episodesByGroup': episodesByGroupTask,
  'outcomes.changeByGroup': changeByGroupTask,
  'outcomes.episodesAndChange': episodesAndChangeTask,
  'outcomes.trajectoryByGroup': trajectoryByGroupTask,
  'outcomes.opioidsByGroup': opioidsByGroupTask,
  'outcomes.complicationsByCategory': complicationsByCategoryTask,
  'outcomes.presentValues': presentValuesTask,
};
