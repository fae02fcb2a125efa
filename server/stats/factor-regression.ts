/**
 * Logistic regression and weighted least squares for the Compare page's
 * designs, fast on millions of rows without approximating anything.
 *
 * The propensity and outcome models of the care-path comparison have the same
 * shape: an intercept, a handful of numeric columns (age, sex, baseline score,
 * pain duration, prior procedures; the path in the outcome model) and one
 * factor with a dozen levels (the condition group). A dense row-major design
 * (server/stats/regression.ts) spends most of a pass multiplying the factor's
 * zeros: with q numeric columns and L levels it accumulates (1 + q + L - 1)^2 / 2
 * products per row, and the design itself is n x p doubles to build and read.
 *
 * Here the rows are grouped by factor level once (a counting sort), the
 * numeric columns are copied into one row-major block of q doubles per row,
 * centred at their means (which the intercept absorbs; it keeps the normal
 * equations well conditioned), and each pass accumulates only the
 * (q + 1)(q + 2) / 2 cross-products of (1, x) per level, in local variables of
 * a kernel generated for q. The factor's blocks of X'WX follow exactly: a
 * level's dummy is 1 on its own rows only, so its row of X'WX is that level's
 * sums of (1, x), and two dummies never meet. Same sums as the dense design,
 * in a different order: the fits agree with `logistic` / `ols` to rounding
 * (tests/stats/factor-regression.test.ts, and against R's glm / lm / sandwich).
 *
 * Parameters are ordered as R orders `y ~ x1 + ... + xq + factor(f)`:
 * intercept, the numeric columns, then one dummy per non-reference level,
 * named `${factor}${level}`.
 */
import type { Values } from './descriptive.ts';
import { tCrit, twoSidedPt, twoSidedPz, zCrit } from './distributions.ts';
import { cholesky, choleskyInverse, choleskySolve, sandwich } from './linalg.ts';
import { logisticNewton } from './logistic-newton.ts';
import type { Coefficient, LogisticFit, LogisticResult, OlsFit, OlsResult, VcovType } from './regression.ts';

export interface FactorDesign {
  /** Numeric columns (continuous or 0/1), each of the same length n. */
  numeric: readonly { name: string; values: Values }[];
  /** At most one factor, as integer codes 0..levels.length - 1; treatment coding against `reference` (default 0). */
  factor?: { name: string; codes: ArrayLike<number>; levels: readonly string[]; reference?: number } | null;
}

/**
 * A design grouped by factor level: what every pass reads. Build it once per
 * set of rows and columns with `prepareFactorDesign`; fits on the same rows
 * (a propensity model, then an outcome model) each need their own columns.
 */
export interface PreparedDesign {
  n: number;
  /** Numeric columns. */
  q: number;
  /** Levels of the factor (1 without a factor). */
  levels: number;
  reference: number;
  /** sorted row k is original row perm[k]. */
  perm: Int32Array;
  /** Rows of level l are sorted rows segStart[l] .. segStart[l + 1] - 1. */
  segStart: Int32Array;
  /** Row-major n x q block of the numeric columns, centred at `centre`, in sorted order. */
  xs: Float64Array;
  centre: Float64Array;
  /** Parameter names in R's order. */
  names: string[];
  /** Parameter index of each level's dummy (-1 for the reference level). */
  dummyIndex: Int32Array;
}

/**
 * Groups the rows by factor level and centres the numeric columns. O(n q).
 * `shared`: the block of numeric columns on a SharedArrayBuffer, so another
 * thread can fit on it without a copy.
 */
export function prepareFactorDesign(design: FactorDesign, n?: number, options: { shared?: boolean } = {}): PreparedDesign {
  const numeric = design.numeric;
  const f = design.factor ?? null;
  const rows = n ?? (numeric.length > 0 ? numeric[0]!.values.length : f ? f.codes.length : 0);
  for (const c of numeric) if (c.values.length !== rows) throw new RangeError(`column ${c.name} has ${c.values.length} values, expected ${rows}`);
  if (f && f.codes.length !== rows) throw new RangeError(`factor ${f.name} has ${f.codes.length} values, expected ${rows}`);
  const q = numeric.length;
  const levels = f ? f.levels.length : 1;
  const reference = f ? (f.reference ?? 0) : 0;
  if (f && !(levels >= 1 && reference >= 0 && reference < levels)) throw new RangeError('factor reference level out of range');

  const counts = new Int32Array(levels + 1);
  if (f) {
    for (let i = 0; i < rows; i++) {
      const c = f.codes[i]!;
      if (!(Number.isInteger(c) && c >= 0 && c < levels)) throw new RangeError(`${f.name}[${i}] = ${c} is not a level code`);
      counts[c + 1]!++;
    }
  } else counts[1] = rows;
  const segStart = new Int32Array(levels + 1);
  for (let l = 0; l < levels; l++) segStart[l + 1] = segStart[l]! + counts[l + 1]!;
  const centre = new Float64Array(q);
  for (let j = 0; j < q; j++) {
    const v = numeric[j]!.values;
    const s = sumOf(v, rows);
    if (!Number.isFinite(s)) {
      for (let i = 0; i < rows; i++) if (!Number.isFinite(v[i]!)) throw new RangeError(`column ${numeric[j]!.name}[${i}] is not finite`);
    }
    centre[j] = rows > 0 ? s / rows : 0;
  }
  // Each row's slot (the next of its level's), then each column written to its rows' slots.
  const next = Int32Array.from(segStart.subarray(0, levels));
  const perm = new Int32Array(rows);
  const slot = new Int32Array(rows);
  if (f) {
    for (let i = 0; i < rows; i++) {
      const k = next[f.codes[i]!]!++;
      perm[k] = i;
      slot[i] = k;
    }
  } else for (let i = 0; i < rows; i++) perm[i] = slot[i] = i;
  const xs = options.shared ? new Float64Array(new SharedArrayBuffer(8 * rows * q)) : new Float64Array(rows * q);
  const cols = numeric.map((c) => c.values);
  if (cols.every((v) => v instanceof Float64Array)) placeRows(xs, q, cols as Float64Array[], slot, centre);
  else for (let j = 0; j < q; j++) placeColumn(xs, q, j, cols[j]!, slot, centre[j]!);
  const names = ['(Intercept)', ...numeric.map((c) => c.name)];
  const dummyIndex = new Int32Array(levels).fill(-1);
  if (f) {
    for (let l = 0; l < levels; l++) {
      if (l === reference) continue;
      dummyIndex[l] = names.length;
      names.push(`${f.name}${f.levels[l]}`);
    }
  }
  return { n: rows, q, levels, reference, perm, segStart, xs, centre, names, dummyIndex };
}

