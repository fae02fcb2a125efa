import { describe, expect, it } from 'vitest';
import {
  COMPARE_FILTERS,
  compareInput,
  covariatesText,
  estimateRows,
  loveRows,
  medianText,
  pText,
  rateRows,
  stepPoints,
  summarySentences,
  type Adjusted,
  type ComparePageFilters,
  type Crude,
} from '../../client/src/data/compare.ts';
import { OUTCOME_FILTERS } from '../../client/src/data/outcomes.ts';
import { defaultFilters, parseFilters, writeFilters } from '../../client/src/data/url-filters.ts';

const filters = (search: string): ComparePageFilters => parseFilters(COMPARE_FILTERS, new URLSearchParams(search));

const arm = (withBaseline: number, complete: number, responders: number, mean: number) => ({
  withBaseline, complete, responders, noFollowUp: withBaseline - complete, mean, sd: 2, lower: mean - 0.1, upper: mean + 0.1, baselineMean: 7,
});
const comp = { x1: 10, n1: 100, x0: 5, n0: 100, p1: 0.1, p0: 0.05, riskDifference: { estimate: 0.05, lower: 0, upper: 0.1 }, relativeRisk: { estimate: 2, lower: 1, upper: 4 } };
const crude = {
  measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', respondersApply: true, suppressed: false,
  interventional: arm(2500, 1700, 800, 2.9),
  conservative: arm(1710, 1200, 480, 1.9),
  difference: { estimate: 1.0, lower: 0.8, upper: 1.2, se: 0.1, df: 2800, p: 1e-9 },
  hedges: { estimate: 0.4, lower: 0.3, upper: 0.5 },
  ancova: { estimate: 0.6, lower: 0.4, upper: 0.8, se: 0.1, p: 0.001, df: 2897 },
  responders: { riskDifference: { estimate: 0.0706, lower: 0.034, upper: 0.107 }, relativeRisk: { estimate: 1.18, lower: 1.08, upper: 1.29 }, nnt: { kind: 'NNTB', nnt: 14.2, lower: 9.3, upper: 29.4 }, p1: 0.4706, p0: 0.4 },
  complications: { any: comp, major: comp },
} as unknown as Crude;
const adjusted = (over: Partial<Adjusted['adjusted']>): Adjusted =>
  ({
    adjusted: {
      status: 'ok', reason: null, n1: 1690, n0: 1195, settled: true, warnings: [], imbalanced: [], poorOverlap: false,
      ipw: { diff: 0.55, lower: 0.3, upper: 0.8, p: 0.001 }, doublyRobust: { estimate: 0.5, lower: 0.32, upper: 0.68, p: 0.0001, se: 0.09, df: 2800 },
      balance: [], covariates: ['age', 'sex', 'baseline score', 'condition group', 'pain duration', 'prior procedures'], omittedCovariates: [], ...over,
    },
    subgroups: { adjusted: true, families: [] },
    durability: { applies: true, n: 0, events: 0, byPath: [], byCategory: [], logRank: null, logRankCategory: null },
  }) as unknown as Adjusted;

describe('Compare page filters', () => {
  it('share the Outcomes page keys (condition, window, measure, definition, denominator) and add their own', () => {
    const search = 'condition=radiculopathy&window=m6&definition=mcid&denominator=intention_to_treat';
    const c = filters(search);
    const o = parseFilters(OUTCOME_FILTERS, new URLSearchParams(search));
    expect([c.condition, c.window, c.definition, c.denominator]).toEqual([o.condition, o.window, o.definition, o.denominator]);
    expect(writeFilters(COMPARE_FILTERS, { ...c, subgroup: 'sex', km: 'category' }).toString()).toBe(`${search}&km=category&subgroup=sex`);
    expect(defaultFilters(COMPARE_FILTERS).matching).toBe('off');
  });
  it('fall back to a definition the measure has, and send no care path', () => {
    const c = filters('measure=odi&definition=pct30&carePath=interventional');
    expect(c.definition).toBe('mcid');
    const input = compareInput(c);
    expect(input.measure).toBe('odi');
    expect('carePath' in input.filters!).toBe(false);
  });
});

