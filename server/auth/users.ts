import { ROLES, type Role } from '../../db/schema/auth.ts';
import type { Db } from '../../db/index.ts';
import { DomainError, badRequest, notFound } from '../errors.ts';
import type { AuditEntry } from './audit.ts';
import { normalizeUsername } from './login.ts';
import { hashPassword, passwordProblems } from './password.ts';
import { deleteUserSessions } from './sessions.ts';

/**
 * User management, shared by the admin procedures and `npm run user`.
 * Every change is audited through the caller's sink (who did it, from where)
 * and ends the user's sessions when it changes what they may do, so a new
 * role or a disabled account takes effect at once.
 */
export type UserAdminContext = { db: Db; now: () => number; audit: (entry: AuditEntry) => void };

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export type UserSummary = {
  id: number;
  username: string;
  displayName: string | null;
  role: Role;
  providerId: number | null;
  providerName: string | null;
  duaReference: string | null;
  duaRecordedAt: string | null;
  duaExpiresOn: string | null;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
};

export type NewUser = {
  username: string;
  password: string;
  role: Role;
  displayName?: string | null;
  /** The provider a physician is (surrogate id); required for physicians, refused for others. */
  providerId?: number | null;
  /** A researcher's data-use agreement reference and optional expiry (YYYY-MM-DD). */
  dua?: { reference: string; expiresOn?: string | null } | null;
};

function iso(now: number): string {
  return new Date(now).toISOString();
}

function checkRoleLinks(db: Db, role: Role, providerId: number | null, dua: NewUser['dua']): void {
  if (!ROLES.includes(role)) throw badRequest('Unknown role.');
  if (role === 'physician') {
    if (providerId === null) throw badRequest('A physician must be linked to a provider.');
    if (!db.$client.prepare('SELECT 1 FROM providers WHERE id = ?').get(providerId)) throw badRequest('No such provider.');
  } else if (providerId !== null) throw badRequest('Only a physician is linked to a provider.');
  if (dua && role !== 'researcher') throw badRequest('Only a researcher has a data-use agreement.');
  if (dua?.expiresOn && !/^\d{4}-\d{2}-\d{2}$/.test(dua.expiresOn)) throw badRequest('Write the agreement expiry as YYYY-MM-DD.');
}

export async function createUser(ctx: UserAdminContext, input: NewUser): Promise<UserSummary> {
  const username = normalizeUsername(input.username);
  if (!USERNAME_PATTERN.test(username)) {
    throw badRequest('A username is 3-64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit.');
  }
  const providerId = input.providerId ?? null;
  checkRoleLinks(ctx.db, input.role, providerId, input.dua ?? null);
  const problems = passwordProblems(input.password, username);
  if (problems.length) throw badRequest(problems.join(' '));
  if (ctx.db.$client.prepare('SELECT 1 FROM users WHERE username = ?').get(username)) throw new DomainError('CONFLICT', 'That username is taken.');

  const hash = await hashPassword(input.password);
  const now = iso(ctx.now());
  const id = ctx.db.$client.transaction(() => {
    const info = ctx.db.$client
      .prepare(
        `INSERT INTO users (username, display_name, password_hash, role, provider_id, dua_reference, dua_recorded_at, dua_expires_on,
                            created_at, updated_at, password_changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        username,
        input.displayName?.trim() || null,
        hash,
        input.role,
        providerId,
        input.dua?.reference.trim() || null,
        input.dua ? now : null,
        input.dua?.expiresOn ?? null,
        now,
        now,
        now,
      );
    const id = Number(info.lastInsertRowid);
    ctx.audit({
      action: 'user.create',
      outcome: 'success',
      target: `user:${id}`,
      detail: { username, role: input.role, providerId, dataUseAgreement: !!input.dua },
    });
    return id;
  })();
  return getUser(ctx.db, id)!;
}

export type UserChange = {
  role?: Role;
  providerId?: number | null;
  displayName?: string | null;
  disabled?: boolean;
  /** null removes the agreement. */
  dua?: { reference: string; expiresOn?: string | null } | null;
};

export function updateUser(ctx: UserAdminContext, id: number, change: UserChange, actorId: number | null): UserSummary {
  const before = getUser(ctx.db, id);
  if (!before) throw notFound('User');
  const role = change.role ?? before.role;
  // A role change away from physician drops the provider link; to physician it needs one.
  const providerId = change.providerId !== undefined ? change.providerId : role === 'physician' ? before.providerId : null;
  const keepDua = role === 'researcher' && before.duaReference !== null;
  const dua =
    change.dua !== undefined ? change.dua : keepDua ? { reference: before.duaReference!, expiresOn: before.duaExpiresOn } : null;
  checkRoleLinks(ctx.db, role, providerId, dua);
  if (actorId === id && (change.disabled === true || (change.role && change.role !== 'admin'))) {
    throw badRequest('You cannot disable yourself or remove your own admin role.');
  }
  const disabled = change.disabled ?? before.disabled;
  if (before.role === 'admin' && !before.disabled && (role !== 'admin' || disabled) && activeAdmins(ctx.db) <= 1) {
    throw badRequest('At least one active admin must remain.');
  }

  const now = iso(ctx.now());
  const duaChanged = change.dua !== undefined || (!keepDua && before.duaReference !== null);
  ctx.db.$client.transaction(() => {
    ctx.db.$client
      .prepare(
        `UPDATE users SET role = ?, provider_id = ?, display_name = ?, disabled_at = ?,
           dua_reference = ?, dua_recorded_at = ?, dua_expires_on = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        role,
        providerId,
        change.displayName !== undefined ? change.displayName?.trim() || null : before.displayName,
        disabled ? (before.disabled ? (getDisabledAt(ctx.db, id) ?? now) : now) : null,
        dua?.reference.trim() || null,
        dua ? (duaChanged ? now : before.duaRecordedAt) : null,
        dua?.expiresOn ?? null,
        now,
        id,
      );
    const changed: Record<string, string | number | boolean | null> = {};
    if (role !== before.role) (changed.roleFrom = before.role), (changed.roleTo = role);
    if (providerId !== before.providerId) (changed.providerFrom = before.providerId), (changed.providerTo = providerId);
    if (disabled !== before.disabled) changed.disabled = disabled;
    if (duaChanged) changed.dataUseAgreement = dua !== null;
    if (change.displayName !== undefined && (change.displayName?.trim() || null) !== before.displayName) changed.displayName = true;
    const privilegesChanged = role !== before.role || providerId !== before.providerId || disabled !== before.disabled || duaChanged;
    if (privilegesChanged) changed.sessionsEnded = deleteUserSessions(ctx.db, id);
    ctx.audit({ action: 'user.update', outcome: 'success', target: `user:${id}`, detail: changed });
  })();
  return getUser(ctx.db, id)!;
}

