import { describe, expect, it } from 'vitest';
import { factorLogistic, factorOls, factorOlsMany, prepareFactorDesign, type FactorDesign } from '../../server/stats/factor-regression.ts';
import { designMatrix, factorColumns, logistic, ols, type LogisticFit, type OlsFit } from '../../server/stats/regression.ts';
import { ipw } from '../../server/stats/weighting.ts';
import { episodes as d } from './fixtures/episodes.ts';
import { expectClose } from './close.ts';

// Reference: scripts/reference/compare_regression.R (R 4.2.2 glm with glm.control(epsilon = 1e-14),
// lm, sandwich 3.0-2 vcovHC) on scripts/reference/inputs/episodes.csv (150 episodes, condition a
// factor of 3 levels). Iterative fits asserted at 1e-7 relative (we stop at 1e-10 relative deviance
// change), closed forms (least squares) at 1e-9.

const col = (k: keyof typeof d) => Float64Array.from(d[k]);
const cond = { name: 'cond', codes: Uint8Array.from(d.condition), levels: ['0', '1', '2'] };
const psDesign: FactorDesign = {
  numeric: ['age', 'sex', 'baseline', 'duration', 'prior'].map((k) => ({ name: k, values: col(k as keyof typeof d) })),
  factor: cond,
};
const fitOk = (r: ReturnType<typeof factorLogistic>): LogisticFit => {
  if (r.status !== 'converged') throw new Error(`fit: ${r.status}`);
  return r;
};
const olsOk = (r: ReturnType<typeof factorOls>): OlsFit => {
  if (r.status !== 'ok') throw new Error(`fit: ${r.status}`);
  return r;
};

