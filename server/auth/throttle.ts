import { createHash } from 'node:crypto';
import type { Db } from '../../db/index.ts';

/**
 * Failed sign-ins are slowed, then refused for a while (roles.md). Counted per
 * username, whether or not the user exists (so throttling never tells), and
 * per client address (one address trying many usernames). Pure rules here;
 * the counters live in the `login_throttle` table so that they survive a
 * restart and are shared with every process using the database.
 */
export type ThrottleRule = {
  /** Failures counted within this window (ms) of the first; older ones are forgotten. */
  windowMs: number;
  /** From this many failures on, each attempt must wait `2^(failures - slowAfter)` s (capped) after the last failure. */
  slowAfter: number;
  maxDelayMs: number;
  /** At this many failures, attempts are refused for `lockMs`. */
  lockAfter: number;
  lockMs: number;
};

export const USERNAME_RULE: ThrottleRule = { windowMs: 15 * 60_000, slowAfter: 3, maxDelayMs: 30_000, lockAfter: 10, lockMs: 15 * 60_000 };
/** Looser: a practice's staff may share one address. */
export const ADDRESS_RULE: ThrottleRule = { windowMs: 15 * 60_000, slowAfter: 20, maxDelayMs: 30_000, lockAfter: 50, lockMs: 15 * 60_000 };

export type ThrottleState = { failures: number; firstFailureAt: number; lastFailureAt: number; lockedUntil: number | null };

/** When the next attempt is allowed (epoch ms); `now` or earlier means now. */
export function nextAllowedAt(state: ThrottleState | null, rule: ThrottleRule, now: number): number {
  if (!state) return now;
  if (state.lockedUntil !== null && state.lockedUntil > now) return state.lockedUntil;
  if (now - state.firstFailureAt > rule.windowMs) return now;
  if (state.failures < rule.slowAfter) return now;
  const delay = Math.min(rule.maxDelayMs, 1000 * 2 ** (state.failures - rule.slowAfter));
  return state.lastFailureAt + delay;
}

/** The state after one more failure at `now`. */
export function afterFailure(state: ThrottleState | null, rule: ThrottleRule, now: number): ThrottleState {
  const fresh = !state || now - state.firstFailureAt > rule.windowMs || (state.lockedUntil !== null && state.lockedUntil <= now);
  const base = fresh ? { failures: 0, firstFailureAt: now } : { failures: state.failures, firstFailureAt: state.firstFailureAt };
  const failures = base.failures + 1;
  return {
    failures,
    firstFailureAt: base.firstFailureAt,
    lastFailureAt: now,
    lockedUntil: failures >= rule.lockAfter ? now + rule.lockMs : null,
  };
}

export function usernameKey(username: string): string {
  // Hashed: what someone typed as a username may be a password typed in the wrong box.
  return `user:${createHash('sha256').update(username.trim().toLowerCase()).digest('hex')}`;
}
export function addressKey(ip: string | null): string {
  return `ip:${ip ?? 'unknown'}`;
}

/** The counters in the database. */
export class LoginThrottle {
  constructor(private readonly db: Db) {}

  get(key: string): ThrottleState | null {
    const row = this.db.$client
      .prepare('SELECT failures, first_failure_at, last_failure_at, locked_until FROM login_throttle WHERE key = ?')
      .get(key) as { failures: number; first_failure_at: number; last_failure_at: number; locked_until: number | null } | undefined;
    return row
      ? { failures: row.failures, firstFailureAt: row.first_failure_at, lastFailureAt: row.last_failure_at, lockedUntil: row.locked_until }
      : null;
  }

  /** The latest time any of the keys allows the next attempt. */
  nextAllowedAt(keys: Array<[string, ThrottleRule]>, now: number): number {
    return Math.max(now, ...keys.map(([k, rule]) => nextAllowedAt(this.get(k), rule, now)));
  }

  recordFailure(keys: Array<[string, ThrottleRule]>, now: number): void {
    const upsert = this.db.$client.prepare(
      `INSERT INTO login_throttle (key, failures, first_failure_at, last_failure_at, locked_until) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, first_failure_at = excluded.first_failure_at,
         last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
    );
    this.db.$client.transaction(() => {
      for (const [k, rule] of keys) {
        const s = afterFailure(this.get(k), rule, now);
        upsert.run(k, s.failures, s.firstFailureAt, s.lastFailureAt, s.lockedUntil);
      }
    })();
  }

  clear(key: string): void {
    this.db.$client.prepare('DELETE FROM login_throttle WHERE key = ?').run(key);
  }

  /** Forgets counters whose window and lock have passed. */
  prune(now: number, maxAgeMs = 24 * 3600_000): void {
    this.db.$client.prepare('DELETE FROM login_throttle WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)').run(now - maxAgeMs, now);
  }
}
