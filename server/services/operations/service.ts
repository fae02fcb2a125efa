/**
 * The Operations page's figures for a caller: the pure aggregates of
 * aggregate.ts over the column store, labelled, and masked for the caller's
 * role (docs/decisions/010-operations.md, "Access"):
 *
 * - procedure volume, repeats and payer-rule counts follow roles.md's
 *   "procedure volume, by provider and site" row: physicians see their own
 *   figures and practice totals (other providers combined), practice
 *   managers and admins everything, researchers small cells suppressed;
 * - follow-up completion and responder rates are outcome aggregates:
 *   suppressed for practice managers and researchers (privacyFor);
 * - the flagged-episode list is patient-level: physicians (their own
 *   episodes) and admins, audited.
 */
import type { Db } from '../../../db/index.ts';
import { CARE_PATHS, CPT_FAMILIES, FOLLOW_UP_WINDOW_NAMES, REGIONS, TREATMENT_CATEGORIES, type FollowUpWindow } from '../../../db/schema/vocabulary.ts';
import type { ContextInner } from '../../context.ts';
import { auditPatientRead, isPhysician } from '../../auth/scope.ts';
import { privacyFor, type Privacy } from '../../auth/privacy.ts';
import { isShown, rate, type Count } from '../../auth/suppression.ts';
import { daysToIso } from '../../domain/dates.ts';
import { DomainError } from '../../errors.ts';
import { proportion, type ProportionFigure } from '../outcomes/figures.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import { categoryLabel, codeLabel, loadNames, type Names } from '../outcomes/labels.ts';
import { currentDefinitions } from '../outcomes/query.ts';
import { outcomesPending } from '../outcomes/refresh.ts';
import {
  bucketLabel,
  bucketOf,
  bucketStart,
  calendarCounts,
  compile,
  flaggedLines,
  followUpParts,
  groupCounts,
  monthOfDay,
  pathMix,
  quantilesOfCounts,
  repeatCounts,
  sessionMix,
  PARTS,
  YEAR_LAG,
  type Compiled,
  type Period,
  type Unit,
  type VolumeGrouping,
  volumeCounts,
} from './aggregate.ts';
import { ESI_SESSIONS_ALLOWED, ROLLING_DAYS } from './rules.ts';
import { CATS, FAMILY_NAMES, FLAG_NAMES, operationsStore, type FlagName, type OperationsStore } from './store.ts';

export type Ctx = Pick<ContextInner, 'db' | 'user' | 'privacy' | 'now' | 'ip' | 'secrets'>;

/** At most this many buckets in a series (the latest are kept), and this many named groups (the rest are "Other"). */
export const MAX_BUCKETS = 400;
export const MAX_GROUPS = 8;
const OTHERS = 'others';

// ---- privacy -------------------------------------------------------------------------

/** Privacy of volume figures: suppressed for researchers only (roles.md). */
export function volumePrivacy(ctx: Ctx): Privacy {
  if (ctx.user?.role === 'researcher') return privacyFor(ctx);
  return privacyFor({ user: { id: 0, role: 'admin', providerId: null }, privacy: ctx.privacy });
}

/** A physician's own provider id (their figures are shown by name, everyone else's combined); null for other roles. */
function ownProvider(ctx: Ctx): number | null {
  return isPhysician(ctx.user) ? ctx.user.providerId : null;
}

function assertProviderFilter(ctx: Ctx, f: OutcomeFilters): void {
  const own = ownProvider(ctx);
  if (own !== null && f.providers?.some((p) => p !== own)) {
    throw new DomainError('FORBIDDEN', 'You can see your own figures and the practice totals, not another provider’s.');
  }
}

const sumShown = (cells: readonly Count[]): Count => {
  let s = 0;
  for (const c of cells) {
    if (!isShown(c)) return c;
    s += c;
  }
  return s;
};

// ---- context ---------------------------------------------------------------------------

type Prepared = { store: OperationsStore; c: Compiled; names: Names; asOf: number; span: { first: number; last: number } | null; updating: boolean };

const namesCache = new WeakMap<object, { version: number; names: Names; span: { first: number; last: number } | null }>();

function prepare(ctx: Ctx, f: OutcomeFilters): Prepared {
  assertProviderFilter(ctx, f);
  const store = operationsStore(ctx.db);
  let hit = namesCache.get(store);
  if (!hit || hit.version !== store.version) {
    let first = Infinity;
    let last = -Infinity;
    for (let i = 0; i < store.n; i++) {
      if (!store.alive[i]) continue;
      const d = store.day[i]!;
      if (d < first) first = d;
      if (d > last) last = d;
    }
    hit = { version: store.version, names: loadNames(ctx.db), span: Number.isFinite(first) ? { first, last } : null };
    namesCache.set(store, hit);
  }
  return {
    store,
    c: compile(store, f),
    names: hit.names,
    asOf: Math.floor(ctx.now() / 86_400_000),
    span: hit.span,
    updating: !outcomesPending(ctx.db).consistent,
  };
}