// ---- column loops ---------------------------------------------------------------
// The passes over whole columns, each a small function of its own: V8 optimises these once and keeps
// them optimised, whereas the same loops inlined in the fits' larger functions (and closures) were run
// unoptimised for long stretches (decision 009, run 22). Each sums in index order, as the loops did.

/** v[0] + ... + v[n - 1]. */
function sumOf(v: Values, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i]!;
  return s;
}

/** sum a[i] b[i]. */
function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** xs[slot[i] q + j] = cols[j][i] - centre[j] for every column, a row at a time (each row's slot written once). */
function placeRows(xs: Float64Array, q: number, cols: readonly Float64Array[], slot: Int32Array, centre: Float64Array): void {
  for (let i = 0; i < slot.length; i++) {
    const o = slot[i]! * q;
    for (let j = 0; j < q; j++) xs[o + j] = cols[j]![i]! - centre[j]!;
  }
}

/** xs[slot[i] q + j] = v[i] - centre. */
function placeColumn(xs: Float64Array, q: number, j: number, v: Values, slot: Int32Array, centre: number): void {
  for (let i = 0; i < slot.length; i++) xs[slot[i]! * q + j] = v[i]! - centre;
}

/** out[k] = v[perm[k]]. */
function gather(v: Values, perm: Int32Array, out: Float64Array): Float64Array {
  for (let k = 0; k < perm.length; k++) out[k] = v[perm[k]!]!;
  return out;
}

/** a[i] b[i]. */
function product(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i]!;
  return out;
}

/** The residual and total sums of squares of a (cell) fit: w c e^2 (+ w ss within the cells), w c yc^2 (+ the same). */
function sumsOfSquares(cw: Float64Array, e: Float64Array, yc: Float64Array, ws: Float64Array, ss: Float64Array | null): [number, number] {
  let rss = 0;
  let syy = 0;
  for (let i = 0; i < cw.length; i++) {
    const within = ss ? ws[i]! * ss[i]! : 0;
    rss += cw[i]! * e[i]! * e[i]! + within;
    syy += cw[i]! * yc[i]! * yc[i]! + within;
  }
  return [rss, syy];
}

/** The sandwich's per-row weights w^2 e^2 (over a cell: w^2 (count e^2 + within-cell sum of squares)). */
function scoreWeights(ws: Float64Array, e: Float64Array, counts: Float64Array | null, ss: Float64Array | null): Float64Array {
  const c = new Float64Array(ws.length);
  for (let i = 0; i < ws.length; i++) c[i] = ws[i]! * ws[i]! * (counts ? counts[i]! * e[i]! * e[i]! + ss![i]! : e[i]! * e[i]!);
  return c;
}

/** out[i] = v[i] - shift. */
function shifted(v: Float64Array, shift: number, out: Float64Array): Float64Array {
  for (let i = 0; i < v.length; i++) out[i] = v[i]! - shift;
  return out;
}

/** Index of the first value that is not both finite and > 0, or -1. */
function firstNotPositive(v: Values, n: number): number {
  for (let i = 0; i < n; i++) if (!(v[i]! > 0 && Number.isFinite(v[i]!))) return i;
  return -1;
}

/** Index of the first value that is not both finite and >= 0, or -1. */
function firstNegative(v: Values, n: number): number {
  for (let i = 0; i < n; i++) if (!(v[i]! >= 0 && Number.isFinite(v[i]!))) return i;
  return -1;
}

/** The sum of counts that are positive integers; -(i + 1) for the first that is not. */
function countTotal(v: Values, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const c = v[i]!;
    if (!(Number.isInteger(c) && c >= 1)) return -(i + 1);
    s += c;
  }
  return s;
}

/** Index of the first value that is not finite, or -1. */
function firstNotFinite(v: Values, n: number): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(v[i]!)) return i;
  return -1;
}

/** Parameters of a prepared design: intercept, q numeric, levels - 1 dummies. */
const paramsOf = (d: PreparedDesign) => 1 + d.q + d.levels - 1;

// ---- kernels ------------------------------------------------------------------

/** Index of (j, k), j <= k, in the packed upper triangle of a (q + 1) x (q + 1) matrix. */
const triSize = (m: number) => (m * (m + 1)) / 2;

/**
 * One logistic pass over sorted rows [s, e) of one level: eta = off + b0 + x'b.
 * Writes into acc: [dev, nBoundary, g_0..g_q, packed upper triangle of sum v (1,x)(1,x)'];
 * mu into fitted (sorted order).
 */
