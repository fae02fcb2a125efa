/**
 * The care-path comparison (issue 4; ../shared/spec/domain.md "Statistics"),
 * as pure functions of the loaded rows (rows.ts). No I/O, no privacy: the
 * figures come back unmasked and present.ts applies the caller's small-cell
 * rules. Every statistic is a call into server/stats, tested there against R,
 * SciPy or statsmodels; what this file decides is which rows, which
 * covariates and which population each figure uses (docs/decisions/009-compare.md).
 *
 * Interventional is group 1 everywhere: a positive difference in change means
 * interventional episodes improved more.
 */
import { CONDITION_GROUP_NAMES, SEXES, TREATMENT_CATEGORIES, type Measure } from '../../../db/schema/vocabulary.ts';
import {
  balanceTable,
  effectiveSampleSize,
  heterogeneityTest,
  hedgesGFromSummary,
  ipw,
  kaplanMeier,
  logRankTest,
  matchNearest,
  meanSummary,
  numberAtRisk,
  numberNeededToTreat,
  overlap,
  relativeRisk,
  riskDifference,
  welchFromSummary,
  type BalanceRow,
  type HedgesG,
  type MeanSummary,
  type NumberNeeded,
  type Overlap,
  type RelativeRisk,
  type RiskDifference,
  type WelchResult,
} from '../../stats/index.ts';
import { tCrit } from '../../stats/distributions.ts';
import { factorLogistic, factorOls, prepareFactorDesign, type FactorDesign } from '../../stats/factor-regression.ts';
import { groupRows } from '../../stats/grouping.ts';
import { addWeighted, weightedDifferenceFromSums, weightedSums, type WeightedDifference, type WeightedSums } from '../../stats/weighted-difference.ts';
import { AGE_BANDS, HIGHER_IS_BETTER, isResponder, RESPONDER_RULES, type ResponderRule } from '../outcomes/derive-rules.ts';
import type { Denominator, ResponderDefinition } from '../outcomes/query.ts';
import { NONE, type CompareRows, type EpisodeCounts } from './rows.ts';

export interface CompareSettings {
  measure: Measure;
  definition: ResponderDefinition;
  denominator: Denominator;
  level?: number;
}

/** |SMD| at or above this after weighting is imbalance (spec: |SMD| < 0.1 is balanced). */
export const SMD_THRESHOLD = 0.1;
/** Overlap is "poor" when more than this share of episodes lies outside the common support of the scores... */
export const OUTSIDE_SUPPORT_LIMIT = 0.05;
/** ... or when a path's effective sample size after weighting is below this share of its episodes. */
export const ESS_LIMIT = 0.5;
/** A subgroup with fewer complete cases than this in either path is flagged "small" (shown, not hidden). */
export const SMALL_SUBGROUP = 30;

const ruleOf = (s: CompareSettings): ResponderRule | null => RESPONDER_RULES[s.measure][s.definition] ?? null;

// ---- crude ------------------------------------------------------------------------

export interface ArmFigures {
  withBaseline: number;
  complete: number;
  change: MeanSummary;
  baselineMean: number | null;
  responders: number | null;
}

export interface CrudeComparison {
  interventional: ArmFigures;
  conservative: ArmFigures;
  /** Welch t on the change at the window, complete cases. */
  difference: WelchResult;
  hedges: HedgesG;
  /** follow-up ~ path + baseline (OLS, classical SEs); the coefficient of path, sign turned to "change" (positive = better). */
  ancova: { estimate: number; se: number; lower: number; upper: number; p: number; df: number; n: number } | null;
  responders: {
    x1: number; n1: number; x0: number; n0: number;
    rd: RiskDifference; rr: RelativeRisk; nnt: NumberNeeded | null;
  } | null;
  complications: {
    any: { x1: number; n1: number; x0: number; n0: number; rd: RiskDifference; rr: RelativeRisk; nnh: NumberNeeded | null };
    major: { x1: number; n1: number; x0: number; n0: number; rd: RiskDifference; rr: RelativeRisk; nnh: NumberNeeded | null };
  };
}

