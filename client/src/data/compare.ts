/**
 * The Compare page's filters and the pure mappers from the compare router's
 * answers to the page's sentences, tables and chart rows. No React, no I/O:
 * tested in tests/client/compare.test.ts.
 */
import type { RouterInputs, RouterOutputs } from '../../../server/routers/_app.ts';
import type { CsvColumn } from '../../../server/domain/csv.ts';
import { CONDITION_GROUPS, type ConditionGroup } from '../../../db/schema/vocabulary.ts';
import { PRACTICE_FILTERS } from './filters.ts';
import { formatDecimal, formatInterval, formatMaskedCount, formatPercent } from './format.ts';
import {
  DENOMINATORS,
  RESPONDER_DEFINITIONS,
  changeUnit,
  definitionLabel,
  measureLabel,
  normaliseOutcomeFilters,
  windowLabel,
  type OutcomeMeasure,
} from './outcomes.ts';
import { defineFilters, oneOf, type FilterValues } from './url-filters.ts';

export type Crude = RouterOutputs['compare']['crude'];
export type Adjusted = RouterOutputs['compare']['adjusted'];
export type Matched = NonNullable<RouterOutputs['compare']['matched']['matched']>;
export type CompareInput = Exclude<RouterInputs['compare']['crude'], undefined | void>;
export type Count = Crude['interventional']['withBaseline'];
export type BalanceRow = Adjusted['adjusted']['balance'][number];
export type SubgroupFamily = Adjusted['subgroups']['families'][number];
export type Curve = Adjusted['durability']['byPath'][number];

export const SUBGROUPINGS = ['condition', 'region', 'age_band', 'sex', 'severity'] as const;
export type Subgrouping = (typeof SUBGROUPINGS)[number];
export const SUBGROUP_LABELS: Record<Subgrouping, string> = {
  condition: 'Condition',
  region: 'Region',
  age_band: 'Age band',
  sex: 'Sex',
  severity: 'Baseline severity',
};

/**
 * The page's filters: the practice filters shared with the Outcomes page
 * (condition, category, provider, site, dates, measure, window; the same URL
 * keys, so a view carries over), the responder definition and denominator
 * (also the Outcomes page's keys), and the page's own views. The care-path
 * filter stays in the URL for the Outcomes page but does not apply here.
 */
export const COMPARE_FILTERS = defineFilters(
  {
    ...PRACTICE_FILTERS.fields,
    definition: oneOf(RESPONDER_DEFINITIONS, 'pct30'),
    denominator: oneOf(DENOMINATORS, 'complete_case'),
    /** Kaplan-Meier curves by care path or by treatment category. */
    km: oneOf(['path', 'category'] as const, 'path'),
    /** The forest plot's subgroups. */
    subgroup: oneOf(SUBGROUPINGS, 'condition'),
    /** Show the matched comparison (computed on request). */
    matching: oneOf(['off', 'on'] as const, 'off'),
  },
  { normalise: normaliseOutcomeFilters },
);
export type ComparePageFilters = FilterValues<typeof COMPARE_FILTERS.fields>;

/** The router's input from the page's filters (no care path: both are compared). */
export function compareInput(f: ComparePageFilters): CompareInput {
  return {
    measure: f.measure as OutcomeMeasure,
    window: f.window,
    definition: f.definition,
    denominator: f.denominator,
    filters: { conditions: f.condition, categories: f.category, providers: f.provider, sites: f.site, from: f.from, to: f.to },
  };
}

// ---- text ------------------------------------------------------------------------------------

export const countText = (c: Count | null | undefined): string => (c === null || c === undefined ? '—' : formatMaskedCount(c));
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
export const signed = (x: number | null | undefined, digits = 1): string => (isNum(x) ? `${x > 0 ? '+' : ''}${formatDecimal(x, digits)}` : '—');
export const ci = (lo: number | null | undefined, hi: number | null | undefined, digits = 1): string =>
  isNum(lo) && isNum(hi) ? formatInterval([lo, hi], (x) => formatDecimal(x, digits)) : '—';