/** The range a figure covers: the filters' dates, else the practice's procedure dates; snapped to whole buckets. */
function rangeOf(p: Prepared, period: Period): { fromDay: number; toDay: number; truncated: boolean } | null {
  if (!p.span) return null;
  let fromDay = Math.max(p.c.from, p.span.first);
  const toDay = Math.min(p.c.to, p.span.last);
  if (fromDay > toDay) return null;
  // Whole buckets: the first bucket starts at its start, so period-over-period and year-over-year compare like with like.
  const snap = (d: number) => {
    const b = bucketOf(period, d, monthOfDay(d));
    return Math.floor(Date.parse(bucketStart(period, b)) / 86_400_000);
  };
  fromDay = snap(fromDay);
  let truncated = false;
  const lastBucket = bucketOf(period, toDay, monthOfDay(toDay));
  if (lastBucket - bucketOf(period, fromDay, monthOfDay(fromDay)) + 1 > MAX_BUCKETS) {
    fromDay = snap(Math.floor(Date.parse(bucketStart(period, lastBucket - MAX_BUCKETS + 1)) / 86_400_000));
    truncated = true;
  }
  return { fromDay, toDay, truncated };
}

// ---- labels ----------------------------------------------------------------------------

const PATH_LABELS = ['Interventional', 'Conservative'];
const REGION_LABELS: Record<string, string> = {
  cervical: 'Cervical',
  thoracic: 'Thoracic',
  lumbar: 'Lumbar',
  sacroiliac: 'Sacroiliac',
  peripheral: 'Peripheral',
  other: 'Other region',
};

function groupLabel(p: Prepared, by: VolumeGrouping, g: number): { key: string; label: string } {
  switch (by) {
    case 'none':
      return { key: 'all', label: 'All procedures' };
    case 'family': {
      const name = FAMILY_NAMES[g]!;
      const label = name === 'other' ? 'Other codes' : name === 'none' ? 'No code recorded' : CPT_FAMILIES[name as keyof typeof CPT_FAMILIES].label;
      return { key: name, label };
    }
    case 'code': {
      const code = p.store.codes[g] ?? '';
      return { key: code || 'none', label: code ? codeLabel(code) : 'No code recorded' };
    }
    case 'category':
      return { key: TREATMENT_CATEGORIES[g]!, label: categoryLabel(TREATMENT_CATEGORIES[g]!) };
    case 'provider':
      return { key: String(g), label: p.names.providers.get(g) ?? `Provider ${g}` };
    case 'site':
      return { key: String(g), label: p.names.sites.get(g) ?? `Site ${g}` };
    case 'care_path':
      return { key: CARE_PATHS[g]!, label: `${PATH_LABELS[g]} episodes` };
  }
}

const regionLabel = (r: number) => (r === 0 ? 'Region not recorded' : REGION_LABELS[REGIONS[r - 1]!]!);

// ---- volume ------------------------------------------------------------------------------

export type VolumeInput = { filters: OutcomeFilters; period: Period; by: VolumeGrouping; unit: Unit };

export type VolumeSeries = {
  period: Period;
  by: VolumeGrouping;
  unit: Unit;
  from: string | null;
  to: string | null;
  /** The range was longer than MAX_BUCKETS: only its latest buckets are shown. */
  truncated: boolean;
  buckets: Array<{ key: number; label: string; start: string }>;
  groups: Array<{ key: string; label: string; counts: Count[]; total: Count }>;
  totals: Count[];
  total: Count | null;
  /** Change from the bucket before (null for the first, or when a count is withheld or 0). */
  periodChange: Array<number | null>;
  /** The total one year earlier (Count), and the relative change to it. */
  yearBefore: Array<Count | null>;
  yearChange: Array<number | null>;
  updating: boolean;
};