/** One pass: moments per path, responder counts, and the (path, baseline) cells of the ANCOVA. */
export function crudeComparison(rows: CompareRows, counts: EpisodeCounts, s: CompareSettings): CrudeComparison {
  const level = s.level ?? 0.95;
  const rule = ruleOf(s);
  const n = rows.n;
  const wb = [0, 0];
  const cc = [0, 0];
  const resp = [0, 0];
  // Change moments around a shift; baseline sums.
  const shift = n > 0 && Number.isFinite(rows.change[0]!) ? rows.change[0]! : 0;
  const sum = [0, 0];
  const sumSq = [0, 0];
  const bsum = [0, 0];
  const higher = HIGHER_IS_BETTER[s.measure];
  // ANCOVA cells: (path, baseline) with sums of the follow-up value.
  const cellKey = new Map<number, number>();
  const cellPath: number[] = [];
  const cellBase: number[] = [];
  const cellN: number[] = [];
  const cellSum: number[] = [];
  const cellSumSq: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = rows.path[i]!;
    const b = rows.baseline[i]!;
    wb[t]!++;
    bsum[t] = bsum[t]! + b;
    const v = rows.value[i]!;
    if (v !== v) continue; // NaN: no follow-up
    const c = rows.change[i]!;
    cc[t]!++;
    const d = c - shift;
    sum[t] = sum[t]! + d;
    sumSq[t] = sumSq[t]! + d * d;
    if (rule && isResponder(rule, b, v, c)) resp[t]!++;
    const key = b * 2 + t;
    let k = cellKey.get(key);
    if (k === undefined) {
      k = cellPath.length;
      cellKey.set(key, k);
      cellPath.push(t);
      cellBase.push(b);
      cellN.push(0);
      cellSum.push(0);
      cellSumSq.push(0);
    }
    cellN[k]!++;
    const dv = v - b; // follow-up around the baseline: small numbers, no cancellation
    cellSum[k] = cellSum[k]! + dv;
    cellSumSq[k] = cellSumSq[k]! + dv * dv;
  }
  const arm = (t: 0 | 1): ArmFigures => {
    const m = cc[t]!;
    const mean = m > 0 ? sum[t]! / m : null;
    const variance = m > 1 ? Math.max(0, (sumSq[t]! - (sum[t]! * sum[t]!) / m) / (m - 1)) : null;
    const change = summaryOf(m, mean === null ? null : mean + shift, variance, level);
    return {
      withBaseline: wb[t]!,
      complete: m,
      change,
      baselineMean: wb[t]! > 0 ? bsum[t]! / wb[t]! : null,
      responders: rule ? resp[t]! : null,
    };
  };
  const a1 = arm(1);
  const a0 = arm(0);
  const g = (a: ArmFigures) => ({ n: a.complete, mean: a.change.mean ?? NaN, sd: a.change.sd ?? NaN });
  const difference = welchFromSummary(g(a1), g(a0), level);
  const hedges = hedgesGFromSummary(g(a1), g(a0), level);

  // ANCOVA over the cells: follow-up ~ path + baseline, exact from the cells' counts and sums.
  let ancova: CrudeComparison['ancova'] = null;
  if (cellPath.length > 0 && a1.complete > 0 && a0.complete > 0) {
    const m = cellPath.length;
    const yMean = new Float64Array(m);
    const ss = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const mk = cellSum[k]! / cellN[k]!;
      yMean[k] = cellBase[k]! + mk;
      ss[k] = Math.max(0, cellSumSq[k]! - cellN[k]! * mk * mk);
    }
    const pd = prepareFactorDesign({ numeric: [{ name: 'path', values: Float64Array.from(cellPath) }, { name: 'baseline', values: Float64Array.from(cellBase) }] });
    const fit = factorOls(pd, yMean, { cells: { counts: Float64Array.from(cellN), sumSquares: ss }, level });
    if (fit.status === 'ok') {
      const c = fit.coefficients[1]!;
      // The coefficient is on the follow-up score; in "change" terms (positive = better) it is -c, or +c where higher is better.
      const sign = higher ? 1 : -1;
      const lo = sign * c.lower;
      const hi = sign * c.upper;
      ancova = { estimate: sign * c.estimate, se: c.se, lower: Math.min(lo, hi), upper: Math.max(lo, hi), p: c.p, df: fit.dfResidual, n: fit.n };
    }
  }

  let responders: CrudeComparison['responders'] = null;
  if (rule) {
    const itt = s.denominator === 'intention_to_treat';
    const n1 = itt ? a1.withBaseline : a1.complete;
    const n0 = itt ? a0.withBaseline : a0.complete;
    const rd = riskDifference(resp[1]!, n1, resp[0]!, n0, level);
    responders = { x1: resp[1]!, n1, x0: resp[0]!, n0, rd, rr: relativeRisk(resp[1]!, n1, resp[0]!, n0, level), nnt: numberNeededToTreat(rd, true) };
  }
  const comp = (x: [number, number]) => {
    const rd = riskDifference(x[1], counts.episodes[1], x[0], counts.episodes[0], level);
    return {
      x1: x[1], n1: counts.episodes[1], x0: x[0], n0: counts.episodes[0], rd,
      rr: relativeRisk(x[1], counts.episodes[1], x[0], counts.episodes[0], level),
      nnh: numberNeededToTreat(rd, false),
    };
  };
  return {
    interventional: a1, conservative: a0, difference, hedges, ancova, responders,
    complications: { any: comp(counts.withComplication), major: comp(counts.withMajor) },
  };
}

function summaryOf(n: number, mean: number | null, variance: number | null, level: number): MeanSummary {
  // The t-interval of meanSummary, from the moments.
  if (n === 0 || mean === null) return { n, mean: null, sd: null, se: null, lower: null, upper: null, level };
  if (variance === null) return { n, mean, sd: null, se: null, lower: null, upper: null, level };
  const sd = Math.sqrt(variance);
  const se = sd / Math.sqrt(n);
  const t = tCrit(level, n - 1);
  return { n, mean, sd, se, lower: mean - t * se, upper: mean + t * se, level };
}


// ---- adjusted -------------------------------------------------------------------------

/** The covariates of the propensity model (spec): their display names. */
export const COVARIATE_LABELS = {
  age: 'Age (years)',
  baseline: 'Baseline score',
  duration: 'Pain duration (months)',
  prior: 'Prior procedures',
} as const;

export interface PropensityCoefficient {
  name: string;
  label: string;
  estimate: number;
  se: number;
  oddsRatio: number;
  lower: number;
  upper: number;
  p: number;
}

