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
import { CPT_FAMILIES, FOLLOW_UP_WINDOW_NAMES, REGIONS, TREATMENT_CATEGORIES, type FollowUpWindow, type Measure } from '../../../db/schema/vocabulary.ts';
import type { ContextInner } from '../../context.ts';
import { auditPatientRead, isPhysician } from '../../auth/scope.ts';
import { privacyFor, type Privacy } from '../../auth/privacy.ts';
import { COMPLEMENTARY_DISPLAY, isShown, rate, type Count } from '../../auth/suppression.ts';
import { audit } from '../../auth/log.ts';
import { toCsv, type CsvColumn } from '../../domain/csv.ts';
import { daysToIso, parseIsoDate } from '../../domain/dates.ts';
import { DomainError } from '../../errors.ts';
import { proportion, type ProportionFigure } from '../outcomes/figures.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import { categoryLabel, codeLabel, loadNames, type Names } from '../outcomes/labels.ts';
import { currentDefinitions } from '../outcomes/query.ts';
import { MaskedTable, type PublishedSum } from '../outcomes/masking.ts';
import { outcomesPending } from '../outcomes/refresh.ts';
import { bucketLabel, bucketStart, quantilesOfCounts, PARTS, YEAR_LAG, type Period, type Unit, type VolumeGrouping } from './aggregate.ts';
import { ESI_SESSIONS_ALLOWED, ROLLING_DAYS } from './rules.ts';
import type { FlagName } from './store.ts';
import type { GroupKey } from './tasks.ts';

export type Ctx = Pick<ContextInner, 'db' | 'user' | 'privacy' | 'now' | 'ip' | 'secrets' | 'analytics'>;

/** At most this many named groups in a series (the rest are "Other"). */
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


// ---- context ---------------------------------------------------------------------------

type Prepared = { names: Names; asOf: number; updating: boolean };

