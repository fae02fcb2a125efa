import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argsortStable, sortedCopy } from '../../server/stats/sort.ts';

// The radix sorts against the obvious comparator sorts (no reference package needed).
const doubles = fc.oneof(
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 1, -1, 0.5, Infinity, -Infinity, 1e-300, -1e-300, 5e-324, -5e-324, 7, 7, 7),
);

describe('radix sorts of doubles', () => {
  it('argsortStable orders like a stable comparator sort (ties by position, -0 as 0)', () => {
    fc.assert(
      fc.property(fc.array(doubles, { maxLength: 300 }), (xs) => {
        const keys = Float64Array.from(xs);
        const expected = [...keys.keys()].sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
        expect(Array.from(argsortStable(keys))).toEqual(expected);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
  it('sortedCopy equals the numeric sort, below and above the radix threshold', () => {
    fc.assert(
      fc.property(fc.array(doubles, { minLength: 0, maxLength: 5000 }), (xs) => {
        const expected = Float64Array.from(xs).sort().map((v) => v + 0);
        expect(Array.from(sortedCopy(xs)).map((v) => v + 0)).toEqual(Array.from(expected));
      }),
      { numRuns: 60, seed: 12 },
    );
  });
  it('sortedCopy on 100,000 values with ties and signs', () => {
    let t = 5;
    const next = () => ((t = (Math.imul(t, 1664525) + 1013904223) >>> 0) / 4294967296);
    const xs = Float64Array.from({ length: 100_000 }, () => (next() < 0.3 ? Math.round(next() * 20) - 10 : (next() - 0.5) * 1e6));
    const expected = Float64Array.from(xs).sort();
    expect(Array.from(sortedCopy(xs)).map((v) => v + 0)).toEqual(Array.from(expected).map((v) => v + 0));
  });
});
