import { describe, expect, it } from 'vitest';
import { designMatrix, factorColumns, logistic, ols, predictLogistic, waldTest, type LogisticFit, type OlsFit } from '../../server/stats/regression.ts';
import { episodes as d } from './fixtures/episodes.ts';
import { expectClose } from './close.ts';

// Reference: scripts/reference/regression.R (R 4.2.2, sandwich 3.0-2) on
// scripts/reference/inputs/episodes.csv (= tests/stats/fixtures/episodes.ts).

const col = (k: keyof typeof d) => Float64Array.from(d[k]);
const w = Float64Array.from(d.duration, (v) => 1 + v / 10);
const ancova = designMatrix([{ name: 'path', values: col('path') }, { name: 'baseline', values: col('baseline') }]);
const se = (f: { coefficients: { se: number }[] }) => f.coefficients.map((c) => c.se);
const est = (f: { coefficients: { estimate: number }[] }) => f.coefficients.map((c) => c.estimate);

function ok<T extends { status: string }>(r: T): Extract<T, { status: 'ok' }> {
  expect(r.status).toBe('ok');
  return r as Extract<T, { status: 'ok' }>;
}

// Both least-squares methods against the same R values: QR (the default below
// 200,000 rows, R's algorithm) and centred normal equations with refinement
// (the default above). Agreement ~1e-13; asserted at 1e-10.
describe.each(['qr', 'normal-equations'] as const)('OLS by %s (ANCOVA: follow-up ~ path + baseline)', (method) => {
  const f = ok(ols(ancova, col('followup'), { method }));
  it('coefficients, SEs, t, p and CIs match summary(lm())', () => {
    // R 4.2.2: f <- lm(followup ~ path + baseline, data = d); coef(f)
    expectClose(est(f), [-0.20402743664142833, -1.30783926137195472, 0.84160691195485959], 1e-10);
    // R 4.2.2: summary(f)$coefficients[, 2:4]
    expectClose(se(f), [0.59685148160716117, 0.30497107588289296, 0.09164002784283562], 1e-10);
    expectClose(f.coefficients.map((c) => c.statistic), [-0.34183954120719795, -4.28840426124265317, 9.18383518388090536], 1e-10);
    expectClose(f.coefficients.map((c) => c.p), [7.3295985179384315e-01, 3.2434378178307194e-05, 3.6033824192215044e-16], 1e-9);
    // R 4.2.2: confint(f)
    expectClose(f.coefficients.map((c) => c.lower), [-1.3835452150570231, -1.91053325978137023, 0.66050483650375325], 1e-10);
    expectClose(f.coefficients.map((c) => c.upper), [0.97549034177416649, -0.70514526296253921, 1.02270898740596605], 1e-10);
    // R 4.2.2: summary(f)$sigma; summary(f)$r.squared; f$df.residual; residuals(f)[1:3]
    expectClose([f.sigma, f.rSquared, f.dfResidual], [1.7529194111198128, 0.37549439551622543, 147], 1e-10);
    expectClose(Array.from(f.residuals.subarray(0, 3)), [0.99599287686725813, 1.75438596491226351, -2.09616786176089498], 1e-10);
    expect(f.coefficients.map((c) => c.name)).toEqual(['(Intercept)', 'path', 'baseline']);
  });
  it('robust HC0 / HC1 SEs match sandwich::vcovHC', () => {
    const h0 = ok(ols(ancova, col('followup'), { vcov: 'HC0', method }));
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(f, type = "HC0")))
    expectClose(se(h0), [0.636346202473536016, 0.282713849494658331, 0.089638802361863168], 1e-10);
    const h1 = ok(ols(ancova, col('followup'), { vcov: 'HC1', method }));
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(f, type = "HC1"))); vcovHC(f, type = "HC1")[2, 3]
    expectClose(se(h1), [0.642806735644781413, 0.285584114447180071, 0.090548864296449427], 1e-10);
    expectClose(h1.vcov[1 * 3 + 2]!, -0.0011405312591044256, 1e-10);
    // R 4.2.2: 2 * pt(-abs(coef(f) / sqrt(diag(vcovHC(f, type = "HC1")))), f$df.residual)  (lmtest::coeftest's rule)
    expectClose(h1.coefficients.map((c) => c.p), [7.5138980331212868e-01, 9.8576012455894575e-06, 1.8732851061519557e-16], 1e-9);
  });
  it('weighted least squares matches lm(weights = w)', () => {
    const fw = ok(ols(ancova, col('followup'), { weights: w, method }));
    // R 4.2.2: fw <- lm(followup ~ path + baseline, weights = 1 + duration/10); coef(fw); summary(fw)$coefficients[, c(2, 4)]
    expectClose(est(fw), [-0.22325074816740528, -1.1904789441596495, 0.85515258648050896], 1e-10);
    expectClose(se(fw), [0.607840603324321882, 0.328198129442942965, 0.092868811681174612], 1e-10);
    expectClose(fw.coefficients.map((c) => c.p), [7.1393464757412572e-01, 3.9429217374924061e-04, 3.1209671748879732e-16], 1e-9);
    // R 4.2.2: summary(fw)$sigma; summary(fw)$r.squared
    expectClose([fw.sigma, fw.rSquared], [2.7387699040014777, 0.36878438428219373], 1e-10);
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(fw, type = "HC0"))); ... "HC1"
    expectClose(se(ok(ols(ancova, col('followup'), { weights: w, vcov: 'HC0', method }))), [0.674527014182908502, 0.328076649772643225, 0.097582498190649847], 1e-10);
    expectClose(se(ok(ols(ancova, col('followup'), { weights: w, vcov: 'HC1', method }))), [0.681375179746077198, 0.331407462576000345, 0.098573208851047756], 1e-10);
  });
  it('no intercept', () => {
    const f0 = ok(ols(designMatrix([{ name: 'baseline', values: col('baseline') }], { intercept: false }), col('followup'), { method }));
    // R 4.2.2: f0 <- lm(followup ~ 0 + baseline); coef(f0); summary(f0)$coefficients[, 2]; summary(f0)$r.squared
    expectClose([f0.beta[0]!, f0.coefficients[0]!.se, f0.rSquared], [0.68929361451113391, 0.022452076688061078, 0.86349444101322426], 1e-10);
  });
  it('edge cases: rank deficiency, too few rows, an exact fit', () => {
    const b = col('baseline');
    const dup = designMatrix([{ name: 'baseline', values: b }, { name: 'baseline2', values: b.map((v) => 2 * v) }]);
    const r = ols(dup, col('followup'), { method });
    expect(r.status).toBe('rank_deficient');
    expect(r.status === 'rank_deficient' && r.aliased).toEqual(['baseline2']);
    expect(ols(designMatrix([{ name: 'x', values: [1, 2] }]), [3, 4], { method }).status).toBe('too_few_observations');
    const exact = ok(ols(designMatrix([{ name: 'x', values: [1, 2, 3, 4] }]), [3, 5, 7, 9], { method }));
    expectClose(Array.from(exact.beta), [1, 2], 1e-14, 1e-14);
    expect(exact.sigma).toBeLessThan(1e-14);
    expect(() => ols(ancova, col('followup'), { weights: new Float64Array(150) })).toThrow(RangeError);
    expect(() => designMatrix([{ name: 'a', values: [1, NaN, 3] }])).toThrow(/a\[1\]/);
    expect(() => designMatrix([{ name: 'a', values: [1, 2, -Infinity] }])).toThrow(/a\[2\]/);
  });
});