export function volume(ctx: Ctx, input: VolumeInput): VolumeSeries {
  const p = prepare(ctx, input.filters);
  const range = rangeOf(p, input.period);
  const empty: VolumeSeries = {
    period: input.period,
    by: input.by,
    unit: input.unit,
    from: null,
    to: null,
    truncated: false,
    buckets: [],
    groups: [],
    totals: [],
    total: null,
    periodChange: [],
    yearBefore: [],
    yearChange: [],
    updating: p.updating,
  };
  if (!range) return empty;
  const v = volumeCounts(p.store, p.c, { period: input.period, by: input.by, unit: input.unit, fromDay: range.fromDay, toDay: range.toDay });
  const width = v.last - v.first + 1;
  // Named groups: the largest MAX_GROUPS; a physician's figures by provider: their own and everyone else combined.
  const own = ownProvider(ctx);
  const entries = [...v.groups.entries()].map(([g, counts]) => ({ g, counts, total: counts.reduce((a, b) => a + b, 0) }));
  let named = entries;
  let rest: typeof entries = [];
  if (input.by === 'provider' && own !== null) {
    named = entries.filter((e) => e.g === own);
    rest = entries.filter((e) => e.g !== own);
  } else if (entries.length > MAX_GROUPS + 1) {
    entries.sort((a, b) => b.total - a.total);
    named = entries.slice(0, MAX_GROUPS);
    rest = entries.slice(MAX_GROUPS);
  }
  named.sort((a, b) => b.total - a.total);
  const rows: Array<{ key: string; label: string; counts: Int32Array }> = named.map((e) => ({ ...groupLabel(p, input.by, e.g), counts: e.counts }));
  if (rest.length) {
    const counts = new Int32Array(width);
    for (const e of rest) for (let b = 0; b < width; b++) counts[b]! += e.counts[b]!;
    rows.push({ key: OTHERS, label: input.by === 'provider' && own !== null ? 'Other providers (combined)' : `${rest.length} other groups`, counts });
  }
  const privacy = volumePrivacy(ctx);
  const before = Array.from({ length: width }, (_, b) => (b - v.lag < 0 ? v.totals[b]! : null));
  const grid = rows.length ? Array.from({ length: width }, (_, b) => rows.map((r) => r.counts[b]!)) : [];
  const masked = rows.length ? privacy.table({ cells: grid, rowTotals: true, colTotals: true, grandTotal: true }) : null;
  const totals: Count[] = masked ? masked.rowTotals! : Array.from({ length: width }, () => 0);
  // The year before: a bucket inside the range reuses its masked total; one before the range is a line of its own.
  const outside = before.filter((x): x is number => x !== null);
  const outsideMasked = outside.length ? privacy.line(outside, { total: false }).cells : [];
  const yearBefore: Array<Count | null> = Array.from({ length: width }, (_, b) => {
    const src = b - v.lag;
    if (src >= 0) return totals[src]!;
    return outsideMasked[b] ?? null;
  });
  const relative = (now: Count, then: Count | null | undefined): number | null =>
    then === null || then === undefined || !isShown(now) || !isShown(then) || then === 0 ? null : (now - then) / then;
  return {
    period: input.period,
    by: input.by,
    unit: input.unit,
    from: daysToIso(range.fromDay),
    to: daysToIso(range.toDay),
    truncated: range.truncated,
    buckets: Array.from({ length: width }, (_, b) => ({ key: v.first + b, label: bucketLabel(input.period, v.first + b), start: bucketStart(input.period, v.first + b) })),
    groups: rows.map((r, j) => ({ key: r.key, label: r.label, counts: masked!.cells.map((row) => row[j]!), total: masked!.colTotals![j]! })),
    totals,
    total: masked ? masked.grandTotal : 0,
    periodChange: totals.map((t, b) => (b === 0 ? null : relative(t, totals[b - 1]))),
    yearBefore,
    yearChange: totals.map((t, b) => relative(t, yearBefore[b])),
    updating: p.updating,
  };
}

// ---- calendar ------------------------------------------------------------------------------

export type CalendarInput = { filters: OutcomeFilters; year: number | null };
export type Calendar = { year: number | null; years: number[]; days: Array<{ date: string; weekday: number; count: Count }>; max: number; total: Count | null; updating: boolean };

export function calendar(ctx: Ctx, input: CalendarInput): Calendar {
  const p = prepare(ctx, input.filters);
  if (!p.span) return { year: null, years: [], days: [], max: 0, total: null, updating: p.updating };
  const firstYear = Number(daysToIso(p.span.first).slice(0, 4));
  const lastYear = Number(daysToIso(p.span.last).slice(0, 4));
  const years = Array.from({ length: lastYear - firstYear + 1 }, (_, i) => firstYear + i);
  const filterYear = p.c.to < 1e9 ? Number(daysToIso(Math.min(p.c.to, p.span.last)).slice(0, 4)) : lastYear;
  const year = input.year !== null && years.includes(input.year) ? input.year : Math.max(firstYear, Math.min(filterYear, lastYear));
  const fromDay = Math.floor(Date.UTC(year, 0, 1) / 86_400_000);
  const toDay = Math.floor(Date.UTC(year, 11, 31) / 86_400_000);
  const counts = calendarCounts(p.store, p.c, fromDay, toDay);
  const line = volumePrivacy(ctx).line([...counts], { total: true });
  let max = 0;
  for (const c of line.cells) if (isShown(c) && c > max) max = c;
  return {
    year,
    years,
    days: line.cells.map((count, i) => ({ date: daysToIso(fromDay + i), weekday: (fromDay + i + 3) % 7, count })),
    max,
    total: line.total,
    updating: p.updating,
  };
}

// ---- top movers ----------------------------------------------------------------------------

