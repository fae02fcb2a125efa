/**
 * Two-group comparison of means (Welch t, Hedges g) and the test of
 * heterogeneity between subgroup effects used as the interaction test of the
 * forest plot (Cochran's Q).
 */
import { meanAndVariance, type Values } from './descriptive.ts';
import { pchisqUpper, tCrit, twoSidedPt, zCrit } from './distributions.ts';

export interface GroupSummary {
  n: number;
  mean: number;
  /** Sample SD (divisor n - 1). */
  sd: number;
}

export interface WelchResult {
  n1: number;
  n2: number;
  mean1: number | null;
  mean2: number | null;
  /** mean1 - mean2; null when a group is empty. */
  diff: number | null;
  /** sqrt(s1^2/n1 + s2^2/n2); null when a group has n < 2. */
  se: number | null;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number | null;
  t: number | null;
  /** Two-sided p-value. */
  p: number | null;
  lower: number | null;
  upper: number | null;
  level: number;
}

export interface HedgesG {
  n1: number;
  n2: number;
  /** Cohen's d with the pooled SD: (m1 - m2) / s_p. */
  d: number | null;
  /** Small-sample correction J = 1 - 3 / (4 (n1 + n2) - 9). */
  j: number | null;
  /** g = J d. */
  g: number | null;
  /** Var(g) = (n1 + n2)/(n1 n2) + g^2 / (2 (n1 + n2 - 3.94)). */
  variance: number | null;
  se: number | null;
  /** g +- z * se (normal approximation). */
  lower: number | null;
  upper: number | null;
  level: number;
}

export interface Heterogeneity {
  k: number;
  /** Inverse-variance (fixed-effect) pooled estimate. */
  pooled: number | null;
  pooledSe: number | null;
  /** Cochran's Q = sum w_i (theta_i - pooled)^2, w_i = 1 / se_i^2. */
  q: number | null;
  df: number | null;
  p: number | null;
  /** Higgins' I^2 = max(0, (Q - df) / Q); null when Q = 0. */
  i2: number | null;
}

function summarize(x: Values): { n: number; mean: number | null; v: number | null } {
  const mv = meanAndVariance(x);
  return { n: x.length, mean: mv.mean, v: mv.variance };
}

function checkGroup(g: GroupSummary, label: string): void {
  if (!Number.isInteger(g.n) || g.n < 0) throw new RangeError(`${label}: n must be a non-negative integer`);
  if (g.n > 0 && !Number.isFinite(g.mean)) throw new RangeError(`${label}: mean must be finite`);
  if (g.n > 1 && !(g.sd >= 0 && Number.isFinite(g.sd))) throw new RangeError(`${label}: sd must be finite and >= 0`);
}

function welchCore(
  n1: number, m1: number | null, v1: number | null,
  n2: number, m2: number | null, v2: number | null,
  level: number,
): WelchResult {
  tCrit(level, 1);
  const diff = m1 !== null && m2 !== null ? m1 - m2 : null;
  const none = { se: null, df: null, t: null, p: null, lower: null, upper: null };
  const base = { n1, n2, mean1: m1, mean2: m2, diff, level };
  if (diff === null || v1 === null || v2 === null) return { ...base, ...none };
  const a = v1 / n1;
  const b = v2 / n2;
  const se2 = a + b;
  // Both groups constant: no spread, no test (SciPy and R both return NaN).
  if (!(se2 > 0)) return { ...base, ...none, se: 0 };
  const se = Math.sqrt(se2);
  const df = (se2 * se2) / ((a * a) / (n1 - 1) + (b * b) / (n2 - 1));
  const t = diff / se;
  const h = tCrit(level, df) * se;
  return { ...base, se, df, t, p: twoSidedPt(t, df), lower: diff - h, upper: diff + h };
}

/**
 * Welch two-sample t-test of mean(x) - mean(y).
 * SciPy: stats.ttest_ind(x, y, equal_var=False) (statistic, pvalue, df, confidence_interval());
 * R: t.test(x, y, var.equal = FALSE).
 */
export function welchTTest(x: Values, y: Values, level = 0.95): WelchResult {
  const a = summarize(x);
  const b = summarize(y);
  return welchCore(a.n, a.mean, a.v, b.n, b.mean, b.v, level);
}

/**
 * Welch test from per-group n, mean and SD (for aggregated SQL figures).
 * SciPy: stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).
 */
