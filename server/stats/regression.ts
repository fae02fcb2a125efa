/**
 * Linear and logistic regression.
 *
 *  - ols(): (weighted) least squares by Householder QR of sqrt(w) X, the
 *    algorithm of R's lm() (centred normal equations from 200,000 rows), with
 *    classical or robust sandwich (HC0, HC1) standard errors. ANCOVA
 *    (follow-up ~ path + baseline) is an ols() call.
 *  - logistic(): binomial GLM with logit link by Newton-Raphson (for the
 *    canonical link this is IRLS, the algorithm of R's glm()), with prior
 *    weights, step-halving, and a result flag for non-convergence and
 *    separation. Model-based or sandwich standard errors.
 *  - waldTest(): chi-square Wald test of a set of coefficients (an interaction).
 *
 * The design matrix is row-major (n rows of p values) so that one pass over
 * the rows accumulates X'WX with every row in cache: the propensity model runs
 * on ~1M rows.
 */
import type { Values } from './descriptive.ts';
import { pchisqUpper, tCrit, twoSidedPt, twoSidedPz, zCrit } from './distributions.ts';
import { cholesky, choleskyInverse, choleskySolve, sandwich, solve, symmetrizeFromUpper } from './linalg.ts';
import { logisticNewton } from './logistic-newton.ts';

export interface Design {
  n: number;
  p: number;
  /** Row-major n x p. */
  x: Float64Array;
  names: readonly string[];
  /** True when column 0 is the intercept (a column of ones). */
  intercept: boolean;
}

export interface Column {
  name: string;
  values: Values;
}

export type VcovType = 'classical' | 'HC0' | 'HC1';

/**
 * The robust covariance the product uses for weighted (IPW) effect estimates:
 * HC1, White's sandwich with the n / (n - p) small-sample factor (Stata's
 * "robust"); see docs/decisions/004-statistics.md.
 */
export const DEFAULT_ROBUST_VCOV: VcovType = 'HC1';

export interface Coefficient {
  name: string;
  estimate: number;
  se: number;
  /** t for ols (df = dfResidual), z for logistic. */
  statistic: number;
  p: number;
  lower: number;
  upper: number;
}

export interface OlsFit {
  status: 'ok';
  n: number;
  p: number;
  dfResidual: number;
  beta: Float64Array;
  /** Row-major p x p covariance of beta of the requested type. */
  vcov: Float64Array;
  vcovType: VcovType;
  coefficients: Coefficient[];
  /** Residual SD sqrt(sum w e^2 / dfResidual) (R's sigma()). */
  sigma: number;
  rSquared: number;
  /** y - X beta (unweighted). */
  residuals: Float64Array;
  level: number;
}

export interface RankDeficient {
  status: 'rank_deficient';
  n: number;
  p: number;
  /** Columns that are (numerically) linear combinations of earlier ones. */
  aliased: string[];
}

export interface TooFew {
  status: 'too_few_observations';
  n: number;
  p: number;
}

export type OlsResult = OlsFit | RankDeficient | TooFew;

export type LogisticStatus = 'converged' | 'separation' | 'not_converged';

export interface LogisticFit {
  /**
   * converged: a finite maximum was found.
   * separation: the likelihood has no finite maximum (complete or
   *   quasi-complete separation, or an outcome with one value): some
   *   coefficients run off to infinity, fitted probabilities reach 0 or 1, and
   *   coefficients and SEs must not be shown.
   * not_converged: the iteration limit was reached without either.
   */
  status: LogisticStatus;
  message: string | null;
  iterations: number;
  n: number;
  p: number;
  beta: Float64Array;
  vcov: Float64Array;
  vcovType: 'model' | 'HC0' | 'HC1';
  coefficients: Coefficient[];
  /** Residual deviance, -2 log-likelihood for 0/1 outcomes. */
  deviance: number;
  nullDeviance: number;
  /** Fitted probabilities (the propensity scores for a propensity model). */
  fitted: Float64Array;
  /** Fitted probabilities within 1e-8 of 0 or 1. */
  nBoundary: number;
  level: number;
}

export type LogisticResult = LogisticFit | RankDeficient | TooFew;

/** Builds a row-major design matrix from columns, with an intercept first by default. */
export function designMatrix(columns: readonly Column[], options: { intercept?: boolean } = {}): Design {
  const intercept = options.intercept ?? true;
  const n = columns.length > 0 ? columns[0]!.values.length : 0;
  for (const c of columns) {
    if (c.values.length !== n) throw new RangeError(`column ${c.name} has ${c.values.length} values, expected ${n}`);
  }
  const p = columns.length + (intercept ? 1 : 0);
  if (p === 0) throw new RangeError('a design needs at least one column');
  const x = new Float64Array(n * p);
  const off = intercept ? 1 : 0;
  if (intercept) for (let i = 0; i < n; i++) x[i * p] = 1;
  for (let j = 0; j < columns.length; j++) {
    const v = columns[j]!.values;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const val = v[i]!;
      sum += val * 0; // NaN for a NaN or an infinity, 0 otherwise
      x[i * p + j + off] = val;
    }
    if (sum !== 0) {
      for (let i = 0; i < n; i++) if (!Number.isFinite(v[i]!)) throw new RangeError(`column ${columns[j]!.name}[${i}] is not finite`);
    }
  }
  return { n, p, x, names: [...(intercept ? ['(Intercept)'] : []), ...columns.map((c) => c.name)], intercept };
}

