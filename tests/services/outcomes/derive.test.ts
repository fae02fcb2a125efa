import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import type { Measure } from '../../../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { expectMatchesOracle, Practice } from './practice.ts';

const START = '2024-03-01';
/** The date `n` days after the index date. */
const day = (n: number, start = START) => daysToIso(parseIsoDate(start)! + n);

let db: Db;
let p: Practice;

beforeEach(() => {
  db = createTestDb();
  p = new Practice(db);
  p.patient('P1');
});

/** One episode E1 of P1 starting on START with the given observations of one measure, derived. */
function episodeWith(measure: Measure, points: Array<[offset: number, value: number]>, explicitEpisode = false) {
  p.episode('E1', 'P1', START);
  p.treatment('T1', 'E1', START);
  p.observations(
    'P1',
    measure,
    points.map(([n, v]) => [day(n), v]),
    explicitEpisode ? { episodeKey: 'E1' } : {},
  );
  refreshOutcomes(db);
  expectMatchesOracle(db);
  return p.measureRow('E1', measure);
}

describe('baseline', () => {
  it('is the last observation in the 30 days up to and including the index date', () => {
    const r = episodeWith('pain_nrs', [
      [-30, 8],
      [-10, 7],
      [0, 6],
      [14, 3],
    ])!;
    expect([r.baseline_value, r.baseline_day]).toEqual([6, 0]);
  });

  it('includes day -30 and excludes day -31, even when the observation names the episode', () => {
    expect(episodeWith('pain_nrs', [[-30, 8], [14, 3]], true)).toMatchObject({ baseline_value: 8, baseline_day: -30 });
    db = createTestDb();
    p = new Practice(db);
    p.patient('P1');
    const r = episodeWith('pain_nrs', [[-31, 8], [14, 3]], true)!;
    expect([r.baseline_value, r.baseline_day, r.w2_value, r.w2_change, r.w2_pct30]).toEqual([null, null, 3, null, null]);
  });

  it('keeps an episode without a baseline, with its follow-up and no change', () => {
    const r = episodeWith('pain_nrs', [
      [14, 4],
      [91, 3],
    ])!;
    expect(r).toMatchObject({ baseline_value: null, w2_value: 4, m3_value: 3, m3_change: null, m3_pct30: null, m3_mcid: null, m3_pain_free: null });
  });

  it('treats a baseline of 0 as a baseline: change is defined, percent change is not, and it is never a percent responder', () => {
    const r = episodeWith('pain_nrs', [
      [-3, 0],
      [91, 0],
    ])!;
    expect(r).toMatchObject({ baseline_value: 0, m3_value: 0, m3_change: 0, m3_pct30: 0, m3_pct50: 0, m3_mcid: 0, m3_pain_free: 1 });
    // Percent change is computed at query time; SQLite's division by zero is NULL, i.e. undefined.
    expect(db.$client.prepare('SELECT m3_change / baseline_value FROM outcome_measures').pluck().get()).toBeNull();
  });
});

describe('follow-up windows', () => {
  it('takes the observation nearest the target day', () => {
    const r = episodeWith('pain_nrs', [
      [-1, 8],
      [10, 6],
      [16, 5],
      [30, 5],
      [45, 4],
      [91, 3],
      [200, 2],
      [170, 3],
    ])!;
    expect([r.w2_day, r.w6_day, r.m3_day, r.m6_day, r.m12_day]).toEqual([16, 45, 91, 170, null]);
    expect(r.w2_value).toBe(5);
  });

  it('takes the earlier of two observations equally near the target', () => {
    const r = episodeWith('pain_nrs', [
      [-1, 8],
      [12, 6],
      [16, 5],
      [87, 4],
      [95, 3],
    ])!;
    expect([r.w2_day, r.w2_value, r.m3_day, r.m3_value]).toEqual([12, 6, 87, 4]);
  });

  it('includes both ends of every window', () => {
    const ends = [7, 21, 22, 63, 64, 135, 136, 272, 273, 456];
    const r = episodeWith(
      'pain_nrs',
      ends.map((n) => [n, 5] as [number, number]),
      true,
    )!;
    // Each window holds its two ends; the one nearer the target wins (the earlier on a tie).
    expect([r.w2_day, r.w6_day, r.m3_day, r.m6_day, r.m12_day]).toEqual([7, 22, 64, 136, 456]);
    expect(r.last_follow_up_day).toBe(456);
  });

  it('ignores observations outside every window', () => {
    const r = episodeWith('pain_nrs', [[-1, 8], [3, 2], [6, 2], [457, 1], [500, 1]], true)!;
    expect([r.w2_value, r.w6_value, r.m3_value, r.m6_value, r.m12_value, r.last_follow_up_day]).toEqual([null, null, null, null, null, null]);
    expect(p.episodeRow('E1')!.last_follow_up_day).toBeNull();
  });

  it('leaves an empty window empty, without a change or flags', () => {
    const r = episodeWith('pain_nrs', [
      [-1, 8],
      [14, 4],
      [182, 4],
    ])!;
    expect(r).toMatchObject({ w6_value: null, w6_day: null, w6_change: null, w6_pct30: null, w6_pct50: null, w6_mcid: null, w6_pain_free: null });
    expect(r).toMatchObject({ m6_value: 4, m6_change: 4 });
  });

  it('writes no measure row when no observation is in the baseline period or a window', () => {
    expect(episodeWith('odi', [[3, 40]])).toBeUndefined();
    expect(p.episodeRow('E1')).toBeDefined();
  });
});