export type MoversInput = { filters: OutcomeFilters; period: Period; unit: Unit };
export type Mover = { by: 'code' | 'provider' | 'site' | 'category'; key: string; label: string; current: Count; previous: Count; yearBefore: Count; change: number | null; relative: number | null };
export type Movers = { period: Period; current: string | null; previous: string | null; yearBefore: string | null; movers: Mover[]; updating: boolean };

/** The groups whose volume changed most between the latest bucket of the range and the one before (and a year before). */
export function movers(ctx: Ctx, input: MoversInput): Movers {
  const p = prepare(ctx, input.filters);
  const range = rangeOf(p, input.period);
  if (!range) return { period: input.period, current: null, previous: null, yearBefore: null, movers: [], updating: p.updating };
  const last = bucketOf(input.period, range.toDay, monthOfDay(range.toDay));
  const dayOf = (b: number) => Math.floor(Date.parse(bucketStart(input.period, b)) / 86_400_000);
  const span = (b: number) => [dayOf(b), dayOf(b + 1) - 1] as const;
  const privacy = volumePrivacy(ctx);
  const own = ownProvider(ctx);
  const out: Mover[] = [];
  const bys = ['code', 'provider', 'site', 'category'] as const;
  const counted = groupCounts(p.store, p.c, bys, input.unit, [span(last), span(last - 1), span(last - YEAR_LAG[input.period])]);
  bys.forEach((by, k) => {
    const [cur, prev, year] = counted[k]!;
    const keys = new Set([...cur!.keys(), ...prev!.keys()]);
    for (const g of keys) {
      if (by === 'provider' && own !== null && g !== own) continue;
      const counts = [cur!.get(g) ?? 0, prev!.get(g) ?? 0, year!.get(g) ?? 0];
      const m = privacy.independent({ current: counts[0]!, previous: counts[1]!, yearBefore: counts[2]! });
      const shown = isShown(m.current) && isShown(m.previous);
      out.push({
        by,
        ...groupLabel(p, by, g),
        current: m.current,
        previous: m.previous,
        yearBefore: m.yearBefore,
        change: shown ? (m.current as number) - (m.previous as number) : null,
        relative: shown && m.previous !== 0 ? ((m.current as number) - (m.previous as number)) / (m.previous as number) : null,
      });
    }
  });
  // Largest absolute changes first, per grouping; the page shows the top few of each.
  out.sort((a, b) => (a.by === b.by ? Math.abs(b.change ?? 0) - Math.abs(a.change ?? 0) || a.label.localeCompare(b.label) : 0));
  return {
    period: input.period,
    current: bucketLabel(input.period, last),
    previous: bucketLabel(input.period, last - 1),
    yearBefore: bucketLabel(input.period, last - YEAR_LAG[input.period]),
    movers: out,
    updating: p.updating,
  };
}

// ---- interventional share over time --------------------------------------------------------------

export type MixInput = { filters: OutcomeFilters; period: 'month' | 'quarter' };
export type Mix = {
  period: 'month' | 'quarter';
  buckets: Array<{ label: string; start: string; interventional: Count; conservative: Count; share: ProportionFigure }>;
  updating: boolean;
};

/** Episodes by index-date bucket and care path, with the interventional share and its Wilson interval. */
export function mix(ctx: Ctx, input: MixInput): Mix {
  const p = prepare(ctx, input.filters);
  let first = Infinity;
  let last = -Infinity;
  for (let id = 1; id <= p.store.epMax; id++) {
    if (!p.store.epAlive[id]) continue;
    const d = p.store.epDay[id]!;
    if (d < first) first = d;
    if (d > last) last = d;
  }
  if (!Number.isFinite(first)) return { period: input.period, buckets: [], updating: p.updating };
  const fromDay = Math.max(first, p.c.from);
  const toDay = Math.min(last, p.c.to);
  if (fromDay > toDay) return { period: input.period, buckets: [], updating: p.updating };
  const m = pathMix(p.store, p.c, input.period, fromDay, toDay);
  const privacy = volumePrivacy(ctx);
  const width = m.last - m.first + 1;
  const masked = privacy.table({ cells: Array.from({ length: width }, (_, b) => [m.counts[0][b]!, m.counts[1][b]!]), rowTotals: true });
  return {
    period: input.period,
    buckets: Array.from({ length: width }, (_, b) => ({
      label: bucketLabel(input.period, m.first + b),
      start: bucketStart(input.period, m.first + b),
      interventional: masked.cells[b]![0]!,
      conservative: masked.cells[b]![1]!,
      share: proportion(privacy, masked.cells[b]![0]!, masked.rowTotals![b]!),
    })),
    updating: p.updating,
  };
}

// ---- repeats and payer rules -----------------------------------------------------------------

