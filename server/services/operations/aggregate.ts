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
import { CARE_PATHS, CONDITION_GROUP_NAMES, SEXES, TREATMENT_CATEGORIES } from '../../../db/schema/vocabulary.ts';
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

export type Compiled = {
  from: number;
  to: number;
  path: number;
  condition: Lookup;
  category: Lookup;
  code: Lookup;
  provider: Lookup;
  site: Lookup;
  age: Lookup;
  sex: Lookup;
};

const lookupOf = (values: readonly number[] | undefined, size?: number): Lookup => {
  if (!values?.length) return null;
  const max = Math.max(size ?? 0, ...values) + 1;
  const l = new Uint8Array(max);
  for (const v of values) if (v >= 0) l[v] = 1;
  return l;
};
const has = (l: Lookup, v: number): boolean => l === null || (v < l.length && l[v] === 1);

export function compile(store: OperationsStore, f: OutcomeFilters): Compiled {
  const ix = <T extends string>(list: readonly T[], values: readonly string[] | undefined) =>
    values?.length ? values.map((v) => list.indexOf(v as T)).filter((i) => i >= 0) : undefined;
  const codes = f.codes?.length ? f.codes.map((c) => store.codes.indexOf(c)) : undefined;
  const fromDay = f.from ? parseIsoDate(f.from) : null;
  const toDay = f.to ? parseIsoDate(f.to) : null;
  return {
    from: fromDay ?? -1e9,
    to: toDay ?? 1e9,
    path: f.carePath ? CARE_PATHS.indexOf(f.carePath) : NONE,
    condition: lookupOf(ix(CONDITION_GROUP_NAMES, f.conditions)),
    category: lookupOf(ix(TREATMENT_CATEGORIES, f.categories)),
    // An unknown code matches nothing: a lookup with no 1 in it.
    code: codes ? lookupOf(codes, store.codes.length) : null,
    provider: lookupOf(f.providers as number[] | undefined),
    site: lookupOf(f.sites as number[] | undefined),
    age: lookupOf(ix(AGE_BAND_NAMES, f.ageBands)),
    sex: lookupOf(ix(SEXES, f.sexes)),
  };
}

/**
 * Procedure lines matching the filters, in store order; `heads` keeps only
 * the first line of each session. The date range is the procedure's date
 * unless `range` overrides it.
 */
export function selectLines(store: OperationsStore, c: Compiled, opts: { heads?: boolean; from?: number; to?: number } = {}): Int32Array {
  const out = new Int32Array(store.n);
  let k = 0;
  const from = opts.from ?? c.from;
  const to = opts.to ?? c.to;
  const { day, alive, head, path, condition, category, code, provider, site, episode, epAge, epSex } = store;
  const headsOnly = opts.heads ?? false;
  for (let i = 0; i < store.n; i++) {
    if (!alive[i]) continue;
    if (headsOnly && !head[i]) continue;
    const d = day[i]!;
    if (d < from || d > to) continue;
    if (c.path !== NONE && path[i] !== c.path) continue;
    if (c.condition && !has(c.condition, condition[i]!)) continue;
    if (c.category && !has(c.category, category[i]!)) continue;
    if (c.code && !has(c.code, code[i]!)) continue;
    if (c.provider && !has(c.provider, provider[i]!)) continue;
    if (c.site && !has(c.site, site[i]!)) continue;
    if (c.age && !has(c.age, epAge[episode[i]!]!)) continue;
    if (c.sex && !has(c.sex, epSex[episode[i]!]!)) continue;
    out[k++] = i;
  }
  return out.subarray(0, k);
}

/** Episodes matching the filters: index date in the range, primary category and code, the episode's provider and site. */
export function selectEpisodes(store: OperationsStore, c: Compiled): Int32Array {
  const out = new Int32Array(store.epMax + 1);
  let k = 0;
  const { epAlive, epDay, epPath, epCondition, epCategory, epCode, epProvider, epSite, epAge, epSex } = store;
  for (let id = 1; id <= store.epMax; id++) {
    if (!epAlive[id]) continue;
    const d = epDay[id]!;
    if (d < c.from || d > c.to) continue;
    if (c.path !== NONE && epPath[id] !== c.path) continue;
    if (c.condition && !has(c.condition, epCondition[id]!)) continue;
    if (c.category && (epCategory[id] === 0 || !has(c.category, epCategory[id]! - 1))) continue;
    if (c.code && !has(c.code, epCode[id]!)) continue;
    if (c.provider && !has(c.provider, epProvider[id]!)) continue;
    if (c.site && !has(c.site, epSite[id]!)) continue;
    if (c.age && !has(c.age, epAge[id]!)) continue;
    if (c.sex && !has(c.sex, epSex[id]!)) continue;
    out[k++] = id;
  }
  return out.subarray(0, k);
}

