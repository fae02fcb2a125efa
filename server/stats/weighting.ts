/**
 * Propensity-score weighting and matching: stabilised inverse-probability
 * weights truncated at percentiles, weighted means, standardised mean
 * differences (balance), Kish's effective sample size, and 1:1 greedy
 * nearest-neighbour matching on the logit of the propensity score with a
 * caliper.
 *
 * Treatment is coded 1 (e.g. interventional) and 0 (e.g. conservative).
 */
import { quantiles, type Values } from './descriptive.ts';
import { argsortStable } from './sort.ts';

export interface TruncatedWeights {
  weights: Float64Array;
  /** The percentile values the weights were truncated at. */
  lowerCut: number;
  upperCut: number;
  /** How many weights were moved to a cut. */
  nTruncated: number;
}

export interface SmdOptions {
  /** Weights for the means (after weighting); omit for the crude SMD. */
  weights?: Values;
  /** 0/1 covariate: the SD is sqrt(p(1 - p)) instead of the sample SD. */
  binary?: boolean;
  /**
   * Denominator. 'unweighted' (default): the pooled SD of the two groups in the
   * unweighted sample, sqrt((s1^2 + s0^2) / 2), the same before and after
   * weighting so that the change in the SMD is the change in the difference
   * (Austin 2009; Austin & Stuart 2015; cobalt's default).
   * 'weighted': the same formula with weighted variances.
   */
  denominator?: 'unweighted' | 'weighted';
}

export interface BalanceRow {
  name: string;
  binary: boolean;
  meanTreated: number | null;
  meanControl: number | null;
  smd: number | null;
  weightedMeanTreated: number | null;
  weightedMeanControl: number | null;
  weightedSmd: number | null;
  /** |SMD| < threshold after weighting (the spec: 0.1). null when not computable. */
  balanced: boolean | null;
}

export interface MatchResult {
  /** Row indices of the matched treated units, in matching order. */
  treated: Int32Array;
  /** Row index of the control matched to treated[k]. */
  control: Int32Array;
  /** Caliper on the logit scale (Infinity when no caliper). */
  caliper: number;
  nTreated: number;
  nControl: number;
  /** Treated units left without a control within the caliper. */
  unmatchedTreated: number;
}

function checkTreat(treat: Values): { n1: number; n0: number } {
  let n1 = 0;
  for (let i = 0; i < treat.length; i++) {
    const t = treat[i]!;
    if (t === 1) n1++;
    else if (t !== 0) throw new RangeError(`treat[${i}] = ${t}: treatment must be 0 or 1`);
  }
  return { n1, n0: treat.length - n1 };
}

function checkPs(ps: Values, n: number): void {
  if (ps.length !== n) throw new RangeError(`propensity scores have length ${ps.length}, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = ps[i]!;
    if (!(v > 0 && v < 1)) throw new RangeError(`ps[${i}] = ${v}: propensity scores must be in (0, 1)`);
  }
}

/**
 * Stabilised inverse-probability-of-treatment weights (Robins et al. 2000;
 * Xu et al. 2010): P(T = 1) / ps for the treated, P(T = 0) / (1 - ps) for
 * the controls, where P(T = 1) is the sample share treated. Their mean is
 * about 1 in each group and the weighted sample keeps about the original n.
 */
export function stabilizedWeights(treat: Values, ps: Values): Float64Array {
  const n = treat.length;
  const { n1 } = checkTreat(treat);
  checkPs(ps, n);
  const p1 = n1 / n;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = treat[i] === 1 ? p1 / ps[i]! : (1 - p1) / (1 - ps[i]!);
  return w;
}

/**
 * Truncates ("trims" in the spec) weights at their own lower and upper
 * percentiles, default 1st and 99th (Cole & Hernán 2008): weights below the
 * lower percentile are set to it, above the upper to it; no unit is dropped.
 * Percentiles are R's type 7 over all weights of both groups.
 * R: q <- quantile(w, c(.01, .99)); pmin(pmax(w, q[1]), q[2]).
 */
export function truncateWeights(w: Values, lower = 0.01, upper = 0.99): TruncatedWeights {
  if (!(lower >= 0 && lower < upper && upper <= 1)) throw new RangeError('need 0 <= lower < upper <= 1');
  const n = w.length;
  if (n === 0) throw new RangeError('no weights');
  for (let i = 0; i < n; i++) if (!(w[i]! > 0 && Number.isFinite(w[i]!))) throw new RangeError(`weights[${i}] must be finite and > 0`);
  const [lo, hi] = quantiles(w, [lower, upper]) as [number, number];
  const out = new Float64Array(n);
  let nTruncated = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    if (v < lo) {
      out[i] = lo;
      nTruncated++;
    } else if (v > hi) {
      out[i] = hi;
      nTruncated++;
    } else out[i] = v;
  }
  return { weights: out, lowerCut: lo, upperCut: hi, nTruncated };
}

/**
 * Stabilised IPT weights truncated at the 1st/99th percentile, the spec's
 * adjusted comparison. `truncate: null` returns the untruncated weights.
 */
export function ipw(treat: Values, ps: Values, truncate: readonly [number, number] | null = [0.01, 0.99]): TruncatedWeights {
  const w = stabilizedWeights(treat, ps);
  if (truncate === null) return { weights: w, lowerCut: -Infinity, upperCut: Infinity, nTruncated: 0 };
  return truncateWeights(w, truncate[0], truncate[1]);
}

function checkWeights(w: Values, n: number): void {
  if (w.length !== n) throw new RangeError(`weights have length ${w.length}, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`weights[${i}] = ${v} must be finite and >= 0`);
  }
}

