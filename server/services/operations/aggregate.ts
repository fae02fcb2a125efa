/**
 * The Operations page's aggregates as pure functions over the column store
 * (store.ts): selections of procedure lines and episodes by the page's
 * filters, and counts by period and group. No SQL, no privacy: service.ts
 * masks what these return for the caller's role.
 *
 * Definitions (docs/decisions/010-operations.md): a procedure is an
 * interventional treatment row; a session is one patient's procedures of one
 * type (treatment category) in one region on one day, the unit of volume by
 * default ("lines" counts every CPT line, add-on codes included). Procedure
 * filters apply to the procedure (its date, category, code, provider) and to
 * its episode (care path, condition, site, age band, sex); episode figures
 * filter by the episode (index date, primary category and code, provider).
 */
import { CARE_PATHS, CONDITION_GROUP_NAMES, SEXES, TREATMENT_CATEGORIES, type Measure } from '../../../db/schema/vocabulary.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import { parseIsoDate } from '../../domain/dates.ts';
import { AGE_BAND_NAMES, BIT_BASELINE, flagBit, windowBit, type OperationsStore } from './store.ts';
import { ROLLING_DAYS } from './rules.ts';

export const PERIODS = ['day', 'week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];
export const VOLUME_GROUPINGS = ['none', 'family', 'code', 'category', 'provider', 'site', 'care_path'] as const;
export type VolumeGrouping = (typeof VOLUME_GROUPINGS)[number];
export const UNITS = ['sessions', 'lines'] as const;
export type Unit = (typeof UNITS)[number];

const NONE = -1;

// ---- periods -------------------------------------------------------------------------

/** The period bucket of a day (days since 1970-01-01) and its month index (year * 12 + month - 1). */
export function bucketOf(period: Period, day: number, month: number): number {
  switch (period) {
    case 'day':
      return day;
    case 'week':
      // Weeks start on Monday; 1970-01-01 was a Thursday.
      return Math.floor((day + 3) / 7);
    case 'month':
      return month;
    case 'quarter':
      return Math.floor(month / 3);
  }
}

/** Buckets in a year, for year-over-year change: 364 days (same weekday), 52 weeks, 12 months, 4 quarters. */
export const YEAR_LAG: Record<Period, number> = { day: 364, week: 52, month: 12, quarter: 4 };

export function monthOfDay(day: number): number {
  const iso = isoOf(day);
  return Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7)) - 1;
}

