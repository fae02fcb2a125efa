/**
 * The outcome figures end to end: rows written through the record store,
 * derived by refreshOutcomes, read through the services the router calls.
 * Edge cases of ../shared/spec/domain.md, each with figures worked out by
 * hand in the test.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import type { Measure } from '../../../db/schema/vocabulary.ts';
import { privacyFor } from '../../../server/auth/privacy.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { DEFAULT_DEFINITIONS } from '../../../server/services/outcomes/derive-rules.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { complicationFigures, opioidFigures } from '../../../server/services/outcomes/safety.ts';
import { outcomeBreakdown, outcomeDistribution, outcomeTrajectory, type OutcomeQuery } from '../../../server/services/outcomes/summary.ts';
import { Practice } from './practice.ts';

const START = '2024-03-01';
const day = (n: number, start = START) => daysToIso(parseIsoDate(start)! + n);

let db: Db;
let p: Practice;
const admin = () => ({ db, privacy: privacyFor({ user: { id: 1, role: 'admin', providerId: null }, privacy: { smallCellThreshold: 11 } }) });

const query = (over: Partial<OutcomeQuery> = {}): OutcomeQuery => ({
  measure: 'pain_nrs',
  window: 'm3',
  definition: 'pct30',
  denominator: 'complete_case',
  filters: {},
  ...over,
});

let n = 0;
/** A patient with one episode starting `start` (ESI unless said), and pain scores at day offsets. */
function episode(points: Array<[offset: number, value: number]>, opts: { start?: string; category?: 'epidural_steroid_injection' | 'physical_therapy' | 'radiofrequency_ablation'; measure?: Measure } = {}) {
  const i = ++n;
  const start = opts.start ?? START;
  const category = opts.category ?? 'epidural_steroid_injection';
  p.patient(`P${i}`);
  p.episode(`E${i}`, `P${i}`, start, { carePath: category === 'physical_therapy' ? 'conservative' : 'interventional' });
  p.treatment(`T${i}`, `E${i}`, start, { category, code: category === 'physical_therapy' ? '97110' : category === 'radiofrequency_ablation' ? '64635' : '62323' });
  if (points.length) p.observations(`P${i}`, opts.measure ?? 'pain_nrs', points.map(([o, v]) => [day(o, start), v]), { episodeKey: `E${i}` });
  return `E${i}`;
}

beforeEach(() => {
  db = createTestDb();
  p = new Practice(db);
  n = 0;
});

