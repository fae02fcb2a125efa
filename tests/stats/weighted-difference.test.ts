import { describe, expect, it } from 'vitest';
import { addWeighted, weightedDifference, weightedDifferenceFromSums, weightedSums } from '../../server/stats/weighted-difference.ts';
import { ipw } from '../../server/stats/weighting.ts';
import { episodes as d } from './fixtures/episodes.ts';
import { expectClose } from './close.ts';

// Reference: scripts/reference/weighting.R (R 4.2.2, sandwich 3.0-2) on scripts/reference/inputs/episodes.csv:
// f <- lm(followup ~ path, weights = swt) with swt the stabilised weights truncated at the 1st/99th
// percentiles; coef(f)["path"]; sqrt(diag(vcovHC(f, type = "HC0" / "HC1")))["path"].
const t = Float64Array.from(d.path);
const y = Float64Array.from(d.followup);
const w = ipw(t, Float64Array.from(d.ps)).weights;

describe('weighted difference in means with a sandwich SE', () => {
  it('equals the coefficient of lm(followup ~ path, weights = swt) and its HC0 / HC1 SE', () => {
    const h0 = weightedDifference(y, t, w, { vcov: 'HC0' });
    expectClose(h0.diff, -1.2556563381234578, 1e-10);
    expectClose(h0.mean0, 5.1441343957289405, 1e-10);
    expectClose(h0.se, 0.4631534743652585, 1e-10);
    const h1 = weightedDifference(y, t, w);
    expectClose(h1.se, 0.46627238822048483, 1e-10);
    expect(h1.df).toBe(148);
    // R 4.2.2: qt(0.975, 148) = 1.9761224936137383; the interval of lmtest::coeftest / confint on the HC1 covariance
    expectClose([h1.lower, h1.upper], [-1.2556563381234578 - 1.9761224936137383 * 0.46627238822048483, -1.2556563381234578 + 1.9761224936137383 * 0.46627238822048483], 1e-8);
  });
  it('sums around a shift far from the data give the same answer (no cancellation)', () => {
    const s1 = weightedSums(1e6);
    const s0 = weightedSums(1e6);
    for (let i = 0; i < y.length; i++) addWeighted(t[i] === 1 ? s1 : s0, y[i]! + 1e6, w[i]!);
    const r = weightedDifferenceFromSums(s1, s0);
    expectClose(r.diff, -1.2556563381234578, 1e-7);
    expectClose(r.se, 0.46627238822048483, 1e-4);
    const s1b = weightedSums(1e6 + 5);
    const s0b = weightedSums(1e6 + 5);
    for (let i = 0; i < y.length; i++) addWeighted(t[i] === 1 ? s1b : s0b, y[i]! + 1e6, w[i]!);
    expectClose(weightedDifferenceFromSums(s1b, s0b).se, 0.46627238822048483, 1e-9);
  });
  it('empty groups and constant outcomes give no interval rather than a false one', () => {
    expect(weightedDifference([1, 2], [1, 1], [1, 1]).diff).toBeNull();
    const flat = weightedDifference([3, 3, 3, 3], [1, 1, 0, 0], [1, 2, 1, 2]);
    expect(flat.diff).toBe(0);
    expect(flat.se).toBeNull();
    expect(() => weightedDifference([1], [2], [1])).toThrow(RangeError);
  });
});