/** sum(w x) / sum(w); null when the weights sum to 0. R: weighted.mean(x, w). */
export function weightedMean(x: Values, w: Values): number | null {
  const n = x.length;
  checkWeights(w, n);
  let sw = 0;
  let swx = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i]!;
    swx += w[i]! * x[i]!;
  }
  if (!(sw > 0)) return null;
  const m = swx / sw;
  // Second pass, as for the unweighted mean.
  let c = 0;
  for (let i = 0; i < n; i++) c += w[i]! * (x[i]! - m);
  return m + c / sw;
}

/**
 * Weighted variance with "reliability" weights, unbiased for the variance when
 * weights are normalised: sum w (x - m)^2 / (sum w - sum w^2 / sum w).
 * R: cov.wt(cbind(x), wt = w / sum(w), method = "unbiased")$cov. null when not
 * estimable (fewer than two units with positive weight).
 */
export function weightedVariance(x: Values, w: Values): number | null {
  const m = weightedMean(x, w);
  if (m === null) return null;
  let sw = 0;
  let sw2 = 0;
  let ss = 0;
  for (let i = 0; i < x.length; i++) {
    const wi = w[i]!;
    sw += wi;
    sw2 += wi * wi;
    ss += wi * (x[i]! - m) ** 2;
  }
  const d = sw - sw2 / sw;
  return d > 0 ? ss / d : null;
}

/** Kish's effective sample size (sum w)^2 / sum w^2. */
export function effectiveSampleSize(w: Values): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    s += w[i]!;
    s2 += w[i]! * w[i]!;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/** Per-group unweighted and weighted moments of one covariate, in two passes without copies. */
interface GroupMoments {
  n: number;
  mean: number;
  /** Sample variance (n - 1); NaN for n < 2. */
  variance: number;
  wMean: number;
  /** Reliability-weighted variance (as weightedVariance); NaN when not estimable. */
  wVariance: number;
}

