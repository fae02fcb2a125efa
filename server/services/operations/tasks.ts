/**
 * The Operations page's scans as tasks of the analytic store
 * (server/services/analytics/tasks.ts registers them): each runs in the
 * analytics worker over the Operations derivation of the store
 * (operationsStoreOf, rebuilt once per state of the store) and returns raw
 * counts as plain data. Labels, the physician's view and small-cell masking
 * are applied by service.ts on the caller's side.
 */
import { CARE_PATHS, TREATMENT_CATEGORIES } from '../../../db/schema/vocabulary.ts';
import type { AnalyticStore } from '../analytics/store.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import {
  bucketOf,
  bucketStart,
  calendarCounts,
  compile,
  flaggedSessions,
  followUpParts,
  groupCounts,
  monthOfDay,
  pathMix,
  repeatCounts,
  sessionMix,
  volumeCounts,
  YEAR_LAG,
  type Compiled,
  type Period,
  type RepeatCounts,
  type Unit,
  type VolumeGrouping,
} from './aggregate.ts';
import { ROLLING_DAYS } from './rules.ts';
import { CATS, FAMILY_NAMES, FLAG_NAMES, operationsStoreOf, type FlagName, type OperationsStore } from './store.ts';
import { FOLLOW_UP_WINDOW_NAMES, type Measure } from '../../../db/schema/vocabulary.ts';

/** At most this many buckets in a series (the latest are kept). */
export const MAX_BUCKETS = 400;

/** A group's key as the service labels it: a code, a family, a category, a care path, or a provider / site id. */
export type GroupKey = string | number;

function keyOf(s: OperationsStore, by: VolumeGrouping, g: number): GroupKey {
  switch (by) {
    case 'none':
      return 'all';
    case 'family':
      return FAMILY_NAMES[g]!;
    case 'code':
      return s.codes[g] || 'none';
    case 'category':
      return TREATMENT_CATEGORIES[g]!;
    case 'care_path':
      return CARE_PATHS[g]!;
    case 'provider':
    case 'site':
      return g;
  }
}

const spans = new WeakMap<OperationsStore, { first: number; last: number } | null>();

/** First and last procedure day of the practice. */
function spanOf(s: OperationsStore): { first: number; last: number } | null {
  if (spans.has(s)) return spans.get(s)!;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < s.n; i++) {
    const d = s.day[i]!;
    if (d < first) first = d;
    if (d > last) last = d;
  }
  const span = Number.isFinite(first) ? { first, last } : null;
  spans.set(s, span);
  return span;
}

const dayOfBucket = (period: Period, b: number) => Math.floor(Date.parse(bucketStart(period, b)) / 86_400_000);

/** The days a series covers: the filters' dates within the practice's, snapped to whole buckets, at most MAX_BUCKETS. */
export function rangeOf(c: Compiled, span: { first: number; last: number } | null, period: Period): { fromDay: number; toDay: number; truncated: boolean } | null {
  if (!span) return null;
  let fromDay = Math.max(c.from, span.first);
  const toDay = Math.min(c.to, span.last);
  if (fromDay > toDay) return null;
  // Whole buckets: the first bucket starts at its start, so period-over-period and year-over-year compare like with like.
  fromDay = dayOfBucket(period, bucketOf(period, fromDay, monthOfDay(fromDay)));
  const lastBucket = bucketOf(period, toDay, monthOfDay(toDay));
  const firstBucket = bucketOf(period, fromDay, monthOfDay(fromDay));
  let truncated = false;
  if (lastBucket - firstBucket + 1 > MAX_BUCKETS) {
    fromDay = dayOfBucket(period, lastBucket - MAX_BUCKETS + 1);
    truncated = true;
  }
  return { fromDay, toDay, truncated };
}

// ---- tasks -------------------------------------------------------------------------------

export type VolumeRaw = {
  range: { fromDay: number; toDay: number; truncated: boolean } | null;
  first: number;
  last: number;
  lag: number;
  /** Totals per bucket from `first - lag`. */
  totals: number[];
  groups: Array<{ key: GroupKey; counts: number[] }>;
};

export function volumeTask(a: AnalyticStore, q: { filters: OutcomeFilters; period: Period; by: VolumeGrouping; unit: Unit }): VolumeRaw {
  const s = operationsStoreOf(a);
  const c = compile(s, q.filters);
  const range = rangeOf(c, spanOf(s), q.period);
  if (!range) return { range: null, first: 0, last: -1, lag: 0, totals: [], groups: [] };
  const v = volumeCounts(s, c, { period: q.period, by: q.by, unit: q.unit, fromDay: range.fromDay, toDay: range.toDay });
  return { range, first: v.first, last: v.last, lag: v.lag, totals: [...v.totals], groups: [...v.groups].map(([g, counts]) => ({ key: keyOf(s, q.by, g), counts: [...counts] })) };
}

