import { describe, expect, it } from 'vitest';
import {
  DEFINITIONS_BY_MEASURE,
  OUTCOME_FILTERS,
  OUTCOME_MEASURES,
  ciText,
  filtersInput,
  groupParam,
  histogramRows,
  outcomeInput,
  parseGroup,
  percentCiText,
  responderBars,
  signedChangeText,
  trajectoryRows,
  type Distribution,
  type Responders,
  type Trajectory,
} from '../../client/src/data/outcomes.ts';
import { defaultFilters, filterSearch, parseFilters } from '../../client/src/data/url-filters.ts';
import { definitionsFor } from '../../server/services/outcomes/query.ts';

const parse = (qs: string) => parseFilters(OUTCOME_FILTERS, new URLSearchParams(qs));

describe('the Outcomes page filters in the URL', () => {
  it('reads and writes the page fields next to the practice filters', () => {
    const f = parse('carePath=interventional&window=m6&definition=pct50&denominator=intention_to_treat&by=condition&group=condition%3Acrps&episode=42');
    expect(f).toMatchObject({ carePath: 'interventional', window: 'm6', definition: 'pct50', denominator: 'intention_to_treat', by: 'condition', group: 'condition:crps', episode: 42 });
    expect(filterSearch(OUTCOME_FILTERS, f)).toBe('carePath=interventional&window=m6&definition=pct50&denominator=intention_to_treat&by=condition&group=condition%3Acrps&episode=42');
    expect(filterSearch(OUTCOME_FILTERS, defaultFilters(OUTCOME_FILTERS))).toBe('');
  });

  it('keeps the responder definition to those the measure has, and leaves opioid MME to its own section', () => {
    expect(parse('measure=odi&definition=pct30')).toMatchObject({ measure: 'odi', definition: 'mcid' });
    expect(parse('measure=mme')).toMatchObject({ measure: 'pain_nrs' });
    expect(parse('episode=-3&group=%3Cscript%3E')).toMatchObject({ episode: 0, group: '' });
  });

  it('knows the same definitions per measure as the server', () => {
    for (const m of OUTCOME_MEASURES) expect([...DEFINITIONS_BY_MEASURE[m]]).toEqual(definitionsFor(m));
  });

  it('turns into the router input', () => {
    const f = parse('carePath=conservative&condition=crps,radiculopathy&provider=3,1&from=2024-01-01&measure=promis_pf');
    expect(outcomeInput(f)).toEqual({
      measure: 'promis_pf',
      window: 'm3',
      definition: 'mcid',
      denominator: 'complete_case',
      filters: { carePath: 'conservative', conditions: ['radiculopathy', 'crps'], categories: [], providers: [1, 3], sites: [], from: '2024-01-01', to: null },
    });
    expect(filtersInput(f).providers).toEqual([1, 3]);
  });

  it('names a selected group', () => {
    expect(parseGroup(groupParam('category', 'medial_branch_block'))).toEqual({ by: 'category', key: 'medial_branch_block' });
    expect(parseGroup(groupParam('category', null))).toEqual({ by: 'category', key: null });
    expect(parseGroup('provider:1')).toBeNull();
  });
});

describe('numbers as shown', () => {
  it('intervals, signs and percentages', () => {
    expect(ciText(-0.42, 1.26)).toBe('\u22120.4 to 1.3');
    expect(ciText(null, 1)).toBe('—');
    expect(signedChangeText(2)).toBe('+2.0');
    expect(signedChangeText(-1.25)).toBe('\u22121.3');
    expect(percentCiText({ x: 1, n: 2, p: 0.5, lower: 0.41, upper: 0.59 })).toBe('41% to 59%');
    expect(percentCiText({ x: 1, n: 40, p: 0.025, lower: 0.0044, upper: 0.13 })).toBe('0% to 13%');
    expect(percentCiText({ x: 1, n: 400, p: 0.0025, lower: 0.00044, upper: 0.014 })).toBe('0.0% to 1.4%');
  });
});

