/**
 * The Outcomes page's filters and the pure mappers from the outcomes router's
 * answers to chart rows, table cells and definitions. No React, no I/O:
 * tested in tests/client/outcomes.test.ts.
 */
import type { RouterInputs, RouterOutputs } from '../../../server/routers/_app.ts';
import {
  FOLLOW_UP_WINDOWS,
  INTERVENTIONAL_CATEGORIES,
  MEASURES,
  type CarePath,
  type FollowUpWindow,
} from '../../../db/schema/vocabulary.ts';
import { PRACTICE_FILTERS, type PracticeFilters } from './filters.ts';
import { formatDecimal, formatInterval, formatMaskedCount, formatPercent } from './format.ts';
import { defineFilters, oneOf, type FilterField, type FilterValues } from './url-filters.ts';

export type Summary = RouterOutputs['outcomes']['summary'];
export type GroupFigures = Summary['overall'];
export type Trajectory = RouterOutputs['outcomes']['trajectory'];
export type Responders = RouterOutputs['outcomes']['responders'];
export type Distribution = RouterOutputs['outcomes']['distribution'];
export type Opioids = RouterOutputs['outcomes']['opioids'];
export type Complications = RouterOutputs['outcomes']['complications'];
export type FilterOptions = RouterOutputs['outcomes']['filterOptions'];
export type PatientList = RouterOutputs['outcomes']['patients'];
export type Timeline = RouterOutputs['outcomes']['patientTimeline'];
export type OutcomeInput = Exclude<RouterInputs['outcomes']['summary'], undefined | void>;
export type FiltersInput = NonNullable<OutcomeInput['filters']>;
export type Count = GroupFigures['episodes'];
export type Proportion = GroupFigures['followUp'];

// ---- vocabulary of the page ------------------------------------------------------------

/** The measures with change and response figures (opioid MME has its own section). */
export const OUTCOME_MEASURES = ['pain_nrs', 'odi', 'promis_pi', 'promis_pf'] as const;
export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];
export const RESPONDER_DEFINITIONS = ['pct30', 'pct50', 'mcid', 'pain_free'] as const;
export type ResponderDefinition = (typeof RESPONDER_DEFINITIONS)[number];
export const DENOMINATORS = ['complete_case', 'intention_to_treat'] as const;
export type Denominator = (typeof DENOMINATORS)[number];
export const TABLE_GROUPINGS = ['category', 'condition'] as const;

/** Which responder definitions the spec gives each measure (the server's definitionsFor; a test keeps them equal). */
export const DEFINITIONS_BY_MEASURE: Record<OutcomeMeasure, readonly ResponderDefinition[]> = {
  pain_nrs: ['pct30', 'pct50', 'mcid', 'pain_free'],
  odi: ['mcid'],
  promis_pi: ['mcid'],
  promis_pf: ['mcid'],
};

const MCID_TEXT: Record<OutcomeMeasure, string> = {
  pain_nrs: '≥ 2 points better',
  odi: '≥ 10 points better',
  promis_pi: '≥ 5 T-score points better',
  promis_pf: '≥ 5 T-score points better',
};

/** Short names for controls and legends. */
export function definitionLabel(d: ResponderDefinition, measure: OutcomeMeasure): string {
  switch (d) {
    case 'pct30':
      return '≥ 30% reduction';
    case 'pct50':
      return '≥ 50% reduction';
    case 'mcid':
      return `MCID (${MCID_TEXT[measure]})`;
    case 'pain_free':
      return 'Pain ≤ 1 at follow-up';
  }
}

/** The definition in a sentence, with its source, for footnotes and tooltips. */
export function definitionSentence(d: ResponderDefinition, measure: OutcomeMeasure): string {
  switch (d) {
    case 'pct30':
      return 'A responder has a score at least 30% lower than at baseline (moderately important improvement; IMMPACT, Dworkin 2008). A baseline of 0 is never a responder.';
    case 'pct50':
      return 'A responder has a score at least 50% lower than at baseline (substantial improvement; IMMPACT, Dworkin 2008). A baseline of 0 is never a responder.';
    case 'mcid':
      return `A responder is ${MCID_TEXT[measure]} than at baseline: the minimal clinically important difference (${measure === 'pain_nrs' ? 'Farrar 2001' : measure === 'odi' ? 'Ostelo 2008' : 'PROMIS'}).`;
    case 'pain_free':
      return 'A responder has a pain score of 1 or less at follow-up: pain-free or nearly pain-free.';
  }
}