export interface AdjustedComparison {
  /** ok: estimates follow; otherwise why not (too few episodes, separation, one path only). */
  status: 'ok' | 'not_estimable';
  reason: string | null;
  /** Complete cases with every covariate known, per path; and those left out for an unknown covariate (pain duration). */
  n1: number;
  n0: number;
  excludedMissingCovariates: number;
  /** Distinct covariate patterns the models were fitted over (exact; decision 009). */
  patterns: number | null;
  propensity: { iterations: number; coefficients: PropensityCoefficient[] } | null;
  weights: { lowerCut: number; upperCut: number; nTruncated: number; ess1: number; ess0: number } | null;
  overlap: (Overlap & { outsideShare: number }) | null;
  balance: (BalanceRow & { label: string })[];
  /** The weighted difference in mean change (IPW alone, HC1). */
  ipw: WeightedDifference | null;
  /** The doubly robust estimate: weighted regression of change on path and the covariates (HC1): the headline. */
  doublyRobust: { estimate: number; se: number; lower: number; upper: number; p: number; df: number } | null;
  /** Responders (complete cases): weighted risk difference, IPW and doubly robust (linear probability, HC1). */
  responders: { ipw: WeightedDifference; doublyRobust: { estimate: number; se: number; lower: number; upper: number; p: number; df: number } | null } | null;
  imbalanced: string[];
  poorOverlap: boolean;
  /** Plain sentences the page shows above the adjusted estimate. */
  warnings: string[];
  /** True when balance and overlap hold: the adjusted effect may be read as the answer. */
  settled: boolean;
}

/** What the subgroups and matching reuse from the adjusted analysis (not sent to the client). */
export interface AdjustedInternals {
  /** Row indices (into the loaded rows) of the analysis population. */
  rows: Int32Array;
  treat: Uint8Array;
  ps: Float64Array;
  weights: Float64Array;
  covariates: { name: string; label: string; values: Float64Array; binary: boolean }[];
}

interface Population {
  idx: Int32Array;
  excluded: number;
}

/** Complete cases (a follow-up at the window) with every covariate known. */
function adjustedPopulation(rows: CompareRows): Population {
  const keep: number[] = [];
  let excluded = 0;
  for (let i = 0; i < rows.n; i++) {
    if (rows.value[i] !== rows.value[i]) continue;
    if (rows.duration[i] !== rows.duration[i]) {
      excluded++;
      continue;
    }
    keep.push(i);
  }
  return { idx: Int32Array.from(keep), excluded };
}

function pick(src: ArrayLike<number>, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = src[idx[k]!]!;
  return out;
}

const conditionLabelOf = (c: number) => CONDITION_GROUP_NAMES[c]!.replace(/_/g, ' ');

/**
 * The propensity model's covariates over the population: numeric columns with
 * spread (a filter to one sex drops the sex columns), sex as 0/1 columns per
 * non-reference level present, the condition group as a factor of the levels
 * present (reference: the first present, R's default order).
 */
function covariatesOf(rows: CompareRows, idx: Int32Array) {
  const m = idx.length;
  const numeric: { name: string; label: string; values: Float64Array; binary: boolean }[] = [];
  const spread = (v: Float64Array) => {
    for (let k = 1; k < v.length; k++) if (v[k] !== v[0]) return true;
    return false;
  };
  for (const [name, src] of [['age', rows.age], ['baseline', rows.baseline], ['duration', rows.duration], ['prior', rows.prior]] as const) {
    const v = pick(src, idx);
    if (spread(v)) numeric.push({ name, label: COVARIATE_LABELS[name], values: v, binary: false });
  }
  const sexCounts = new Array<number>(SEXES.length).fill(0);
  for (let k = 0; k < m; k++) sexCounts[rows.sex[idx[k]!]!]!++;
  const sexes = SEXES.map((_, i) => i).filter((i) => sexCounts[i]! > 0);
  for (const sx of sexes.slice(1)) {
    const v = new Float64Array(m);
    for (let k = 0; k < m; k++) v[k] = rows.sex[idx[k]!] === sx ? 1 : 0;
    numeric.push({ name: `sex_${SEXES[sx]}`, label: `Sex: ${SEXES[sx]}`, values: v, binary: true });
  }
  const condCounts = new Array<number>(CONDITION_GROUP_NAMES.length).fill(0);
  for (let k = 0; k < m; k++) condCounts[rows.condition[idx[k]!]!]!++;
  const present = CONDITION_GROUP_NAMES.map((_, i) => i).filter((i) => condCounts[i]! > 0);
  const codeOf = new Int32Array(CONDITION_GROUP_NAMES.length).fill(-1);
  present.forEach((c, j) => (codeOf[c] = j));
  const codes = new Uint8Array(m);
  for (let k = 0; k < m; k++) codes[k] = codeOf[rows.condition[idx[k]!]!]!;
  const conditionDummies = present.map((c, j) => {
    const v = new Float64Array(m);
    for (let k = 0; k < m; k++) v[k] = codes[k] === j ? 1 : 0;
    return { name: `condition_${CONDITION_GROUP_NAMES[c]}`, label: `Condition: ${conditionLabelOf(c)}`, values: v, binary: true };
  });
  const factor = present.length > 1 ? { name: 'condition_', codes, levels: present.map((c) => CONDITION_GROUP_NAMES[c]!) } : null;
  // Balance is shown for every sex level present and every condition present.
  const sexRows = sexes.length > 1
    ? sexes.map((sx) => {
        const v = new Float64Array(m);
        for (let k = 0; k < m; k++) v[k] = rows.sex[idx[k]!] === sx ? 1 : 0;
        return { name: `sex_${SEXES[sx]}`, label: `Sex: ${SEXES[sx]}`, values: v, binary: true };
      })
    : [];
  const balance = [...numeric.filter((c) => !c.binary), ...sexRows, ...(present.length > 1 ? conditionDummies : [])];
  return { numeric, factor, codes, balance };
}

