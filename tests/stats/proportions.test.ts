import { describe, expect, it } from 'vitest';
import { numberNeededToTreat, relativeRisk, riskDifference, wilson } from '../../server/stats/proportions.ts';
import { expectClose } from './close.ts';

// Reference: scripts/reference/statsmodels_ref.py, statsmodels 0.13.5 (Debian /usr/bin/python3).

describe('wilson', () => {
  const cases: [number, number, number, number][] = [
    // statsmodels 0.13.5: proportion_confint(x, n, alpha=0.05, method='wilson')
    [0, 10, 0.0, 0.27753279986288926],
    [10, 10, 0.7224672001371106, 1.0],
    [1, 1, 0.2065493143772374, 1.0],
    [0, 1, 0.0, 0.7934506856227627],
    [7, 20, 0.18119182410108203, 0.5671457233147638],
    [56, 70, 0.6918335550374695, 0.8769526075163705],
    [48, 80, 0.4904546500516038, 0.7003817240412906],
    [1, 1000, 0.00017654637062607765, 0.005642558597957937],
    [999, 1000, 0.9943574414020421, 0.9998234536293739],
  ];
  it.each(cases)('%i of %i matches statsmodels proportion_confint(method="wilson")', (x, n, lo, hi) => {
    const r = wilson(x, n);
    expect(r.p).toBe(x / n);
    expectClose([r.lower, r.upper], [lo, hi], 1e-12, 1e-16);
  });
  it('other levels', () => {
    // statsmodels 0.13.5: proportion_confint(7, 20, alpha=0.10, method='wilson')
    const r = wilson(7, 20, 0.9);
    expectClose([r.lower, r.upper], [0.202260040056761, 0.5334873111515284], 1e-12);
  });
  it('n = 0 has no proportion and no interval', () => {
    expect(wilson(0, 0)).toEqual({ x: 0, n: 0, p: null, lower: null, upper: null, level: 0.95 });
  });
  it('all responders / none hit the bounds exactly', () => {
    expect(wilson(0, 37).lower).toBe(0);
    expect(wilson(37, 37).upper).toBe(1);
  });
  it('rejects impossible counts', () => {
    expect(() => wilson(5, 4)).toThrow(RangeError);
    expect(() => wilson(-1, 4)).toThrow(RangeError);
    expect(() => wilson(1.5, 4)).toThrow(RangeError);
  });
});

describe('risk difference (Newcombe hybrid score, method 10)', () => {
  // statsmodels 0.13.5: confint_proportions_2indep(x1, n1, x2, n2, method='newcomb', compare='diff', alpha=0.05)
  const cases: [number, number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 0.20000000000000007, 0.05243147240236498, 0.33387265403690614], // Newcombe 1998 Table II example (a): 0.0524 to 0.3339
    [9, 10, 3, 10, 0.6000000000000001, 0.1705227239345029, 0.809017973535488],
    [0, 10, 0, 20, 0.0, -0.1611251580528194, 0.27753279986288926], // no responders in either group
    [10, 10, 0, 20, 1.0, 0.6790860371419145, 1.0], // all / none
    [5, 56, 0, 29, 0.08928571428571429, -0.038137147903536936, 0.19256001385511165],
    [6, 7, 2, 7, 0.5714285714285714, 0.05822792748231209, 0.8062496375242278],
    [412, 800, 350, 790, 0.07196202531645574, 0.02285115682873392, 0.12058167195068782],
  ];
  it.each(cases)('%i/%i vs %i/%i', (x1, n1, x2, n2, d, lo, hi) => {
    const r = riskDifference(x1, n1, x2, n2);
    expectClose([r.diff, r.lower, r.upper], [d, lo, hi], 1e-12, 1e-16);
  });
  it('an empty group gives no difference', () => {
    const r = riskDifference(3, 10, 0, 0);
    expect([r.diff, r.lower, r.upper, r.p2]).toEqual([null, null, null, null]);
  });
});

describe('relative risk (log / Katz interval)', () => {
  // statsmodels 0.13.5: confint_proportions_2indep(x1, n1, x2, n2, method='log', compare='ratio', alpha=0.05)
  const cases: [number, number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 1.3333333333333335, 1.0766264227631928, 1.6512485112663873],
    [9, 10, 3, 10, 3.0, 1.1383503574476697, 7.906177514784793],
    [10, 10, 10, 10, 1.0, 1.0, 1.0],
    [412, 800, 350, 790, 1.1624285714285716, 1.0485254145071954, 1.2887052282929636],
    [3, 40, 9, 41, 0.3416666666666667, 0.09967678780180704, 1.1711463991318025],
  ];
  it.each(cases)('%i/%i vs %i/%i', (x1, n1, x2, n2, rr, lo, hi) => {
    const r = relativeRisk(x1, n1, x2, n2);
    expectClose([r.rr, r.lower, r.upper], [rr, lo, hi], 1e-12);
  });
  it('zero counts: no log interval', () => {
    // statsmodels gives (0, nan) for x1 = 0 and a division by zero for x2 = 0; we say "not estimable".
    const a = relativeRisk(0, 20, 4, 20);
    expect([a.rr, a.lower, a.upper]).toEqual([0, null, null]);
    const b = relativeRisk(4, 20, 0, 20);
    expect([b.rr, b.lower, b.upper]).toEqual([null, null, null]);
    const c = relativeRisk(4, 20, 0, 0);
    expect(c.rr).toBeNull();
  });
});

describe('number needed to treat', () => {
  it('is 1 / RD with the inverted Newcombe limits when the interval excludes 0', () => {
    // statsmodels 0.13.5: confint_proportions_2indep(56, 70, 48, 80, method='newcomb') -> 0.2 (0.05243147240236498, 0.33387265403690614)
    const r = numberNeededToTreat(riskDifference(56, 70, 48, 80));
    expect(r).not.toBeNull();
    expect(r!.kind).toBe('NNTB');
    expectClose([r!.nnt, r!.lower, r!.upper], [1 / 0.20000000000000007, 1 / 0.33387265403690614, 1 / 0.05243147240236498], 1e-12);
  });
  it('is null when the interval of the difference includes 0', () => {
    // statsmodels: (5, 56, 0, 29) newcomb -> -0.0381 to 0.1926
    expect(numberNeededToTreat(riskDifference(5, 56, 0, 29))).toBeNull();
    expect(numberNeededToTreat(riskDifference(0, 10, 0, 20))).toBeNull();
    expect(numberNeededToTreat(riskDifference(1, 10, 0, 0))).toBeNull();
  });
  it('a harmful difference gives the number needed to harm', () => {
    const rd = riskDifference(48, 80, 56, 70); // reversed: -0.2 (-0.3339, -0.0524)
    const r = numberNeededToTreat(rd)!;
    expect(r.kind).toBe('NNTH');
    expectClose([r.nnt, r.lower, r.upper], [5, 1 / 0.33387265403690614, 1 / 0.05243147240236498], 1e-12);
    // for complications a higher rate in group 1 is the harm
    expect(numberNeededToTreat(riskDifference(56, 70, 48, 80), false)!.kind).toBe('NNTH');
  });
});
