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
import { CONDITION_GROUPS, CONDITION_GROUP_NAMES, SEXES, TREATMENT_CATEGORIES, type Measure } from '../../../db/schema/vocabulary.ts';
import { balanceFromCells, cellQuantiles } from '../../stats/balance-cells.ts';
import {
  balanceTable,
  heterogeneityTest,
  hedgesGFromSummary,
  ipw,
  kaplanMeier,
  logRankTest,
  matchNearest,
  meanSummary,
  numberAtRisk,
  numberNeededToTreat,
  relativeRisk,
  riskDifference,
  welchFromSummary,
  type BalanceRow,
  type HedgesG,
  type KaplanMeier,
  type LogRank,
  type MeanSummary,
  type NumberNeeded,
  type Overlap,
  type RelativeRisk,
  type RiskDifference,
  type WelchResult,
} from '../../stats/index.ts';
import { tCrit } from '../../stats/distributions.ts';
import { factorLogistic, factorOls, factorOlsMany, prepareFactorDesign, type FactorDesign, type PreparedDesign } from '../../stats/factor-regression.ts';
import type { OlsResult } from '../../stats/regression.ts';
import { groupRows, type RowGroups } from '../../stats/grouping.ts';
import { kaplanMeierFromTable, logRankFromTable, numberAtRiskFromTable, tabulateSurvival, type SurvivalTable } from '../../stats/survival-table.ts';
import { weightedDifferenceFromSums, weightedSums, type WeightedDifference, type WeightedSums } from '../../stats/weighted-difference.ts';
import { AGE_BANDS, EPSILON, HIGHER_IS_BETTER, isResponder, RESPONDER_RULES, type ResponderRule } from '../outcomes/derive-rules.ts';
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

/** The columns the crude comparison reads. */
export type CrudeRows = Pick<CompareRows, 'n' | 'path' | 'baseline' | 'value' | 'change'>;

/** A responder rule as a small integer kind and a threshold, for the scan's switch (the same comparisons as isResponder). */
const RULE_KIND = { percent: 0, points: 1, at_most: 2, stopped: 3 } as const;

/**
 * The crude comparison's sums, filled by `crudeScan` (one pass, no copies:
 * the crude task scans the store's columns directly; `crudeComparison` the
 * loaded rows) and turned into figures by `finishCrude`.
 */
interface CrudeSums {
  /** Per path (index 1 interventional): episodes with a baseline, complete cases, responders. */
  wb: Float64Array;
  cc: Float64Array;
  resp: Float64Array;
  /** Change moments around `shift` (the first change seen); baseline sums. */
  shift: number;
  sum: Float64Array;
  sumSq: Float64Array;
  bsum: Float64Array;
  /** ANCOVA cells (path, baseline) in order of first appearance, with sums of the follow-up around the baseline. */
  cellPath: number[];
  cellBase: number[];
  cellN: number[];
  cellSum: number[];
  cellSumSq: number[];
  /** Cell of a (baseline in tenths) * 2 + path, for baselines on whole tenths in [0, 2000); a Map for anything else. */
  slotOf: Int32Array;
  cellKey: Map<number, number>;
  /** Complications of every matching episode (the store scan only). */
  episodes: Float64Array;
  withComplication: Float64Array;
  withMajor: Float64Array;
}

function crudeSums(): CrudeSums {
  const two = () => new Float64Array(2);
  return {
    wb: two(), cc: two(), resp: two(), shift: NaN, sum: two(), sumSq: two(), bsum: two(),
    cellPath: [], cellBase: [], cellN: [], cellSum: [], cellSumSq: [],
    slotOf: new Int32Array(40_000).fill(-1), cellKey: new Map(),
    episodes: two(), withComplication: two(), withMajor: two(),
  };
}

/** A new ANCOVA cell for (path t, baseline b), registered under its slot or Map key. */
function newCell(st: CrudeSums, t: number, b: number, slot: number): number {
  const k = st.cellPath.length;
  if (slot >= 0) st.slotOf[slot] = k;
  else st.cellKey.set(b * 2 + t, k);
  st.cellPath.push(t);
  st.cellBase.push(b);
  st.cellN.push(0);
  st.cellSum.push(0);
  st.cellSumSq.push(0);
  return k;
}

/**
 * One pass over rows 0..n-1: those with mask[i] (when a mask is given) count
 * as episodes (with their complications when the columns are given); those
 * also with present[i] and a baseline enter the sums. `path[i] === one` is
 * interventional. Equal, row by row and in the same order, to adding each
 * episode with a baseline to the sums of decision 009's crude figures.
 */
function crudeScan(
  st: CrudeSums,
  rule: ResponderRule | null,
  n: number,
  mask: Uint8Array | null,
  present: Uint8Array | null,
  path: Uint8Array,
  one: number,
  base: Float64Array,
  value: Float64Array,
  change: Float64Array | null,
  /** Instead of `change`: the change as a code into `changeValues` (the store's changeCode; 0 = none). */
  changeCode: Uint16Array | Uint32Array | null,
  changeValues: Float64Array | null,
  minor: Int32Array | null,
  major: Int32Array | null,
  /** 1 when the episode has a complication status recorded: only those count for the complication rates. */
  recorded: Uint8Array | null,
): void {
  const kind = rule ? RULE_KIND[rule.kind] : -1;
  const th = rule && rule.kind !== 'stopped' ? rule.threshold : 0;
  const { wb, cc, resp, sum, sumSq, bsum, slotOf, episodes, withComplication, withMajor } = st;
  const cellN = st.cellN;
  const cellSum = st.cellSum;
  const cellSumSq = st.cellSumSq;
  let shift = st.shift;
  for (let i = 0; i < n; i++) {
    if (mask !== null && mask[i] === 0) continue;
    const t = path[i] === one ? 1 : 0;
    if (major !== null && recorded![i] === 1) {
      const mj = major[i]!;
      episodes[t]!++;
      if (minor![i]! + mj > 0) withComplication[t]!++;
      if (mj > 0) withMajor[t]!++;
    }
    const b = base[i]!;
    if ((present !== null && present[i] === 0) || b !== b) continue;
    wb[t]!++;
    bsum[t] = bsum[t]! + b;
    const v = value[i]!;
    if (v !== v) continue; // NaN: no follow-up
    cc[t]!++;
    const c = changeCode !== null ? changeValues![changeCode[i]!]! : change![i]!;
    if (shift !== shift) shift = c;
    const d = c - shift;
    sum[t] = sum[t]! + d;
    sumSq[t] = sumSq[t]! + d * d;
    // isResponder(rule, b, v, c), the same comparisons (derive-rules.ts).
    if (
      kind === 0 ? b > 0 && c >= th * b - EPSILON
      : kind === 1 ? c >= th - EPSILON
      : kind === 2 ? v <= th + EPSILON
      : kind === 3 ? b > 0 && v === 0
      : false
    )
      resp[t]!++;
    // Baselines are whole points, halves or tenths: a direct slot per tenth (a Map for anything else).
    const tenth = b * 10;
    let k: number;
    if (tenth === Math.round(tenth) && tenth >= 0 && tenth < 20_000) {
      const slot = tenth * 2 + t;
      k = slotOf[slot]!;
      if (k < 0) k = newCell(st, t, b, slot);
    } else k = st.cellKey.get(b * 2 + t) ?? newCell(st, t, b, -1);
    cellN[k] = cellN[k]! + 1;
    const dv = v - b; // follow-up around the baseline: small numbers, no cancellation
    cellSum[k] = cellSum[k]! + dv;
    cellSumSq[k] = cellSumSq[k]! + dv * dv;
  }
  st.shift = shift;
}

