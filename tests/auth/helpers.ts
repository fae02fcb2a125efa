import type { Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { appendAudit } from '../../server/auth/audit.ts';
import type { Secrets } from '../../server/auth/secrets.ts';
import { createUser } from '../../server/auth/users.ts';
import { createContextInner, type ContextOptions, type SessionUser } from '../../server/context.ts';
import { appRouter } from '../../server/routers/_app.ts';
import { createCallerFactory } from '../../server/trpc.ts';

export const PASSWORD = 'correct-horse-battery-staple';

/** Two sites, three providers, patients and episodes: patient 1 and 2 are provider 1's, 3 provider 2's, 4 both. */
export function seedPractice(db: Db): { providers: { a: number; b: number; c: number }; patients: number[] } {
  const s = db.$client;
  s.exec(`
    INSERT INTO sites (id, key, name) VALUES (1, 'S1', 'North clinic'), (2, 'S2', 'South clinic');
    INSERT INTO providers (id, key, name, site_id) VALUES (1, 'P1', 'Dr A', 1), (2, 'P2', 'Dr B', 2), (3, 'P3', 'Dr C', 1);
    INSERT INTO patients (id, mrn, birth_date, sex, zip) VALUES
      (1, 'MRN-0001', '1960-01-01', 'female', '12345'), (2, 'MRN-0002', '1955-05-05', 'male', '12345'),
      (3, 'MRN-0003', '1970-07-07', 'female', '54321'), (4, 'MRN-0004', '1980-08-08', 'male', '54321');
    INSERT INTO episodes (id, key, patient_id, care_path, condition_code, condition_group, provider_id, site_id, start_date) VALUES
      (1, 'E1', 1, 'interventional', 'M54.16', 'radiculopathy', 1, 1, '2025-01-10'),
      (2, 'E2', 2, 'conservative', 'M54.50', 'low_back_pain', 1, 1, '2025-02-10'),
      (3, 'E3', 3, 'interventional', 'M47.816', 'facet_arthropathy', 2, 2, '2025-03-10'),
      (4, 'E4', 4, 'interventional', 'M54.16', 'radiculopathy', 2, 2, '2025-04-10'),
      (5, 'E5', 4, 'conservative', 'M54.50', 'low_back_pain', 1, 1, '2025-09-10');
  `);
  return { providers: { a: 1, b: 2, c: 3 }, patients: [1, 2, 3, 4] };
}

export type TestUsers = Record<Role, SessionUser & { username: string }> & { physicianB: SessionUser & { username: string } };

/** One user per role (the physician is provider 1's), plus a second physician (provider 2's). */
export async function seedUsers(db: Db, secrets?: Secrets): Promise<TestUsers> {
  const ctx = {
    db,
    now: Date.now,
    audit: (e: Parameters<typeof appendAudit>[2]) => appendAudit(db, (secrets ?? createContextInner({ db, user: null }).secrets).audit, e, Date.now()),
  };
  const make = async (username: string, role: Role, providerId: number | null = null) => {
    const u = await createUser(ctx, { username, password: PASSWORD, role, providerId });
    return { id: u.id, role: u.role, providerId: u.providerId, username: u.username };
  };
  return {
    physician: await make('dr.a', 'physician', 1),
    physicianB: await make('dr.b', 'physician', 2),
    practice_manager: await make('manager', 'practice_manager'),
    researcher: await make('researcher', 'researcher'),
    admin: await make('admin', 'admin'),
  };
}

export function callerFor(db: Db, user: SessionUser | null, extra: Partial<ContextOptions> = {}) {
  return createCallerFactory(appRouter)(createContextInner({ db, user, ...extra }));
}