/**
 * Treatment (dummy) coding of a factor given as integer codes 0..levels-1: one
 * 0/1 column per non-reference level, named `${name}${level}` as R does.
 */
export function factorColumns(name: string, codes: Values, levels: readonly string[], reference = 0): Column[] {
  if (!(reference >= 0 && reference < levels.length)) throw new RangeError('reference level out of range');
  const n = codes.length;
  const cols: Column[] = [];
  const arrays: Float64Array[] = [];
  for (let l = 0; l < levels.length; l++) {
    if (l === reference) continue;
    const a = new Float64Array(n);
    arrays[l] = a;
    cols.push({ name: `${name}${levels[l]}`, values: a });
  }
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= levels.length) throw new RangeError(`${name}[${i}] = ${c} is not a level code`);
    const a = arrays[c];
    if (a) a[i] = 1;
  }
  return cols;
}

function checkWeights(w: Values | undefined, n: number): void {
  if (!w) return;
  if (w.length !== n) throw new RangeError(`weights have length ${w.length}, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`weights[${i}] = ${v}: weights must be finite and > 0`);
  }
}

function coefficientTable(
  names: readonly string[], beta: Float64Array, vcov: Float64Array, p: number,
  dist: { kind: 't'; df: number } | { kind: 'z' }, level: number,
): Coefficient[] {
  const crit = dist.kind === 't' ? tCrit(level, dist.df) : zCrit(level);
  const out: Coefficient[] = [];
  for (let j = 0; j < p; j++) {
    const est = beta[j]!;
    const se = Math.sqrt(vcov[j * p + j]!);
    const stat = est / se;
    const pv = dist.kind === 't' ? twoSidedPt(stat, dist.df) : twoSidedPz(stat);
    out.push({ name: names[j]!, estimate: est, se, statistic: stat, p: pv, lower: est - crit * se, upper: est + crit * se });
  }
  return out;
}

/** sum_{i<m} a[ao + i] * b[bo + i], four partial sums to keep the FPU busy. */
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, m: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    s0 += a[ao + i]! * b[bo + i]!;
    s1 += a[ao + i + 1]! * b[bo + i + 1]!;
    s2 += a[ao + i + 2]! * b[bo + i + 2]!;
    s3 += a[ao + i + 3]! * b[bo + i + 3]!;
  }
  for (; i < m; i++) s0 += a[ao + i]! * b[bo + i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * Ordinary or weighted least squares.
 * R: lm(y ~ ..., weights = w); summary(fit)$coefficients; confint(fit);
 * robust: sandwich::vcovHC(fit, type = "HC0" | "HC1") with t on dfResidual
 * (lmtest::coeftest's default for lm). Weighted HC uses the scores w_i e_i x_i,
 * as sandwich::estfun.lm does.
 *
 * Method: Householder QR (R's algorithm) below 200,000 rows; from there,
 * normal equations on columns centred at their weighted means, solved by
 * Cholesky with one step of iterative refinement, about three times faster
 * and as accurate for designs that are not near-collinear. Both are tested
 * against R on the same data. A column is aliased (rank deficiency) when less
 * than 1e-7 of its norm is left after the earlier columns (QR, as R's lm), or
 * less than 1e-5 (normal equations, which cannot resolve finer).
 */
export function ols(
  design: Design,
  y: Values,
  options: { weights?: Values; vcov?: VcovType; level?: number; method?: 'qr' | 'normal-equations' } = {},
): OlsResult {
  const { n, p, x, names } = design;
  const level = options.level ?? 0.95;
  const vcovType = options.vcov ?? 'classical';
  const w = options.weights;
  if (y.length !== n) throw new RangeError(`y has length ${y.length}, expected ${n}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(y[i]!)) throw new RangeError(`y[${i}] is not finite`);
  checkWeights(w, n);
  tCrit(level, 1);
  if (n <= p) return { status: 'too_few_observations', n, p };

  const method = options.method ?? (n >= 200_000 ? 'normal-equations' : 'qr');
  const solved = method === 'qr' ? qrSolve(design, y, w) : normalEquationsSolve(design, y, w);
  if ('aliased' in solved) return { status: 'rank_deficient', n, p, aliased: solved.aliased };
  const { beta, xtxInv } = solved;

  const residuals = new Float64Array(n);
  let rss = 0;
  let sumW = 0;
  let sumWF = 0;
  const fitted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += x[i * p + j]! * beta[j]!;
    fitted[i] = f;
    const e = y[i]! - f;
    residuals[i] = e;
    const wi = w ? w[i]! : 1;
    rss += wi * e * e;
    sumW += wi;
    sumWF += wi * f;
  }
  const dfResidual = n - p;
  const sigma2 = rss / dfResidual;

  // R's summary.lm R^2: weighted, centred when the model has an intercept.
  let mss = 0;
  const mf = sumWF / sumW;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    const f = fitted[i]!;
    mss += design.intercept ? wi * (f - mf) ** 2 : wi * f * f;
  }
  const rSquared = mss / (mss + rss);

  let vcov: Float64Array;
  if (vcovType === 'classical') {
    vcov = xtxInv.map((v) => v * sigma2);
  } else {
    // Scores w_i e_i x_i (sandwich::estfun.lm); meat = sum of their outer products.
    const s2 = new Float64Array(n);
    for (let i = 0; i < n; i++) s2[i] = ((w ? w[i]! : 1) * residuals[i]!) ** 2;
    vcov = sandwich(xtxInv, weightedCrossprod(x, n, p, s2), p);
    if (vcovType === 'HC1') vcov = vcov.map((v) => (v * n) / dfResidual);
  }

  return {
    status: 'ok', n, p, dfResidual, beta, vcov, vcovType,
    coefficients: coefficientTable(names, beta, vcov, p, { kind: 't', df: dfResidual }, level),
    sigma: Math.sqrt(sigma2), rSquared, residuals, level,
  };
}