const LABEL_OF_TERM = (name: string): string => {
  if (name === '(Intercept)') return 'Intercept';
  if (name in COVARIATE_LABELS) return COVARIATE_LABELS[name as keyof typeof COVARIATE_LABELS];
  if (name.startsWith('sex_')) return `Sex: ${name.slice(4)}`;
  if (name.startsWith('condition_')) return `Condition: ${name.slice(10).replace(/_/g, ' ')}`;
  return name;
};

/**
 * Propensity model, stabilised weights truncated at the 1st/99th percentiles,
 * balance, overlap, and the weighted estimates (IPW and doubly robust). The
 * models are fitted over the distinct covariate patterns with their counts
 * (exactly the fit over the rows; grouping.ts) when the covariates allow it.
 */
export function adjustedComparison(rows: CompareRows, s: CompareSettings): { result: AdjustedComparison; internals: AdjustedInternals | null } {
  const level = s.level ?? 0.95;
  const pop = adjustedPopulation(rows);
  const idx = pop.idx;
  const m = idx.length;
  const treat = new Uint8Array(m);
  let n1 = 0;
  for (let k = 0; k < m; k++) n1 += treat[k] = rows.path[idx[k]!]!;
  const n0 = m - n1;
  const empty: AdjustedComparison = {
    status: 'not_estimable', reason: null, n1, n0, excludedMissingCovariates: pop.excluded, patterns: null, propensity: null,
    weights: null, overlap: null, balance: [], ipw: null, doublyRobust: null, responders: null, imbalanced: [], poorOverlap: false,
    warnings: [], settled: false,
  };
  const refuse = (reason: string) => ({ result: { ...empty, reason, warnings: [reason] }, internals: null });
  if (n1 === 0 || n0 === 0) return refuse('Only one care path has episodes with a follow-up here: there is nothing to compare.');
  const cov = covariatesOf(rows, idx);
  if (m < 2 * (cov.numeric.length + (cov.factor ? cov.factor.levels.length : 1)) + 20) {
    return refuse('Too few episodes with a follow-up to fit the propensity model.');
  }

  // Propensity model over the distinct covariate patterns.
  const patternCols = [...cov.numeric.map((c) => c.values), cov.codes];
  const groups = groupRows(patternCols);
  let ps: Float64Array;
  let fitIterations = 0;
  let coefs: PropensityCoefficient[] = [];
  {
    let design: FactorDesign;
    let y: Float64Array;
    let weights: Float64Array | undefined;
    if (groups) {
      const share = new Float64Array(groups.groups);
      for (let k = 0; k < m; k++) {
        const g = groups.groupOf[k]!;
        share[g] = share[g]! + treat[k]!;
      }
      for (let g = 0; g < groups.groups; g++) share[g] = share[g]! / groups.count[g]!;
      design = {
        numeric: cov.numeric.map((c) => ({ name: c.name, values: Float64Array.from(groups.firstRow, (r) => c.values[r]!) })),
        factor: cov.factor ? { ...cov.factor, codes: Uint8Array.from(groups.firstRow, (r) => cov.codes[r]!) } : null,
      };
      y = share;
      weights = groups.count;
    } else {
      design = { numeric: cov.numeric.map((c) => ({ name: c.name, values: c.values })), factor: cov.factor };
      y = Float64Array.from(treat);
    }
    const fit = factorLogistic(prepareFactorDesign(design), y, { weights, level });
    if (fit.status === 'rank_deficient') return refuse(`The propensity model cannot separate ${fit.aliased.map(LABEL_OF_TERM).join(', ')} from the other covariates here.`);
    if (fit.status === 'too_few_observations') return refuse('Too few episodes to fit the propensity model.');
    if (fit.status !== 'converged') {
      return refuse(
        fit.status === 'separation'
          ? 'Some covariate pattern is seen on one care path only (the propensity model separates the paths): the paths cannot be compared for these patients without extrapolation.'
          : 'The propensity model did not converge.',
      );
    }
    fitIterations = fit.iterations;
    coefs = fit.coefficients.map((c) => ({
      name: c.name, label: LABEL_OF_TERM(c.name), estimate: c.estimate, se: c.se, oddsRatio: Math.exp(c.estimate),
      lower: Math.exp(c.lower), upper: Math.exp(c.upper), p: c.p,
    }));
    ps = new Float64Array(m);
    if (groups) for (let k = 0; k < m; k++) ps[k] = fit.fitted[groups.groupOf[k]!]!;
    else ps = fit.fitted;
  }
  for (let k = 0; k < m; k++) {
    const v = ps[k]!;
    if (!(v > 0 && v < 1)) return refuse('Some propensity scores are 0 or 1: the paths cannot be compared for those patients.');
  }

  const tw = ipw(treat, ps);
  const w = tw.weights;
  const ov = overlap(ps, treat);
  const w1: number[] = [];
  const w0: number[] = [];
  for (let k = 0; k < m; k++) (treat[k] === 1 ? w1 : w0).push(w[k]!);
  const ess1 = effectiveSampleSize(w1);
  const ess0 = effectiveSampleSize(w0);
  const balance = balanceTable(cov.balance.map((c) => ({ name: c.name, values: c.values, binary: c.binary })), treat, w, SMD_THRESHOLD).map((r, j) => ({
    ...r, label: cov.balance[j]!.label,
  }));

  // Outcomes: change, and the responder flag (complete cases).
  const rule = ruleOf(s);
  const change = pick(rows.change, idx);
  const resp = rule ? new Float64Array(m) : null;
  if (resp) for (let k = 0; k < m; k++) {
    const i = idx[k]!;
    resp[k] = isResponder(rule!, rows.baseline[i]!, rows.value[i]!, rows.change[i]!) ? 1 : 0;
  }
  const ipwOf = (y: Float64Array) => {
    const shift = y.length > 0 ? y[0]! : 0;
    const s1 = weightedSums(shift);
    const s0 = weightedSums(shift);
    for (let k = 0; k < m; k++) addWeighted(treat[k] === 1 ? s1 : s0, y[k]!, w[k]!);
    return weightedDifferenceFromSums(s1, s0, { vcov: 'HC1', level });
  };
  const ipwChange = ipwOf(change);

  // Doubly robust: weighted least squares of y on path + covariates, over the cells (pattern x path),
  // whose weight is constant within a cell (it depends on the score and the path only).
  const dr = (y: Float64Array) => doublyRobust(cov, treat, w, y, groups, level);
  const drChange = dr(change);

  const responders = resp ? { ipw: ipwOf(resp), doublyRobust: dr(resp) } : null;

  const imbalanced = balance.filter((b) => b.weightedSmd !== null && Math.abs(b.weightedSmd) >= SMD_THRESHOLD).map((b) => b.label);
  const outsideShare = (ov.outsideTreated + ov.outsideControl) / m;
  const poorOverlap = outsideShare > OUTSIDE_SUPPORT_LIMIT || ess1 < ESS_LIMIT * n1 || ess0 < ESS_LIMIT * n0;
  const warnings: string[] = [];
  if (imbalanced.length > 0) {
    warnings.push(
      `After weighting the paths still differ in ${imbalanced.join(', ')} (standardised difference of 0.1 or more): the adjusted difference may still be confounded by ${imbalanced.length === 1 ? 'it' : 'them'} and is not a settled answer.`,
    );
  }
  if (poorOverlap) {
    warnings.push(
      `The two paths overlap poorly: ${(outsideShare * 100).toFixed(1)} % of episodes have propensity scores that the other path does not reach, and weighting leaves an effective ${Math.round(ess1)} of ${n1} interventional and ${Math.round(ess0)} of ${n0} conservative episodes. The adjusted difference rests on few comparable patients.`,
    );
  }
  if (pop.excluded > 0) warnings.push(`${pop.excluded} episodes without a recorded pain duration are left out of the adjusted comparison.`);
  return {
    result: {
      status: 'ok', reason: null, n1, n0, excludedMissingCovariates: pop.excluded, patterns: groups ? groups.groups : null,
      propensity: { iterations: fitIterations, coefficients: coefs },
      weights: { lowerCut: tw.lowerCut, upperCut: tw.upperCut, nTruncated: tw.nTruncated, ess1, ess0 },
      overlap: { ...ov, outsideShare },
      balance, ipw: ipwChange, doublyRobust: drChange, responders, imbalanced, poorOverlap, warnings,
      settled: imbalanced.length === 0 && !poorOverlap && drChange !== null,
    },
    internals: { rows: idx, treat, ps, weights: w, covariates: cov.balance },
  };
}