describe('wide designs (more than 40 columns use the plain loops)', () => {
  it('HC0 equals the sandwich written out by hand', () => {
    const n = 300;
    const q = 44;
    let s = 99;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const cols = Array.from({ length: q }, (_, j) => ({ name: `x${j}`, values: Float64Array.from({ length: n }, () => next() * (j + 1)) }));
    const X = designMatrix(cols);
    const y = Float64Array.from({ length: n }, (_, i) => cols[0]!.values[i]! + next());
    const f = ok(ols(X, y, { vcov: 'HC0' }));
    const p = X.p;
    // bread = (X'X)^{-1} from the classical fit: vcov / sigma^2
    const c = ok(ols(X, y));
    const bread = c.vcov.map((v) => v / c.sigma ** 2);
    const meat = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const e2 = f.residuals[i]! ** 2;
      for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) meat[j * p + k] = meat[j * p + k]! + e2 * X.x[i * p + j]! * X.x[i * p + k]!;
    }
    const expected = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      let v = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) v += bread[j * p + a]! * meat[a * p + b]! * bread[b * p + j]!;
      expected[j] = Math.sqrt(v);
    }
    expectClose(se(f), Array.from(expected), 1e-8);
    // normal equations' plain loops (wider than the generated kernels) agree with QR
    const ne = ok(ols(X, y, { vcov: 'HC0', method: 'normal-equations' }));
    expectClose(Array.from(ne.beta), Array.from(f.beta), 1e-8);
    expectClose(se(ne), se(f), 1e-8);
  });
});