/** (X'WX)^{-1} and the coefficients by blocked Householder QR of sqrt(w) X. */
function qrSolve(design: Design, y: Values, w: Values | undefined): { beta: Float64Array; xtxInv: Float64Array } | { aliased: string[] } {
  const { n, p, x, names } = design;
  // Householder QR of sqrt(w) X, a block of rows at a time: each block of
  // rows is stacked under the R of the rows before it and reduced to a new R
  // (sequential "tall-skinny" QR). Same reflections, same R up to the signs of
  // its rows, but every block stays in cache: at a million rows this is
  // several times faster than reflecting whole columns.
  const B = 2048;
  const r = new Float64Array(p * p);
  const qy = new Float64Array(p);
  const c = new Float64Array(p * B);
  const cy = new Float64Array(B);
  const colSq = new Float64Array(p);
  for (let s0 = 0; s0 < n; s0 += B) {
    const m = Math.min(B, n - s0);
    for (let i = 0; i < m; i++) {
      const row = (s0 + i) * p;
      const sw = w ? Math.sqrt(w[s0 + i]!) : 1;
      for (let j = 0; j < p; j++) {
        const v = sw * x[row + j]!;
        c[j * B + i] = v;
        colSq[j] = colSq[j]! + v * v;
      }
      cy[i] = sw * y[s0 + i]!;
    }
    for (let j = 0; j < p; j++) {
      const cj = j * B;
      const ss = dot(c, cj, c, cj, m);
      const x0 = r[j * p + j]!;
      const norm = Math.sqrt(x0 * x0 + ss);
      if (norm === 0) continue; // nothing in this column yet
      const alpha = x0 >= 0 ? -norm : norm;
      const v0 = x0 - alpha; // v = (v0 at row j of R, then the block's column j)
      const vtv = v0 * v0 + ss;
      for (let k = j + 1; k < p; k++) {
        const ck = k * B;
        const d = v0 * r[j * p + k]! + dot(c, cj, c, ck, m);
        const f = (2 * d) / vtv;
        r[j * p + k] = r[j * p + k]! - f * v0;
        for (let i = 0; i < m; i++) c[ck + i] = c[ck + i]! - f * c[cj + i]!;
      }
      {
        const d = v0 * qy[j]! + dot(c, cj, cy, 0, m);
        const f = (2 * d) / vtv;
        qy[j] = qy[j]! - f * v0;
        for (let i = 0; i < m; i++) cy[i] = cy[i]! - f * c[cj + i]!;
      }
      r[j * p + j] = alpha;
    }
  }
  // R's lm (LINPACK dqrdc2) declares a column aliased when the norm of what is
  // left of it after the earlier columns, |R_jj|, is below 1e-7 of its norm.
  const aliased: string[] = [];
  for (let j = 0; j < p; j++) {
    const cn = Math.sqrt(colSq[j]!);
    if (!(cn > 0) || !(Math.abs(r[j * p + j]!) > 1e-7 * cn)) aliased.push(names[j]!);
  }
  if (aliased.length > 0) return { aliased };

  // beta = R^{-1} (Q'y)[0:p]; (X'WX)^{-1} = R^{-1} R^{-T}.
  const beta = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = qy[i]!;
    for (let k = i + 1; k < p; k++) s -= r[i * p + k]! * beta[k]!;
    beta[i] = s / r[i * p + i]!;
  }
  const rinv = new Float64Array(p * p);
  for (let i = p - 1; i >= 0; i--) {
    rinv[i * p + i] = 1 / r[i * p + i]!;
    for (let j = i + 1; j < p; j++) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r[i * p + k]! * rinv[k * p + j]!;
      rinv[i * p + j] = -s / r[i * p + i]!;
    }
  }
  const xtxInv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      let s = 0;
      for (let k = j; k < p; k++) s += rinv[i * p + k]! * rinv[j * p + k]!;
      xtxInv[i * p + j] = s;
      xtxInv[j * p + i] = s;
    }
  }

  return { beta, xtxInv };
}

type NormalFn = (
  x: Float64Array, y: Values, w: Values | null, a: Float64Array, ay: number, n: number, g: Float64Array, b: Float64Array,
) => void;

