/**
 * The cohorts router through createCaller, as each role: funnel counts
 * (suppressed for researchers), saved cohorts and their revisions, re-runs
 * against the recorded data state, Table 1 and outcome figures checked
 * against the records, comparing two cohorts, and exports (audited; the
 * identified one only with a data-use agreement).
 */
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { createContextInner, type SessionUser } from '../../server/context.ts';
import { ageOn } from '../../server/domain/dates.ts';
import { appRouter } from '../../server/routers/_app.ts';
import { generateDemoPractice } from '../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { createCallerFactory } from '../../server/trpc.ts';
import { oracleFunnel } from '../services/cohorts/oracle.ts';

let db: Db;
const users: Record<Role | 'researcherDua' | 'researcher2', SessionUser> = {
  physician: { id: 1, role: 'physician', providerId: 1, username: 'dr.one' },
  practice_manager: { id: 2, role: 'practice_manager', providerId: null, username: 'manager' },
  researcher: { id: 3, role: 'researcher', providerId: null, username: 'researcher', dataUseAgreement: false },
  researcherDua: { id: 4, role: 'researcher', providerId: null, username: 'researcher.dua', dataUseAgreement: true },
  researcher2: { id: 6, role: 'researcher', providerId: null, username: 'researcher.two' },
  admin: { id: 5, role: 'admin', providerId: null, username: 'admin' },
};
const as = (who: keyof typeof users) => createCallerFactory(appRouter)(createContextInner({ db, user: users[who] }));

const TYPICAL = {
  schemaVersion: 1 as const,
  criteria: [
    { type: 'condition' as const, codes: ['M54.1*', 'M51.1*'] },
    { type: 'indexDate' as const, from: '2024-01-01', to: '2026-06-30' },
    { type: 'age' as const, min: 40, max: 79 },
    { type: 'painDuration' as const, is: 'chronic' as const },
    { type: 'followUp' as const, measure: 'pain_nrs' as const, window: 'm3' as const },
  ],
};
const SMALL = { schemaVersion: 1 as const, criteria: [{ type: 'condition' as const, codes: ['G90.5*'] }, { type: 'sex' as const, sexes: ['male' as const] }] };

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 600, seed: 11 });
  refreshOutcomes(db);
  // Users referenced by saved cohorts (created_by) and the audit log.
  const ins = db.$client.prepare(
    `INSERT INTO users (id, username, password_hash, role, provider_id, dua_reference, dua_recorded_at, created_at, updated_at, password_changed_at)
     VALUES (?, ?, 'x', ?, ?, ?, ?, '2026-01-01', '2026-01-01', '2026-01-01')`,
  );
  for (const u of Object.values(users)) ins.run(u.id, u.username, u.role, u.providerId, u.dataUseAgreement ? 'DUA-1' : null, u.dataUseAgreement ? '2026-01-01' : null);
});