/** Treatment already checked to be 0/1 and weights to be finite and >= 0 (one pass each, by the caller). */
function groupMoments(x: Values, treat: Values, w: Values): [GroupMoments, GroupMoments] {
  const n = x.length;
  if (treat.length !== n) throw new RangeError('covariate and treatment lengths differ');
  // Branch-free: totals and the treated group's sums (the control group's are
  // the difference), so a randomly ordered treatment costs no mispredicted
  // branches. This is the inner loop of the balance table.
  let n1 = 0, sx = 0, sx1 = 0, sw = 0, sw1 = 0, swx = 0, swx1 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const g = treat[i]!;
    const wi = w[i]!;
    const wv = wi * v;
    n1 += g;
    sx += v;
    sx1 += g * v;
    sw += wi;
    sw1 += g * wi;
    swx += wv;
    swx1 += g * wv;
  }
  // A NaN or an infinity anywhere makes the plain sum non-finite: look for it only then.
  if (!Number.isFinite(sx)) {
    for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]!)) throw new RangeError(`covariate[${i}] is not finite`);
  }
  const n0 = n - n1;
  const sw0 = sw - sw1;
  const m1 = n1 > 0 ? sx1 / n1 : 0;
  const m0 = n0 > 0 ? (sx - sx1) / n0 : 0;
  const wm1 = sw1 > 0 ? swx1 / sw1 : 0;
  const wm0 = sw0 > 0 ? (swx - swx1) / sw0 : 0;
  // Second pass: deviations from each row's own group mean (corrected two-pass).
  let c = 0, c1 = 0, ss = 0, ss1 = 0, wc = 0, wc1 = 0, wss = 0, wss1 = 0, sq = 0, sq1 = 0;
  const dm = m1 - m0;
  const dwm = wm1 - wm0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const g = treat[i]!;
    const wi = w[i]!;
    const d = v - (m0 + g * dm);
    const dw = v - (wm0 + g * dwm);
    const dd = d * d;
    const wd = wi * dw;
    const wdd = wd * dw;
    const w2 = wi * wi;
    c += d;
    c1 += g * d;
    ss += dd;
    ss1 += g * dd;
    wc += wd;
    wc1 += g * wd;
    wss += wdd;
    wss1 += g * wdd;
    sq += w2;
    sq1 += g * w2;
  }
  const make = (k: number, m: number, cc: number, s2: number, W: number, wm: number, wcc: number, ws2: number, q: number): GroupMoments => {
    const den = W - q / W;
    return {
      n: k,
      mean: k > 0 ? m + cc / k : NaN,
      variance: k > 1 ? Math.max(0, (s2 - (cc * cc) / k) / (k - 1)) : NaN,
      wMean: W > 0 ? wm + wcc / W : NaN,
      wVariance: den > 0 ? Math.max(0, (ws2 - (wcc * wcc) / W) / den) : NaN,
    };
  };
  return [
    make(n0, m0, c - c1, ss - ss1, sw0, wm0, wc - wc1, wss - wss1, sq - sq1),
    make(n1, m1, c1, ss1, sw1, wm1, wc1, wss1, sq1),
  ];
}

function smdFrom(g0: GroupMoments, g1: GroupMoments, binary: boolean, weighted: boolean, weightedDenominator: boolean): number | null {
  if (g0.n === 0 || g1.n === 0) return null;
  const m1 = weighted ? g1.wMean : g1.mean;
  const m0 = weighted ? g0.wMean : g0.mean;
  let v1: number;
  let v0: number;
  if (binary) {
    const p1 = weightedDenominator ? g1.wMean : g1.mean;
    const p0 = weightedDenominator ? g0.wMean : g0.mean;
    v1 = p1 * (1 - p1);
    v0 = p0 * (1 - p0);
  } else {
    v1 = weightedDenominator ? g1.wVariance : g1.variance;
    v0 = weightedDenominator ? g0.wVariance : g0.variance;
  }
  const s = Math.sqrt((v1 + v0) / 2);
  if (!(s > 0) || !Number.isFinite(m1) || !Number.isFinite(m0)) return null;
  return (m1 - m0) / s;
}

function checkBinary(x: Values): void {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0 && x[i] !== 1) throw new RangeError('binary covariate must be 0/1');
}

/**
 * Standardised mean difference (treated - control) / pooled SD (Austin 2009,
 * 2011): the pooled SD is sqrt((s1^2 + s0^2) / 2), with s^2 the sample
 * variance (n - 1) for a continuous covariate and p (1 - p) for a binary one.
 * With weights, the means are weighted; the denominator stays the unweighted
 * one unless `denominator: 'weighted'`. null when the pooled SD is 0 or a
 * group is empty.
 */
export function standardizedMeanDifference(x: Values, treat: Values, options: SmdOptions = {}): number | null {
  const binary = options.binary ?? false;
  if (x.length !== treat.length) throw new RangeError('covariate and treatment lengths differ');
  checkTreat(treat);
  if (options.weights) checkWeights(options.weights, x.length);
  if (binary) checkBinary(x);
  const [g0, g1] = groupMoments(x, treat, options.weights ?? new Float64Array(x.length).fill(1));
  const weighted = options.weights !== undefined;
  return smdFrom(g0, g1, binary, weighted, weighted && options.denominator === 'weighted');
}

