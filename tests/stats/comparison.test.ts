import { describe, expect, it } from 'vitest';
import { hedgesG, hedgesGFromSummary, heterogeneityTest, welchFromSummary, welchTTest } from '../../server/stats/comparison.ts';
import { pchisqUpper, qt, twoSidedPt, twoSidedPz } from '../../server/stats/distributions.ts';
import { expectClose } from './close.ts';

const x = [7, 5.5, 8, 6, 9, 4, 7, 6.5, 8, 5, 3, 7.25];
const y = [3.1, 4.4, 2.0, 5.6, 3.3, 4.9, 1.5, 2.2, 6.0];

describe('Welch t-test', () => {
  it('matches scipy.stats.ttest_ind(equal_var=False)', () => {
    const r = welchTTest(x, y);
    // scipy 1.17.1: r = stats.ttest_ind(x, y, equal_var=False); r.statistic, r.pvalue, r.df
    expectClose(r.t, 3.622727670023729);
    expectClose(r.p, 0.0019477455516494764);
    expectClose(r.df, 17.989677849944524);
    // scipy 1.17.1: r.confidence_interval(0.95)
    expectClose([r.lower, r.upper], [1.1288787823194524, 4.246121217680549]);
    // scipy 1.17.1: (x.mean() - y.mean()) / r.statistic
    expectClose(r.se, 0.7418443352056869);
    expectClose(r.diff, 6.354166666666667 - 3.6666666666666665);
    // scipy 1.17.1: r.confidence_interval(0.90)
    const r90 = welchTTest(x, y, 0.9);
    expectClose([r90.lower, r90.upper], [1.4010547477523185, 3.973945252247682]);
  });
  it('keeps relative precision for tiny p-values', () => {
    const a = [9.1, 8.7, 9.4, 8.9, 9.0, 9.3];
    const b = [1.2, 0.8, 1.5, 1.1, 0.9];
    const r = welchTTest(a, b);
    // scipy 1.17.1: stats.ttest_ind(a, b, equal_var=False) -> statistic, pvalue, df
    expectClose([r.t, r.p, r.df], [49.30193557117028, 1.1454231277717363e-11, 8.423260247855108], 1e-9);
  });
  it('from summary statistics matches scipy.stats.ttest_ind_from_stats', () => {
    const r = welchFromSummary({ n: 412, mean: 2.9, sd: 2.1 }, { n: 388, mean: 1.7, sd: 1.9 });
    // scipy 1.17.1: stats.ttest_ind_from_stats(2.9, 2.1, 412, 1.7, 1.9, 388, equal_var=False)
    expectClose([r.t, r.p], [8.483583299101648, 1.0565513428506213e-16], 1e-9);
    // and from raw data equals from summaries
    const s = welchFromSummary({ n: 12, mean: 6.354166666666667, sd: 1.7466146909916562 }, { n: 9, mean: 3.6666666666666665, sd: 1.6324827717314507 });
    expectClose([s.t, s.p, s.df, s.lower, s.upper], [3.622727670023729, 0.0019477455516494764, 17.989677849944524, 1.1288787823194524, 4.246121217680549], 1e-12);
  });
  it('one constant group: df from the other group', () => {
    const r = welchTTest([5, 5, 5], [1, 2, 3, 4]);
    // scipy 1.17.1: stats.ttest_ind([5,5,5], [1,2,3,4], equal_var=False) -> statistic, pvalue, df, confidence_interval(0.95)
    expectClose([r.t, r.p, r.df, r.lower, r.upper], [3.872983346207417, 0.030466291662170977, 3.0, 0.4457397432394794, 4.554260256760521], 1e-12);
  });
  it('edge cases: both groups constant, n < 2, empty', () => {
    const c = welchTTest([5, 5], [3, 3, 3]);
    expect([c.diff, c.se, c.t, c.p, c.lower]).toEqual([2, 0, null, null, null]);
    const one = welchTTest([4], [1, 2, 3]);
    expect([one.diff, one.se, one.t]).toEqual([2, null, null]);
    const none = welchTTest([], [1, 2, 3]);
    expect([none.diff, none.mean1, none.t]).toEqual([null, null, null]);
  });
});