describe('edge cases of the definitions, through the service', () => {
  it('a baseline of 0 is never a percent responder; change and the other definitions still count it', async () => {
    episode([[0, 0], [91, 0]]); // change 0: pain-free, not a percent or MCID responder
    episode([[0, 0], [91, 3]]); // change -3: worse
    episode([[0, 8], [91, 4]]); // change 4: 50 %, MCID, not pain-free
    refreshOutcomes(db);
    const rate = async (definition: OutcomeQuery['definition']) => (await outcomeBreakdown(admin(), { ...query({ definition }), by: 'care_path' })).overall.responders!;
    expect(await rate('pct30')).toMatchObject({ x: 1, n: 3 });
    expect(await rate('pct50')).toMatchObject({ x: 1, n: 3 });
    expect(await rate('mcid')).toMatchObject({ x: 1, n: 3 });
    expect(await rate('pain_free')).toMatchObject({ x: 1, n: 3 });
    const o = (await outcomeBreakdown(admin(), { ...query(), by: 'care_path' })).overall;
    expect(o.change.mean).toBeCloseTo((0 - 3 + 4) / 3, 12);
    expect([o.change.q1, o.change.median, o.change.q3]).toEqual([-1.5, 0, 2]);
  });

  it('of two observations equally near the target, the earlier counts', async () => {
    // m3 targets day 91: days 89 and 93 are both 2 days off.
    episode([[0, 8], [89, 6], [93, 2]]);
    refreshOutcomes(db);
    const o = (await outcomeBreakdown(admin(), { ...query(), by: 'care_path' })).overall;
    expect(o.change).toMatchObject({ n: 1, mean: 2, median: 2 });
    expect(o.responders).toMatchObject({ x: 0, n: 1 }); // 2 of 8 is 25 %, under 30 %
  });

  it('an observation outside every window is no follow-up: the episode counts as missing, and in intention to treat as a non-responder', async () => {
    episode([[0, 8], [3, 1], [140 + 400, 1]]); // day 3 is before 2 weeks, day 540 after 12 months
    episode([[0, 8], [91, 2]]);
    refreshOutcomes(db);
    for (const window of ['w2', 'w6', 'm3', 'm6', 'm12'] as const) {
      const o = (await outcomeBreakdown(admin(), { ...query({ window }), by: 'care_path' })).overall;
      expect(o.withBaseline).toBe(2);
      expect(o.complete).toBe(window === 'm3' ? 1 : 0);
    }
    const cc = (await outcomeBreakdown(admin(), { ...query(), by: 'care_path' })).overall;
    expect(cc.missingFollowUp).toBe(1);
    expect(cc.followUp).toMatchObject({ x: 1, n: 2, p: 0.5 });
    expect(cc.responders).toMatchObject({ x: 1, n: 1, p: 1 });
    const itt = (await outcomeBreakdown(admin(), { ...query({ denominator: 'intention_to_treat' }), by: 'care_path' })).overall;
    expect(itt.responders).toMatchObject({ x: 1, n: 2, p: 0.5 });
  });

  it('episodes without a baseline are counted as such and left out of every change figure', async () => {
    episode([[14, 3], [91, 2]]); // follow-ups only
    episode([[-31, 9], [91, 2]]); // a score 31 days before: outside the baseline period
    episode([]); // no scores at all
    episode([[-5, 6], [91, 3]]);
    refreshOutcomes(db);
    const o = (await outcomeBreakdown(admin(), { ...query({ denominator: 'intention_to_treat' }), by: 'care_path' })).overall;
    expect(o).toMatchObject({ episodes: 4, withBaseline: 1, noBaseline: 3, complete: 1, missingFollowUp: 0 });
    expect(o.change).toMatchObject({ n: 1, mean: 3 });
    expect(o.responders).toMatchObject({ x: 1, n: 1 });
  });

  it('an empty window has no figures (n = 0, nothing estimable), and intention to treat counts everyone as a non-responder', async () => {
    episode([[0, 7], [91, 3]]);
    episode([[0, 6], [182, 3]]);
    refreshOutcomes(db);
    const o = (await outcomeBreakdown(admin(), { ...query({ window: 'w2' }), by: 'care_path' })).overall;
    expect(o.complete).toBe(0);
    expect(o.change).toEqual({ n: 0, mean: null, sd: null, lower: null, upper: null, median: null, q1: null, q3: null });
    expect(o.responders).toEqual({ x: 0, n: 0, p: null, lower: null, upper: null });
    expect(o.followUp).toMatchObject({ x: 0, n: 2, p: 0, lower: 0 });
    const itt = (await outcomeBreakdown(admin(), { ...query({ window: 'w2', denominator: 'intention_to_treat' }), by: 'care_path' })).overall;
    expect(itt.responders).toMatchObject({ x: 0, n: 2, p: 0, lower: 0 });
    const t = await outcomeTrajectory(admin(), { measure: 'pain_nrs', definition: 'pct30', filters: {}, by: 'care_path' }, DEFAULT_DEFINITIONS.windows);
    expect(t.series.map((s) => s.points.map((x) => [x.window, x.change.n, x.change.mean]))).toEqual([
      [
        ['w2', 0, null],
        ['w6', 0, null],
        ['m3', 1, 4],
        ['m6', 1, 3],
        ['m12', 0, null],
      ],
    ]);
  });

  it('a single-episode group has its change as mean and median, and no SD or interval', async () => {
    episode([[0, 8], [91, 2]], { category: 'radiofrequency_ablation' });
    episode([[0, 6], [91, 5]]);
    episode([[0, 7], [91, 6]]);
    refreshOutcomes(db);
    const b = await outcomeBreakdown(admin(), { ...query(), by: 'category' });
    const rfa = b.groups.find((g) => g.key === 'radiofrequency_ablation')!;
    expect(rfa.change).toEqual({ n: 1, mean: 6, sd: null, lower: null, upper: null, median: 6, q1: 6, q3: 6 });
    expect(rfa.responders).toMatchObject({ x: 1, n: 1, p: 1 });
    const esi = b.groups.find((g) => g.key === 'epidural_steroid_injection')!;
    // Two changes of 1: SD 0, a zero-width interval.
    expect(esi.change).toMatchObject({ n: 2, mean: 1, sd: 0, lower: 1, upper: 1 });
    expect(b.groups.map((g) => g.label)).toEqual(['Epidural steroid injection', 'Radiofrequency ablation']);
  });
});

