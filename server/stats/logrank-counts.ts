/**
 * The log-rank core shared by `logRankTest` (survival.ts, from rows) and
 * `logRankFromTable` (survival-table.ts, from counts per time): the observed
 * and expected events and the variance matrix of their differences
 * (Mantel-Haenszel), summed over the distinct event times, and the chi-square
 * on k - 1 groups with an expected event, as R's survdiff computes it.
 */
import { pchisqUpper } from './distributions.ts';
import { solve } from './linalg.ts';
import type { LogRank } from './survival.ts';

export interface LogRankSums {
  k: number;
  observed: Float64Array;
  expected: Float64Array;
  /** k x k row-major. */
  variance: Float64Array;
}

export function logRankSums(k: number): LogRankSums {
  return { k, observed: new Float64Array(k), expected: new Float64Array(k), variance: new Float64Array(k * k) };
}

/** Adds one event time: `nj[g]` at risk and `dj[g]` events in group g, `nTot` and `dTot` their sums. */
export function addLogRankTime(s: LogRankSums, nj: Float64Array, dj: Float64Array, nTot: number, dTot: number): void {
  const { k, observed, expected, variance } = s;
  const f = nTot > 1 ? (dTot * (nTot - dTot)) / (nTot - 1) : 0;
  for (let g = 0; g < k; g++) {
    observed[g] = observed[g]! + dj[g]!;
    expected[g] = expected[g]! + (dTot * nj[g]!) / nTot;
    const pg = nj[g]! / nTot;
    for (let h = 0; h < k; h++) {
      const ph = nj[h]! / nTot;
      variance[g * k + h] = variance[g * k + h]! + f * pg * ((g === h ? 1 : 0) - ph);
    }
  }
}

/** The test from the sums: `groups[g]` names group g and its number of rows. */
export function logRankResult(s: LogRankSums, groups: ReadonlyArray<{ group: number; n: number }>): LogRank {
  const { k, observed, expected, variance } = s;
  const keep: number[] = [];
  for (let g = 0; g < k; g++) if (expected[g]! > 0) keep.push(g);
  const df = Math.max(0, keep.length - 1);
  let chi = 0;
  if (keep.length >= 2) {
    const sub = keep.slice(1);
    const m = sub.length;
    const vv = new Float64Array(m * m);
    const diff = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      diff[r] = observed[sub[r]!]! - expected[sub[r]!]!;
      for (let c = 0; c < m; c++) vv[r * m + c] = variance[sub[r]! * k + sub[c]!]!;
    }
    const x = solve(vv, m, diff);
    if (x === null) throw new RangeError('log-rank variance matrix is singular');
    for (let r = 0; r < m; r++) chi += x[r]! * diff[r]!;
  }
  return {
    groups: groups.map((g, j) => ({ group: g.group, n: g.n, observed: observed[j]!, expected: expected[j]! })),
    variance,
    chiSquare: chi,
    df,
    p: df >= 1 ? pchisqUpper(chi, df) : null,
  };
}