describe('change and responders', () => {
  const pain = (b: number, v: number) =>
    episodeWith('pain_nrs', [
      [-1, b],
      [91, v],
    ])!;
  const fresh = () => {
    db = createTestDb();
    p = new Practice(db);
    p.patient('P1');
  };

  it('pain NRS: >= 30 %, >= 50 %, >= 2 points and <= 1, at their exact boundaries', () => {
    expect(pain(7, 4.9)).toMatchObject({ m3_change: 2.1, m3_pct30: 1, m3_pct50: 0, m3_mcid: 1, m3_pain_free: 0, m3_stopped: null });
    fresh();
    expect(pain(7, 5)).toMatchObject({ m3_change: 2, m3_pct30: 0, m3_mcid: 1 });
    fresh();
    expect(pain(10, 5)).toMatchObject({ m3_pct30: 1, m3_pct50: 1, m3_mcid: 1 });
    fresh();
    expect(pain(3, 1.1)).toMatchObject({ m3_change: 1.9, m3_pct30: 1, m3_pct50: 1, m3_mcid: 0, m3_pain_free: 0 });
    fresh();
    expect(pain(3, 1)).toMatchObject({ m3_pain_free: 1 });
    fresh();
    expect(pain(4, 6)).toMatchObject({ m3_change: -2, m3_pct30: 0, m3_pct50: 0, m3_mcid: 0, m3_pain_free: 0 });
  });

  it('ODI: >= 10 points; no percent flags', () => {
    expect(episodeWith('odi', [[-1, 40], [91, 30]])).toMatchObject({ m3_change: 10, m3_mcid: 1, m3_pct30: null, m3_pct50: null, m3_pain_free: null });
    fresh();
    expect(episodeWith('odi', [[-1, 40], [91, 30.5]])).toMatchObject({ m3_mcid: 0 });
  });

  it('PROMIS: >= 5 T-score points in the better direction (down for pain interference, up for physical function)', () => {
    expect(episodeWith('promis_pi', [[-1, 60], [91, 55]])).toMatchObject({ m3_change: 5, m3_mcid: 1 });
    fresh();
    expect(episodeWith('promis_pf', [[-1, 40], [91, 45]])).toMatchObject({ m3_change: 5, m3_mcid: 1 });
    fresh();
    expect(episodeWith('promis_pf', [[-1, 40], [91, 36]])).toMatchObject({ m3_change: -4, m3_mcid: 0, m3_pct30: null });
  });

  it('opioids: reduced by >= 50 % and stopped, from a baseline above 0 only', () => {
    expect(episodeWith('mme', [[-1, 60], [91, 30]])).toMatchObject({ m3_change: 30, m3_pct50: 1, m3_stopped: 0, m3_pct30: null, m3_mcid: null });
    fresh();
    expect(episodeWith('mme', [[-1, 60], [91, 31]])).toMatchObject({ m3_pct50: 0, m3_stopped: 0 });
    fresh();
    expect(episodeWith('mme', [[-1, 60], [91, 0]])).toMatchObject({ m3_pct50: 1, m3_stopped: 1 });
    fresh();
    expect(episodeWith('mme', [[-1, 0], [91, 0]])).toMatchObject({ m3_change: 0, m3_pct50: 0, m3_stopped: 0 });
    fresh();
    expect(episodeWith('mme', [[-1, 0], [91, 20]])).toMatchObject({ m3_change: -20, m3_pct50: 0, m3_stopped: 0 });
  });

  it('durability: the first response (>= 30 %), then the first later follow-up back within 30 % of baseline', () => {
    const r = episodeWith('pain_nrs', [
      [-1, 8],
      [14, 6],
      [40, 4],
      [60, 5],
      [91, 6],
      [182, 3],
    ])!;
    expect([r.response_day, r.loss_day, r.last_follow_up_day]).toEqual([40, 91, 182]);
    fresh();
    expect(episodeWith('pain_nrs', [[-1, 8], [14, 7], [91, 6]])).toMatchObject({ response_day: null, loss_day: null, last_follow_up_day: 91 });
    fresh();
    expect(episodeWith('pain_nrs', [[-1, 8], [14, 4], [91, 3]])).toMatchObject({ response_day: 14, loss_day: null });
  });
});