const auditRows = (action: string) =>
  db.$client.prepare('SELECT user_id, outcome, target, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as Array<{ user_id: number; outcome: string; target: string; detail: string }>;

describe('funnel', () => {
  it('physicians and admins see every count; they equal the records', async () => {
    const f = await as('physician').cohorts.funnel({ definition: TYPICAL });
    const o = oracleFunnel(db, TYPICAL.criteria.map((c) => ({ ...c, exclude: false })) as never);
    expect([f.start, ...f.steps].map((s) => ({ episodes: s.episodes, patients: s.patients }))).toEqual(o.steps);
    expect(f.steps.map((s) => s.removed)).toEqual(o.steps.slice(1).map((s, k) => o.steps[k]!.episodes - s.episodes));
    expect(f.dataState.episodes).toBe(o.steps[0]!.episodes);
  });

  it('researchers get small counts withheld, and no difference of shown counts is small', async () => {
    const full = await as('admin').cohorts.funnel({ definition: SMALL });
    const masked = await as('researcher').cohorts.funnel({ definition: SMALL });
    const last = full.final.episodes as number;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(11);
    expect(masked.final.episodes).toEqual({ suppressed: 'small', display: '<11' });
    const shown = [masked.start, ...masked.steps].map((s) => s.episodes).filter((c): c is number => typeof c === 'number');
    for (const a of shown) for (const b of shown) expect(a === b || Math.abs(a - b) >= 11).toBe(true);
  });

  it('practice managers may not build cohorts', async () => {
    await expect(as('practice_manager').cohorts.funnel({ definition: TYPICAL })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('rejects malformed definitions', async () => {
    await expect(as('admin').cohorts.funnel({ definition: { schemaVersion: 1, criteria: [{ type: 'condition', codes: ['DROP TABLE'] }] } as never })).rejects.toBeInstanceOf(TRPCError);
    await expect(as('admin').cohorts.funnel({ definition: { schemaVersion: 9, criteria: [] } as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('saved cohorts', () => {
  it('save, list, reload, re-run on the same data, revise; only the author or an admin may change it', async () => {
    const saved = await as('researcher').cohorts.save({ name: 'Radiculopathy, chronic', description: 'Typical five criteria', definition: TYPICAL });
    expect(saved).toMatchObject({ name: 'Radiculopathy, chronic', revision: 1, mine: true, owner: 'researcher' });
    expect(saved.definition.criteria).toHaveLength(5);
    const list = await as('physician').cohorts.list();
    expect(list.map((c) => c.id)).toContain(saved.id);
    const reloaded = await as('physician').cohorts.byId({ id: saved.id });
    expect(reloaded.definition).toEqual(saved.definition);
    expect(reloaded.mine).toBe(false);

    const rerun = await as('researcher').cohorts.rerun({ id: saved.id });
    expect(rerun).toMatchObject({ sameData: true, sameResult: true, importsSince: [] });

    await expect(as('researcher2').cohorts.save({ id: saved.id, name: 'Hijack', description: '', definition: SMALL })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(as('researcher2').cohorts.delete({ id: saved.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const revised = await as('researcher').cohorts.save({ id: saved.id, name: 'Radiculopathy, chronic, 50-79', description: '', definition: { ...TYPICAL, criteria: [...TYPICAL.criteria.slice(0, 2), { type: 'age', min: 50, max: 79 }, ...TYPICAL.criteria.slice(3)] } });
    expect(revised.revision).toBe(2);
    const byAdmin = await as('admin').cohorts.save({ id: saved.id, name: 'Renamed by an admin', description: '', definition: TYPICAL });
    expect(byAdmin.revision).toBe(3);
    await expect(as('admin').cohorts.byId({ id: 999_999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('says when the data changed since the last run', async () => {
    const saved = await as('admin').cohorts.save({ name: 'Before an import', description: '', definition: TYPICAL });
    db.$client.prepare(`INSERT INTO imports (started_at, status, mode, source) VALUES ('2026-11-24T10:00:00Z', 'completed', 'partial', 'test')`).run();
    const rerun = await as('admin').cohorts.rerun({ id: saved.id });
    expect(rerun.sameData).toBe(false);
    expect(rerun.importsSince.length).toBe(1);
    // The records the cohort reads did not change: the same episodes.
    expect(rerun.sameResult).toBe(true);
  });
});

describe('characterisation', () => {
  it('Table 1 by care path: counts, age mean and SD and its SMD equal a computation from the records', async () => {
    const c = await as('admin').cohorts.characterise({ definition: TYPICAL, outcome: { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case' } });
    const ids = oracleFunnel(db, TYPICAL.criteria.map((x) => ({ ...x, exclude: false })) as never).ids;
    const rows = db.$client
      .prepare(`SELECT e.care_path, e.start_date, p.birth_date, p.sex FROM episodes e JOIN patients p ON p.id = e.patient_id WHERE e.id IN (${ids.join(',')})`)
      .all() as Array<{ care_path: string; start_date: string; birth_date: string; sex: string }>;
    const group = (path: string) => rows.filter((r) => r.care_path === path);
    const stats = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { m, v: xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) };
    };
    const ai = group('interventional').map((r) => ageOn(r.birth_date, r.start_date));
    const ac = group('conservative').map((r) => ageOn(r.birth_date, r.start_date));
    const [si, sc] = [stats(ai), stats(ac)];
    expect(c.table.groups.map((g) => g.episodes)).toEqual([ai.length, ac.length]);
    const age = c.table.rows.find((r) => r.variable === 'age')!;
    expect(age.kind).toBe('continuous');
    if (age.kind !== 'continuous') return;
    expect(age.cells[0]!.mean).toBeCloseTo(si.m, 9);
    expect(age.cells[1]!.sd).toBeCloseTo(Math.sqrt(sc.v), 9);
    expect(age.smd).toBeCloseTo((si.m - sc.m) / Math.sqrt((si.v + sc.v) / 2), 9);
    const female = c.table.rows.find((r) => r.variable === 'sex' && r.kind === 'level' && r.level === 'female')!;
    expect((female.cells as Array<{ count: unknown }>).map((x) => x.count)).toEqual([group('interventional').filter((r) => r.sex === 'female').length, group('conservative').filter((r) => r.sex === 'female').length]);
    // Outcome figures: every episode of this cohort has a 3-month pain score (a criterion), so complete = with baseline.
    expect(c.outcomes.overall.episodes).toBe(ids.length);
    expect(c.outcomes.groups.map((g) => g.key)).toEqual(['interventional', 'conservative']);
    expect(c.outcomes.overall.change.mean).not.toBeNull();
  });

  it('researchers get Table 1 with small cells withheld and no SMD resting on them', async () => {
    const c = await as('researcher').cohorts.characterise({ definition: SMALL, outcome: { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case' } });
    for (const r of c.table.rows) {
      if (r.kind === 'level') for (const cell of r.cells) if (typeof cell.count === 'number') expect(cell.count === 0 || cell.count >= 11).toBe(true);
      if (r.kind === 'continuous') for (const cell of r.cells) if (typeof cell.n !== 'number' || cell.n < 11) expect(cell.mean).toBeNull();
      if ((r.cells as Array<{ count?: unknown; n?: unknown }>).some((x) => typeof ('count' in x ? x.count : x.n) !== 'number')) expect(r.smd).toBeNull();
    }
  });

  it('compares two saved cohorts side by side', async () => {
    const a = await as('admin').cohorts.save({ name: 'Interventional', description: '', definition: { schemaVersion: 1, criteria: [{ type: 'carePath', paths: ['interventional'] }] } });
    const b = await as('admin').cohorts.save({ name: 'Conservative', description: '', definition: { schemaVersion: 1, criteria: [{ type: 'carePath', paths: ['conservative'] }] } });
    const cmp = await as('admin').cohorts.compare({ ids: [a.id, b.id], outcome: { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case' } });
    const byPath = await as('admin').cohorts.characterise({ definition: { schemaVersion: 1, criteria: [] }, outcome: { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case' } });
    expect(cmp.overlap).toBe(0);
    expect(cmp.table.groups.map((g) => g.label)).toEqual(['Interventional', 'Conservative']);
    // Two cohorts split by care path = the whole practice's Table 1 by care path.
    expect(cmp.table.rows.map((r) => r.smd)).toEqual(byPath.table.rows.map((r) => r.smd));
    expect(cmp.outcomes.groups.map((g) => g.responders)).toEqual(byPath.outcomes.groups.map((g) => g.responders));
  });
});

describe('exports', () => {
  it('a de-identified export is audited with counts and no row data, and returns a one-time link', async () => {
    const r = await as('researcher').cohorts.export({ definition: TYPICAL, shape: 'wide', format: 'parquet', cohortId: null });
    expect(r.url).toMatch(/^\/exports\/[A-Za-z0-9_-]{43}$/);
    const entry = auditRows('export.deidentified').at(-1)!;
    expect(entry).toMatchObject({ user_id: 3, outcome: 'success', target: 'cohort:unsaved' });
    expect(JSON.parse(entry.detail)).toMatchObject({ shape: 'wide', format: 'parquet', episodes: oracleFunnel(db, TYPICAL.criteria.map((x) => ({ ...x, exclude: false })) as never).ids.length });
  });

  it('an identified export needs a data-use agreement (refused and audited without one)', async () => {
    await expect(as('researcher').cohorts.exportIdentified({ definition: TYPICAL, shape: 'long', format: 'csv', cohortId: null })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(auditRows('export.identified').at(-1)).toMatchObject({ user_id: 3, outcome: 'denied' });
    const ok = await as('researcherDua').cohorts.exportIdentified({ definition: TYPICAL, shape: 'long', format: 'csv', cohortId: null });
    expect(ok.identified).toBe(true);
    expect(auditRows('export.identified').at(-1)).toMatchObject({ user_id: 4, outcome: 'success' });
    await expect(as('physician').cohorts.exportIdentified({ definition: TYPICAL, shape: 'long', format: 'csv', cohortId: null })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