function prepare(ctx: Ctx, f: OutcomeFilters): Prepared {
  assertProviderFilter(ctx, f);
  return { names: loadNames(ctx.db), asOf: Math.floor(ctx.now() / 86_400_000), updating: !outcomesPending(ctx.db).consistent };
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

function groupLabel(p: Prepared, by: VolumeGrouping, key: GroupKey): { key: string; label: string } {
  switch (by) {
    case 'none':
      return { key: 'all', label: 'All procedures' };
    case 'family': {
      const name = String(key);
      const label = name === 'other' ? 'Other codes' : name === 'none' ? 'No code recorded' : CPT_FAMILIES[name as keyof typeof CPT_FAMILIES].label;
      return { key: name, label };
    }
    case 'code':
      return { key: String(key), label: key === 'none' ? 'No code recorded' : codeLabel(String(key)) };
    case 'category':
      return { key: String(key), label: categoryLabel(String(key)) };
    case 'provider':
      return { key: String(key), label: p.names.providers.get(Number(key)) ?? `Provider ${key}` };
    case 'site':
      return { key: String(key), label: p.names.sites.get(Number(key)) ?? `Site ${key}` };
    case 'care_path':
      return { key: String(key), label: `${PATH_LABELS[key === 'interventional' ? 0 : 1]} episodes` };
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

/** The codes the CPT filter offers: every code on a procedure line, with its description. Not patient data: no counts. */
export async function codeOptions(ctx: Ctx): Promise<Array<{ value: string; label: string }>> {
  const codes = await ctx.analytics.runTask('operations.codes', {});
  return codes.map((value) => ({ value, label: codeLabel(value) }));
}

export async function volume(ctx: Ctx, input: VolumeInput): Promise<VolumeSeries> {
  const p = prepare(ctx, input.filters);
  const v = await ctx.analytics.runTask('operations.volume', { filters: input.filters, period: input.period, by: input.by, unit: input.unit });
  const range = v.range;
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
  const width = v.last - v.first + 1;
  // Named groups: the largest MAX_GROUPS; a physician's figures by provider: their own and everyone else combined.
  const own = ownProvider(ctx);
  const entries = v.groups.map((g) => ({ g: g.key, counts: g.counts, total: g.counts.reduce((a, b) => a + b, 0) }));
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
  const rows: Array<{ key: string; label: string; counts: number[] }> = named.map((e) => ({ ...groupLabel(p, input.by, e.g), counts: e.counts }));
  if (rest.length) {
    const counts = new Array<number>(width).fill(0);
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

export async function calendar(ctx: Ctx, input: CalendarInput): Promise<Calendar> {
  const p = prepare(ctx, input.filters);
  const c = await ctx.analytics.runTask('operations.calendar', { filters: input.filters, year: input.year });
  if (c.year === null) return { year: null, years: [], days: [], max: 0, total: null, updating: p.updating };
  const line = volumePrivacy(ctx).line(c.counts, { total: true });
  let max = 0;
  for (const x of line.cells) if (isShown(x) && x > max) max = x;
  return {
    year: c.year,
    years: c.years,
    days: line.cells.map((count, i) => ({ date: daysToIso(c.fromDay + i), weekday: (((c.fromDay + i + 3) % 7) + 7) % 7, count })),
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
export async function movers(ctx: Ctx, input: MoversInput): Promise<Movers> {
  const p = prepare(ctx, input.filters);
  const m = await ctx.analytics.runTask('operations.movers', { filters: input.filters, period: input.period, unit: input.unit });
  if (m.last === null) return { period: input.period, current: null, previous: null, yearBefore: null, movers: [], updating: p.updating };
  const privacy = volumePrivacy(ctx);
  const own = ownProvider(ctx);
  const out: Mover[] = [];
  for (const { by, rows } of m.groups) {
    for (const r of rows) {
      if (by === 'provider' && own !== null && r.key !== own) continue;
      const x = privacy.independent({ current: r.current, previous: r.previous, yearBefore: r.yearBefore });
      const shown = isShown(x.current) && isShown(x.previous);
      out.push({
        by,
        ...groupLabel(p, by, r.key),
        current: x.current,
        previous: x.previous,
        yearBefore: x.yearBefore,
        change: shown ? (x.current as number) - (x.previous as number) : null,
        relative: shown && x.previous !== 0 ? ((x.current as number) - (x.previous as number)) / (x.previous as number) : null,
      });
    }
  }
  // Largest absolute changes first, per grouping; the page shows the top few of each.
  const order = ['code', 'provider', 'site', 'category'];
  out.sort((a, b) => order.indexOf(a.by) - order.indexOf(b.by) || Math.abs(b.change ?? 0) - Math.abs(a.change ?? 0) || a.label.localeCompare(b.label));
  return {
    period: input.period,
    current: bucketLabel(input.period, m.last),
    previous: bucketLabel(input.period, m.last - 1),
    yearBefore: bucketLabel(input.period, m.last - YEAR_LAG[input.period]),
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
export async function mix(ctx: Ctx, input: MixInput): Promise<Mix> {
  const p = prepare(ctx, input.filters);
  const m = await ctx.analytics.runTask('operations.mix', { filters: input.filters, period: input.period });
  if (!m) return { period: input.period, buckets: [], updating: p.updating };
  const privacy = volumePrivacy(ctx);
  const width = m.last - m.first + 1;
  const masked = privacy.table({ cells: Array.from({ length: width }, (_, b) => [m.interventional[b]!, m.conservative[b]!]), rowTotals: true });
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

export async function repeats(ctx: Ctx, input: RepeatsInput): Promise<Repeats> {
  const p = prepare(ctx, input.filters);
  const r = await ctx.analytics.runTask('operations.repeats', { filters: input.filters, asOf: p.asOf });
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

/** The flagged list's rows (newest first) from `cursor` on, at most `limit`: the page and the CSV download share it. */
async function flaggedRows(ctx: Ctx, input: FlaggedInput): Promise<{ rows: FlaggedEpisodes['rows']; total: number; more: boolean }> {
  const p = prepare(ctx, input.filters);
  const own = ownProvider(ctx);
  if (ctx.user?.role !== 'admin' && own === null) throw new DomainError('FORBIDDEN', 'You do not have access to patient records.');
  const cursor = input.cursor ? { day: parseIsoDate(input.cursor.date)!, episodeId: input.cursor.episodeId } : null;
  const f = await ctx.analytics.runTask('operations.flagged', { filters: input.filters, own, limit: input.limit, cursor });
  const rows = f.rows.map((x) => ({
    episodeId: x.episodeId,
    patientId: x.patientId,
    indexDate: daysToIso(x.indexDay),
    provider: p.names.providers.get(x.providerId) ?? `Provider ${x.providerId}`,
    site: p.names.sites.get(x.siteId) ?? `Site ${x.siteId}`,
    region: regionLabel(x.region),
    flaggedOn: daysToIso(x.day),
    sessionsInWindow: x.inWindow,
    windowDates: x.windowDays.map(daysToIso),
  }));
  return { rows, total: f.total, more: f.more };
}

export async function flaggedEpisodes(ctx: Ctx, input: FlaggedInput): Promise<FlaggedEpisodes> {
  const { rows, total, more } = await flaggedRows(ctx, input);
  auditPatientRead(ctx, 'operations.flaggedEpisodes', [...new Set(rows.map((r) => r.patientId))]);
  const lastRow = rows.at(-1);
  return { rows, total, next: more && lastRow ? { date: lastRow.flaggedOn, episodeId: lastRow.episodeId } : null };
}

/** The most rows one CSV download of the flagged list carries (the page says when a list is longer). */
export const FLAGGED_CSV_MAX_ROWS = 100_000;

const FLAGGED_CSV: CsvColumn<FlaggedEpisodes['rows'][number]>[] = [
  { header: 'Episode id', value: (r) => r.episodeId },
  { header: 'Patient id', value: (r) => r.patientId },
  { header: 'Index date', value: (r) => r.indexDate },
  { header: 'Provider', value: (r) => r.provider },
  { header: 'Site', value: (r) => r.site },
  { header: 'Region', value: (r) => r.region },
  { header: 'Flagged session', value: (r) => r.flaggedOn },
  { header: 'ESI sessions in the 365 days ending on it', value: (r) => r.sessionsInWindow },
  { header: 'Session dates', value: (r) => r.windowDates.join(' ') },
];

export type FlaggedCsv = { csv: string; rows: number; total: number };

/**
 * The whole flagged list (up to FLAGGED_CSV_MAX_ROWS) as one formula-safe CSV
 * file, for the episodes the caller may see. It carries dates and record ids
 * (a limited data set), so the download is audited as an identified export:
 * how many rows and which patients (ids), never a value.
 */
export async function flaggedEpisodesCsv(ctx: Ctx, input: { filters: OutcomeFilters }): Promise<FlaggedCsv> {
  const { rows, total } = await flaggedRows(ctx, { filters: input.filters, limit: FLAGGED_CSV_MAX_ROWS, cursor: null });
  const patients = [...new Set(rows.map((r) => r.patientId))];
  audit(ctx, {
    action: 'export.identified',
    outcome: 'success',
    target: 'operations.flaggedEpisodes',
    detail: { format: 'csv', rows: rows.length, total, patients: patients.length, patientIds: patients.slice(0, 500) },
  });
  return { csv: toCsv(FLAGGED_CSV, rows), rows: rows.length, total };
}

// ---- follow-up completion and the comparison table ----------------------------------------------------

export type FollowUpInput = {
  filters: OutcomeFilters;
  measure: Measure;
  window: FollowUpWindow;
  definition: FlagName;
  by: 'provider' | 'site';
  period: 'month' | 'quarter';
};

type GroupParts = { group: number; table: MaskedTable };
type PartsTable = { buckets: number[]; groups: GroupParts[] };

/** Columns of the parts table (PARTS order) that make each published sum. */
const WITH_BASELINE = [1, 2, 3, 4];
const ELIGIBLE = [2, 3, 4];
const SCORED = [3, 4];
const RESPONDERS = [4];
/**
 * The published counts are nested (episodes ⊇ with a baseline ⊇ due ⊇ scored ⊇
 * responders), so the difference of any two is a run of adjacent parts: every
 * such run is declared, and none of 1..T-1 may be worked out.
 */
const PUBLISHED: PublishedSum[] = PARTS.flatMap((_, a) =>
  PARTS.slice(a).flatMap((__, k) => {
    const cols = Array.from({ length: k + 1 }, (___, j) => a + j);
    return [
      { rows: 'each' as const, cols },
      { rows: 'all' as const, cols },
    ];
  }),
);

/**
 * The masked tables behind every follow-up and responder figure of a request:
 * per provider or site, index buckets (rows) by the five PARTS (columns), with
 * their margins, masked as one with the sums the responses publish declared
 * (outcomes/masking.ts: a sum is shown only when it follows from what is
 * shown and is not a small count; more cells are withheld until none is).
 * followUp and comparison ask with the same input, so they publish the same
 * masks. Groups share no cell; the practice row is the sum of the groups'
 * figures, shown only when all of them are.
 */
async function partsTable(ctx: Ctx, p: Prepared, input: FollowUpInput): Promise<PartsTable> {
  const defs = currentDefinitions(ctx.db).windows;
  const raw = await ctx.analytics.runTask('operations.parts', {
    filters: input.filters,
    measure: input.measure,
    window: FOLLOW_UP_WINDOW_NAMES.indexOf(input.window),
    windowEnd: defs[input.window].to,
    flag: input.definition,
    asOf: p.asOf,
    by: input.by,
    own: ownProvider(ctx),
    period: input.period,
  });
  const gs = [...new Set(raw.map((r) => r.group))].sort((a, b) => a - b);
  const bs = [...new Set(raw.map((r) => r.bucket))].sort((a, b) => a - b);
  const at = new Map(raw.map((r) => [`${r.group}:${r.bucket}`, r.parts]));
  const privacy = privacyFor(ctx);
  return {
    buckets: bs,
    groups: gs.map((g) => ({
      group: g,
      table: new MaskedTable(
        privacy,
        bs.map((b) => at.get(`${g}:${b}`) ?? new Array<number>(PARTS.length).fill(0)),
        PARTS.length,
        PUBLISHED,
      ),
    })),
  };
}

type Sums = { episodes: Count; withBaseline: Count; eligible: Count; scored: Count; responders: Count };

/** A withheld sum: not known to be small, so marked as a complementary withholding. */
const WITHHELD: Count = { suppressed: 'complementary', display: COMPLEMENTARY_DISPLAY };
const sumOrWithheld = (cells: readonly Count[]): Count => (cells.every(isShown) ? cells.reduce<number>((a, c) => a + (c as number), 0) : WITHHELD);

/** One bucket's figures (row i), or the group's over every bucket (row null). */
function sumsOf(t: MaskedTable, i: number | null): Sums {
  if (i === null) {
    return { episodes: t.grandTotal(), withBaseline: t.totalSum(WITH_BASELINE), eligible: t.totalSum(ELIGIBLE), scored: t.totalSum(SCORED), responders: t.totalSum(RESPONDERS) };
  }
  return { episodes: t.rowTotal(i), withBaseline: t.sum(i, WITH_BASELINE), eligible: t.sum(i, ELIGIBLE), scored: t.sum(i, SCORED), responders: t.cell(i, 4) };
}

/** The practice's figures: the sum of every group's (withheld unless all are shown). */
function practiceSums(t: PartsTable): Sums {
  const all = t.groups.map((g) => sumsOf(g.table, null));
  const sum = (k: keyof Sums) => sumOrWithheld(all.map((x) => x[k]));
  return { episodes: sum('episodes'), withBaseline: sum('withBaseline'), eligible: sum('eligible'), scored: sum('scored'), responders: sum('responders') };
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
export async function followUp(ctx: Ctx, input: FollowUpInput): Promise<FollowUp> {
  const p = prepare(ctx, input.filters);
  const t = await partsTable(ctx, p, input);
  const privacy = privacyFor(ctx);
  return {
    by: input.by,
    window: input.window,
    measure: input.measure,
    asOf: daysToIso(p.asOf),
    buckets: t.buckets.map((b) => ({ key: b, label: bucketLabel(input.period, b) })),
    groups: t.groups.map((g) => {
      const all = sumsOf(g.table, null);
      return {
        ...groupName(p, input.by, g.group),
        episodes: all.episodes,
        baseline: proportion(privacy, all.withBaseline, all.episodes),
        completion: proportion(privacy, all.scored, all.eligible),
        series: t.buckets.map((b, bi) => {
          const one = sumsOf(g.table, bi);
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
export async function comparison(ctx: Ctx, input: FollowUpInput): Promise<Comparison> {
  const p = prepare(ctx, input.filters);
  const [t, mixRows] = await Promise.all([partsTable(ctx, p, input), ctx.analytics.runTask('operations.mixByGroup', { filters: input.filters, by: input.by })]);
  const outcomePrivacy = privacyFor(ctx);
  const vp = volumePrivacy(ctx);
  const own = ownProvider(ctx);
  const rawMix = new Map(mixRows.map((r) => [r.group, new Map(r.categories)]));
  if (own !== null && input.by === 'provider') {
    const merged = new Map<number, number>();
    for (const [g, m] of rawMix) {
      if (g === own) continue;
      for (const [c, k] of m) merged.set(c, (merged.get(c) ?? 0) + k);
      rawMix.delete(g);
    }
    if (merged.size) rawMix.set(-1, merged);
  }
  const groups = [...new Set([...t.groups.map((g) => g.group), ...rawMix.keys()])].sort((a, b) => a - b);
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
    const parts = t.groups.find((x) => x.group === g);
    const sums: Sums = parts ? sumsOf(parts.table, null) : { episodes: 0, withBaseline: 0, eligible: 0, scored: 0, responders: 0 };
    return rowOf(groupName(p, input.by, g), volume ? volume.rowTotals![gi]! : 0, volume ? volume.cells[gi]! : [], sums);
  });
  const practice = rowOf({ key: 'practice', label: 'Whole practice' }, volume ? volume.grandTotal! : 0, volume ? volume.colTotals! : [], practiceSums(t));
  return { by: input.by, window: input.window, measure: input.measure, definition: input.definition, rows, practice, updating: p.updating };
}

