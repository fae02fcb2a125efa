/**
 * The comparison's pure functions on small hand-made rows: populations, edge
 * cases (one path only, no follow-up, measures without durability), the
 * durability endpoint, and the ANCOVA / responder figures against direct
 * computations with server/stats.
 */
import { describe, expect, it } from 'vitest';
import { adjustedComparison, adjustedForDefinition, cellOutcomes, crudeComparison, durability, severityBands, subgroupComparison } from '../../../server/services/compare/compute.ts';
import { allocateRows, type CompareRows } from '../../../server/services/compare/rows.ts';
import { balanceTable, designMatrix, effectiveSampleSize, ols, overlap, riskDifference, welchTTest } from '../../../server/stats/index.ts';
import { weightedDifference } from '../../../server/stats/weighted-difference.ts';
import { factorOls, prepareFactorDesign } from '../../../server/stats/factor-regression.ts';

const settings = { measure: 'pain_nrs', definition: 'pct30', denominator: 'complete_case' } as const;
const noEpisodes = { episodes: [0, 0] as [number, number], withComplication: [0, 0] as [number, number], withMajor: [0, 0] as [number, number] };

/** n rows from a generator of (path, baseline, follow-up or null, extra). */
function rowsOf(n: number, f: (i: number) => { path: 0 | 1; b: number; v: number | null; age?: number; sex?: number; cond?: number; dur?: number; prior?: number; resp?: number; loss?: number; rep?: number; last?: number; cat?: number }): CompareRows {
  const r = allocateRows(n);
  for (let i = 0; i < n; i++) {
    const x = f(i);
    r.path[i] = x.path;
    r.baseline[i] = x.b;
    r.value[i] = x.v ?? NaN;
    r.change[i] = x.v === null ? NaN : x.b - x.v;
    r.age[i] = x.age ?? 50;
    r.sex[i] = x.sex ?? 0;
    r.condition[i] = x.cond ?? 0;
    r.duration[i] = x.dur ?? 12;
    r.prior[i] = x.prior ?? 0;
    r.responseDay[i] = x.resp ?? NaN;
    r.lossDay[i] = x.loss ?? NaN;
    r.repeatDay[i] = x.rep ?? NaN;
    r.lastFollowUpDay[i] = x.last ?? NaN;
    r.category[i] = x.cat ?? 255;
  }
  return r;
}