type LogisticSegment = (
  xs: Float64Array, y: Float64Array, w: Float64Array | null, s: number, e: number,
  beta: Float64Array, off: number, acc: Float64Array, fitted: Float64Array,
) => void;

/** Sum over sorted rows [s, e) of c (1,x)(1,x)' and c r (1,x), packed like LogisticSegment's acc after its first two slots. */
type CrossSegment = (xs: Float64Array, c: Float64Array, r: Float64Array, s: number, e: number, acc: Float64Array) => void;

function generatedLogistic(q: number, weighted: boolean): LogisticSegment {
  const m = q + 1;
  const L: string[] = [];
  const acc = ['dev = 0', 'nb = 0'];
  for (let j = 0; j < m; j++) acc.push(`g${j} = 0`);
  for (let j = 0; j < m; j++) for (let k = j; k < m; k++) acc.push(`h${j}_${k} = 0`);
  L.push(`let ${acc.join(', ')};`);
  L.push('const c0 = off + beta[0];');
  for (let j = 1; j < m; j++) L.push(`const b${j} = beta[${j}];`);
  L.push(`for (let i = s, row = s * ${q}; i < e; i++, row += ${q}) {`);
  for (let j = 1; j < m; j++) L.push(`const x${j} = xs[row + ${j - 1}];`);
  L.push(`const eta = c0${Array.from({ length: q }, (_, j) => ` + x${j + 1} * b${j + 1}`).join('')};`);
  L.push('const ex = Math.exp(-Math.abs(eta));');
  L.push('const mu = eta >= 0 ? 1 / (1 + ex) : ex / (1 + ex);');
  L.push('const sp = (eta > 0 ? eta : 0) + Math.log1p(ex);');
  L.push('const yi = y[i];');
  L.push(weighted ? 'const wi = w[i];' : 'const wi = 1;');
  L.push('dev += wi * (yi * (sp - eta) + (1 - yi) * sp);');
  L.push('fitted[i] = mu;');
  L.push('if (mu < 1e-8 || mu > 1 - 1e-8) nb++;');
  L.push('const r = wi * (yi - mu), v = wi * mu * (1 - mu);');
  L.push('g0 += r; h0_0 += v;');
  for (let j = 1; j < m; j++) {
    L.push(`g${j} += r * x${j}; const v${j} = v * x${j}; h0_${j} += v${j};`);
    L.push(Array.from({ length: m - j }, (_, t) => `h${j}_${j + t} += v${j} * x${j + t};`).join(' '));
  }
  L.push('}');
  L.push('acc[0] = dev; acc[1] = nb;');
  for (let j = 0; j < m; j++) L.push(`acc[${2 + j}] = g${j};`);
  let t = 2 + m;
  for (let j = 0; j < m; j++) for (let k = j; k < m; k++) L.push(`acc[${t++}] = h${j}_${k};`);
  return new Function('xs', 'y', 'w', 's', 'e', 'beta', 'off', 'acc', 'fitted', L.join('\n')) as LogisticSegment;
}

/** The plain loop: the readable statement of what the generated kernel computes (tests compare them). */
function plainLogistic(q: number): LogisticSegment {
  const m = q + 1;
  return (xs, y, w, s, e, beta, off, acc, fitted) => {
    acc.fill(0);
    const z = new Float64Array(m);
    z[0] = 1;
    for (let i = s; i < e; i++) {
      let eta = off + beta[0]!;
      for (let j = 1; j < m; j++) {
        z[j] = xs[i * q + j - 1]!;
        eta += z[j]! * beta[j]!;
      }
      const ex = Math.exp(-Math.abs(eta));
      const mu = eta >= 0 ? 1 / (1 + ex) : ex / (1 + ex);
      const sp = (eta > 0 ? eta : 0) + Math.log1p(ex);
      const yi = y[i]!;
      const wi = w ? w[i]! : 1;
      acc[0] = acc[0]! + wi * (yi * (sp - eta) + (1 - yi) * sp);
      fitted[i] = mu;
      if (mu < 1e-8 || mu > 1 - 1e-8) acc[1] = acc[1]! + 1;
      const r = wi * (yi - mu);
      const v = wi * mu * (1 - mu);
      let t = 2 + m;
      for (let j = 0; j < m; j++) {
        acc[2 + j] = acc[2 + j]! + r * z[j]!;
        for (let k = j; k < m; k++) acc[t] = acc[t++]! + v * z[j]! * z[k]!;
      }
    }
  };
}

function generatedCross(q: number): CrossSegment {
  const m = q + 1;
  const L: string[] = [];
  const acc: string[] = [];
  for (let j = 0; j < m; j++) acc.push(`g${j} = 0`);
  for (let j = 0; j < m; j++) for (let k = j; k < m; k++) acc.push(`h${j}_${k} = 0`);
  L.push(`let ${acc.join(', ')};`);
  L.push(`for (let i = s, row = s * ${q}; i < e; i++, row += ${q}) {`);
  for (let j = 1; j < m; j++) L.push(`const x${j} = xs[row + ${j - 1}];`);
  L.push('const v = c[i], r = v * rr[i];');
  L.push('g0 += r; h0_0 += v;');
  for (let j = 1; j < m; j++) {
    L.push(`g${j} += r * x${j}; const v${j} = v * x${j}; h0_${j} += v${j};`);
    L.push(Array.from({ length: m - j }, (_, t) => `h${j}_${j + t} += v${j} * x${j + t};`).join(' '));
  }
  L.push('}');
  for (let j = 0; j < m; j++) L.push(`acc[${2 + j}] = g${j};`);
  let t = 2 + m;
  for (let j = 0; j < m; j++) for (let k = j; k < m; k++) L.push(`acc[${t++}] = h${j}_${k};`);
  return new Function('xs', 'c', 'rr', 's', 'e', 'acc', L.join('\n')) as CrossSegment;
}

