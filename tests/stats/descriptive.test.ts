import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanSummary, meanSummaryFromMoments, mean, medianIqr, mergeMoments, moments, quantile, quantileSorted, quantiles, sd, sorted, variance } from '../../server/stats/descriptive.ts';
import { expectClose } from './close.ts';

// Inputs shared with scripts/reference/descriptive.R and scripts/reference/scipy_ref.py.
const x = [7, 5.5, 8, 6, 9, 4, 7, 6.5, 8, 5, 3, 7.25];
const y = [3.1, 4.4, 2.0, 5.6, 3.3, 4.9, 1.5, 2.2, 6.0];
const probs = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];

describe('mean, SD and t-interval', () => {
  it('matches R on x (n = 12)', () => {
    const d = meanSummary(x);
    // R 4.2.2: mean(x); sd(x)
    expectClose(d.mean, 6.354166666666667);
    expectClose(d.sd, 1.7466146909916562);
    // R 4.2.2: t.test(x, conf.level = 0.95)$conf.int
    // scipy 1.17.1: stats.t.interval(0.95, 11, loc=x.mean(), scale=stats.sem(x)) -> 5.244420636564197 7.463912696769137
    expectClose([d.lower, d.upper], [5.2444206365641968, 7.4639126967691372]);
    expect(d.n).toBe(12);
    // R 4.2.2: t.test(x, conf.level = 0.9)$conf.int
    const d90 = meanSummary(x, 0.9);
    expectClose([d90.lower, d90.upper], [5.4486739426743211, 7.2596593906590128]);
  });
  it('matches R on y (n = 9)', () => {
    const d = meanSummary(y);
    // R 4.2.2: mean(y); sd(y); t.test(y)$conf.int
    expectClose(d.mean, 3.6666666666666665);
    expectClose(d.sd, 1.6324827717314507);
    expectClose([d.lower, d.upper], [2.411829325912572, 4.9215040074207614]);
    // R 4.2.2: t.test(y, conf.level = 0.9)$conf.int
    const d90 = meanSummary(y, 0.9);
    expectClose([d90.lower, d90.upper], [2.6547732885079274, 4.6785600448254057]);
  });
  it('n = 2 uses t with 1 df', () => {
    const d = meanSummary([3, 8]);
    // R 4.2.2: mean(c(3, 8)); sd(c(3, 8)); t.test(c(3, 8))$conf.int
    expectClose([d.mean, d.sd, d.lower, d.upper], [5.5, 3.5355339059327378, -26.265511840436737, 37.26551184043673]);
  });
  it('n = 0 and n = 1 have no SD and no interval', () => {
    expect(meanSummary([])).toEqual({ n: 0, mean: null, sd: null, se: null, lower: null, upper: null, level: 0.95 });
    expect(meanSummary([4])).toEqual({ n: 1, mean: 4, sd: null, se: null, lower: null, upper: null, level: 0.95 });
    expect(mean([])).toBeNull();
    expect(variance([4])).toBeNull();
    expect(sd([4])).toBeNull();
  });
  it('zero variance gives a zero-width interval', () => {
    const d = meanSummary([5, 5, 5, 5]);
    expect([d.mean, d.sd, d.se, d.lower, d.upper]).toEqual([5, 0, 0, 5, 5]);
  });
  it('large offsets keep their precision (corrected two-pass)', () => {
    const big = [1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.3, 1e6 + 0.4];
    const d = meanSummary(big);
    // R 4.2.2: big <- 1e6 + c(0.1, 0.2, 0.3, 0.4); mean(big); sd(big); t.test(big)$conf.int
    expectClose(d.mean, 1000000.25, 1e-15);
    expectClose(d.sd, 0.12909944490363887, 1e-12);
    expectClose([d.lower, d.upper], [1000000.0445739743, 1000000.4554260257], 1e-14);
  });
  it('rejects non-finite values', () => {
    expect(() => meanSummary([1, NaN])).toThrow(RangeError);
    expect(() => meanSummary([1, Infinity, 2])).toThrow(/x\[1\]/);
    expect(() => meanSummary([1e308, 1e308])).toThrow(/too large/);
    expect(() => meanSummary([1, 2], 1.2)).toThrow(RangeError);
  });
});