function finishCrude(st: CrudeSums, s: CompareSettings, counts: EpisodeCounts): CrudeComparison {
  const level = s.level ?? 0.95;
  const rule = ruleOf(s);
  const higher = HIGHER_IS_BETTER[s.measure];
  const { wb, cc, resp, sum, sumSq, bsum, cellPath, cellBase, cellN, cellSum, cellSumSq } = st;
  const shift = st.shift !== st.shift ? 0 : st.shift;
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

/** The crude comparison of loaded rows (every row has a baseline) with the episodes' complication counts. */
export function crudeComparison(rows: CrudeRows, counts: EpisodeCounts, s: CompareSettings): CrudeComparison {
  const st = crudeSums();
  crudeScan(st, ruleOf(s), rows.n, null, null, rows.path, 1, rows.baseline, rows.value, rows.change, null, null, null, null, null);
  return finishCrude(st, s, counts);
}

/**
 * The crude comparison straight from store-like columns: rows with mask[i]
 * are the matching episodes (complications counted over those with a status
 * recorded), those
 * with present[i] and a baseline the comparison's rows; carePath[i] ===
 * `interventional` is path 1.
 */
export function crudeFromColumns(
  s: CompareSettings,
  n: number,
  cols: {
    mask: Uint8Array; present: Uint8Array; carePath: Uint8Array; interventional: number; baseline: Float64Array; value: Float64Array;
    /** The change as codes into changeValues (0 = none): a quarter of the bytes of the decoded column to read. */
    changeCode: Uint16Array | Uint32Array; changeValues: readonly (number | null)[]; minor: Int32Array; major: Int32Array;
    /** The episode has a complication status recorded (the complication rates' denominators). */
    recorded: Uint8Array;
  },
): CrudeComparison {
  const st = crudeSums();
  const values = Float64Array.from(cols.changeValues, (v) => v ?? NaN);
  crudeScan(st, ruleOf(s), n, cols.mask, cols.present, cols.carePath, cols.interventional, cols.baseline, cols.value, null, cols.changeCode, values, cols.minor, cols.major, cols.recorded);
  const pair = (a: Float64Array): [number, number] => [a[0]!, a[1]!];
  return finishCrude(st, s, { episodes: pair(st.episodes), withComplication: pair(st.withComplication), withMajor: pair(st.withMajor) });
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
  /**
   * The covariates the models adjust for (labels, in COVARIATE_ORDER), and those
   * left out: pain duration when it is recorded for fewer than half of the
   * complete cases (`durationRecorded` of `completeCases` then says how many),
   * any covariate with the same value for every episode (nothing to adjust for).
   */
  covariates: string[];
  omittedCovariates: { label: string; reason: 'not_recorded' | 'no_variation' }[];
  durationRecorded: number;
  completeCases: number;
  /** Distinct covariate patterns the models were fitted over (exact; decision 009). */
  patterns: number | null;
  /** The model's odds ratios; condition and sex against their reference levels (the first present in vocabulary order). */
  propensity: { iterations: number; coefficients: PropensityCoefficient[]; referenceCondition: string | null; referenceSex: string | null } | null;
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
  /** Episodes left out because their sex or condition is seen on one path only (positivity). */
  noCounterpart: { label: string; n: number; path: 'interventional' | 'conservative' }[];
  /** Plain sentences the page shows above the adjusted estimate (adjustedWarnings). */
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
  /**
   * Each row's outcome less the doubly robust model's covariate part
   * (x'beta without intercept and path): the subgroups' weighted differences
   * of it are regression-adjusted for what weighting left unbalanced. null
   * when the outcome model could not be fitted.
   */
  adjustedChange: Float64Array | null;
  /** The cells and the outcome model's design: the responders' part for another definition reuses them (adjustedForDefinition). */
  stage?: { cells: Cells; prepared: PreparedDesign; level: number };
}

/**
 * Complete cases (a follow-up at the window) with every covariate known. Pain
 * duration is optional in the import format: when fewer than half of the
 * complete cases have it, leaving them out would throw most of the data away
 * (a trial's data set usually has none), so the models leave pain duration out
 * instead (`omitDuration`) and every complete case stays.
 */
export function adjustedPopulation(rows: CompareRows, shared: boolean): {
  idx: Int32Array;
  excluded: number;
  treat: Uint8Array;
  t1: number;
  sexCnt: Float64Array;
  condCnt: Float64Array;
  omitDuration: boolean;
  durationRecorded: number;
  completeCases: number;
} {
  const { value, duration, sex, condition } = rows;
  let complete = 0;
  let recorded = 0;
  for (let i = 0; i < rows.n; i++) {
    if (value[i] !== value[i]) continue;
    complete++;
    if (duration[i] === duration[i]) recorded++;
  }
  const omitDuration = 2 * recorded < complete;
  const keep = new Int32Array(rows.n);
  const path = new Uint8Array(rows.n);
  // Episodes per (sex, path) and (condition, path), for the positivity check: in the same pass.
  const sexCnt = new Float64Array(SEXES.length * 2);
  const condCnt = new Float64Array(CONDITION_GROUP_NAMES.length * 2);
  let m = 0;
  let excluded = 0;
  let t1 = 0;
  for (let i = 0; i < rows.n; i++) {
    if (value[i] !== value[i]) continue;
    if (!omitDuration && duration[i] !== duration[i]) {
      excluded++;
      continue;
    }
    const t = rows.path[i]!;
    keep[m] = i;
    path[m++] = t;
    t1 += t;
    sexCnt[sex[i]! * 2 + t]!++;
    condCnt[condition[i]! * 2 + t]!++;
  }
  return { idx: sliceInt32(keep, m, shared), excluded, treat: path.slice(0, m), t1, sexCnt, condCnt, omitDuration, durationRecorded: recorded, completeCases: complete };
}

/** The first m values, on a SharedArrayBuffer when `shared` (a helper thread reads them without a copy). */
function sliceInt32(a: Int32Array, m: number, shared: boolean): Int32Array {
  if (!shared) return a.slice(0, m);
  const out = new Int32Array(new SharedArrayBuffer(4 * m));
  out.set(a.subarray(0, m));
  return out;
}

/** The rows with pain duration set to 0 for every episode: a covariate without spread, which the models leave out. */
function withoutDuration(rows: CompareRows): CompareRows {
  const { patterns, ...rest } = rows;
  void patterns;
  const shared = rows.path.buffer instanceof SharedArrayBuffer;
  return { ...rest, duration: shared ? new Float64Array(new SharedArrayBuffer(8 * rows.n)) : new Float64Array(rows.n) };
}

/** part[c] += b v[c]. */
function addScaled(part: Float64Array, b: number, v: Float64Array): void {
  for (let c = 0; c < part.length; c++) part[c] = part[c]! + b * v[c]!;
}

/** part[c] += b when v[c] is the level (0/1 column times its coefficient). */
function addIndicator(part: Float64Array, b: number, v: Float64Array, level: number): void {
  for (let c = 0; c < part.length; c++) part[c] = part[c]! + b * (v[c] === level ? 1 : 0);
}

/** part[c] += coef[v[c]] (a factor's coefficient per level, 0 for the reference). */
function addLevels(part: Float64Array, coef: Float64Array, v: Float64Array): void {
  for (let c = 0; c < part.length; c++) part[c] = part[c]! + coef[v[c]!]!;
}

/** Each row's change less its cell's covariate part. */
function lessPart(change: Float64Array, idx: Int32Array, part: Float64Array, cellOf: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = change[idx[k]!]! - part[cellOf[k]!]!;
  return out;
}

/** out[j] = v[at[j]] (a small function of its own: V8 keeps it optimised for every caller). */
function gatherAt(v: ArrayLike<number>, at: Int32Array, out: Float64Array): Float64Array {
  for (let j = 0; j < at.length; j++) out[j] = v[at[j]!]!;
  return out;
}

/** idx[at[j]] for each j. */
function gatherRows(idx: Int32Array, at: Int32Array): Int32Array {
  const out = new Int32Array(at.length);
  for (let j = 0; j < at.length; j++) out[j] = idx[at[j]!]!;
  return out;
}

/** src[idx[k]] for each k, as a new column. */
const pick = (src: ArrayLike<number>, idx: Int32Array): Float64Array => gatherAt(src, idx, new Float64Array(idx.length));

const conditionLabelOf = (c: number) => CONDITION_GROUPS[CONDITION_GROUP_NAMES[c]!].label;
const sexLabel = (s: number) => `Sex: ${SEXES[s]}`;

const LABEL_OF_TERM = (name: string): string => {
  if (name === '(Intercept)') return 'Intercept';
  if (name in COVARIATE_LABELS) return COVARIATE_LABELS[name as keyof typeof COVARIATE_LABELS];
  if (name.startsWith('sex_')) return `Sex: ${name.slice(4)}`;
  if (name.startsWith('condition_')) return `Condition: ${CONDITION_GROUPS[name.slice(10) as keyof typeof CONDITION_GROUPS]?.label ?? name.slice(10)}`;
  return name;
};

const NUMERIC_COVARIATES = ['age', 'baseline', 'duration', 'prior'] as const;

/** Cells of the analysis: covariate patterns x path, with their counts, weights and outcome sums. */
interface Cells {
  k: number;
  /** Pattern and path of each cell. */
  pattern: Int32Array;
  treat: Uint8Array;
  count: Float64Array;
  weight: Float64Array;
  /** Per row: its cell. */
  cellOf: Int32Array;
}

/**
 * Propensity model, stabilised weights truncated at the 1st/99th percentiles,
 * balance, overlap, and the weighted estimates (IPW and doubly robust).
 *
 * Everything the models see is constant within a covariate pattern (and the
 * weight within a pattern x path cell), so the models are fitted over the
 * distinct patterns and cells with their counts and outcome sums (grouping.ts,
 * factor-regression.ts: exactly the fits over the rows), and the balance
 * table is computed over the cells (balance-cells.ts). The weights and their
 * truncation percentiles are computed over the rows, as the spec defines them.
 */
export function adjustedComparison(
  loaded: CompareRows,
  s: CompareSettings,
  /** Called after each step with its name (benchmarks time the steps). */
  lap: (step: string) => void = () => {},
  /** Runs parts elsewhere (a helper thread); `result()` waits for them. Inline when absent: the same functions either way. */
  offload?: {
    /** cellOutcomes elsewhere (it needs the patterns only, not the propensity model: it runs while the model is fitted). */
    cells?: (rows: CompareRows, idx: Int32Array, groupOf: Int32Array, G: number, s: CompareSettings, spec?: DrSpec) => { result(): CellOutcomes };
    /** weightedParts elsewhere, on the cells computed there (it runs while the outcome models are fitted here). */
    weighted?: (co: CellOutcomes, weight: Float64Array, spec: DrSpec, s: CompareSettings) => { result(): WeightedParts };
  },
  /**
   * Called with the internals once they are complete, before waiting for the helper's balance table
   * (the task computes the subgroups there): the same internals as returned.
   */
  whileWaiting?: (internals: AdjustedInternals) => void,
): { result: AdjustedComparison; internals: AdjustedInternals | null } {
  const level = s.level ?? 0.95;
  const pop = adjustedPopulation(loaded, offload !== undefined);
  const rows = pop.omitDuration ? withoutDuration(loaded) : loaded;
  const covariateInfo = { excludedMissingCovariates: pop.excluded, durationRecorded: pop.durationRecorded, completeCases: pop.completeCases };
  lap('complete cases');
  // Positivity: a sex or condition seen on one path only has no counterpart to be compared with. Those
  // episodes are left out (and the page says so) rather than letting the model run off to infinity.
  const noCounterpart: AdjustedComparison['noCounterpart'] = [];
  let idx = pop.idx;
  let treat = pop.treat;
  {
    const t1 = pop.t1;
    const base = { status: 'not_estimable' as const, n1: t1, n0: idx.length - t1, ...covariateInfo, covariates: [], omittedCovariates: [], patterns: null, propensity: null, weights: null, overlap: null, balance: [], ipw: null, doublyRobust: null, responders: null, imbalanced: [], poorOverlap: false, noCounterpart: [], settled: false };
    const reason =
      idx.length === 0 ? 'No episodes with a baseline and a follow-up in this window match the filters.'
      : t1 === 0 || t1 === idx.length ? 'Only one care path has episodes with a follow-up here: there is nothing to compare.'
      : null;
    if (reason) return { result: { ...base, reason, warnings: [reason] }, internals: null };
  }
  let n1 = pop.t1;
  {
    const { sexCnt, condCnt } = pop;
    const oneSided = (cnt: Float64Array, l: number) => (cnt[2 * l]! > 0) !== (cnt[2 * l + 1]! > 0);
    const badSex = SEXES.map((_, l) => oneSided(sexCnt, l));
    const badCond = CONDITION_GROUP_NAMES.map((_, l) => oneSided(condCnt, l));
    const describe = (cnt: Float64Array, l: number, label: string) =>
      ({ label, n: cnt[2 * l]! + cnt[2 * l + 1]!, path: cnt[2 * l + 1]! > 0 ? ('interventional' as const) : ('conservative' as const) });
    SEXES.forEach((x, l) => badSex[l] && noCounterpart.push(describe(sexCnt, l, `sex "${x}"`)));
    CONDITION_GROUP_NAMES.forEach((_, l) => badCond[l] && noCounterpart.push(describe(condCnt, l, conditionLabelOf(l).toLowerCase())));
    if (noCounterpart.length > 0) {
      const keep = new Int32Array(idx.length);
      const keepTreat = new Uint8Array(idx.length);
      let j = 0;
      n1 = 0;
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k]!;
        if (!badSex[rows.sex[i]!] && !badCond[rows.condition[i]!]) {
          keep[j] = i;
          n1 += keepTreat[j++] = treat[k]!;
        }
      }
      idx = sliceInt32(keep, j, offload !== undefined);
      treat = keepTreat.slice(0, j);
    }
  }
  const m = idx.length;
  const n0 = m - n1;
  const empty: AdjustedComparison = {
    status: 'not_estimable', reason: null, n1, n0, ...covariateInfo, covariates: [], omittedCovariates: [], patterns: null, propensity: null,
    weights: null, overlap: null, balance: [], ipw: null, doublyRobust: null, responders: null, imbalanced: [], poorOverlap: false,
    noCounterpart: [], warnings: [], settled: false,
  };
  const refuse = (reason: string) => ({ result: { ...empty, reason, warnings: [reason] }, internals: null });
  if (m === 0) return refuse('No episode has a counterpart on the other path (every sex or condition here is seen on one path only).');
  if (n1 === 0 || n0 === 0) return refuse('Only one care path has episodes with a follow-up here: there is nothing to compare.');
  if (m < 60) return refuse('Too few episodes with a follow-up to fit the propensity model.');

  // The covariate patterns of the population (rows of `idx`), and each pattern's covariates.
  const order = [rows.age, rows.baseline, rows.duration, rows.prior, rows.sex, rows.condition] as const;
  lap('population');
  const kept = rows.patterns ? patternsOf(rows.patterns, idx, treat, offload !== undefined) : null;
  const groups = kept ?? groupRows(order, undefined, idx) ?? identityGroups(m);
  lap('patterns');
  const G = groups.groups;
  // On SharedArrayBuffers when a helper thread takes the cells (spec.patternValues: no copy).
  const firstOf = gatherRows(idx, groups.firstRow);
  const at = (v: ArrayLike<number>) => gatherAt(v, firstOf, offload ? new Float64Array(new SharedArrayBuffer(8 * G)) : new Float64Array(G));
  const pv = { age: at(rows.age), baseline: at(rows.baseline), duration: at(rows.duration), prior: at(rows.prior), sex: at(rows.sex), condition: at(rows.condition) };
  // Each pattern's share of interventional episodes (the propensity model's outcome over the patterns).
  let share = kept?.treated ?? null;
  if (!share) {
    share = new Float64Array(G);
    for (let k = 0; k < m; k++) {
      const g = groups.groupOf[k]!;
      share[g] = share[g]! + treat[k]!;
    }
  }
  for (let g = 0; g < G; g++) share[g] = share[g]! / groups.count[g]!;

  // Design of the propensity model over the patterns: numeric covariates with spread, sex as 0/1 columns
  // per non-reference level present, condition group as a factor of the levels present.
  const levelsOf = (v: Float64Array, size: number) => {
    const cnt = new Float64Array(size);
    for (let g = 0; g < G; g++) cnt[v[g]!] = cnt[v[g]!]! + groups.count[g]!;
    return [...cnt.keys()].filter((l) => cnt[l]! > 0);
  };
  const sexes = levelsOf(pv.sex, SEXES.length);
  const conditions = levelsOf(pv.condition, CONDITION_GROUP_NAMES.length);
  const spread = (v: Float64Array) => v.some((x) => x !== v[0]);
  const numericNames = NUMERIC_COVARIATES.filter((c) => spread(pv[c]));
  const indicator = (v: Float64Array, level: number) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] === level ? 1 : 0;
    return out;
  };
  const numeric = [
    ...numericNames.map((c) => ({ name: c as string, values: pv[c] })),
    ...sexes.slice(1).map((sx) => ({ name: `sex_${SEXES[sx]}`, values: indicator(pv.sex, sx) })),
  ];
  const codeOf = new Int32Array(CONDITION_GROUP_NAMES.length).fill(-1);
  conditions.forEach((c, j) => (codeOf[c] = j));
  const condCodes = new Uint8Array(G);
  for (let g = 0; g < G; g++) condCodes[g] = codeOf[pv.condition[g]!]!;
  const factor = conditions.length > 1 ? { name: 'condition_', codes: condCodes, levels: conditions.map((c) => CONDITION_GROUP_NAMES[c]!) } : null;
  // The cells (pattern x path), their covariates and outcome sums and the outcome model's design depend on
  // the patterns only: on the helper thread (when there is one) while the propensity model is fitted here.
  const spec: DrSpec = { patternValues: pv, numericNames, sexes, conditions, shared: offload !== undefined };
  const cellsPending = offload?.cells?.(rows, idx, groups.groupOf, G, s, spec) ?? { result: () => cellOutcomes(rows, idx, groups.groupOf, G, s, spec) };
  lap('pattern covariates');

  const fit = factorLogistic(prepareFactorDesign({ numeric, factor }), share, { weights: groups.count, level });
  lap('propensity model');
  if (fit.status === 'rank_deficient') return refuse(`The propensity model cannot separate ${fit.aliased.map(LABEL_OF_TERM).join(', ')} from the other covariates here.`);
  if (fit.status === 'too_few_observations') return refuse('Too few episodes to fit the propensity model.');
  if (fit.status !== 'converged') {
    return refuse(
      fit.status === 'separation'
        ? 'Some covariate pattern is seen on one care path only (the propensity model separates the paths): the paths cannot be compared for these patients without extrapolation.'
        : 'The propensity model did not converge.',
    );
  }
  const coefs: PropensityCoefficient[] = fit.coefficients.map((c) => ({
    name: c.name, label: LABEL_OF_TERM(c.name), estimate: c.estimate, se: c.se, oddsRatio: Math.exp(c.estimate),
    lower: Math.exp(c.lower), upper: Math.exp(c.upper), p: c.p,
  }));
  // Every pattern has rows: a score of 0 or 1 for a pattern is one for its rows.
  for (let g = 0; g < G; g++) {
    const v = fit.fitted[g]!;
    if (!(v > 0 && v < 1)) return refuse('Some propensity scores are 0 or 1: the paths cannot be compared for those patients.');
  }

  // Cells: pattern x path. The score is the pattern's and the weight the cell's, so the weights and their
  // truncation percentiles, overlap, ESS and balance follow from the cells and their counts: the same
  // numbers as over the rows (decision 004's `ipw`: stabilised weights truncated at R's type-7 1st/99th
  // percentiles of all the rows' weights, which are the cells' weights, each counted as often as it has rows).
  const co = cellsPending.result();
  lap('cells and outcome sums (waiting for the helper thread, or inline)');
  const tw = cellWeights(co, fit.fitted, n1, m);
  const cells: Cells = { k: co.k, pattern: co.pattern, treat: co.treat, count: co.count, cellOf: co.cellOf, weight: tw.weight };
  // Each row's weight (its cell's) and score (its pattern's) only when asked for (internals.weights,
  // internals.ps): the subgroups read the weights through the cells, matching reads the scores.
  let wOfRows: Float64Array | null = null;
  const rowWeights = () => (wOfRows ??= gatherAt(tw.weight, co.cellOf, new Float64Array(m)));
  let psOfRows: Float64Array | null = null;
  const rowScores = () => (psOfRows ??= gatherAt(fit.fitted, groups.groupOf, new Float64Array(m)));
  lap('weights');
  // The balance table on the helper thread while the outcome models are fitted here.
  const weighted = offload?.weighted?.(co, tw.weight, spec, s) ?? { result: () => weightedParts(co, tw.weight, spec, s) };
  const { ess1, ess0, ...ov } = overlapOfCells(cells, fit.fitted, n1, n0);
  const cellCov = co.cellCov!;
  lap('overlap and cells');

  // Outcomes: the change (complete cases), summed per cell around a shift (cellOutcomes).
  const prepared = co.prepared!;
  // Doubly robust: weighted least squares of the change, and of the responder flag (linear probability),
  // on path + covariates over the cells (HC1): one cross-product X'WX for both (factorOlsMany: each fit
  // equals factorOls of its outcome exactly).
  const chSums = cellSums(cells, co.change, level);
  const rsSums = co.responders ? cellSums(cells, co.responders, level) : null;
  lap('outcomes');
  const fits = factorOlsMany(prepared, rsSums ? [chSums.mean, rsSums.mean] : [chSums.mean], {
    weights: cells.weight, vcov: 'HC1', level, cells: { counts: cells.count, sumSquares: rsSums ? [chSums.ss, rsSums.ss] : [chSums.ss] },
  });
  const ch = { ipwEst: chSums.ipwEst, dr: fits[0]! };
  const responders: AdjustedComparison['responders'] = rsSums ? { ipw: rsSums.ipwEst, doublyRobust: drOut(fits[1]!) } : null;
  lap('doubly robust (change and responders)');
  const drChange = drOut(ch.dr);

  // The covariate part of the outcome model per cell, for the subgroups.
  let adjustedChange: Float64Array | null = null;
  if (ch.dr.status === 'ok') {
    const beta = ch.dr.beta;
    const part = new Float64Array(cells.k);
    // The outcome model's columns after path (drDesignOf's order): the numeric covariates, then one 0/1
    // column per non-reference sex; read from the cells' covariates without building the columns again.
    let j = 2;
    for (const name of spec.numericNames) addScaled(part, beta[j++]!, cellCov[name]);
    for (const sx of spec.sexes.slice(1)) addIndicator(part, beta[j++]!, cellCov.sex, sx);
    if (factor) {
      const names = ch.dr.coefficients.map((c) => c.name);
      const levelCoef = new Float64Array(CONDITION_GROUP_NAMES.length);
      for (const c of conditions) {
        const at2 = names.indexOf(`condition_${CONDITION_GROUP_NAMES[c]}`);
        levelCoef[c] = at2 < 0 ? 0 : beta[at2]!;
      }
      addLevels(part, levelCoef, cellCov.condition);
    }
    adjustedChange = lessPart(rows.change, idx, part, cells.cellOf);
  }
  lap('adjusted change for the subgroups');
  const internals: AdjustedInternals = {
    rows: idx, treat, adjustedChange, stage: { cells, prepared, level },
    get ps() {
      return rowScores();
    },
    get weights() {
      return rowWeights();
    },
  };
  // Work of the caller's that needs the internals only (the subgroups), done while the helper finishes.
  if (whileWaiting) {
    whileWaiting(internals);
    lap('the caller\'s work on the internals (the subgroups)');
  }
  const { balance } = weighted.result();
  lap(offload?.weighted ? 'balance (waiting for the helper thread)' : 'balance');

  const imbalanced = balance.filter((b) => b.weightedSmd !== null && Math.abs(b.weightedSmd) >= SMD_THRESHOLD).map((b) => b.label);
  const outsideShare = (ov.outsideTreated + ov.outsideControl) / m;
  const poorOverlap = outsideShare > OUTSIDE_SUPPORT_LIMIT || ess1 < ESS_LIMIT * n1 || ess0 < ESS_LIMIT * n0;
  const out = {
    result: {
      status: 'ok' as const, reason: null, n1, n0, ...covariateInfo, ...covariatesOf(numericNames, sexes.length > 1, conditions.length > 1, pop.omitDuration), patterns: G,
      propensity: {
        iterations: fit.iterations, coefficients: coefs,
        referenceCondition: conditions.length > 1 ? conditionLabelOf(conditions[0]!) : null,
        referenceSex: sexes.length > 1 ? SEXES[sexes[0]!]! : null,
      },
      weights: { lowerCut: tw.lowerCut, upperCut: tw.upperCut, nTruncated: tw.nTruncated, ess1, ess0 },
      overlap: { ...ov, outsideShare },
      balance, ipw: ch.ipwEst, doublyRobust: drChange, responders, imbalanced, poorOverlap, noCounterpart, warnings: [] as string[],
      settled: imbalanced.length === 0 && !poorOverlap && drChange !== null,
    },
    internals,
  };
  out.result.warnings = adjustedWarnings(out.result, (n) => n.toLocaleString('en-US'));
  return out;
}