function doublyRobust(
  cov: ReturnType<typeof covariatesOf>,
  treat: Uint8Array,
  w: Float64Array,
  y: Float64Array,
  groups: ReturnType<typeof groupRows>,
  level: number,
): AdjustedComparison['doublyRobust'] {
  const m = treat.length;
  let fit;
  if (groups) {
    // Cells: pattern x path. Within a cell the covariates and the weight are constant.
    const cellOf = new Int32Array(m);
    const index = new Int32Array(groups.groups * 2).fill(-1);
    const first: number[] = [];
    for (let k = 0; k < m; k++) {
      const key = groups.groupOf[k]! * 2 + treat[k]!;
      let c = index[key]!;
      if (c < 0) {
        c = first.length;
        index[key] = c;
        first.push(k);
      }
      cellOf[k] = c;
    }
    const cells = first.length;
    const count = new Float64Array(cells);
    const sum = new Float64Array(cells);
    for (let k = 0; k < m; k++) {
      const c = cellOf[k]!;
      count[c] = count[c]! + 1;
      sum[c] = sum[c]! + y[k]!;
    }
    const mean = sum.map((v, c) => v / count[c]!);
    const ss = new Float64Array(cells);
    for (let k = 0; k < m; k++) {
      const c = cellOf[k]!;
      const d = y[k]! - mean[c]!;
      ss[c] = ss[c]! + d * d;
    }
    const at = (v: ArrayLike<number>) => Float64Array.from(first, (k) => v[k]!);
    const design: FactorDesign = {
      numeric: [{ name: 'path', values: at(treat) }, ...cov.numeric.map((c) => ({ name: c.name, values: at(c.values) }))],
      factor: cov.factor ? { ...cov.factor, codes: Uint8Array.from(first, (k) => cov.codes[k]!) } : null,
    };
    fit = factorOls(prepareFactorDesign(design), mean, { weights: at(w), vcov: 'HC1', level, cells: { counts: count, sumSquares: ss } });
  } else {
    const design: FactorDesign = {
      numeric: [{ name: 'path', values: Float64Array.from(treat) }, ...cov.numeric.map((c) => ({ name: c.name, values: c.values }))],
      factor: cov.factor,
    };
    fit = factorOls(prepareFactorDesign(design), y, { weights: w, vcov: 'HC1', level });
  }
  if (fit.status !== 'ok') return null;
  const c = fit.coefficients[1]!;
  return { estimate: c.estimate, se: c.se, lower: c.lower, upper: c.upper, p: c.p, df: fit.dfResidual };
}