export type RepeatsInput = { filters: OutcomeFilters };
export type Repeats = {
  asOf: string;
  rollingDays: number;
  esiAllowed: number;
  byCategory: Array<{
    key: string;
    label: string;
    intervals: Count;
    median: number | null;
    q1: number | null;
    q3: number | null;
    /** Intervals in bins of 30 days (the last bin open-ended). */
    histogram: Array<{ from: number; to: number | null; count: Count }>;
    repeatRate: ProportionFigure;
  }>;
  esi: {
    sessions: Count;
    flagged: Count;
    patients: Count;
    episodes: Count;
    byRegion: Array<{ key: string; label: string; sessions: Count; flagged: Count }>;
    byProvider: Array<{ key: string; label: string; sessions: Count; flagged: Count; share: number | null }>;
  };
  mbb: {
    series: Count;
    converted: Count;
    rate: ProportionFigure;
    medianDays: number | null;
    recent: Count;
    byProvider: Array<{ key: string; label: string; series: Count; converted: Count; rate: ProportionFigure }>;
  };
  /** The caller may open the list of flagged episodes. */
  canList: boolean;
  updating: boolean;
};

export const INTERVAL_BIN = 30;
/** 30-day bins up to 360 days, then one open bin: the 12 months the payer rules look at. */
export const INTERVAL_BINS = 12;

export function repeats(ctx: Ctx, input: RepeatsInput): Repeats {
  const p = prepare(ctx, input.filters);
  const r = repeatCounts(p.store, p.c, p.asOf, CATS.esi, CATS.mbb);
  const privacy = volumePrivacy(ctx);
  const own = ownProvider(ctx);
  const byCategory: Repeats['byCategory'] = [];
  const cats = [...new Set([...r.gaps.keys(), ...r.mature.keys()])].sort((a, b) => a - b);
  for (const cat of cats) {
    const gaps = r.gaps.get(cat) ?? new Map<number, number>();
    const bins = new Array<number>(INTERVAL_BINS + 1).fill(0);
    let n = 0;
    for (const [g, k] of gaps) {
      bins[Math.min(Math.floor((g - 1) / INTERVAL_BIN), INTERVAL_BINS)]! += k;
      n += k;
    }
    const hist = privacy.line(bins, { total: true });
    const [q1, median, q3] = quantilesOfCounts(gaps, [0.25, 0.5, 0.75]);
    const mature = r.mature.get(cat) ?? { sessions: 0, repeated: 0 };
    const rr = privacy.line([mature.repeated, mature.sessions - mature.repeated], { total: true });
    byCategory.push({
      key: TREATMENT_CATEGORIES[cat]!,
      label: categoryLabel(TREATMENT_CATEGORIES[cat]!),
      intervals: hist.total!,
      median: privacy.statistic(hist.total!, median ?? null),
      q1: privacy.statistic(hist.total!, q1 ?? null),
      q3: privacy.statistic(hist.total!, q3 ?? null),
      histogram: hist.cells.map((count, b) => ({ from: b * INTERVAL_BIN + 1, to: b < INTERVAL_BINS ? (b + 1) * INTERVAL_BIN : null, count })),
      repeatRate: proportion(privacy, rr.cells[0]!, rr.total!),
    });
  }
  // ESI: flagged and not flagged sessions by region (a table with its totals).
  const regions = [...r.esi.byRegion.keys()].sort((a, b) => a - b);
  const esiTable = privacy.table({
    cells: regions.length ? regions.map((g) => [r.esi.byRegion.get(g)!.flagged, r.esi.byRegion.get(g)!.sessions - r.esi.byRegion.get(g)!.flagged]) : [[0, 0]],
    rowTotals: true,
    colTotals: true,
    grandTotal: true,
  });
  const providerRows = providerRowsOf(r.esi.byProvider, own);
  const esiProv = privacy.table({ cells: providerRows.length ? providerRows.map(([, v]) => [v.flagged, v.sessions - v.flagged]) : [[0, 0]], rowTotals: true });
  const mbbRows = providerRowsOf(r.mbb.byProvider, own);
  const mbbProv = privacy.table({ cells: mbbRows.length ? mbbRows.map(([, v]) => [v.converted, v.series - v.converted]) : [[0, 0]], rowTotals: true });
  const mbbLine = privacy.line([r.mbb.converted, r.mbb.series - r.mbb.converted], { total: true });
  const counts = privacy.independent({ patients: r.esi.patients, episodes: r.esi.episodes, recent: r.mbb.recent });
  const [, medianDays] = quantilesOfCounts(r.mbb.days, [0.25, 0.5]);
  const provLabel = (g: number) => (g === -1 ? 'Other providers (combined)' : (p.names.providers.get(g) ?? `Provider ${g}`));
  return {
    asOf: daysToIso(p.asOf),
    rollingDays: ROLLING_DAYS,
    esiAllowed: ESI_SESSIONS_ALLOWED,
    byCategory,
    esi: {
      sessions: esiTable.grandTotal!,
      flagged: esiTable.colTotals![0]!,
      patients: counts.patients,
      episodes: counts.episodes,
      byRegion: regions.map((g, j) => ({
        key: g === 0 ? 'none' : REGIONS[g - 1]!,
        label: regionLabel(g),
        sessions: esiTable.rowTotals![j]!,
        flagged: esiTable.cells[j]![0]!,
      })),
      byProvider: providerRows.map(([g], j) => ({
        key: String(g),
        label: provLabel(g),
        sessions: esiProv.rowTotals![j]!,
        flagged: esiProv.cells[j]![0]!,
        share: rate(esiProv.cells[j]![0]!, esiProv.rowTotals![j]!),
      })),
    },
    mbb: {
      series: mbbLine.total!,
      converted: mbbLine.cells[0]!,
      rate: proportion(privacy, mbbLine.cells[0]!, mbbLine.total!),
      medianDays: privacy.statistic(mbbLine.cells[0]!, medianDays ?? null),
      recent: counts.recent,
      byProvider: mbbRows.map(([g], j) => ({
        key: String(g),
        label: provLabel(g),
        series: mbbProv.rowTotals![j]!,
        converted: mbbProv.cells[j]![0]!,
        rate: proportion(privacy, mbbProv.cells[j]![0]!, mbbProv.rowTotals![j]!),
      })),
    },
    canList: ctx.user?.role === 'admin' || isPhysician(ctx.user),
    updating: p.updating,
  };
}