/**
 * The balance table: each covariate's means and SMD before and after
 * weighting, and whether |SMD after| < threshold (default 0.1).
 */
export function balanceTable(
  covariates: readonly { name: string; values: Values; binary?: boolean }[],
  treat: Values,
  weights: Values,
  threshold = 0.1,
): BalanceRow[] {
  checkTreat(treat);
  checkWeights(weights, treat.length);
  return covariates.map((c) => {
    const binary = c.binary ?? false;
    if (c.values.length !== treat.length) throw new RangeError(`covariate ${c.name}: length differs from treatment`);
    if (binary) checkBinary(c.values);
    const [g0, g1] = groupMoments(c.values, treat, weights);
    const weightedSmd = smdFrom(g0, g1, binary, true, false);
    const num = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      name: c.name,
      binary,
      meanTreated: num(g1.mean),
      meanControl: num(g0.mean),
      smd: smdFrom(g0, g1, binary, false, false),
      weightedMeanTreated: num(g1.wMean),
      weightedMeanControl: num(g0.wMean),
      weightedSmd,
      balanced: weightedSmd === null ? null : Math.abs(weightedSmd) < threshold,
    };
  });
}

export interface Overlap {
  treated: { n: number; min: number; max: number };
  control: { n: number; min: number; max: number };
  /** [max of the minima, min of the maxima]: scores both groups reach; null when disjoint. */
  commonSupport: [number, number] | null;
  /** Units whose score lies outside the common support, per group. */
  outsideTreated: number;
  outsideControl: number;
}

/**
 * Overlap of the propensity-score distributions: the ranges per group, the
 * common support and how many units fall outside it. The Compare page says
 * "overlap is poor" from these (with the ESS and the truncated weights),
 * rather than showing an adjusted effect for people who have no counterpart.
 * R: range(ps[t == 1]); range(ps[t == 0]).
 */
export function overlap(ps: Values, treat: Values): Overlap {
  const n = treat.length;
  const { n1, n0 } = checkTreat(treat);
  checkPs(ps, n);
  let min1 = Infinity;
  let max1 = -Infinity;
  let min0 = Infinity;
  let max0 = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = ps[i]!;
    if (treat[i] === 1) {
      if (v < min1) min1 = v;
      if (v > max1) max1 = v;
    } else {
      if (v < min0) min0 = v;
      if (v > max0) max0 = v;
    }
  }
  const lo = Math.max(min1, min0);
  const hi = Math.min(max1, max0);
  const support: [number, number] | null = n1 > 0 && n0 > 0 && lo <= hi ? [lo, hi] : null;
  let out1 = 0;
  let out0 = 0;
  for (let i = 0; i < n; i++) {
    const v = ps[i]!;
    const outside = support === null || v < support[0] || v > support[1];
    if (!outside) continue;
    if (treat[i] === 1) out1++;
    else out0++;
  }
  return {
    treated: { n: n1, min: min1, max: max1 },
    control: { n: n0, min: min0, max: max0 },
    commonSupport: support,
    outsideTreated: out1,
    outsideControl: out0,
  };
}

