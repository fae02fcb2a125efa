/**
 * The Operations page's filters, inputs and pure mappers from router outputs
 * to chart rows, table rows and CSV columns. No React; tested in
 * tests/client/operations.test.ts.
 */
import type { UseQueryResult } from '@tanstack/react-query';
import type { TRPCClientErrorLike } from '@trpc/client';
import type { AppRouter, RouterInputs, RouterOutputs } from '../../../server/routers/_app.ts';
import type { CsvColumn } from '../../../server/domain/csv.ts';
import { PRACTICE_FILTERS } from './filters.ts';
import { formatMaskedCount, formatPercent } from './format.ts';
import { defineFilters, oneOf, type FilterField, type FilterValues } from './url-filters.ts';

export type Volume = RouterOutputs['operations']['volume'];
export type CalendarData = RouterOutputs['operations']['calendar'];
export type Movers = RouterOutputs['operations']['movers'];
export type Mix = RouterOutputs['operations']['mix'];
export type Repeats = RouterOutputs['operations']['repeats'];
export type Flagged = RouterOutputs['operations']['flaggedEpisodes'];
export type FollowUp = RouterOutputs['operations']['followUp'];
export type Comparison = RouterOutputs['operations']['comparison'];
export type ComparisonRow = Comparison['rows'][number];
export type OpsFiltersInput = NonNullable<Exclude<RouterInputs['operations']['repeats'], undefined | void>['filters']>;
export type Count = Volume['totals'][number];
export type Proportion = Comparison['practice']['responders'];
/** A query of this page, as the sections receive it. */
export type OpsQuery<T> = UseQueryResult<T, TRPCClientErrorLike<AppRouter>>;

export const PERIODS = ['day', 'week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];
export const PERIOD_LABELS: Record<Period, string> = { day: 'Day', week: 'Week', month: 'Month', quarter: 'Quarter' };
export const VOLUME_GROUPINGS = ['family', 'code', 'category', 'provider', 'site', 'care_path', 'none'] as const;
export type VolumeGrouping = (typeof VOLUME_GROUPINGS)[number];
export const GROUPING_LABELS: Record<VolumeGrouping, string> = {
  family: 'CPT family',
  code: 'CPT code',
  category: 'Procedure type',
  provider: 'Provider',
  site: 'Site',
  care_path: 'Care path',
  none: 'No split (total)',
};
export const UNITS = ['sessions', 'lines'] as const;
export type Unit = (typeof UNITS)[number];
export const UNIT_LABELS: Record<Unit, string> = { sessions: 'Sessions', lines: 'CPT lines' };
export const VIEWS = ['stacked', 'split'] as const;
export const COMPARE_BY = ['provider', 'site'] as const;
export const OPS_DEFINITIONS = ['pct30', 'pct50', 'mcid', 'pain_free'] as const;
export type OpsDefinition = (typeof OPS_DEFINITIONS)[number];
export const OPS_MEASURES = ['pain_nrs', 'odi', 'promis_pi', 'promis_pf'] as const;

/** CPT / HCPCS codes, comma-separated in the URL; empty means all. */
function codeList(max = 50): FilterField<string[]> {
  const shape = /^(?:[0-9]{4}[0-9FTU]|[A-V][0-9]{4})$/;
  return {
    defaultValue: [],
    parse: (raw) => {
      const codes = [...new Set(raw.flatMap((r) => r.split(',')).map((s) => s.trim().toUpperCase()).filter((s) => shape.test(s)))].sort().slice(0, max);
      return codes.length ? codes : undefined;
    },
    serialise: (v) => [...v].sort().join(','),
    equals: (a, b) => a.length === b.length && a.every((x, i) => x === b[i]),
  };
}

function year(): FilterField<number> {
  return {
    defaultValue: 0,
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      return last && /^(19|20|21)[0-9]{2}$/.test(last) ? Number(last) : undefined;
    },
    serialise: (v) => (v ? String(v) : ''),
    equals: (a, b) => a === b,
  };
}

/** The shared practice filters plus the Operations page's own (they stay on this page). */
export const OPERATIONS_FILTERS = defineFilters(
  {
    ...PRACTICE_FILTERS.fields,
    code: codeList(),
    period: oneOf(PERIODS, 'month'),
    by: oneOf(VOLUME_GROUPINGS, 'family'),
    unit: oneOf(UNITS, 'sessions'),
    view: oneOf(VIEWS, 'stacked'),
    /** The calendar's year; 0: the latest year in the range. */
    year: year(),
    compare: oneOf(COMPARE_BY, 'provider'),
    definition: oneOf(OPS_DEFINITIONS, 'pct30'),
  },
  {
    normalise: (v) => {
      const practice = PRACTICE_FILTERS.normalise(v);
      // Opioid MME has no follow-up survey of its own here: completion is about outcome surveys.
      const measure = (OPS_MEASURES as readonly string[]).includes(practice.measure) ? practice.measure : 'pain_nrs';
      // Responder definitions other than the MCID exist for pain only (domain.md).
      const definition = measure === 'pain_nrs' ? v.definition : 'mcid';
      return { ...v, ...practice, measure, definition };
    },
  },
);
export type OperationsPageFilters = FilterValues<typeof OPERATIONS_FILTERS.fields>;

