/**
 * Descriptive statistics: mean, SD (n - 1), t-interval of the mean, quantiles
 * (R type 7), median and IQR, and the same mean/SD/CI from SQL aggregates
 * (n, sum, sum of squares).
 *
 * "Not estimable" is null, never NaN: a mean of nothing, an SD of one value,
 * an interval without a spread. Callers show "—" for null and the n beside it.
 */
import { tCrit } from './distributions.ts';
import { sortedCopy } from './sort.ts';

export type Values = ArrayLike<number>;

export interface MeanSummary {
  n: number;
  mean: number | null;
  /** Sample SD with divisor n - 1; null for n < 2. */
  sd: number | null;
  /** Standard error of the mean, sd / sqrt(n). */
  se: number | null;
  /** t-interval mean +- t_{n-1} * se; null for n < 2. Zero-width when sd = 0. */
  lower: number | null;
  upper: number | null;
  level: number;
}

export interface MedianIqr {
  n: number;
  median: number | null;
  q1: number | null;
  q3: number | null;
  iqr: number | null;
}

/** Sums as SQL returns them: n, sum(x - shift), sum((x - shift)^2). */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
  /**
   * Optional constant subtracted from every value before summing. Summing
   * around a value near the mean (e.g. the scale midpoint) keeps the
   * sum-of-squares formula from losing digits to cancellation.
   */
  shift?: number;
}

function assertFinite(x: Values, what: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new RangeError(`${what}[${i}] is not a finite number`);
  }
}

/**
 * Mean and sample variance in two passes: the sum, then deviations from
 * sum / n, from which the corrected mean (R's mean.default adds the mean
 * deviation back, so the result does not drift with n) and the corrected
 * two-pass variance follow. A non-finite value makes the sum non-finite, so
 * the per-element check runs only then.
 */
export function meanAndVariance(x: Values): { n: number; mean: number | null; variance: number | null } {
  const n = x.length;
  if (n === 0) return { n, mean: null, variance: null };
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  if (!Number.isFinite(s)) {
    assertFinite(x, 'x');
    throw new RangeError('the values are too large to sum');
  }
  const m0 = s / n;
  let c = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m0;
    c += d;
    ss += d * d;
  }
  return { n, mean: m0 + c / n, variance: n > 1 ? Math.max(0, (ss - (c * c) / n) / (n - 1)) : null };
}

/** Arithmetic mean (R's mean.default, with its correction pass). null for n = 0. */
export function mean(x: Values): number | null {
  return meanAndVariance(x).mean;
}

/** Sample variance (divisor n - 1), corrected two-pass algorithm. null for n < 2. */
export function variance(x: Values): number | null {
  return meanAndVariance(x).variance;
}

/** Sample standard deviation (divisor n - 1). null for n < 2. */
export function sd(x: Values): number | null {
  const v = variance(x);
  return v === null ? null : Math.sqrt(v);
}

function summaryFrom(n: number, m: number | null, v: number | null, level: number): MeanSummary {
  if (m === null || v === null) {
    return { n, mean: m, sd: null, se: null, lower: null, upper: null, level };
  }
  const s = Math.sqrt(v);
  const se = s / Math.sqrt(n);
  const h = tCrit(level, n - 1) * se;
  return { n, mean: m, sd: s, se, lower: m - h, upper: m + h, level };
}

/**
 * Mean, SD and the t-interval of the mean.
 * R: t.test(x, conf.level = level)$conf.int; SciPy: stats.t.interval(level, n-1, mean, sem).
 */
export function meanSummary(x: Values, level = 0.95): MeanSummary {
  tCrit(level, 1); // validate level even when n < 2
  const mv = meanAndVariance(x);
  return summaryFrom(x.length, mv.mean, mv.variance, level);
}

/**
 * The same figures as meanSummary() from aggregated sums, so a SQL
 * `count(*), sum(x - c), sum((x - c) * (x - c))` gives identical output.
 * The variance (sumSq - sum^2/n)/(n-1) loses about log10(mean^2/var) digits to
 * cancellation (shift the values to avoid it); a negative result from
 * rounding is clamped to 0.
 */
