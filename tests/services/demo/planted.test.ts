/**
 * The generated data recovers the planted truths (server/services/demo/truth.ts),
 * computed straight from the stored rows with SQL as domain.md defines
 * baseline and follow-up. 20,000 patients (about 40,000 episodes, 25,000
 * complete at 3 months) so the intervals are tight enough to mean something.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { DEMO_CONDITIONS } from '../../../server/services/demo/model.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { plantedTruth, responderCutoff } from '../../../server/services/demo/truth.ts';
import { changesAt, groupBy, logisticRegression, summarise, type ChangeRow } from './helpers.ts';

let db: Db;
let m3: ChangeRow[];
const truth = plantedTruth();
const z95 = normalQuantile(0.975, 0, 1);

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 20_000, seed: 2026 });
  m3 = changesAt(db, 'm3');
}, 120_000);

describe('planted effects recovered from the stored rows at 3 months', () => {
  it('mean NRS change per index category lies in its 95 % CI (simultaneous over categories; nearly all also nominally)', () => {
    const groups = groupBy(m3, (r) => r.category);
    const expected = Object.keys(truth.meanChange.byCategory);
    expect([...groups.keys()].sort()).toEqual(expected.sort());
    // Bonferroni: with 14 categories, each nominal 95 % interval misses 5 % of the time, so the
    // family of intervals that holds together 95 % of the time is the 1 - 0.05/14 one.
    const zFamily = normalQuantile(1 - 0.025 / expected.length, 0, 1);
    let outsideNominal = 0;
    const report: string[] = [];
    for (const [category, rows] of groups) {
      const s = summarise(rows.map((r) => r.change));
      const planted = truth.meanChange.byCategory[category as keyof typeof truth.meanChange.byCategory]!.m3;
      const z = (s.mean - planted) / s.se;
      report.push(`${category}: n ${s.n}, mean ${s.mean.toFixed(3)} (planted ${planted.toFixed(3)}), z ${z.toFixed(2)}`);
      expect(s.n).toBeGreaterThan(150);
      expect(z95 * s.se).toBeLessThan(0.45); // an interval tight enough to tell categories apart
      expect(Math.abs(z), report.join('\n')).toBeLessThan(zFamily);
      if (Math.abs(z) > z95) outsideNominal++;
    }
    expect(outsideNominal, report.join('\n')).toBeLessThanOrEqual(3); // P(4 or more of 14 by chance) < 0.5 %
  });

  it('mean change per care path and per category x condition (largest cells) match', () => {
    const zFamily = normalQuantile(1 - 0.025 / 3, 0, 1); // simultaneous 95 % over the 3 checks
    for (const path of ['interventional', 'conservative'] as const) {
      const s = summarise(m3.filter((r) => r.path === path).map((r) => r.change));
      expect(Math.abs(s.mean - truth.meanChange.byPath[path].m3)).toBeLessThan(zFamily * s.se);
    }
    const esiRadic = summarise(m3.filter((r) => r.category === 'epidural_steroid_injection' && r.condition === 'radiculopathy').map((r) => r.change));
    const planted = truth.meanChange.byCategoryAndCondition.epidural_steroid_injection!.radiculopathy!.m3;
    expect(Math.abs(esiRadic.mean - planted)).toBeLessThan(zFamily * esiRadic.se);
  });

  it('responder rates (>= 30 %, >= 50 %, >= 2 points, <= 1) per path match the exact planted probabilities (simultaneous 95 %)', () => {
    const zFamily = normalQuantile(1 - 0.025 / 8, 0, 1);
    for (const path of ['interventional', 'conservative'] as const) {
      const rows = m3.filter((r) => r.path === path);
      for (const def of ['pct30', 'pct50', 'mcid2', 'painFree'] as const) {
        const hits = rows.filter((r) => r.follow_up <= responderCutoff(def, r.baseline)).length;
        const p = truth.responders.byPath[path].m3[def];
        const se = Math.sqrt((p * (1 - p)) / rows.length);
        expect(Math.abs(hits / rows.length - p), `${path} ${def}`).toBeLessThan(zFamily * se);
      }
    }
  });

  it('the crude path difference is visibly confounded; inverse-probability weighting recovers the planted effect', () => {
    const int = summarise(m3.filter((r) => r.path === 'interventional').map((r) => r.change));
    const con = summarise(m3.filter((r) => r.path === 'conservative').map((r) => r.change));
    const crude = int.mean - con.mean;
    const halfWidth = z95 * Math.sqrt(int.se ** 2 + con.se ** 2);
    const { crude: plantedCrude, ate } = truth.pathEffect.m3;

    // What a naive comparison estimates is the planted crude difference...
    expect(Math.abs(crude - plantedCrude)).toBeLessThan(halfWidth);
    // ...which misses the planted adjusted effect by far more than its own uncertainty.
    expect(Math.abs(crude - ate)).toBeGreaterThan(halfWidth);
    expect(crude - ate).toBeGreaterThan(0.3);

    // Stabilised IPW with a propensity model of the planted form (baseline, duration, condition).
    const conditions = DEMO_CONDITIONS.slice(1);
    const X = m3.map((r) => [1, r.baseline - 7, r.duration / 12 - 2, ...conditions.map((c) => (r.condition === c ? 1 : 0))]);
    const y: number[] = m3.map((r) => (r.path === 'interventional' ? 1 : 0));
    const beta = logisticRegression(X, y);
    const share = y.reduce((a, b) => a + b, 0) / y.length;
    let sw1 = 0;
    let sy1 = 0;
    let sw0 = 0;
    let sy0 = 0;
    m3.forEach((r, i) => {
      const e = 1 / (1 + Math.exp(-X[i]!.reduce((s, v, j) => s + v * beta[j]!, 0)));
      if (y[i]) {
        const w = share / e;
        sw1 += w;
        sy1 += w * r.change;
      } else {
        const w = (1 - share) / (1 - e);
        sw0 += w;
        sy0 += w * r.change;
      }
    });
    const ipw = sy1 / sw1 - sy0 / sw0;
    // The fitted propensity recovers the planted coefficients of baseline and duration...
    expect(beta[1]).toBeCloseTo(0.55, 1);
    expect(beta[2]).toBeCloseTo(0.1, 1);
    // ...and the weighted difference lands on the planted average effect, far from the crude one.
    expect(Math.abs(ipw - ate)).toBeLessThan(0.15);
    expect(Math.abs(ipw - ate)).toBeLessThan(Math.abs(crude - ate) / 3);
  });

  it('opioid outcomes per path match the planted transition probabilities (simultaneous 95 % over the 4 rates)', () => {
    const zFamily = normalQuantile(1 - 0.025 / 4, 0, 1);
    const rows = db.$client
      .prepare(
        `SELECT e.care_path AS path, b.value AS baseline, f.value AS follow_up
         FROM episodes e
         JOIN observations b ON b.episode_id = e.id AND b.measure = 'mme' AND b.date <= e.start_date
         JOIN observations f ON f.episode_id = e.id AND f.measure = 'mme'
           AND julianday(f.date) - julianday(e.start_date) BETWEEN 64 AND 135
         WHERE b.value > 0`,
      )
      .all() as Array<{ path: 'interventional' | 'conservative'; baseline: number; follow_up: number }>;
    for (const path of ['interventional', 'conservative'] as const) {
      const list = rows.filter((r) => r.path === path);
      const planted = truth.opioids[path].byWindow.m3;
      const stopped = list.filter((r) => r.follow_up === 0).length / list.length;
      const reduced = list.filter((r) => r.follow_up <= r.baseline / 2).length / list.length;
      expect(list.length).toBeGreaterThan(500);
      expect(Math.abs(stopped - planted.stopped), path).toBeLessThan(zFamily * Math.sqrt((planted.stopped * (1 - planted.stopped)) / list.length));
      expect(Math.abs(reduced - planted.reduced), path).toBeLessThan(zFamily * Math.sqrt((planted.reduced * (1 - planted.reduced)) / list.length));
    }
  });
});