export async function setPassword(ctx: UserAdminContext, id: number, password: string, action: 'user.password_reset' | 'auth.password_change'): Promise<void> {
  const user = getUser(ctx.db, id);
  if (!user) throw notFound('User');
  const problems = passwordProblems(password, user.username);
  if (problems.length) throw badRequest(problems.join(' '));
  const hash = await hashPassword(password);
  const now = iso(ctx.now());
  ctx.db.$client.transaction(() => {
    ctx.db.$client.prepare('UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?').run(hash, now, now, id);
    const ended = deleteUserSessions(ctx.db, id);
    ctx.audit({ action, outcome: 'success', target: `user:${id}`, detail: { sessionsEnded: ended } });
  })();
}

function activeAdmins(db: Db): number {
  return db.$client.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL").pluck().get() as number;
}

function getDisabledAt(db: Db, id: number): string | null {
  return (db.$client.prepare('SELECT disabled_at FROM users WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
}

type Row = {
  id: number;
  username: string;
  display_name: string | null;
  role: Role;
  provider_id: number | null;
  provider_name: string | null;
  dua_reference: string | null;
  dua_recorded_at: string | null;
  dua_expires_on: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
};
const SELECT = `SELECT u.id, u.username, u.display_name, u.role, u.provider_id, p.name AS provider_name, u.dua_reference,
  u.dua_recorded_at, u.dua_expires_on, u.disabled_at, u.created_at, u.updated_at
  FROM users u LEFT JOIN providers p ON p.id = u.provider_id`;
const toSummary = (r: Row): UserSummary => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  providerId: r.provider_id,
  providerName: r.provider_name,
  duaReference: r.dua_reference,
  duaRecordedAt: r.dua_recorded_at,
  duaExpiresOn: r.dua_expires_on,
  disabled: r.disabled_at !== null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function getUser(db: Db, id: number): UserSummary | null {
  const r = db.$client.prepare(`${SELECT} WHERE u.id = ?`).get(id) as Row | undefined;
  return r ? toSummary(r) : null;
}

export function getUserByName(db: Db, username: string): UserSummary | null {
  const r = db.$client.prepare(`${SELECT} WHERE u.username = ?`).get(normalizeUsername(username)) as Row | undefined;
  return r ? toSummary(r) : null;
}

export function listUsers(db: Db): UserSummary[] {
  return (db.$client.prepare(`${SELECT} ORDER BY u.disabled_at IS NOT NULL, u.username`).all() as Row[]).map(toSummary);
}

export function countUsers(db: Db): number {
  return db.$client.prepare('SELECT count(*) FROM users').pluck().get() as number;
}

/** Providers a physician account can be linked to (clinicians' names are not PHI). */
export function listProviders(db: Db): Array<{ id: number; key: string; name: string }> {
  return db.$client.prepare('SELECT id, key, name FROM providers ORDER BY name').all() as Array<{ id: number; key: string; name: string }>;
}