/** Z'WZ (upper triangle) and Z'W(y - ay) for the shifted columns z_j = x_j - a_j, generated per p. */
function generatedNormal(p: number, weighted: boolean): NormalFn {
  const L: string[] = [];
  const acc: string[] = [];
  for (let j = 0; j < p; j++) {
    acc.push(`b${j} = 0`);
    for (let k = j; k < p; k++) acc.push(`g${j}_${k} = 0`);
  }
  L.push(`let ${acc.join(', ')};`);
  for (let j = 0; j < p; j++) L.push(`const a${j} = a[${j}];`);
  L.push(`for (let i = 0, row = 0; i < n; i++, row += ${p}) {`);
  L.push(weighted ? 'const wi = w[i];' : 'const wi = 1;');
  L.push('const yi = y[i] - ay;');
  for (let j = 0; j < p; j++) L.push(`const z${j} = x[row + ${j}] - a${j};`);
  for (let j = 0; j < p; j++) {
    L.push(`const v${j} = wi * z${j}; b${j} += v${j} * yi;`);
    L.push(Array.from({ length: p - j }, (_, m) => `g${j}_${j + m} += v${j} * z${j + m};`).join(' '));
  }
  L.push('}');
  for (let j = 0; j < p; j++) {
    L.push(`b[${j}] = b${j};`);
    for (let k = j; k < p; k++) L.push(`g[${j * p + k}] = g${j}_${k};`);
  }
  return new Function('x', 'y', 'w', 'a', 'ay', 'n', 'g', 'b', L.join('\n')) as NormalFn;
}

function plainNormal(p: number): NormalFn {
  return (x, y, w, a, ay, n, g, b) => {
    for (let i = 0; i < n; i++) {
      const row = i * p;
      const wi = w ? w[i]! : 1;
      const yi = y[i]! - ay;
      for (let j = 0; j < p; j++) {
        const v = wi * (x[row + j]! - a[j]!);
        b[j] = b[j]! + v * yi;
        for (let k = j; k < p; k++) g[j * p + k] = g[j * p + k]! + v * (x[row + k]! - a[k]!);
      }
    }
  };
}

type RefineFn = (x: Float64Array, y: Values, w: Values | null, a: Float64Array, ay: number, bz: Float64Array, n: number, out: Float64Array) => void;

/** Z'W e with e = (y - ay) - Z bz, generated per p. */
function generatedRefine(p: number, weighted: boolean): RefineFn {
  const L: string[] = [];
  L.push(`let ${Array.from({ length: p }, (_, j) => `g${j} = 0`).join(', ')};`);
  for (let j = 0; j < p; j++) L.push(`const a${j} = a[${j}], c${j} = bz[${j}];`);
  L.push(`for (let i = 0, row = 0; i < n; i++, row += ${p}) {`);
  for (let j = 0; j < p; j++) L.push(`const z${j} = x[row + ${j}] - a${j};`);
  L.push(`const e = y[i] - ay - (${Array.from({ length: p }, (_, j) => `z${j} * c${j}`).join(' + ')});`);
  L.push(weighted ? 'const we = w[i] * e;' : 'const we = e;');
  for (let j = 0; j < p; j++) L.push(`g${j} += we * z${j};`);
  L.push('}');
  for (let j = 0; j < p; j++) L.push(`out[${j}] = g${j};`);
  return new Function('x', 'y', 'w', 'a', 'ay', 'bz', 'n', 'out', L.join('\n')) as RefineFn;
}

function plainRefine(p: number): RefineFn {
  return (x, y, w, a, ay, bz, n, out) => {
    for (let i = 0; i < n; i++) {
      const row = i * p;
      let e = y[i]! - ay;
      for (let j = 0; j < p; j++) e -= (x[row + j]! - a[j]!) * bz[j]!;
      const we = (w ? w[i]! : 1) * e;
      for (let j = 0; j < p; j++) out[j] = out[j]! + we * (x[row + j]! - a[j]!);
    }
  };
}

const refineCache = new Map<string, RefineFn>();
const normalCache = new Map<string, NormalFn>();

/**
 * (X'WX)^{-1} and the coefficients from the normal equations of the design
 * with its columns centred at their weighted means (when it has an
 * intercept), which removes the ill-conditioning an intercept next to, say,
 * age brings; then one step of iterative refinement on the residuals.
 */