/** The adjusted analysis's covariates in the order the page names them. */
const COVARIATE_ORDER = [
  { key: 'age', label: 'age' },
  { key: 'sex', label: 'sex' },
  { key: 'baseline', label: 'baseline score' },
  { key: 'condition', label: 'condition group' },
  { key: 'duration', label: 'pain duration' },
  { key: 'prior', label: 'prior procedures' },
] as const;

/** Which covariates the fitted models hold, and why the others are not there. */
function covariatesOf(
  numericNames: readonly string[],
  sexVaries: boolean,
  conditionVaries: boolean,
  omitDuration: boolean,
): Pick<AdjustedComparison, 'covariates' | 'omittedCovariates'> {
  const covariates: string[] = [];
  const omittedCovariates: AdjustedComparison['omittedCovariates'] = [];
  for (const { key, label } of COVARIATE_ORDER) {
    const inModel = key === 'sex' ? sexVaries : key === 'condition' ? conditionVaries : numericNames.includes(key);
    if (inModel) covariates.push(label);
    else omittedCovariates.push({ label, reason: key === 'duration' && omitDuration ? 'not_recorded' : 'no_variation' });
  }
  return { covariates, omittedCovariates };
}

/**
 * The plain sentences above the adjusted estimate, from the analysis's
 * fields; `count` writes a count (present.ts passes the caller's small-cell
 * masking, so a warning never gives a suppressed count away).
 */