export function welchFromSummary(g1: GroupSummary, g2: GroupSummary, level = 0.95): WelchResult {
  checkGroup(g1, 'group 1');
  checkGroup(g2, 'group 2');
  return welchCore(
    g1.n, g1.n > 0 ? g1.mean : null, g1.n > 1 ? g1.sd * g1.sd : null,
    g2.n, g2.n > 0 ? g2.mean : null, g2.n > 1 ? g2.sd * g2.sd : null,
    level,
  );
}

function hedgesCore(n1: number, m1: number | null, v1: number | null, n2: number, m2: number | null, v2: number | null, level: number): HedgesG {
  const z = zCrit(level);
  const none = { d: null, j: null, g: null, variance: null, se: null, lower: null, upper: null };
  if (m1 === null || m2 === null || n1 + n2 < 3) return { n1, n2, level, ...none };
  // A group of one contributes no within-group variance but still counts in the pooled df.
  const ss = (n1 > 1 ? (n1 - 1) * v1! : 0) + (n2 > 1 ? (n2 - 1) * v2! : 0);
  const N = n1 + n2;
  const sp = Math.sqrt(ss / (N - 2));
  if (!(sp > 0)) return { n1, n2, level, ...none };
  const d = (m1 - m2) / sp;
  const j = 1 - 3 / (4 * N - 9);
  const g = j * d;
  const vg = N / (n1 * n2) + (g * g) / (2 * (N - 3.94));
  const se = Math.sqrt(vg);
  return { n1, n2, d, j, g, variance: vg, se, lower: g - z * se, upper: g + z * se, level };
}

/**
 * Hedges' g, the standardised mean difference (x - y) / pooled SD with the
 * small-sample correction J = 1 - 3/(4N - 9) (Hedges 1981's approximation
 * of the exact gamma-function factor, J = 1 - 3/(4 df - 1) with df = N - 2),
 * and a normal-approximation interval with
 *   Var(g) = N/(n1 n2) + g^2 / (2 (N - 3.94))
 * (Cochrane Handbook / RevMan 5, Deeks & Higgins 2010).
 * statsmodels: stats.meta_analysis.effectsize_smd(m1, sd1, n1, m2, sd2, n2).
 */
export function hedgesG(x: Values, y: Values, level = 0.95): HedgesG {
  const a = summarize(x);
  const b = summarize(y);
  return hedgesCore(a.n, a.mean, a.v, b.n, b.mean, b.v, level);
}

/** Hedges' g from per-group n, mean and SD. */
export function hedgesGFromSummary(g1: GroupSummary, g2: GroupSummary, level = 0.95): HedgesG {
  checkGroup(g1, 'group 1');
  checkGroup(g2, 'group 2');
  return hedgesCore(
    g1.n, g1.n > 0 ? g1.mean : null, g1.n > 1 ? g1.sd * g1.sd : null,
    g2.n, g2.n > 0 ? g2.mean : null, g2.n > 1 ? g2.sd * g2.sd : null,
    level,
  );
}

/**
 * Test of heterogeneity between k subgroup estimates (the forest plot's
 * interaction test): Cochran's Q on inverse-variance weights, chi-square with
 * k - 1 df. For two subgroups it is the square of Altman & Bland's (2003)
 * z = (e1 - e2) / sqrt(se1^2 + se2^2). Subgroups without an estimate or with
 * se <= 0 must be left out by the caller (they are rejected here).
 * statsmodels: stats.meta_analysis.combine_effects(eff, se**2) (.q, .mean_effect_fe, .sd_eff_w_fe).
 */
export function heterogeneityTest(subgroups: readonly { estimate: number; se: number }[]): Heterogeneity {
  const k = subgroups.length;
  for (const s of subgroups) {
    if (!Number.isFinite(s.estimate) || !(s.se > 0 && Number.isFinite(s.se))) {
      throw new RangeError('every subgroup needs a finite estimate and a finite se > 0');
    }
  }
  if (k === 0) return { k, pooled: null, pooledSe: null, q: null, df: null, p: null, i2: null };
  let sw = 0;
  let swe = 0;
  for (const s of subgroups) {
    const w = 1 / (s.se * s.se);
    sw += w;
    swe += w * s.estimate;
  }
  const pooled = swe / sw;
  const pooledSe = Math.sqrt(1 / sw);
  if (k < 2) return { k, pooled, pooledSe, q: null, df: null, p: null, i2: null };
  let q = 0;
  for (const s of subgroups) {
    const d = s.estimate - pooled;
    q += (d * d) / (s.se * s.se);
  }
  const df = k - 1;
  return { k, pooled, pooledSe, q, df, p: pchisqUpper(q, df), i2: q > 0 ? Math.max(0, (q - df) / q) : null };
}
