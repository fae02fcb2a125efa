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
 * The order statistics are found exactly through a histogram: the cells are
 * counted into equal-width buckets between the smallest and largest value
 * (the bucket is a non-decreasing function of the value, so a bucket's rank
 * range is exact), and only the cells of the buckets holding the wanted
 * ranks are sorted. Two passes over the cells and a small sort.
 */
export function cellQuantiles(values: Float64Array, count: Float64Array, probs: readonly number[]): number[] {
  const k = values.length;
  if (count.length !== k) throw new RangeError('values and count need one entry per cell');
  for (const p of probs) if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], got ${p}`);
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    const m = count[c]!;
    const v = values[c]!;
    if (!(m >= 1 && Number.isInteger(m))) throw new RangeError(`count[${c}] must be a positive integer`);
    if (!Number.isFinite(v)) throw new RangeError(`values[${c}] is not finite`);
    n += m;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) throw new RangeError('no values');
  // The ranks (0-based order statistics) each probability needs: type 7's lo, and lo + 1 when it interpolates.
  const plan = probs.map((p) => {
    const index = (n - 1) * p;
    const lo = Math.floor(index);
    const h = index - lo;
    return { lo, h, next: h === 0 || lo + 1 >= n ? -1 : lo + 1 };
  });
  const ranks = [...new Set(plan.flatMap((q) => (q.next >= 0 ? [q.lo, q.next] : [q.lo])))];
  const valueAt = new Map<number, number>();
  if (min === max) for (const r of ranks) valueAt.set(r, min);
  else {
    let B = Math.min(1 << 16, Math.max(1, k));
    let scale = B / (max - min);
    // Values too close for the scale to be finite: one bucket (every cell sorted).
    if (!Number.isFinite(scale)) (B = 1), (scale = 0);
    const bucketOf = (v: number) => {
      const b = Math.floor((v - min) * scale);
      return b < B ? b : B - 1;
    };
    const inBucket = new Float64Array(B);
    for (let c = 0; c < k; c++) {
      const b = bucketOf(values[c]!);
      inBucket[b] = inBucket[b]! + count[c]!;
    }
    // The bucket of each wanted rank, and the ranks before it.
    const wanted = new Map<number, { before: number; ranks: number[] }>();
    for (const r of ranks) {
      let before = 0;
      let b = 0;
      while (before + inBucket[b]! <= r) before += inBucket[b++]!;
      const e = wanted.get(b) ?? { before, ranks: [] };
      e.ranks.push(r);
      wanted.set(b, e);
    }
    const members = new Map<number, number[]>();
    const isWanted = new Uint8Array(B);
    for (const b of wanted.keys()) members.set(b, []), (isWanted[b] = 1);
    for (let c = 0; c < k; c++) {
      const b = bucketOf(values[c]!);
      if (isWanted[b] === 1) members.get(b)!.push(c);
    }
    for (const [b, { before, ranks: rs }] of wanted) {
      const cs = members.get(b)!.sort((x, y) => values[x]! - values[y]!);
      for (const r of rs) {
        let seen = before;
        let j = 0;
        while (seen + count[cs[j]!]! <= r) seen += count[cs[j++]!]!;
        valueAt.set(r, values[cs[j]!]!);
      }
    }
  }
  return plan.map(({ lo, h, next }) => {
    const xa = valueAt.get(lo)!;
    if (next < 0) return xa;
    const xb = valueAt.get(next)!;
    return xa === xb ? xa : (1 - h) * xa + h * xb;
  });
}
