/**
 * Figures of a distribution given as distinct values and their counts (what
 * query.ts reads from SQL): the same moments, type-7 quantiles and
 * histogram as the expanded list of values would give (tests compare them
 * with server/stats on the expanded values). Pure: no I/O.
 */
import type { Moments } from '../../stats/index.ts';

/**
 * n, Σ(x − c), Σ(x − c)² of the values, each counted `counts[i]` times, around
 * c = their mean (a first pass), so the SD does not lose digits to
 * cancellation (server/stats Moments.shift): 22 values of −6.1 have SD 0.
 */
export function momentsFromCounts(values: readonly number[], counts: readonly number[]): Moments {
  let n = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    n += counts[i]!;
    total += values[i]! * counts[i]!;
  }
  const shift = n > 0 ? total / n : 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - shift;
    const k = counts[i]!;
    sum += d * k;
    sumSq += d * d * k;
  }
  return { n, sum, sumSq, shift };
}

/**
 * Quantiles of type 7 (R's default, server/stats quantileSorted) of the
 * expanded values: h = (n − 1) p, Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋]),
 * with x the sorted expansion. `values` ascending and distinct, counts > 0.
 */
export function quantilesFromCounts(values: readonly number[], counts: readonly number[], probs: readonly number[]): Array<number | null> {
  let n = 0;
  for (const k of counts) n += k;
  if (n === 0) return probs.map(() => null);
  // The value at 0-based position i of the sorted expansion.
  const at = (i: number): number => {
    let seen = 0;
    for (let j = 0; j < values.length; j++) {
      seen += counts[j]!;
      if (i < seen) return values[j]!;
    }
    return values[values.length - 1]!;
  };
  return probs.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1], got ${p}`);
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const a = at(lo);
    const frac = h - lo;
    if (frac === 0 || lo + 1 >= n) return a;
    const b = at(lo + 1);
    return a === b ? a : (1 - frac) * a + frac * b;
  });
}

export type Bin = {
  /** Inclusive lower edge. */
  from: number;
  /** Exclusive upper edge (the last bin includes it). */
  to: number;
  count: number;
};

/**
 * Counts of values in bins of `width` centred on multiples of `width`
 * ([k·w − w/2, k·w + w/2)), from `min` to `max` (values beyond fall in the end
 * bins, which then say so by their edges).
 */
export function histogram(values: readonly number[], counts: readonly number[], width: number, min: number, max: number): Bin[] {
  const first = Math.round(min / width);
  const last = Math.round(max / width);
  const bins: Bin[] = [];
  for (let k = first; k <= last; k++) bins.push({ from: (k - 0.5) * width, to: (k + 0.5) * width, count: 0 });
  for (let i = 0; i < values.length; i++) {
    // Round half up: a value on an edge belongs to the bin it opens.
    const k = Math.min(last, Math.max(first, Math.floor(values[i]! / width + 0.5 + 1e-9)));
    bins[k - first]!.count += counts[i]!;
  }
  return bins;
}
