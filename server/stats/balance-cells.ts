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
    const n = [0, 0];
    const sx = [0, 0];
    const sw = [0, 0];
    const swx = [0, 0];
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
    const cc = [0, 0];
    const ss = [0, 0];
    for (let c = 0; c < k; c++) {
      const g = treat[c]!;
      const m = count[c]!;
      const d = x[c]! - mean[g]!;
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