describe('factorLogistic (the propensity model)', () => {
  const prepared = prepareFactorDesign(psDesign);
  const fit = fitOk(factorLogistic(prepared, col('path')));
  it('matches R glm(path ~ age + sex + baseline + duration + prior + cond, binomial)', () => {
    expect(fit.coefficients.map((c) => c.name)).toEqual(['(Intercept)', 'age', 'sex', 'baseline', 'duration', 'prior', 'cond1', 'cond2']);
    // R 4.2.2: coef(g); summary(g)$coefficients[, 2]; deviance(g); g$null.deviance; fitted(g)[1:5]
    expectClose(fit.beta, [-4.054443984855616634, 0.021968522632042551, 0.028153457114014773, 0.32927494862481449, 0.064518009294176212, 0.711646598166846722, -0.04010673373114277, -1.152050912924516446], 1e-7);
    expectClose(fit.coefficients.map((c) => c.se), [1.228460663751939741, 0.011916823721658995, 0.413297318538720315, 0.133987897292870334, 0.020803376341321379, 0.237683610066040413, 0.452356955370765701, 0.584799094461928015], 1e-7);
    expectClose(fit.deviance, 156.84712128013234, 1e-9);
    expectClose(fit.nullDeviance, 199.21923796923244, 1e-12);
    expectClose(Array.from(fit.fitted.subarray(0, 5)), [0.20669817909388005, 0.5168048649644047, 0.31608449631989582, 0.83441412039062024, 0.89616591595975092], 1e-7);
  });
  it('HC1 sandwich SEs match sandwich::vcovHC(g, type = "HC1")', () => {
    const r = fitOk(factorLogistic(prepared, col('path'), { vcov: 'HC1' }));
    expectClose(r.coefficients.map((c) => c.se), [1.472842099743145283, 0.013253177625679775, 0.411743885618809646, 0.152927617794791582, 0.017880951196142501, 0.269275222961662619, 0.491343393015813756, 0.582639920885198226], 1e-7);
  });
  it('another reference level: R glm(path ~ age + baseline + relevel(cond, "2"), binomial)', () => {
    const r = fitOk(factorLogistic(prepareFactorDesign({ numeric: psDesign.numeric.filter((c) => c.name === 'age' || c.name === 'baseline'), factor: { ...cond, reference: 2 } }), col('path')));
    expect(r.coefficients.map((c) => c.name)).toEqual(['(Intercept)', 'age', 'baseline', 'cond0', 'cond1']);
    expectClose(r.beta, [-3.1868928569897616576, 0.0093967994437372439, 0.3129295453106983316, 1.3108763334329858186, 1.489995195177912235], 1e-7);
    expectClose(r.coefficients.map((c) => c.se), [1.018248068317956223, 0.010739775030387083, 0.119402077932629511, 0.526126774049866963, 0.575413411984295187], 1e-7);
  });
  it('prior weights: R glm(path ~ baseline + cond, binomial, weights = 1 + duration/10)', () => {
    const w = col('duration').map((x) => 1 + x / 10);
    const r = fitOk(factorLogistic(prepareFactorDesign({ numeric: [{ name: 'baseline', values: col('baseline') }], factor: cond }), col('path'), { weights: w }));
    expectClose(r.beta, [-1.64041798971105424, 0.39662586068227118, 0.35172516149666144, -1.21151028779657244], 1e-7);
    expectClose(r.coefficients.map((c) => c.se), [0.56425149555767662, 0.08432145577764466, 0.28152422407694211, 0.35187512351791822], 1e-7);
    expectClose(r.deviance, 391.39495847846865, 1e-9);
  });
  it('the generated kernel and the plain loop agree; so does the dense logistic() on the expanded design', () => {
    const plain = fitOk(factorLogistic(prepared, col('path'), { plainKernel: true }));
    expectClose(plain.beta, fit.beta, 1e-12);
    const dense = logistic(designMatrix([...psDesign.numeric, ...factorColumns('cond', cond.codes, cond.levels)]), col('path'));
    if (dense.status !== 'converged') throw new Error('dense fit');
    expectClose(dense.beta, fit.beta, 1e-9);
  });
  it('reports rank deficiency, separation and too few rows instead of estimates', () => {
    const dup = prepareFactorDesign({ numeric: [...psDesign.numeric, { name: 'age2', values: col('age').map((a) => 2 * a) }], factor: cond });
    const r = factorLogistic(dup, col('path'));
    expect(r.status).toBe('rank_deficient');
    if (r.status === 'rank_deficient') expect(r.aliased).toEqual(['age2']);
    const constant = factorLogistic(prepareFactorDesign({ numeric: [{ name: 'zero', values: new Float64Array(150) }] }), col('path'));
    expect(constant.status).toBe('rank_deficient');
    // complete separation by x: y = x > 5
    const x = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    const sep = factorLogistic(prepareFactorDesign({ numeric: [{ name: 'x', values: x }] }), x.map((v) => (v > 5 ? 1 : 0)));
    expect(sep.status).toBe('separation');
    expect(factorLogistic(prepareFactorDesign({ numeric: [{ name: 'x', values: [1, 2] }] }), [0, 1]).status).toBe('too_few_observations');
  });
  it('a large design through the warm start converges to the same maximum as a cold start', () => {
    const n = 240_000;
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const age = new Float64Array(n);
    const base = new Float64Array(n);
    const codes = new Uint8Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      age[i] = 20 + Math.floor(rnd() * 70);
      base[i] = Math.floor(rnd() * 11);
      codes[i] = Math.floor(rnd() * 4);
      const eta = -2 + 0.02 * age[i]! + 0.3 * (base[i]! - 5) + [0, 0.5, -0.4, 1][codes[i]!]!;
      y[i] = rnd() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    }
    const pd = prepareFactorDesign({ numeric: [{ name: 'age', values: age }, { name: 'baseline', values: base }], factor: { name: 'c', codes, levels: ['a', 'b', 'c', 'd'] } });
    const warm = fitOk(factorLogistic(pd, y));
    const cold = fitOk(factorLogistic(pd, y, { warmStartRows: Infinity }));
    expectClose(warm.beta, cold.beta, 1e-8);
    expect(warm.iterations).toBeLessThanOrEqual(cold.iterations);
    // Rank is checked on the subsample first, then on every row: a column equal to another is reported either way,
    // and so is one that differs from it in a single row the subsample skips (aliased there, not in the design).
    const twice = Float64Array.from(age, (a) => 2 * a);
    const dup = factorLogistic(prepareFactorDesign({ numeric: [{ name: 'age', values: age }, { name: 'age2', values: twice }], factor: null }), y);
    expect(dup.status).toBe('rank_deficient');
    const almost = Float64Array.from(twice);
    almost[1] = almost[1]! + 1; // row 1 is not in the every-k-th subsample
    const fine = factorLogistic(prepareFactorDesign({ numeric: [{ name: 'age', values: age }, { name: 'age2', values: almost }], factor: null }), y, { maxIterations: 3 });
    expect(fine.status).not.toBe('rank_deficient');
  });
});