describe('episode facts', () => {
  it('primary treatment: the first procedure of an interventional episode, the primary code before its add-on', () => {
    p.episode('E1', 'P1', START);
    p.treatment('T1', 'E1', START, { category: 'medication', code: null });
    p.treatment('T3', 'E1', day(3), { category: 'epidural_steroid_injection', code: '64484' });
    p.treatment('T2', 'E1', day(3), { category: 'epidural_steroid_injection', code: '64483' });
    p.treatment('T4', 'E1', day(40), { category: 'epidural_steroid_injection', code: '64483', complication: 'minor' });
    p.treatment('T5', 'E1', day(50), { category: 'physical_therapy', code: '97110', complication: 'major' });
    refreshOutcomes(db);
    expect(p.episodeRow('E1')).toMatchObject({
      category: 'epidural_steroid_injection',
      code: '64483',
      cpt_family: 'esi_transforaminal',
      primary_day: 3,
      treatments: 5,
      procedures: 3,
      procedure_sessions: 2,
      repeat_day: 40,
      complications_minor: 1,
      complications_major: 1,
    });
    expectMatchesOracle(db);
  });

  it('primary treatment of a conservative episode: its first treatment; no code, no family', () => {
    p.episode('E1', 'P1', START, { carePath: 'conservative' });
    p.treatment('T1', 'E1', day(2), { category: 'epidural_steroid_injection', code: '62323' });
    p.treatment('T2', 'E1', START, { category: 'medication', code: null });
    refreshOutcomes(db);
    expect(p.episodeRow('E1')).toMatchObject({ category: 'medication', code: null, cpt_family: null, primary_day: 0, repeat_day: 2 });
    expectMatchesOracle(db);
  });

  it('an episode without treatments has no primary treatment', () => {
    p.episode('E1', 'P1', START);
    refreshOutcomes(db);
    expect(p.episodeRow('E1')).toMatchObject({ category: null, code: null, primary_day: null, treatments: 0, procedures: 0, repeat_day: null });
  });

  it('prior procedures count earlier procedure days of the patient; repeats follow the region across episodes', () => {
    p.episode('A', 'P1', '2023-01-10', { region: 'lumbar' });
    p.treatment('A1', 'A', '2023-01-10', { code: '64483' });
    p.treatment('A2', 'A', '2023-01-10', { code: '64484' });
    p.treatment('A3', 'A', '2023-02-20', { category: 'medication', code: null });
    p.treatment('A4', 'A', '2023-03-01', { category: 'facet_joint_injection', code: '64493' });
    p.episode('B', 'P1', '2023-06-01', { region: 'cervical' });
    p.treatment('B1', 'B', '2023-06-01', { code: '62321' });
    p.episode('C', 'P1', '2024-01-15', { region: 'lumbar' });
    p.treatment('C1', 'C', '2024-01-15', { category: 'radiofrequency_ablation', code: '64635' });
    refreshOutcomes(db);
    expect(p.episodeRow('A')).toMatchObject({ prior_procedures: 0, procedure_sessions: 2, repeat_day: 50 });
    expect(p.episodeRow('B')).toMatchObject({ prior_procedures: 2, repeat_day: null });
    expect(p.episodeRow('C')).toMatchObject({ prior_procedures: 3, repeat_day: null });
    // Without the within-episode repeat, A's next lumbar procedure is C's.
    db.$client.prepare(`DELETE FROM treatments WHERE key = 'A4'`).run();
    refreshOutcomes(db);
    expect(p.episodeRow('A')).toMatchObject({ repeat_day: 370 });
    expectMatchesOracle(db);
  });

  it('age and age band on the index date, sex, calendar periods, chronic pain', () => {
    p.patient('P2', '1994-03-01', 'male');
    p.patient('P3', '1944-03-02', 'female');
    p.episode('E2', 'P2', '2024-03-01', { painDurationMonths: 3 });
    p.episode('E3', 'P3', '2024-03-01', { painDurationMonths: 3.5 });
    p.episode('E4', 'P1', '2024-11-30', { painDurationMonths: null });
    refreshOutcomes(db);
    expect(p.episodeRow('E2')).toMatchObject({ age: 30, age_band: '30-39', sex: 'male', chronic: 0, index_month: 202403, index_quarter: 20241, index_year: 2024 });
    expect(p.episodeRow('E3')).toMatchObject({ age: 79, age_band: '70-79', chronic: 1 });
    expect(p.episodeRow('E4')).toMatchObject({ age: 64, age_band: '60-69', chronic: null, index_month: 202411, index_quarter: 20244, index_day: parseIsoDate('2024-11-30') });
    expectMatchesOracle(db);
  });

  it('repeats the grouping facts on every measure row', () => {
    p.episode('E1', 'P1', START, { carePath: 'conservative', conditionCode: 'M54.2', region: 'cervical' });
    p.treatment('T1', 'E1', START, { category: 'physical_therapy', code: '97110' });
    p.observations('P1', 'pain_nrs', [[day(-1), 6], [day(91), 4]]);
    p.observations('P1', 'odi', [[day(-1), 30]]);
    refreshOutcomes(db);
    for (const measure of ['pain_nrs', 'odi'] as const)
      expect(p.measureRow('E1', measure)).toMatchObject({
        care_path: 'conservative',
        condition_group: 'neck_pain',
        region: 'cervical',
        category: 'physical_therapy',
        code: '97110',
        cpt_family: 'physical_therapy',
        age_band: '60-69',
        sex: 'female',
        index_month: 202403,
      });
  });
});
