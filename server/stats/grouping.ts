/**
 * Exact compression of a design with repeated covariate patterns.
 *
 * The Compare page's covariates are whole years of age, a sex, a condition
 * group, a baseline score on a coarse scale (whole NRS points, even ODI
 * points, tenths of a PROMIS T-score), months of pain duration and a count of
 * prior procedures: a million episodes share a few hundred thousand patterns.
 * A likelihood or a least-squares fit over the distinct patterns, each with
 * its count and its outcome sums, is the same fit as over the rows (the
 * sufficient statistics are the same); only the order of the additions
 * changes. `groupRows` finds the patterns in O(n) per column: each column's
 * values are mapped to dense codes through a small direct table (the column
 * must be integer after scaling by 1, 2, 10 or 100 within a range of 2^20),
 * then the mixed-radix key of the codes is looked up in a direct table when
 * the key space is small, else in an open-addressing hash table.
 *
 * Returns null when a column is not of that kind (a continuous covariate
 * with many distinct values): the caller then fits on the rows, which gives
 * the same answer more slowly.
 */
import type { Values } from './descriptive.ts';

export interface RowGroups {
  /** Number of distinct patterns. */
  groups: number;
  /** Group of each row, 0..groups - 1, numbered in order of first appearance. */
  groupOf: Int32Array;
  /** First row of each group (its representative). */
  firstRow: Int32Array;
  /** Rows in each group. */
  count: Float64Array;
}

const SCALES = [1, 2, 10, 100] as const;
const MAX_RANGE = 1 << 20;

/** The scale (1, 2, 10, 100) that makes every value an integer within MAX_RANGE, with the range; null when none does. */
function scaleOf(v: Values, index: ArrayLike<number> | null, n: number): { scale: number; lo: number; hi: number } | null {
  // Whole numbers, the usual case, checked exactly and fast.
  let lo = Infinity;
  let hi = -Infinity;
  let whole = true;
  for (let k = 0; k < n; k++) {
    const x = v[index ? index[k]! : k]!;
    if (x !== Math.round(x)) {
      whole = false;
      break;
    }
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (whole) return n === 0 || hi - lo + 1 <= MAX_RANGE ? { scale: 1, lo: n === 0 ? 0 : lo, hi: n === 0 ? 0 : hi } : null;
  for (const s of SCALES.slice(1)) {
    let ok = true;
    lo = Infinity;
    hi = -Infinity;
    for (let k = 0; k < n; k++) {
      const x = v[index ? index[k]! : k]! * s;
      const r = Math.round(x);
      // Scaled values within 1e-9 of an integer count as that integer (0.1 * 10 is 1.0000000000000002 in binary).
      if (!(Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)))) {
        ok = false;
        break;
      }
      if (r < lo) lo = r;
      if (r > hi) hi = r;
    }
    if (ok) return hi - lo + 1 <= MAX_RANGE ? { scale: s, lo, hi } : null;
  }
  return null;
}

/** Dense codes 0..k-1 (in order of first appearance) of a column whose values are integers after scaling by one of SCALES, or null. */
export function denseCodes(v: Values): { codes: Int32Array; distinct: number } | null {
  const n = v.length;
  const sc = scaleOf(v, null, n);
  if (!sc) return null;
  const codes = new Int32Array(n);
  const distinct = codeInto(v, null, n, sc, (k, c) => (codes[k] = c));
  return { codes, distinct };
}

function codeInto(v: Values, index: ArrayLike<number> | null, n: number, sc: { scale: number; lo: number; hi: number }, put: (k: number, code: number) => void): number {
  const table = new Int32Array(sc.hi - sc.lo + 1).fill(-1);
  let next = 0;
  const { scale, lo } = sc;
  for (let k = 0; k < n; k++) {
    const r = (scale === 1 ? v[index ? index[k]! : k]! : Math.round(v[index ? index[k]! : k]! * scale)) - lo;
    let c = table[r]!;
    if (c < 0) table[r] = c = next++;
    put(k, c);
  }
  return next;
}

/** Key spaces up to this size use a direct table (4 bytes per possible key). */
const DIRECT_LIMIT = 1 << 23;

/**
 * Groups the rows by their values in every column (exactly equal after the
 * scaling above). null when a column cannot be coded (see the file comment).
 */
export function groupRows(columns: readonly Values[], n?: number, index?: ArrayLike<number>): RowGroups | null {
  const rows = index ? index.length : (n ?? (columns[0]?.length ?? 0));
  const ix = index ?? null;
  if (!ix) for (const c of columns) if (c.length !== rows) throw new RangeError(`column of length ${c.length}, expected ${rows}`);
  const scales = [];
  for (const c of columns) {
    const sc = scaleOf(c, ix, rows);
    if (!sc) return null;
    scales.push(sc);
  }
  // The mixed-radix key of the columns' codes, built column by column.
  const key = new Float64Array(rows);
  let space = 1;
  for (let j = 0; j < columns.length; j++) {
    const mult = space;
    const distinct = codeInto(columns[j]!, ix, rows, scales[j]!, (k, c) => (key[k] = key[k]! + c * mult));
    space *= Math.max(1, distinct);
    if (!(space <= Number.MAX_SAFE_INTEGER)) return null;
  }

  const groupOf = new Int32Array(rows);
  const first: number[] = [];
  if (space <= DIRECT_LIMIT) {
    const table = new Int32Array(space).fill(-1);
    for (let i = 0; i < rows; i++) {
      const k = key[i]!;
      let g = table[k]!;
      if (g < 0) {
        g = first.length;
        table[k] = g;
        first.push(i);
      }
      groupOf[i] = g;
    }
  } else {
    // Open addressing, linear probing, capacity a power of two at least twice the rows.
    let cap = 1024;
    while (cap < 2 * rows) cap *= 2;
    const mask = cap - 1;
    const keys = new Float64Array(cap);
    const vals = new Int32Array(cap).fill(-1);
    for (let i = 0; i < rows; i++) {
      const k = key[i]!;
      // Mix the key's low and high 26 bits (keys are < 2^53).
      const lo = k % 67108864;
      const hiPart = (k - lo) / 67108864;
      let h = (Math.imul(lo | 0, 0x9e3779b1) ^ Math.imul(hiPart | 0, 0x85ebca6b)) & mask;
      for (;;) {
        const g = vals[h]!;
        if (g < 0) {
          const ng = first.length;
          vals[h] = ng;
          keys[h] = k;
          first.push(i);
          groupOf[i] = ng;
          break;
        }
        if (keys[h] === k) {
          groupOf[i] = g;
          break;
        }
        h = (h + 1) & mask;
      }
    }
  }
  const groups = first.length;
  const count = new Float64Array(groups);
  for (let i = 0; i < rows; i++) {
    const g = groupOf[i]!;
    count[g] = count[g]! + 1;
  }
  return { groups, groupOf, firstRow: Int32Array.from(first), count };
}