describe('logistic regression (the propensity model)', () => {
  // The design R builds for path ~ age + sex + baseline + factor(condition) + duration + prior.
  const ps = designMatrix([
    { name: 'age', values: col('age') },
    { name: 'sex', values: col('sex') },
    { name: 'baseline', values: col('baseline') },
    ...factorColumns('condition', d.condition, ['0', '1', '2']),
    { name: 'duration', values: col('duration') },
    { name: 'prior', values: col('prior') },
  ]);
  // Iterative fits: R was run with glm.control(epsilon = 1e-14) and we stop at a
  // relative deviance change below 1e-10, so both sit at the maximum to ~1e-10;
  // asserted at 1e-7 (SEs come from the information at slightly different final iterates).
  const TOL = 1e-7;
  const g = logistic(ps, col('path')) as LogisticFit;
  it('coefficients, SEs, z, p match glm(family = binomial)', () => {
    expect(g.status).toBe('converged');
    expect(g.coefficients.map((c) => c.name)).toEqual(['(Intercept)', 'age', 'sex', 'baseline', 'condition1', 'condition2', 'duration', 'prior']);
    // R 4.2.2: g <- glm(path ~ age + sex + baseline + condition + duration + prior, binomial, control = glm.control(epsilon = 1e-14, maxit = 100)); coef(g)
    expectClose(est(g), [-4.054443984855616634, 0.021968522632042551, 0.028153457114014756, 0.329274948624814434, -0.040106733731143339, -1.152050912924516002, 0.064518009294176296, 0.711646598166845834], TOL);
    // R 4.2.2: summary(g)$coefficients[, 2:4]
    expectClose(se(g), [1.228460663751939963, 0.011916823721658993, 0.413297318538720371, 0.133987897292870334, 0.452356955370765479, 0.584799094461928237, 0.020803376341321386, 0.237683610066040274], TOL);
    expectClose(g.coefficients.map((c) => c.statistic), [-3.300426382781044943, 1.843488092562320491, 0.068119138090602341, 2.457497694027440893, -0.088661693503243794, -1.969994351623465478, 3.101323950287112385, 2.994092011515288032], TOL);
    expectClose(g.coefficients.map((c) => c.p), [0.00096538037030887368, 0.06525777867817052214, 0.94569079574850234415, 0.01399087089416937643, 0.9293507767525408525, 0.04883901791080004495, 0.00192657394393952897, 0.00275262919930915244], TOL);
    // R 4.2.2: deviance(g); g$null.deviance
    expectClose([g.deviance, g.nullDeviance], [156.84712128013234, 199.21923796923244], 1e-10);
  });
  it('fitted and predicted probabilities', () => {
    // R 4.2.2: fitted(g)[1:5]; fitted(g)[146:150]
    expectClose(Array.from(g.fitted.subarray(0, 5)), [0.20669817909388005, 0.51680486496440459, 0.31608449631989594, 0.83441412039062035, 0.89616591595975059], TOL);
    expectClose(Array.from(g.fitted.subarray(145, 150)), [0.50151378291885196, 0.72246060678251844, 0.53900903457075511, 0.71494564928025817, 0.84757444212172728], TOL);
    // R 4.2.2: predict(g, newdata = data.frame(age = c(30, 80), sex = c(0, 1), baseline = c(4, 9), condition = factor(c(0, 2), levels = 0:2), duration = c(2, 40), prior = c(0, 3)), type = "response")
    const nd = designMatrix([
      { name: 'age', values: [30, 80] }, { name: 'sex', values: [0, 1] }, { name: 'baseline', values: [4, 9] },
      ...factorColumns('condition', [0, 2], ['0', '1', '2']), { name: 'duration', values: [2, 40] }, { name: 'prior', values: [0, 3] },
    ]);
    expectClose(Array.from(predictLogistic(nd, g.beta)), [0.12463488911436722, 0.98605065362487931], TOL);
  });
  it('sandwich SEs match sandwich::vcovHC on the glm', () => {
    const h0 = logistic(ps, col('path'), { vcov: 'HC0' }) as LogisticFit;
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(g, type = "HC0")))
    expectClose(se(h0), [1.433028184905818181, 0.012894917303405737, 0.400613611708468653, 0.148793673530011494, 0.478061382670757373, 0.566889979873188787, 0.017397592750415039, 0.261996166505664374], TOL);
    const h1 = logistic(ps, col('path'), { vcov: 'HC1' }) as LogisticFit;
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(g, type = "HC1")))
    expectClose(se(h1), [1.472842099743149502, 0.013253177625679766, 0.411743885618809979, 0.152927617794790804, 0.491343393015813312, 0.582639920885198448, 0.017880951196142532, 0.269275222961662675], TOL);
  });
  it('prior weights match glm(weights = w)', () => {
    const small = designMatrix([{ name: 'age', values: col('age') }, { name: 'sex', values: col('sex') }, { name: 'baseline', values: col('baseline') }]);
    const gw = logistic(small, col('path'), { weights: w }) as LogisticFit;
    expect(gw.status).toBe('converged');
    // R 4.2.2: gw <- glm(path ~ age + sex + baseline, binomial, weights = 1 + duration/10, control = glm.control(epsilon = 1e-14)); coef(gw); summary(gw)$coefficients[, 2]
    expectClose(est(gw), [-2.318575450627244461, 0.010731468091201282, -0.131923697725249034, 0.414881111719640261], TOL);
    expectClose(se(gw), [0.6622135563557220994, 0.0075387303797384798, 0.2526670985175301087, 0.0812034944681256504], TOL);
    // R 4.2.2: deviance(gw); gw$null.deviance
    expectClose([gw.deviance, gw.nullDeviance], [406.94625375404422, 439.88776141246069], 1e-10);
    // R 4.2.2 sandwich 3.0-2: sqrt(diag(vcovHC(gw, type = "HC0")))
    const gw0 = logistic(small, col('path'), { weights: w, vcov: 'HC0' }) as LogisticFit;
    expectClose(se(gw0), [1.128487980235117538, 0.011327840238840228, 0.40399590903709659, 0.133639947338764942], TOL);
  });
  it('complete separation is flagged, not reported as a fit', () => {
    // R 4.2.2: glm(y ~ x, binomial) with x = 1:10, y = x > 5 warns "algorithm did not converge" and
    // "fitted probabilities numerically 0 or 1 occurred"; coef -245.8, 44.7 (meaningless).
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const r = logistic(designMatrix([{ name: 'x', values: x }]), x.map((v) => (v > 5 ? 1 : 0))) as LogisticFit;
    expect(r.status).toBe('separation');
    expect(r.message).toMatch(/separated/);
    expect(r.deviance).toBeLessThan(1e-6);
  });
  it('quasi-complete separation is flagged', () => {
    // R 4.2.2: glm(yq ~ xq, binomial) warns "fitted probabilities numerically 0 or 1 occurred" but reports
    // converged with coef -98.2, 19.6 and se 39288, 7858; deviance 2.7725887341561131 (= 2 * 2 log 2 from the tied pair).
    const xq = [1, 2, 3, 4, 5, 5, 6, 7, 8, 9];
    const yq = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
    const r = logistic(designMatrix([{ name: 'x', values: xq }]), yq) as LogisticFit;
    expect(r.status).toBe('separation');
    expectClose(r.deviance, 2.7725887341561131, 1e-6);
  });
  it('an outcome with one value is flagged; n <= p and collinear columns are refused', () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect(logistic(designMatrix([{ name: 'x', values: x }]), [0, 0, 0, 0, 0, 0]).status).toBe('separation');
    expect(logistic(designMatrix([{ name: 'x', values: [1, 2] }]), [0, 1]).status).toBe('too_few_observations');
    const r = logistic(designMatrix([{ name: 'a', values: x }, { name: 'b', values: x.map((v) => 3 * v + 1) }]), [0, 1, 0, 1, 1, 0]);
    expect(r.status).toBe('rank_deficient');
    expect(r.status === 'rank_deficient' && r.aliased).toEqual(['b']);
    expect(() => logistic(designMatrix([{ name: 'x', values: x }]), [0, 1, 2, 0, 1, 0])).toThrow(RangeError);
  });
});