/** Per-provider rows, sorted by id; for a physician their own row and everyone else combined (key -1). */
function providerRowsOf<V extends Record<string, number>>(m: Map<number, V>, own: number | null): Array<[number, V]> {
  const rows = [...m.entries()].sort((a, b) => a[0] - b[0]);
  if (own === null) return rows;
  const mine = rows.filter(([g]) => g === own);
  const others = rows.filter(([g]) => g !== own);
  if (!others.length) return mine;
  const merged = {} as Record<string, number>;
  for (const [, v] of others) for (const [k, x] of Object.entries(v)) merged[k] = (merged[k] ?? 0) + x;
  return [...mine, [-1, merged as V]];
}

// ---- flagged episodes (patient-level) ------------------------------------------------------------

export type FlaggedInput = { filters: OutcomeFilters; limit: number; cursor?: { date: string; episodeId: number } | null | undefined };
export type FlaggedEpisodes = {
  rows: Array<{
    episodeId: number;
    patientId: number;
    indexDate: string;
    provider: string;
    site: string;
    region: string;
    /** The flagged session's date and the ESI sessions of the region within the 365 days ending on it. */
    flaggedOn: string;
    sessionsInWindow: number;
    windowDates: string[];
  }>;
  total: number;
  next: { date: string; episodeId: number } | null;
};

export function flaggedEpisodes(ctx: Ctx, input: FlaggedInput): FlaggedEpisodes {
  const p = prepare(ctx, input.filters);
  const own = ownProvider(ctx);
  if (ctx.user?.role !== 'admin' && own === null) throw new DomainError('FORBIDDEN', 'You do not have access to patient records.');
  const s = p.store;
  // One row per episode: its latest flagged session (lines come newest first).
  const seen = new Set<number>();
  const all: number[] = [];
  for (const i of flaggedLines(s, p.c, CATS.esi)) {
    const e = s.episode[i]!;
    if (seen.has(e)) continue;
    if (own !== null && s.epProvider[e] !== own) continue;
    seen.add(e);
    all.push(i);
  }
  const after = input.cursor ?? null;
  const start = after
    ? all.findIndex((i) => {
        const d = daysToIso(s.day[i]!);
        return d < after.date || (d === after.date && s.episode[i]! < after.episodeId);
      })
    : 0;
  const page = start < 0 ? [] : all.slice(start, start + input.limit);
  const rows = page.map((i) => {
    const e = s.episode[i]!;
    const pStart = s.patientStart[s.patient[i]!]!;
    const pEnd = pStart + s.patientCount[s.patient[i]!]!;
    const windowDates: string[] = [];
    for (let j = pStart; j < pEnd; j++) {
      if (s.head[j] && s.category[j] === CATS.esi && s.region[j] === s.region[i] && s.day[j]! <= s.day[i]! && s.day[j]! >= s.day[i]! - (ROLLING_DAYS - 1)) {
        windowDates.push(daysToIso(s.day[j]!));
      }
    }
    return {
      episodeId: e,
      patientId: s.patient[i]!,
      indexDate: daysToIso(s.epDay[e]!),
      provider: p.names.providers.get(s.epProvider[e]!) ?? `Provider ${s.epProvider[e]}`,
      site: p.names.sites.get(s.site[i]!) ?? `Site ${s.site[i]}`,
      region: regionLabel(s.region[i]!),
      flaggedOn: daysToIso(s.day[i]!),
      sessionsInWindow: s.esiInWindow[i]!,
      windowDates,
    };
  });
  auditPatientRead(ctx, 'operations.flaggedEpisodes', [...new Set(rows.map((r) => r.patientId))]);
  const lastRow = rows.at(-1);
  const more = start >= 0 && start + input.limit < all.length;
  return { rows, total: all.length, next: more && lastRow ? { date: lastRow.flaggedOn, episodeId: lastRow.episodeId } : null };
}

