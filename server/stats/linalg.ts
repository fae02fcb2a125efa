/**
 * Small dense linear algebra for the regression and survival code. Matrices are
 * row-major Float64Arrays; the p x p systems here have p of a few dozen at most,
 * so plain loops are fast enough and easy to check.
 */

/**
 * In-place Cholesky factorisation A = L L' of a symmetric positive-definite
 * p x p matrix (only the lower triangle of A is read; L overwrites it, the
 * strict upper triangle is zeroed). Returns false when A is not numerically
 * positive definite (a pivot <= tol * the largest diagonal element).
 */
export function cholesky(a: Float64Array, p: number, tol = 1e-12): boolean {
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * p + i]!));
  if (!(maxDiag > 0)) return false;
  for (let j = 0; j < p; j++) {
    let s = a[j * p + j]!;
    for (let k = 0; k < j; k++) s -= a[j * p + k]! * a[j * p + k]!;
    if (!(s > tol * maxDiag)) return false;
    const ljj = Math.sqrt(s);
    a[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let t = a[i * p + j]!;
      for (let k = 0; k < j; k++) t -= a[i * p + k]! * a[j * p + k]!;
      a[i * p + j] = t / ljj;
    }
    for (let k = j + 1; k < p; k++) a[j * p + k] = 0;
  }
  return true;
}

/** Solves L L' x = b for x given the Cholesky factor L (lower triangle). */
export function choleskySolve(l: Float64Array, p: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < p; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

/** (L L')^{-1} from the Cholesky factor L. */
export function choleskyInverse(l: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, p, e);
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i]!;
  }
  // Symmetrise against rounding so variances and covariances agree exactly.
  for (let i = 0; i < p; i++) {
    for (let j = i + 1; j < p; j++) {
      const m = (inv[i * p + j]! + inv[j * p + i]!) / 2;
      inv[i * p + j] = m;
      inv[j * p + i] = m;
    }
  }
  return inv;
}

/**
 * Solves A x = b for a general square A by Gaussian elimination with partial
 * pivoting (A and b are not modified). Returns null when A is singular.
 */
export function solve(a: ArrayLike<number>, p: number, b: ArrayLike<number>): Float64Array | null {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  let scale = 0;
  for (let i = 0; i < p * p; i++) scale = Math.max(scale, Math.abs(m[i]!));
  if (!(scale > 0)) return null;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r * p + c]!) > Math.abs(m[piv * p + c]!)) piv = r;
    const pv = m[piv * p + c]!;
    if (Math.abs(pv) <= 1e-13 * scale) return null;
    if (piv !== c) {
      for (let k = 0; k < p; k++) {
        const t = m[c * p + k]!;
        m[c * p + k] = m[piv * p + k]!;
        m[piv * p + k] = t;
      }
      const t = x[c]!;
      x[c] = x[piv]!;
      x[piv] = t;
    }
    for (let r = c + 1; r < p; r++) {
      const f = m[r * p + c]! / pv;
      if (f === 0) continue;
      for (let k = c; k < p; k++) m[r * p + k] = m[r * p + k]! - f * m[c * p + k]!;
      x[r] = x[r]! - f * x[c]!;
    }
  }
  for (let r = p - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < p; k++) s -= m[r * p + k]! * x[k]!;
    x[r] = s / m[r * p + r]!;
  }
  return x;
}

/** Copies the upper triangle of a row-major p x p matrix into its lower triangle. */
export function symmetrizeFromUpper(a: Float64Array, p: number): void {
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) a[j * p + i] = a[i * p + j]!;
}

/** B M B for symmetric p x p B and M (the sandwich). */
export function sandwich(b: Float64Array, m: Float64Array, p: number): Float64Array {
  const t = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += b[i * p + k]! * m[k * p + j]!;
      t[i * p + j] = s;
    }
  }
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += t[i * p + k]! * b[k * p + j]!;
      out[i * p + j] = s;
      out[j * p + i] = s;
    }
  }
  return out;
}
