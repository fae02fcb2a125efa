/**
 * Proportions and their comparison: Wilson score interval, risk difference with
 * Newcombe's hybrid score interval, relative risk with the log (Katz) interval,
 * and the number needed to treat.
 */
import { zCrit } from './distributions.ts';

export interface Proportion {
  x: number;
  n: number;
  /** x / n; null when n = 0. */
  p: number | null;
  lower: number | null;
  upper: number | null;
  level: number;
}

export interface RiskDifference {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  p1: number | null;
  p2: number | null;
  /** p1 - p2; null when either group is empty. */
  diff: number | null;
  lower: number | null;
  upper: number | null;
  level: number;
  method: 'newcombe-hybrid-score';
}

export interface RelativeRisk {
  p1: number | null;
  p2: number | null;
  /** p1 / p2; null when p2 is 0 or a group is empty. 0 when x1 = 0 < x2. */
  rr: number | null;
  /** SE of log(rr): sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2); null when x1 or x2 is 0. */
  seLog: number | null;
  lower: number | null;
  upper: number | null;
  level: number;
  method: 'log';
}

export interface NumberNeeded {
  /** NNTB when the difference favours group 1, NNTH when it harms. */
  kind: 'NNTB' | 'NNTH';
  /** 1 / |risk difference| (not rounded; round up for display). */
  nnt: number;
  /** The interval obtained by inverting the difference's limits. */
  lower: number;
  upper: number;
  level: number;
}

function checkCount(x: number, n: number, label: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${label}: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(x) || x < 0 || x > n) throw new RangeError(`${label}: x must be an integer in [0, n], got ${x} of ${n}`);
}

/**
 * Wilson score interval without continuity correction (Wilson 1927; Newcombe
 * 1998 method 3). R: prop.test(x, n, correct = FALSE)$conf.int;
 * statsmodels: proportion_confint(x, n, method = "wilson").
 * n = 0 has no proportion and no interval. The limits are exactly 0 at x = 0
 * and exactly 1 at x = n (the formula gives these up to rounding).
 */
export function wilson(x: number, n: number, level = 0.95): Proportion {
  checkCount(x, n, 'wilson');
  const z = zCrit(level);
  if (n === 0) return { x, n, p: null, lower: null, upper: null, level };
  const p = x / n;
  const z2 = z * z;
  const denom = n + z2;
  const center = (x + z2 / 2) / denom;
  const half = ((z * Math.sqrt(n)) / denom) * Math.sqrt(p * (1 - p) + z2 / (4 * n));
  const lower = x === 0 ? 0 : center - half;
  const upper = x === n ? 1 : center + half;
  return { x, n, p, lower, upper, level };
}

/**
 * Risk difference p1 - p2 with Newcombe's (1998) method 10, the hybrid score
 * interval built from the two Wilson intervals (l_i, u_i):
 *   lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
 *   upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)
 * statsmodels: confint_proportions_2indep(x1, n1, x2, n2, method = "newcomb", compare = "diff").
 */
export function riskDifference(x1: number, n1: number, x2: number, n2: number, level = 0.95): RiskDifference {
  const a = wilson(x1, n1, level);
  const b = wilson(x2, n2, level);
  const base = { x1, n1, x2, n2, p1: a.p, p2: b.p, level, method: 'newcombe-hybrid-score' as const };
  if (a.p === null || b.p === null) return { ...base, diff: null, lower: null, upper: null };
  const d = a.p - b.p;
  const lower = d - Math.hypot(a.p - a.lower!, b.upper! - b.p);
  const upper = d + Math.hypot(a.upper! - a.p, b.p - b.lower!);
  return { ...base, diff: d, lower, upper };
}

/**
 * Relative risk p1 / p2 with the log interval (Katz et al. 1978):
 * exp(log rr +- z * sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)), no continuity correction.
 * statsmodels: confint_proportions_2indep(x1, n1, x2, n2, method = "log", compare = "ratio").
 * With a zero count the log interval does not exist: the interval is null
 * (and the ratio too when p2 = 0). The page then says "not estimable".
 */
export function relativeRisk(x1: number, n1: number, x2: number, n2: number, level = 0.95): RelativeRisk {
  checkCount(x1, n1, 'relativeRisk group 1');
  checkCount(x2, n2, 'relativeRisk group 2');
  const z = zCrit(level);
  const p1 = n1 === 0 ? null : x1 / n1;
  const p2 = n2 === 0 ? null : x2 / n2;
  const none = { lower: null, upper: null, seLog: null, level, method: 'log' as const };
  if (p1 === null || p2 === null || p2 === 0) return { p1, p2, rr: null, ...none };
  const rr = p1 / p2;
  if (x1 === 0) return { p1, p2, rr, ...none };
  const seLog = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  const l = Math.log(rr);
  return { p1, p2, rr, seLog, lower: Math.exp(l - z * seLog), upper: Math.exp(l + z * seLog), level, method: 'log' };
}

/**
 * Number needed to treat, 1 / risk difference, with its interval from the
 * inverted limits of the difference (Altman 1998). Returned only when the
 * interval of the difference excludes 0 (the product's rule: a difference
 * that may be nil has no number needed to treat); null otherwise.
 *
 * `higherIsBetter` says what group 1 having more events means: true for
 * responders (a positive difference is a benefit, NNTB), false for
 * complications (a positive difference is a harm, NNTH).
 */
export function numberNeededToTreat(
  rd: Pick<RiskDifference, 'diff' | 'lower' | 'upper' | 'level'>,
  higherIsBetter = true,
): NumberNeeded | null {
  const { diff, lower, upper } = rd;
  if (diff === null || lower === null || upper === null) return null;
  if (!(lower > 0 || upper < 0)) return null;
  const near = Math.min(Math.abs(lower), Math.abs(upper));
  const far = Math.max(Math.abs(lower), Math.abs(upper));
  const benefit = diff > 0 === higherIsBetter;
  return { kind: benefit ? 'NNTB' : 'NNTH', nnt: 1 / Math.abs(diff), lower: 1 / far, upper: 1 / near, level: rd.level };
}
