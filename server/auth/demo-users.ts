import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { appendAudit } from './audit.ts';
import type { Secrets } from './secrets.ts';
import { countUsers, createUser } from './users.ts';

export type DemoLogin = { username: string; password: string; role: Role; note: string };

/**
 * On a database without any user, creates one demo user per role with a
 * random password and returns their logins (to print once). The physician is
 * the provider with the most episodes; without providers (an empty practice)
 * there is no physician. Does nothing when any user exists.
 */
export async function ensureDemoUsers(db: Db, secrets: Secrets, now: () => number = Date.now): Promise<DemoLogin[]> {
  if (countUsers(db) > 0) return [];
  const provider = db.$client
    .prepare(
      `SELECT p.id, p.name FROM providers p LEFT JOIN episodes e ON e.provider_id = p.id
       GROUP BY p.id ORDER BY count(e.id) DESC, p.id LIMIT 1`,
    )
    .get() as { id: number; name: string } | undefined;
  const ctx = {
    db,
    now,
    audit: (entry: Parameters<typeof appendAudit>[2]) =>
      appendAudit(db, secrets.audit, { ...entry, userId: null, username: 'system:demo-setup', role: null, ip: null }, now()),
  };
  const wanted: Array<Omit<DemoLogin, 'password'> & { providerId?: number; dua?: { reference: string } }> = [
    { username: 'admin', role: 'admin', note: 'manages users, reads the audit log, sees everything' },
    { username: 'manager', role: 'practice_manager', note: 'operations and imports; small counts suppressed' },
    { username: 'researcher', role: 'researcher', note: 'cohorts and de-identified exports; small counts suppressed', dua: { reference: 'DEMO-DUA-0001' } },
  ];
  if (provider) wanted.splice(1, 0, { username: 'physician', role: 'physician', note: `provider ${provider.name}: their own patients`, providerId: provider.id });

  const logins: DemoLogin[] = [];
  for (const w of wanted) {
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    await createUser(ctx, { username: w.username, password, role: w.role, providerId: w.providerId ?? null, dua: w.dua ?? null, displayName: null });
    logins.push({ username: w.username, password, role: w.role, note: w.note });
  }
  return logins;
}

/** The text `npm start` prints for the demo logins. */
export function formatDemoLogins(logins: DemoLogin[], url?: string): string {
  if (!logins.length) return '';
  const width = Math.max(...logins.map((l) => l.username.length));
  const lines = logins.map((l) => `  ${l.username.padEnd(width)}  ${l.password}   ${l.role} (${l.note})`);
  return [
    '',
    `Demo users created${url ? ` for ${url}` : ''} (shown only this once; passwords are random):`,
    ...lines,
    'Create real users with `npm run user -- create --username NAME --role ROLE`, then disable these.',
    '',
  ].join('\n');
}