export function adjustedWarnings(a: AdjustedComparison, count: (n: number) => string): string[] {
  if (a.status !== 'ok') return a.reason ? [a.reason] : [];
  const warnings: string[] = [];
  const episodes = (n: number) => {
    const c = count(n);
    return `${c} ${c === '1' ? 'episode' : 'episodes'}`;
  };
  if (a.imbalanced.length > 0) {
    warnings.push(
      `After weighting the paths still differ in ${a.imbalanced.join(', ')} (standardised difference of 0.1 or more): the adjusted difference may still be confounded by ${a.imbalanced.length === 1 ? 'it' : 'them'} and is not a settled answer.`,
    );
  }
  if (a.poorOverlap && a.overlap && a.weights) {
    warnings.push(
      `The two paths overlap poorly: ${(a.overlap.outsideShare * 100).toFixed(1)} % of episodes have propensity scores that the other path does not reach, and weighting leaves an effective ${Math.round((100 * a.weights.ess1) / a.n1)} % of the interventional and ${Math.round((100 * a.weights.ess0) / a.n0)} % of the conservative episodes. The adjusted difference rests on few comparable patients.`,
    );
  }
  if (a.excludedMissingCovariates > 0) warnings.push(`${episodes(a.excludedMissingCovariates)} without a recorded pain duration are left out of the adjusted comparison.`);
  if (a.omittedCovariates.some((c) => c.reason === 'not_recorded')) {
    warnings.push(
      'Pain duration is recorded for fewer than half of the episodes with a follow-up, too few to adjust for: the models leave it out, so the adjusted difference does not account for how long patients had been in pain.',
    );
  }
  if (a.noCounterpart.length > 0) {
    warnings.push(`Left out of the adjusted comparison for want of a counterpart on the other path: ${a.noCounterpart.map((x) => `${episodes(x.n)} of ${x.label} (all ${x.path})`).join('; ')}.`);
  }
  if (a.doublyRobust === null) warnings.push('The doubly robust outcome model could not be fitted; only the weighted difference is shown.');
  return warnings;
}