export const DENOMINATOR_LABELS: Record<Denominator, string> = {
  complete_case: 'Complete case',
  intention_to_treat: 'Intention to treat',
};

export function denominatorSentence(d: Denominator): string {
  return d === 'complete_case'
    ? 'Complete case: of the episodes with a baseline and a follow-up in the window.'
    : 'Intention to treat: of all episodes with a baseline; a missing follow-up counts as a non-responder (IMMPACT).';
}

export function measureLabel(m: OutcomeMeasure): string {
  return MEASURES[m].label;
}

/** "points" or "T-score points": the unit of a change. */
export function changeUnit(m: OutcomeMeasure): string {
  return m === 'promis_pi' || m === 'promis_pf' ? 'T-score points' : 'points';
}

export function windowLabel(w: FollowUpWindow): string {
  return FOLLOW_UP_WINDOWS[w].label;
}

/** How the window is defined: "3 months (day 91; days 64–135)". */
export function windowSentence(w: FollowUpWindow, windows?: FilterOptions['windows']): string {
  const x = windows?.find((v) => v.value === w) ?? { ...FOLLOW_UP_WINDOWS[w], label: FOLLOW_UP_WINDOWS[w].label };
  return `${x.label} (the score nearest day ${x.target}, within days ${x.from}–${x.to}; the earlier of two equally near)`;
}

export const CHANGE_DEFINITION =
  'Change = baseline − follow-up, so a positive change is an improvement (for PROMIS physical function, where higher is better, follow-up − baseline). Baseline: the last score in the 30 days up to and including the index date; episodes without one are left out and counted as “no baseline”.';

export function carePathOfCategory(category: string | null): CarePath | undefined {
  if (category === null) return undefined;
  return (INTERVENTIONAL_CATEGORIES as readonly string[]).includes(category) ? 'interventional' : 'conservative';
}

// ---- filters in the URL ----------------------------------------------------------------------

/** The table's grouping key and a selected group ("category:epidural_steroid_injection"); "" for none. */
function text({ max }: { max: number }): FilterField<string> {
  return {
    defaultValue: '',
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      return last !== undefined && last.length <= max && /^[A-Za-z0-9_:\-+<. ]*$/.test(last) ? last : undefined;
    },
    serialise: (v) => v,
    equals: (a, b) => a === b,
  };
}

/**
 * The filters of a page about one outcome measure (Outcomes, Compare): the
 * practice filters' normalisation, then an outcome measure (opioid use is its
 * own section: MME falls back to pain) and a responder definition it has.
 */
export function normaliseOutcomeFilters<V extends PracticeFilters & { definition: string }>(v: V): V {
  const practice = PRACTICE_FILTERS.normalise(v);
  const measure = (OUTCOME_MEASURES as readonly string[]).includes(practice.measure) ? practice.measure : 'pain_nrs';
  const allowed = DEFINITIONS_BY_MEASURE[measure as OutcomeMeasure];
  const definition = allowed.includes(v.definition as never) ? v.definition : allowed[0]!;
  return { ...v, ...practice, measure, definition };
}

/** A record id (positive integer); 0 for none. */
function recordId(): FilterField<number> {
  return {
    defaultValue: 0,
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      return last !== undefined && /^[1-9][0-9]{0,12}$/.test(last) ? Number(last) : undefined;
    },
    serialise: (v) => (v ? String(v) : ''),
    equals: (a, b) => a === b,
  };
}