// ---- volume ---------------------------------------------------------------------------

/** The group value of a line for a grouping (-1 for 'none'). */
export function lineGroup(store: OperationsStore, by: VolumeGrouping, i: number): number {
  switch (by) {
    case 'none':
      return 0;
    case 'family':
      return store.family[i]!;
    case 'code':
      return store.code[i]!;
    case 'category':
      return store.category[i]!;
    case 'provider':
      return store.provider[i]!;
    case 'site':
      return store.site[i]!;
    case 'care_path':
      return store.path[i]!;
  }
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
 * Volume per bucket and group between two days. Sessions are counted on their
 * first line, attributed to its code (a primary code sorts before its add-on
 * codes); lines count every CPT line.
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
  const groups = new Map<number, Int32Array>();
  // A year earlier than the range too, for year-over-year change of the totals.
  const earliest = period === 'day' || period === 'week' ? opts.fromDay - lag * (period === 'week' ? 7 : 1) - 7 : opts.fromDay - 400;
  const lines = selectLines(store, c, { heads: unit === 'sessions', from: earliest, to: opts.toDay });
  const { day, month } = store;
  for (let k = 0; k < lines.length; k++) {
    const i = lines[k]!;
    const b = bucketOf(period, day[i]!, month[i]!);
    const t = b - first + lag;
    if (t < 0 || b > last) continue;
    totals[t]!++;
    if (b < first || day[i]! < opts.fromDay) continue;
    const g = lineGroup(store, by, i);
    let arr = groups.get(g);
    if (!arr) groups.set(g, (arr = new Int32Array(width)));
    arr[b - first]!++;
  }
  // The year-before part must hold only full buckets' worth inside the filter range; totals inside the range
  // exclude days before fromDay (a partial first bucket is labelled as such by the caller).
  for (let b = first; b <= last; b++) {
    let s = 0;
    for (const arr of groups.values()) s += arr[b - first]!;
    totals[b - first + lag] = s;
  }
  return { first, last, groups, totals, lag };
}

/** Sessions per calendar day between two days (inclusive). */
export function calendarCounts(store: OperationsStore, c: Compiled, fromDay: number, toDay: number): Int32Array {
  const out = new Int32Array(toDay - fromDay + 1);
  const lines = selectLines(store, c, { heads: true, from: fromDay, to: toDay });
  for (let k = 0; k < lines.length; k++) out[store.day[lines[k]!]! - fromDay]!++;
  return out;
}