export function meanSummaryFromMoments(m: Moments, level = 0.95): MeanSummary {
  const { n, sum, sumSq } = m;
  const shift = m.shift ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isFinite(sum) || !Number.isFinite(sumSq) || !Number.isFinite(shift)) throw new RangeError('sums must be finite');
  tCrit(level, 1);
  if (n === 0) return summaryFrom(0, null, null, level);
  const mu = shift + sum / n;
  if (n === 1) return summaryFrom(1, mu, null, level);
  const v = Math.max(0, (sumSq - (sum * sum) / n) / (n - 1));
  return summaryFrom(n, mu, v, level);
}

/** n, sum and sum of squares of x (the inverse of meanSummaryFromMoments, for merging). */
export function moments(x: Values, shift = 0): Moments {
  assertFinite(x, 'x');
  let s = 0;
  let ss = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - shift;
    s += d;
    ss += d * d;
  }
  return { n: x.length, sum: s, sumSq: ss, shift };
}

/**
 * Combines the sums of two disjoint sets of values (e.g. two SQL partitions, or
 * a running total and a new batch), re-centring b on a's shift.
 */
export function mergeMoments(a: Moments, b: Moments): Moments {
  const sa = a.shift ?? 0;
  const d = (b.shift ?? 0) - sa;
  return {
    n: a.n + b.n,
    sum: a.sum + b.sum + b.n * d,
    sumSq: a.sumSq + b.sumSq + 2 * d * b.sum + b.n * d * d,
    shift: sa,
  };
}

/** Sorted Float64Array copy of x (numeric order). */
export function sorted(x: Values): Float64Array {
  assertFinite(x, 'x');
  return sortedCopy(x);
}

/**
 * Quantile of already sorted values, R's type 7 (numpy's "linear"):
 * h = (n - 1) p, Q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 */
export function quantileSorted(s: Values, p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], got ${p}`);
  const n = s.length;
  if (n === 0) return null;
  const index = (n - 1) * p;
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const a = s[lo]!;
  const h = index - lo;
  if (h === 0 || hi === lo) return a;
  const b = s[hi]!;
  if (a === b) return a;
  // R computes (1 - h) * x[lo] + h * x[hi].
  return (1 - h) * a + h * b;
}

/**
 * Moves the k-th smallest of a[lo..hi] to a[k], smaller-or-equal values to its
 * left and larger-or-equal to its right (quickselect with a median-of-three
 * pivot; a range that keeps failing to shrink is sorted instead, so the worst
 * case stays O(n log n)).
 */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  let budget = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi > lo) {
    if (hi - lo < 16 || budget-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    // median of three to a[mid]
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Quantiles (type 7) of unsorted values. Small inputs are sorted once; large
 * ones use selection (O(n) per probability instead of O(n log n) for the
 * sort), which picks the same order statistics and so gives identical results.
 */
export function quantiles(x: Values, probs: readonly number[]): (number | null)[] {
  for (const p of probs) if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], got ${p}`);
  const n = x.length;
  if (n <= 4096) {
    const s = sorted(x);
    return probs.map((p) => quantileSorted(s, p));
  }
  assertFinite(x, 'x');
  const a = Float64Array.from(x);
  const order = probs.map((p, i) => ({ p, i })).sort((u, v) => u.p - v.p);
  const out: (number | null)[] = new Array<number | null>(probs.length).fill(null);
  let from = 0;
  for (const { p, i } of order) {
    const index = (n - 1) * p;
    const lo = Math.floor(index);
    const h = index - lo;
    selectInPlace(a, lo, from, n - 1);
    from = lo;
    const xa = a[lo]!;
    if (h === 0 || lo + 1 >= n) {
      out[i] = xa;
      continue;
    }
    // The next order statistic is the smallest value right of lo.
    let xb = Infinity;
    for (let m = lo + 1; m < n; m++) if (a[m]! < xb) xb = a[m]!;
    out[i] = xa === xb ? xa : (1 - h) * xa + h * xb;
  }
  return out;
}

/** One quantile (type 7) of unsorted values. */
export function quantile(x: Values, p: number): number | null {
  return quantiles(x, [p])[0] ?? null;
}

/** Median and interquartile range (type 7 quartiles, R's default, IQR(x)). */
export function medianIqr(x: Values): MedianIqr {
  const n = x.length;
  const [q1, median, q3] = quantiles(x, [0.25, 0.5, 0.75]);
  if (n === 0 || q1 == null || q3 == null || median == null) return { n, median: null, q1: null, q3: null, iqr: null };
  return { n, median, q1, q3, iqr: q3 - q1 };
}
