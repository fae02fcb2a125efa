import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import type { SessionUser } from '../context.ts';

/**
 * Sessions (roles.md): a random id of 256 bits (at least 128 required) sent
 * to the browser in a signed cookie; the database keeps only its SHA-256, so
 * a copy of the database holds no usable session. A session ends at sign-out
 * (deleted on the server), after 30 minutes without a request, and 12 hours
 * after sign-in whatever happens. Every sign-in makes a new session (the old
 * one, if the browser sent it, is deleted), so an id planted before sign-in
 * is worthless after it.
 */
export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 3600_000;
/** `last_seen_at` is written at most this often: a read-heavy dashboard should not write on every request. */
export const SESSION_TOUCH_MS = 15_000;
export const SESSION_TOKEN_BYTES = 32;

export type ResolvedSession = { user: SessionUser & { username: string }; idHash: string; expiresAt: number };


export function newSessionToken(): string {
  return randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createSession(db: Db, userId: number, now: number, ip: string | null): { token: string; expiresAt: number } {
  const token = newSessionToken();
  const expiresAt = now + SESSION_ABSOLUTE_MS;
  db.$client
    .prepare('INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?)')
    .run(hashSessionToken(token), userId, now, now, expiresAt, ip);
  return { token, expiresAt };
}

export function deleteSession(db: Db, token: string): boolean {
  return db.$client.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashSessionToken(token)).changes > 0;
}

export function deleteUserSessions(db: Db, userId: number): number {
  return db.$client.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId).changes;
}

/** Removes every expired session (called now and then; expired sessions are also refused one by one). */
export function pruneSessions(db: Db, now: number): number {
  return db.$client.prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?').run(now, now - SESSION_IDLE_MS).changes;
}

export type SessionLookup =
  | { status: 'valid'; session: ResolvedSession }
  | { status: 'expired'; userId: number; username: string; role: Role; reason: 'idle' | 'absolute' }
  | { status: 'none' };

/**
 * The session a token stands for at `now`, touching its idle clock. An
 * expired session is deleted; a disabled user's sessions count as none.
 */
export function resolveSession(db: Db, token: string, now: number): SessionLookup {
  const idHash = hashSessionToken(token);
  const row = db.$client
    .prepare(
      `SELECT s.user_id, s.last_seen_at, s.expires_at, u.username, u.role, u.provider_id, u.disabled_at,
              u.dua_reference, u.dua_expires_on
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`,
    )
    .get(idHash) as
    | {
        user_id: number;
        last_seen_at: number;
        expires_at: number;
        username: string;
        role: Role;
        provider_id: number | null;
        disabled_at: string | null;
        dua_reference: string | null;
        dua_expires_on: string | null;
      }
    | undefined;
  if (!row) return { status: 'none' };
  if (row.disabled_at !== null) {
    db.$client.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
    return { status: 'none' };
  }
  const reason = now >= row.expires_at ? 'absolute' : now - row.last_seen_at >= SESSION_IDLE_MS ? 'idle' : null;
  if (reason) {
    db.$client.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
    return { status: 'expired', userId: row.user_id, username: row.username, role: row.role, reason };
  }
  if (now - row.last_seen_at >= SESSION_TOUCH_MS) db.$client.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(now, idHash);
  return {
    status: 'valid',
    session: {
      idHash,
      expiresAt: row.expires_at,
      user: {
        id: row.user_id,
        username: row.username,
        role: row.role,
        providerId: row.provider_id,
        dataUseAgreement: hasCurrentDua(row.role, row.dua_reference, row.dua_expires_on, now),
      },
    },
  };
}

export function hasCurrentDua(role: Role, reference: string | null, expiresOn: string | null, now: number): boolean {
  if (role !== 'researcher' || !reference) return false;
  return expiresOn === null || expiresOn >= new Date(now).toISOString().slice(0, 10);
}