/** Sessions per group value in two day ranges (movers: the latest period against the one before and a year before). */
export function groupCounts(store: OperationsStore, c: Compiled, by: VolumeGrouping, unit: Unit, fromDay: number, toDay: number): Map<number, number> {
  const out = new Map<number, number>();
  const lines = selectLines(store, c, { heads: unit === 'sessions', from: fromDay, to: toDay });
  for (let k = 0; k < lines.length; k++) {
    const g = lineGroup(store, by, lines[k]!);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** Episodes per index-date bucket and care path (index 0 interventional, 1 conservative). */
export function pathMix(store: OperationsStore, c: Compiled, period: Period, fromDay: number, toDay: number): { first: number; last: number; counts: [Int32Array, Int32Array] } {
  const first = bucketOf(period, fromDay, monthOfDay(fromDay));
  const last = bucketOf(period, toDay, monthOfDay(toDay));
  const counts: [Int32Array, Int32Array] = [new Int32Array(last - first + 1), new Int32Array(last - first + 1)];
  const eps = selectEpisodes(store, { ...c, from: Math.max(c.from, fromDay), to: Math.min(c.to, toDay) });
  for (let k = 0; k < eps.length; k++) {
    const id = eps[k]!;
    const b = bucketOf(period, store.epDay[id]!, store.epMonth[id]!);
    counts[store.epPath[id]!]![b - first]!++;
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

export function repeatCounts(store: OperationsStore, c: Compiled, asOf: number, esiCategory: number, mbbCategory: number): RepeatCounts {
  const lines = selectLines(store, c, { heads: true });
  const gaps = new Map<number, Map<number, number>>();
  const mature = new Map<number, { sessions: number; repeated: number }>();
  const esi: RepeatCounts['esi'] = { sessions: 0, flagged: 0, patients: 0, episodes: 0, byRegion: new Map(), byProvider: new Map() };
  const mbb: RepeatCounts['mbb'] = { series: 0, converted: 0, days: new Map(), recent: 0, byProvider: new Map() };
  const flaggedPatients = new Set<number>();
  const flaggedEpisodes = new Set<number>();
  const { day, category, nextGap, esiFlag, mbbStart, rfaGap, region, provider, patient, episode } = store;
  const matureBy = asOf - (ROLLING_DAYS - 1);
  for (let k = 0; k < lines.length; k++) {
    const i = lines[k]!;
    const cat = category[i]!;
    const gap = nextGap[i]!;
    if (gap > 0) {
      let g = gaps.get(cat);
      if (!g) gaps.set(cat, (g = new Map()));
      g.set(gap, (g.get(gap) ?? 0) + 1);
    }
    if (day[i]! <= matureBy) {
      let m = mature.get(cat);
      if (!m) mature.set(cat, (m = { sessions: 0, repeated: 0 }));
      m.sessions++;
      if (gap > 0 && gap <= ROLLING_DAYS - 1) m.repeated++;
    }
    if (cat === esiCategory) {
      const f = esiFlag[i]!;
      esi.sessions++;
      esi.flagged += f;
      let r = esi.byRegion.get(region[i]!);
      if (!r) esi.byRegion.set(region[i]!, (r = { sessions: 0, flagged: 0 }));
      r.sessions++;
      r.flagged += f;
      let p = esi.byProvider.get(provider[i]!);
      if (!p) esi.byProvider.set(provider[i]!, (p = { sessions: 0, flagged: 0 }));
      p.sessions++;
      p.flagged += f;
      if (f) {
        flaggedPatients.add(patient[i]!);
        flaggedEpisodes.add(episode[i]!);
      }
    }
    if (cat === mbbCategory && mbbStart[i]) {
      if (day[i]! > matureBy) {
        mbb.recent++;
        continue;
      }
      const g = rfaGap[i]!;
      mbb.series++;
      let p = mbb.byProvider.get(provider[i]!);
      if (!p) mbb.byProvider.set(provider[i]!, (p = { series: 0, converted: 0 }));
      p.series++;
      if (g > 0) {
        mbb.converted++;
        p.converted++;
        mbb.days.set(g, (mbb.days.get(g) ?? 0) + 1);
      }
    }
  }
  esi.patients = flaggedPatients.size;
  esi.episodes = flaggedEpisodes.size;
  return { gaps, mature, esi, mbb };
}

/** Lines of flagged ESI sessions matching the filters (for the patient-level list), newest first. */
export function flaggedLines(store: OperationsStore, c: Compiled, esiCategory: number): number[] {
  const lines = selectLines(store, { ...c, category: null }, { heads: true });
  const out: number[] = [];
  for (let k = 0; k < lines.length; k++) {
    const i = lines[k]!;
    if (store.category[i] === esiCategory && store.esiFlag[i]) out.push(i);
  }
  return out.sort((a, b) => store.day[b]! - store.day[a]! || store.episode[b]! - store.episode[a]!);
}

// ---- follow-up completion and outcomes ------------------------------------------------------------

/**
 * The five disjoint parts of a group's episodes at a window, from which every
 * follow-up and responder figure is a sum: no baseline; a baseline and no
 * score in the window, not yet due; due and missing; scored, not a responder;
 * scored, a responder.
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
  opts: { measure: string; window: number; windowEnd: number; flag: number; asOf: number; group: GroupOf; period: Period | null },
): Map<string, Int32Array> {
  const bits = store.bitsOf(opts.measure);
  const eps = selectEpisodes(store, c);
  const out = new Map<string, Int32Array>();
  const wb = windowBit(opts.window);
  const fb = flagBit(opts.flag, opts.window);
  for (let k = 0; k < eps.length; k++) {
    const id = eps[k]!;
    const b = id < bits.length ? bits[id]! : 0;
    let part: number;
    if (!(b & BIT_BASELINE)) part = 0;
    else if (b & wb) part = b & fb ? 4 : 3;
    else part = store.epDay[id]! + opts.windowEnd <= opts.asOf ? 2 : 1;
    const g = opts.group(id);
    const key = opts.period === null ? `${g}` : `${g}:${bucketOf(opts.period, store.epDay[id]!, store.epMonth[id]!)}`;
    let arr = out.get(key);
    if (!arr) out.set(key, (arr = new Int32Array(PARTS.length)));
    arr[part]!++;
  }
  return out;
}

/** Per procedure-line group: sessions and the share of sessions per category (the comparison table's volume and mix). */
export function sessionMix(store: OperationsStore, c: Compiled, by: 'provider' | 'site'): Map<number, Map<number, number>> {
  const lines = selectLines(store, c, { heads: true });
  const out = new Map<number, Map<number, number>>();
  for (let k = 0; k < lines.length; k++) {
    const i = lines[k]!;
    const g = by === 'provider' ? store.provider[i]! : store.site[i]!;
    let m = out.get(g);
    if (!m) out.set(g, (m = new Map()));
    m.set(store.category[i]!, (m.get(store.category[i]!) ?? 0) + 1);
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