describe('groupings and filters', () => {
  it('groups by index month, quarter and year, and filters by index-date range and provider', async () => {
    episode([[0, 8], [91, 4]], { start: '2024-01-15' });
    episode([[0, 8], [91, 6]], { start: '2024-02-20' });
    episode([[0, 6], [91, 3]], { start: '2024-04-02' });
    refreshOutcomes(db);
    const keys = async (by: 'month' | 'quarter' | 'year') => (await outcomeBreakdown(admin(), { ...query(), by })).groups.map((g) => [g.key, g.episodes]);
    expect(await keys('month')).toEqual([
      ['2024-01', 1],
      ['2024-02', 1],
      ['2024-04', 1],
    ]);
    expect(await keys('quarter')).toEqual([
      ['2024-Q1', 2],
      ['2024-Q2', 1],
    ]);
    expect(await keys('year')).toEqual([['2024', 3]]);
    const inRange = (await outcomeBreakdown(admin(), { ...query({ filters: { from: '2024-02-20', to: '2024-04-01' } }), by: 'care_path' })).overall;
    expect(inRange).toMatchObject({ episodes: 1, change: { mean: 2 } });
    expect((await outcomeBreakdown(admin(), { ...query({ filters: { providers: [999] } }), by: 'care_path' })).overall.episodes).toBe(0);
  });

  it('the distribution of change is a histogram of the complete cases with shares of n', async () => {
    episode([[0, 8], [91, 4]]);
    episode([[0, 8], [91, 4]]);
    episode([[0, 6], [91, 7]]);
    episode([[0, 6], [91, 3]], { category: 'physical_therapy' });
    refreshOutcomes(db);
    const d = await outcomeDistribution(admin(), { measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: {}, by: 'care_path' });
    expect(d.binWidth).toBe(1);
    expect(d.edges[0]).toEqual({ from: -2.5, to: -1.5 });
    const counts = (label: string) => Object.fromEntries(d.edges.map((e, i) => [e.from + 0.5, d.series.find((s) => s.label === label)!.bins[i]!.count]).filter(([, c]) => c !== 0));
    expect(counts('Interventional')).toEqual({ '-1': 1, '4': 2 });
    expect(counts('Conservative')).toEqual({ '3': 1 });
    expect(d.series.find((s) => s.label === 'Interventional')!.bins.find((b) => b.count === 2)!.share).toBeCloseTo(2 / 3, 12);
  });
});

