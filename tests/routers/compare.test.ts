/**
 * The compare router through createCaller, as each role, on a generated demo
 * practice derived by refreshOutcomes and read through the analytic store
 * (in-process runtime): every signed-in role gets the comparison (roles.md:
 * "care-path comparison: yes / yes, suppressed"), practice managers and
 * researchers with small cells suppressed; input bounds are enforced.
 */
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { isShown } from '../../server/auth/suppression.ts';
import { createContextInner, type SessionUser } from '../../server/context.ts';
import { appRouter } from '../../server/routers/_app.ts';
import { generateDemoPractice } from '../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { createCallerFactory } from '../../server/trpc.ts';

let db: Db;
const users: Record<Role, SessionUser> = {
  physician: { id: 1, role: 'physician', providerId: 1, username: 'dr' },
  practice_manager: { id: 3, role: 'practice_manager', providerId: null, username: 'manager' },
  researcher: { id: 4, role: 'researcher', providerId: null, username: 'researcher' },
  admin: { id: 5, role: 'admin', providerId: null, username: 'admin' },
};
const as = (who: Role) => createCallerFactory(appRouter)(createContextInner({ db, user: users[who] }));

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 1500, seed: 909 });
  refreshOutcomes(db);
}, 120_000);

describe('compare router', () => {
  it('physicians and admins get every count and estimate; the crude and adjusted answers agree across calls', async () => {
    const c = await as('physician').compare.crude();
    expect(c.suppressed).toBe(false);
    expect(typeof c.interventional.withBaseline).toBe('number');
    expect(c.difference!.estimate).not.toBeNull();
    const a = await as('admin').compare.adjusted();
    expect(a.adjusted.status).toBe('ok');
    // Complete cases, less any without a counterpart on the other path (named in the warnings).
    expect(a.adjusted.n1 as number).toBeLessThanOrEqual(c.interventional.complete as number);
    expect(a.adjusted.n1 as number).toBeGreaterThan(0.99 * (c.interventional.complete as number));
    if (a.adjusted.n1 !== c.interventional.complete) expect(a.adjusted.warnings.join(' ')).toContain('for want of a counterpart');
    expect(a.adjusted.doublyRobust!.lower).toBeLessThan(a.adjusted.doublyRobust!.upper);
    expect(a.durability.byPath).toHaveLength(2);
    expect(a.subgroups.families.map((f) => f.by)).toEqual(['condition', 'region', 'age_band', 'sex', 'severity']);
    const m = await as('physician').compare.matched();
    expect(m.matched!.status).toBe('ok');
  });

  it('managers and researchers see the same comparison with small cells suppressed', async () => {
    const full = await as('admin').compare.adjusted();
    for (const role of ['practice_manager', 'researcher'] as const) {
      const c = await as(role).compare.crude();
      expect(c.suppressed).toBe(true);
      expect(c.interventional.withBaseline).toBe((await as('admin').compare.crude()).interventional.withBaseline); // large counts shown
      const a = await as(role).compare.adjusted();
      // Subgroups with 1-10 episodes on a path: the count is "<11" and the estimate withheld.
      const fam = a.subgroups.families.find((f) => f.by === 'sex')!;
      const small = fam.rows.filter((r) => !isShown(r.n1) || !isShown(r.n0));
      expect(small.length).toBeGreaterThan(0);
      for (const r of small) expect(r.estimate).toBeNull();
      const exact = full.subgroups.families.find((f) => f.by === 'sex')!;
      for (const r of fam.rows) {
        const e = exact.rows.find((x) => x.key === r.key)!;
        if (typeof e.n1 === 'number' && e.n1 >= 1 && e.n1 <= 10) expect(r.n1).toEqual({ suppressed: 'small', display: '<11' });
      }
      // Kaplan-Meier curves end before fewer than 11 remain at risk; numbers at risk of 1-10 are masked.
      for (const curve of [...a.durability.byPath, ...a.durability.byCategory]) {
        for (const r of curve.atRisk) if (isShown(r.n)) expect(r.n === 0 || r.n >= 11).toBe(true);
        const exactCurve = [...full.durability.byPath, ...full.durability.byCategory].find((x) => x.key === curve.key)!;
        const k = curve.time.length;
        if (k > 0) expect((exactCurve.time.length === k) || curve.cutAt !== null).toBe(true);
      }
    }
  });

  it('a filter down to a handful of episodes withholds the statistics for suppressed roles, not for physicians', async () => {
    const input = { measure: 'pain_nrs' as const, window: 'm3' as const, definition: 'pct30' as const, denominator: 'complete_case' as const, filters: { conditions: ['crps' as const], ageBands: ['80+'] } };
    const phys = await as('physician').compare.crude(input);
    const res = await as('researcher').compare.crude(input);
    const n = (phys.interventional.complete as number) + (phys.conservative.complete as number);
    expect(n).toBeLessThan(22);
    expect(res.difference?.estimate ?? null).toBeNull();
    const adj = await as('researcher').compare.adjusted(input);
    expect(adj.adjusted.doublyRobust).toBeNull();
  });

  it('rejects out-of-range input before computing', async () => {
    await expect(as('physician').compare.crude({ measure: 'mme' as never })).rejects.toBeInstanceOf(TRPCError);
    await expect(as('physician').compare.matched({ query: undefined as never, caliperSd: 5 })).rejects.toBeInstanceOf(TRPCError);
    await expect(
      as('physician').compare.crude({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: { from: '2025-01-01', to: '2024-01-01' } }),
    ).rejects.toBeInstanceOf(TRPCError);
  });
});
