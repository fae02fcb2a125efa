/**
 * The weighted difference in means between two groups with its robust
 * (sandwich) interval, from per-group sums: what lm(y ~ t, weights = w) with
 * sandwich::vcovHC gives for the coefficient of t, without a design matrix.
 *
 * The model has one mean per group, so the residuals are y_i - m_g and the
 * sandwich of the coefficient of t is
 *   sum_{i in 1} w_i^2 (y_i - m_1)^2 / W_1^2 + sum_{i in 0} w_i^2 (y_i - m_0)^2 / W_0^2
 * (HC0), times n / (n - 2) for HC1, with t on n - 2 df as lmtest::coeftest
 * does for lm. The sums make it cheap per subgroup of a forest plot: one pass
 * fills every subgroup's sums. Sums are taken around a shift (the first value
 * seen, or one given) so that the squares do not cancel.
 */
import { tCrit, twoSidedPt } from './distributions.ts';
import type { Values } from './descriptive.ts';
import type { VcovType } from './regression.ts';

/** Running sums of one group: n, sum w, sum w y', sum w^2, sum w^2 y', sum w^2 y'^2 with y' = y - shift. */
export interface WeightedSums {
  n: number;
  sw: number;
  swy: number;
  sw2: number;
  sw2y: number;
  sw2y2: number;
  shift: number;
}

export function weightedSums(shift = 0): WeightedSums {
  return { n: 0, sw: 0, swy: 0, sw2: 0, sw2y: 0, sw2y2: 0, shift };
}

export function addWeighted(s: WeightedSums, y: number, w: number): void {
  const d = y - s.shift;
  const w2 = w * w;
  s.n++;
  s.sw += w;
  s.swy += w * d;
  s.sw2 += w2;
  s.sw2y += w2 * d;
  s.sw2y2 += w2 * d * d;
}

export interface WeightedDifference {
  n1: number;
  n0: number;
  /** Weighted means of each group; null when the group is empty. */
  mean1: number | null;
  mean0: number | null;
  /** mean1 - mean0. */
  diff: number | null;
  se: number | null;
  df: number | null;
  t: number | null;
  p: number | null;
  lower: number | null;
  upper: number | null;
  level: number;
  vcov: Exclude<VcovType, 'classical'>;
}

/** From the two groups' sums (group 1 minus group 0). Both must use the same shift. */
export function weightedDifferenceFromSums(
  s1: WeightedSums,
  s0: WeightedSums,
  options: { vcov?: 'HC0' | 'HC1'; level?: number } = {},
): WeightedDifference {
  const level = options.level ?? 0.95;
  const vcov = options.vcov ?? 'HC1';
  if (s1.shift !== s0.shift) throw new RangeError('the two groups must be summed around the same shift');
  const m = (s: WeightedSums) => (s.n > 0 && s.sw > 0 ? s.swy / s.sw : null);
  const m1 = m(s1);
  const m0 = m(s0);
  const n = s1.n + s0.n;
  const out: WeightedDifference = {
    n1: s1.n, n0: s0.n, mean1: m1 === null ? null : m1 + s1.shift, mean0: m0 === null ? null : m0 + s0.shift,
    diff: null, se: null, df: null, t: null, p: null, lower: null, upper: null, level, vcov,
  };
  if (m1 === null || m0 === null) return out;
  out.diff = m1 - m0;
  if (n <= 2) return out;
  // sum w^2 (y' - m)^2 = sum w^2 y'^2 - 2 m sum w^2 y' + m^2 sum w^2, each group.
  const part = (s: WeightedSums, mm: number) => Math.max(0, s.sw2y2 - 2 * mm * s.sw2y + mm * mm * s.sw2) / (s.sw * s.sw);
  let v = part(s1, m1) + part(s0, m0);
  if (vcov === 'HC1') v *= n / (n - 2);
  const se = Math.sqrt(v);
  const df = n - 2;
  out.df = df;
  if (!(se > 0)) return out;
  out.se = se;
  out.t = out.diff / se;
  out.p = twoSidedPt(out.t, df);
  const c = tCrit(level, df);
  out.lower = out.diff - c * se;
  out.upper = out.diff + c * se;
  return out;
}

/**
 * Weighted difference in means of y between treat = 1 and treat = 0.
 * R: f <- lm(y ~ t, weights = w); coef(f)["t"]; sqrt(vcovHC(f, type = "HC1")["t", "t"]).
 */
export function weightedDifference(y: Values, treat: Values, w: Values, options: { vcov?: 'HC0' | 'HC1'; level?: number } = {}): WeightedDifference {
  const n = y.length;
  if (treat.length !== n || w.length !== n) throw new RangeError('y, treat and w must have the same length');
  const shift = n > 0 ? y[0]! : 0;
  const s1 = weightedSums(shift);
  const s0 = weightedSums(shift);
  for (let i = 0; i < n; i++) {
    const t = treat[i]!;
    const wi = w[i]!;
    if (t !== 0 && t !== 1) throw new RangeError(`treat[${i}] = ${t}: treatment must be 0 or 1`);
    if (!(wi > 0 && Number.isFinite(wi))) throw new RangeError(`w[${i}] = ${wi}: weights must be finite and > 0`);
    if (!Number.isFinite(y[i]!)) throw new RangeError(`y[${i}] is not finite`);
    addWeighted(t === 1 ? s1 : s0, y[i]!, wi);
  }
  return weightedDifferenceFromSums(s1, s0, options);
}
