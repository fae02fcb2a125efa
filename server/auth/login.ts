import type { Role } from '../../db/schema/auth.ts';
import type { ContextInner, SessionUser } from '../context.ts';
import { DomainError } from '../errors.ts';
import { audit } from './log.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { createSession, deleteSession, hasCurrentDua, SESSION_ABSOLUTE_MS } from './sessions.ts';
import { ADDRESS_RULE, addressKey, LoginThrottle, USERNAME_RULE, usernameKey } from './throttle.ts';

/** One message for a wrong password, an unknown user and a disabled user: the answer never tells which. */
export const LOGIN_FAILED = 'Invalid username or password.';
/** The same whether or not the user exists: throttling is keyed by what was typed. */
export const LOGIN_THROTTLED = 'Too many failed sign-in attempts. Wait a while and try again.';

export type LoginContext = Pick<ContextInner, 'db' | 'ip' | 'now' | 'secrets' | 'session'> & { user: SessionUser | null };

export type Me = {
  id: number;
  username: string;
  displayName: string | null;
  role: Role;
  providerId: number | null;
  providerName: string | null;
  dataUseAgreement: boolean;
};

type UserRow = {
  id: number;
  username: string;
  display_name: string | null;
  password_hash: string;
  role: Role;
  provider_id: number | null;
  dua_reference: string | null;
  dua_expires_on: string | null;
  disabled_at: string | null;
};

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * Signs in: throttling first (per username and per address, counted before
 * the password is checked so parallel guesses are counted too), then
 * Argon2id verification, against a dummy hash when there is no such user or
 * it is disabled, so every failure costs the same time. On success: a new
 * session (the one the browser sent, if any, is ended), the cookie, the
 * audit entry.
 */
export async function login(ctx: LoginContext, input: { username: string; password: string }): Promise<Me> {
  const username = normalizeUsername(input.username);
  const throttle = new LoginThrottle(ctx.db);
  const keys: Array<[string, typeof USERNAME_RULE]> = [
    [usernameKey(username), USERNAME_RULE],
    [addressKey(ctx.ip), ADDRESS_RULE],
  ];
  const user = ctx.db.$client
    .prepare(
      'SELECT id, username, display_name, password_hash, role, provider_id, dua_reference, dua_expires_on, disabled_at FROM users WHERE username = ?',
    )
    .get(username) as UserRow | undefined;
  // Only a real user's name goes into the log: what was typed may be a password typed in the wrong box.
  const who = user ? { userId: user.id, username: user.username, role: user.role } : { userId: null, username: null, role: null };

  const start = ctx.now();
  if (throttle.nextAllowedAt(keys, start) > start) {
    audit(ctx, { action: 'auth.login', outcome: 'denied', ...who, detail: { reason: 'throttled' } });
    throw new DomainError('TOO_MANY_REQUESTS', LOGIN_THROTTLED);
  }
  // Counted as a failure now and forgiven on success: concurrent guesses all see it.
  throttle.recordFailure(keys, start);

  const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);
  if (!user || !ok || user.disabled_at !== null) {
    audit(ctx, {
      action: 'auth.login',
      outcome: 'failure',
      ...who,
      detail: { reason: !user ? 'unknown_user' : user.disabled_at !== null ? 'disabled' : 'bad_password' },
    });
    throw new DomainError('UNAUTHORIZED', LOGIN_FAILED);
  }

  const now = ctx.now();
  throttle.clear(keys[0]![0]);
  forgiveOne(ctx, keys[1]![0]);
  if (ctx.session?.token) deleteSession(ctx.db, ctx.session.token);
  const session = createSession(ctx.db, user.id, now, ctx.ip);
  ctx.session?.set(session.token, Math.floor(SESSION_ABSOLUTE_MS / 1000));
  audit(ctx, { action: 'auth.login', outcome: 'success', ...who });

  if (needsRehash(user.password_hash)) {
    const rehashed = await hashPassword(input.password);
    ctx.db.$client.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(rehashed, user.id);
  }
  return meOf(ctx, user.id)!;
}

/** The address's counter goes back down by the one failure counted up front. */
function forgiveOne(ctx: LoginContext, key: string): void {
  ctx.db.$client.prepare('UPDATE login_throttle SET failures = max(failures - 1, 0) WHERE key = ?').run(key);
}

/** Ends the session the request carries (on the server, not only the cookie). */
export function logout(ctx: LoginContext): { ok: true } {
  if (ctx.session?.token) {
    const ended = deleteSession(ctx.db, ctx.session.token);
    if (ended && ctx.user) audit(ctx, { action: 'auth.logout', outcome: 'success' });
  }
  ctx.session?.clear();
  return { ok: true };
}

export function meOf(ctx: Pick<ContextInner, 'db' | 'now'>, userId: number): Me | null {
  const row = ctx.db.$client
    .prepare(
      `SELECT u.id, u.username, u.display_name, u.role, u.provider_id, p.name AS provider_name, u.dua_reference, u.dua_expires_on
       FROM users u LEFT JOIN providers p ON p.id = u.provider_id WHERE u.id = ? AND u.disabled_at IS NULL`,
    )
    .get(userId) as
    | {
        id: number;
        username: string;
        display_name: string | null;
        role: Role;
        provider_id: number | null;
        provider_name: string | null;
        dua_reference: string | null;
        dua_expires_on: string | null;
      }
    | undefined;
  if (!row) return null;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    providerId: row.provider_id,
    providerName: row.provider_name,
    dataUseAgreement: hasCurrentDua(row.role, row.dua_reference, row.dua_expires_on, ctx.now()),
  };
}