/** A seeded generator (LCG) for covariates that are not collinear by construction. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (k: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * k);
  };
}
const pr = rng(7);
const random = Array.from({ length: 400 }, () => ({ age: 25 + pr(60), dur: 1 + pr(30), prior: pr(4), sex: pr(2), cond: pr(3), path: pr(2) as 0 | 1, b: 3 + pr(8), d: pr(6) }));

// A deterministic scatter of rows with both paths.
const mixed = rowsOf(400, (i) => {
  const path = (i * 7) % 3 === 0 ? 1 : 0;
  const b = 3 + (i % 8);
  const v = i % 5 === 0 ? null : Math.max(0, b - ((i * 13) % 7) + (path ? -1 : 0));
  return { path, b, v, age: 25 + (i % 60), sex: i % 2, cond: i % 3, dur: 1 + (i % 30), prior: i % 4 };
});

describe('crude comparison', () => {
  it('Welch, ANCOVA and the risk difference equal direct calls on the complete cases', () => {
    const c = crudeComparison(mixed, noEpisodes, settings);
    const idx = [...Array(mixed.n).keys()].filter((i) => !Number.isNaN(mixed.value[i]!));
    const ch = (t: number) => idx.filter((i) => mixed.path[i] === t).map((i) => mixed.change[i]!);
    const w = welchTTest(ch(1), ch(0));
    expect(c.difference.diff).toBeCloseTo(w.diff!, 12);
    expect(c.difference.lower).toBeCloseTo(w.lower!, 10);
    expect(c.difference.p).toBeCloseTo(w.p!, 10);
    // ANCOVA: lm(follow-up ~ path + baseline); the page reports it in change terms (sign turned).
    const fit = ols(designMatrix([{ name: 'path', values: idx.map((i) => mixed.path[i]!) }, { name: 'baseline', values: idx.map((i) => mixed.baseline[i]!) }]), idx.map((i) => mixed.value[i]!));
    if (fit.status !== 'ok') throw new Error('fit');
    expect(c.ancova!.estimate).toBeCloseTo(-fit.beta[1]!, 10);
    expect(c.ancova!.se).toBeCloseTo(fit.coefficients[1]!.se, 10);
    const resp = (t: number) => idx.filter((i) => mixed.path[i] === t && mixed.change[i]! >= 0.3 * mixed.baseline[i]! - 1e-9).length;
    const rd = riskDifference(resp(1), ch(1).length, resp(0), ch(0).length);
    expect(c.responders!.rd).toEqual(rd);
  });
  it('intention to treat counts every episode with a baseline as the denominator', () => {
    const c = crudeComparison(mixed, noEpisodes, { ...settings, denominator: 'intention_to_treat' });
    expect(c.responders!.n1).toBe(c.interventional.withBaseline);
    expect(c.responders!.n1).toBeGreaterThan(c.interventional.complete);
  });
  it('no follow-up at all: no difference, no interval, no error', () => {
    const none = rowsOf(20, (i) => ({ path: (i % 2) as 0 | 1, b: 6, v: null }));
    const c = crudeComparison(none, noEpisodes, settings);
    expect(c.difference.diff).toBeNull();
    expect(c.ancova).toBeNull();
    expect(c.interventional.complete).toBe(0);
  });
});

describe('adjusted comparison', () => {
  it('refuses with a reason when one path only has follow-ups, and with too few episodes', () => {
    const one = rowsOf(100, (i) => ({ path: 1, b: 5 + (i % 3), v: 3 }));
    expect(adjustedComparison(one, settings).result).toMatchObject({ status: 'not_estimable', reason: expect.stringContaining('Only one care path') });
    const few = rowsOf(30, (i) => ({ path: (i % 2) as 0 | 1, b: 5, v: 3 }));
    expect(adjustedComparison(few, settings).result.reason).toContain('Too few episodes');
  });
  it('leaves out, and names, a condition seen on one path only', () => {
    const r = rowsOf(400, (i) => {
      const x = random[i]!;
      return { ...x, v: Math.max(0, x.b - x.d), cond: i < 20 ? 5 : x.cond, path: i < 20 ? 1 : x.path };
    });
    const a = adjustedComparison(r, settings).result;
    expect(a.status).toBe('ok');
    expect(a.noCounterpart).toEqual([{ label: 'sacroiliac joint pain', n: 20, path: 'interventional' }]);
    expect(a.n1 + a.n0).toBe(380);
    expect(a.warnings.join(' ')).toContain('20 episodes of sacroiliac joint pain (all interventional)');
  });
  it('computed over patterns and cells, equals the row-level functions on the same rows (balance, overlap, ESS, IPW, doubly robust)', () => {
    const r = rowsOf(400, (i) => {
      const x = random[i]!;
      return { ...x, v: Math.max(0, x.b - x.d - (x.path ? 1 : 0)), path: (x.b > 6 ? pr(4) > 0 : pr(3) === 0) ? 1 : 0 };
    });
    const { result: a, internals } = adjustedComparison(r, settings);
    expect(a.status).toBe('ok');
    const idx = internals!.rows;
    const t = internals!.treat;
    const w = internals!.weights;
    const col = (c: ArrayLike<number>) => Float64Array.from(idx, (i) => c[i]!);
    const ind = (c: ArrayLike<number>, l: number) => Float64Array.from(idx, (i) => (c[i] === l ? 1 : 0));
    const rowsBalance = balanceTable(
      [
        { name: 'age', values: col(r.age) }, { name: 'baseline', values: col(r.baseline) }, { name: 'duration', values: col(r.duration) }, { name: 'prior', values: col(r.prior) },
        { name: 'sex_female', values: ind(r.sex, 0), binary: true }, { name: 'sex_male', values: ind(r.sex, 1), binary: true },
        ...[0, 1, 2].map((c) => ({ name: `c${c}`, values: ind(r.condition, c), binary: true })),
      ],
      t, w,
    );
    expect(a.balance.map((b) => b.name)).toEqual(['age', 'baseline', 'duration', 'prior', 'sex_female', 'sex_male', 'condition_low_back_pain', 'condition_radiculopathy', 'condition_spinal_stenosis']);
    a.balance.forEach((b, j) => {
      for (const k of ['smd', 'weightedSmd', 'meanTreated', 'weightedMeanControl'] as const) expect(b[k]!).toBeCloseTo(rowsBalance[j]![k]!, 10);
    });
    const ov = overlap(internals!.ps, t);
    expect(a.overlap).toMatchObject({ commonSupport: ov.commonSupport, outsideTreated: ov.outsideTreated, outsideControl: ov.outsideControl });
    expect(a.overlap!.treated.min).toBe(ov.treated.min);
    expect(a.weights!.ess1).toBeCloseTo(effectiveSampleSize(w.filter((_, k) => t[k] === 1)), 9);
    const change = col(r.change);
    const ipw = weightedDifference(change, t, w);
    expect(a.ipw!.diff).toBeCloseTo(ipw.diff!, 10);
    expect(a.ipw!.se).toBeCloseTo(ipw.se!, 10);
    const dr = factorOls(
      prepareFactorDesign({
        numeric: [{ name: 'path', values: Float64Array.from(t) }, { name: 'age', values: col(r.age) }, { name: 'baseline', values: col(r.baseline) }, { name: 'duration', values: col(r.duration) }, { name: 'prior', values: col(r.prior) }, { name: 'sex_male', values: ind(r.sex, 1) }],
        factor: { name: 'c', codes: Uint8Array.from(idx, (i) => r.condition[i]!), levels: ['0', '1', '2'] },
      }),
      change, { weights: w, vcov: 'HC1' },
    );
    if (dr.status !== 'ok') throw new Error('dr');
    expect(a.doublyRobust!.estimate).toBeCloseTo(dr.beta[1]!, 10);
    expect(a.doublyRobust!.se).toBeCloseTo(dr.coefficients[1]!.se, 10);
  });

  it('another responder definition from the reused analysis equals a fresh analysis with it, exactly; the cells\' sums are the rows\' sums', () => {
    const r = rowsOf(400, (i) => {
      const x = random[i]!;
      return { ...x, v: Math.max(0, x.b - x.d - (x.path ? 1 : 0)), path: (x.b > 6 ? pr(4) > 0 : pr(3) === 0) ? 1 : 0 };
    });
    const first = adjustedComparison(r, settings);
    expect(first.result.responders!.doublyRobust).not.toBeNull();
    for (const definition of ['pct50', 'mcid', 'pain_free', 'pct30'] as const) {
      const s = { ...settings, definition };
      const reused = adjustedForDefinition(r, first, s)!;
      const fresh = adjustedComparison(r, s);
      expect(reused.result).toEqual(fresh.result);
      expect(reused.internals).toBe(first.internals); // nothing but the responders' part was computed again
    }
    expect(adjustedForDefinition(r, first, { ...settings, definition: 'pct50' })!.result.responders!.ipw.diff).not.toBe(first.result.responders!.ipw.diff);
    // A definition without a rule for the measure: no responders, the rest unchanged.
    const none = adjustedForDefinition(r, first, { ...settings, definition: 'stopped' } as never)!;
    expect(none.result.responders).toBeNull();
    expect(none.result.doublyRobust).toEqual(first.result.doublyRobust);
    // Nothing to reuse (internals without the cells, or another confidence level): null, the caller computes afresh.
    expect(adjustedForDefinition(r, { result: first.result, internals: { ...first.internals!, stage: undefined } }, { ...settings, definition: 'pct50' })).toBeNull();
    expect(adjustedForDefinition(r, first, { ...settings, definition: 'pct50', level: 0.9 })).toBeNull();
    // cellOutcomes: every row in one cell of its pattern and path; the sums per cell are the rows' sums.
    const idx = first.internals!.rows;
    const groupOf = new Int32Array(idx.length);
    const key = new Map<string, number>();
    idx.forEach((i, k) => {
      const kk = [r.age[i], r.baseline[i], r.duration[i], r.prior[i], r.sex[i], r.condition[i]].join();
      if (!key.has(kk)) key.set(kk, key.size);
      groupOf[k] = key.get(kk)!;
    });
    const co = cellOutcomes(r, idx, groupOf, key.size, settings);
    let total = 0;
    for (let c = 0; c < co.k; c++) {
      let n = 0;
      let sum = 0;
      idx.forEach((i, k) => {
        if (co.cellOf[k] !== c) return;
        expect(groupOf[k]).toBe(co.pattern[c]);
        expect(r.path[i]).toBe(co.treat[c]);
        n++;
        sum += r.change[i]! - co.change.shift;
      });
      expect(co.count[c]).toBe(n);
      expect(co.change.sum[c]).toBeCloseTo(sum, 9);
      total += n;
    }
    expect(total).toBe(idx.length);
  });
  it('episodes without a pain duration are left out and counted', () => {
    const r = rowsOf(400, (i) => {
      const x = random[i]!;
      return { ...x, v: Math.max(0, x.b - x.d), dur: i % 10 === 0 ? NaN : x.dur };
    });
    const a = adjustedComparison(r, settings).result;
    expect(a.excludedMissingCovariates).toBe(40);
    expect(a.warnings.join(' ')).toContain('40 episodes without a recorded pain duration');
  });
  it('subgroups fall back to the crude difference when the adjusted analysis is not available, and say so', () => {
    const s = subgroupComparison(mixed, null, settings);
    expect(s.adjusted).toBe(false);
    const cond = s.families.find((f) => f.by === 'condition')!;
    expect(cond.rows.map((r) => r.key)).toEqual(['low_back_pain', 'radiculopathy', 'spinal_stenosis']);
    expect(cond.rows.reduce((t, r) => t + r.n1 + r.n0, 0)).toBe(mixed.n - mixed.value.filter((v) => Number.isNaN(v)).length);
  });
});

describe('durability', () => {
  it('time to the earlier of loss of response and a repeat procedure, censored at the last follow-up', () => {
    const r = rowsOf(6, (i) =>
      [
        { path: 1, b: 8, v: 4, resp: 14, loss: 91, last: 182 }, // event at 91 (loss)
        { path: 1, b: 8, v: 4, resp: 14, loss: 182, rep: 60, last: 182 }, // event at 60 (repeat first)
        { path: 1, b: 8, v: 4, resp: 42, last: 365 }, // censored at 365
        { path: 0, b: 8, v: 4, resp: 91, rep: 400, last: 182 }, // repeat after the last follow-up: censored at 182
        { path: 0, b: 8, v: 4, last: 91 }, // never responded: not in the population
        { path: 0, b: 8, v: 4, resp: 14, loss: 42, last: 42 }, // event at 42
      ][i]! as never,
    );
    const d = durability(r, settings);
    expect(d.n).toBe(5);
    expect(d.events).toBe(3);
    const i = d.byPath.find((c) => c.key === 'interventional')!;
    expect(i.time).toEqual([60, 91, 365]);
    expect(i.surv.map((x) => +x.toFixed(6))).toEqual([0.666667, 0.333333, 0.333333]);
    const c = d.byPath.find((x) => x.key === 'conservative')!;
    expect(c.time).toEqual([42, 182]);
    expect(c.atRisk.map((a) => a.n)).toEqual([2, 2, 1, 1, 0, 0, 0]);
    expect(durability(r, { ...settings, measure: 'odi', definition: 'mcid' }).applies).toBe(false);
    // One responder per path, both losing response on the same day: curves, but no log-rank test (zero variance).
    const flat = rowsOf(2, (i) => ({ path: i as 0 | 1, b: 8, v: 4, resp: 14, loss: 42, last: 91 }));
    const f = durability(flat, settings);
    expect(f.byPath).toHaveLength(2);
    expect(f.logRank).toBeNull();
  });
  it('severity bands cover each measure\u2019s scale without gaps', () => {
    for (const [m, values] of [['pain_nrs', [0, 3, 4, 6, 7, 10]], ['odi', [0, 20, 22, 40, 60, 100]], ['promis_pi', [30, 55, 60, 70, 80]], ['promis_pf', [20, 30, 40, 45, 60]]] as const) {
      const bands = severityBands(m);
      for (const v of values) expect(bands.filter((b) => b.test(v)).length, `${m} ${v}`).toBe(1);
    }
  });
});