// ---- matching --------------------------------------------------------------------------

export interface MatchedComparison {
  status: 'ok' | 'not_estimable';
  reason: string | null;
  caliperSd: number;
  caliper: number | null;
  pairs: number;
  nTreated: number;
  nControl: number;
  unmatchedTreated: number;
  /** Mean of the pairs' differences in change (interventional - conservative), paired t-interval: the effect among matched interventional episodes (ATT). */
  difference: MeanSummary | null;
  balance: { name: string; label: string; binary: boolean; smdBefore: number | null; smdAfter: number | null; meanTreated: number | null; meanControl: number | null; balanced: boolean | null }[];
  imbalanced: string[];
  warnings: string[];
}

/** 1:1 greedy nearest-neighbour matching on logit(ps), caliper 0.2 SD, on the adjusted analysis population. */
export function matchedComparison(rows: CompareRows, internals: AdjustedInternals, s: CompareSettings, caliperSd = 0.2): MatchedComparison {
  const level = s.level ?? 0.95;
  const { treat, ps, rows: idx } = internals;
  const mres = matchNearest(ps, treat, { caliperSd });
  const pairs = mres.treated.length;
  const base = {
    caliperSd, caliper: Number.isFinite(mres.caliper) ? mres.caliper : null, pairs,
    nTreated: mres.nTreated, nControl: mres.nControl, unmatchedTreated: mres.unmatchedTreated,
  };
  if (pairs < 2) {
    return { status: 'not_estimable', reason: 'Fewer than two interventional episodes found a conservative match within the caliper.', ...base, difference: null, balance: [], imbalanced: [], warnings: [] };
  }
  const diffs = new Float64Array(pairs);
  for (let k = 0; k < pairs; k++) diffs[k] = rows.change[idx[mres.treated[k]!]!]! - rows.change[idx[mres.control[k]!]!]!;
  const difference = meanSummary(diffs, level);
  const matchedIdx = new Int32Array(2 * pairs);
  matchedIdx.set(mres.treated, 0);
  matchedIdx.set(mres.control, pairs);
  const mt = new Uint8Array(2 * pairs);
  mt.fill(1, 0, pairs);
  const ones = new Float64Array(2 * pairs).fill(1);
  const before = balanceTable(internals.covariates.map((c) => ({ name: c.name, values: c.values, binary: c.binary })), treat, new Float64Array(treat.length).fill(1), SMD_THRESHOLD);
  const after = balanceTable(internals.covariates.map((c) => ({ name: c.name, values: pick(c.values, matchedIdx), binary: c.binary })), mt, ones, SMD_THRESHOLD);
  const balance = internals.covariates.map((c, j) => ({
    name: c.name, label: c.label, binary: c.binary, smdBefore: before[j]!.smd, smdAfter: after[j]!.smd,
    meanTreated: after[j]!.meanTreated, meanControl: after[j]!.meanControl,
    balanced: after[j]!.smd === null ? null : Math.abs(after[j]!.smd!) < SMD_THRESHOLD,
  }));
  const imbalanced = balance.filter((b) => b.balanced === false).map((b) => b.label);
  const warnings: string[] = [];
  if (imbalanced.length > 0) warnings.push(`The matched pairs still differ in ${imbalanced.join(', ')} (standardised difference of 0.1 or more).`);
  if (mres.unmatchedTreated > 0.1 * mres.nTreated) {
    warnings.push(`${mres.unmatchedTreated} of ${mres.nTreated} interventional episodes (${((100 * mres.unmatchedTreated) / mres.nTreated).toFixed(0)} %) found no conservative episode within the caliper: the matched estimate describes the rest only.`);
  }
  return { status: 'ok', reason: null, ...base, difference, balance, imbalanced, warnings };
}

// ---- subgroups --------------------------------------------------------------------------

export const SUBGROUPINGS = ['condition', 'region', 'age_band', 'sex', 'severity'] as const;
export type Subgrouping = (typeof SUBGROUPINGS)[number];

export interface SubgroupEstimate {
  key: string;
  label: string;
  n1: number;
  n0: number;
  estimate: number | null;
  se: number | null;
  lower: number | null;
  upper: number | null;
  small: boolean;
}

export interface SubgroupFamily {
  by: Subgrouping;
  rows: SubgroupEstimate[];
  /** Cochran's Q across the subgroups with an estimate (decision 004): the interaction test. */
  interaction: { q: number; df: number; p: number; i2: number | null } | null;
}