/**
 * The patterns of the population `idx` from a grouping of all rows made
 * beforehand (rows.patterns: the store's patterns, load.ts), numbered by first
 * appearance in `idx`: the same groups, numbers, first rows and counts as
 * `groupRows` on the population's covariates (rows with equal covariates have
 * equal global patterns and the other way round). null when a row of the
 * population has no global pattern: the caller groups the rows itself.
 */
export function patternsOf(
  patterns: { of: Int32Array; count: number },
  idx: Int32Array,
  /** Also sum each pattern's `treat` (0/1 per row of idx) in the same pass. */
  treat?: Uint8Array,
  /** groupOf on a SharedArrayBuffer (a helper thread reads it without a copy). */
  shared = false,
): (RowGroups & { treated: Float64Array | null }) | null {
  const m = idx.length;
  const { of, count: total } = patterns;
  const local = new Int32Array(total).fill(-1);
  const groupOf = shared ? new Int32Array(new SharedArrayBuffer(4 * m)) : new Int32Array(m);
  const size = Math.min(m, total);
  const firstRow = new Int32Array(size);
  const count = new Float64Array(size);
  const treated = treat ? new Float64Array(size) : null;
  let groups = 0;
  for (let k = 0; k < m; k++) {
    const p = of[idx[k]!]!;
    if (p < 0) return null;
    let g = local[p]!;
    if (g < 0) {
      local[p] = g = groups++;
      firstRow[g] = k;
    }
    groupOf[k] = g;
    count[g] = count[g]! + 1;
    if (treated) treated[g] = treated[g]! + treat![k]!;
  }
  return { groups, groupOf, firstRow: firstRow.slice(0, groups), count: count.slice(0, groups), treated: treated ? treated.slice(0, groups) : null };
}

/** Every row its own pattern (when a covariate cannot be coded for grouping): the same fits, row by row. */
function identityGroups(m: number) {
  return { groups: m, groupOf: Int32Array.from({ length: m }, (_, k) => k), firstRow: Int32Array.from({ length: m }, (_, k) => k), count: new Float64Array(m).fill(1) };
}

/** An outcome's sums per cell around a shift (the population's first value): sum of (y - shift) and of its square. */
export interface OutcomeSums {
  shift: number;
  sum: Float64Array;
  sum2: Float64Array;
}

/** The cells (pattern x path) of the analysis population, with the change's and the responder flag's sums per cell. */
export interface CellOutcomes {
  k: number;
  pattern: Int32Array;
  treat: Uint8Array;
  count: Float64Array;
  /** Per row of the population: its cell. */
  cellOf: Int32Array;
  change: OutcomeSums;
  /** null when the measure has no responder rule for the definition. */
  responders: OutcomeSums | null;
  /** With a DrSpec: each cell's covariates (its pattern's first row's) and the outcome model's design over the cells. */
  cellCov?: CellCovariates;
  prepared?: PreparedDesign;
}

type CellCovariates = Record<'age' | 'baseline' | 'duration' | 'prior' | 'sex' | 'condition', Float64Array>;

/** What the doubly robust design needs besides the cells: the patterns' first rows and the covariates the propensity model kept. */
export interface DrSpec {
  /** Each pattern's covariates (the cells' covariates are their pattern's). */
  patternValues: CellCovariates;
  numericNames: readonly (typeof NUMERIC_COVARIATES)[number][];
  /** Sex levels present (the first is the reference) and condition levels present (a factor when more than one). */
  sexes: readonly number[];
  conditions: readonly number[];
  /** Prepare the design on SharedArrayBuffers (a helper thread fits on it). */
  shared: boolean;
}

/** The doubly robust outcome model's design over the cells: path, the numeric covariates, sex indicators, condition factor. */
function drDesignOf(cellCov: CellCovariates, treat: Uint8Array, spec: DrSpec): FactorDesign {
  const k = treat.length;
  const cellPath = new Float64Array(k);
  for (let c = 0; c < k; c++) cellPath[c] = treat[c]!;
  const indicator = (v: Float64Array, level: number) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] === level ? 1 : 0;
    return out;
  };
  const codeOf = new Int32Array(CONDITION_GROUP_NAMES.length).fill(-1);
  spec.conditions.forEach((c, j) => (codeOf[c] = j));
  const cellCodes = new Uint8Array(k);
  for (let c = 0; c < k; c++) cellCodes[c] = codeOf[cellCov.condition[c]!]!;
  return {
    numeric: [
      { name: 'path', values: cellPath },
      ...spec.numericNames.map((c) => ({ name: c as string, values: cellCov[c] })),
      ...spec.sexes.slice(1).map((sx) => ({ name: `sex_${SEXES[sx]}`, values: indicator(cellCov.sex, sx) })),
    ],
    factor: spec.conditions.length > 1 ? { name: 'condition_', codes: cellCodes, levels: spec.conditions.map((c) => CONDITION_GROUP_NAMES[c]!) } : null,
  };
}

/**
 * cellOutcomes's pass over the rows: each row's cell (pattern x path, numbered by first appearance)
 * into cellOf, each cell's pattern and path, and per cell, interleaved (one cache line per cell, where
 * five arrays took five misses per row): count, sum and sum of squares of the change around the first
 * row's, and the same of the responder flag (rule kind >= 0).
 */
function accumulateCells(rows: CompareRows, idx: Int32Array, groupOf: Int32Array, G: number, kind: number, th: number, cellOf: Int32Array) {
  const m = idx.length;
  const index = new Int32Array(G * 2).fill(-1);
  const cap = Math.min(m, 2 * G);
  const pattern = new Int32Array(cap);
  const treat = new Uint8Array(cap);
  const sums = new Float64Array(cap * 5);
  const path = rows.path;
  const change = rows.change;
  const baseline = rows.baseline;
  const value = rows.value;
  const i0 = m > 0 ? idx[0]! : 0;
  const shift = m > 0 ? change[i0]! : 0;
  const b0 = m > 0 ? baseline[i0]! : 0;
  const v0 = m > 0 ? value[i0]! : 0;
  const rshift = m > 0 && kind >= 0 ? (isResponderKind(kind, th, b0, v0, shift) ? 1 : 0) : 0;
  let k = 0;
  for (let r = 0; r < m; r++) {
    const i = idx[r]!;
    const g = groupOf[r]!;
    const p = path[i]!;
    const key = g * 2 + p;
    let c = index[key]!;
    if (c < 0) {
      index[key] = c = k++;
      pattern[c] = g;
      treat[c] = p;
    }
    cellOf[r] = c;
    const ch = change[i]!;
    const d = ch - shift;
    const o = c * 5;
    sums[o] = sums[o]! + 1;
    sums[o + 1] = sums[o + 1]! + d;
    sums[o + 2] = sums[o + 2]! + d * d;
    if (kind >= 0) {
      const dr = (isResponderKind(kind, th, baseline[i]!, value[i]!, ch) ? 1 : 0) - rshift;
      sums[o + 3] = sums[o + 3]! + dr;
      sums[o + 4] = sums[o + 4]! + dr * dr;
    }
  }
  return { k, pattern, treat, sums, shift, rshift };
}

/** isResponder(rule, b, v, c) with the rule as RULE_KIND and threshold (crudeScan's switch). */
function isResponderKind(kind: number, th: number, b: number, v: number, ch: number): boolean {
  return kind === 0 ? b > 0 && ch >= th * b - EPSILON
    : kind === 1 ? ch >= th - EPSILON
    : kind === 2 ? v <= th + EPSILON
    : b > 0 && v === 0;
}

/** The interleaved cell sums of accumulateCells into their columns (the responders' when asked for). */
function deinterleave(sums: Float64Array, k: number, count: Float64Array, sum: Float64Array, sum2: Float64Array, rsum: Float64Array | null, rsum2: Float64Array | null): void {
  for (let c = 0, o = 0; c < k; c++, o += 5) {
    count[c] = sums[o]!;
    sum[c] = sums[o + 1]!;
    sum2[c] = sums[o + 2]!;
  }
  if (rsum && rsum2) {
    for (let c = 0, o = 0; c < k; c++, o += 5) {
      rsum[c] = sums[o + 3]!;
      rsum2[c] = sums[o + 4]!;
    }
  }
}

/**
 * overlap() (weighting.ts) over the cells: per-path ranges of the propensity score, the common support
 * and the episodes outside it, and each path's effective sample size (sum w)^2 / sum w^2.
 */
