import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { designMatrix, ols, type OlsFit } from '../../server/stats/regression.ts';
import {
  balanceTable, effectiveSampleSize, ipw, logit, matchNearest, overlap, stabilizedWeights, standardizedMeanDifference,
  truncateWeights, weightedMean, weightedVariance,
} from '../../server/stats/weighting.ts';
import { episodes as d } from './fixtures/episodes.ts';
import { expectClose } from './close.ts';

// Reference: scripts/reference/weighting.R (R 4.2.2 base: quantile type 7, weighted.mean, var, cov.wt;
// sandwich 3.0-2) on scripts/reference/inputs/episodes.csv. Input propensity scores are the
// model's fitted values rounded to 1e-8 (column ps). All closed-form: asserted at 1e-12.

const t = Float64Array.from(d.path);
const ps = Float64Array.from(d.ps);
const col = (k: keyof typeof d) => Float64Array.from(d[k]);
const TOL = 1e-12;

describe('stabilised inverse-probability weights', () => {
  const sw = stabilizedWeights(t, ps);
  it('match the formula in R', () => {
    // R 4.2.2: sw <- ifelse(t == 1, mean(t) / ps, (1 - mean(t)) / (1 - ps)); sw[1:4]; sum(sw); range(sw)
    expectClose(Array.from(sw.subarray(0, 4)), [0.47901062422874569, 0.78643175094848849, 1.96150080120980319, 0.74303632349845661], TOL);
    expectClose(sw.reduce((a, b) => a + b, 0), 153.03535864787989, TOL);
    expectClose([Math.min(...sw), Math.max(...sw)], [0.3985239511845915, 11.6891138667342727], TOL);
  });
  it('truncated at the 1st / 99th percentile', () => {
    const tr = ipw(t, ps);
    // R 4.2.2: q <- quantile(sw, c(.01, .99), type = 7); swt <- pmin(pmax(sw, q[1]), q[2]); sum(sw < q[1] | sw > q[2]); sum(swt)
    expectClose([tr.lowerCut, tr.upperCut], [0.41066691835052893, 3.74973389668402834], TOL);
    expect(tr.nTruncated).toBe(4);
    expectClose(tr.weights.reduce((a, b) => a + b, 0), 144.51419190167869, TOL);
    // R 4.2.2: quantile(sw, c(.05, .95))
    const t5 = truncateWeights(sw, 0.05, 0.95);
    expectClose([t5.lowerCut, t5.upperCut], [0.45899381729871347, 2.21045398902251877], TOL);
    const none = ipw(t, ps, null);
    expect(Array.from(none.weights)).toEqual(Array.from(sw));
  });
  it('reject propensity scores of 0 or 1 and non-binary treatment', () => {
    expect(() => stabilizedWeights([1, 0], [1, 0.5])).toThrow(RangeError);
    expect(() => stabilizedWeights([2, 0], [0.5, 0.5])).toThrow(RangeError);
  });
});