describe('summary form (n, sum, sum of squares)', () => {
  it('gives the same figures as the raw values', () => {
    for (const v of [x, y, [3, 8], [5, 5, 5]]) {
      const a = meanSummary(v);
      const b = meanSummaryFromMoments(moments(v));
      expectClose([b.mean, b.sd, b.lower, b.upper], [a.mean, a.sd, a.lower, a.upper], 1e-12, 1e-14);
    }
    // the sums a SQL query returns: count(*), sum(x), sum(x * x)
    let s = 0;
    let ss = 0;
    for (const v of x) {
      s += v;
      ss += v * v;
    }
    const fromSql = meanSummaryFromMoments({ n: x.length, sum: s, sumSq: ss });
    // R 4.2.2: t.test(x)$conf.int
    expectClose([fromSql.mean, fromSql.sd, fromSql.lower, fromSql.upper], [6.354166666666667, 1.7466146909916562, 5.2444206365641968, 7.4639126967691372], 1e-12);
  });
  it('a shift keeps digits that the raw sum of squares would lose', () => {
    const big = [1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.3, 1e6 + 0.4];
    const shifted = meanSummaryFromMoments(moments(big, 1e6));
    // R 4.2.2: sd(1e6 + c(0.1, 0.2, 0.3, 0.4))
    expectClose(shifted.sd, 0.12909944490363887, 1e-12);
    // without the shift, sum(x^2) - sum(x)^2/n cancels 12 of 16 digits: the SD is off by ~1 %
    const raw = meanSummaryFromMoments(moments(big));
    expect(Math.abs(raw.sd! / 0.12909944490363887 - 1)).toBeGreaterThan(1e-4);
    expectClose(shifted.mean, 1000000.25, 1e-15);
  });
  it('partial sums merge (streaming / partitioned SQL)', () => {
    const merged = mergeMoments(moments(x.slice(0, 5), 6), moments(x.slice(5), 0));
    const d = meanSummaryFromMoments(merged);
    // R 4.2.2: mean(x); sd(x); t.test(x)$conf.int
    expectClose([d.n, d.mean, d.sd, d.lower, d.upper], [12, 6.354166666666667, 1.7466146909916562, 5.2444206365641968, 7.4639126967691372], 1e-12);
  });
  it('n = 0 and n = 1', () => {
    expect(meanSummaryFromMoments({ n: 0, sum: 0, sumSq: 0 }).mean).toBeNull();
    const one = meanSummaryFromMoments({ n: 1, sum: 7, sumSq: 49 });
    expect([one.mean, one.sd, one.lower]).toEqual([7, null, null]);
  });
  it('clamps a negative variance from rounding to 0', () => {
    const d = meanSummaryFromMoments({ n: 3, sum: 0.3, sumSq: 0.03 - 1e-18 });
    expect(d.sd).toBe(0);
  });
});

describe('quantiles (type 7), median and IQR', () => {
  it('matches R quantile(type = 7) and numpy linear', () => {
    // R 4.2.2: quantile(x, c(0, .1, .25, .5, .75, .9, 1), type = 7)
    // numpy 2.4.6: np.percentile(x, probs * 100, method='linear') -> 3.0 4.1 5.375 6.75 7.4375 8.0 9.0
    expectClose(quantiles(x, probs), [3, 4.1, 5.375, 6.75, 7.4375, 8, 9], 1e-15);
    // R 4.2.2: quantile(y, c(0, .1, .25, .5, .75, .9, 1), type = 7)
    expectClose(quantiles(y, probs), [1.5, 1.9, 2.2, 3.3, 4.9, 5.68, 6.0], 1e-15);
    // R 4.2.2: quantile(c(3, 8), probs)
    expectClose(quantiles([3, 8], probs), [3, 3.5000000000000004, 4.25, 5.5, 6.75, 7.5, 8], 1e-15);
  });
  it('median and IQR match R median() and IQR()', () => {
    // R 4.2.2: median(x); IQR(x)
    const mx = medianIqr(x);
    expectClose([mx.median, mx.iqr], [6.75, 2.0625], 1e-15);
    // R 4.2.2: median(y); IQR(y)
    const my = medianIqr(y);
    expectClose([my.median, my.q1, my.q3, my.iqr], [3.3, 2.2, 4.9, 2.7], 1e-14);
  });
  it('edge cases', () => {
    expect(medianIqr([])).toEqual({ n: 0, median: null, q1: null, q3: null, iqr: null });
    expect(medianIqr([4])).toEqual({ n: 1, median: 4, q1: 4, q3: 4, iqr: 0 });
    expect(quantile([2, 2, 2], 0.3)).toBe(2);
    expect(() => quantile(x, 1.5)).toThrow(RangeError);
    // typed arrays of millions sort numerically, not as strings
    expect(quantile(Float64Array.from([10, 9, 100, -1]), 0.5)).toBe(9.5);
  });
  it('selection on large inputs gives exactly the sorted-array quantiles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4097, max: 12000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        (n, distinct, probs, seed) => {
          let s = seed >>> 0;
          const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
          // few distinct values: many ties, the hard case for partitioning
          const x = Float64Array.from({ length: n }, () => Math.floor(next() * distinct) + next() * 1e-3 * (distinct % 2));
          const ref = sorted(x);
          expect(quantiles(x, probs)).toEqual(probs.map((p) => quantileSorted(ref, p)));
        },
      ),
      { numRuns: 60, seed: 7 },
    );
    const sortedInput = Float64Array.from({ length: 100_000 }, (_, i) => i);
    expect(quantiles(sortedInput, [0.01, 0.5, 0.99])).toEqual([999.99, 49999.5, 98999.01]);
    const constant = new Float64Array(50_000).fill(3);
    expect(medianIqr(constant)).toEqual({ n: 50_000, median: 3, q1: 3, q3: 3, iqr: 0 });
  });
});