export type CalendarRaw = { years: number[]; year: number | null; fromDay: number; counts: number[] };

export function calendarTask(a: AnalyticStore, q: { filters: OutcomeFilters; year: number | null }): CalendarRaw {
  const s = operationsStoreOf(a);
  const c = compile(s, q.filters);
  const span = spanOf(s);
  if (!span) return { years: [], year: null, fromDay: 0, counts: [] };
  const yearOf = (d: number) => new Date(d * 86_400_000).getUTCFullYear();
  const firstYear = yearOf(span.first);
  const lastYear = yearOf(span.last);
  const years = Array.from({ length: lastYear - firstYear + 1 }, (_, i) => firstYear + i);
  const filterYear = c.to < 1e9 ? yearOf(Math.min(c.to, span.last)) : lastYear;
  const year = q.year !== null && years.includes(q.year) ? q.year : Math.max(firstYear, Math.min(filterYear, lastYear));
  const fromDay = Math.floor(Date.UTC(year, 0, 1) / 86_400_000);
  const toDay = Math.floor(Date.UTC(year, 11, 31) / 86_400_000);
  return { years, year, fromDay, counts: [...calendarCounts(s, c, fromDay, toDay)] };
}

export const MOVER_GROUPINGS = ['code', 'provider', 'site', 'category'] as const;
export type MoversRaw = { last: number | null; groups: Array<{ by: (typeof MOVER_GROUPINGS)[number]; rows: Array<{ key: GroupKey; current: number; previous: number; yearBefore: number }> }> };

export function moversTask(a: AnalyticStore, q: { filters: OutcomeFilters; period: Period; unit: Unit }): MoversRaw {
  const s = operationsStoreOf(a);
  const c = compile(s, q.filters);
  const range = rangeOf(c, spanOf(s), q.period);
  if (!range) return { last: null, groups: [] };
  const last = bucketOf(q.period, range.toDay, monthOfDay(range.toDay));
  const span = (b: number) => [dayOfBucket(q.period, b), dayOfBucket(q.period, b + 1) - 1] as const;
  const counted = groupCounts(s, c, MOVER_GROUPINGS, q.unit, [span(last), span(last - 1), span(last - YEAR_LAG[q.period])]);
  return {
    last,
    groups: MOVER_GROUPINGS.map((by, k) => {
      const [cur, prev, year] = counted[k]!;
      const keys = new Set([...cur!.keys(), ...prev!.keys()]);
      return { by, rows: [...keys].map((g) => ({ key: keyOf(s, by, g), current: cur!.get(g) ?? 0, previous: prev!.get(g) ?? 0, yearBefore: year!.get(g) ?? 0 })) };
    }),
  };
}

export type MixRaw = { first: number; last: number; interventional: number[]; conservative: number[] } | null;

export function mixTask(a: AnalyticStore, q: { filters: OutcomeFilters; period: 'month' | 'quarter' }): MixRaw {
  const s = operationsStoreOf(a);
  const c = compile(s, q.filters);
  // The first and last index day of the live episodes, kept with the episode rollup.
  if (s.epLastMonth < s.epFirstMonth) return null;
  const fromDay = Math.max(s.epFirstDay, c.from);
  const toDay = Math.min(s.epLastDay, c.to);
  if (fromDay > toDay) return null;
  const m = pathMix(s, c, q.period, fromDay, toDay);
  return { first: m.first, last: m.last, interventional: [...m.counts[0]], conservative: [...m.counts[1]] };
}

export function repeatsTask(a: AnalyticStore, q: { filters: OutcomeFilters; asOf: number }): RepeatCounts {
  const s = operationsStoreOf(a);
  return repeatCounts(s, compile(s, q.filters), q.asOf, CATS.esi, CATS.mbb);
}

export type FlaggedRaw = {
  total: number;
  rows: Array<{ episodeId: number; patientId: number; indexDay: number; providerId: number; siteId: number; region: number; day: number; inWindow: number; windowDays: number[] }>;
  more: boolean;
};

/**
 * Episodes with a flagged ESI session (their latest), newest first, of the
 * episodes of provider `own` when given; a page of `limit` after `cursor`.
 */