function normalEquationsSolve(design: Design, y: Values, w: Values | undefined): { beta: Float64Array; xtxInv: Float64Array } | { aliased: string[] } {
  const { n, p, x, names, intercept } = design;
  const a = new Float64Array(p);
  let ay = 0;
  if (intercept) {
    let sw = 0;
    let sy = 0;
    const sx = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i]! : 1;
      const row = i * p;
      sw += wi;
      sy += wi * y[i]!;
      for (let j = 1; j < p; j++) sx[j] = sx[j]! + wi * x[row + j]!;
    }
    for (let j = 1; j < p; j++) a[j] = sx[j]! / sw;
    ay = sy / sw;
  }
  const key = `${p}:${w !== undefined}`;
  let kernel = normalCache.get(key);
  if (!kernel) {
    kernel = generateOr(() => (p > 40 ? null : generatedNormal(p, w !== undefined)), () => plainNormal(p));
    normalCache.set(key, kernel);
  }
  const g = new Float64Array(p * p);
  const b = new Float64Array(p);
  kernel(x, y, w ?? null, a, ay, n, g, b);
  symmetrizeFromUpper(g, p);

  // Scale to unit diagonal; a pivot below 1e-10 there leaves under 1e-5 of the column.
  const d = new Float64Array(p);
  const aliased: string[] = [];
  for (let j = 0; j < p; j++) {
    d[j] = Math.sqrt(g[j * p + j]!);
    if (!(d[j]! > 0)) aliased.push(names[j]!);
  }
  if (aliased.length > 0) return { aliased };
  const c = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) c[i * p + j] = g[i * p + j]! / (d[i]! * d[j]!);
  for (let m = 1; m <= p; m++) {
    const sub = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) sub[i * m + j] = c[i * p + j]!;
    if (!cholesky(sub, m, 1e-10)) return { aliased: [names[m - 1]!] };
  }
  const l = Float64Array.from(c);
  cholesky(l, p, 1e-10);
  const solveScaled = (rhs: Float64Array): Float64Array => {
    const u = choleskySolve(l, p, rhs.map((v, j) => v / d[j]!));
    return u.map((v, j) => v / d[j]!);
  };
  const bz = solveScaled(b);

  // One refinement step: solve for the correction from the residuals' Z'We.
  const rkey = `${p}:${w !== undefined}`;
  let refine = refineCache.get(rkey);
  if (!refine) {
    refine = generateOr(() => (p > 40 ? null : generatedRefine(p, w !== undefined)), () => plainRefine(p));
    refineCache.set(rkey, refine);
  }
  const gr = new Float64Array(p);
  refine(x, y, w ?? null, a, ay, bz, n, gr);
  const delta = solveScaled(gr);
  for (let j = 0; j < p; j++) bz[j] = bz[j]! + delta[j]!;

  // Back to the original columns: beta = S bz (+ ay in the intercept), with S
  // the identity except row 0 = (1, -a_1, ..., -a_{p-1}); (X'WX)^{-1} = S (Z'WZ)^{-1} S'.
  const beta = Float64Array.from(bz);
  if (intercept) {
    let b0 = bz[0]! + ay;
    for (let j = 1; j < p; j++) b0 -= a[j]! * bz[j]!;
    beta[0] = b0;
  }
  const cinv = choleskyInverse(l, p);
  const zInv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) zInv[i * p + j] = cinv[i * p + j]! / (d[i]! * d[j]!);
  if (!intercept) return { beta, xtxInv: zInv };
  const sMat = new Float64Array(p * p);
  for (let j = 0; j < p; j++) sMat[j * p + j] = 1;
  for (let j = 1; j < p; j++) sMat[j] = -a[j]!;
  const t = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let v = 0;
      for (let k = 0; k < p; k++) v += sMat[i * p + k]! * zInv[k * p + j]!;
      t[i * p + j] = v;
    }
  }
  const xtxInv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      let v = 0;
      for (let k = 0; k < p; k++) v += t[i * p + k]! * sMat[j * p + k]!;
      xtxInv[i * p + j] = v;
      xtxInv[j * p + i] = v;
    }
  }
  return { beta, xtxInv };
}

/**
 * One pass over the rows at beta: writes the score X'w(y - mu) into grad, the
 * upper triangle of the information X' diag(w mu (1 - mu)) X into hess, mu into
 * fitted, and returns [sum of w * (-log-likelihood terms), number of fitted
 * probabilities within 1e-8 of 0 or 1] in out. Per row: one exp and one log1p.
 */
type PassFn = (
  x: Float64Array, y: Values, w: Values | null, beta: Float64Array, n: number,
  grad: Float64Array, hess: Float64Array, fitted: Float64Array, out: Float64Array,
) => void;

/** The plain loop: any p, and the readable statement of what the generated kernel computes. */
function plainPass(p: number): PassFn {
  return (x, y, w, beta, n, grad, hess, fitted, out) => {
    grad.fill(0);
    hess.fill(0);
    let dev = 0;
    let nb = 0;
    for (let i = 0; i < n; i++) {
      const row = i * p;
      let eta = 0;
      for (let j = 0; j < p; j++) eta += x[row + j]! * beta[j]!;
      const e = Math.exp(-Math.abs(eta));
      const mu = eta >= 0 ? 1 / (1 + e) : e / (1 + e);
      // -log(1 - mu) = softplus(eta) = max(eta, 0) + log1p(exp(-|eta|)); -log(mu) = softplus(eta) - eta
      const sp = (eta > 0 ? eta : 0) + Math.log1p(e);
      const yi = y[i]!;
      const wi = w ? w[i]! : 1;
      dev += wi * (yi * (sp - eta) + (1 - yi) * sp);
      fitted[i] = mu;
      if (mu < 1e-8 || mu > 1 - 1e-8) nb++;
      const r = wi * (yi - mu);
      const v = wi * mu * (1 - mu);
      for (let j = 0; j < p; j++) {
        const xj = x[row + j]!;
        grad[j] = grad[j]! + r * xj;
        const vxj = v * xj;
        const hrow = j * p;
        for (let k = j; k < p; k++) hess[hrow + k] = hess[hrow + k]! + vxj * x[row + k]!;
      }
    }
    out[0] = dev;
    out[1] = nb;
  };
}