describe('weighted means, variances, SMD, ESS', () => {
  const w = ipw(t, ps).weights;
  it('weighted means per group match weighted.mean', () => {
    const sel = (x: Float64Array, g: number) => x.filter((_, i) => t[i] === g);
    // R 4.2.2: weighted.mean(x[t == 1], swt[t == 1]); weighted.mean(x[t == 0], swt[t == 0])
    const cases: [keyof typeof d, number, number][] = [
      ['age', 54.577441220987204, 55.14426258749701],
      ['baseline', 6.5013019772745562, 6.5006213804397026],
      ['duration', 13.90702166977716, 10.774158553899071],
      ['prior', 0.98310320554072739, 1.01279972026275122],
    ];
    for (const [k, m1, m0] of cases) {
      expectClose([weightedMean(sel(col(k), 1), sel(w, 1)), weightedMean(sel(col(k), 0), sel(w, 0))], [m1, m0], TOL, 0, k);
    }
    expect(weightedMean([1, 2], [0, 0])).toBeNull();
  });
  it('weighted variance matches cov.wt(method = "unbiased")', () => {
    // R 4.2.2: cov.wt(cbind(baseline), wt = swt / sum(swt), method = "unbiased")$cov
    expectClose(weightedVariance(col('baseline'), w), 3.0055225176363201, TOL);
    // equal weights: the ordinary sample variance
    expectClose(weightedVariance([1, 2, 4], [3, 3, 3]), 7 / 3, 1e-15);
  });
  it('SMD before and after weighting, continuous', () => {
    // R 4.2.2 (weighting.R smd()): (weighted.mean(x1, w1) - weighted.mean(x0, w0)) / sqrt((var(x1) + var(x0)) / 2),
    // and with the cov.wt weighted variances for the weighted denominator
    const cases: [keyof typeof d, number, number, number][] = [
      ['age', 0.235257747699837871, -0.033427137404559201, -0.032775611314777089],
      ['baseline', 0.54743665563485999215, 0.00043861113829157859, 0.00038888755276200292],
      ['duration', 0.62339131973298423, 0.25661439775747369, 0.28369775788792151],
      ['prior', 0.518019143024566531, -0.032054720059292031, -0.029772430403671536],
    ];
    for (const [k, crude, adj, adjW] of cases) {
      const x = col(k);
      expectClose(standardizedMeanDifference(x, t), crude, TOL, 0, `${k} crude`);
      // the baseline's weighted SMD is ~4e-4: a difference of weighted means, so 1e-9 relative
      expectClose(standardizedMeanDifference(x, t, { weights: w }), adj, 1e-9, 0, `${k} weighted`);
      expectClose(standardizedMeanDifference(x, t, { weights: w, denominator: 'weighted' }), adjW, 1e-9, 0, `${k} weighted denominator`);
    }
  });
  it('SMD for binary covariates uses p(1 - p)', () => {
    // R 4.2.2 (weighting.R smd(binary = TRUE)): (p1w - p0w) / sqrt((p1(1 - p1) + p0(1 - p0)) / 2)
    const sex = col('sex');
    expectClose(standardizedMeanDifference(sex, t, { binary: true }), 0.0058708217021443002, 1e-10);
    expectClose(standardizedMeanDifference(sex, t, { binary: true, weights: w }), -0.088172546904092014, 1e-10);
    expectClose(standardizedMeanDifference(sex, t, { binary: true, weights: w, denominator: 'weighted' }), -0.090642444754188034, 1e-10);
    const c1 = Float64Array.from(d.condition, (v) => (v === 1 ? 1 : 0));
    expectClose(standardizedMeanDifference(c1, t, { binary: true }), 0.240006128936207846, TOL);
    expectClose(standardizedMeanDifference(c1, t, { binary: true, weights: w }), 0.060068311412986651, 1e-10);
    expect(() => standardizedMeanDifference(col('age'), t, { binary: true })).toThrow(RangeError);
  });
  it('SMD edge cases: constant covariate, empty group', () => {
    expect(standardizedMeanDifference([1, 1, 1, 1], [1, 0, 1, 0])).toBeNull();
    expect(standardizedMeanDifference([1, 2, 3], [1, 1, 1])).toBeNull();
    expect(() => standardizedMeanDifference([1, NaN, 3], [1, 0, 1])).toThrow(/covariate\[1\]/);
    expect(() => standardizedMeanDifference([1, 2, 3], [1, 0, 2])).toThrow(RangeError);
    expect(() => balanceTable([{ name: 'x', values: [1, Infinity, 3, 4] }], [1, 0, 1, 0], [1, 1, 1, 1])).toThrow(RangeError);
  });
  it('Kish effective sample size', () => {
    const sel = (g: number) => w.filter((_, i) => t[i] === g);
    // R 4.2.2: sum(w)^2 / sum(w^2) for treated, control, all
    expectClose([effectiveSampleSize(sel(1)), effectiveSampleSize(sel(0)), effectiveSampleSize(w)], [75.361616653572256, 35.89147440305355, 110.410731501530051], TOL);
    expect(effectiveSampleSize([1, 1, 1])).toBe(3);
  });
  it('balance table flags |SMD| >= 0.1 after weighting', () => {
    const rows = balanceTable(
      [{ name: 'age', values: col('age') }, { name: 'duration', values: col('duration') }, { name: 'sex', values: col('sex'), binary: true }],
      t, w,
    );
    expect(rows.map((r) => [r.name, r.balanced])).toEqual([['age', true], ['duration', false], ['sex', true]]);
    expectClose(rows[1]!.weightedSmd, 0.25661439775747369, 1e-9);
    expectClose([rows[0]!.weightedMeanTreated, rows[0]!.weightedMeanControl], [54.577441220987204, 55.14426258749701], TOL);
  });
  it('the IPW outcome model with sandwich SEs matches lm(weights) + vcovHC', () => {
    const X = designMatrix([{ name: 'path', values: t }]);
    const f0 = ols(X, col('followup'), { weights: w, vcov: 'HC0' }) as OlsFit;
    // R 4.2.2 sandwich 3.0-2: f <- lm(followup ~ path, weights = swt); coef(f); sqrt(diag(vcovHC(f, type = "HC0")))
    expectClose(Array.from(f0.beta), [5.1441343957289405, -1.2556563381234578], 1e-10);
    expectClose(f0.coefficients.map((c) => c.se), [0.37983280114083373, 0.4631534743652585], 1e-10);
    const f1 = ols(X, col('followup'), { weights: w, vcov: 'HC1' }) as OlsFit;
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(f, type = "HC1")))
    expectClose(f1.coefficients.map((c) => c.se), [0.38239062668186236, 0.46627238822048483], 1e-10);
  });
});