/** logit(p) = log(p / (1 - p)). */
export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * 1:1 greedy nearest-neighbour matching without replacement on the logit of
 * the propensity score, with a caliper of `caliperSd` (default 0.2) standard
 * deviations of the logit (Austin 2011). The SD is the pooled SD of the two
 * groups, sqrt((s1^2 + s0^2) / 2), as in Austin 2011; `caliperSd: null`
 * disables the caliper.
 *
 * Deterministic order: treated units are matched from the largest propensity
 * score down (MatchIt's default m.order = "largest"), ties by row index; each
 * takes the nearest unmatched control, ties in distance to the lower row
 * index; a treated unit with no unmatched control within the caliper stays
 * unmatched. O(n log n): controls are sorted by logit and matched ones are
 * skipped with path-compressed links.
 */
export function matchNearest(ps: Values, treat: Values, options: { caliperSd?: number | null } = {}): MatchResult {
  const n = treat.length;
  const { n1, n0 } = checkTreat(treat);
  checkPs(ps, n);
  const lg = new Float64Array(n);
  for (let i = 0; i < n; i++) lg[i] = logit(ps[i]!);

  const caliperSd = options.caliperSd === undefined ? 0.2 : options.caliperSd;
  let caliper = Infinity;
  if (caliperSd !== null) {
    const g1: number[] = [];
    const g0: number[] = [];
    for (let i = 0; i < n; i++) (treat[i] === 1 ? g1 : g0).push(lg[i]!);
    const v1 = weightedVariance(g1, new Float64Array(g1.length).fill(1)) ?? 0;
    const v0 = weightedVariance(g0, new Float64Array(g0.length).fill(1)) ?? 0;
    caliper = caliperSd * Math.sqrt((v1 + v0) / 2);
  }

  const tIdx = new Int32Array(n1);
  const cIdx = new Int32Array(n0);
  {
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (treat[i] === 1) tIdx[a++] = i;
      else cIdx[b++] = i;
    }
  }
  // Treated: largest ps first; controls: ascending logit, ties by row index.
  const tKey = new Float64Array(n1);
  for (let k = 0; k < n1; k++) tKey[k] = -ps[tIdx[k]!]!;
  const cKey = new Float64Array(n0);
  for (let k = 0; k < n0; k++) cKey[k] = lg[cIdx[k]!]!;
  const tOrder = argsortStable(tKey);
  const cOrder = argsortStable(cKey);
  const tSorted = Int32Array.from(tOrder, (k) => tIdx[k]!);
  const cSorted = Int32Array.from(cOrder, (k) => cIdx[k]!);
  tIdx.set(tSorted);
  cIdx.set(cSorted);
  const cl = new Float64Array(n0);
  const blockStart = new Int32Array(n0);
  for (let k = 0; k < n0; k++) {
    cl[k] = lg[cIdx[k]!]!;
    blockStart[k] = k > 0 && cl[k] === cl[k - 1] ? blockStart[k - 1]! : k;
  }

  // Links to the next unmatched control on each side (disjoint-set style).
  const right = new Int32Array(n0 + 1);
  const left = new Int32Array(n0 + 1); // left[k + 1] refers to position k; 0 means none
  for (let k = 0; k <= n0; k++) {
    right[k] = k;
    left[k] = k;
  }
  const findRight = (k: number): number => {
    let r = k;
    while (right[r] !== r) r = right[r]!;
    while (right[k] !== r) {
      const nx = right[k]!;
      right[k] = r;
      k = nx;
    }
    return r; // n0 means none
  };
  const findLeft = (k1: number): number => {
    let r = k1;
    while (left[r] !== r) r = left[r]!;
    while (left[k1] !== r) {
      const nx = left[k1]!;
      left[k1] = r;
      k1 = nx;
    }
    return r - 1; // -1 means none
  };

  const outT: number[] = [];
  const outC: number[] = [];
  for (let a = 0; a < n1; a++) {
    const ti = tIdx[a]!;
    const v = lg[ti]!;
    // First control position with logit >= v.
    let lo = 0;
    let hi = n0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cl[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    const r = findRight(lo);
    const l = findLeft(lo); // unmatched position < lo
    let best = -1;
    let bestD = Infinity;
    if (l >= 0) {
      // Among equal logits on the left, the lowest row index is the first
      // unmatched position of l's block of ties.
      best = findRight(blockStart[l]!);
      bestD = v - cl[l]!;
    }
    if (r < n0) {
      const d = cl[r]! - v;
      if (d < bestD || (d === bestD && best >= 0 && cIdx[r]! < cIdx[best]!)) {
        best = r;
        bestD = d;
      }
    }
    if (best < 0 || !(bestD <= caliper)) continue;
    outT.push(ti);
    outC.push(cIdx[best]!);
    right[best] = best + 1;
    left[best + 1] = best;
  }
  return {
    treated: Int32Array.from(outT),
    control: Int32Array.from(outC),
    caliper,
    nTreated: n1,
    nControl: n0,
    unmatchedTreated: n1 - outT.length,
  };
}