/**
 * The same pass generated for a fixed p, with every accumulator a local
 * variable instead of an array element: about 1.6x faster than plainPass at
 * p = 9, which is most of the propensity model's time on a million rows. The
 * source is built from the integer p alone (no data reaches it).
 */
function generatedPass(p: number, weighted: boolean): PassFn {
  const L: string[] = [];
  const acc: string[] = ['dev = 0', 'nb = 0'];
  for (let j = 0; j < p; j++) {
    acc.push(`g${j} = 0`);
    for (let k = j; k < p; k++) acc.push(`h${j}_${k} = 0`);
  }
  L.push(`let ${acc.join(', ')};`);
  for (let j = 0; j < p; j++) L.push(`const b${j} = beta[${j}];`);
  L.push(`for (let i = 0, row = 0; i < n; i++, row += ${p}) {`);
  for (let j = 0; j < p; j++) L.push(`const x${j} = x[row + ${j}];`);
  L.push(`const eta = ${Array.from({ length: p }, (_, j) => `x${j} * b${j}`).join(' + ')};`);
  L.push('const e = Math.exp(-Math.abs(eta));');
  L.push('const mu = eta >= 0 ? 1 / (1 + e) : e / (1 + e);');
  L.push('const sp = (eta > 0 ? eta : 0) + Math.log1p(e);');
  L.push('const yi = y[i];');
  L.push(weighted ? 'const wi = w[i];' : 'const wi = 1;');
  L.push('dev += wi * (yi * (sp - eta) + (1 - yi) * sp);');
  L.push('fitted[i] = mu;');
  L.push('if (mu < 1e-8 || mu > 1 - 1e-8) nb++;');
  L.push('const r = wi * (yi - mu), v = wi * mu * (1 - mu);');
  for (let j = 0; j < p; j++) {
    L.push(`g${j} += r * x${j}; const v${j} = v * x${j};`);
    L.push(Array.from({ length: p - j }, (_, m) => `h${j}_${j + m} += v${j} * x${j + m};`).join(' '));
  }
  L.push('}');
  for (let j = 0; j < p; j++) {
    L.push(`grad[${j}] = g${j};`);
    for (let k = 0; k < p; k++) L.push(`hess[${j * p + k}] = ${k >= j ? `h${j}_${k}` : '0'};`);
  }
  L.push('out[0] = dev; out[1] = nb;');
  return new Function('x', 'y', 'w', 'beta', 'n', 'grad', 'hess', 'fitted', 'out', L.join('\n')) as PassFn;
}

/**
 * The generated kernel, or the plain one where it cannot be had: wider than
 * 40 columns, or a runtime that forbids code generation from strings
 * (node --disallow-code-generation-from-strings).
 */
function generateOr<F>(gen: () => F | null, plain: () => F): F {
  try {
    return gen() ?? plain();
  } catch {
    return plain();
  }
}

type CrossprodFn = (x: Float64Array, n: number, c: Float64Array, out: Float64Array) => void;

/** sum_i c_i x_i x_i' for a row-major design, generated per p like the logistic pass. */
function generatedCrossprod(p: number): CrossprodFn {
  const L: string[] = [];
  const acc: string[] = [];
  for (let j = 0; j < p; j++) for (let k = j; k < p; k++) acc.push(`h${j}_${k} = 0`);
  L.push(`let ${acc.join(', ')};`);
  L.push(`for (let i = 0, row = 0; i < n; i++, row += ${p}) {`);
  L.push('const ci = c[i];');
  for (let j = 0; j < p; j++) L.push(`const x${j} = x[row + ${j}];`);
  for (let j = 0; j < p; j++) {
    L.push(`const v${j} = ci * x${j};`);
    L.push(Array.from({ length: p - j }, (_, m) => `h${j}_${j + m} += v${j} * x${j + m};`).join(' '));
  }
  L.push('}');
  for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) L.push(`out[${j * p + k}] = ${k >= j ? `h${j}_${k}` : `h${k}_${j}`};`);
  return new Function('x', 'n', 'c', 'out', L.join('\n')) as CrossprodFn;
}

const crossprodCache = new Map<number, CrossprodFn>();

/** X' diag(c) X (full symmetric p x p). */
function weightedCrossprod(x: Float64Array, n: number, p: number, c: Float64Array): Float64Array {
  const out = new Float64Array(p * p);
  let f = crossprodCache.get(p);
  if (!f) {
    f = generateOr(() => (p > 40 ? null : generatedCrossprod(p)), (): CrossprodFn => (xx, nn, cc, o) => {
      for (let i = 0; i < nn; i++) {
        const row = i * p;
        for (let j = 0; j < p; j++) {
          const xj = xx[row + j]! * cc[i]!;
          for (let k = j; k < p; k++) o[j * p + k] = o[j * p + k]! + xj * xx[row + k]!;
        }
      }
      symmetrizeFromUpper(o, p);
    });
    crossprodCache.set(p, f);
  }
  f(x, n, c, out);
  return out;
}

const passCache = new Map<string, PassFn>();
function passFor(p: number, weighted: boolean, plain: boolean): PassFn {
  if (plain || p > 40) return plainPass(p);
  const key = `${p}:${weighted}`;
  let f = passCache.get(key);
  if (!f) {
    f = generateOr(() => generatedPass(p, weighted), () => plainPass(p));
    passCache.set(key, f);
  }
  return f;
}