function overlapOfCells(cells: Cells, fitted: Float64Array, n1: number, n0: number) {
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  const s1 = [0, 0];
  const s2 = [0, 0];
  for (let c = 0; c < cells.k; c++) {
    const t = cells.treat[c]!;
    const v = fitted[cells.pattern[c]!]!;
    if (v < lo[t]!) lo[t] = v;
    if (v > hi[t]!) hi[t] = v;
    s1[t] = s1[t]! + cells.weight[c]! * cells.count[c]!;
    s2[t] = s2[t]! + cells.weight[c]! * cells.weight[c]! * cells.count[c]!;
  }
  const ess1 = s2[1]! > 0 ? (s1[1]! * s1[1]!) / s2[1]! : 0;
  const ess0 = s2[0]! > 0 ? (s1[0]! * s1[0]!) / s2[0]! : 0;
  const a = Math.max(lo[0]!, lo[1]!);
  const b = Math.min(hi[0]!, hi[1]!);
  const support: [number, number] | null = a <= b ? [a, b] : null;
  const outside = [0, 0];
  for (let c = 0; c < cells.k; c++) {
    const v = fitted[cells.pattern[c]!]!;
    if (support === null || v < support[0] || v > support[1]) outside[cells.treat[c]!] = outside[cells.treat[c]!]! + cells.count[c]!;
  }
  return {
    treated: { n: n1, min: lo[1]!, max: hi[1]! }, control: { n: n0, min: lo[0]!, max: hi[0]! },
    commonSupport: support, outsideTreated: outside[1]!, outsideControl: outside[0]!, ess1, ess0,
  };
}

/**
 * The cells of the population `idx` (rows into `rows`) given each row's
 * pattern, numbered in order of first appearance, and the outcome sums per
 * cell, in one pass over the rows. A function of the patterns and the rows
 * only (not of the propensity model), so it can run beside the model's fit.
 */
export function cellOutcomes(rows: CompareRows, idx: Int32Array, groupOf: Int32Array, G: number, s: CompareSettings, spec?: DrSpec): CellOutcomes {
  const m = idx.length;
  // With spec.shared the arrays live on SharedArrayBuffers: computed on the helper thread, they reach the
  // analytics worker without a copy (and the helper keeps them for weightedParts).
  const shared = spec?.shared ?? false;
  const f64 = (n: number) => (shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n));
  const i32 = (n: number) => (shared ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n));
  const cellOf = i32(m);
  const rule = ruleOf(s);
  // isResponder(rule, b, v, c) as in crudeScan: the rule's kind and threshold in a switch.
  const kind = rule ? RULE_KIND[rule.kind] : -1;
  const th = rule && rule.kind !== 'stopped' ? rule.threshold : 0;
  const acc = accumulateCells(rows, idx, groupOf, G, kind, th, cellOf);
  const k = acc.k;
  const pattern = i32(k);
  const t = shared ? new Uint8Array(new SharedArrayBuffer(k)) : new Uint8Array(k);
  pattern.set(acc.pattern.subarray(0, k));
  t.set(acc.treat.subarray(0, k));
  const count = f64(k);
  const sum = f64(k);
  const sum2 = f64(k);
  const rsum = rule ? f64(k) : null;
  const rsum2 = rule ? f64(k) : null;
  deinterleave(acc.sums, k, count, sum, sum2, rsum, rsum2);
  const shift = acc.shift;
  const rshift = acc.rshift;
  const out: CellOutcomes = {
    k, pattern, treat: t, count, cellOf,
    change: { shift, sum, sum2 },
    responders: rule ? { shift: rshift, sum: rsum!, sum2: rsum2! } : null,
  };
  if (spec) {
    const cov = (v: Float64Array) => gatherAt(v, pattern, f64(k));
    const pv = spec.patternValues;
    const cellCov = { age: cov(pv.age), baseline: cov(pv.baseline), duration: cov(pv.duration), prior: cov(pv.prior), sex: cov(pv.sex), condition: cov(pv.condition) };
    out.cellCov = cellCov;
    out.prepared = prepareFactorDesign(drDesignOf(cellCov, t, spec), undefined, { shared: spec.shared });
  }
  return out;
}

/**
 * Stabilised weights of the cells (p1 / ps for interventional cells, (1 - p1) / (1 - ps) for conservative
 * ones, p1 = n1 / m), truncated at the 1st and 99th percentiles (R's type 7) of the m rows' weights: the
 * numbers `ipw` (weighting.ts) gives on the rows, where a row's weight is its cell's.
 */
function cellWeights(co: CellOutcomes, fitted: Float64Array, n1: number, m: number): { weight: Float64Array; lowerCut: number; upperCut: number; nTruncated: number } {
  const p1 = n1 / m;
  const raw = new Float64Array(co.k);
  for (let c = 0; c < co.k; c++) {
    const ps = fitted[co.pattern[c]!]!;
    raw[c] = co.treat[c] === 1 ? p1 / ps : (1 - p1) / (1 - ps);
  }
  const [lo, hi] = cellQuantiles(raw, co.count, [0.01, 0.99]) as [number, number];
  let nTruncated = 0;
  for (let c = 0; c < co.k; c++) {
    const v = raw[c]!;
    if (v < lo) {
      raw[c] = lo;
      nTruncated += co.count[c]!;
    } else if (v > hi) {
      raw[c] = hi;
      nTruncated += co.count[c]!;
    }
  }
  return { weight: raw, lowerCut: lo, upperCut: hi, nTruncated };
}

/** What weightedParts computes: the balance table. */
export interface WeightedParts {
  balance: (BalanceRow & { label: string })[];
}

/**
 * The part of the adjusted analysis that needs the cells' weights but not the outcome models: the
 * balance table over the cells. A function of the cells (cellOutcomes with a DrSpec) and their weights
 * only, so it runs on the helper thread beside the outcome models' fit.
 */
export function weightedParts(co: CellOutcomes, weight: Float64Array, spec: DrSpec, s: CompareSettings): WeightedParts {
  const level = s.level ?? 0.95;
  const cells: Cells = { k: co.k, pattern: co.pattern, treat: co.treat, count: co.count, cellOf: co.cellOf, weight };
  const cellCov = co.cellCov!;
  // Numeric covariates over the cells; a level of sex or condition (0/1) depends only on its counts and
  // weight sums per path, so its table is computed from four aggregated cells (each with its mean weight).
  const numericBalance = spec.numericNames.map((c) => ({ name: c as string, label: COVARIATE_LABELS[c] as string, values: cellCov[c], binary: false }));
  const levelSums = (v: Float64Array, size: number) => {
    const cnt = new Float64Array(size * 2);
    const wt = new Float64Array(size * 2);
    for (let c = 0; c < cells.k; c++) {
      const o = v[c]! * 2 + cells.treat[c]!;
      cnt[o] = cnt[o]! + cells.count[c]!;
      wt[o] = wt[o]! + cells.count[c]! * cells.weight[c]!;
    }
    return { cnt, wt };
  };
  const totals = [0, 1].map((t) => {
    let n = 0;
    let wsum = 0;
    for (let c = 0; c < cells.k; c++) if (cells.treat[c] === t) (n += cells.count[c]!), (wsum += cells.count[c]! * cells.weight[c]!);
    return { n, wsum };
  });
  const binaryRow = (name: string, label: string, sums: { cnt: Float64Array; wt: Float64Array }, level: number) => {
    const x: number[] = [];
    const tr: number[] = [];
    const cnt: number[] = [];
    const wt: number[] = [];
    for (const t of [0, 1]) {
      const inN = sums.cnt[level * 2 + t]!;
      const inW = sums.wt[level * 2 + t]!;
      const outN = totals[t]!.n - inN;
      const outW = totals[t]!.wsum - inW;
      if (inN > 0) x.push(1), tr.push(t), cnt.push(inN), wt.push(inW / inN);
      if (outN > 0) x.push(0), tr.push(t), cnt.push(outN), wt.push(outW / outN);
    }
    // Typed arrays, as for the numeric covariates: one array type in balanceFromCells's loops.
    return { ...balanceFromCells([{ name, values: Float64Array.from(x), binary: true }], Uint8Array.from(tr), Float64Array.from(cnt), Float64Array.from(wt), SMD_THRESHOLD)[0]!, label };
  };
  const sexSums = levelSums(cellCov.sex, SEXES.length);
  const condSums = levelSums(cellCov.condition, CONDITION_GROUP_NAMES.length);
  const { sexes, conditions } = spec;
  const balance = [
    ...balanceFromCells(numericBalance, cells.treat, cells.count, cells.weight, SMD_THRESHOLD).map((r, j) => ({ ...r, label: numericBalance[j]!.label })),
    ...(sexes.length > 1 ? sexes.map((sx) => binaryRow(`sex_${SEXES[sx]}`, sexLabel(sx), sexSums, sx)) : []),
    ...(conditions.length > 1 ? conditions.map((c) => binaryRow(`condition_${CONDITION_GROUP_NAMES[c]}`, `Condition: ${conditionLabelOf(c)}`, condSums, c)) : []),
  ];
  return { balance };
}