// ---- follow-up completion and the comparison table ----------------------------------------------------

export type FollowUpInput = {
  filters: OutcomeFilters;
  measure: string;
  window: FollowUpWindow;
  definition: FlagName;
  by: 'provider' | 'site';
  period: 'month' | 'quarter';
};

type PartsTable = {
  groups: number[];
  buckets: number[];
  /** Masked parts per (group, bucket) row, in groups x buckets order, with the row totals (episodes). */
  cells: Count[][];
  totals: Count[];
};

/**
 * The one masked table behind every follow-up and responder figure of a
 * request: rows are group x index-date bucket, columns the five parts of
 * PARTS. Per-group figures and the comparison table are sums of its shown
 * cells (withheld when any part is), so no response gives back a cell
 * another withheld.
 */
function partsTable(ctx: Ctx, p: Prepared, input: FollowUpInput): PartsTable {
  const defs = currentDefinitions(ctx.db).windows;
  const w = FOLLOW_UP_WINDOW_NAMES.indexOf(input.window);
  const own = ownProvider(ctx);
  const s = p.store;
  const group = input.by === 'provider' ? (id: number) => (own !== null && s.epProvider[id] !== own ? -1 : s.epProvider[id]!) : (id: number) => s.epSite[id]!;
  const parts = followUpParts(s, p.c, {
    measure: input.measure,
    window: w,
    windowEnd: defs[input.window].to,
    flag: FLAG_NAMES.indexOf(input.definition),
    asOf: p.asOf,
    group,
    period: input.period,
  });
  const groups = new Set<number>();
  const buckets = new Set<number>();
  for (const key of parts.keys()) {
    const [g, b] = key.split(':').map(Number);
    groups.add(g!);
    buckets.add(b!);
  }
  const gs = [...groups].sort((a, b) => a - b);
  const bs = [...buckets].sort((a, b) => a - b);
  if (!gs.length) return { groups: [], buckets: [], cells: [], totals: [] };
  const raw = gs.flatMap((g) => bs.map((b) => [...(parts.get(`${g}:${b}`) ?? new Int32Array(PARTS.length))]));
  const masked = privacyFor(ctx).table({ cells: raw, rowTotals: true });
  return { groups: gs, buckets: bs, cells: masked.cells, totals: masked.rowTotals! };
}

const partsCache = new WeakMap<object, { key: string; table: PartsTable }>();

function partsFor(ctx: Ctx, p: Prepared, input: FollowUpInput): PartsTable {
  const key = JSON.stringify([p.store.version, ctx.user?.role, ctx.user?.providerId, ctx.privacy.smallCellThreshold, Math.floor(ctx.now() / 86_400_000), input]);
  const hit = partsCache.get(p.store);
  if (hit && hit.key === key) return hit.table;
  const table = partsTable(ctx, p, input);
  partsCache.set(p.store, { key, table });
  return table;
}

type Sums = { episodes: Count; withBaseline: Count; eligible: Count; scored: Count; responders: Count };

function sumsOf(rows: Count[][], totals: Count[]): Sums {
  const col = (j: number) => sumShown(rows.map((r) => r[j]!));
  const parts = PARTS.map((_, j) => col(j));
  const [, notDue, missing, non, resp] = parts;
  return {
    episodes: sumShown(totals),
    withBaseline: sumShown([notDue!, missing!, non!, resp!]),
    eligible: sumShown([missing!, non!, resp!]),
    scored: sumShown([non!, resp!]),
    responders: resp!,
  };
}

export type FollowUp = {
  by: 'provider' | 'site';
  window: FollowUpWindow;
  measure: string;
  asOf: string;
  buckets: Array<{ key: number; label: string }>;
  groups: Array<{
    key: string;
    label: string;
    episodes: Count;
    baseline: ProportionFigure;
    completion: ProportionFigure;
    series: Array<{ bucket: string; episodes: Count; baseline: ProportionFigure; completion: ProportionFigure }>;
  }>;
  updating: boolean;
};

function groupName(p: Prepared, by: 'provider' | 'site', g: number): { key: string; label: string } {
  if (g === -1) return { key: OTHERS, label: 'Other providers (combined)' };
  return by === 'provider' ? { key: String(g), label: p.names.providers.get(g) ?? `Provider ${g}` } : { key: String(g), label: p.names.sites.get(g) ?? `Site ${g}` };
}

