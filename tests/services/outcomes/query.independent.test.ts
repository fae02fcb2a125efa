/**
 * The service's figures for a generated practice equal an independent
 * computation from the raw observations (reference.ts): every grouping, each
 * patient-reported measure, several windows, every responder definition and
 * both denominators, with filters; opioids and complications too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { privacyFor } from '../../../server/auth/privacy.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { GROUPINGS, type OutcomeFilters } from '../../../server/services/outcomes/filters.ts';
import { definitionsFor, OUTCOME_MEASURES } from '../../../server/services/outcomes/query.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { complicationFigures, opioidFigures } from '../../../server/services/outcomes/safety.ts';
import { outcomeBreakdown, outcomeTrajectory } from '../../../server/services/outcomes/summary.ts';
import { DEFAULT_DEFINITIONS } from '../../../server/services/outcomes/derive-rules.ts';
import { meanSummary, wilson } from '../../../server/stats/index.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { RecordStore } from '../../../server/services/records/store.ts';
import { baseline, figures, followUp, groupBy, loadEpisodes, WINDOWS, type RefEpisode, type Win } from './reference.ts';

let db: Db;
let all: RefEpisode[];
const ctx = () => ({ db, privacy: privacyFor({ user: { id: 1, role: 'admin', providerId: null }, privacy: { smallCellThreshold: 11 } }) });

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 1500, seed: 31 });
  addMessyEpisodes(db, 400);
  refreshOutcomes(db);
  all = loadEpisodes(db);
}, 60_000);

/**
 * Episodes the demo generator never makes: several scores per window (ties
 * around the target included), baselines of 0, scores outside every window,
 * no baseline, decimal ODI and PROMIS values, complications.
 */
function addMessyEpisodes(db: Db, count: number): void {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const store = new RecordStore(db);
  const providers = db.$client.prepare('SELECT p.key AS provider, s.key AS site FROM providers p JOIN sites s ON s.id = p.site_id').all() as Array<{ provider: string; site: string }>;
  const categories = [['epidural_steroid_injection', '64483'], ['radiofrequency_ablation', '64635'], ['physical_therapy', '97110'], ['medication', null]] as const;
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) {
      const mrn = `MESSY-${i}`;
      const start = daysToIso(parseIsoDate('2024-01-01')! + int(0, 600));
      const at = (d: number) => daysToIso(parseIsoDate(start)! + d);
      const [category, code] = categories[int(0, 3)]!;
      const pr = providers[int(0, providers.length - 1)]!;
      store.writePatients([{ mrn, birthDate: `19${int(30, 99)}-0${int(1, 9)}-1${int(0, 9)}`, sex: rand() < 0.5 ? 'female' : 'male', zip: null }], null);
      store.writeEpisodes(
        [{ key: mrn, patientMrn: mrn, carePath: category === 'physical_therapy' || category === 'medication' ? 'conservative' : 'interventional', conditionCode: 'M54.16', region: 'lumbar', providerKey: pr.provider, siteKey: pr.site, startDate: start, painDurationMonths: int(1, 40) }],
        null,
      );
      store.writeTreatments(
        [{ key: `${mrn}-T`, episodeKey: mrn, date: start, category, code, laterality: null, providerKey: pr.provider, complication: (['none', 'minor', 'major', null] as const)[int(0, 3)]! }],
        null,
      );
      const days = new Set<number>();
      if (rand() < 0.85) days.add(-int(0, 30));
      if (rand() < 0.3) days.add(-int(31, 33));
      for (const w of Object.values(WINDOWS)) {
        const k = int(0, 3);
        for (let j = 0; j < k; j++) days.add(rand() < 0.4 ? w.target + (rand() < 0.5 ? -1 : 1) * int(0, 2) : int(w.from, w.to));
      }
      if (rand() < 0.3) days.add(int(1, 6));
      if (rand() < 0.3) days.add(int(457, 500));
      const rows = [...days].flatMap((d) => [
        { key: null, patientMrn: mrn, episodeKey: mrn, date: at(d), measure: 'pain_nrs' as const, value: rand() < 0.15 ? 0 : int(0, 10) },
        { key: null, patientMrn: mrn, episodeKey: mrn, date: at(d), measure: 'odi' as const, value: int(0, 200) / 2 },
        { key: null, patientMrn: mrn, episodeKey: mrn, date: at(d), measure: 'promis_pf' as const, value: int(200, 800) / 10 },
        ...(rand() < 0.5 ? [{ key: null, patientMrn: mrn, episodeKey: mrn, date: at(d), measure: 'mme' as const, value: rand() < 0.3 ? 0 : int(1, 12) * 7.5 }] : []),
      ]);
      const r = store.writeObservations(rows, null);
      if (r.failed.length) throw new Error(JSON.stringify(r.failed[0]));
    }
  })();
}