export function flaggedTask(a: AnalyticStore, q: { filters: OutcomeFilters; own: number | null; limit: number; cursor: { day: number; episodeId: number } | null }): FlaggedRaw {
  const s = operationsStoreOf(a);
  // One row per episode (its latest flag: the list is newest first).
  const own = q.own;
  const all = flaggedSessions(s, compile(s, q.filters), own === null ? () => true : (e) => s.epProvider[e] === own).map((k) => s.flaggedOrder[k]!);
  const cursor = q.cursor;
  const start = cursor ? all.findIndex((i) => s.day[i]! < cursor.day || (s.day[i] === cursor.day && s.episode[i]! < cursor.episodeId)) : 0;
  const page = start < 0 ? [] : all.slice(start, start + q.limit);
  return {
    total: all.length,
    more: start >= 0 && start + q.limit < all.length,
    rows: page.map((i) => {
      const e = s.episode[i]!;
      const p = s.patient[i]!;
      const windowDays: number[] = [];
      for (let j = s.patientStart[p]!; j < s.patientStart[p]! + s.patientCount[p]!; j++) {
        if (s.head[j] && s.category[j] === CATS.esi && s.region[j] === s.region[i] && s.day[j]! <= s.day[i]! && s.day[j]! >= s.day[i]! - (ROLLING_DAYS - 1)) windowDays.push(s.day[j]!);
      }
      return { episodeId: e, patientId: p, indexDay: s.epDay[e]!, providerId: s.epProvider[e]!, siteId: s.site[i]!, region: s.region[i]!, day: s.day[i]!, inWindow: s.esiInWindow[i]!, windowDays };
    }),
  };
}

export type PartsRaw = Array<{ group: number; bucket: number; parts: number[] }>;

/** Episodes per provider (a physician's colleagues as group -1) or site and index bucket, split into PARTS at the window. */
export function partsTask(
  a: AnalyticStore,
  q: { filters: OutcomeFilters; measure: Measure; window: number; windowEnd: number; flag: FlagName; asOf: number; by: 'provider' | 'site'; own: number | null; period: 'month' | 'quarter' },
): PartsRaw {
  const s = operationsStoreOf(a);
  return followUpParts(s, compile(s, q.filters), {
    measure: q.measure,
    window: q.window,
    windowEnd: q.windowEnd,
    flag: FLAG_NAMES.indexOf(q.flag),
    asOf: q.asOf,
    by: q.by,
    own: q.own,
    period: q.period,
  });
}

/** Sessions per provider or site and procedure type (category number). */
export function mixByGroupTask(a: AnalyticStore, q: { filters: OutcomeFilters; by: 'provider' | 'site' }): Array<{ group: number; categories: Array<[number, number]> }> {
  const s = operationsStoreOf(a);
  return [...sessionMix(s, compile(s, q.filters), q.by)].map(([group, m]) => ({ group, categories: [...m] }));
}

/**
 * Every CPT/HCPCS code on some procedure line, ascending: primary and add-on
 * codes alike (the Outcomes page offers an episode's primary code only; a
 * manager counting lines asks about add-on codes too).
 */
export function codesTask(a: AnalyticStore, _q: Record<string, never>): string[] {
  const s = operationsStoreOf(a);
  const used = new Uint8Array(s.codes.length);
  for (let i = 0; i < s.n; i++) used[s.code[i]!] = 1;
  return s.codes.filter((c, k) => used[k] === 1 && c !== '').sort();
}

/** The derivation's size and build time (bench). */
export function statsTask(
  a: AnalyticStore,
  _q: Record<string, never>,
): { buildMs: number; stageMs: Record<string, number>; lines: number; episodes: number; profiles: number; coarseProfiles: number; cubeEntries: number; rollupEntries: number } {
  const s = operationsStoreOf(a);
  return {
    buildMs: s.loadMs,
    stageMs: { ...s.stageMs },
    lines: s.n,
    episodes: s.epMax,
    profiles: s.profiles.size,
    coarseProfiles: s.coarse.size,
    cubeEntries: s.cube.size,
    rollupEntries: s.rollProfile.length,
  };
}

/**
 * Warm-up (analytics WARM_UPS): derive the Operations columns and the pain
 * bit fields while the worker is idle after loading or a data change, so the
 * first Operations request does not wait for them. One step: the derivation
 * is one pass over the procedure lines.
 */
export function operationsWarmUps(a: AnalyticStore): Array<() => void> {
  if (!a.hasTreatments()) return [];
  // The page opens on pain NRS at 3 months, 30 % responders: its rollup of follow-up parts too.
  const m3 = FOLLOW_UP_WINDOW_NAMES.indexOf('m3');
  const pct30 = FLAG_NAMES.indexOf('pct30');
  return [() => void operationsStoreOf(a), ...(a.hasMeasure('pain_nrs') ? [() => void operationsStoreOf(a).rollPartsOf('pain_nrs', m3, pct30)] : [])];
}

export const operationsTasks = {
  'operations.stats': statsTask,
  'operations.codes': codesTask,
  'operations.volume': volumeTask,
  'operations.calendar': calendarTask,
  'operations.movers': moversTask,
  'operations.mix': mixTask,
  'operations.repeats': repeatsTask,
  'operations.flagged': flaggedTask,
  'operations.parts': partsTask,
  'operations.mixByGroup': mixByGroupTask,
};
