/**
 * The precomputed paths of the Operations derivation against the scans they
 * replace (decision 010, performance): the episode rollup (interventional
 * share, follow-up parts) equals a scan of every episode, and the repeat
 * counts read from the day cube and the (profile, day)-ordered interval list
 * equal a scan of every procedure line, over filters on every episode field,
 * date ranges that cut months, due days that cut months, every window and
 * responder flag; and again after records change.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { FOLLOW_UP_WINDOW_NAMES, type Measure } from '../../../db/schema/vocabulary.ts';
import { buildStore, type AnalyticStore } from '../../../server/services/analytics/store.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { compile, followUpParts, pathMix, pathMixScan, repeatCounts } from '../../../server/services/operations/aggregate.ts';
import { CATS, FLAG_NAMES, operationsStoreOf } from '../../../server/services/operations/store.ts';
import type { OutcomeFilters } from '../../../server/services/outcomes/filters.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';

const DAY = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
const AS_OF = DAY('2026-11-24');

let db: Db;
let store: AnalyticStore;

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 900, seed: 4242 });
  refreshOutcomes(db);
  store = buildStore(db);
});

/** Filters on every episode field, with date ranges that start and end mid-month. */
function filterCases(): OutcomeFilters[] {
  const providers = db.$client.prepare('SELECT id FROM providers ORDER BY id LIMIT 2').pluck().all() as number[];
  const sites = db.$client.prepare('SELECT id FROM sites ORDER BY id LIMIT 1').pluck().all() as number[];
  return [
    {},
    { from: '2024-03-17', to: '2025-08-09' },
    { from: '2025-02-01', to: '2025-02-28' },
    { from: '2025-05-31', to: '2025-06-01' },
    { carePath: 'interventional', providers },
    { conditions: ['radiculopathy'], sexes: ['female'], from: '2023-11-05' },
    { categories: ['epidural_steroid_injection', 'medial_branch_block'], sites, to: '2025-12-14' },
    { ageBands: ['65-74', '75+'], codes: ['64483', '62323'] },
  ] as OutcomeFilters[];
}

function expectRollupEqualsScan(label: string): number {
  const s = operationsStoreOf(store);
  let nonEmpty = 0;
  for (const f of filterCases()) {
    const c = compile(s, f);
    for (const period of ['month', 'quarter'] as const) {
      const fromDay = Math.max(s.epFirstDay, c.from);
      const toDay = Math.min(s.epLastDay, c.to);
      if (fromDay > toDay) continue;
      const a = pathMix(s, c, period, fromDay, toDay);
      expect(a, `${label} mix ${JSON.stringify(f)} ${period}`).toEqual(pathMixScan(s, c, period, fromDay, toDay));
      if (a.counts[0].some((x) => x > 0)) nonEmpty++;
    }
    for (const measure of ['pain_nrs', 'odi'] as Measure[]) {
      FOLLOW_UP_WINDOW_NAMES.forEach((w, window) => {
        for (let flag = 0; flag < FLAG_NAMES.length; flag++) {
          // Due days that fall mid-month (and today's) so that the cut month is scanned.
          for (const asOf of [AS_OF, DAY('2025-07-16')]) {
            for (const by of ['provider', 'site'] as const) {
              const opts = { measure, window, windowEnd: [28, 56, 120, 240, 420][window]!, flag, asOf, by, own: null, period: window % 2 ? ('month' as const) : ('quarter' as const) };
              const rolled = followUpParts(s, c, opts);
              expect(rolled, `${label} parts ${JSON.stringify(f)} ${measure} ${w} ${flag} ${asOf} ${by}`).toEqual(followUpParts(s, c, opts, false));
              if (rolled.some((r) => r.parts[4]! > 0)) nonEmpty++;
            }
          }
        }
      });
    }
    // A physician's view: their own provider and the colleagues as one group.
    const own = s.providerIds[0]!;
    const opts = { measure: 'pain_nrs' as Measure, window: 2, windowEnd: 120, flag: 0, asOf: AS_OF, by: 'provider' as const, own, period: 'quarter' as const };
    expect(followUpParts(s, c, opts)).toEqual(followUpParts(s, c, opts, false));
    // Repeat counts: the cube and the profile-ordered interval list against a scan of every line.
    if (c.cube) {
      const cubed = repeatCounts(s, c, AS_OF, CATS.esi, CATS.mbb);
      expect(cubed, `${label} repeats ${JSON.stringify(f)}`).toEqual(repeatCounts(s, { ...c, cube: null }, AS_OF, CATS.esi, CATS.mbb));
      if (cubed.gaps.size > 0) nonEmpty++;
    }
  }
  return nonEmpty;
}

describe('the episode rollup and the ordered interval list', () => {
  it('give the scans’ answers for every filter, date range, due day, window and responder flag', () => {
    const s = operationsStoreOf(store);
    // The rollup is smaller than the episodes it stands for.
    expect(s.rollProfile.length).toBeLessThan(s.epByMonth.length);
    expect(s.rollCount.reduce((a, b) => a + b, 0)).toBe(s.epByMonth.length);
    expect(expectRollupEqualsScan('initial')).toBeGreaterThan(20);
  });

  it('after records change (deleted episode, moved index date), rebuilt with the store’s version, still equal', () => {
    const before = operationsStoreOf(store);
    const moved = db.$client.prepare('SELECT id FROM treatments ORDER BY id LIMIT 1 OFFSET 40').pluck().get() as number;
    db.$client.prepare(`UPDATE treatments SET date = date(date, '-47 days') WHERE id = ?`).run(moved);
    const gone = db.$client.prepare('SELECT id FROM episodes ORDER BY id LIMIT 1 OFFSET 7').pluck().get() as number;
    db.$client.prepare('DELETE FROM treatments WHERE episode_id = ?').run(gone);
    db.$client.prepare('DELETE FROM observations WHERE episode_id = ?').run(gone);
    db.$client.prepare('DELETE FROM episodes WHERE id = ?').run(gone);
    refreshOutcomes(db);
    store.sync();
    const after = operationsStoreOf(store);
    expect(after).not.toBe(before);
    expect(after.epByMonth.length).toBe(before.epByMonth.length - 1);
    expect(expectRollupEqualsScan('after change')).toBeGreaterThan(20);
  });
});