describe('Wald test of an interaction', () => {
  const resp = col('responder');
  it('one term: responder ~ path * sex', () => {
    const path = col('path');
    const sex = col('sex');
    const X = designMatrix([{ name: 'path', values: path }, { name: 'sex', values: sex }, { name: 'path:sex', values: path.map((v, i) => v * sex[i]!) }]);
    const f = logistic(X, resp) as LogisticFit;
    // statsmodels 0.13.5: sm.Logit(resp, X).fit(tol=1e-14).params / .bse
    expectClose(est(f), [-0.2876820724517808, 0.8938178760220963, -0.5332984796180493, 0.30445690718920143], 1e-7);
    expectClose(se(f), [0.44095855184409954, 0.5685352436149618, 0.5703976992884319, 0.72414053151271], 1e-7);
    // statsmodels 0.13.5: fit.wald_test([[0, 0, 0, 1]], use_f=False, scalar=True) -> statistic, pvalue
    const wt = waldTest(f.beta, f.vcov, f.p, [3])!;
    expectClose([wt.chiSquare, wt.p], [0.17676893676661273, 0.6741647965018662], 1e-7);
    expect(wt.df).toBe(1);
  });
  it('two terms: responder ~ path * condition', () => {
    const path = col('path');
    const [c1, c2] = factorColumns('condition', d.condition, ['0', '1', '2']);
    const X = designMatrix([
      { name: 'path', values: path }, c1!, c2!,
      { name: 'path:condition1', values: path.map((v, i) => v * c1!.values[i]!) },
      { name: 'path:condition2', values: path.map((v, i) => v * c2!.values[i]!) },
    ]);
    const f = logistic(X, resp) as LogisticFit;
    // statsmodels 0.13.5: sm.Logit(resp, X2).fit(tol=1e-14).params
    expectClose(est(f), [-1.2527629684953678, 1.6739764335716716, 1.540445040947149, 0.7419373447293773, -1.5308755899309983, -0.2468600779315259], 1e-7);
    // statsmodels 0.13.5: fit2.wald_test([[0,0,0,0,1,0],[0,0,0,0,0,1]], use_f=False, scalar=True)
    const wt = waldTest(f.beta, f.vcov, f.p, [4, 5])!;
    expectClose([wt.chiSquare, wt.p], [3.4219632401979903, 0.18068833823051397], 1e-7);
    expect(wt.df).toBe(2);
  });
});