export function opsFilters(f: OperationsPageFilters): OpsFiltersInput {
  return { carePath: f.carePath, conditions: f.condition, categories: f.category, codes: f.code, providers: f.provider, sites: f.site, from: f.from, to: f.to };
}

export function followUpInput(f: OperationsPageFilters) {
  return {
    filters: opsFilters(f),
    measure: f.measure as (typeof OPS_MEASURES)[number],
    window: f.window,
    definition: f.definition,
    by: f.compare,
    // Quarters: monthly completion per provider is too noisy to read as a trend.
    period: 'quarter' as const,
  };
}

// ---- numbers ------------------------------------------------------------------------------

export const countText = (c: Count | null | undefined): string => (c === null || c === undefined ? '—' : formatMaskedCount(c));
export const shown = (c: Count | null | undefined): c is number => typeof c === 'number';
export const countValue = (c: Count | null | undefined): number | null => (shown(c) ? c : null);

export function changeText(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  const s = formatPercent(Math.abs(x), Math.abs(x) < 0.1 ? 1 : 0);
  return x > 0 ? `+${s}` : x < 0 ? `\u2212${s}` : s;
}

export function rateText(p: Proportion | null | undefined): string {
  return p && p.p !== null ? formatPercent(p.p) : '—';
}

export function rateCiText(p: Proportion | null | undefined): string {
  if (!p || p.lower === null || p.upper === null) return '—';
  return `${formatPercent(p.lower)} to ${formatPercent(p.upper)}`;
}

// ---- chart rows ---------------------------------------------------------------------------

/** One row per bucket: `g0`, `g1`... the groups' counts (null when withheld), the total and the changes. */
export type VolumeRow = { label: string; start: string; total: number | null; periodChange: number | null; yearChange: number | null; [group: `g${number}`]: number | null };

export function volumeRows(v: Volume): VolumeRow[] {
  return v.buckets.map((b, i) => {
    const row: VolumeRow = { label: b.label, start: b.start, total: countValue(v.totals[i]), periodChange: v.periodChange[i] ?? null, yearChange: v.yearChange[i] ?? null };
    v.groups.forEach((g, j) => {
      row[`g${j}`] = countValue(g.counts[i]);
    });
    return row;
  });
}

export const volumeCsv = (v: Volume): CsvColumn<VolumeRow>[] => [
  { header: 'Period start', value: (r) => r.start },
  { header: 'Period', value: (r) => r.label },
  ...v.groups.map((g, j) => ({ header: g.label, value: (r: VolumeRow) => r[`g${j}`] ?? maskedOf(g.counts[v.buckets.findIndex((b) => b.label === r.label)]) })),
  { header: 'Total', value: (r) => r.total ?? maskedOf(v.totals[v.buckets.findIndex((b) => b.label === r.label)]) },
  { header: 'Change from previous period', value: (r) => r.periodChange },
  { header: 'Change from a year before', value: (r) => r.yearChange },
];

/** A withheld count in a CSV: its marker ("<11"), never the number. */
const maskedOf = (c: Count | undefined): string | null => (c !== undefined && !shown(c) ? c.display : null);

/** The calendar as weeks (columns) of seven days (rows, Monday first), for the heatmap. */
export type CalendarCell = { date: string; week: number; weekday: number; count: number | null; display: string; level: number };

export function calendarCells(c: CalendarData): CalendarCell[] {
  if (!c.days.length) return [];
  const offset = c.days[0]!.weekday;
  return c.days.map((d, i) => {
    const count = countValue(d.count);
    return {
      date: d.date,
      week: Math.floor((i + offset) / 7),
      weekday: d.weekday,
      count,
      display: countText(d.count),
      // Five shades by share of the busiest day; 0 for none, -1 for withheld.
      level: count === null ? -1 : count === 0 ? 0 : Math.min(4, Math.ceil((count / Math.max(1, c.max)) * 4)),
    };
  });
}

export type MixRow = { label: string; share: number | null; lower: number | null; upper: number | null; band: [number, number] | null; n: string };

export function mixRows(m: Mix): MixRow[] {
  return m.buckets.map((b) => ({
    label: b.label,
    share: b.share.p === null ? null : b.share.p * 100,
    lower: b.share.lower === null ? null : b.share.lower * 100,
    upper: b.share.upper === null ? null : b.share.upper * 100,
    band: b.share.lower === null || b.share.upper === null ? null : [b.share.lower * 100, b.share.upper * 100],
    n: countText(b.share.n),
  }));
}

export type MoverRow = Movers['movers'][number];

/** The top `n` movers of each grouping, largest absolute change first (the server's order). */
export function topMovers(m: Movers, n = 5): Record<MoverRow['by'], MoverRow[]> {
  const out: Record<MoverRow['by'], MoverRow[]> = { code: [], provider: [], site: [], category: [] };
  for (const x of m.movers) if (out[x.by].length < n) out[x.by].push(x);
  return out;
}