/** Baseline severity bands of each measure (labels name the cut-offs). */
export function severityBands(measure: Measure): { label: string; test: (b: number) => boolean }[] {
  switch (measure) {
    case 'pain_nrs':
      return [
        { label: 'Mild (0-3)', test: (b) => b <= 3 },
        { label: 'Moderate (4-6)', test: (b) => b > 3 && b <= 6 },
        { label: 'Severe (7-10)', test: (b) => b > 6 },
      ];
    case 'odi':
      return [
        { label: 'Minimal (0-20)', test: (b) => b <= 20 },
        { label: 'Moderate (21-40)', test: (b) => b > 20 && b <= 40 },
        { label: 'Severe (41-60)', test: (b) => b > 40 && b <= 60 },
        { label: 'Crippling (61-100)', test: (b) => b > 60 },
      ];
    case 'promis_pf':
      return [
        { label: 'Within normal (T > 45)', test: (b) => b > 45 },
        { label: 'Mild (T 40-45)', test: (b) => b > 40 && b <= 45 },
        { label: 'Moderate (T 30-40)', test: (b) => b > 30 && b <= 40 },
        { label: 'Severe (T ≤ 30)', test: (b) => b <= 30 },
      ];
    default:
      return [
        { label: 'Within normal (T < 55)', test: (b) => b < 55 },
        { label: 'Mild (T 55-60)', test: (b) => b >= 55 && b < 60 },
        { label: 'Moderate (T 60-70)', test: (b) => b >= 60 && b < 70 },
        { label: 'Severe (T ≥ 70)', test: (b) => b >= 70 },
      ];
  }
}

const REGION_LABELS = ['Cervical', 'Thoracic', 'Lumbar', 'Sacroiliac', 'Peripheral', 'Other'];

/**
 * The effect on mean change per subgroup: the weighted difference with the
 * overall propensity weights (HC1) when the adjusted analysis is estimable,
 * else the crude difference (weights 1), with Cochran's Q across subgroups.
 */
export function subgroupComparison(rows: CompareRows, internals: AdjustedInternals | null, s: CompareSettings): { adjusted: boolean; families: SubgroupFamily[] } {
  const level = s.level ?? 0.95;
  let idx: Int32Array;
  let w: Float64Array;
  if (internals) {
    idx = internals.rows;
    w = internals.weights;
  } else {
    const keep: number[] = [];
    for (let i = 0; i < rows.n; i++) if (rows.value[i] === rows.value[i]) keep.push(i);
    idx = Int32Array.from(keep);
    w = new Float64Array(idx.length).fill(1);
  }
  const bands = severityBands(s.measure);
  const families: SubgroupFamily[] = [];
  for (const by of SUBGROUPINGS) {
    let levels: { key: string; label: string }[];
    let keyOf: (i: number) => number;
    switch (by) {
      case 'condition':
        levels = CONDITION_GROUP_NAMES.map((c) => ({ key: c, label: conditionLabelOf(CONDITION_GROUP_NAMES.indexOf(c)) }));
        keyOf = (i) => rows.condition[i]!;
        break;
      case 'region':
        levels = [...REGION_LABELS.map((l) => ({ key: l.toLowerCase(), label: l })), { key: 'none', label: 'Not recorded' }];
        keyOf = (i) => (rows.region[i] === NONE ? REGION_LABELS.length : rows.region[i]!);
        break;
      case 'age_band':
        levels = AGE_BANDS.map((b) => ({ key: b.label, label: b.label }));
        keyOf = (i) => {
          const a = rows.age[i]!;
          for (let b = 0; b < AGE_BANDS.length; b++) if (a <= AGE_BANDS[b]!.max) return b;
          return AGE_BANDS.length - 1;
        };
        break;
      case 'sex':
        levels = SEXES.map((x) => ({ key: x, label: x[0]!.toUpperCase() + x.slice(1) }));
        keyOf = (i) => rows.sex[i]!;
        break;
      case 'severity':
        levels = bands.map((b, j) => ({ key: String(j), label: b.label }));
        keyOf = (i) => {
          const b = rows.baseline[i]!;
          for (let j = 0; j < bands.length; j++) if (bands[j]!.test(b)) return j;
          return bands.length - 1;
        };
        break;
    }
    const shift = idx.length > 0 ? rows.change[idx[0]!]! : 0;
    const sums: [WeightedSums, WeightedSums][] = levels.map(() => [weightedSums(shift), weightedSums(shift)]);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      addWeighted(sums[keyOf(i)]![rows.path[i]!]!, rows.change[i]!, w[k]!);
    }
    const est: SubgroupEstimate[] = [];
    levels.forEach((l, j) => {
      const [s0, s1] = sums[j]!;
      if (s0.n + s1.n === 0) return;
      const d = weightedDifferenceFromSums(s1, s0, { vcov: 'HC1', level });
      est.push({
        key: l.key, label: l.label, n1: s1.n, n0: s0.n, estimate: d.diff, se: d.se, lower: d.lower, upper: d.upper,
        small: s1.n < SMALL_SUBGROUP || s0.n < SMALL_SUBGROUP,
      });
    });
    const usable = est.filter((e) => e.estimate !== null && e.se !== null && e.se > 0);
    let interaction: SubgroupFamily['interaction'] = null;
    if (usable.length >= 2) {
      const h = heterogeneityTest(usable.map((e) => ({ estimate: e.estimate!, se: e.se! })));
      if (h.q !== null && h.df !== null && h.p !== null) interaction = { q: h.q, df: h.df, p: h.p, i2: h.i2 };
    }
    families.push({ by, rows: est, interaction });
  }
  return { adjusted: internals !== null, families };
}