function plainCross(q: number): CrossSegment {
  const m = q + 1;
  return (xs, c, rr, s, e, acc) => {
    acc.fill(0);
    const z = new Float64Array(m);
    z[0] = 1;
    for (let i = s; i < e; i++) {
      for (let j = 1; j < m; j++) z[j] = xs[i * q + j - 1]!;
      const v = c[i]!;
      const r = v * rr[i]!;
      let t = 2 + m;
      for (let j = 0; j < m; j++) {
        acc[2 + j] = acc[2 + j]! + r * z[j]!;
        for (let k = j; k < m; k++) acc[t] = acc[t++]! + v * z[j]! * z[k]!;
      }
    }
  };
}

/** Sum over sorted rows [s, e) of c r (1,x): the gradient part of CrossSegment alone, in acc[0..q]. */
type GradSegment = (xs: Float64Array, c: Float64Array, r: Float64Array, s: number, e: number, acc: Float64Array) => void;

function generatedGrad(q: number): GradSegment {
  const m = q + 1;
  const L: string[] = [];
  L.push(`let ${Array.from({ length: m }, (_, j) => `g${j} = 0`).join(', ')};`);
  L.push(`for (let i = s, row = s * ${q}; i < e; i++, row += ${q}) {`);
  L.push('const r = c[i] * rr[i];');
  L.push('g0 += r;');
  for (let j = 1; j < m; j++) L.push(`g${j} += r * xs[row + ${j - 1}];`);
  L.push('}');
  for (let j = 0; j < m; j++) L.push(`acc[${j}] = g${j};`);
  return new Function('xs', 'c', 'rr', 's', 'e', 'acc', L.join('\n')) as GradSegment;
}

function plainGrad(q: number): GradSegment {
  const m = q + 1;
  return (xs, c, rr, s, e, acc) => {
    acc.fill(0, 0, m);
    for (let i = s; i < e; i++) {
      const r = c[i]! * rr[i]!;
      acc[0] = acc[0]! + r;
      for (let j = 1; j < m; j++) acc[j] = acc[j]! + r * xs[i * q + j - 1]!;
    }
  };
}

/** out[i] = y[i] - (c0 + x_i'b) over sorted rows [s, e) (b = beta[1..q]). */
type ResidualSegment = (xs: Float64Array, y: Float64Array, out: Float64Array, s: number, e: number, c0: number, beta: Float64Array) => void;

function generatedResidual(q: number): ResidualSegment {
  const L: string[] = [];
  for (let j = 1; j <= q; j++) L.push(`const b${j} = beta[${j}];`);
  L.push(`for (let i = s, row = s * ${q}; i < e; i++, row += ${q}) {`);
  L.push(`out[i] = y[i] - (c0${Array.from({ length: q }, (_, j) => ` + xs[row + ${j}] * b${j + 1}`).join('')});`);
  L.push('}');
  return new Function('xs', 'y', 'out', 's', 'e', 'c0', 'beta', L.join('\n')) as ResidualSegment;
}

function plainResidual(q: number): ResidualSegment {
  return (xs, y, out, s, e, c0, beta) => {
    for (let i = s, row = i * q; i < e; i++, row += q) {
      let f = c0;
      for (let j = 0; j < q; j++) f += xs[row + j]! * beta[1 + j]!;
      out[i] = y[i]! - f;
    }
  };
}

function generateOr<F>(gen: () => F, plain: () => F): F {
  try {
    return gen();
  } catch {
    return plain(); // a runtime that forbids code generation from strings
  }
}

const logisticKernels = new Map<string, LogisticSegment>();
const crossKernels = new Map<number, CrossSegment>();
const gradKernels = new Map<number, GradSegment>();
const residualKernels = new Map<number, ResidualSegment>();

function gradKernel(q: number, plain: boolean): GradSegment {
  if (plain || q > 40) return plainGrad(q);
  let k = gradKernels.get(q);
  if (!k) gradKernels.set(q, (k = generateOr(() => generatedGrad(q), () => plainGrad(q))));
  return k;
}

function residualKernel(q: number, plain: boolean): ResidualSegment {
  if (plain || q > 40) return plainResidual(q);
  let k = residualKernels.get(q);
  if (!k) residualKernels.set(q, (k = generateOr(() => generatedResidual(q), () => plainResidual(q))));
  return k;
}

function logisticKernel(q: number, weighted: boolean, plain: boolean): LogisticSegment {
  if (plain || q > 40) return plainLogistic(q);
  const key = `${q}:${weighted}`;
  let k = logisticKernels.get(key);
  if (!k) logisticKernels.set(key, (k = generateOr(() => generatedLogistic(q, weighted), () => plainLogistic(q))));
  return k;
}

function crossKernel(q: number, plain: boolean): CrossSegment {
  if (plain || q > 40) return plainCross(q);
  let k = crossKernels.get(q);
  if (!k) crossKernels.set(q, (k = generateOr(() => generatedCross(q), () => plainCross(q))));
  return k;
}

/**
 * Assembles the full gradient and (symmetric) cross-product matrix of the
 * parameters from the per-level sums in `acc` (one block of 2 + m + m(m+1)/2
 * per level, m = q + 1).
 */