describe('logistic regression on large data', () => {
  // A synthetic 250,000-row propensity design: large enough for the warm start
  // from a subsample and the generated kernel; the result must be the maximum
  // the plain loop reaches from the default start.
  const n = 250_000;
  let s = 20261124;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const age = new Float64Array(n);
  const sev = new Float64Array(n);
  const grp = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    age[i] = 25 + 60 * next();
    sev[i] = Math.round(10 * next());
    grp[i] = next() < 0.3 ? 1 : 0;
    const lp = -2 + 0.02 * age[i]! + 0.15 * sev[i]! - 0.5 * grp[i]!;
    y[i] = next() < 1 / (1 + Math.exp(-lp)) ? 1 : 0;
  }
  const X = designMatrix([{ name: 'age', values: age }, { name: 'sev', values: sev }, { name: 'grp', values: grp }]);
  it('warm start and generated kernel reach the same maximum as the plain loop', () => {
    const fast = logistic(X, y) as LogisticFit;
    const plain = logistic(X, y, { plainKernel: true, start: [0, 0, 0, 0] }) as LogisticFit;
    expect(fast.status).toBe('converged');
    expect(plain.status).toBe('converged');
    expect(fast.iterations).toBeLessThan(plain.iterations);
    // both stop within 1e-10 relative deviance of the maximum
    expectClose(Array.from(fast.beta), Array.from(plain.beta), 1e-7);
    expectClose(se(fast), se(plain), 1e-7);
    expectClose(fast.deviance, plain.deviance, 1e-12);
    expectClose(Array.from(fast.fitted.subarray(0, 100)), Array.from(plain.fitted.subarray(0, 100)), 1e-8);
  });
  it('least squares: normal equations (the default at this size) agree with QR', () => {
    const out = Float64Array.from(age, (a, i) => 3 + 0.05 * a + 0.4 * sev[i]! - 0.8 * grp[i]! + (next() - 0.5));
    const wts = Float64Array.from(age, (a) => 0.5 + a / 100);
    for (const vcov of ['classical', 'HC1'] as const) {
      const ne = ok(ols(X, out, { weights: wts, vcov }));
      const qr = ok(ols(X, out, { weights: wts, vcov, method: 'qr' }));
      expectClose(Array.from(ne.beta), Array.from(qr.beta), 1e-10);
      expectClose(se(ne), se(qr), 1e-10);
      expectClose([ne.sigma, ne.rSquared], [qr.sigma, qr.rSquared], 1e-10);
    }
  });
  it('weighted: generated and plain kernels agree', () => {
    const w = Float64Array.from(age, (a) => 0.5 + a / 100);
    const fast = logistic(X, y, { weights: w }) as LogisticFit;
    const plain = logistic(X, y, { weights: w, plainKernel: true }) as LogisticFit;
    expectClose(Array.from(fast.beta), Array.from(plain.beta), 1e-7);
    expectClose(fast.deviance, plain.deviance, 1e-12);
  });
  it('a level missing from the subsample is still fitted', () => {
    // three rows in 250,000 carry the indicator, none of them in the every-5th-row subsample
    const rare = new Float64Array(n);
    const yr = Float64Array.from(y);
    [12_346, 12_347, 12_348].forEach((i, k) => {
      rare[i] = 1;
      yr[i] = k === 1 ? 1 : 0;
    });
    const Xr = designMatrix([{ name: 'age', values: age }, { name: 'rare', values: rare }]);
    const r = logistic(Xr, yr) as LogisticFit;
    expect(r.status).toBe('converged');
    const plain = logistic(Xr, yr, { plainKernel: true }) as LogisticFit;
    expectClose(Array.from(r.beta), Array.from(plain.beta), 1e-7);
  });
});
