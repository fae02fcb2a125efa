/**
 * The balance table (weighting.ts, balanceTable) from cells of identical
 * covariates: each cell has a treatment, a number of rows and one weight for
 * all of them (a cell of the propensity model's patterns x path, whose weight
 * depends on the score and the path only). The same figures as balanceTable on
 * the expanded rows (tests/stats/balance-cells.test.ts): the means and sample
 * variances are count-weighted sums, taken around each group's mean in a
 * second pass, and the SMD uses the unweighted pooled SD before and after
 * weighting (decision 004). A million episodes have a few hundred thousand
 * cells, and the table costs one pass over the cells per covariate.
 */
import type { Values } from './descriptive.ts';
import type { BalanceRow } from './weighting.ts';

export function balanceFromCells(
  covariates: readonly { name: string; values: Values; binary?: boolean }[],
  treat: ArrayLike<number>,
  count: ArrayLike<number>,
  weight: ArrayLike<number>,
  threshold = 0.1,
): BalanceRow[] {
  const k = treat.length;
  if (count.length !== k || weight.length !== k) throw new RangeError('treat, count and weight need one value per cell');
  for (let c = 0; c < k; c++) {
    if (treat[c] !== 0 && treat[c] !== 1) throw new RangeError(`treat[${c}] must be 0 or 1`);
    if (!(count[c]! >= 1 && Number.isInteger(count[c]!))) throw new RangeError(`count[${c}] must be a positive integer`);
    if (!(weight[c]! >= 0 && Number.isFinite(weight[c]!))) throw new RangeError(`weight[${c}] must be finite and >= 0`);
  }
  return covariates.map((cov) => {
    const x = cov.values;
    if (x.length !== k) throw new RangeError(`covariate ${cov.name}: one value per cell expected`);
    const binary = cov.binary ?? false;
    // Per group (index 0 / 1): typed accumulators, the same sums in the same order as plain arrays would give.
    const n = new Float64Array(2);
    const sx = new Float64Array(2);
    const sw = new Float64Array(2);
    const swx = new Float64Array(2);
    for (let c = 0; c < k; c++) {
      const g = treat[c]!;
      const m = count[c]!;
      const v = x[c]!;
      if (!Number.isFinite(v)) throw new RangeError(`covariate ${cov.name}[${c}] is not finite`);
      if (binary && v !== 0 && v !== 1) throw new RangeError('binary covariate must be 0/1');
      const wm = weight[c]! * m;
      n[g] = n[g]! + m;
      sx[g] = sx[g]! + m * v;
      sw[g] = sw[g]! + wm;
      swx[g] = swx[g]! + wm * v;
    }
    const mean = [0, 1].map((g) => (n[g]! > 0 ? sx[g]! / n[g]! : NaN));
    const wMean = [0, 1].map((g) => (sw[g]! > 0 ? swx[g]! / sw[g]! : NaN));
    // Second pass: corrected two-pass sample variance per group.
    const cc = new Float64Array(2);
    const ss = new Float64Array(2);
    const mean0 = mean[0]!;
    const mean1 = mean[1]!;
    for (let c = 0; c < k; c++) {
      const g = treat[c]!;
      const m = count[c]!;
      const d = x[c]! - (g === 1 ? mean1 : mean0);
      cc[g] = cc[g]! + m * d;
      ss[g] = ss[g]! + m * d * d;
    }
    const variance = [0, 1].map((g) => (n[g]! > 1 ? Math.max(0, (ss[g]! - (cc[g]! * cc[g]!) / n[g]!) / (n[g]! - 1)) : NaN));
    const meanC = [0, 1].map((g) => (n[g]! > 0 ? mean[g]! + cc[g]! / n[g]! : NaN));
    const smd = (m1: number, m0: number): number | null => {
      if (n[0] === 0 || n[1] === 0) return null;
      const v1 = binary ? meanC[1]! * (1 - meanC[1]!) : variance[1]!;
      const v0 = binary ? meanC[0]! * (1 - meanC[0]!) : variance[0]!;
      const s = Math.sqrt((v1 + v0) / 2);
      if (!(s > 0) || !Number.isFinite(m1) || !Number.isFinite(m0)) return null;
      return (m1 - m0) / s;
    };
    const num = (v: number) => (Number.isFinite(v) ? v : null);
    const weightedSmd = smd(wMean[1]!, wMean[0]!);
    return {
      name: cov.name,
      binary,
      meanTreated: num(meanC[1]!),
      meanControl: num(meanC[0]!),
      smd: smd(meanC[1]!, meanC[0]!),
      weightedMeanTreated: num(wMean[1]!),
      weightedMeanControl: num(wMean[0]!),
      weightedSmd,
      balanced: weightedSmd === null ? null : Math.abs(weightedSmd) < threshold,
    };
  });
}

/**
 * Quantiles (R's type 7, `quantile(x, probs)`) of the values of cells, cell c
 * holding count[c] copies of values[c]: the same numbers as `quantiles` in
 * descriptive.ts on the expanded values (it picks the same two order
 * statistics and combines them the same way), without expanding them. For
 * the truncation percentiles of weights that are constant within a cell.
 * Weighted selection: expected O(cells) per probability.
 */
export function cellQuantiles(values: Float64Array, count: Float64Array, probs: readonly number[]): number[] {
  const k = values.length;
  if (count.length !== k) throw new RangeError('values and count need one entry per cell');
  let n = 0;
  for (let c = 0; c < k; c++) {
    if (!(count[c]! >= 1 && Number.isInteger(count[c]!))) throw new RangeError(`count[${c}] must be a positive integer`);
    if (!Number.isFinite(values[c]!)) throw new RangeError(`values[${c}] is not finite`);
    n += count[c]!;
  }
  if (n === 0) throw new RangeError('no values');
  const v = new Float64Array(k);
  const w = new Float64Array(k);
  /** The r-th smallest (0-based) value of the expanded multiset. */
  const orderStatistic = (r: number): number => {
    v.set(values);
    w.set(count);
    let lo = 0;
    let hi = k; // candidates v[lo..hi)
    let below = 0; // expanded values left of lo
    for (;;) {
      // Pivot: the median of three cells of the range.
      const a = v[lo]!;
      const b = v[lo + ((hi - lo) >> 1)]!;
      const c = v[hi - 1]!;
      const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
      // Three-way partition: < pivot | == pivot | > pivot, with the counts of each part.
      let lt = lo;
      let i = lo;
      let gt = hi;
      let nLess = 0;
      let nEqual = 0;
      while (i < gt) {
        const x = v[i]!;
        if (x < pivot) {
          nLess += w[i]!;
          const tv = v[lt]!, tw = w[lt]!;
          v[lt] = x, w[lt] = w[i]!;
          v[i] = tv, w[i] = tw;
          lt++;
          i++;
        } else if (x > pivot) {
          gt--;
          const tv = v[gt]!, tw = w[gt]!;
          v[gt] = x, w[gt] = w[i]!;
          v[i] = tv, w[i] = tw;
        } else {
          nEqual += w[i]!;
          i++;
        }
      }
      if (r < below + nLess) hi = lt;
      else if (r < below + nLess + nEqual) return pivot;
      else {
        below += nLess + nEqual;
        lo = gt;
      }
    }
  };
  return probs.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], got ${p}`);
    const index = (n - 1) * p;
    const lo = Math.floor(index);
    const h = index - lo;
    const xa = orderStatistic(lo);
    if (h === 0 || lo + 1 >= n) return xa;
    const xb = orderStatistic(lo + 1);
    return xa === xb ? xa : (1 - h) * xa + h * xb;
  });
}