describe('factorOls (the doubly robust outcome model and ANCOVA)', () => {
  const ps = fitOk(factorLogistic(prepareFactorDesign(psDesign), col('path'))).fitted;
  const swt = ipw(col('path'), ps).weights;
  const outcome: FactorDesign = { numeric: [{ name: 'path', values: col('path') }, ...psDesign.numeric], factor: cond };
  const pd = prepareFactorDesign(outcome);
  it('matches R lm(followup ~ path + covariates + cond, weights = swt) with classical, HC0 and HC1 SEs', () => {
    const c = olsOk(factorOls(pd, col('followup'), { weights: swt }));
    expect(c.coefficients.map((k) => k.name)).toEqual(['(Intercept)', 'path', 'age', 'sex', 'baseline', 'duration', 'prior', 'cond1', 'cond2']);
    // R 4.2.2: coef(f); summary(f)$coefficients[, 2]; summary(f)$sigma; summary(f)$r.squared
    expectClose(c.beta, [-0.51762342550380202599, -1.29830316213612761977, -0.00070532915225612826, 0.26431784206085479072, 0.85174133184520095519, 0.0208164690623721671, -0.03091494856798289795, -0.61111264648191865323, -0.09852415232243150189], 1e-7);
    expectClose(c.coefficients.map((k) => k.se), [0.720752086792310509, 0.2782307727994298707, 0.0077626912061919979, 0.2898906849702890254, 0.0788558447307587673, 0.0114045147463391026, 0.13586818428525263, 0.2975019358124172952, 0.4137511935061705115], 1e-7);
    expectClose(c.sigma, 1.5928041861706577, 1e-7);
    expectClose(c.rSquared, 0.52748925923389067, 1e-7);
    // sandwich 3.0-2: sqrt(diag(vcovHC(f, type = "HC0" / "HC1")))
    const h0 = olsOk(factorOls(pd, col('followup'), { weights: swt, vcov: 'HC0' }));
    expectClose(h0.coefficients.map((k) => k.se), [0.710749471139981881, 0.2902761751014233949, 0.0072740350176439981, 0.2861688950258192143, 0.084133892024058507, 0.0105979066123293615, 0.1511076722481031753, 0.3066274465471511279, 0.4116829183341188525], 1e-7);
    const h1 = olsOk(factorOls(pd, col('followup'), { weights: swt, vcov: 'HC1' }));
    expectClose(h1.coefficients.map((k) => k.se), [0.7330821053009861643, 0.2993970142823459968, 0.0075025942632284655, 0.2951606783480322238, 0.0867774837640586799, 0.0109309060458230578, 0.1558556636294037567, 0.3162620630548143574, 0.4246185086916343665], 1e-7);
    // coef(f)["path"] + c(-1, 1) * qt(0.975, f$df.residual) * sqrt(vcovHC(f, type = "HC1")["path", "path"])
    expectClose([h1.coefficients[1]!.lower, h1.coefficients[1]!.upper], [-1.89019054727397418, -0.70641577699828106], 1e-7);
  });
  it('unweighted ANCOVA with the factor: R lm(followup ~ path + baseline + cond)', () => {
    const a = olsOk(factorOls(prepareFactorDesign({ numeric: [{ name: 'path', values: col('path') }, { name: 'baseline', values: col('baseline') }], factor: cond }), col('followup')));
    expectClose(a.beta, [-0.110114339946220885, -1.229878841519128185, 0.848288161879645952, -0.628783381292023269, 0.072808334511537093], 1e-9);
    expectClose(a.coefficients.map((k) => k.se), [0.62553185264881217, 0.312391643780982275, 0.091344932479106675, 0.319804597117233635, 0.427526826620641509], 1e-9);
  });
  it('agrees with the dense ols() (QR) on the expanded design, residuals in the original row order', () => {
    const dense = ols(designMatrix([...outcome.numeric, ...factorColumns('cond', cond.codes, cond.levels)]), col('followup'), { weights: swt, vcov: 'HC1' });
    const mine = olsOk(factorOls(pd, col('followup'), { weights: swt, vcov: 'HC1' }));
    const plain = olsOk(factorOls(pd, col('followup'), { weights: swt, vcov: 'HC1', plainKernel: true }));
    if (dense.status !== 'ok') throw new Error('dense');
    expectClose(mine.beta, dense.beta, 1e-10);
    expectClose(mine.vcov, dense.vcov, 1e-9);
    expectClose(mine.residuals, dense.residuals, 1e-9, 1e-12);
    expectClose(plain.beta, mine.beta, 1e-12);
  });
  it('factorOlsMany (one cross-product for several outcomes) gives each outcome factorOls\'s fit exactly, with cells', () => {
    // Cells of two rows each (counts 2) with within-cell sums of squares per outcome; two outcomes on one design.
    const y2 = Float64Array.from(col('followup'), (v, i) => (v > 4 ? 1 : 0) + (i % 3) * 0.1);
    const counts = new Float64Array(pd.n).fill(2);
    const ss1 = Float64Array.from({ length: pd.n }, (_, i) => (i % 5) * 0.3);
    const ss2 = Float64Array.from({ length: pd.n }, (_, i) => (i % 7) * 0.05);
    for (const vcov of ['classical', 'HC1'] as const) {
      const many = factorOlsMany(pd, [col('followup'), y2], { weights: swt, vcov, cells: { counts, sumSquares: [ss1, ss2] } });
      expect(many[0]).toEqual(factorOls(pd, col('followup'), { weights: swt, vcov, cells: { counts, sumSquares: ss1 } }));
      expect(many[1]).toEqual(factorOls(pd, y2, { weights: swt, vcov, cells: { counts, sumSquares: ss2 } }));
      expect(olsOk(many[1]!).beta[1]).not.toBeCloseTo(olsOk(many[0]!).beta[1]!, 3);
    }
    expect(() => factorOlsMany(pd, [col('followup')], { cells: { counts, sumSquares: [ss1, ss2] } })).toThrow(RangeError);
  });
});