function assemble(d: PreparedDesign, acc: Float64Array, stride: number, grad: Float64Array, h: Float64Array): void {
  const m = d.q + 1;
  const p = paramsOf(d);
  grad.fill(0);
  h.fill(0);
  for (let l = 0; l < d.levels; l++) {
    const base = l * stride;
    const di = d.dummyIndex[l]!;
    for (let j = 0; j < m; j++) grad[j] = grad[j]! + acc[base + 2 + j]!;
    if (di >= 0) grad[di] = acc[base + 2]!;
    let t = base + 2 + m;
    for (let j = 0; j < m; j++) {
      for (let k = j; k < m; k++) {
        const v = acc[t++]!;
        h[j * p + k] = h[j * p + k]! + v;
        if (di >= 0 && j === 0) {
          // the dummy's row: sums of (1, x) over the level's rows; its diagonal is the level's sum of weights
          h[di * p + k] = v;
          h[k * p + di] = v;
          if (k === 0) h[di * p + di] = v;
        }
      }
    }
  }
  for (let j = 0; j < m; j++) for (let k = j + 1; k < m; k++) h[k * p + j] = h[j * p + k]!;
}

/** Back from centred numeric columns: b0 = b0c - sum a_j b_j; V = S Vc S' with S = I except S[0][j] = -a_j. */
function uncentre(d: PreparedDesign, betaC: Float64Array, vc: Float64Array | null): { beta: Float64Array; vcov: Float64Array | null } {
  const p = paramsOf(d);
  const beta = Float64Array.from(betaC);
  for (let j = 0; j < d.q; j++) beta[0] = beta[0]! - d.centre[j]! * betaC[1 + j]!;
  if (!vc) return { beta, vcov: null };
  const sRow = new Float64Array(p);
  sRow[0] = 1;
  for (let j = 0; j < d.q; j++) sRow[1 + j] = -d.centre[j]!;
  // (S Vc)[0][k] = sum_j sRow[j] Vc[j][k]; other rows unchanged. Then (.. S')[i][0] likewise.
  const t = Float64Array.from(vc);
  for (let k = 0; k < p; k++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += sRow[j]! * vc[j * p + k]!;
    t[k] = s;
  }
  const v = Float64Array.from(t);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += t[i * p + j]! * sRow[j]!;
    v[i * p] = s;
  }
  return { beta, vcov: v };
}

function coefficients(names: readonly string[], beta: Float64Array, vcov: Float64Array, p: number, df: number | null, level: number): Coefficient[] {
  const crit = df === null ? zCrit(level) : tCrit(level, df);
  return names.map((name, j) => {
    const est = beta[j]!;
    const se = Math.sqrt(vcov[j * p + j]!);
    const stat = est / se;
    return { name, estimate: est, se, statistic: stat, p: df === null ? twoSidedPz(stat) : twoSidedPt(stat, df), lower: est - crit * se, upper: est + crit * se };
  });
}

/** Columns that are (numerically) linear combinations of earlier ones, from a cross-product matrix scaled to unit diagonal. */
function aliasedFrom(h: Float64Array, p: number, names: readonly string[]): string[] {
  const dg = new Float64Array(p);
  const out: string[] = [];
  for (let j = 0; j < p; j++) {
    dg[j] = Math.sqrt(h[j * p + j]!);
    if (!(dg[j]! > 0)) out.push(names[j]!);
  }
  if (out.length > 0) return out;
  for (let m = 1; m <= p; m++) {
    const sub = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) sub[i * m + j] = h[i * p + j]! / (dg[i]! * dg[j]!);
    if (!cholesky(sub, m, 1e-10)) return [names[m - 1]!];
  }
  return [];
}

/** Outcome (and weights) in the prepared design's sorted order. */
export function sortedBy(d: PreparedDesign, v: Values): Float64Array {
  if (v.length !== d.n) throw new RangeError(`expected ${d.n} values, got ${v.length}`);
  return gather(v, d.perm, new Float64Array(d.n));
}

function unsort(d: PreparedDesign, sortedValues: Float64Array): Float64Array {
  const out = new Float64Array(d.n);
  for (let k = 0; k < d.n; k++) out[d.perm[k]!] = sortedValues[k]!;
  return out;
}

// ---- logistic -----------------------------------------------------------------

export interface FactorLogisticOptions {
  /** Prior weights (glm(weights =)). */
  weights?: Values;
  vcov?: 'model' | 'HC0' | 'HC1';
  level?: number;
  maxIterations?: number;
  /** Relative deviance change that stops the iteration (default 1e-10; R's glm uses 1e-8). */
  tolerance?: number;
  /** Use the plain loops instead of the generated kernels (tests compare the two). */
  plainKernel?: boolean;
  /** Start from a fit on every k-th row of each level when n >= this (default 200,000; Infinity: never). */
  warmStartRows?: number;
}

/**
 * Logistic regression of y (0/1, or a proportion with prior weights) on a
 * prepared factor design: Newton-Raphson (= IRLS for the logit link) with
 * step-halving, the convergence rule and the separation check of
 * `logistic` in regression.ts (R's glm with epsilon 1e-10). Fitted values and
 * residual-based quantities come back in the original row order.
 * R: glm(y ~ x1 + ... + factor(f), family = binomial, weights = w).
 */