export const OUTCOME_FILTERS = defineFilters(
  {
    ...PRACTICE_FILTERS.fields,
    definition: oneOf(RESPONDER_DEFINITIONS, 'pct30'),
    denominator: oneOf(DENOMINATORS, 'complete_case'),
    /** The table's rows. */
    by: oneOf(TABLE_GROUPINGS, 'category'),
    /** The group whose patients are listed ("category:radiofrequency_ablation"). */
    group: text({ max: 80 }),
    /** The episode whose timeline is open. */
    episode: recordId(),
  },
  { normalise: normaliseOutcomeFilters },
);
export type OutcomePageFilters = FilterValues<typeof OUTCOME_FILTERS.fields>;

/** The router's filters from the page's. */
export function filtersInput(f: OutcomePageFilters): FiltersInput {
  return {
    carePath: f.carePath,
    conditions: f.condition,
    categories: f.category,
    providers: f.provider,
    sites: f.site,
    from: f.from,
    to: f.to,
  };
}

export function outcomeInput(f: OutcomePageFilters): OutcomeInput {
  return {
    measure: f.measure as OutcomeMeasure,
    window: f.window,
    definition: f.definition,
    denominator: f.denominator,
    filters: filtersInput(f),
  };
}

/** "category:epidural_steroid_injection" -> the grouping and key; null for none or unreadable. */
export function parseGroup(s: string): { by: 'category' | 'condition' | 'care_path'; key: string | null } | null {
  const m = /^(category|condition|care_path):(.*)$/.exec(s);
  if (!m) return null;
  return { by: m[1] as 'category' | 'condition' | 'care_path', key: m[2] === '' ? null : m[2]! };
}

export function groupParam(by: string, key: string | null): string {
  return `${by}:${key ?? ''}`;
}

// ---- numbers as the page shows them ---------------------------------------------------------

export const countText = (c: Count): string => formatMaskedCount(c);

export const isShownCount = (c: Count): c is number => typeof c === 'number';

/** "2.4" with one decimal, a true minus, "—" when not estimable or withheld. */
export const changeText = (x: number | null): string => formatDecimal(x, 1);

export function signedChangeText(x: number | null): string {
  if (x === null) return formatDecimal(x);
  return x > 0 ? `+${formatDecimal(x, 1)}` : formatDecimal(x, 1);
}

export function ciText(lower: number | null, upper: number | null, digits = 1): string {
  return lower === null || upper === null ? '—' : formatInterval([lower, upper], (x) => formatDecimal(x, digits));
}

export function percentText(p: Proportion | null | undefined, digits = 0): string {
  return p ? formatPercent(p.p, digits) : '—';
}

/** "43% to 47%"; with a decimal when the rate is under 10 % (complications: "1.9% to 3.4%"). */
export function percentCiText(p: Proportion | null | undefined): string {
  if (!p || p.lower === null || p.upper === null) return '—';
  const digits = p.upper < 0.1 ? 1 : 0;
  return `${formatPercent(p.lower, digits)} to ${formatPercent(p.upper, digits)}`;
}

/** "412 of 1,024", with withheld counts as the server marked them. */
export function ofText(p: Proportion): string {
  return `${countText(p.x)} of ${countText(p.n)}`;
}

// ---- chart rows ----------------------------------------------------------------------------------

export type TrajectoryRow = {
  day: number;
  label: string;
  /** Short axis label: "0", "2 wk", "3 mo". */
  tick: string;
  /** Per series key: the mean, the [lower, upper] band, and n as shown. */
  [key: string]: number | string | [number, number] | null;
};

/**
 * One row per time point: baseline (day 0, change 0 by definition) and each
 * window at its target day, with each series' mean, band and n.
 */