describe('Hedges g', () => {
  it('matches statsmodels effectsize_smd on raw data', () => {
    const r = hedgesG(x, y);
    // statsmodels 0.13.5: effectsize_smd(x.mean(), x.std(ddof=1), 12, y.mean(), y.std(ddof=1), 9) -> (g, var)
    expectClose([r.g, r.variance], [1.5180992705665879, 0.26198915122330746], 1e-12);
    expectClose(r.j, 1 - 3 / (4 * 21 - 9), 1e-15);
    expectClose([r.lower, r.upper], [1.5180992705665879 - 1.959963984540054 * Math.sqrt(0.26198915122330746), 1.5180992705665879 + 1.959963984540054 * Math.sqrt(0.26198915122330746)], 1e-12);
  });
  it('matches statsmodels effectsize_smd from summaries', () => {
    // statsmodels 0.13.5: effectsize_smd(2.9, 2.1, 412, 1.7, 1.9, 388)
    const r = hedgesGFromSummary({ n: 412, mean: 2.9, sd: 2.1 }, { n: 388, mean: 1.7, sd: 1.9 });
    expectClose([r.g, r.variance], [0.5977919985375897, 0.005228956528031852], 1e-12);
    // statsmodels 0.13.5: effectsize_smd(5.0, 1.0, 2, 4.0, 2.0, 2) (n = 2 per group)
    const s = hedgesGFromSummary({ n: 2, mean: 5, sd: 1 }, { n: 2, mean: 4, sd: 2 });
    expectClose([s.g, s.variance], [0.3614031611621005, 2.088435374149659], 1e-12);
  });
  it('no g without spread or with too few observations', () => {
    expect(hedgesG([3, 3], [3, 3]).g).toBeNull();
    expect(hedgesG([1], [2]).g).toBeNull();
    expect(hedgesG([], [1, 2, 3]).g).toBeNull();
  });
});

describe('subgroup heterogeneity (Cochran Q)', () => {
  it('matches statsmodels combine_effects', () => {
    const r = heterogeneityTest([
      { estimate: 1.3, se: 0.3 },
      { estimate: 0.6, se: 0.25 },
      { estimate: 1.1, se: 0.45 },
      { estimate: -0.2, se: 0.6 },
    ]);
    // statsmodels 0.13.5: res = combine_effects(eff, se**2); res.q, res.mean_effect_fe, res.sd_eff_w_fe, res.i2
    expectClose(r.q, 6.60778289810548, 1e-12);
    expectClose([r.pooled, r.pooledSe], [0.8304147465437788, 0.1694497632385757], 1e-12);
    expectClose(r.i2, 0.5459899263851222, 1e-12);
    // scipy 1.10.1: stats.chi2.sf(res.q, 3)
    expectClose(r.p, 0.08550736656759414, 1e-9);
    expect(r.df).toBe(3);
  });
  it('two subgroups: Q is the squared z of the difference', () => {
    const r = heterogeneityTest([{ estimate: 1.3, se: 0.3 }, { estimate: 0.6, se: 0.25 }]);
    // statsmodels 0.13.5: combine_effects([1.3, 0.6], [0.3, 0.25]**2).q
    expectClose(r.q, 3.21311475409836, 1e-12);
    expectClose(r.q, (0.7 / Math.hypot(0.3, 0.25)) ** 2, 1e-12);
    expectClose(r.p, twoSidedPz(0.7 / Math.hypot(0.3, 0.25)), 1e-12);
  });
  it('fewer than two subgroups: no test', () => {
    expect(heterogeneityTest([{ estimate: 1, se: 0.5 }]).q).toBeNull();
    expect(() => heterogeneityTest([{ estimate: 1, se: 0 }])).toThrow(RangeError);
  });
});

describe('distribution tails', () => {
  it('chi-square upper tail keeps relative precision', () => {
    // scipy 1.17.1: stats.chi2.sf(x, df)
    const cases: [number, number, number][] = [
      [3.84, 1, 0.05004352124870519],
      [80, 3, 3.0692774861724164e-17],
      [10, 4, 0.04042768199451279],
      [200, 5, 2.8406228986415534e-41],
      [2.5, 7, 0.9270970650134738],
      [0.3, 2, 0.8607079764250578],
      [33.3, 12, 0.0008689487870061302],
    ];
    for (const [v, df, p] of cases) expectClose(pchisqUpper(v, df), p, 1e-12, 0, `chi2.sf(${v}, ${df})`);
    // non-integer df falls back to 1 - cdf: absolute precision only
    // scipy 1.17.1: stats.chi2.sf(12.0, 2.5)
    expectClose(pchisqUpper(12, 2.5), 0.004440705131214041, 1e-9);
    expect(pchisqUpper(1500, 2)).toBe(0);
    expect(pchisqUpper(0, 3)).toBe(1);
  });
  it('t and normal tails', () => {
    // scipy 1.17.1: 2 * stats.t.cdf(-40, 3); 2 * stats.norm.cdf(-9); stats.t.ppf(0.975, 7.5)
    expectClose(twoSidedPt(40, 3), 3.4380680789158506e-05, 1e-12);
    expectClose(twoSidedPz(-9), 2.2571768119076647e-19, 1e-12);
    expectClose(qt(0.975, 7.5), 2.333039626864974, 1e-12);
    expect(twoSidedPt(2, Infinity)).toBeCloseTo(twoSidedPz(2), 15);
  });
});