/** Follow-up completion per provider or site, overall and per index-date bucket. */
export function followUp(ctx: Ctx, input: FollowUpInput): FollowUp {
  const p = prepare(ctx, input.filters);
  const t = partsFor(ctx, p, input);
  const privacy = privacyFor(ctx);
  const nb = t.buckets.length;
  return {
    by: input.by,
    window: input.window,
    measure: input.measure,
    asOf: daysToIso(p.asOf),
    buckets: t.buckets.map((b) => ({ key: b, label: bucketLabel(input.period, b) })),
    groups: t.groups.map((g, gi) => {
      const rows = t.cells.slice(gi * nb, (gi + 1) * nb);
      const totals = t.totals.slice(gi * nb, (gi + 1) * nb);
      const all = sumsOf(rows, totals);
      return {
        ...groupName(p, input.by, g),
        episodes: all.episodes,
        baseline: proportion(privacy, all.withBaseline, all.episodes),
        completion: proportion(privacy, all.scored, all.eligible),
        series: t.buckets.map((b, bi) => {
          const one = sumsOf([rows[bi]!], [totals[bi]!]);
          return {
            bucket: bucketLabel(input.period, b),
            episodes: one.episodes,
            baseline: proportion(privacy, one.withBaseline, one.episodes),
            completion: proportion(privacy, one.scored, one.eligible),
          };
        }),
      };
    }),
    updating: p.updating,
  };
}

export type ComparisonRow = {
  key: string;
  label: string;
  sessions: Count;
  /** Share of the group's sessions per procedure type (the largest first). */
  mix: Array<{ category: string; label: string; sessions: Count; share: number | null }>;
  episodes: Count;
  baseline: ProportionFigure;
  completion: ProportionFigure;
  responders: ProportionFigure;
};
export type Comparison = { by: 'provider' | 'site'; window: FollowUpWindow; measure: string; definition: FlagName; rows: ComparisonRow[]; practice: ComparisonRow; updating: boolean };

/** The provider or site comparison table: volume, mix, follow-up completion and responder rate with its Wilson interval. */
export function comparison(ctx: Ctx, input: FollowUpInput): Comparison {
  const p = prepare(ctx, input.filters);
  const t = partsFor(ctx, p, input);
  const outcomePrivacy = privacyFor(ctx);
  const vp = volumePrivacy(ctx);
  const own = ownProvider(ctx);
  const nb = t.buckets.length;
  const rawMix = sessionMix(p.store, p.c, input.by);
  if (own !== null && input.by === 'provider') {
    const merged = new Map<number, number>();
    for (const [g, m] of rawMix) {
      if (g === own) continue;
      for (const [c, k] of m) merged.set(c, (merged.get(c) ?? 0) + k);
      rawMix.delete(g);
    }
    if (merged.size) rawMix.set(-1, merged);
  }
  const groups = [...new Set([...t.groups, ...rawMix.keys()])].sort((a, b) => a - b);
  const cats = [...new Set([...rawMix.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const volume = groups.length && cats.length ? vp.table({ cells: groups.map((g) => cats.map((c) => rawMix.get(g)?.get(c) ?? 0)), rowTotals: true, colTotals: true, grandTotal: true }) : null;
  const mixOf = (cells: Count[], total: Count) =>
    cats
      .map((c, j) => ({ category: TREATMENT_CATEGORIES[c]!, label: categoryLabel(TREATMENT_CATEGORIES[c]!), sessions: cells[j]!, share: rate(cells[j]!, total) }))
      .sort((a, b) => (isShown(b.sessions) ? b.sessions : 0) - (isShown(a.sessions) ? a.sessions : 0));
  const rowOf = (key: { key: string; label: string }, sessions: Count, mixCells: Count[], sums: Sums): ComparisonRow => ({
    ...key,
    sessions,
    mix: mixOf(mixCells, sessions),
    episodes: sums.episodes,
    baseline: proportion(outcomePrivacy, sums.withBaseline, sums.episodes),
    completion: proportion(outcomePrivacy, sums.scored, sums.eligible),
    responders: proportion(outcomePrivacy, sums.responders, sums.scored),
  });
  const rows = groups.map((g, gi) => {
    const ti = t.groups.indexOf(g);
    const sums: Sums =
      ti >= 0
        ? sumsOf(t.cells.slice(ti * nb, (ti + 1) * nb), t.totals.slice(ti * nb, (ti + 1) * nb))
        : { episodes: 0, withBaseline: 0, eligible: 0, scored: 0, responders: 0 };
    return rowOf(groupName(p, input.by, g), volume ? volume.rowTotals![gi]! : 0, volume ? volume.cells[gi]! : [], sums);
  });
  const practice = rowOf({ key: 'practice', label: 'Whole practice' }, volume ? volume.grandTotal! : 0, volume ? volume.colTotals! : [], sumsOf(t.cells, t.totals));
  return { by: input.by, window: input.window, measure: input.measure, definition: input.definition, rows, practice, updating: p.updating };
}

/** For the bench and tests: the store, synced. */
export function storeOf(db: Db): OperationsStore {
  return operationsStore(db);
}
