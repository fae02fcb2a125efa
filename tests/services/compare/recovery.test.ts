/**
 * The comparison recovers the demo generator's planted effects and shows the
 * planted confounder (server/services/demo/model.ts, truth.ts: sicker
 * patients and longer pain are sent to the interventional path more often,
 * and both also change how much pain improves). 15,000 patients (about
 * 30,000 episodes) generated into a test database, derived, read through the
 * analytic store by the same tasks the router runs.
 *
 * What must hold (issue 4, item 6):
 * - the crude difference estimates the planted crude difference (truth.crude)
 *   and its 95 % interval excludes the planted average effect (truth.ate):
 *   the crude comparison visibly misses it;
 * - the doubly robust estimate's interval covers the planted ATE, and the
 *   IPW estimate's too; the matched estimate covers the planted ATT;
 * - the balance table shows the confounder before weighting (baseline score
 *   |SMD| well above 0.1) and balance after it (every |SMD| < 0.1), so the
 *   page raises no warning;
 * - the subgroup estimates by condition recover each condition's planted
 *   effect (Bonferroni over the nine conditions), and the interaction test
 *   detects that the planted effect differs by condition.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { inProcessAnalytics } from '../../../server/services/analytics/runtime.ts';
import type { AdjustedComparison, CrudeComparison, DurabilityResult, MatchedComparison, SubgroupFamily } from '../../../server/services/compare/compute.ts';
import type { CompareTaskInput } from '../../../server/services/compare/tasks.ts';
import { generateDemoPractice, plantedTruth } from '../../../server/services/demo/index.ts';
import { crudeComparison } from '../../../server/services/compare/compute.ts';
import { loadCompareRows } from '../../../server/services/compare/load.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';

let db: Db;
const truth = plantedTruth().pathEffect.m3;
const input: CompareTaskInput = { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: {} };
let crude: CrudeComparison;
let adjusted: AdjustedComparison;
let subgroups: { adjusted: boolean; families: SubgroupFamily[] };
let km: DurabilityResult;
let matched: MatchedComparison | null;

beforeAll(async () => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 15_000, seed: 4242 });
  refreshOutcomes(db);
  const a = inProcessAnalytics(db);
  crude = await a.runTask('compare.crude', input);
  const full = await a.runTask('compare.full', input);
  adjusted = full.adjusted;
  subgroups = full.subgroups;
  km = full.durability;
  matched = await a.runTask('compare.matched', input);
}, 240_000);

const covers = (lo: number | null | undefined, hi: number | null | undefined, x: number) => lo !== null && lo !== undefined && hi !== null && hi !== undefined && lo <= x && x <= hi;

describe('planted effects at 3 months (pain NRS), recovered by the comparison', () => {
  it('the crude difference estimates the planted crude difference and its interval excludes the planted effect', () => {
    const d = crude.difference;
    expect(covers(d.lower, d.upper, truth.crude), `crude ${d.diff} (${d.lower}, ${d.upper}) vs planted crude ${truth.crude}`).toBe(true);
    expect(d.lower!, `crude interval must exclude the planted ATE ${truth.ate}`).toBeGreaterThan(truth.ate);
    expect(d.diff! - truth.ate).toBeGreaterThan(0.35); // about twice the planted effect
  });

  it('the doubly robust estimate (the headline) and the IPW estimate cover the planted average effect (ATE)', () => {
    expect(adjusted.status).toBe('ok');
    const dr = adjusted.doublyRobust!;
    expect(covers(dr.lower, dr.upper, truth.ate), `DR ${dr.estimate} (${dr.lower}, ${dr.upper}) vs planted ATE ${truth.ate}`).toBe(true);
    expect(dr.upper).toBeLessThan(crude.difference.lower!); // the adjusted interval excludes the crude answer
    const ipw = adjusted.ipw!;
    expect(covers(ipw.lower, ipw.upper, truth.ate), `IPW ${ipw.diff} (${ipw.lower}, ${ipw.upper}) vs ${truth.ate}`).toBe(true);
  });

  it('1:1 caliper matching estimates the effect among interventional episodes (ATT)', () => {
    expect(matched?.status).toBe('ok');
    const m = matched!.difference!;
    expect(covers(m.lower, m.upper, truth.att), `matched ${m.mean} (${m.lower}, ${m.upper}) vs planted ATT ${truth.att}`).toBe(true);
    // More interventional than conservative episodes, matched without replacement: many interventional
    // episodes find no partner, and the page must say so, and name any covariate the pairs still differ in.
    expect(matched!.unmatchedTreated).toBeGreaterThan(0.1 * matched!.nTreated);
    expect(matched!.warnings.some((w) => w.includes('found no conservative episode within the caliper'))).toBe(true);
    for (const b of matched!.balance) {
      expect(b.balanced).toBe(Math.abs(b.smdAfter!) < 0.1);
      if (!b.balanced) expect(matched!.warnings.join(' ')).toContain(b.label);
    }
    const base = matched!.balance.find((b) => b.name === 'baseline')!;
    expect(Math.abs(base.smdAfter!)).toBeLessThan(Math.abs(base.smdBefore!) / 3); // matching removes most of the imbalance
  });

  it('the balance table shows the planted confounder before weighting and balance after it', () => {
    const base = adjusted.balance.find((b) => b.name === 'baseline')!;
    expect(base.smd!).toBeGreaterThan(0.5); // sicker patients sent for procedures
    expect(base.meanTreated!).toBeGreaterThan(base.meanControl!);
    const duration = adjusted.balance.find((b) => b.name === 'duration')!;
    expect(duration.smd!).toBeGreaterThan(0.1);
    for (const b of adjusted.balance) expect(Math.abs(b.weightedSmd!), b.label).toBeLessThan(0.1);
    expect(adjusted.imbalanced).toEqual([]);
    expect(adjusted.poorOverlap).toBe(false);
    expect(adjusted.settled).toBe(true);
    expect(adjusted.warnings).toEqual([]);
    // the propensity model finds the planted direction: higher baseline, longer pain -> interventional
    const coef = (n: string) => adjusted.propensity!.coefficients.find((c) => c.name === n)!.estimate;
    expect(coef('baseline')).toBeGreaterThan(0.4);
    expect(coef('duration') * 12).toBeGreaterThan(0.05);
  });

  it('subgroups by condition recover each planted conditional effect; the interaction test detects that they differ', () => {
    const fam = subgroups.families.find((f) => f.by === 'condition')!;
    expect(subgroups.adjusted).toBe(true);
    const z = normalQuantile(1 - 0.05 / (2 * fam.rows.length), 0, 1);
    const report = fam.rows.map((r) => `${r.key}: ${r.estimate?.toFixed(3)} ± ${r.se?.toFixed(3)} planted ${(truth.byCondition as Record<string, number>)[r.key]}`).join('\n');
    expect(fam.rows.length).toBe(9);
    for (const r of fam.rows) {
      const planted = (truth.byCondition as Record<string, number>)[r.key]!;
      expect(Math.abs(r.estimate! - planted), report).toBeLessThan(z * r.se!);
    }
    expect(fam.interaction!.p).toBeLessThan(0.001);
    // every family is present, each subgroup with its n; none is dropped for being small
    expect(subgroups.families.map((f) => f.by)).toEqual(['condition', 'region', 'age_band', 'sex', 'severity']);
    const sex = subgroups.families.find((f) => f.by === 'sex')!;
    expect(sex.rows.some((r) => r.small)).toBe(true); // 'other' / 'unknown' sex: few episodes, flagged, still shown
  });

  it('the crude task (read straight from the store) equals the crude comparison of the gathered rows', () => {
    const { rows, counts } = loadCompareRows(inProcessAnalytics(db).storeNow(), { ...input, fresh: true });
    const c = crudeComparison(rows, counts, { measure: 'pain_nrs', definition: 'pct30', denominator: 'complete_case' });
    expect(c.interventional.complete).toBe(crude.interventional.complete);
    expect(c.responders).toEqual(crude.responders);
    expect(c.complications).toEqual(crude.complications);
    expect(c.difference.diff!).toBeCloseTo(crude.difference.diff!, 12);
    expect(c.difference.se!).toBeCloseTo(crude.difference.se!, 12);
    expect(c.ancova!.estimate).toBeCloseTo(crude.ancova!.estimate, 12);
  });

  it('another responder definition on the same rows gives that definition\u2019s adjusted responders, not the last one\u2019s', async () => {
    const a = inProcessAnalytics(db);
    const pct50 = await a.runTask('compare.full', { ...input, definition: 'pct50' });
    expect(pct50.adjusted.responders!.ipw.diff).not.toBeCloseTo(adjusted.responders!.ipw.diff!, 6);
    expect(pct50.adjusted.doublyRobust).toEqual(adjusted.doublyRobust); // the change does not depend on it
    const crude50 = await a.runTask('compare.crude', { ...input, definition: 'pct50' });
    expect(crude50.responders!.x1).toBeLessThan(crude.responders!.x1);
  });

  it('ANCOVA, responders and complications are computed on the same episodes', () => {
    expect(crude.ancova!.n).toBe(crude.interventional.complete + crude.conservative.complete);
    // Adjusting for the baseline alone removes most of the planted confounding (the baseline is the main confounder).
    expect(crude.ancova!.estimate).toBeLessThan(crude.difference.diff! - 0.3);
    const r = crude.responders!;
    expect(r.n1).toBe(crude.interventional.complete);
    expect(r.rd.diff).toBeCloseTo(r.x1 / r.n1 - r.x0 / r.n0, 12);
    expect(crude.complications.any.n1 + crude.complications.any.n0).toBeGreaterThan(r.n1 + r.n0);
  });

  it('durability: Kaplan-Meier by path and category with log-rank tests and medians', () => {
    expect(km.applies).toBe(true);
    expect(km.byPath.map((c) => c.key)).toEqual(['interventional', 'conservative']);
    expect(km.byPath[0]!.n + km.byPath[1]!.n).toBe(km.n);
    for (const c of km.byPath) {
      expect(c.atRisk[0]!.n).toBe(c.n);
      expect(c.surv.every((s, i) => i === 0 || s <= c.surv[i - 1]!)).toBe(true);
      expect(c.median.median).not.toBeNull();
    }
    expect(km.logRank!.p).toBeLessThan(0.05);
    expect(km.byCategory.length).toBeGreaterThan(5);
    expect(km.logRankCategory!.df).toBe(km.byCategory.length - 1);
  });
});