describe('overlap of the propensity scores', () => {
  it('ranges, common support and units outside it', () => {
    const o = overlap(ps, t);
    // R 4.2.2: range(ps[t == 1]); range(ps[t == 0])
    expect([o.treated.min, o.treated.max, o.control.min, o.control.max]).toEqual([0.20281468, 0.99110021, 0.0464814, 0.96749112]);
    expect(o.commonSupport).toEqual([0.20281468, 0.96749112]);
    // R 4.2.2: sum(t == 1 & (ps < lo | ps > hi)); sum(t == 0 & (ps < lo | ps > hi))
    expect([o.outsideTreated, o.outsideControl]).toEqual([7, 9]);
    expect([o.treated.n, o.control.n]).toEqual([93, 57]);
  });
  it('disjoint groups have no common support', () => {
    const o = overlap([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
    expect(o.commonSupport).toBeNull();
    expect([o.outsideTreated, o.outsideControl]).toEqual([2, 2]);
  });
});

/** The rule of matchNearest written the slow, obvious way (the same as weighting.R's match_ref). */
function matchBrute(ps: ArrayLike<number>, treat: ArrayLike<number>, caliper: number): [number, number][] {
  const n = treat.length;
  const lg = Array.from({ length: n }, (_, i) => logit(ps[i]!));
  const tr = [...Array(n).keys()].filter((i) => treat[i] === 1).sort((a, b) => ps[b]! - ps[a]! || a - b);
  const used = new Array<boolean>(n).fill(false);
  const out: [number, number][] = [];
  for (const i of tr) {
    let best = -1;
    let bd = Infinity;
    for (let j = 0; j < n; j++) {
      if (treat[j] !== 0 || used[j]) continue;
      const dd = Math.abs(lg[j]! - lg[i]!);
      if (dd < bd || (dd === bd && j < best)) {
        bd = dd;
        best = j;
      }
    }
    if (best >= 0 && bd <= caliper) {
      used[best] = true;
      out.push([i, best]);
    }
  }
  return out;
}

describe('1:1 nearest-neighbour matching on the logit with a caliper', () => {
  const pairs = (r: ReturnType<typeof matchNearest>) => Array.from(r.treated, (v, k) => `${v},${r.control[k]}`).join(' ');
  it('matches the R reference pairs (caliper 0.2 pooled SD of the logit)', () => {
    const r = matchNearest(ps, t);
    // R 4.2.2: cal <- 0.2 * sqrt((var(lg[t == 1]) + var(lg[t == 0])) / 2)
    expectClose(r.caliper, 0.24705079772419578, TOL);
    // R 4.2.2: match_ref(lg, ps, t, cal) (weighting.R), pairs as 0-based row indices
    expect(pairs(r)).toBe(
      '48,96 142,84 32,112 95,43 141,132 76,116 64,53 93,120 113,31 97,104 8,106 77,122 111,92 51,69 108,41 7,55 42,28 90,103 9,27 80,88 44,127 20,147 15,33 117,29 136,1 35,145 17,115 94,58 99,100 74,68 59,105 109,121 21,71 137,49 56,82 2,134 11,39 46,139 57,91 22,85 63,0',
    );
    expect(r.unmatchedTreated).toBe(93 - 41);
    // R 4.2.2: standardised difference of age / baseline in the matched sample (pooled SD of the matched groups)
    const age = col('age');
    const base = col('baseline');
    const tIdx = Array.from(r.treated);
    const cIdx = Array.from(r.control);
    const sub = (x: Float64Array) => [...tIdx.map((i) => x[i]!), ...cIdx.map((i) => x[i]!)];
    const mt = Float64Array.from([...tIdx.map(() => 1), ...cIdx.map(() => 0)]);
    expectClose(standardizedMeanDifference(sub(age), mt), 0.072896263125412766, TOL);
    expectClose(standardizedMeanDifference(sub(base), mt), -0.185815184992809412, TOL);
  });
  it('matches the R reference with a caliper of 0.05 on the logit', () => {
    // R 4.2.2: match_ref(lg, ps, t, 0.05): caliper given in logit units here = 0.05 / pooled SD
    const sd = 0.24705079772419578 / 0.2;
    const r = matchNearest(ps, t, { caliperSd: 0.05 / sd });
    expect(pairs(r)).toBe(
      '114,96 45,84 95,112 149,43 64,132 16,116 148,53 77,120 111,31 51,106 108,104 7,122 42,92 144,69 9,41 80,55 44,127 20,147 15,33 117,29 136,1 35,145 17,115 94,58 99,100 59,68 109,105 2,134 11,39 57,91 63,0',
    );
  });
  it('agrees with the brute-force rule on random data with many ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.constantFrom(0, 1), ps: fc.constantFrom(0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 0.9) }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0.05, 0.2, 1, null),
        (rows, cal) => {
          const tr = rows.map((r) => r.t);
          const p = rows.map((r) => r.ps);
          const r = matchNearest(p, tr, { caliperSd: cal });
          const expected = matchBrute(p, tr, r.caliper);
          expect(Array.from(r.treated, (v, k) => [v, r.control[k]])).toEqual(expected);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
  it('edge cases: no controls, no treated', () => {
    expect(matchNearest([0.3, 0.4], [1, 1]).treated.length).toBe(0);
    expect(matchNearest([0.3, 0.4], [0, 0]).unmatchedTreated).toBe(0);
  });
});