/**
 * Names the columns of X that are (numerically) linear combinations of earlier
 * ones, from X'X scaled to unit diagonal, over every `stride`-th row.
 */
function aliasedColumns(design: Design, stride: number): string[] {
  const { n, p, x, names } = design;
  const h = new Float64Array(p * p);
  for (let i = 0; i < n; i += stride) {
    const row = i * p;
    for (let j = 0; j < p; j++) {
      const xj = x[row + j]!;
      for (let k = j; k < p; k++) h[j * p + k] = h[j * p + k]! + xj * x[row + k]!;
    }
  }
  symmetrizeFromUpper(h, p);
  const d = new Float64Array(p);
  const aliased: string[] = [];
  for (let j = 0; j < p; j++) {
    d[j] = Math.sqrt(h[j * p + j]!);
    if (!(d[j]! > 0)) aliased.push(names[j]!);
  }
  if (aliased.length > 0) return aliased;
  for (let m = 1; m <= p; m++) {
    const sub = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) sub[i * m + j] = h[i * p + j]! / (d[i]! * d[j]!);
    if (!cholesky(sub, m, 1e-10)) return [names[m - 1]!];
  }
  return [];
}

/** Every `stride`-th row of a design, outcome and weights. */
function everyNth(design: Design, y: Values, w: Values | undefined, stride: number): { design: Design; y: Float64Array; w: Float64Array | undefined } {
  const { n, p, x } = design;
  const m = Math.ceil(n / stride);
  const xs = new Float64Array(m * p);
  const ys = new Float64Array(m);
  const ws = w ? new Float64Array(m) : undefined;
  for (let r = 0, i = 0; i < n; i += stride, r++) {
    xs.set(x.subarray(i * p, i * p + p), r * p);
    ys[r] = y[i]!;
    if (ws) ws[r] = w![i]!;
  }
  return { design: { ...design, n: m, x: xs }, y: ys, w: ws };
}

export interface LogisticOptions {
  /** Prior weights, as glm(weights = w). */
  weights?: Values;
  vcov?: 'model' | 'HC0' | 'HC1';
  level?: number;
  maxIterations?: number;
  /** Relative deviance change that stops the iteration (R's epsilon). */
  tolerance?: number;
  /** Starting coefficients; by default the intercept-only fit, or a fit on a subsample when n >= 200,000. */
  start?: ArrayLike<number>;
  /** Use the plain loop instead of the generated kernel (tests compare the two). */
  plainKernel?: boolean;
}

/** Rows above which the fit starts from a fit on every k-th row (about 50,000 of them). */
const WARM_START_ROWS = 200_000;

/**
 * Logistic regression (binomial GLM, logit link) by Newton-Raphson, with
 * optional prior weights (glm(weights = w): frequency or sampling weights;
 * y may be a proportion in [0, 1]).
 *
 * Convergence: |dev - dev_old| / (|dev| + 0.1) < tolerance, R's glm.control
 * criterion (default here 1e-10, R's is 1e-8). The reported SEs use the
 * information matrix at the final coefficients. On large data the iteration
 * starts from a fit on a systematic subsample (every k-th row), which leaves
 * two or three passes over all rows; the maximum it converges to is the same.
 *
 * Separation: when the likelihood has no finite maximum, Newton's steps do not
 * shrink while the deviance converges and fitted probabilities approach 0 or
 * 1. The fit is flagged 'separation' when, at the end, fitted probabilities
 * lie within 1e-8 of 0 or 1 and a further Newton step would still move a
 * coefficient by more than 1e-3 of its size, or the information matrix has
 * become singular. (R's glm returns "converged" with a warning in this case;
 * its coefficients are meaningless too.)
 *
 * R: glm(y ~ ..., family = binomial, weights = w); sandwich::vcovHC(fit, type = "HC0").
 */