export function factorLogistic(d: PreparedDesign, y: Values, options: FactorLogisticOptions = {}): LogisticResult {
  const p = paramsOf(d);
  const level = options.level ?? 0.95;
  zCrit(level);
  if (y.length !== d.n) throw new RangeError(`y has length ${y.length}, expected ${d.n}`);
  for (let i = 0; i < d.n; i++) {
    const v = y[i]!;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`y[${i}] = ${v}: outcomes must be in [0, 1]`);
  }
  const w = options.weights;
  if (w) {
    if (w.length !== d.n) throw new RangeError(`weights have length ${w.length}, expected ${d.n}`);
    const bad = firstNotPositive(w, d.n);
    if (bad >= 0) throw new RangeError(`weights[${bad}] = ${w[bad]}: weights must be finite and > 0`);
  }
  if (d.n <= p) return { status: 'too_few_observations', n: d.n, p };
  const ys = sortedBy(d, y);
  const ws = w ? sortedBy(d, w) : null;

  // Rank: X'X from the (1, x) sums per level, over every k-th row of each level first (as `logistic`
  // does): a subset of full rank proves the whole design has full rank; only otherwise look at all rows.
  const warmRows = options.warmStartRows ?? 200_000;
  const stride = d.n >= warmRows ? Math.max(2, Math.floor(d.n / 50_000)) : 1;
  const rankOf = (dd: PreparedDesign) => {
    const m = dd.q + 1;
    const width = 2 + m + triSize(m);
    const cross = crossKernel(dd.q, options.plainKernel ?? false);
    const ones = new Float64Array(dd.n).fill(1);
    const acc = new Float64Array(width * dd.levels);
    const block = new Float64Array(width);
    for (let l = 0; l < dd.levels; l++) {
      cross(dd.xs, ones, ones, dd.segStart[l]!, dd.segStart[l + 1]!, block);
      acc.set(block, l * width);
    }
    const g = new Float64Array(p);
    const h = new Float64Array(p * p);
    assemble(dd, acc, width, g, h);
    return aliasedFrom(h, p, dd.names);
  };
  let aliased = rankOf(stride > 1 ? strided(d, ys, ws, stride).d : d);
  if (aliased.length > 0 && stride > 1) aliased = rankOf(d);
  if (aliased.length > 0) return { status: 'rank_deficient', n: d.n, p, aliased };

  let start: Float64Array | null = null;
  if (stride > 1) {
    const sub = strided(d, ys, ws, stride);
    const fit = newton(sub.d, sub.y, sub.w, null, { ...options, vcov: 'model' });
    if (fit.status === 'converged') start = fit.betaC;
  }
  const fit = newton(d, ys, ws, start, options);
  const { beta, vcov } = uncentre(d, fit.betaC, fit.vcovC);
  const v = vcov ?? new Float64Array(p * p).fill(NaN);
  return {
    status: fit.status, message: fit.message, iterations: fit.iterations, n: d.n, p, beta, vcov: v,
    vcovType: options.vcov ?? 'model', coefficients: coefficients(d.names, beta, v, p, null, level),
    deviance: fit.deviance, nullDeviance: fit.nullDeviance, fitted: unsort(d, fit.fitted), nBoundary: fit.nBoundary, level,
  } satisfies LogisticFit;
}

/** Every k-th sorted row of each level: a smaller design of the same shape (for the warm start). */
function strided(d: PreparedDesign, y: Float64Array, w: Float64Array | null, k: number): { d: PreparedDesign; y: Float64Array; w: Float64Array | null } {
  const idx: number[] = [];
  const segStart = new Int32Array(d.levels + 1);
  for (let l = 0; l < d.levels; l++) {
    for (let i = d.segStart[l]!; i < d.segStart[l + 1]!; i += k) idx.push(i);
    segStart[l + 1] = idx.length;
  }
  const n = idx.length;
  const xs = new Float64Array(n * d.q);
  const ys = new Float64Array(n);
  const wsub = w ? new Float64Array(n) : null;
  const q = d.q;
  for (let r = 0; r < n; r++) {
    const i = idx[r]!;
    for (let j = 0; j < q; j++) xs[r * q + j] = d.xs[i * q + j]!;
    ys[r] = y[i]!;
    if (wsub) wsub[r] = w![i]!;
  }
  return { d: { ...d, n, perm: Int32Array.from(idx), segStart, xs }, y: ys, w: wsub };
}

interface NewtonOut {
  status: LogisticFit['status'];
  message: string | null;
  iterations: number;
  betaC: Float64Array;
  vcovC: Float64Array | null;
  deviance: number;
  nullDeviance: number;
  /** Sorted order. */
  fitted: Float64Array;
  nBoundary: number;
}

function newton(d: PreparedDesign, y: Float64Array, w: Float64Array | null, start: Float64Array | null, options: FactorLogisticOptions): NewtonOut {
  const p = paramsOf(d);
  const n = d.n;
  const m = d.q + 1;
  const maxIt = options.maxIterations ?? 50;
  const tol = options.tolerance ?? 1e-10;
  const kernel = logisticKernel(d.q, w !== null, options.plainKernel ?? false);
  const stride = 2 + m + triSize(m);

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
  const xlog = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(b));
  const nullDeviance = 2 * (c0 - xlog(swy, ybar) - xlog(sw - swy, 1 - ybar));

  let beta: Float64Array;
  if (start) beta = Float64Array.from(start);
  else {
    beta = new Float64Array(p);
    const yb = Math.min(Math.max(ybar, 0.5 / (sw + 1)), 1 - 0.5 / (sw + 1));
    beta[0] = Math.log(yb / (1 - yb));
  }

  const fitted = new Float64Array(n);
  const acc = new Float64Array(stride * d.levels);
  const block = new Float64Array(stride);
  const sub = new Float64Array(m);
  let nb = 0;
  const evaluate = (b: Float64Array, grad: Float64Array, hess: Float64Array): number => {
    let dev = 0;
    nb = 0;
    for (let j = 0; j < m; j++) sub[j] = b[j]!;
    for (let l = 0; l < d.levels; l++) {
      const di = d.dummyIndex[l]!;
      kernel(d.xs, y, w, d.segStart[l]!, d.segStart[l + 1]!, sub, di >= 0 ? b[di]! : 0, block, fitted);
      dev += block[0]!;
      nb += block[1]!;
      acc.set(block, l * stride);
    }
    assemble(d, acc, stride, grad, hess);
    return 2 * (dev + c0);
  };

  const { status, message, iterations, beta: betaC, deviance: dev, nBoundary, bread } = logisticNewton(beta, p, maxIt, tol, evaluate, () => nb);

  let vcovC: Float64Array | null = bread;
  const vt = options.vcov ?? 'model';
  if (bread && vt !== 'model') {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = ((w ? w[i]! : 1) * (y[i]! - fitted[i]!)) ** 2;
    const meat = crossMatrix(d, c, c, options.plainKernel ?? false).h;
    vcovC = sandwich(bread, meat, p);
    if (vt === 'HC1') vcovC = vcovC.map((v) => (v * n) / (n - p));
  }
  return { status, message, iterations, betaC, vcovC, deviance: dev, nullDeviance, fitted, nBoundary };
}

