import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../db/index.ts';
import { assertIdentifiedExportAllowed, assertPatientInScope, auditPatientRead, patientScope, scopeSql } from '../../server/auth/scope.ts';
import { createContextInner, type SessionUser } from '../../server/context.ts';
import { allow, createCallerFactory, procedure, router } from '../../server/trpc.ts';
import { seedPractice } from './helpers.ts';

/**
 * The pattern every patient-level procedure follows (server/auth/scope.ts),
 * exercised on a router shaped like the patient list and timeline.
 */
const patientsRouter = router({
  list: procedure(allow.roles('physician', 'admin')).query(({ ctx }) => {
    const scope = scopeSql(ctx, 'e.provider_id');
    const rows = ctx.db.$client
      .prepare(`SELECT DISTINCT p.id, p.mrn FROM patients p JOIN episodes e ON e.patient_id = p.id WHERE ${scope.where} ORDER BY p.id`)
      .all(...scope.params) as Array<{ id: number; mrn: string }>;
    auditPatientRead(ctx, 'patients.list', rows.map((r) => r.id));
    return rows;
  }),
  timeline: procedure(allow.roles('physician', 'admin'))
    .input(z.object({ patientId: z.number().int() }))
    .query(({ ctx, input }) => {
      assertPatientInScope(ctx, input.patientId);
      const scope = scopeSql(ctx, 'provider_id');
      const episodes = ctx.db.$client
        .prepare(`SELECT id, provider_id FROM episodes WHERE patient_id = ? AND ${scope.where} ORDER BY start_date`)
        .all(input.patientId, ...scope.params) as Array<{ id: number; provider_id: number }>;
      auditPatientRead(ctx, 'patients.timeline', [input.patientId]);
      return { patientId: input.patientId, episodes };
    }),
});

const drA: SessionUser = { id: 1, role: 'physician', providerId: 1, username: 'dr.a' };
const drB: SessionUser = { id: 2, role: 'physician', providerId: 2, username: 'dr.b' };
const admin: SessionUser = { id: 3, role: 'admin', providerId: null, username: 'admin' };

describe('physicians see their own patients only', () => {
  let db: Db;
  const as = (user: SessionUser | null) => createCallerFactory(patientsRouter)(createContextInner({ db, user, ip: '10.0.0.7' }));
  beforeEach(() => {
    db = createTestDb();
    seedPractice(db);
  });

  it('the patient list holds the patients of episodes where they are the provider', async () => {
    expect((await as(drA).list()).map((p) => p.id)).toEqual([1, 2, 4]);
    expect((await as(drB).list()).map((p) => p.id)).toEqual([3, 4]);
    expect((await as(admin).list()).map((p) => p.id)).toEqual([1, 2, 3, 4]);
  });

  it("another physician's patient answers NOT_FOUND, exactly like a patient that does not exist", async () => {
    const other = await as(drA).timeline({ patientId: 3 }).catch((e: unknown) => e);
    const missing = await as(drA).timeline({ patientId: 999 }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(TRPCError);
    expect((other as TRPCError).code).toBe('NOT_FOUND');
    expect((other as TRPCError).message).toBe((missing as TRPCError).message);
    expect((missing as TRPCError).code).toBe('NOT_FOUND');
  });

  it("a shared patient's timeline shows only the caller's episodes", async () => {
    expect((await as(drA).timeline({ patientId: 4 })).episodes.map((e) => e.id)).toEqual([5]);
    expect((await as(drB).timeline({ patientId: 4 })).episodes.map((e) => e.id)).toEqual([4]);
    expect((await as(admin).timeline({ patientId: 4 })).episodes.map((e) => e.id)).toEqual([4, 5]);
  });

  it('practice managers, researchers and nobody get no patient-level data at all', async () => {
    for (const role of ['practice_manager', 'researcher'] as const) {
      const user = { id: 9, role, providerId: null };
      await expect(as(user).list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(as(user).timeline({ patientId: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // The scope helper fails closed too, should a policy be wrong.
      expect(() => patientScope({ user })).toThrow();
    }
    await expect(as(null).list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // A physician account without a provider sees nothing rather than everything.
    expect(() => patientScope({ user: { id: 10, role: 'physician', providerId: null } })).toThrow();
  });

  it('every read is audited by surrogate id, without PHI', async () => {
    await as(drA).list();
    await as(drA).timeline({ patientId: 1 });
    await as(drA).timeline({ patientId: 3 }).catch(() => undefined);
    const rows = db.$client.prepare("SELECT username, role, target, ip, detail, outcome FROM audit_log WHERE action = 'patient.read' ORDER BY id").all();
    expect(rows).toEqual([
      {
        username: 'dr.a',
        role: 'physician',
        target: 'patients.list',
        ip: '10.0.0.7',
        detail: JSON.stringify({ view: 'patients.list', count: 3, patientIds: [1, 2, 4] }),
        outcome: 'success',
      },
      { username: 'dr.a', role: 'physician', target: 'patient:1', ip: '10.0.0.7', detail: JSON.stringify({ view: 'patients.timeline' }), outcome: 'success' },
    ]);
    const everything = JSON.stringify(db.$client.prepare('SELECT at, user_id, username, role, action, target, outcome, ip, detail FROM audit_log').all());
    for (const phi of ['MRN-', '1960-01-01', '12345', 'female']) expect(everything).not.toContain(phi);
  });
});

describe('identified exports', () => {
  it('admins, and researchers with a current data-use agreement only', () => {
    expect(() => assertIdentifiedExportAllowed({ user: admin })).not.toThrow();
    expect(() => assertIdentifiedExportAllowed({ user: { id: 4, role: 'researcher', providerId: null, dataUseAgreement: true } })).not.toThrow();
    for (const user of [
      { id: 4, role: 'researcher' as const, providerId: null, dataUseAgreement: false },
      { id: 4, role: 'researcher' as const, providerId: null },
      drA,
      { id: 5, role: 'practice_manager' as const, providerId: null, dataUseAgreement: true },
      null,
    ]) {
      expect(() => assertIdentifiedExportAllowed({ user })).toThrow(/data-use agreement/);
    }
  });

  it('an expired agreement does not count', async () => {
    const { hasCurrentDua } = await import('../../server/auth/sessions.ts');
    const now = Date.UTC(2026, 10, 24);
    expect(hasCurrentDua('researcher', 'DUA-1', null, now)).toBe(true);
    expect(hasCurrentDua('researcher', 'DUA-1', '2026-11-24', now)).toBe(true);
    expect(hasCurrentDua('researcher', 'DUA-1', '2026-11-23', now)).toBe(false);
    expect(hasCurrentDua('researcher', null, null, now)).toBe(false);
    expect(hasCurrentDua('admin', 'DUA-1', null, now)).toBe(false);
  });
});