function isoOf(day: number): string {
  const d = new Date(day * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** First day of a bucket, as an ISO date. */
export function bucketStart(period: Period, b: number): string {
  switch (period) {
    case 'day':
      return isoOf(b);
    case 'week':
      return isoOf(b * 7 - 3);
    case 'month':
      return `${Math.floor(b / 12)}-${String((b % 12) + 1).padStart(2, '0')}-01`;
    case 'quarter':
      return `${Math.floor(b / 4)}-${String((b % 4) * 3 + 1).padStart(2, '0')}-01`;
  }
}

/** A bucket's label: 2024-03-05, week of 2024-03-04, 2024-03, 2024-Q1. */
export function bucketLabel(period: Period, b: number): string {
  switch (period) {
    case 'day':
      return isoOf(b);
    case 'week':
      return `Week of ${isoOf(b * 7 - 3)}`;
    case 'month':
      return `${Math.floor(b / 12)}-${String((b % 12) + 1).padStart(2, '0')}`;
    case 'quarter':
      return `${Math.floor(b / 4)}-Q${(b % 4) + 1}`;
  }
}

// ---- filters --------------------------------------------------------------------------

type Lookup = Uint8Array | null;

/** A request's filters decided once per profile: which line profiles and episode profiles pass, and the date range. */
export type Compiled = {
  from: number;
  to: number;
  /** Per line profile: 1 when the filters (other than dates) admit it. */
  lines: Uint8Array;
  /** The same for sessions: only first lines of a session. */
  heads: Uint8Array;
  /** Per episode profile. */
  episodes: Uint8Array;
  /** Per coarse profile (the day cube), when no filter needs a field the cube lacks (condition, age band, sex). */
  cube: { lines: Uint8Array; heads: Uint8Array } | null;
};

const lookupOf = (values: readonly number[] | undefined): Lookup => {
  if (!values) return null;
  const l = new Uint8Array(Math.max(0, ...values) + 1);
  for (const v of values) if (v >= 0) l[v] = 1;
  return l;
};
const has = (l: Lookup, v: number): boolean => l === null || (v < l.length && l[v] === 1);

export function compile(store: OperationsStore, f: OutcomeFilters): Compiled {
  const ix = <T extends string>(list: readonly T[], values: readonly string[] | undefined) =>
    values?.length ? values.map((v) => list.indexOf(v as T)).filter((i) => i >= 0) : undefined;
  const path = f.carePath ? CARE_PATHS.indexOf(f.carePath) : NONE;
  // An unknown code matches nothing (index -1 is never set).
  const code = lookupOf(f.codes?.length ? f.codes.map((c) => store.codes.indexOf(c)) : undefined);
  const condition = lookupOf(ix(CONDITION_GROUP_NAMES, f.conditions));
  const category = lookupOf(ix(TREATMENT_CATEGORIES, f.categories));
  const provider = lookupOf(f.providers?.length ? [...f.providers] : undefined);
  const site = lookupOf(f.sites?.length ? [...f.sites] : undefined);
  const age = lookupOf(ix(AGE_BAND_NAMES, f.ageBands));
  const sex = lookupOf(ix(SEXES, f.sexes));
  const lp = store.profiles.values;
  const lines = new Uint8Array(store.profiles.size);
  const heads = new Uint8Array(store.profiles.size);
  for (let p = 0; p < lines.length; p++) {
    const ok =
      (path === NONE || lp.path[p] === path) &&
      has(condition, lp.condition[p]!) &&
      has(category, lp.category[p]!) &&
      has(code, lp.code[p]!) &&
      has(provider, lp.provider[p]!) &&
      has(site, lp.site[p]!) &&
      has(age, lp.age[p]!) &&
      has(sex, lp.sex[p]!);
    lines[p] = ok ? 1 : 0;
    heads[p] = ok && lp.head[p] === 1 ? 1 : 0;
  }
  const ep = store.epProfiles.values;
  const episodes = new Uint8Array(store.epProfiles.size);
  for (let p = 0; p < episodes.length; p++) {
    const ok =
      (path === NONE || ep.path[p] === path) &&
      has(condition, ep.condition[p]!) &&
      (category === null || (ep.category[p]! > 0 && has(category, ep.category[p]! - 1))) &&
      has(code, ep.code[p]!) &&
      has(provider, ep.provider[p]!) &&
      has(site, ep.site[p]!) &&
      has(age, ep.age[p]!) &&
      has(sex, ep.sex[p]!);
    episodes[p] = ok ? 1 : 0;
  }
  let cube: Compiled['cube'] = null;
  if (condition === null && age === null && sex === null) {
    const cp = store.coarse.values;
    cube = { lines: new Uint8Array(store.coarse.size), heads: new Uint8Array(store.coarse.size) };
    for (let p = 0; p < cube.lines.length; p++) {
      const ok =
        (path === NONE || cp.path[p] === path) && has(category, cp.category[p]!) && has(code, cp.code[p]!) && has(provider, cp.provider[p]!) && has(site, cp.site[p]!);
      cube.lines[p] = ok ? 1 : 0;
      cube.heads[p] = ok && cp.head[p] === 1 ? 1 : 0;
    }
  }
  const fromDay = f.from ? parseIsoDate(f.from) : null;
  const toDay = f.to ? parseIsoDate(f.to) : null;
  return { from: fromDay ?? -1e9, to: toDay ?? 1e9, lines, heads, episodes, cube };
}

// ---- volume ---------------------------------------------------------------------------

/** Per line profile (or coarse profile), its value of a grouping (0 for 'none'). */
export function profileGroups(store: OperationsStore, by: VolumeGrouping, coarse = false): Int32Array {
  const table = coarse ? store.coarse : store.profiles;
  const v = table.values as Record<'family' | 'code' | 'category' | 'provider' | 'site' | 'path', number[]>;
  const src: number[] | null =
    by === 'none' ? null : by === 'family' ? v.family : by === 'code' ? v.code : by === 'category' ? v.category : by === 'provider' ? v.provider : by === 'site' ? v.site : v.path;
  const out = new Int32Array(table.size);
  if (src) for (let p = 0; p < out.length; p++) out[p] = src[p]!;
  return out;
}

/** Dense numbers for the group values of the profiles: [profile -> dense index, dense index -> value]. */
function denseGroups(store: OperationsStore, by: VolumeGrouping, coarse = false): { of: Int32Array; values: number[] } {
  const raw = profileGroups(store, by, coarse);
  const index = new Map<number, number>();
  const of = new Int32Array(raw.length);
  const values: number[] = [];
  for (let p = 0; p < raw.length; p++) {
    let g = index.get(raw[p]!);
    if (g === undefined) {
      g = values.length;
      values.push(raw[p]!);
      index.set(raw[p]!, g);
    }
    of[p] = g;
  }
  return { of, values };
}

export type VolumeCounts = {
  /** First and last bucket (inclusive). */
  first: number;
  last: number;
  /** Per group value: counts per bucket from `first`. */
  groups: Map<number, Int32Array>;
  /** Totals per bucket from `first - lag` (a year before the first bucket) to `last`. */
  totals: Int32Array;
  lag: number;
};

/**
 * Volume per bucket and group between two days (fromDay the start of its
 * bucket). Sessions are counted on their first line, attributed to its code
 * (a primary code sorts before its add-on codes); lines count every CPT line.
 */
export function volumeCounts(
  store: OperationsStore,
  c: Compiled,
  opts: { period: Period; by: VolumeGrouping; unit: Unit; fromDay: number; toDay: number },
): VolumeCounts {
  const { period, by, unit } = opts;
  const lag = YEAR_LAG[period];
  const first = bucketOf(period, opts.fromDay, monthOfDay(opts.fromDay));
  const last = bucketOf(period, opts.toDay, monthOfDay(opts.toDay));
  const width = last - first + 1;
  const totals = new Int32Array(width + lag);
  const useCube = c.cube !== null;
  const { of, values } = denseGroups(store, by, useCube);
  const flat = new Int32Array(values.length * width);
  // A year before the range too, for year-over-year change of the totals.
  const earliest = opts.fromDay - 380 - (period === 'quarter' ? 92 : period === 'month' ? 31 : 7);
  const lo = Math.max(earliest, c.from);
  const hi = Math.min(opts.toDay, c.to);
  const base = first - lag;
  const monthCache = new Map<number, number>();
  const bucket = (d: number, m: number) => (period === 'day' ? d : period === 'week' ? Math.floor((d + 3) / 7) : period === 'month' ? m : Math.floor(m / 3));
  if (c.cube) {
    const pass = unit === 'sessions' ? c.cube.heads : c.cube.lines;
    const cube = store.cube;
    for (let e = 0; e < cube.size; e++) {
      const p = cube.profile[e]!;
      const n = cube.lines[e]!;
      if (pass[p] === 0 || n === 0) continue;
      const d = cube.day[e]!;
      if (d < lo || d > hi) continue;
      let m = monthCache.get(d);
      if (m === undefined) monthCache.set(d, (m = monthOfDay(d)));
      const b = bucket(d, m);
      if (b < base) continue;
      totals[b - base]! += n;
      if (b >= first && d >= opts.fromDay) flat[of[p]! * width + b - first]! += n;
    }
  } else {
    const pass = unit === 'sessions' ? c.heads : c.lines;
    const { orderedDay, orderedMonth, lineProfileStart } = store;
    for (let p = 0; p < pass.length; p++) {
      if (pass[p] === 0) continue;
      const a = daysFrom(orderedDay, lineProfileStart[p]!, lineProfileStart[p + 1]!, lo);
      const z = daysFrom(orderedDay, a, lineProfileStart[p + 1]!, hi + 1);
      const row = of[p]! * width - first;
      for (let k = a; k < z; k++) {
        const d = orderedDay[k]!;
        const b = bucket(d, orderedMonth[k]!);
        if (b < base) continue;
        totals[b - base]!++;
        if (b >= first && d >= opts.fromDay) flat[row + b]!++;
      }
    }
  }
  const groups = new Map<number, Int32Array>();
  for (let g = 0; g < values.length; g++) {
    const row = flat.subarray(g * width, (g + 1) * width);
    if (row.some((x) => x > 0)) groups.set(values[g]!, row);
  }
  return { first, last, groups, totals, lag };
}

/** Sessions per calendar day between two days (inclusive). */
export function calendarCounts(store: OperationsStore, c: Compiled, fromDay: number, toDay: number): Int32Array {
  const out = new Int32Array(toDay - fromDay + 1);
  const lo = Math.max(fromDay, c.from);
  const hi = Math.min(toDay, c.to);
  if (c.cube) {
    const pass = c.cube.heads;
    const cube = store.cube;
    for (let e = 0; e < cube.size; e++) {
      if (pass[cube.profile[e]!] === 0) continue;
      const d = cube.day[e]!;
      if (d < lo || d > hi) continue;
      out[d - fromDay]! += cube.lines[e]!;
    }
    return out;
  }
  const { orderedDay, lineProfileStart } = store;
  const pass = c.heads;
  for (let p = 0; p < pass.length; p++) {
    if (pass[p] === 0) continue;
    const a = daysFrom(orderedDay, lineProfileStart[p]!, lineProfileStart[p + 1]!, lo);
    const z = daysFrom(orderedDay, a, lineProfileStart[p + 1]!, hi + 1);
    for (let k = a; k < z; k++) out[orderedDay[k]! - fromDay]!++;
  }
  return out;
}

/**
 * Volume per group value of several groupings in several day ranges, in one
 * scan (movers: the latest period, the one before, and a year before).
 */
export function groupCounts(
  store: OperationsStore,
  c: Compiled,
  bys: readonly VolumeGrouping[],
  unit: Unit,
  spans: ReadonlyArray<readonly [number, number]>,
): Array<Array<Map<number, number>>> {
  const dense = bys.map((by) => denseGroups(store, by, c.cube !== null));
  const flats = dense.map((d) => spans.map(() => new Int32Array(d.values.length)));
  const lo = Math.max(c.from, Math.min(...spans.map((s) => s[0])));
  const hi = Math.min(c.to, Math.max(...spans.map((s) => s[1])));
  if (c.cube) {
    const pass = unit === 'sessions' ? c.cube.heads : c.cube.lines;
    const cube = store.cube;
    for (let e = 0; e < cube.size; e++) {
      const p = cube.profile[e]!;
      if (pass[p] === 0) continue;
      const d = cube.day[e]!;
      if (d < lo || d > hi) continue;
      for (let s = 0; s < spans.length; s++) {
        if (d < spans[s]![0] || d > spans[s]![1]) continue;
        for (let k = 0; k < dense.length; k++) flats[k]![s]![dense[k]!.of[p]!]! += cube.lines[e]!;
      }
    }
  }
  const pass = unit === 'sessions' ? c.heads : c.lines;
  const { orderedDay, lineProfileStart } = store;
  for (let p = 0; c.cube === null && p < pass.length; p++) {
    if (pass[p] === 0) continue;
    const end = lineProfileStart[p + 1]!;
    // Per span, the profile's lines of its days (binary search): a count per group.
    for (let s = 0; s < spans.length; s++) {
      const a = daysFrom(orderedDay, lineProfileStart[p]!, end, Math.max(lo, spans[s]![0]));
      const z = daysFrom(orderedDay, a, end, Math.min(hi, spans[s]![1]) + 1);
      if (z <= a) continue;
      for (let k = 0; k < dense.length; k++) flats[k]![s]![dense[k]!.of[p]!]! += z - a;
    }
  }
  return dense.map((d, k) =>
    spans.map((_, s) => {
      const m = new Map<number, number>();
      flats[k]![s]!.forEach((n, g) => {
        if (n > 0) m.set(d.values[g]!, n);
      });
      return m;
    }),
  );
}

/**
 * The months of the episode rollup that meet days lo..hi: `whole` when every
 * day of the month is inside and, given a cut day, the month does not straddle
 * it (all its days <= cut or all > cut). k is the month's offset from
 * store.epFirstMonth.
 */
function rollupMonths(store: OperationsStore, lo: number, hi: number, cut: number | null, visit: (k: number, whole: boolean) => void): void {
  const M = store.epLastMonth - store.epFirstMonth + 1;
  const f = store.monthFirstDay;
  for (let k = 0; k < M; k++) {
    const a = f[k]!;
    const z = f[k + 1]! - 1;
    if (z < lo || a > hi) continue;
    visit(k, a >= lo && z <= hi && (cut === null || z <= cut || a > cut));
  }
}

/** Episodes per index-date bucket and care path (index 0 interventional, 1 conservative). */
export function pathMix(store: OperationsStore, c: Compiled, period: Period, fromDay: number, toDay: number): { first: number; last: number; counts: [Int32Array, Int32Array] } {
  if (period !== 'month' && period !== 'quarter') return pathMixScan(store, c, period, fromDay, toDay);
  const first = bucketOf(period, fromDay, monthOfDay(fromDay));
  const last = bucketOf(period, toDay, monthOfDay(toDay));
  const counts: [Int32Array, Int32Array] = [new Int32Array(last - first + 1), new Int32Array(last - first + 1)];
  const lo = Math.max(c.from, fromDay);
  const hi = Math.min(c.to, toDay);
  const { byMonthProfile, byMonthDay, epMonthStart, rollStart, rollProfile, rollCount } = store;
  const pathOf = store.epProfiles.values.path;
  const pass = c.episodes;
  const quarter = period === 'quarter';
  const [a0, a1] = counts;
  rollupMonths(store, lo, hi, null, (k, whole) => {
    const m = store.epFirstMonth + k;
    const b = (quarter ? Math.floor(m / 3) : m) - first;
    if (whole) {
      let n0 = 0;
      let n1 = 0;
      for (let e = rollStart[k]!; e < rollStart[k + 1]!; e++) {
        const p = rollProfile[e]!;
        if (pass[p] === 0) continue;
        if (pathOf[p] === 0) n0 += rollCount[e]!;
        else n1 += rollCount[e]!;
      }
      a0[b]! += n0;
      a1[b]! += n1;
      return;
    }
    for (let j = epMonthStart[k]!; j < epMonthStart[k + 1]!; j++) {
      const p = byMonthProfile[j]!;
      if (pass[p] === 0) continue;
      const d = byMonthDay[j]!;
      if (d < lo || d > hi) continue;
      if (pathOf[p] === 0) a0[b]!++;
      else a1[b]!++;
    }
  });
  return { first, last, counts };
}

/** pathMix by a scan of every episode (the reference the rollup is tested against; day and week periods). */
export function pathMixScan(store: OperationsStore, c: Compiled, period: Period, fromDay: number, toDay: number): { first: number; last: number; counts: [Int32Array, Int32Array] } {
  const first = bucketOf(period, fromDay, monthOfDay(fromDay));
  const last = bucketOf(period, toDay, monthOfDay(toDay));
  const counts: [Int32Array, Int32Array] = [new Int32Array(last - first + 1), new Int32Array(last - first + 1)];
  const lo = Math.max(c.from, fromDay);
  const hi = Math.min(c.to, toDay);
  const { epAlive, epDay, epMonth, epPath, epProfile } = store;
  const pass = c.episodes;
  const quarter = period === 'quarter';
  const [a0, a1] = counts;
  for (let id = 1; id <= store.epMax; id++) {
    if (epAlive[id] === 0 || pass[epProfile[id]!] === 0) continue;
    const d = epDay[id]!;
    if (d < lo || d > hi) continue;
    const b = (period === 'month' ? epMonth[id]! : quarter ? Math.floor(epMonth[id]! / 3) : bucketOf(period, d, epMonth[id]!)) - first;
    if (epPath[id] === 0) a0[b]!++;
    else a1[b]!++;
  }
  return { first, last, counts };
}

// ---- repeats and payer rules ----------------------------------------------------------------

export type RepeatCounts = {
  /** Per category: intervals to the next session of the same category and region, counted by days. */
  gaps: Map<number, Map<number, number>>;
  /** Per category: sessions whose 12 months have passed by `asOf`, and those repeated within them. */
  mature: Map<number, { sessions: number; repeated: number }>;
  /** ESI sessions in the range, those beyond the 4th in their rolling 12 months, by region and by provider; patients and episodes with a flag. */
  esi: { sessions: number; flagged: number; patients: number; episodes: number; byRegion: Map<number, { sessions: number; flagged: number }>; byProvider: Map<number, { sessions: number; flagged: number }> };
  /** MBB series starts in the range with 12 months passed by `asOf`, those converted to RFA of the same region within them, days to RFA; by provider. */
  mbb: { series: number; converted: number; days: Map<number, number>; recent: number; byProvider: Map<number, { series: number; converted: number }> };
};

/** Intervals are counted by day up to this many days (longer ones at this value: more than 11 years). */
export const MAX_GAP = 4096;

export function repeatCounts(store: OperationsStore, c: Compiled, asOf: number, esiCategory: number, mbbCategory: number): RepeatCounts {
  if (c.cube) return repeatCountsFromCube(store, c, asOf, esiCategory, mbbCategory);
  const prov = denseGroups(store, 'provider');
  const regionOf = store.profiles.values.region;
  const { gapFlat, matureN, matureRepeated, esiRegion, esiProv, mbbProv, rfaDays } = repeatTallies(prov.values.length);
  let esiSessions = 0;
  let esiFlagged = 0;
  let mbbSeries = 0;
  let mbbConverted = 0;
  let mbbRecent = 0;
  const patientSeen = new Uint8Array(store.patientStart.length);
  const episodeSeen = new Uint8Array(store.epAlive.length);
  let patients = 0;
  let episodes = 0;
  const matureBy = asOf - (ROLLING_DAYS - 1);
  const { patient, episode } = store;
  const catOf = store.profiles.values.category;
  const pass = c.heads;
  const lo = c.from;
  const hi = c.to;
  const { lineOrder, orderedDay, orderedGap, orderedFacts, orderedRfa, lineProfileStart } = store;
  // Only the admitted profiles, and in each the days of the range; the session facts read in sequence.
  for (let p = 0; p < pass.length; p++) {
    if (pass[p] === 0) continue;
    const a = daysFrom(orderedDay, lineProfileStart[p]!, lineProfileStart[p + 1]!, lo);
    const z = daysFrom(orderedDay, a, lineProfileStart[p + 1]!, hi + 1);
    if (z <= a) continue;
    const cat = catOf[p]!;
    const r = regionOf[p]!;
    const g = prov.of[p]!;
    for (let k = a; k < z; k++) {
      const d = orderedDay[k]!;
      const gap = orderedGap[k]!;
      if (gap > 0) gapFlat[cat * MAX_GAP + (gap < MAX_GAP ? gap : MAX_GAP - 1)]!++;
      if (d <= matureBy) {
        matureN[cat]!++;
        if (gap > 0 && gap <= ROLLING_DAYS - 1) matureRepeated[cat]!++;
      }
      const facts = orderedFacts[k]!;
      if (cat === esiCategory) {
        esiSessions++;
        esiRegion[2 * r]!++;
        esiProv[2 * g]!++;
        if (facts & 1) {
          const i = lineOrder[k]!;
          esiFlagged++;
          esiRegion[2 * r + 1]!++;
          esiProv[2 * g + 1]!++;
          if (!patientSeen[patient[i]!]) {
            patientSeen[patient[i]!] = 1;
            patients++;
          }
          if (!episodeSeen[episode[i]!]) {
            episodeSeen[episode[i]!] = 1;
            episodes++;
          }
        }
      } else if (cat === mbbCategory && facts & 2) {
        if (d > matureBy) {
          mbbRecent++;
          continue;
        }
        const rg = orderedRfa[k]!;
        mbbSeries++;
        mbbProv[2 * g]!++;
        if (rg > 0) {
          mbbConverted++;
          mbbProv[2 * g + 1]!++;
          rfaDays[rg < MAX_GAP ? rg : MAX_GAP - 1]!++;
        }
      }
    }
  }
  return repeatResult(
    { gapFlat, matureN, matureRepeated, esiRegion, esiProv, mbbProv, rfaDays },
    prov.values,
    { sessions: esiSessions, flagged: esiFlagged, patients, episodes },
    { series: mbbSeries, converted: mbbConverted, recent: mbbRecent },
  );
}

/** The tally arrays both repeat scans fill, by category / region / dense provider / days. */
type RepeatTallies = {
  /** (category, days) intervals, MAX_GAP per category. */
  gapFlat: Int32Array;
  matureN: Int32Array;
  matureRepeated: Int32Array;
  /** (sessions, flagged) per region. */
  esiRegion: Int32Array;
  /** (sessions, flagged) per dense provider. */
  esiProv: Int32Array;
  /** (series, converted) per dense provider. */
  mbbProv: Int32Array;
  /** Days to RFA, MAX_GAP. */
  rfaDays: Int32Array;
};

function repeatTallies(nProv: number): RepeatTallies {
  const nCat = TREATMENT_CATEGORIES.length;
  return {
    gapFlat: new Int32Array(nCat * MAX_GAP),
    matureN: new Int32Array(nCat),
    matureRepeated: new Int32Array(nCat),
    esiRegion: new Int32Array(2 * 8),
    esiProv: new Int32Array(2 * nProv),
    mbbProv: new Int32Array(2 * nProv),
    rfaDays: new Int32Array(MAX_GAP),
  };
}

/** The tallies of either repeat scan as RepeatCounts (only the non-zero entries). */
function repeatResult(
  t: RepeatTallies,
  provValues: readonly number[],
  esi: { sessions: number; flagged: number; patients: number; episodes: number },
  mbb: { series: number; converted: number; recent: number },
): RepeatCounts {
  const { gapFlat, matureN, matureRepeated, esiRegion, esiProv, mbbProv, rfaDays } = t;
  const gaps = new Map<number, Map<number, number>>();
  const mature = new Map<number, { sessions: number; repeated: number }>();
  for (let cat = 0; cat < matureN.length; cat++) {
    const m = new Map<number, number>();
    for (let g = 1; g < MAX_GAP; g++) if (gapFlat[cat * MAX_GAP + g]) m.set(g, gapFlat[cat * MAX_GAP + g]!);
    if (m.size) gaps.set(cat, m);
    if (matureN[cat]) mature.set(cat, { sessions: matureN[cat]!, repeated: matureRepeated[cat]! });
  }
  const byRegion = new Map<number, { sessions: number; flagged: number }>();
  for (let r = 0; r < 8; r++) if (esiRegion[2 * r]) byRegion.set(r, { sessions: esiRegion[2 * r]!, flagged: esiRegion[2 * r + 1]! });
  const esiByProvider = new Map<number, { sessions: number; flagged: number }>();
  const mbbByProvider = new Map<number, { series: number; converted: number }>();
  for (let g = 0; g < provValues.length; g++) {
    if (esiProv[2 * g]) esiByProvider.set(provValues[g]!, { sessions: esiProv[2 * g]!, flagged: esiProv[2 * g + 1]! });
    if (mbbProv[2 * g]) mbbByProvider.set(provValues[g]!, { series: mbbProv[2 * g]!, converted: mbbProv[2 * g + 1]! });
  }
  const days = new Map<number, number>();
  for (let g = 1; g < MAX_GAP; g++) if (rfaDays[g]) days.set(g, rfaDays[g]!);
  return {
    gaps,
    mature,
    esi: { ...esi, byRegion, byProvider: esiByProvider },
    mbb: { series: mbb.series, converted: mbb.converted, days, recent: mbb.recent, byProvider: mbbByProvider },
  };
}

/**
 * The same counts when no filter needs the episode's condition, age band or
 * sex: session counts from the day cube, interval and days-to-RFA values and
 * the flagged patients from the store's compact lists (sessions with a next
 * one, MBB series starts, flagged sessions), not from every line.
 */
function repeatCountsFromCube(store: OperationsStore, c: Compiled, asOf: number, esiCategory: number, mbbCategory: number): RepeatCounts {
  const cubePass = c.cube!.heads;
  const cube = store.cube;
  const cv = store.coarse.values;
  const prov = denseGroups(store, 'provider', true);
  const t = repeatTallies(prov.values.length);
  const { gapFlat, matureN, matureRepeated, esiRegion, esiProv, mbbProv, rfaDays: rfaFlat } = t;
  let esiSessions = 0;
  let esiFlagged = 0;
  let mbbSeries = 0;
  let mbbConverted = 0;
  let mbbRecent = 0;
  const matureBy = asOf - (ROLLING_DAYS - 1);
  const lo = c.from;
  const hi = c.to;
  for (let e = 0; e < cube.size; e++) {
    const p = cube.profile[e]!;
    if (cubePass[p] === 0) continue;
    const d = cube.day[e]!;
    if (d < lo || d > hi) continue;
    const n = cube.lines[e]!;
    if (n === 0) continue;
    const cat = cv.category[p]!;
    if (d <= matureBy) {
      matureN[cat]! += n;
      matureRepeated[cat]! += cube.repeated[e]!;
    }
    if (cat === esiCategory) {
      const f = cube.flagged[e]!;
      const r = cv.region[p]!;
      const g = prov.of[p]!;
      esiSessions += n;
      esiFlagged += f;
      esiRegion[2 * r]! += n;
      esiRegion[2 * r + 1]! += f;
      esiProv[2 * g]! += n;
      esiProv[2 * g + 1]! += f;
    } else if (cat === mbbCategory) {
      const starts = cube.mbbStart[e]!;
      if (d > matureBy) mbbRecent += starts;
      else {
        const g = prov.of[p]!;
        mbbSeries += starts;
        mbbConverted += cube.converted[e]!;
        mbbProv[2 * g]! += starts;
        mbbProv[2 * g + 1]! += cube.converted[e]!;
      }
    }
  }
  const pass = c.heads;
  const { gapDay, gapValue, gapProfileStart } = store;
  const lineCat = store.profiles.values.category;
  // The gap list is in (profile, day) order: only the admitted profiles, and in each the days of the range.
  for (let p = 0; p < pass.length; p++) {
    if (pass[p] === 0) continue;
    let a = gapProfileStart[p]!;
    let z = gapProfileStart[p + 1]!;
    if (a === z) continue;
    if (gapDay[a]! < lo) a = lowerBound(gapDay, a, z, lo);
    if (gapDay[z - 1]! > hi) z = lowerBound(gapDay, a, z, hi + 1);
    const row = lineCat[p]! * MAX_GAP;
    for (let k = a; k < z; k++) {
      const gap = gapValue[k]!;
      gapFlat[row + (gap < MAX_GAP ? gap : MAX_GAP - 1)]!++;
    }
  }
  const { mbbProfile, mbbDay, mbbRfa } = store;
  for (let k = 0; k < mbbProfile.length; k++) {
    if (pass[mbbProfile[k]!] === 0) continue;
    const d = mbbDay[k]!;
    if (d < lo || d > hi || d > matureBy) continue;
    const g = mbbRfa[k]!;
    if (g > 0) rfaFlat[g < MAX_GAP ? g : MAX_GAP - 1]!++;
  }
  // Distinct patients and episodes with a flag: dense numbers of the flagged list, marked in small arrays.
  const { flaggedProfile, flaggedDay, flaggedPatientN, flaggedEpisodeN } = store;
  const patientSeen = new Uint8Array(store.flaggedPatients);
  const episodeSeen = new Uint8Array(store.flaggedEpisodes);
  let patients = 0;
  let episodes = 0;
  for (let k = 0; k < flaggedProfile.length; k++) {
    if (pass[flaggedProfile[k]!] === 0) continue;
    const d = flaggedDay[k]!;
    if (d < lo || d > hi) continue;
    const pn = flaggedPatientN[k]!;
    const en = flaggedEpisodeN[k]!;
    if (patientSeen[pn] === 0) {
      patientSeen[pn] = 1;
      patients++;
    }
    if (episodeSeen[en] === 0) {
      episodeSeen[en] = 1;
      episodes++;
    }
  }
  return repeatResult(
    t,
    prov.values,
    { sessions: esiSessions, flagged: esiFlagged, patients, episodes },
    { series: mbbSeries, converted: mbbConverted, recent: mbbRecent },
  );
}

/** The first index in a[from..to) whose value is >= v (a ascending there); `from` at once when a[from] >= v. */
function daysFrom(a: Int32Array, from: number, to: number, v: number): number {
  if (from >= to || a[from]! >= v) return from;
  if (a[to - 1]! < v) return to;
  return lowerBound(a, from, to, v);
}

/** The first index in a[from..to) whose value is >= v (a ascending there). */
function lowerBound(a: Int32Array, from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Flagged ESI sessions matching the filters (for the patient-level list),
 * newest first, one per episode (its latest), of the episodes `keep` admits:
 * their positions in store.flaggedOrder.
 */
export function flaggedSessions(store: OperationsStore, c: Compiled, keep: (episodeId: number) => boolean): number[] {
  const out: number[] = [];
  const pass = c.heads;
  const { flaggedProfile, flaggedDay, flaggedEpisodeN, flaggedOrder, episode } = store;
  const seen = new Uint8Array(store.flaggedEpisodes);
  for (let k = 0; k < flaggedProfile.length; k++) {
    if (pass[flaggedProfile[k]!] === 0) continue;
    const d = flaggedDay[k]!;
    if (d < c.from || d > c.to) continue;
    const en = flaggedEpisodeN[k]!;
    if (seen[en] === 1) continue;
    if (!keep(episode[flaggedOrder[k]!]!)) continue;
    seen[en] = 1;
    out.push(k);
  }
  return out;
}

// ---- follow-up completion and outcomes ------------------------------------------------------------

/**
 * The five disjoint parts of a group's episodes at a window, from which every
 * follow-up and responder figure is a sum: no baseline; a baseline and the
 * window not closed yet (scored or not: counting early scores but not early
 * gaps would flatter recent months); closed and missing; scored, not a
 * responder; scored, a responder.
 */
export const PARTS = ['noBaseline', 'notDue', 'missing', 'nonResponder', 'responder'] as const;

export type GroupOf = (id: number) => number;

/**
 * Episodes per group (and optionally per index-date bucket) split into PARTS
 * at window `w` (0-4) with responder flag `flag` (0-3). A window is due when
 * it has closed by `asOf` (index day + window end <= asOf).
 */
export function followUpParts(
  store: OperationsStore,
  c: Compiled,
  opts: { measure: Measure; window: number; windowEnd: number; flag: number; asOf: number; by: 'provider' | 'site'; own: number | null; period: 'month' | 'quarter' },
  useRollup = true,
): Array<{ group: number; bucket: number; parts: number[] }> {
  if (!useRollup) return followUpPartsScan(store, c, opts);
  const bits = store.bitsInMonthOrder(opts.measure);
  const wb = windowBit(opts.window);
  const fb = flagBit(opts.flag, opts.window);
  const roll = store.rollPartsOf(opts.measure, opts.window, opts.flag);
  const { byMonthProfile, byMonthDay, epMonthStart, rollStart, rollProfile } = store;
  const pass = c.episodes;
  const ids = opts.by === 'provider' ? store.providerIds : store.siteIds;
  const denseOfId = new Map(ids.map((id, k) => [id, k]));
  const profGroupId = opts.by === 'provider' ? store.epProfiles.values.provider : store.epProfiles.values.site;
  const ownIdx = opts.by === 'provider' && opts.own !== null ? ids.indexOf(opts.own) : -2;
  const nGroups = ids.length + 1;
  const groupOf = (k: number) => (ownIdx === -2 || k === ownIdx ? k : ids.length);
  const profGroup = Int32Array.from(profGroupId, (id) => groupOf(denseOfId.get(id)!));
  const firstMonth = store.epFirstMonth;
  const lastMonth = store.epLastMonth;
  if (lastMonth < firstMonth) return [];
  const quarter = opts.period === 'quarter';
  const base = quarter ? Math.floor(firstMonth / 3) : firstMonth;
  const width = (quarter ? Math.floor(lastMonth / 3) : lastMonth) - base + 1;
  const P = PARTS.length;
  const flat = new Int32Array(nGroups * width * P);
  const end = opts.windowEnd;
  const asOf = opts.asOf;
  // Due when index day + end <= asOf: the cut day is asOf - end.
  const cut = asOf - end;
  rollupMonths(store, c.from, c.to, cut, (k, whole) => {
    const m = firstMonth + k;
    const bucket = (quarter ? Math.floor(m / 3) : m) - base;
    if (whole) {
      const due = store.monthFirstDay[k]! <= cut;
      for (let e = rollStart[k]!; e < rollStart[k + 1]!; e++) {
        const p = rollProfile[e]!;
        if (pass[p] === 0) continue;
        const at = (profGroup[p]! * width + bucket) * P;
        const r = e * 4;
        flat[at]! += roll[r]!;
        if (due) {
          flat[at + 2]! += roll[r + 1]!;
          flat[at + 3]! += roll[r + 2]!;
          flat[at + 4]! += roll[r + 3]!;
        } else flat[at + 1]! += roll[r + 1]! + roll[r + 2]! + roll[r + 3]!;
      }
      return;
    }
    for (let j = epMonthStart[k]!; j < epMonthStart[k + 1]!; j++) {
      const p = byMonthProfile[j]!;
      if (pass[p] === 0) continue;
      const d = byMonthDay[j]!;
      if (d < c.from || d > c.to) continue;
      const b = bits[j]!;
      const part = partOf(b, d, end, asOf, wb, fb);
      flat[(profGroup[p]! * width + bucket) * P + part]!++;
    }
  });
  return partsRows(flat, ids, ownIdx, width, base);
}

/**
 * An episode's part (PARTS index) at the window: no baseline, window not
 * closed by `asOf`, not scored in it, scored but not a responder, responder.
 * `b` its measure bits, `d` its index day, `end` the window's last day.
 */
function partOf(b: number, d: number, end: number, asOf: number, wb: number, fb: number): number {
  return (b & BIT_BASELINE) === 0 ? 0 : d + end > asOf ? 1 : (b & wb) === 0 ? 2 : (b & fb) === 0 ? 3 : 4;
}

/**
 * The non-empty (group, bucket) rows of a parts table `flat` (group, bucket,
 * part), groups named by `ids` (dense index k), a physician's colleagues
 * (`ownIdx` >= 0) as the one group -1 in the last slot.
 */
function partsRows(flat: Int32Array, ids: readonly number[], ownIdx: number, width: number, base: number): Array<{ group: number; bucket: number; parts: number[] }> {
  const P = PARTS.length;
  const groups = [...ids.map((id, k) => (k === ownIdx || ownIdx === -2 ? id : null)), ownIdx === -2 ? null : -1];
  const out: Array<{ group: number; bucket: number; parts: number[] }> = [];
  for (let g = 0; g < groups.length; g++) {
    if (groups[g] === null) continue;
    for (let b = 0; b < width; b++) {
      const at = (g * width + b) * P;
      let any = 0;
      for (let j = 0; j < P; j++) any += flat[at + j]!;
      if (any) out.push({ group: groups[g]!, bucket: b + base, parts: Array.from(flat.subarray(at, at + P)) });
    }
  }
  return out;
}

/** followUpParts by a scan of every episode (the reference the rollup is tested against). */
function followUpPartsScan(
  store: OperationsStore,
  c: Compiled,
  opts: { measure: Measure; window: number; windowEnd: number; flag: number; asOf: number; by: 'provider' | 'site'; own: number | null; period: 'month' | 'quarter' },
): Array<{ group: number; bucket: number; parts: number[] }> {
  const bits = store.bitsOf(opts.measure);
  const wb = windowBit(opts.window);
  const fb = flagBit(opts.flag, opts.window);
  const { epAlive, epDay, epMonth, epProfile } = store;
  const pass = c.episodes;
  const idx = opts.by === 'provider' ? store.epProviderIdx : store.epSiteIdx;
  const ids = opts.by === 'provider' ? store.providerIds : store.siteIds;
  // A physician's colleagues are one group (-1): their dense numbers all map to the last slot.
  const ownIdx = opts.by === 'provider' && opts.own !== null ? ids.indexOf(opts.own) : -2;
  const nGroups = ids.length + 1;
  const groupOf = (k: number) => (ownIdx === -2 || k === ownIdx ? k : ids.length);
  let firstMonth = Infinity;
  let lastMonth = -Infinity;
  for (let id = 1; id <= store.epMax; id++) {
    if (epAlive[id] === 0) continue;
    const m = epMonth[id]!;
    if (m < firstMonth) firstMonth = m;
    if (m > lastMonth) lastMonth = m;
  }
  if (!Number.isFinite(firstMonth)) return [];
  const quarter = opts.period === 'quarter';
  const base = quarter ? Math.floor(firstMonth / 3) : firstMonth;
  const width = (quarter ? Math.floor(lastMonth / 3) : lastMonth) - base + 1;
  const P = PARTS.length;
  const flat = new Int32Array(nGroups * width * P);
  const end = opts.windowEnd;
  const asOf = opts.asOf;
  for (let id = 1; id <= store.epMax; id++) {
    if (epAlive[id] === 0 || pass[epProfile[id]!] === 0) continue;
    const d = epDay[id]!;
    if (d < c.from || d > c.to) continue;
    const b = bits[id]!;
    const part = partOf(b, d, end, asOf, wb, fb);
    const m = epMonth[id]!;
    const bucket = (quarter ? Math.floor(m / 3) : m) - base;
    flat[(groupOf(idx[id]!) * width + bucket) * P + part]!++;
  }
  return partsRows(flat, ids, ownIdx, width, base);
}

/** Per provider or site: sessions per category (the comparison table's volume and mix). */
export function sessionMix(store: OperationsStore, c: Compiled, by: 'provider' | 'site'): Map<number, Map<number, number>> {
  const useCube = c.cube !== null;
  const g = denseGroups(store, by, useCube);
  const catOf = (useCube ? store.coarse.values.category : store.profiles.values.category) as number[];
  const nCat = TREATMENT_CATEGORIES.length;
  const flat = new Int32Array(g.values.length * nCat);
  if (c.cube) {
    const pass = c.cube.heads;
    const cube = store.cube;
    for (let e = 0; e < cube.size; e++) {
      const p = cube.profile[e]!;
      if (pass[p] === 0) continue;
      const d = cube.day[e]!;
      if (d < c.from || d > c.to) continue;
      flat[g.of[p]! * nCat + catOf[p]!]! += cube.lines[e]!;
    }
  } else {
    const pass = c.heads;
    const { orderedDay, lineProfileStart } = store;
    for (let p = 0; p < pass.length; p++) {
      if (pass[p] === 0) continue;
      const a = daysFrom(orderedDay, lineProfileStart[p]!, lineProfileStart[p + 1]!, c.from);
      const z = daysFrom(orderedDay, a, lineProfileStart[p + 1]!, c.to + 1);
      flat[g.of[p]! * nCat + catOf[p]!]! += z - a;
    }
  }
  const out = new Map<number, Map<number, number>>();
  for (let k = 0; k < g.values.length; k++) {
    const m = new Map<number, number>();
    for (let cat = 0; cat < nCat; cat++) if (flat[k * nCat + cat]) m.set(cat, flat[k * nCat + cat]!);
    if (m.size) out.set(g.values[k]!, m);
  }
  return out;
}

/** Median and quartiles (R type 7) of values given as value -> count. */
export function quantilesOfCounts(counts: Map<number, number>, probs: readonly number[]): Array<number | null> {
  const entries = [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const n = entries.reduce((s, [, k]) => s + k, 0);
  if (n === 0) return probs.map(() => null);
  const at = (rank: number): number => {
    let seen = 0;
    for (const [v, k] of entries) {
      seen += k;
      if (rank < seen) return v;
    }
    return entries[entries.length - 1]![0];
  };
  return probs.map((p) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const a = at(lo);
    const b = at(Math.min(lo + 1, n - 1));
    return a + (h - lo) * (b - a);
  });
}