export type IntervalRow = { label: string; from: number; to: number | null; [category: string]: number | string | null };

/** Interval histogram: one row per 30-day bin, one column per procedure type (share of that type's intervals, %). */
export function intervalRows(r: Repeats): IntervalRow[] {
  const bins = r.byCategory[0]?.histogram ?? [];
  return bins.map((b, i) => {
    const row: IntervalRow = { label: b.to === null ? `>${b.from - 1}` : `${b.from}–${b.to}`, from: b.from, to: b.to };
    for (const c of r.byCategory) {
      const count = c.histogram[i]!.count;
      row[c.key] = shown(count) && shown(c.intervals) && c.intervals > 0 ? (count / c.intervals) * 100 : null;
    }
    return row;
  });
}

export type FollowUpRow = { bucket: string; [group: `g${number}`]: number | null };

/** Follow-up completion per bucket (rows) and group (columns g0, g1...), in %; null when withheld or none due. */
export function followUpRows(f: FollowUp): FollowUpRow[] {
  return f.buckets.map((b, i) => {
    const row: FollowUpRow = { bucket: b.label };
    f.groups.forEach((g, j) => {
      const p = g.series[i]?.completion.p;
      row[`g${j}`] = p === null || p === undefined ? null : p * 100;
    });
    return row;
  });
}

// ---- the comparison table -----------------------------------------------------------------------

export const COMPARISON_SORTS = ['label', 'sessions', 'episodes', 'baseline', 'completion', 'responders'] as const;
export type ComparisonSort = (typeof COMPARISON_SORTS)[number];

/** Sort value of a row: withheld figures sort after every shown one, whichever the direction. */
function sortValue(r: ComparisonRow, key: ComparisonSort): number | string | null {
  switch (key) {
    case 'label':
      return r.label;
    case 'sessions':
      return countValue(r.sessions);
    case 'episodes':
      return countValue(r.episodes);
    case 'baseline':
      return r.baseline.p;
    case 'completion':
      return r.completion.p;
    case 'responders':
      return r.responders.p;
  }
}

export function sortComparison(rows: readonly ComparisonRow[], key: ComparisonSort, dir: 'asc' | 'desc'): ComparisonRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null && y === null) return a.label.localeCompare(b.label);
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number);
    return c === 0 ? a.label.localeCompare(b.label) : sign * c;
  });
}

/** The top procedure types of a row: "ESI 54%, MBB 20%". */
export function mixText(r: ComparisonRow, n = 3): string {
  const parts = r.mix.filter((m) => m.share !== null && m.share > 0).slice(0, n);
  return parts.length ? parts.map((m) => `${m.label} ${formatPercent(m.share)}`).join(', ') : '—';
}

const masked = (c: Count): number | string => (shown(c) ? c : c.display);

export const comparisonCsv: CsvColumn<ComparisonRow>[] = [
  { header: 'Group', value: (r) => r.label },
  { header: 'Procedure sessions', value: (r) => masked(r.sessions) },
  { header: 'Procedure mix', value: (r) => mixText(r, 8) },
  { header: 'Episodes', value: (r) => masked(r.episodes) },
  { header: 'With a baseline', value: (r) => masked(r.baseline.x) },
  { header: 'Share with a baseline', value: (r) => r.baseline.p },
  { header: 'Follow-ups due', value: (r) => masked(r.completion.n) },
  { header: 'Follow-ups completed', value: (r) => masked(r.completion.x) },
  { header: 'Follow-up completion', value: (r) => r.completion.p },
  { header: 'Responders', value: (r) => masked(r.responders.x) },
  { header: 'Scored at the window', value: (r) => masked(r.responders.n) },
  { header: 'Responder rate', value: (r) => r.responders.p },
  { header: 'Responder rate 95% CI lower (Wilson)', value: (r) => r.responders.lower },
  { header: 'Responder rate 95% CI upper (Wilson)', value: (r) => r.responders.upper },
];

export type RepeatRow = Repeats['byCategory'][number];
export const repeatsCsv: CsvColumn<RepeatRow>[] = [
  { header: 'Procedure type', value: (r) => r.label },
  { header: 'Intervals to the next session', value: (r) => masked(r.intervals) },
  { header: 'Median interval (days)', value: (r) => r.median },
  { header: 'Interval Q1 (days)', value: (r) => r.q1 },
  { header: 'Interval Q3 (days)', value: (r) => r.q3 },
  { header: 'Sessions with 12 months of history', value: (r) => masked(r.repeatRate.n) },
  { header: 'Repeated within 12 months', value: (r) => masked(r.repeatRate.x) },
  { header: 'Repeat rate', value: (r) => r.repeatRate.p },
];

export const moversCsv: CsvColumn<MoverRow>[] = [
  { header: 'Grouping', value: (r) => r.by },
  { header: 'Group', value: (r) => r.label },
  { header: 'Latest period', value: (r) => masked(r.current) },
  { header: 'Period before', value: (r) => masked(r.previous) },
  { header: 'A year before', value: (r) => masked(r.yearBefore) },
  { header: 'Change', value: (r) => r.change },
  { header: 'Relative change', value: (r) => r.relative },
];