describe('opioids and complications', () => {
  it('counts opioid use at baseline and at the window, reduction by half and stopping, by the spec', async () => {
    const withMme = (pain: Array<[number, number]>, mme: Array<[number, number]>) => {
      const key = episode(pain);
      const i = key.slice(1);
      if (mme.length) p.observations(`P${i}`, 'mme', mme.map(([o, v]) => [day(o), v]), { episodeKey: key });
    };
    withMme([[0, 8], [91, 4]], [[0, 60], [91, 0]]); // stopped
    withMme([[0, 8], [91, 4]], [[0, 60], [91, 30]]); // reduced by exactly half
    withMme([[0, 8], [91, 4]], [[0, 60], [91, 45]]); // on, not reduced
    withMme([[0, 8]], [[0, 40]]); // on, no follow-up
    withMme([[0, 8], [91, 5]], []); // never on opioids
    withMme([[-3, 7], [95, 6]], [[95, 20]]); // started opioids by the window
    refreshOutcomes(db);
    const cc = (await opioidFigures(admin(), { window: 'm3', denominator: 'complete_case', filters: {}, by: 'care_path' })).overall;
    expect(cc.withBaselineVisit).toBe(6);
    expect(cc.onOpioidsAtBaseline).toMatchObject({ x: 4, n: 6 });
    expect(cc.onOpioidsAtWindow).toMatchObject({ x: 3, n: 5 }); // 30, 45 and the new 20, of five with a visit
    expect(cc.reduced).toMatchObject({ x: 2, n: 3 });
    expect(cc.stopped).toMatchObject({ x: 1, n: 3 });
    expect(cc.mmeChange).toMatchObject({ n: 3, mean: (60 + 30 + 15) / 3 });
    const itt = (await opioidFigures(admin(), { window: 'm3', denominator: 'intention_to_treat', filters: {}, by: 'care_path' })).overall;
    expect(itt.reduced).toMatchObject({ x: 2, n: 4 });
    expect(itt.stopped).toMatchObject({ x: 1, n: 4 });
  });

  it('complication rates are per treatment with a recorded status, by its category and care path', async () => {
    const e1 = episode([[0, 8]]);
    p.treatment('T1b', e1, day(30), { complication: 'minor' });
    p.treatment('T1c', e1, day(30), { code: '64484', complication: null }); // an add-on line: no status
    const e2 = episode([[0, 8]], { category: 'physical_therapy' });
    p.treatment('T2b', e2, day(7), { category: 'physical_therapy', code: '97110', complication: 'major' });
    refreshOutcomes(db);
    const c = await complicationFigures(admin(), {});
    const esi = c.byCategory.find((x) => x.key === 'epidural_steroid_injection')!;
    expect(esi).toMatchObject({ treatments: 2, minor: { x: 1, n: 2 }, major: { x: 0, n: 2 }, carePath: 'interventional' });
    const pt = c.byCategory.find((x) => x.key === 'physical_therapy')!;
    expect(pt).toMatchObject({ treatments: 2, minor: { x: 0 }, major: { x: 1, n: 2 } });
    expect(c.byCarePath.map((x) => [x.key, x.treatments, x.minor.x, x.major.x])).toEqual([
      ['interventional', 2, 1, 0],
      ['conservative', 2, 0, 1],
    ]);
    expect(c.overall).toMatchObject({ treatments: 4, minor: { x: 1, n: 4 }, major: { x: 1, n: 4 } });
  });

  it('for a suppressed role, a care path\'s rates are shown when its counts are not small, its small category counts withheld so they cannot be worked out', async () => {
    // Interventional: ESI 40 sessions (14 minor, 12 major), RFA 25 (3 minor, 2 major): the path has 17 minor and
    // 14 major of 65, none of them small, while RFA's counts are. Conservative: PT 30 sessions, 12 minor, 0 major.
    const sessions = (category: 'epidural_steroid_injection' | 'radiofrequency_ablation' | 'physical_therapy', n: number, minor: number, major: number) => {
      const e = episode([[0, 8]], { category });
      const code = category === 'physical_therapy' ? '97110' : category === 'radiofrequency_ablation' ? '64635' : '62323';
      // episode() gave the first session (no complication); the others follow.
      for (let k = 1; k < n; k++) {
        const complication = k <= minor ? 'minor' : k <= minor + major ? 'major' : 'none';
        p.treatment(`${e}-${k}`, e, day(k), { category, code, complication });
      }
    };
    sessions('epidural_steroid_injection', 40, 14, 12);
    sessions('radiofrequency_ablation', 25, 3, 2);
    sessions('physical_therapy', 30, 12, 0);
    refreshOutcomes(db);
    const manager = { db, privacy: privacyFor({ user: { id: 2, role: 'practice_manager', providerId: null }, privacy: { smallCellThreshold: 11 } }) };
    const c = await complicationFigures(manager, {});
    const path = c.byCarePath.find((x) => x.key === 'interventional')!;
    expect(path).toMatchObject({ treatments: 65, minor: { x: 17, n: 65 }, major: { x: 14, n: 65 }, any: { x: 31, n: 65 } });
    expect(path.any.p).toBeCloseTo(31 / 65, 12);
    expect(c.byCarePath.find((x) => x.key === 'conservative')).toMatchObject({ treatments: 30, minor: { x: 12 }, major: { x: 0 } });
    expect(c.overall).toMatchObject({ treatments: 95, minor: { x: 29 }, major: { x: 14 }, any: { x: 43 } });
    // RFA's small counts are withheld, and so many other cells with them that the path's totals less the
    // shown cells never give one of them back.
    const rfa = c.byCategory.find((x) => x.key === 'radiofrequency_ablation')!;
    expect(rfa.minor.x).toMatchObject({ suppressed: 'small' });
    expect(rfa.major.x).toMatchObject({ suppressed: 'small' });
    const procedures = c.byCategory.filter((x) => x.carePath === 'interventional');
    for (const part of ['minor', 'major', 'any'] as const) {
      const hidden = procedures.filter((x) => typeof x[part].x !== 'number');
      expect(hidden.length, part).not.toBe(1);
    }
    // Nothing in the response is a count of 1 to 10.
    const counts: number[] = [];
    JSON.stringify(c, (k, v) => (['treatments', 'x', 'n'].includes(k) && typeof v === 'number' ? (counts.push(v), v) : v));
    expect(counts.filter((x) => x >= 1 && x <= 10)).toEqual([]);
  });

  it('for a suppressed role, categories without complications keep their 0 % when their zeros protect nothing', async () => {
    // Conservative care only, shaped like the demo practice's: exercise 10 minor of 100 and medication 8 major
    // of 300 are small; heat / cold, psychological therapy and usual care recorded none.
    const sessions = (category: 'exercise_program' | 'heat_cold' | 'medication' | 'physical_therapy' | 'psychological_therapy' | 'usual_care', code: string | null, count: number, minor: number, major: number) => {
      const i = ++n;
      p.patient(`P${i}`);
      p.episode(`E${i}`, `P${i}`, START, { carePath: 'conservative' });
      for (let k = 0; k < count; k++) p.treatment(`T${i}-${k}`, `E${i}`, day(k), { category, code, complication: k < minor ? 'minor' : k < minor + major ? 'major' : 'none' });
    };
    sessions('exercise_program', '97110', 100, 10, 0);
    sessions('heat_cold', '97010', 30, 0, 0);
    sessions('medication', null, 300, 40, 8);
    sessions('physical_therapy', '97110', 400, 30, 3);
    sessions('psychological_therapy', '96158', 50, 0, 0);
    sessions('usual_care', null, 30, 0, 0);
    refreshOutcomes(db);
    const researcher = { db, privacy: privacyFor({ user: { id: 3, role: 'researcher', providerId: null }, privacy: { smallCellThreshold: 11 } }) };
    const c = await complicationFigures(researcher, {});
    expect(c.byCarePath).toMatchObject([{ key: 'conservative', treatments: 910, minor: { x: 80 }, major: { x: 11 } }]);
    for (const [key, treatments] of [['heat_cold', 30], ['psychological_therapy', 50], ['usual_care', 30]] as const) {
      expect(c.byCategory.find((x) => x.key === key), key).toMatchObject({ treatments, minor: { x: 0, p: 0 }, major: { x: 0, p: 0 } });
    }
    expect(c.byCategory.find((x) => x.key === 'exercise_program')!.minor.x).toMatchObject({ suppressed: 'small' });
    expect(c.byCategory.find((x) => x.key === 'medication')!.major.x).toMatchObject({ suppressed: 'small' });
  });
});
