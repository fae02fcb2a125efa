import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balanceFromCells, cellQuantiles } from '../../server/stats/balance-cells.ts';
import { quantiles } from '../../server/stats/descriptive.ts';
import { balanceTable, ipw } from '../../server/stats/weighting.ts';
import { episodes as d } from './fixtures/episodes.ts';
import { expectClose } from './close.ts';

// balanceTable is tested against R 4.2.2 (weighted.mean, var, cov.wt) in tests/stats/weighting.test.ts;
// the cell version must give its numbers on the expanded rows.

function expand(cells: { x: number[]; b: number[]; t: number; m: number; w: number }[]) {
  const rows = cells.flatMap((c) => Array.from({ length: c.m }, () => c));
  return {
    x: Float64Array.from(rows, (r) => r.x[0]!),
    b: Float64Array.from(rows, (r) => r.b[0]!),
    t: Float64Array.from(rows, (r) => r.t),
    w: Float64Array.from(rows, (r) => r.w),
  };
}

describe('balance table from cells', () => {
  it('equals balanceTable on the expanded rows (random cells)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.integer({ min: 0, max: 90 }), b: fc.integer({ min: 0, max: 1 }), t: fc.integer({ min: 0, max: 1 }), m: fc.integer({ min: 1, max: 5 }), w: fc.double({ min: 0.05, max: 8, noNaN: true }) }), { minLength: 2, maxLength: 60 }),
        (cs) => {
          const cells = cs.map((c) => ({ x: [c.x], b: [c.b], t: c.t, m: c.m, w: c.w }));
          const e = expand(cells);
          const a = balanceTable([{ name: 'x', values: e.x }, { name: 'b', values: e.b, binary: true }], e.t, e.w);
          const b = balanceFromCells(
            [{ name: 'x', values: cells.map((c) => c.x[0]!) }, { name: 'b', values: cells.map((c) => c.b[0]!), binary: true }],
            cells.map((c) => c.t), cells.map((c) => c.m), cells.map((c) => c.w),
          );
          for (let j = 0; j < 2; j++) {
            for (const k of ['meanTreated', 'meanControl', 'smd', 'weightedMeanTreated', 'weightedMeanControl', 'weightedSmd'] as const) {
              expectClose(b[j]![k], a[j]![k], 1e-9, 1e-12, `${b[j]!.name}.${k}`);
            }
            expect(b[j]!.balanced).toBe(a[j]!.balanced);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
  it('on the R fixture: one cell per episode gives the R-checked table', () => {
    const t = Float64Array.from(d.path);
    const w = ipw(t, Float64Array.from(d.ps)).weights;
    const covs = [{ name: 'age', values: Float64Array.from(d.age) }, { name: 'sex', values: Float64Array.from(d.sex), binary: true }];
    const a = balanceTable(covs, t, w);
    const b = balanceFromCells(covs, t, new Float64Array(t.length).fill(1), w);
    expectClose(b.map((r) => r.smd), a.map((r) => r.smd), 1e-12);
    expectClose(b.map((r) => r.weightedSmd), a.map((r) => r.weightedSmd), 1e-12);
  });
});

// quantiles (descriptive.ts) is R's type 7, tested against R's quantile() in tests/stats/descriptive.test.ts;
// the cell version must pick the same order statistics and give the same numbers, exactly.
describe('quantiles from cells (the truncation percentiles of cell weights)', () => {
  it('equal quantiles on the expanded values, exactly (random cells, ties, both the sorting and the selection regime)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ v: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.double({ min: 0.05, max: 20, noNaN: true })), m: fc.integer({ min: 1, max: 400 }) }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (cs, probs) => {
          const values = Float64Array.from(cs, (c) => c.v);
          const count = Float64Array.from(cs, (c) => c.m);
          const expanded = Float64Array.from(cs.flatMap((c) => Array.from({ length: c.m }, () => c.v)));
          const all = [...probs, 0, 0.01, 0.5, 0.99, 1];
          expect(cellQuantiles(values, count, all)).toEqual(quantiles(expanded, all));
        },
      ),
      { numRuns: 300 },
    );
  });
  it('equal values, values a few units in the last place apart, one cell', () => {
    const expanded = (v: Float64Array, c: Float64Array) => Float64Array.from([...v].flatMap((x, i) => Array.from({ length: c[i]! }, () => x)));
    const probs = [0, 0.01, 0.37, 0.5, 0.99, 1];
    for (const [v, c] of [
      [Float64Array.of(2, 2, 2), Float64Array.of(3, 1, 5000)],
      [Float64Array.of(1, 1 + 2 ** -52, 1 + 2 ** -51, 5e-324, 1e-323), Float64Array.of(2, 3000, 7, 1, 2)],
      [Float64Array.of(0.7), Float64Array.of(9000)],
      [Float64Array.of(1e-323, 5e-324, 1.5e-323), Float64Array.of(4000, 3, 2000)], // a range too small for a finite bucket scale
    ] as const) {
      expect(cellQuantiles(v, c, probs)).toEqual(quantiles(expanded(v, c), probs));
    }
  });
  it('rejects counts that are not positive integers', () => {
    expect(() => cellQuantiles(Float64Array.of(1, 2), Float64Array.of(1, 0), [0.5])).toThrow(RangeError);
    expect(() => cellQuantiles(Float64Array.of(1, 2), Float64Array.of(1, 1.5), [0.5])).toThrow(RangeError);
  });
});