describe('the plain-language summary', () => {
  it('names the episodes, both paths\u2019 change, the crude and the adjusted difference, and reads it as settled when balance holds', () => {
    const s = summarySentences(crude, adjusted({}), filters('condition=radiculopathy'));
    expect(s.lead).toBe(
      'Among 4,210 episodes of radiculopathy with a baseline pain score, interventional episodes improved by 2.9 points at 3 months and conservative ones by 1.9 (crude difference +1.0 points, 95% CI 0.8 to 1.2).',
    );
    expect(s.verdict.tone).toBe('settled');
    expect(s.verdict.headline).toBe('Adjusted for age, sex, baseline score, condition group, pain duration and prior procedures, the difference is +0.5 points (95% CI 0.3 to 0.7).');
    expect(s.responders).toContain('47% of interventional and 40% of conservative episodes responded (≥ 30% reduction): 7 more per 100');
    expect(s.responders).toContain('number needed to treat 15 (benefit)');
  });
  it('names only the covariates the models hold, and says why the others are left out', () => {
    const a = adjusted({
      covariates: ['age', 'sex', 'baseline score'],
      omittedCovariates: [
        { label: 'condition group', reason: 'no_variation' },
        { label: 'pain duration', reason: 'not_recorded' },
        { label: 'prior procedures', reason: 'no_variation' },
      ],
    });
    expect(summarySentences(crude, a, filters('')).verdict.headline).toBe('Adjusted for age, sex and baseline score, the difference is +0.5 points (95% CI 0.3 to 0.7).');
    expect(covariatesText(a.adjusted)).toBe(
      'age, sex and baseline score; left out: condition group (the same for every episode), pain duration (too rarely recorded), prior procedures (the same for every episode)',
    );
    expect(covariatesText(undefined)).toBe('age, sex, baseline score, condition group, pain duration and prior procedures');
  });
  it('says plainly when balance fails, with the reasons, and when no adjusted answer exists', () => {
    const warn = 'After weighting the paths still differ in Baseline score';
    const s = summarySentences(crude, adjusted({ settled: false, warnings: [warn] }), filters(''));
    expect(s.verdict.tone).toBe('caution');
    expect(s.verdict.headline).toContain('Not a settled answer');
    expect(s.verdict.details).toEqual([warn]);
    const none = summarySentences(crude, adjusted({ status: 'not_estimable', reason: 'Too few episodes', doublyRobust: null }), filters(''));
    expect(none.verdict).toEqual({ tone: 'caution', headline: 'The adjusted comparison cannot be made with these filters.', details: ['Too few episodes'] });
    const wide = summarySentences(crude, adjusted({ doublyRobust: { estimate: 0.1, lower: -0.1, upper: 0.3, p: 0.3, se: 0.1, df: 10 } }), filters(''));
    expect(wide.verdict.headline).toContain('the interval includes no difference');
  });
});

describe('tables and chart rows', () => {
  it('estimate rows: crude, ANCOVA, IPW, doubly robust (headline), matched when asked', () => {
    const rows = estimateRows(crude, adjusted({}), undefined);
    expect(rows.map((r) => r.key)).toEqual(['crude', 'ancova', 'ipw', 'dr']);
    expect(rows.find((r) => r.headline)?.key).toBe('dr');
    expect(rows[0]!.n).toBe('1,700 vs 1,200');
  });
  it('responders and complications as CSV rows, with the page\u2019s denominator', () => {
    const rows = rateRows(crude, 'complete_case');
    expect(rows.map((r) => r.figure)).toEqual(['responders (complete case)', 'any complication', 'major complication']);
    expect(rows[0]).toMatchObject({ x1: '800', n1: '1,700', x0: '480', n0: '1,200', difference: 0.0706 });
    expect(rateRows(crude, 'intention_to_treat')[0]!.n1).toBe('2,500');
  });
  it('love plot rows sorted by the imbalance before weighting', () => {
    const rows = loveRows([
      { label: 'Age', smd: 0.05, weightedSmd: 0.01, balanced: true },
      { label: 'Baseline', smd: -0.9, weightedSmd: 0.12, balanced: false },
    ] as never);
    expect(rows).toEqual([
      { label: 'Baseline', before: 0.9, after: 0.12, imbalanced: true },
      { label: 'Age', before: 0.05, after: 0.01, imbalanced: false },
    ]);
  });
  it('step points of a Kaplan-Meier curve, stopping where a limit does not exist; p-values and medians in words', () => {
    expect(stepPoints([10, 20], [0.8, 0.5])).toEqual([[0, 1], [10, 1], [10, 0.8], [20, 0.8], [20, 0.5]]);
    expect(stepPoints([10, 20], [0.8, null])).toEqual([[0, 1], [10, 1], [10, 0.8]]);
    expect(pText(0.0004)).toBe('p < 0.001');
    expect(pText(0.0042)).toBe('p = 0.004');
    expect(pText(0.2)).toBe('p = 0.20');
    expect(medianText({ median: { median: 81, lower: 80, upper: null } } as never)).toBe('81 days (95% CI 80 to not reached)');
    expect(medianText({ median: { median: null, lower: null, upper: null } } as never)).toBe('not reached');
  });
});
