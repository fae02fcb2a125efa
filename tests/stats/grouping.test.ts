import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { factorLogistic, factorOls, prepareFactorDesign } from '../../server/stats/factor-regression.ts';
import { denseCodes, groupRows } from '../../server/stats/grouping.ts';
import { episodes as d } from './fixtures/episodes.ts';
import { expectClose } from './close.ts';

/** The same grouping written the obvious way: a Map on the joined values. */
function naiveGroups(columns: number[][]): number[] {
  const seen = new Map<string, number>();
  return columns[0]!.map((_, i) => {
    const k = columns.map((c) => c[i]).join('|');
    if (!seen.has(k)) seen.set(k, seen.size);
    return seen.get(k)!;
  });
}

describe('groupRows', () => {
  it('finds the same groups as a Map on the values, in order of first appearance (direct table and hash table)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.constantFrom(1, 2, 10), fc.integer({ min: 1, max: 40 }), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        (n, specs, seed) => {
          let s = seed >>> 0;
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
          const cols = specs.map(([scale, k, off]) => Array.from({ length: n }, () => (Math.floor(rnd() * k) + off) / scale));
          const g = groupRows(cols)!;
          expect(g).not.toBeNull();
          expect(Array.from(g.groupOf)).toEqual(naiveGroups(cols));
          expect(g.count.reduce((a, b) => a + b, 0)).toBe(n);
          for (let k = 0; k < g.groups; k++) expect(g.groupOf[g.firstRow[k]!]).toBe(k);
        },
      ),
      { numRuns: 150 },
    );
    // A key space above the direct table's limit goes through the hash table.
    const n = 5000;
    const big = [0, 1, 2].map((j) => Array.from({ length: n }, (_, i) => ((i * (j + 7919)) % 997) + (i % 3)));
    const g = groupRows(big)!;
    expect(Array.from(g.groupOf)).toEqual(naiveGroups(big));
  });
  it('codes scaled values (tenths, halves) and refuses a continuous column', () => {
    expect(Array.from(denseCodes([0.1, 0.3, 0.1, 2.5])!.codes)).toEqual([0, 1, 0, 2]);
    expect(denseCodes([Math.PI, 1])).toBeNull();
    expect(groupRows([[1, 2], [Math.E, 1]])).toBeNull();
  });
});

describe('fits over distinct patterns equal fits over the rows', () => {
  // Covariates with many repeats: sex, baseline, prior and the condition factor of the R fixture.
  const cols = [d.sex, d.baseline, d.prior].map((c) => Float64Array.from(c));
  const codes = Uint8Array.from(d.condition);
  const path = Float64Array.from(d.path);
  const y = Float64Array.from(d.followup);
  const numeric = (vals: readonly Float64Array[]) => ['sex', 'baseline', 'prior'].map((name, j) => ({ name, values: vals[j]! }));
  const factor = (c: ArrayLike<number>) => ({ name: 'cond', codes: c, levels: ['0', '1', '2'] });

  it('logistic: a weighted fit over patterns (y = share treated) gives the rows\' coefficients and SEs', () => {
    const rows = factorLogistic(prepareFactorDesign({ numeric: numeric(cols), factor: factor(codes) }), path);
    const g = groupRows([...cols, codes])!;
    expect(g.groups).toBeLessThan(150);
    const share = new Float64Array(g.groups);
    for (let i = 0; i < 150; i++) share[g.groupOf[i]!] = share[g.groupOf[i]!]! + path[i]! / g.count[g.groupOf[i]!]!;
    const pick = (c: ArrayLike<number>) => Float64Array.from(g.firstRow, (r) => c[r]!);
    const cells = factorLogistic(prepareFactorDesign({ numeric: numeric(cols.map(pick)), factor: factor(pick(codes)) }), share, { weights: g.count });
    if (rows.status !== 'converged' || cells.status !== 'converged') throw new Error('fit');
    expectClose(cells.beta, rows.beta, 1e-9);
    expectClose(cells.coefficients.map((c) => c.se), rows.coefficients.map((c) => c.se), 1e-8);
    for (let i = 0; i < 150; i++) expectClose(cells.fitted[g.groupOf[i]!]!, rows.fitted[i]!, 1e-9);
  });

  it('weighted least squares with HC1: cells with their counts and within-cell sums of squares', () => {
    const w = Float64Array.from(d.duration, (x) => 1 + Math.round(x) / 10);
    const wr = w.map((x) => Math.round(x * 10) / 10);
    const all = [path, ...cols, wr];
    const rows = factorOls(prepareFactorDesign({ numeric: [{ name: 'path', values: path }, ...numeric(cols)], factor: factor(codes) }), y, { weights: wr, vcov: 'HC1' });
    const g = groupRows([...all, codes])!;
    const mean = new Float64Array(g.groups);
    for (let i = 0; i < 150; i++) mean[g.groupOf[i]!] = mean[g.groupOf[i]!]! + y[i]!;
    for (let k = 0; k < g.groups; k++) mean[k] = mean[k]! / g.count[k]!;
    const ss = new Float64Array(g.groups);
    for (let i = 0; i < 150; i++) ss[g.groupOf[i]!] = ss[g.groupOf[i]!]! + (y[i]! - mean[g.groupOf[i]!]!) ** 2;
    const pick = (c: ArrayLike<number>) => Float64Array.from(g.firstRow, (r) => c[r]!);
    const cells = factorOls(prepareFactorDesign({ numeric: [{ name: 'path', values: pick(path) }, ...numeric(cols.map(pick))], factor: factor(pick(codes)) }), mean, {
      weights: pick(wr), vcov: 'HC1', cells: { counts: g.count, sumSquares: ss },
    });
    if (rows.status !== 'ok' || cells.status !== 'ok') throw new Error('fit');
    expect(cells.n).toBe(150);
    expect(cells.dfResidual).toBe(rows.dfResidual);
    expectClose(cells.beta, rows.beta, 1e-10);
    expectClose(cells.vcov, rows.vcov, 1e-9);
    expectClose(cells.sigma, rows.sigma, 1e-10);
    expectClose(cells.rSquared, rows.rSquared, 1e-10);
  });
});