/** sum c z z' and sum c r z over the sorted rows, z = (1, x centred, dummies). */
function crossMatrix(d: PreparedDesign, c: Float64Array, r: Float64Array, plain: boolean): { h: Float64Array; g: Float64Array } {
  const p = paramsOf(d);
  const m = d.q + 1;
  const stride = 2 + m + triSize(m);
  const kernel = crossKernel(d.q, plain);
  const acc = new Float64Array(stride * d.levels);
  const block = new Float64Array(stride);
  for (let l = 0; l < d.levels; l++) {
    kernel(d.xs, c, r, d.segStart[l]!, d.segStart[l + 1]!, block);
    acc.set(block, l * stride);
  }
  const g = new Float64Array(p);
  const h = new Float64Array(p * p);
  assemble(d, acc, stride, g, h);
  return { h, g };
}

/** sum c r z over the sorted rows (the `g` of crossMatrix, without the cross-products). */
function gradientOf(d: PreparedDesign, c: Float64Array, r: Float64Array, plain: boolean): Float64Array {
  const p = paramsOf(d);
  const m = d.q + 1;
  const kernel = gradKernel(d.q, plain);
  const block = new Float64Array(m);
  const g = new Float64Array(p);
  for (let l = 0; l < d.levels; l++) {
    kernel(d.xs, c, r, d.segStart[l]!, d.segStart[l + 1]!, block);
    for (let j = 0; j < m; j++) g[j] = g[j]! + block[j]!;
    const di = d.dummyIndex[l]!;
    if (di >= 0) g[di] = block[0]!;
  }
  return g;
}

// ---- weighted least squares ------------------------------------------------------

/**
 * (Weighted) least squares on a prepared factor design: normal equations on
 * the centred columns, Cholesky, one step of iterative refinement (as `ols`
 * does from 200,000 rows), classical or HC0 / HC1 sandwich SEs with the scores
 * w_i e_i x_i (sandwich::estfun.lm) and t on n - p df.
 * R: lm(y ~ x1 + ... + factor(f), weights = w); sandwich::vcovHC(fit, type = "HC1").
 */
export function factorOls(
  d: PreparedDesign,
  y: Values,
  options: {
    weights?: Values;
    vcov?: VcovType;
    level?: number;
    plainKernel?: boolean;
    /**
     * The design's rows are cells of identical covariates (see grouping.ts):
     * cell r holds counts[r] observations of weight weights[r] each, whose
     * outcomes have mean y[r] and sum of squared deviations from that mean
     * sumSquares[r]. The fit, sigma, R^2 and sandwich are those of the
     * observations; n is their number; `residuals` are the cells' mean residuals.
     */
    cells?: { counts: Values; sumSquares: Values };
  } = {},
): OlsResult {
  const { cells, ...rest } = options;
  return factorOlsMany(d, [y], { ...rest, ...(cells ? { cells: { counts: cells.counts, sumSquares: [cells.sumSquares] } } : {}) })[0]!;
}

/**
 * factorOls of several outcomes on the same design, weights and cells: the
 * cross-product X'WX, its Cholesky factor and inverse are computed once, the
 * rest per outcome (each result equals factorOls of that outcome exactly: the
 * same sums in the same order). `cells.sumSquares` has one array per outcome.
 */