const change = (mean: number | null, lower: number | null, upper: number | null, n: number | { suppressed: 'small'; display: string }) => ({
  n,
  mean,
  sd: null,
  lower,
  upper,
  median: null,
  q1: null,
  q3: null,
});

describe('chart rows', () => {
  it('trajectory: a baseline point at 0 and one row per window with each path’s mean, band and n', () => {
    const t = {
      measure: 'pain_nrs',
      by: 'care_path',
      updating: false,
      series: [
        {
          key: 'interventional',
          label: 'Interventional',
          points: [
            { window: 'w2', targetDay: 14, withBaseline: 10, change: change(1.5, 1, 2, 30) },
            { window: 'm3', targetDay: 91, withBaseline: 10, change: change(null, null, null, { suppressed: 'small', display: '<11' }) },
          ],
        },
      ],
    } as unknown as Trajectory;
    expect(trajectoryRows(t)).toEqual([
      { day: 0, label: 'Baseline', tick: 'Baseline', interventional: 0, interventionalBand: [0, 0], interventionalN: '' },
      { day: 14, label: '2 weeks', tick: '2 wk', interventional: 1.5, interventionalBand: [1, 2], interventionalN: '30' },
      { day: 91, label: '3 months', tick: '3 mo', interventional: null, interventionalBand: null, interventionalN: '<11' },
    ]);
  });

  it('responders: bars in percent with whiskers, interventional first, highest rate first, withheld rows kept', () => {
    const group = (key: string, p: number | null, n: number) => ({
      key,
      label: key,
      episodes: n,
      withBaseline: n,
      complete: n,
      followUp: { x: n, n, p: 1, lower: 1, upper: 1 },
      responders: { x: p === null ? { suppressed: 'small', display: '<11' } : p * n, n, p, lower: p === null ? null : p - 0.1, upper: p === null ? null : p + 0.05 },
    });
    const r = { by: 'category', groups: [group('medication', 0.4, 100), group('radiofrequency_ablation', 0.6, 50), group('nerve_block', null, 20), group('epidural_steroid_injection', 0.5, 80)] } as unknown as Responders;
    const bars = responderBars(r);
    expect(bars.map((b) => [b.key, b.carePath, b.rate === null ? null : Math.round(b.rate)])).toEqual([
      ['radiofrequency_ablation', 'interventional', 60],
      ['epidural_steroid_injection', 'interventional', 50],
      ['nerve_block', 'interventional', null],
      ['medication', 'conservative', 40],
    ]);
    expect(bars[0]!.error![0]).toBeCloseTo(10, 10);
    expect(bars[0]!.error![1]).toBeCloseTo(5, 10);
    expect(bars[0]!.figure).toBe('60% · n 50');
    expect(bars[2]!.figure).toBe('not shown');
  });

  it('histogram: a row per bin labelled by its centre, shares in percent, withheld series left out', () => {
    const d = {
      binWidth: 1,
      edges: [
        { from: -1.5, to: -0.5 },
        { from: -0.5, to: 0.5 },
        { from: 0.5, to: 1.5 },
      ],
      series: [
        { key: 'interventional', label: 'Interventional', n: 20, withheld: false, bins: [{ count: 0, share: 0 }, { count: 5, share: 0.25 }, { count: 15, share: 0.75 }] },
        { key: 'conservative', label: 'Conservative', n: { suppressed: 'complementary', display: '—' }, withheld: true, bins: [] },
      ],
    } as unknown as Distribution;
    expect(histogramRows(d)).toEqual([
      { label: '\u22121', from: -1.5, to: -0.5, interventional: 0, interventionalCount: '0' },
      { label: '0', from: -0.5, to: 0.5, interventional: 25, interventionalCount: '5' },
      { label: '+1', from: 0.5, to: 1.5, interventional: 75, interventionalCount: '15' },
    ]);
  });
});