const close = (actual: number | null, expected: number | null) => {
  if (expected === null) return expect(actual).toBeNull();
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
};

async function check(filters: OutcomeFilters, subset: RefEpisode[], by: (typeof GROUPINGS)[number], measure: (typeof OUTCOME_MEASURES)[number], window: Win, definition: string) {
  for (const denominator of ['complete_case', 'intention_to_treat'] as const) {
    const b = await outcomeBreakdown(ctx(), { measure, window, definition: definition as never, denominator, filters, by });
    const expected = groupBy(subset, by);
    expect(b.groups.map((g) => g.key).sort(), `${by} groups`).toEqual([...expected.keys()].sort());
    for (const g of [...b.groups, b.overall]) {
      const eps = g === b.overall ? subset : expected.get(g.key)!;
      const f = figures(eps, measure, window, definition);
      const what = `${measure} ${window} ${definition} ${denominator} ${by}=${g.key}`;
      expect([g.episodes, g.withBaseline, g.noBaseline, g.complete, g.missingFollowUp], what).toEqual([
        f.episodes,
        f.withBaseline,
        f.episodes - f.withBaseline,
        f.complete,
        f.withBaseline - f.complete,
      ]);
      close(g.change.mean, f.mean.mean);
      close(g.change.sd, f.mean.sd);
      close(g.change.lower, f.mean.lower);
      close(g.change.upper, f.mean.upper);
      expect([g.change.q1, g.change.median, g.change.q3], what).toEqual([f.median.q1, f.median.median, f.median.q3]);
      close(g.followUp.p, f.followUp.p);
      close(g.followUp.lower, f.followUp.lower);
      const r = denominator === 'complete_case' ? f.respondersCc : f.respondersItt;
      expect([g.responders!.x, g.responders!.n], what).toEqual([r.x, r.n]);
      close(g.responders!.p, r.p);
      close(g.responders!.lower, r.lower);
      close(g.responders!.upper, r.upper);
    }
  }
}