/** IPW (the weighted difference from the cells' sums) and the cells' means and sums of squares for the outcome model. */
function cellSums(cells: Cells, { shift, sum, sum2 }: OutcomeSums, level: number) {
  const s1 = weightedSums(shift);
  const s0 = weightedSums(shift);
  const mean = new Float64Array(cells.k);
  const ss = new Float64Array(cells.k);
  for (let c = 0; c < cells.k; c++) {
    const n = cells.count[c]!;
    const wc = cells.weight[c]!;
    const acc = cells.treat[c] === 1 ? s1 : s0;
    acc.n += n;
    acc.sw += wc * n;
    acc.swy += wc * sum[c]!;
    acc.sw2 += wc * wc * n;
    acc.sw2y += wc * wc * sum[c]!;
    acc.sw2y2 += wc * wc * sum2[c]!;
    const mc = sum[c]! / n;
    mean[c] = shift + mc;
    ss[c] = Math.max(0, sum2[c]! - n * mc * mc);
  }
  return { ipwEst: weightedDifferenceFromSums(s1, s0, { vcov: 'HC1', level }), mean, ss };
}

/** The doubly robust fit's options over the cells: weighted least squares, HC1. */
const drOptions = (cells: Cells, ss: Float64Array, level: number) => ({ weights: cells.weight, vcov: 'HC1' as const, level, cells: { counts: cells.count, sumSquares: ss } });

const drOut = (r: OlsResult) => {
  if (r.status !== 'ok') return null;
  const c = r.coefficients[1]!;
  return { estimate: c.estimate, se: c.se, lower: c.lower, upper: c.upper, p: c.p, df: r.dfResidual };
};

/**
 * The adjusted analysis for another responder definition, from one already
 * computed on the same rows: the population, patterns, propensity model,
 * weights, balance and the change's estimates do not depend on the
 * definition, so only the responders' sums and their doubly robust fit are
 * computed again (the same numbers as adjustedComparison with `s`). null
 * when `prev` does not carry what is reused: the caller computes afresh.
 */