export function pText(p: number | null | undefined): string {
  if (!isNum(p)) return '—';
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`;
}
const addCount = (a: Count | null, b: Count | null): number | null => (typeof a === 'number' && typeof b === 'number' ? a + b : null);

/** Who the figures are about: "lumbar radiculopathy", "all conditions", "2 conditions". */
export function populationText(conditions: readonly string[]): string {
  if (conditions.length === 0) return 'all conditions';
  // "Low back pain" -> "low back pain"; an acronym ("CRPS") keeps its capitals.
  const lower = (l: string) => (/^[A-Z][a-z]/.test(l) ? l[0]!.toLowerCase() + l.slice(1) : l);
  if (conditions.length <= 2) return conditions.map((c) => lower(CONDITION_GROUPS[c as ConditionGroup]?.label ?? c)).join(' and ');
  return `${conditions.length} conditions`;
}

/** The adjusted analysis's covariates, all of them: what the page names until a response says which the models hold. */
export const ALL_COVARIATES = ['age', 'sex', 'baseline score', 'condition group', 'pain duration', 'prior procedures'];

/** "age, sex and baseline score". */
export function listText(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The covariates the adjusted analysis holds (those left out said once), as the page's sentences name them. */
export function covariatesText(adjusted: Adjusted['adjusted'] | undefined): string {
  if (!adjusted || adjusted.status !== 'ok') return listText(ALL_COVARIATES);
  const left = adjusted.omittedCovariates.map((c) => `${c.label} (${c.reason === 'not_recorded' ? 'too rarely recorded' : 'the same for every episode'})`);
  return `${listText(adjusted.covariates)}${left.length ? `; left out: ${left.join(', ')}` : ''}`;
}

export type Verdict = { tone: 'settled' | 'caution' | 'none'; headline: string; details: string[] };

/**
 * The plain-language summary at the top of the page: how many episodes, how
 * much each path improved, the crude and the adjusted difference, and whether
 * the adjusted one can be read as the answer.
 */
export function summarySentences(crude: Crude, adjusted: Adjusted | undefined, f: ComparePageFilters): { lead: string; responders: string | null; verdict: Verdict } {
  const measure = f.measure as OutcomeMeasure;
  const unit = changeUnit(measure);
  const w = windowLabel(f.window);
  const i = crude.interventional;
  const c = crude.conservative;
  const total = addCount(i.withBaseline, c.withBaseline);
  const who = `${total === null ? 'the' : total.toLocaleString('en-US')} episodes of ${populationText(f.condition)} with a baseline ${measure === 'pain_nrs' ? 'pain' : measureLabel(measure).replace(/ \(.*\)$/, '')} score`;
  const d = crude.difference;
  let lead = `Among ${who}, `;
  if (i.mean === null || c.mean === null || !d || d.estimate === null) {
    lead += `there are not enough episodes with a follow-up at ${w} on both care paths to compare them.`;
    return { lead, responders: null, verdict: { tone: 'none', headline: 'No comparison possible with these filters.', details: [] } };
  }
  lead +=
    `interventional episodes improved by ${formatDecimal(i.mean, 1)} ${unit} at ${w} and conservative ones by ${formatDecimal(c.mean, 1)} ` +
    `(crude difference ${signed(d.estimate)} ${unit}, 95% CI ${ci(d.lower, d.upper)}).`;
  const a = adjusted?.adjusted;
  let verdict: Verdict;
  if (!a) verdict = { tone: 'none', headline: 'Computing the adjusted comparison…', details: [] };
  else if (a.status !== 'ok' || !a.doublyRobust) {
    verdict = { tone: 'caution', headline: 'The adjusted comparison cannot be made with these filters.', details: a.reason ? [a.reason] : [] };
  } else {
    const dr = a.doublyRobust;
    const text =
      `Adjusted for ${listText(a.covariates)}, the difference is ${signed(dr.estimate)} ${unit} ` +
      `(95% CI ${ci(dr.lower, dr.upper)}${dr.lower > 0 || dr.upper < 0 ? '' : '; the interval includes no difference'}).`;
    verdict = a.settled
      ? { tone: 'settled', headline: text, details: ['The weighted groups are balanced on every covariate (|SMD| < 0.1) and overlap well: the adjusted difference is the estimate to read, as far as measured covariates go.', ...a.warnings] }
      : { tone: 'caution', headline: `${text} Not a settled answer:`, details: a.warnings };
  }
  let responders: string | null = null;
  const r = crude.responders;
  if (r && isNum(r.p1) && isNum(r.p0) && isNum(r.riskDifference.estimate)) {
    const per100 = r.riskDifference.estimate * 100;
    responders =
      `${formatPercent(r.p1)} of interventional and ${formatPercent(r.p0)} of conservative episodes responded (${definitionLabel(f.definition, measure).toLowerCase()}): ` +
      `${formatDecimal(Math.abs(per100), 0)} ${per100 >= 0 ? 'more' : 'fewer'} per 100 with interventional care (95% CI ${ci(r.riskDifference.lower! * 100, r.riskDifference.upper! * 100, 0)})` +
      (r.nnt ? `; number needed to treat ${Math.ceil(r.nnt.nnt)} (${r.nnt.kind === 'NNTB' ? 'benefit' : 'harm'}).` : '; the interval includes no difference, so no number needed to treat is given.');
  }
  return { lead, responders, verdict };
}

// ---- the estimates table --------------------------------------------------------------------

export type EstimateRow = {
  key: string;
  method: string;
  estimand: string;
  estimate: number | null;
  lower: number | null;
  upper: number | null;
  p: number | null;
  n: string;
  note: string;
  headline?: boolean;
};

/** Crude and adjusted differences in mean change, one row per method. */
export function estimateRows(crude: Crude, adjusted: Adjusted | undefined, matched: Matched | null | undefined): EstimateRow[] {
  const nCrude = `${countText(crude.interventional.complete)} vs ${countText(crude.conservative.complete)}`;
  const rows: EstimateRow[] = [];
  const d = crude.difference;
  rows.push({ key: 'crude', method: 'Crude difference (Welch t)', estimand: 'Difference as observed', estimate: d?.estimate ?? null, lower: d?.lower ?? null, upper: d?.upper ?? null, p: d?.p ?? null, n: nCrude, note: 'No adjustment: the paths treat different patients.' });
  const an = crude.ancova;
  rows.push({ key: 'ancova', method: 'ANCOVA (follow-up ~ path + baseline)', estimand: 'Adjusted for baseline only', estimate: an?.estimate ?? null, lower: an?.lower ?? null, upper: an?.upper ?? null, p: an?.p ?? null, n: nCrude, note: 'What trials report for pre/post data.' });
  const a = adjusted?.adjusted;
  const nAdj = a ? `${countText(a.n1)} vs ${countText(a.n0)}` : '—';
  rows.push({ key: 'ipw', method: 'Propensity weighting (IPW, HC1)', estimand: 'Average effect (ATE)', estimate: a?.ipw?.diff ?? null, lower: a?.ipw?.lower ?? null, upper: a?.ipw?.upper ?? null, p: a?.ipw?.p ?? null, n: nAdj, note: 'Weighted difference in means; stabilised weights truncated at the 1st/99th percentiles.' });
  rows.push({ key: 'dr', method: 'Doubly robust (weighted regression, HC1)', estimand: 'Average effect (ATE)', estimate: a?.doublyRobust?.estimate ?? null, lower: a?.doublyRobust?.lower ?? null, upper: a?.doublyRobust?.upper ?? null, p: a?.doublyRobust?.p ?? null, n: nAdj, note: 'The headline: weighted, and adjusted for the covariates again.', headline: true });
  if (matched) {
    rows.push({ key: 'matched', method: '1:1 matching, caliper 0.2 SD', estimand: 'Effect in matched interventional episodes (ATT)', estimate: matched.difference?.mean ?? null, lower: matched.difference?.lower ?? null, upper: matched.difference?.upper ?? null, p: null, n: `${countText(matched.pairs)} pairs`, note: 'Paired t-interval of the pairs’ differences.' });
  }
  return rows;
}

export const ESTIMATE_CSV: CsvColumn<EstimateRow>[] = [
  { header: 'method', value: (r) => r.method },
  { header: 'estimand', value: (r) => r.estimand },
  { header: 'difference in mean change (interventional - conservative)', value: (r) => r.estimate },
  { header: '95% CI lower', value: (r) => r.lower },
  { header: '95% CI upper', value: (r) => r.upper },
  { header: 'p', value: (r) => r.p },
  { header: 'n (interventional vs conservative)', value: (r) => r.n },
];

export const BALANCE_CSV: CsvColumn<BalanceRow>[] = [
  { header: 'covariate', value: (r) => r.label },
  { header: 'mean interventional', value: (r) => r.meanTreated },
  { header: 'mean conservative', value: (r) => r.meanControl },
  { header: 'SMD before weighting', value: (r) => r.smd },
  { header: 'weighted mean interventional', value: (r) => r.weightedMeanTreated },
  { header: 'weighted mean conservative', value: (r) => r.weightedMeanControl },
  { header: 'SMD after weighting', value: (r) => r.weightedSmd },
  { header: 'balanced (|SMD| < 0.1)', value: (r) => (r.balanced === null ? null : r.balanced ? 'yes' : 'no') },
];

export type SubgroupRow = SubgroupFamily['rows'][number];
export const SUBGROUP_CSV: CsvColumn<SubgroupRow>[] = [
  { header: 'subgroup', value: (r) => r.label },
  { header: 'n interventional', value: (r) => formatMaskedCount(r.n1) },
  { header: 'n conservative', value: (r) => formatMaskedCount(r.n0) },
  { header: 'difference in mean change', value: (r) => r.estimate },
  { header: '95% CI lower', value: (r) => r.lower },
  { header: '95% CI upper', value: (r) => r.upper },
  { header: 'small subgroup (< 30 per path)', value: (r) => (r.small ? 'yes' : 'no') },
];

export type KmCsvRow = { curve: string; day: number; survival: number; lower: number | null; upper: number | null };
export function kmCsvRows(curves: readonly Curve[]): KmCsvRow[] {
  return curves.flatMap((c) => c.time.map((t, i) => ({ curve: c.label, day: t, survival: c.surv[i]!, lower: c.lower[i] ?? null, upper: c.upper[i] ?? null })));
}
export const KM_CSV: CsvColumn<KmCsvRow>[] = [
  { header: 'curve', value: (r) => r.curve },
  { header: 'day', value: (r) => r.day },
  { header: 'proportion still responding', value: (r) => r.survival },
  { header: '95% CI lower (log-log)', value: (r) => r.lower },
  { header: '95% CI upper (log-log)', value: (r) => r.upper },
];

// ---- chart rows ----------------------------------------------------------------------------------

export type LoveRow = { label: string; before: number | null; after: number | null; imbalanced: boolean };
/** The love plot: |SMD| before and after weighting, worst first. */
export function loveRows(balance: readonly BalanceRow[]): LoveRow[] {
  return balance
    .map((b) => ({ label: b.label, before: b.smd === null ? null : Math.abs(b.smd), after: b.weightedSmd === null ? null : Math.abs(b.weightedSmd), imbalanced: b.balanced === false }))
    .sort((x, y) => (y.before ?? 0) - (x.before ?? 0));
}

/** A step curve as SVG points: S(t) holds from each time to the next. */
export function stepPoints(time: readonly number[], value: readonly (number | null)[], start = 1): Array<[number, number]> {
  const pts: Array<[number, number]> = [[0, start]];
  let prev = start;
  for (let i = 0; i < time.length; i++) {
    const v = value[i];
    if (v === null || v === undefined) break;
    pts.push([time[i]!, prev], [time[i]!, v]);
    prev = v;
  }
  return pts;
}

export function medianText(c: Curve): string {
  if (!c.median) return 'not shown';
  if (c.median.median === null) return 'not reached';
  const hi = c.median.upper === null ? 'not reached' : `${c.median.upper}`;
  return `${c.median.median} days (95% CI ${c.median.lower ?? '—'} to ${hi})`;
}

export type RateRow = { figure: string; x1: string; n1: string; p1: number | null; x0: string; n0: string; p0: number | null; difference: number | null; lower: number | null; upper: number | null; rr: number | null; rrLower: number | null; rrUpper: number | null };

/** The responders and complications table as rows (for its CSV). */
export function rateRows(crude: Crude, denominator: ComparePageFilters['denominator']): RateRow[] {
  const out: RateRow[] = [];
  const r = crude.responders;
  const i = crude.interventional;
  const c = crude.conservative;
  const cc = denominator === 'complete_case';
  if (r) {
    out.push({
      figure: `responders (${cc ? 'complete case' : 'intention to treat'})`,
      x1: countText(i.responders), n1: countText(cc ? i.complete : i.withBaseline), p1: r.p1,
      x0: countText(c.responders), n0: countText(cc ? c.complete : c.withBaseline), p0: r.p0,
      difference: r.riskDifference.estimate, lower: r.riskDifference.lower, upper: r.riskDifference.upper,
      rr: r.relativeRisk.estimate, rrLower: r.relativeRisk.lower, rrUpper: r.relativeRisk.upper,
    });
  }
  for (const [k, label] of [['any', 'any complication'], ['major', 'major complication']] as const) {
    const x = crude.complications[k];
    out.push({
      figure: label, x1: countText(x.x1), n1: countText(x.n1), p1: x.p1, x0: countText(x.x0), n0: countText(x.n0), p0: x.p0,
      difference: x.riskDifference.estimate, lower: x.riskDifference.lower, upper: x.riskDifference.upper,
      rr: x.relativeRisk.estimate, rrLower: x.relativeRisk.lower, rrUpper: x.relativeRisk.upper,
    });
  }
  return out;
}

export const RATE_CSV: CsvColumn<RateRow>[] = [
  { header: 'figure', value: (r) => r.figure },
  { header: 'interventional events', value: (r) => r.x1 },
  { header: 'interventional n', value: (r) => r.n1 },
  { header: 'interventional proportion', value: (r) => r.p1 },
  { header: 'conservative events', value: (r) => r.x0 },
  { header: 'conservative n', value: (r) => r.n0 },
  { header: 'conservative proportion', value: (r) => r.p0 },
  { header: 'risk difference (Newcombe)', value: (r) => r.difference },
  { header: '95% CI lower', value: (r) => r.lower },
  { header: '95% CI upper', value: (r) => r.upper },
  { header: 'relative risk (log interval)', value: (r) => r.rr },
  { header: 'RR 95% CI lower', value: (r) => r.rrLower },
  { header: 'RR 95% CI upper', value: (r) => r.rrUpper },
];