// ---- durability ---------------------------------------------------------------------------

/** Days at which the numbers at risk are shown under the curves. */
export const AT_RISK_DAYS = [0, 30, 91, 182, 273, 365, 456] as const;

export interface KmCurve {
  key: string;
  label: string;
  n: number;
  events: number;
  /** Step function: S(t) from each time on. */
  time: number[];
  surv: number[];
  lower: (number | null)[];
  upper: (number | null)[];
  nRisk: number[];
  atRisk: { day: number; n: number }[];
  median: { median: number | null; lower: number | null; upper: number | null };
}

export interface DurabilityResult {
  applies: boolean;
  /** Episodes that responded (>= 30 % reduction at a follow-up), by path. */
  n: number;
  events: number;
  byPath: KmCurve[];
  logRank: { chiSquare: number; df: number; p: number } | null;
  byCategory: KmCurve[];
  logRankCategory: { chiSquare: number; df: number; p: number } | null;
}

const categoryLabel = (c: number) => {
  const s = TREATMENT_CATEGORIES[c]!.replace(/_/g, ' ');
  return s[0]!.toUpperCase() + s.slice(1);
};

/**
 * Kaplan-Meier of time from the index date to loss of response or a repeat
 * procedure, among episodes that responded (pain NRS, >= 30 %), censored at
 * the last follow-up; by path and by treatment category, with log-rank tests.
 */
export function durability(rows: CompareRows, s: CompareSettings): DurabilityResult {
  const level = s.level ?? 0.95;
  if (s.measure !== 'pain_nrs') return { applies: false, n: 0, events: 0, byPath: [], logRank: null, byCategory: [], logRankCategory: null };
  const time: number[] = [];
  const event: number[] = [];
  const path: number[] = [];
  const cat: number[] = [];
  for (let i = 0; i < rows.n; i++) {
    const r = rows.responseDay[i]!;
    if (r !== r) continue;
    const last = rows.lastFollowUpDay[i]!;
    const loss = rows.lossDay[i]!;
    const rep = rows.repeatDay[i]!;
    let t = Infinity;
    if (loss === loss) t = loss;
    if (rep === rep && rep > 0 && rep < t) t = rep;
    const end = last === last ? last : r;
    if (t <= end) {
      time.push(t);
      event.push(1);
    } else {
      time.push(end);
      event.push(0);
    }
    path.push(rows.path[i]!);
    cat.push(rows.category[i]!);
  }
  const n = time.length;
  let events = 0;
  for (const e of event) events += e;
  const curveOf = (keep: (k: number) => boolean, key: string, label: string): KmCurve | null => {
    const t: number[] = [];
    const e: number[] = [];
    for (let k = 0; k < n; k++) if (keep(k)) {
      t.push(time[k]!);
      e.push(event[k]!);
    }
    if (t.length === 0) return null;
    const km = kaplanMeier(t, e, { level });
    const nn = (v: number) => (Number.isFinite(v) ? v : null);
    const risk = numberAtRisk(t, [...AT_RISK_DAYS]);
    return {
      key, label, n: km.n, events: km.events,
      time: Array.from(km.time), surv: Array.from(km.surv), lower: Array.from(km.lower, nn), upper: Array.from(km.upper, nn),
      nRisk: Array.from(km.nRisk),
      atRisk: AT_RISK_DAYS.map((day, j) => ({ day, n: risk[j]! })),
      median: km.median,
    };
  };
  const byPath = [
    curveOf((k) => path[k] === 1, 'interventional', 'Interventional'),
    curveOf((k) => path[k] === 0, 'conservative', 'Conservative'),
  ].filter((c): c is KmCurve => c !== null);
  const lr = (g: number[]) => {
    if (new Set(g).size < 2) return null;
    const r = logRankTest(time, event, g);
    return r.df > 0 && r.p !== null ? { chiSquare: r.chiSquare, df: r.df, p: r.p } : null;
  };
  const present = [...new Set(cat)].filter((c) => c !== NONE).sort((a, b) => a - b);
  const byCategory = present
    .map((c) => curveOf((k) => cat[k] === c, TREATMENT_CATEGORIES[c]!, categoryLabel(c)))
    .filter((c): c is KmCurve => c !== null);
  const catRows: number[] = [];
  const catTime: number[] = [];
  const catEvent: number[] = [];
  for (let k = 0; k < n; k++) if (cat[k] !== NONE) {
    catRows.push(cat[k]!);
    catTime.push(time[k]!);
    catEvent.push(event[k]!);
  }
  let logRankCategory: DurabilityResult['logRankCategory'] = null;
  if (new Set(catRows).size >= 2) {
    const r = logRankTest(catTime, catEvent, catRows);
    if (r.df > 0 && r.p !== null) logRankCategory = { chiSquare: r.chiSquare, df: r.df, p: r.p };
  }
  return { applies: true, n, events, byPath, logRank: lr(path), byCategory, logRankCategory };
}