export function trajectoryRows(t: Trajectory): TrajectoryRow[] {
  const windows = t.series[0]?.points ?? [];
  const rows: TrajectoryRow[] = [{ day: 0, label: 'Baseline', tick: 'Baseline' }];
  for (const s of t.series) Object.assign(rows[0]!, { [`${s.key}`]: 0, [`${s.key}Band`]: [0, 0] as [number, number], [`${s.key}N`]: '' });
  windows.forEach((p, i) => {
    const row: TrajectoryRow = { day: p.targetDay, label: windowLabel(p.window), tick: windowLabel(p.window).replace(' weeks', ' wk').replace(' months', ' mo') };
    for (const s of t.series) {
      const q = s.points[i]!;
      row[`${s.key}`] = q.change.mean;
      row[`${s.key}Band`] = q.change.lower !== null && q.change.upper !== null ? [q.change.lower, q.change.upper] : null;
      row[`${s.key}N`] = countText(q.change.n);
    }
    rows.push(row);
  });
  return rows;
}

export type ResponderBar = {
  key: string | null;
  label: string;
  /** The figure beside the bar: "45% · n 366", or "withheld". */
  figure: string;
  carePath: CarePath | undefined;
  /** Percent, or null when withheld or not estimable. */
  rate: number | null;
  /** Distance from the rate to the interval's ends, in percent points (Recharts ErrorBar). */
  error: [number, number] | null;
  lower: number | null;
  upper: number | null;
  n: string;
  x: string;
};

/** Bars of the responder chart: one per group, sorted by path then rate (highest first); groups without a rate keep their row. */
export function responderBars(r: Responders): ResponderBar[] {
  const bars = r.groups.map((g) => {
    const p = g.responders;
    const rate = p?.p ?? null;
    return {
      key: g.key,
      label: g.label,
      carePath: r.by === 'category' ? carePathOfCategory(g.key) : r.by === 'care_path' ? (g.key as CarePath) : undefined,
      rate: rate === null ? null : rate * 100,
      error: rate !== null && p!.lower !== null && p!.upper !== null ? ([(rate - p!.lower) * 100, (p!.upper - rate) * 100] as [number, number]) : null,
      lower: p?.lower ?? null,
      upper: p?.upper ?? null,
      n: p ? countText(p.n) : '—',
      x: p ? countText(p.x) : '—',
      figure: rate === null ? (p && isShownCount(p.n) && p.n === 0 ? 'no follow-up' : 'not shown') : `${formatPercent(rate)} · n ${p ? countText(p.n) : '—'}`,
    };
  });
  const pathRank = (b: ResponderBar) => (b.carePath === 'interventional' ? 0 : b.carePath === 'conservative' ? 1 : 2);
  return bars.sort((a, b) => pathRank(a) - pathRank(b) || (b.rate ?? -1) - (a.rate ?? -1));
}

export type HistogramRow = { label: string; from: number; to: number; [series: string]: number | string | null };

/** One row per bin, labelled by its centre ("+2", "0", "−1.5"), with each series' share in percent (null when withheld). */
export function histogramRows(d: Distribution): HistogramRow[] {
  const series = d.series.filter((s) => !s.withheld);
  return d.edges.map((e, i) => {
    const centre = (e.from + e.to) / 2;
    const digits = Number.isInteger(centre) ? 0 : 1;
    const row: HistogramRow = { label: centre > 0 ? `+${formatDecimal(centre, digits)}` : formatDecimal(centre, digits), from: e.from, to: e.to };
    for (const s of series) {
      const share = s.bins[i]!.share;
      row[`${s.key}`] = share === null ? null : share * 100;
      row[`${s.key}Count`] = countText(s.bins[i]!.count);
    }
    return row;
  });
}

export type TimelinePoint = { day: number; value: number; counted: string | null; date: string };

/** A measure's observations on the timeline, in day order. */
export function timelineSeries(t: Timeline, measure: string): TimelinePoint[] {
  return t.observations.filter((o) => o.measure === measure).map((o) => ({ day: o.day, value: o.value, counted: o.counted, date: o.date }));
}

/** The measures present in a timeline, in the vocabulary's order. */
export function timelineMeasures(t: Timeline): string[] {
  const present = new Set(t.observations.map((o) => o.measure));
  return Object.keys(MEASURES).filter((m) => present.has(m as never));
}

/** Whether the summary has any episode at all (to show the empty state instead of zeros). */
export function isEmptySummary(s: Summary): boolean {
  return s.overall.episodes === 0;
}
