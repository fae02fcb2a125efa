/**
 * The engine recovers the demo generator's planted effects
 * (server/services/demo/truth.ts: exact expectations of the generating model)
 * within the confidence intervals it reports. 15,000 patients (about 30,000
 * episodes) generated into a test database, derived by refreshOutcomes, read
 * through the same services as the router.
 *
 * With many intervals checked at once, a few nominal 95 % intervals miss by
 * chance; each family is therefore checked at its Bonferroni level (all must
 * hold), and at most a small number may miss nominally.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { privacyFor } from '../../../server/auth/privacy.ts';
import { generateDemoPractice, plantedTruth } from '../../../server/services/demo/index.ts';
import { DEFAULT_DEFINITIONS } from '../../../server/services/outcomes/derive-rules.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { opioidFigures } from '../../../server/services/outcomes/safety.ts';
import { outcomeBreakdown, outcomeTrajectory } from '../../../server/services/outcomes/summary.ts';

let db: Db;
const truth = plantedTruth();
const ctx = () => ({ db, privacy: privacyFor({ user: { id: 1, role: 'physician', providerId: 1 }, privacy: { smallCellThreshold: 11 } }) });
const z = (level: number) => normalQuantile(1 - (1 - level) / 2, 0, 1);

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 15_000, seed: 4242 });
  refreshOutcomes(db);
}, 180_000);

type Check = { what: string; estimate: number; se: number; planted: number };

/** Every check within its Bonferroni interval; at most `nominalMisses` outside the nominal 95 %. */
function expectRecovered(checks: Check[], nominalMisses: number): void {
  const zFamily = z(1 - 0.05 / checks.length);
  const report = checks.map((c) => `${c.what}: ${c.estimate.toFixed(3)} (planted ${c.planted.toFixed(3)}, z ${((c.estimate - c.planted) / c.se).toFixed(2)})`).join('\n');
  for (const c of checks) expect(Math.abs(c.estimate - c.planted), report).toBeLessThan(zFamily * c.se);
  expect(checks.filter((c) => Math.abs(c.estimate - c.planted) > z(0.95) * c.se).length, report).toBeLessThanOrEqual(nominalMisses);
}

describe('planted effects, recovered by the outcome engine', () => {
  it('mean pain change per treatment category at 3 months: each planted mean in the reported interval', async () => {
    const b = await outcomeBreakdown(ctx(), { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: {}, by: 'category' });
    const planted = truth.meanChange.byCategory;
    expect(b.groups.map((g) => g.key).sort()).toEqual(Object.keys(planted).sort());
    const checks: Check[] = b.groups.map((g) => {
      const c = g.change;
      expect(c.n as number).toBeGreaterThan(100);
      // The reported interval is the t-interval: its half-width / t is the SE.
      return { what: g.key!, estimate: c.mean!, se: (c.upper! - c.mean!) / 1.96, planted: planted[g.key as keyof typeof planted]!.m3 };
    });
    expectRecovered(checks, 2);
    // Most planted means lie inside the 95 % interval the page shows.
    const inside = b.groups.filter((g) => {
      const p = planted[g.key as keyof typeof planted]!.m3;
      return g.change.lower! <= p && p <= g.change.upper!;
    });
    expect(inside.length).toBeGreaterThanOrEqual(b.groups.length - 2);
  });

  it('mean pain change per care path at every window (the trajectory)', async () => {
    const t = await outcomeTrajectory(ctx(), { measure: 'pain_nrs', definition: 'pct30', filters: {}, by: 'care_path' }, DEFAULT_DEFINITIONS.windows);
    const checks = t.series.flatMap((s) =>
      s.points.map((p) => ({
        what: `${s.key} ${p.window}`,
        estimate: p.change.mean!,
        se: (p.change.upper! - p.change.mean!) / 1.96,
        planted: truth.meanChange.byPath[s.key as 'interventional' | 'conservative'][p.window],
      })),
    );
    expect(checks.length).toBe(10);
    expectRecovered(checks, 1);
  });

  it('ODI change per category and PROMIS pain interference per care path at 3 months', async () => {
    const odi = await outcomeBreakdown(ctx(), { measure: 'odi', window: 'm3', definition: 'mcid', denominator: 'complete_case', filters: {}, by: 'category' });
    const pi = await outcomeBreakdown(ctx(), { measure: 'promis_pi', window: 'm3', definition: 'mcid', denominator: 'complete_case', filters: {}, by: 'care_path' });
    const checks: Check[] = [
      ...odi.groups
        .filter((g) => (g.change.n as number) >= 30 && truth.meanChange.odiByCategory[g.key as never])
        .map((g) => ({ what: `ODI ${g.key}`, estimate: g.change.mean!, se: (g.change.upper! - g.change.mean!) / 1.96, planted: truth.meanChange.odiByCategory[g.key as keyof typeof truth.meanChange.odiByCategory]!.m3 })),
      ...pi.groups.map((g) => ({
        what: `PROMIS PI ${g.key}`,
        estimate: g.change.mean!,
        se: (g.change.upper! - g.change.mean!) / 1.96,
        planted: truth.meanChange.promisPiByPath[g.key as 'interventional' | 'conservative'].m3,
      })),
    ];
    expect(checks.length).toBeGreaterThan(6);
    expectRecovered(checks, 2);
  });

  it('responder rates per care path, each definition, in their Wilson intervals', async () => {
    const defs = { pct30: 'pct30', pct50: 'pct50', mcid: 'mcid2', pain_free: 'painFree' } as const;
    const checks: Check[] = [];
    for (const [definition, name] of Object.entries(defs) as Array<[keyof typeof defs, (typeof defs)[keyof typeof defs]]>) {
      const b = await outcomeBreakdown(ctx(), { measure: 'pain_nrs', window: 'm3', definition, denominator: 'complete_case', filters: {}, by: 'care_path' });
      for (const g of b.groups) {
        const r = g.responders!;
        const planted = truth.responders.byPath[g.key as 'interventional' | 'conservative'].m3[name];
        expect(r.lower! <= planted && planted <= r.upper!, `${g.key} ${definition}: ${r.p} [${r.lower}, ${r.upper}] vs ${planted}`).toBe(true);
        checks.push({ what: `${g.key} ${definition}`, estimate: r.p!, se: Math.sqrt((planted * (1 - planted)) / (r.n as number)), planted });
      }
    }
    expectRecovered(checks, 1);
  });

  it('opioids: on opioids at baseline, reduced by half and stopped at 3 months, per care path', async () => {
    const o = await opioidFigures(ctx(), { window: 'm3', denominator: 'complete_case', filters: {}, by: 'care_path' });
    const checks: Check[] = o.groups.flatMap((g) => {
      const t = truth.opioids[g.key as 'interventional' | 'conservative'];
      const prop = (what: string, f: { p: number | null; n: unknown }, planted: number) => ({
        what: `${g.key} ${what}`,
        estimate: f.p!,
        se: Math.sqrt((planted * (1 - planted)) / (f.n as number)),
        planted,
      });
      return [
        prop('on opioids at baseline', g.onOpioidsAtBaseline, t.onOpioidsAtBaseline),
        prop('reduced', g.reduced, t.byWindow.m3.reduced),
        prop('stopped', g.stopped, t.byWindow.m3.stopped),
        { what: `${g.key} MME change`, estimate: g.mmeChange.mean!, se: (g.mmeChange.upper! - g.mmeChange.mean!) / 1.96, planted: t.byWindow.m3.meanChange },
      ];
    });
    expectRecovered(checks, 1);
  });
});