export function logistic(design: Design, y: Values, options: LogisticOptions = {}): LogisticResult {
  const { n, p } = design;
  const w = options.weights;
  const level = options.level ?? 0.95;
  if (y.length !== n) throw new RangeError(`y has length ${y.length}, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`y[${i}] = ${v}: outcomes must be in [0, 1]`);
  }
  checkWeights(w, n);
  zCrit(level);
  if (options.start && options.start.length !== p) throw new RangeError(`start has length ${options.start.length}, expected ${p}`);
  if (n <= p) return { status: 'too_few_observations', n, p };

  const stride = n >= WARM_START_ROWS ? Math.floor(n / 50_000) : 1;
  // A subset of rows of full rank proves X has full rank; only otherwise look at all rows.
  if (aliasedColumns(design, stride).length > 0) {
    const aliased = stride > 1 ? aliasedColumns(design, 1) : aliasedColumns(design, stride);
    if (aliased.length > 0) return { status: 'rank_deficient', n, p, aliased };
  }

  let start: Float64Array | null = options.start ? Float64Array.from(options.start) : null;
  if (!start && stride > 1) {
    const sub = everyNth(design, y, w, stride);
    const fit = newton(sub.design, sub.y, sub.w, null, { ...options, vcov: 'model' });
    if (fit.status === 'converged') start = fit.beta;
  }
  // One array type for every call keeps the generated kernel monomorphic.
  const yf = y instanceof Float64Array ? y : Float64Array.from(y);
  const wf = w === undefined || w instanceof Float64Array ? w : Float64Array.from(w);
  return newton(design, yf, wf, start, options);
}

function newton(design: Design, y: Values, w: Values | undefined, start: Float64Array | null, options: LogisticOptions): LogisticFit {
  const { n, p, names, x } = design;
  const level = options.level ?? 0.95;
  const maxIt = options.maxIterations ?? 50;
  const tol = options.tolerance ?? 1e-10;
  const vcovType = options.vcov ?? 'model';
  const pass = passFor(p, w !== undefined, options.plainKernel ?? false);
  const wv = w ?? null;

  // The weighted mean outcome (null model and default start), and the part of
  // the deviance that does not depend on beta: sum w (y log y + (1-y) log(1-y)).
  let sw = 0;
  let swy = 0;
  let c0 = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    const yi = y[i]!;
    sw += wi;
    swy += wi * yi;
    if (yi > 0 && yi < 1) c0 += wi * (yi * Math.log(yi) + (1 - yi) * Math.log(1 - yi));
  }
  const ybar = swy / sw;
  // Null deviance 2 sum w [y log(y / mu0) + (1 - y) log((1 - y) / (1 - mu0))]
  // from the sums: mu0 is the weighted mean (0.5 without an intercept, as R).
  const mu0 = design.intercept ? ybar : 0.5;
  const xlog = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(b));
  const nullDev = 2 * (c0 - xlog(swy, mu0) - xlog(sw - swy, 1 - mu0));

  let beta: Float64Array;
  if (start) beta = Float64Array.from(start);
  else {
    beta = new Float64Array(p);
    if (design.intercept) {
      const yb = Math.min(Math.max(ybar, 0.5 / (sw + 1)), 1 - 0.5 / (sw + 1));
      beta[0] = Math.log(yb / (1 - yb));
    }
  }

  const fitted = new Float64Array(n);
  const out = new Float64Array(2);
  const evaluate = (b: Float64Array, g: Float64Array, h: Float64Array): number => {
    pass(x, y, wv, b, n, g, h, fitted, out);
    symmetrizeFromUpper(h, p);
    return 2 * (out[0]! + c0);
  };
  const fit = logisticNewton(beta, p, maxIt, tol, evaluate, () => out[1]!);
  const { status, message, iterations, deviance: dev, nBoundary, bread } = fit;
  beta = fit.beta;

  // Covariance: inverse information at the final beta, or the sandwich.
  let vcov: Float64Array = new Float64Array(p * p).fill(NaN);
  if (bread) {
    if (vcovType === 'model') {
      vcov = bread;
    } else {
      // Scores w_i (y_i - mu_i) x_i (sandwich::estfun.glm).
      const s2 = new Float64Array(n);
      for (let i = 0; i < n; i++) s2[i] = ((w ? w[i]! : 1) * (y[i]! - fitted[i]!)) ** 2;
      vcov = sandwich(bread, weightedCrossprod(x, n, p, s2), p);
      if (vcovType === 'HC1') vcov = vcov.map((v) => (v * n) / (n - p));
    }
  }

  return {
    status, message, iterations, n, p, beta, vcov, vcovType,
    coefficients: coefficientTable(names, beta, vcov, p, { kind: 'z' }, level),
    deviance: dev, nullDeviance: nullDev, fitted, nBoundary, level,
  };
}

/** Predicted probabilities 1 / (1 + exp(-X beta)) for a (new) design. */
export function predictLogistic(design: Design, beta: ArrayLike<number>): Float64Array {
  const { n, p, x } = design;
  if (beta.length !== p) throw new RangeError(`beta has length ${beta.length}, design has ${p} columns`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let j = 0; j < p; j++) eta += x[i * p + j]! * beta[j]!;
    const e = Math.exp(-Math.abs(eta));
    out[i] = eta >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  return out;
}

export interface WaldTest {
  chiSquare: number;
  df: number;
  p: number;
}

/**
 * Wald test that the coefficients at `indices` are all zero:
 * W = b' V^{-1} b ~ chi-square(len(indices)). For an interaction of a binary
 * path with a k-level subgroup factor, the k - 1 interaction coefficients.
 * statsmodels: fit.wald_test(R, use_f=False); R: aod::wald.test(Sigma, b, Terms).
 * Returns null when the sub-covariance is singular.
 */
export function waldTest(beta: ArrayLike<number>, vcov: ArrayLike<number>, p: number, indices: readonly number[]): WaldTest | null {
  const m = indices.length;
  if (m === 0) throw new RangeError('waldTest needs at least one coefficient');
  const b = new Float64Array(m);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ii = indices[i]!;
    if (!(ii >= 0 && ii < p)) throw new RangeError(`coefficient index ${ii} out of range`);
    b[i] = beta[ii]!;
    for (let j = 0; j < m; j++) v[i * m + j] = vcov[ii * p + indices[j]!]!;
  }
  const s = solve(v, m, b);
  if (!s) return null;
  let chi = 0;
  for (let i = 0; i < m; i++) chi += b[i]! * s[i]!;
  return { chiSquare: chi, df: m, p: pchisqUpper(chi, m) };
}

