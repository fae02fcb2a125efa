import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../db/index.ts';
import { ROLES, type Role } from '../../db/schema/auth.ts';
import type { Policy } from '../../server/auth/policy.ts';
import type { SessionUser } from '../../server/context.ts';
import { appRouter } from '../../server/routers/_app.ts';
import { callerFor, seedPractice } from './helpers.ts';

/**
 * The role x procedure matrix of ../shared/spec/roles.md, written out a second
 * time by hand. Every procedure of appRouter must be listed here with exactly
 * the callers its policy admits, and is then called as every role and as
 * nobody: the refused get UNAUTHORIZED / FORBIDDEN before anything runs, the
 * admitted never do. A new procedure fails this test until it has a policy
 * and a row here: decide the row from roles.md, not from the code.
 *
 * 'anyone' = also without signing in. Roles in the order of roles.md's columns.
 */
type Expected = 'anyone' | readonly Role[];
const ALL: readonly Role[] = ROLES;
const PM_ADMIN: readonly Role[] = ['practice_manager', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
const PHYSICIAN_ADMIN: readonly Role[] = ['physician', 'admin'];

const EXPECTED: Record<string, Expected> = {
  // Session
  'auth.me': 'anyone',
  'auth.login': 'anyone',
  'auth.logout': 'anyone',
  'auth.changePassword': ALL,
  // Whole-practice record counts (aggregates; suppressed for managers and researchers)
  'records.summary': ALL,
  // Import data: practice manager and admin
  'imports.list': PM_ADMIN,
  'imports.byId': PM_ADMIN,
  'imports.run': PM_ADMIN,
  // Outcome aggregates, whole practice: every role (suppressed for managers and researchers)
  'outcomes.summary': ALL,
  'outcomes.table': ALL,
  'outcomes.responders': ALL,
  'outcomes.trajectory': ALL,
  'outcomes.distribution': ALL,
  'outcomes.opioids': ALL,
  'outcomes.complications': ALL,
  'outcomes.filterOptions': ALL,
  // Patient list and patient timeline: physicians (own patients) and admins
  'outcomes.patients': PHYSICIAN_ADMIN,
  'outcomes.patientTimeline': PHYSICIAN_ADMIN,
  // Compare (issue 4): rows added with its procedures
  // Care-path comparison: every role (roles.md: "yes, suppressed" for managers and researchers)
  'compare.crude': ALL,
  'compare.adjusted': ALL,
  'compare.matched': ALL,
  // Operations (issue 6): rows added with its procedures
  // Procedure volume by provider and site: physicians own figures + practice totals, managers and admins, researchers suppressed;
  // follow-up and responder figures are outcome aggregates (suppressed for managers and researchers)
  'operations.codeOptions': ALL,
  'operations.volume': ALL,
  'operations.calendar': ALL,
  'operations.movers': ALL,
  'operations.mix': ALL,
  'operations.repeats': ALL,
  'operations.followUp': ALL,
  'operations.comparison': ALL,
  // The flagged-episode list is patient-level: physicians (own episodes) and admins
  'operations.flaggedEpisodes': PHYSICIAN_ADMIN,
  'operations.flaggedEpisodesCsv': PHYSICIAN_ADMIN,
  // Cohorts (issue 7): rows added with its procedures
  // Cohort builder and counts: physicians, researchers (suppressed), admins; de-identified export: the same roles
  'cohorts.funnel': ['physician', 'researcher', 'admin'],
  'cohorts.list': ['physician', 'researcher', 'admin'],
  'cohorts.byId': ['physician', 'researcher', 'admin'],
  'cohorts.save': ['physician', 'researcher', 'admin'],
  'cohorts.delete': ['physician', 'researcher', 'admin'],
  'cohorts.rerun': ['physician', 'researcher', 'admin'],
  'cohorts.characterise': ['physician', 'researcher', 'admin'],
  'cohorts.compare': ['physician', 'researcher', 'admin'],
  'cohorts.export': ['physician', 'researcher', 'admin'],
  // Identified export (limited data set): researchers (with a data-use agreement, checked inside) and admins
  'cohorts.exportIdentified': ['researcher', 'admin'],
  // Manage users, read the audit log: admin
  'users.list': ADMIN,
  'users.providers': ADMIN,
  'users.create': ADMIN,
  'users.update': ADMIN,
  'users.resetPassword': ADMIN,
  'audit.search': ADMIN,
  'audit.actions': ADMIN,
  'audit.verify': ADMIN,
};

type AnyProcedure = { _def: { type: 'query' | 'mutation' | 'subscription'; meta?: { policy?: Policy } } };
const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
const paths = Object.keys(procedures).sort();

const users: Record<Role, SessionUser> = {
  physician: { id: 9001, role: 'physician', providerId: 1 },
  practice_manager: { id: 9002, role: 'practice_manager', providerId: null },
  researcher: { id: 9003, role: 'researcher', providerId: null, dataUseAgreement: true },
  admin: { id: 9004, role: 'admin', providerId: null },
};

async function codeOf(db: Db, user: SessionUser | null, path: string): Promise<string> {
  const caller = callerFor(db, user) as unknown as Record<string, Record<string, (input?: unknown) => Promise<unknown>>>;
  const [ns, name] = path.split('.') as [string, string];
  try {
    await caller[ns]![name]!(undefined);
    return 'OK';
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe('every procedure declares who may call it', () => {
  it('the router has procedures', () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  it.each(paths)('%s has a policy matching roles.md', (path) => {
    const policy = procedures[path]!._def.meta?.policy;
    expect(policy, `${path} has no policy: build it with procedure(allow...)`).toBeDefined();
    const expected = EXPECTED[path];
    expect(expected, `${path} is not in the expected matrix of tests/auth/matrix.test.ts: add its row from roles.md`).toBeDefined();
    if (expected === 'anyone') {
      expect(policy!.anonymous).toBe(true);
      expect([...policy!.roles].sort()).toEqual([...ALL].sort());
    } else {
      expect(policy!.anonymous).toBe(false);
      expect([...policy!.roles].sort()).toEqual([...expected!].sort());
    }
  });

  it('the expected matrix has no row for a procedure that no longer exists', () => {
    expect(Object.keys(EXPECTED).filter((p) => !paths.includes(p))).toEqual([]);
  });
});

describe('every procedure, called as every role and as nobody', () => {
  let db: Db;
  beforeAll(() => {
    db = createTestDb();
    seedPractice(db);
  });

  const cases = paths.flatMap((path) => [...ROLES.map((role) => ({ path, who: role as Role | 'anonymous' })), { path, who: 'anonymous' as const }]);

  it.each(cases)('$path as $who', async ({ path, who }) => {
    const expected = EXPECTED[path];
    const user = who === 'anonymous' ? null : users[who];
    const code = await codeOf(db, user, path);
    const admitted = expected === 'anyone' || (who !== 'anonymous' && (expected ?? []).includes(who));
    // Admitted calls get past the policy: they succeed or fail on their (here missing) input, never on access.
    if (admitted) expect(['UNAUTHORIZED', 'FORBIDDEN']).not.toContain(code);
    else expect(code).toBe(who === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN');
  });

  it('a refused signed-in caller is audited, an admitted one is not refused', () => {
    const rows = db.$client.prepare("SELECT user_id, role, target FROM audit_log WHERE action = 'access.denied'").all() as Array<{
      user_id: number;
      role: string;
      target: string;
    }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.role === 'researcher' && r.target === 'users.list')).toBe(true);
    expect(rows.some((r) => r.role === 'admin')).toBe(false);
  });
});

describe('a procedure without a policy', () => {
  it('is refused for everyone, signed in or not', async () => {
    const { publicProcedure, router, createCallerFactory } = await import('../../server/trpc.ts');
    const { createContextInner } = await import('../../server/context.ts');
    const rogue = router({ leak: publicProcedure.query(() => 'secret') });
    const db = createTestDb();
    for (const user of [null, ...Object.values(users)]) {
      const caller = createCallerFactory(rogue)(createContextInner({ db, user }));
      await expect(caller.leak()).rejects.toMatchObject({ code: user ? 'FORBIDDEN' : 'UNAUTHORIZED' });
    }
  });
});