describe('figures equal an independent computation from the raw observations', () => {
  it('has a practice with every measure, both paths and several categories', async () => {
    expect(all.length).toBeGreaterThan(2500);
    for (const m of OUTCOME_MEASURES) expect(all.filter((e) => baseline(e, m) !== null).length, m).toBeGreaterThan(100);
  });

  it.each(GROUPINGS)('grouped by %s (pain, 3 months, every definition)', async (by) => {
    for (const definition of definitionsFor('pain_nrs')) await check({}, all, by, 'pain_nrs', 'm3', definition);
  });

  it.each(OUTCOME_MEASURES.filter((m) => m !== 'pain_nrs'))('%s by category and care path at 3 and 12 months (MCID)', async (measure) => {
    for (const window of ['m3', 'm12'] as const) for (const by of ['category', 'care_path'] as const) await check({}, all, by, measure, window, 'mcid');
  });

  it('with filters: care path, conditions, index dates, sex, age bands, providers', async () => {
    const providers = [...new Set(all.map((e) => e.provider))].slice(0, 3);
    const filters: OutcomeFilters = {
      carePath: 'interventional',
      conditions: ['radiculopathy', 'low_back_pain', 'spinal_stenosis'],
      from: '2024-06-01',
      to: '2025-12-31',
      sexes: ['female'],
      ageBands: ['40-49', '50-59', '60-69'],
      providers,
    };
    const subset = all.filter(
      (e) =>
        e.carePath === 'interventional' &&
        filters.conditions!.includes(e.condition as never) &&
        e.startDate >= '2024-06-01' &&
        e.startDate <= '2025-12-31' &&
        e.sex === 'female' &&
        filters.ageBands!.includes(e.ageBand as never) &&
        providers.includes(e.provider),
    );
    expect(subset.length).toBeGreaterThan(20);
    for (const window of ['w6', 'm6'] as const) await check(filters, subset, 'category', 'pain_nrs', window, 'pct50');
    const categories = ['epidural_steroid_injection', 'radiofrequency_ablation'] as const;
    await check({ categories: [...categories] }, all.filter((e) => (categories as readonly string[]).includes(e.category!)), 'condition', 'pain_nrs', 'm3', 'mcid');
  });

  it('the trajectory: mean change and interval at every window, per care path', async () => {
    const t = await outcomeTrajectory(ctx(), { measure: 'pain_nrs', definition: 'pct30', filters: {}, by: 'care_path' }, DEFAULT_DEFINITIONS.windows);
    for (const s of t.series) {
      const eps = all.filter((e) => e.carePath === s.key);
      for (const p of s.points) {
        const f = figures(eps, 'pain_nrs', p.window, 'pct30');
        expect([p.withBaseline, p.change.n]).toEqual([f.withBaseline, f.complete]);
        close(p.change.mean, f.mean.mean);
        close(p.change.lower, f.mean.lower);
        close(p.change.upper, f.mean.upper);
      }
    }
  });

  it('opioids: on opioids at baseline and at the window, reduced by half, stopped, MME change', async () => {
    for (const window of ['m3', 'm12'] as const) {
      const o = await opioidFigures(ctx(), { window, denominator: 'complete_case', filters: {}, by: 'care_path' });
      const itt = await opioidFigures(ctx(), { window, denominator: 'intention_to_treat', filters: {}, by: 'care_path' });
      for (const [i, g] of o.groups.entries()) {
        const eps = all.filter((e) => e.carePath === g.key && baseline(e, 'pain_nrs') !== null);
        const mb = (e: RefEpisode) => baseline(e, 'mme') ?? 0;
        const mw = (e: RefEpisode) => followUp(e, 'mme', window);
        const on = eps.filter((e) => mb(e) > 0);
        const visit = eps.filter((e) => followUp(e, 'pain_nrs', window) !== null || mw(e) !== null);
        const complete = on.filter((e) => mw(e) !== null);
        const reduced = complete.filter((e) => 2 * (mb(e) - mw(e)!) >= mb(e));
        const stopped = complete.filter((e) => mw(e) === 0);
        expect(g.withBaselineVisit).toBe(eps.length);
        expect([g.onOpioidsAtBaseline.x, g.onOpioidsAtBaseline.n]).toEqual([on.length, eps.length]);
        expect([g.onOpioidsAtWindow.x, g.onOpioidsAtWindow.n]).toEqual([visit.filter((e) => (mw(e) ?? 0) > 0).length, visit.length]);
        expect([g.reduced.x, g.reduced.n, g.stopped.x, g.stopped.n]).toEqual([reduced.length, complete.length, stopped.length, complete.length]);
        const itg = itt.groups[i]!;
        expect([itg.reduced.x, itg.reduced.n, itg.stopped.n]).toEqual([reduced.length, on.length, on.length]);
        close(itg.reduced.lower, wilson(reduced.length, on.length).lower);
        const m = meanSummary(complete.map((e) => mb(e) - mw(e)!));
        close(g.mmeChange.mean, m.mean);
        close(g.mmeChange.lower, m.lower);
      }
      expect(o.groups.length).toBe(2);
    }
  });

  it('complications per treatment with a recorded status, by category and care path', async () => {
    const c = await complicationFigures(ctx(), { conditions: ['radiculopathy'] });
    const treatments = all.filter((e) => e.condition === 'radiculopathy').flatMap((e) => e.treatments.filter((t) => t.complication !== null));
    for (const g of c.byCategory) {
      const ts = treatments.filter((t) => t.category === g.key);
      const minor = ts.filter((t) => t.complication === 'minor').length;
      const major = ts.filter((t) => t.complication === 'major').length;
      expect([g.treatments, g.minor.x, g.major.x], g.key).toEqual([ts.length, minor, major]);
      close(g.minor.upper, wilson(minor, ts.length).upper);
    }
    expect(c.overall.treatments).toBe(treatments.length);
    expect(c.byCategory.map((g) => g.key).sort()).toEqual([...new Set(treatments.map((t) => t.category))].sort());
  });
});

export { WINDOWS };