export function factorOlsMany(
  d: PreparedDesign,
  ys: readonly Values[],
  options: {
    weights?: Values;
    vcov?: VcovType;
    level?: number;
    plainKernel?: boolean;
    cells?: { counts: Values; sumSquares: readonly Values[] };
  } = {},
): OlsResult[] {
  const p = paramsOf(d);
  const rows = d.n;
  const level = options.level ?? 0.95;
  const vcovType = options.vcov ?? 'classical';
  const w = options.weights;
  const cells = options.cells;
  if (cells && cells.sumSquares.length !== ys.length) throw new RangeError('cells: one sumSquares per outcome');
  for (const y of ys) if (y.length !== rows) throw new RangeError(`y has length ${y.length}, expected ${rows}`);
  if (w && w.length !== rows) throw new RangeError(`weights have length ${w.length}, expected ${rows}`);
  if (cells && (cells.counts.length !== rows || cells.sumSquares.some((x) => x.length !== rows))) throw new RangeError('cells: counts and sumSquares need one value per row');
  // The inputs' checks.
  for (const y of ys) {
    const bad = firstNotFinite(y, rows);
    if (bad >= 0) throw new RangeError(`y[${bad}] is not finite`);
  }
  if (w) {
    const bad = firstNotPositive(w, rows);
    if (bad >= 0) throw new RangeError(`weights[${bad}] = ${w[bad]}: weights must be finite and > 0`);
  }
  let n = rows;
  if (cells) {
    n = countTotal(cells.counts, rows);
    if (n < 0) throw new RangeError(`cells.counts[${-n - 1}] must be a positive integer`);
    for (const ssj of cells.sumSquares) {
      const bad = firstNegative(ssj, rows);
      if (bad >= 0) throw new RangeError(`cells.sumSquares[${bad}] must be finite and >= 0`);
    }
  }
  tCrit(level, 1);
  if (n <= p || rows < p) return ys.map(() => ({ status: 'too_few_observations' as const, n, p }));
  const plain = options.plainKernel ?? false;
  const perm = d.perm;
  // The weights and cells in the design's sorted order, in one pass over the permutation.
  const ws = w ? gather(w, perm, new Float64Array(rows)) : new Float64Array(rows).fill(1);
  const counts = cells ? gather(cells.counts, perm, new Float64Array(rows)) : null;
  // Weight of each design row in the normal equations: w (times the cell's count).
  const cw = counts ? product(ws, counts) : ws;
  const sw = sumOf(cw, rows);
  const residualSegment = residualKernel(d.q, plain);

  // Shared by the outcomes: X'WX (made with the first outcome's gradient), its Cholesky factor, its inverse.
  let shared: { h: Float64Array; l: Float64Array; dg: Float64Array; xtxInv: Float64Array | null } | null = null;
  let failed: OlsResult | null = null;
  return ys.map((y, o) => {
    if (failed) return failed;
    const ys1 = gather(y, perm, new Float64Array(rows));
    const ss = cells ? gather(cells.sumSquares[o]!, perm, new Float64Array(rows)) : null;
    // Centre y at its weighted mean too (the intercept absorbs it).
    const ay = dot(cw, ys1) / sw;
    const yc = shifted(ys1, ay, new Float64Array(rows));

    let g: Float64Array;
    if (!shared) {
      const cm = crossMatrix(d, cw, yc, plain);
      g = cm.g;
      const h = cm.h;
      const aliased = aliasedFrom(h, p, d.names);
      if (aliased.length > 0) return (failed = { status: 'rank_deficient', n, p, aliased });
      const dg = new Float64Array(p);
      for (let j = 0; j < p; j++) dg[j] = Math.sqrt(h[j * p + j]!);
      const scaled = new Float64Array(p * p);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) scaled[i * p + j] = h[i * p + j]! / (dg[i]! * dg[j]!);
      const l = Float64Array.from(scaled);
      if (!cholesky(l, p, 1e-10)) return (failed = { status: 'rank_deficient', n, p, aliased: aliasedFrom(h, p, d.names) });
      shared = { h, l, dg, xtxInv: null };
    } else g = gradientOf(d, cw, yc, plain);
    const { l, dg } = shared;
    const solveScaled = (rhs: Float64Array) => choleskySolve(l, p, rhs.map((v, j) => v / dg[j]!)).map((v, j) => v / dg[j]!);
    const beta = solveScaled(g);

    const residual = (b: Float64Array, out: Float64Array) => {
      for (let lv = 0; lv < d.levels; lv++) {
        const di = d.dummyIndex[lv]!;
        residualSegment(d.xs, yc, out, d.segStart[lv]!, d.segStart[lv + 1]!, b[0]! + (di >= 0 ? b[di]! : 0), b);
      }
    };
    const e = new Float64Array(rows);
    residual(beta, e);
    // One step of iterative refinement.
    const gr = gradientOf(d, cw, e, plain);
    const delta = solveScaled(gr);
    for (let j = 0; j < p; j++) beta[j] = beta[j]! + delta[j]!;
    residual(beta, e);

    const [rss, syy] = sumsOfSquares(cw, e, yc, ws, ss);
    const dfResidual = n - p;
    const sigma2 = rss / dfResidual;
    if (!shared.xtxInv) {
      const inv = choleskyInverse(l, p);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) inv[i * p + j] = inv[i * p + j]! / (dg[i]! * dg[j]!);
      shared.xtxInv = inv;
    }
    const xtxInv = Float64Array.from(shared.xtxInv);
    let vc: Float64Array;
    if (vcovType === 'classical') vc = xtxInv.map((v) => v * sigma2);
    else {
      // Scores w_i e_i x_i; over a cell, sum of e_i^2 = count (mean residual)^2 + within-cell sum of squares.
      const c = scoreWeights(ws, e, counts, ss);
      vc = sandwich(xtxInv, crossMatrix(d, c, c, plain).h, p);
      if (vcovType === 'HC1') vc = vc.map((v) => (v * n) / dfResidual);
    }
    beta[0] = beta[0]! + ay;
    const { beta: b, vcov } = uncentre(d, beta, vc);
    // The residuals in the rows' order only when read (the comparison reads the coefficients only).
    let residuals: Float64Array | null = null;
    return {
      status: 'ok', n, p, dfResidual, beta: b, vcov: vcov!, vcovType,
      coefficients: coefficients(d.names, b, vcov!, p, dfResidual, level),
      sigma: Math.sqrt(sigma2), rSquared: syy > 0 ? 1 - rss / syy : 0, level,
      get residuals() {
        return (residuals ??= unsort(d, e));
      },
    } satisfies OlsFit;
  });
}