export function adjustedForDefinition(
  rows: CompareRows,
  prev: { result: AdjustedComparison; internals: AdjustedInternals | null },
  s: CompareSettings,
): { result: AdjustedComparison; internals: AdjustedInternals | null } | null {
  // Not estimable: the reason does not depend on the definition (and there are no responders' estimates).
  if (prev.result.status !== 'ok') return prev;
  // Without the cells and design of that analysis (or at another level), nothing can be reused: compute afresh.
  const stage = prev.internals?.stage;
  if (!prev.internals || !stage || (s.level ?? 0.95) !== stage.level) return null;
  const rule = ruleOf(s);
  if (!rule) return { result: { ...prev.result, responders: null }, internals: prev.internals };
  const { cells, prepared, level } = stage;
  const idx = prev.internals.rows;
  const m = idx.length;
  const sum = new Float64Array(cells.k);
  const sum2 = new Float64Array(cells.k);
  const i0 = idx[0]!;
  const shift = isResponder(rule, rows.baseline[i0]!, rows.value[i0]!, rows.change[i0]!) ? 1 : 0;
  for (let r = 0; r < m; r++) {
    const i = idx[r]!;
    const c = cells.cellOf[r]!;
    const d = (isResponder(rule, rows.baseline[i]!, rows.value[i]!, rows.change[i]!) ? 1 : 0) - shift;
    sum[c] = sum[c]! + d;
    sum2[c] = sum2[c]! + d * d;
  }
  const rs = cellSums(cells, { shift, sum, sum2 }, level);
  const dr = factorOls(prepared, rs.mean, drOptions(cells, rs.ss, level));
  return { result: { ...prev.result, responders: { ipw: rs.ipwEst, doublyRobust: drOut(dr) } }, internals: prev.internals };
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

/** The covariates of the balance table at row level (for matching, whose pairs are rows). */
function rowCovariates(rows: CompareRows, idx: Int32Array) {
  const out: { name: string; label: string; values: Float64Array; binary: boolean }[] = [];
  for (const c of NUMERIC_COVARIATES) out.push({ name: c, label: COVARIATE_LABELS[c], values: pick(rows[c], idx), binary: false });
  const present = (col: Uint8Array, size: number) => {
    const cnt = new Float64Array(size);
    for (let k = 0; k < idx.length; k++) cnt[col[idx[k]!]!] = cnt[col[idx[k]!]!]! + 1;
    return [...cnt.keys()].filter((l) => cnt[l]! > 0);
  };
  const ind = (col: Uint8Array, level: number) => {
    const v = new Float64Array(idx.length);
    for (let k = 0; k < idx.length; k++) v[k] = col[idx[k]!] === level ? 1 : 0;
    return v;
  };
  const sexes = present(rows.sex, SEXES.length);
  if (sexes.length > 1) for (const sx of sexes) out.push({ name: `sex_${SEXES[sx]}`, label: sexLabel(sx), values: ind(rows.sex, sx), binary: true });
  const conds = present(rows.condition, CONDITION_GROUP_NAMES.length);
  if (conds.length > 1) for (const c of conds) out.push({ name: `condition_${CONDITION_GROUP_NAMES[c]}`, label: `Condition: ${conditionLabelOf(c)}`, values: ind(rows.condition, c), binary: true });
  // A covariate without spread carries nothing to balance; one not recorded for the population (pain duration
  // left out of the models, adjustedPopulation) is not in the models either.
  return out.filter((c) => c.values.every((x) => x === x) && c.values.some((x) => x !== c.values[0]));
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
  const covs = rowCovariates(rows, idx);
  const before = balanceTable(covs.map((c) => ({ name: c.name, values: c.values, binary: c.binary })), treat, new Float64Array(treat.length).fill(1), SMD_THRESHOLD);
  const after = balanceTable(covs.map((c) => ({ name: c.name, values: pick(c.values, matchedIdx), binary: c.binary })), mt, ones, SMD_THRESHOLD);
  const balance = covs.map((c, j) => ({
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
/** Whole years of age and tenths of a point of severity looked up in tables by subgroupSums. */
const AGE_YEARS = 200;
const SEVERITY_TENTHS = 20_001;

/**
 * subgroupComparison's pass over the rows: per subgroup (the five groupings' levels from `offset`) and
 * path, the count and the weighted sums of the outcome around `shift` (weightedDifferenceFromSums's
 * n, sw, swy, sw2, sw2y, sw2y2) into acc, six per (subgroup, path).
 */
function subgroupSums(
  rows: CompareRows, idx: Int32Array, w: Float64Array, cellOfRow: Int32Array | null, y: Float64Array, shift: number,
  [oCond, oRegion, oAge, oSex, oSev]: [number, number, number, number, number], noRegion: number,
  ageTable: Int8Array, severityTable: Int8Array, ageOf: (a: number) => number, severityOf: (b: number) => number, acc: Float64Array,
): void {
  const { path, region, condition, age, sex, baseline } = rows;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const t = path[i]!;
    const wk = cellOfRow !== null ? w[cellOfRow[k]!]! : w[k]!;
    const d = y[k]! - shift;
    const rg = region[i]!;
    const a = age[i]!;
    const tenths = baseline[i]! * 10;
    const ab = a >= 0 && a < AGE_YEARS && a === Math.floor(a) ? ageTable[a]! : ageOf(a);
    const sb = tenths === Math.round(tenths) && tenths >= 0 && tenths < SEVERITY_TENTHS ? severityTable[tenths]! : severityOf(baseline[i]!);
    addSums(acc, oCond + condition[i]!, t, wk, d);
    addSums(acc, oRegion + (rg === NONE ? noRegion : rg), t, wk, d);
    addSums(acc, oAge + ab, t, wk, d);
    addSums(acc, oSex + sex[i]!, t, wk, d);
    addSums(acc, oSev + sb, t, wk, d);
  }
}

function addSums(acc: Float64Array, slot: number, t: number, wk: number, d: number): void {
  const o = (slot * 2 + t) * 6;
  const w2 = wk * wk;
  acc[o] = acc[o]! + 1;
  acc[o + 1] = acc[o + 1]! + wk;
  acc[o + 2] = acc[o + 2]! + wk * d;
  acc[o + 3] = acc[o + 3]! + w2;
  acc[o + 4] = acc[o + 4]! + w2 * d;
  acc[o + 5] = acc[o + 5]! + w2 * d * d;
}

export function subgroupComparison(rows: CompareRows, internals: AdjustedInternals | null, s: CompareSettings): { adjusted: boolean; families: SubgroupFamily[] } {
  const level = s.level ?? 0.95;
  let idx: Int32Array;
  let w: Float64Array;
  let y: Float64Array;
  // The weights per row, or through the cells (a row's weight is its cell's): the same numbers.
  let cellOfRow: Int32Array | null = null;
  if (internals) {
    idx = internals.rows;
    const cells = internals.stage?.cells;
    if (cells) (w = cells.weight), (cellOfRow = cells.cellOf);
    else w = internals.weights;
    y = internals.adjustedChange ?? pick(rows.change, idx);
  } else {
    const keep: number[] = [];
    for (let i = 0; i < rows.n; i++) if (rows.value[i] === rows.value[i]) keep.push(i);
    idx = Int32Array.from(keep);
    w = new Float64Array(idx.length).fill(1);
    y = pick(rows.change, idx);
  }
  const m = idx.length;
  const bands = severityBands(s.measure);
  const ageBandOf = (a: number) => {
    for (let b = 0; b < AGE_BANDS.length; b++) if (a <= AGE_BANDS[b]!.max) return b;
    return AGE_BANDS.length - 1;
  };
  // The five groupings' levels; every row's five keys and sums in one pass.
  const levelsBy: Record<Subgrouping, { key: string; label: string }[]> = {
    condition: CONDITION_GROUP_NAMES.map((c, j) => ({ key: c, label: conditionLabelOf(j) })),
    region: [...REGION_LABELS.map((l) => ({ key: l.toLowerCase(), label: l })), { key: 'none', label: 'Not recorded' }],
    age_band: AGE_BANDS.map((b) => ({ key: b.label, label: b.label })),
    sex: SEXES.map((x) => ({ key: x, label: x[0]!.toUpperCase() + x.slice(1) })),
    severity: bands.map((b, j) => ({ key: String(j), label: b.label })),
  };
  const offset: number[] = [];
  let total = 0;
  for (const by of SUBGROUPINGS) {
    offset.push(total);
    total += levelsBy[by].length;
  }
  // Severity and age band of a value: tables per whole year and per tenth of a point (scores are whole
  // points, halves or tenths), the band functions for anything else.
  const slowSeverity = (b: number) => {
    let j = 0;
    while (j < bands.length - 1 && !bands[j]!.test(b)) j++;
    return j;
  };
  const severityTable = new Int8Array(SEVERITY_TENTHS);
  for (let t = 0; t < SEVERITY_TENTHS; t++) severityTable[t] = slowSeverity(t / 10);
  const ageTable = new Int8Array(AGE_YEARS);
  for (let a = 0; a < AGE_YEARS; a++) ageTable[a] = ageBandOf(a);
  const shift = m > 0 ? y[0]! : 0;
  const acc = new Float64Array(total * 2 * 6);
  subgroupSums(rows, idx, w, cellOfRow, y, shift, offset as [number, number, number, number, number], REGION_LABELS.length, ageTable, severityTable, ageBandOf, slowSeverity, acc);
  const families: SubgroupFamily[] = SUBGROUPINGS.map((by, f) => {
    const est: SubgroupEstimate[] = [];
    levelsBy[by].forEach((l, j) => {
      const sumsOf = (t: number): WeightedSums => {
        const o = ((offset[f]! + j) * 2 + t) * 6;
        return { n: acc[o]!, sw: acc[o + 1]!, swy: acc[o + 2]!, sw2: acc[o + 3]!, sw2y: acc[o + 4]!, sw2y2: acc[o + 5]!, shift };
      };
      const s0 = sumsOf(0);
      const s1 = sumsOf(1);
      if (s0.n + s1.n === 0) return;
      const dd = weightedDifferenceFromSums(s1, s0, { vcov: 'HC1', level });
      est.push({
        key: l.key, label: l.label, n1: s1.n, n0: s0.n, estimate: dd.diff, se: dd.se, lower: dd.lower, upper: dd.upper,
        small: s1.n < SMALL_SUBGROUP || s0.n < SMALL_SUBGROUP,
      });
    });
    const usable = est.filter((e) => e.estimate !== null && e.se !== null && e.se > 0);
    let interaction: SubgroupFamily['interaction'] = null;
    if (usable.length >= 2) {
      const h = heterogeneityTest(usable.map((e) => ({ estimate: e.estimate!, se: e.se! })));
      if (h.q !== null && h.df !== null && h.p !== null) interaction = { q: h.q, df: h.df, p: h.p, i2: h.i2 };
    }
    return { by, rows: est, interaction };
  });
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
  let n = 0;
  for (let i = 0; i < rows.n; i++) if (rows.responseDay[i] === rows.responseDay[i]) n++;
  const time = new Float64Array(n);
  const event = new Uint8Array(n);
  const path = new Uint8Array(n);
  const cat = new Uint8Array(n);
  let k = 0;
  let integral = true;
  let maxTime = 0;
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
      time[k] = t;
      event[k] = 1;
    } else {
      time[k] = end;
      event[k] = 0;
    }
    if (!Number.isInteger(time[k]!) || time[k]! < 0) integral = false;
    else if (time[k]! > maxTime) maxTime = time[k]!;
    path[k] = rows.path[i]!;
    cat[k] = rows.category[i]!;
    k++;
  }
  let events = 0;
  for (let j = 0; j < n; j++) events += event[j]!;
  const nn = (v: number) => (Number.isFinite(v) ? v : null);
  const toCurve = (km: KaplanMeier, risk: number[], key: string, label: string): KmCurve => ({
    key, label, n: km.n, events: km.events,
    time: Array.from(km.time), surv: Array.from(km.surv), lower: Array.from(km.lower, nn), upper: Array.from(km.upper, nn),
    nRisk: Array.from(km.nRisk),
    atRisk: AT_RISK_DAYS.map((day, j) => ({ day, n: risk[j]! })),
    median: km.median,
  });
  const catGroup = new Uint8Array(n);
  for (let j = 0; j < n; j++) catGroup[j] = cat[j] === NONE ? TREATMENT_CATEGORIES.length : cat[j]!;
  const nCat = TREATMENT_CATEGORIES.length + 1;
  const seen = new Uint8Array(256);
  for (let j = 0; j < n; j++) seen[cat[j]!] = 1;
  const presentCats: number[] = [];
  for (let c = 0; c < 256; c++) if (seen[c] && c !== NONE) presentCats.push(c);
  let byPath: KmCurve[];
  let byCategory: KmCurve[];
  let logRank: DurabilityResult['logRank'] = null;
  let logRankCategory: DurabilityResult['logRankCategory'] = null;
  const lrOut = (r: LogRank) => (r.df > 0 && r.p !== null ? { chiSquare: r.chiSquare, df: r.df, p: r.p } : null);
  // A degenerate table (no variance: e.g. every responder losing response on one day) has no test: not estimable.
  const tryTest = (f: () => LogRank) => {
    try {
      return lrOut(f());
    } catch (e) {
      if (e instanceof RangeError) return null;
      throw e;
    }
  };
  if (integral && maxTime <= 100_000) {
    // Whole days: tabulate once per grouping (survival-table.ts), no sorting.
    const pt = tabulateSurvival(time, event, path, 2, maxTime);
    const curve = (t: SurvivalTable, g: number, key: string, label: string) =>
      toCurve(kaplanMeierFromTable(t, [g], { level }), numberAtRiskFromTable(t, [g], [...AT_RISK_DAYS]), key, label);
    const hasRows = (t: SurvivalTable, g: number) => t.events[g]!.some((x) => x > 0) || t.censored[g]!.some((x) => x > 0);
    byPath = [
      ...(hasRows(pt, 1) ? [curve(pt, 1, 'interventional', 'Interventional')] : []),
      ...(hasRows(pt, 0) ? [curve(pt, 0, 'conservative', 'Conservative')] : []),
    ];
    if (byPath.length === 2) logRank = tryTest(() => logRankFromTable(pt));
    const ct = tabulateSurvival(time, event, catGroup, nCat, maxTime);
    byCategory = presentCats.map((c) => curve(ct, c, TREATMENT_CATEGORIES[c]!, categoryLabel(c)));
    if (presentCats.length >= 2) {
      const only = { time: ct.time, events: ct.events.slice(0, TREATMENT_CATEGORIES.length), censored: ct.censored.slice(0, TREATMENT_CATEGORIES.length) };
      logRankCategory = tryTest(() => logRankFromTable(only));
    }
  } else {
    const subset = (keep: (j: number) => boolean) => {
      const t: number[] = [];
      const e: number[] = [];
      for (let j = 0; j < n; j++) if (keep(j)) t.push(time[j]!), e.push(event[j]!);
      return { t, e };
    };
    const curve = (keep: (j: number) => boolean, key: string, label: string) => {
      const { t, e } = subset(keep);
      return t.length ? toCurve(kaplanMeier(t, e, { level }), numberAtRisk(t, [...AT_RISK_DAYS]), key, label) : null;
    };
    byPath = [curve((j) => path[j] === 1, 'interventional', 'Interventional'), curve((j) => path[j] === 0, 'conservative', 'Conservative')].filter((c): c is KmCurve => c !== null);
    if (byPath.length === 2) logRank = tryTest(() => logRankTest(time, event, path));
    byCategory = presentCats.map((c) => curve((j) => cat[j] === c, TREATMENT_CATEGORIES[c]!, categoryLabel(c))).filter((c): c is KmCurve => c !== null);
    if (presentCats.length >= 2) {
      const { t, e } = subset((j) => cat[j] !== NONE);
      const g: number[] = [];
      for (let j = 0; j < n; j++) if (cat[j] !== NONE) g.push(cat[j]!);
      logRankCategory = tryTest(() => logRankTest(t, e, g));
    }
  }
  return { applies: true, n, events, byPath, logRank, byCategory, logRankCategory };
}
