import { describe, expect, it } from 'vitest';
import { afterFailure, nextAllowedAt, USERNAME_RULE, usernameKey, type ThrottleState } from '../../server/auth/throttle.ts';
import { procedureCost, TokenBuckets } from '../../server/auth/rate-limit.ts';

describe('login throttling rules', () => {
  const rule = USERNAME_RULE;
  const fail = (times: number, start = 0, step = 60_000): { state: ThrottleState | null; at: number } => {
    let state: ThrottleState | null = null;
    let at = start;
    for (let i = 0; i < times; i++) {
      at = Math.max(at, nextAllowedAt(state, rule, at));
      state = afterFailure(state, rule, at);
      at += step / 100;
    }
    return { state, at };
  };

  it('lets the first failures through at once', () => {
    const { state } = fail(2);
    expect(nextAllowedAt(state, rule, state!.lastFailureAt)).toBe(state!.lastFailureAt);
  });

  it('then slows: 1 s, 2 s, 4 s... between attempts', () => {
    const a = fail(3).state!;
    expect(nextAllowedAt(a, rule, a.lastFailureAt)).toBe(a.lastFailureAt + 1000);
    const b = afterFailure(a, rule, a.lastFailureAt + 1000);
    expect(nextAllowedAt(b, rule, b.lastFailureAt)).toBe(b.lastFailureAt + 2000);
  });

  it('then refuses for 15 minutes after 10 failures', () => {
    const { state } = fail(10);
    expect(state!.lockedUntil).toBe(state!.lastFailureAt + 15 * 60_000);
    expect(nextAllowedAt(state, rule, state!.lastFailureAt + 14 * 60_000)).toBe(state!.lockedUntil);
    // After the lock, counting starts afresh.
    const later = state!.lockedUntil! + 1;
    expect(nextAllowedAt(state, rule, later)).toBe(later);
    expect(afterFailure(state, rule, later).failures).toBe(1);
  });

  it('forgets failures older than the window', () => {
    const { state } = fail(5);
    const later = state!.firstFailureAt + rule.windowMs + 1;
    expect(nextAllowedAt(state, rule, later)).toBe(later);
    expect(afterFailure(state, rule, later).failures).toBe(1);
  });

  it('keys usernames by hash, case-insensitively (what was typed is never stored)', () => {
    expect(usernameKey(' Alice ')).toBe(usernameKey('alice'));
    expect(usernameKey('alice')).not.toContain('alice');
  });
});

describe('rate limits weighted by cost', () => {
  it('sign-in and exports cost more than a read', () => {
    expect(procedureCost('auth.login', 'mutation')).toBeGreaterThan(procedureCost('records.summary', 'query') * 10);
    expect(procedureCost('cohorts.exportDeidentified', 'mutation')).toBeGreaterThan(procedureCost('auth.login', 'mutation'));
    expect(procedureCost('imports.run', 'mutation')).toBeGreaterThan(procedureCost('users.update', 'mutation'));
  });

  it('refuses when the bucket is empty and refills with time', () => {
    let now = 0;
    const b = new TokenBuckets({ capacity: 60, refillPerSecond: 1 }, () => now);
    expect(b.take('ip:a', 30).ok).toBe(true);
    expect(b.take('ip:a', 30).ok).toBe(true);
    const refused = b.take('ip:a', 30);
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 30 });
    // Reads still pass for another client.
    expect(b.take('ip:b', 1).ok).toBe(true);
    now += 30_000;
    expect(b.take('ip:a', 30).ok).toBe(true);
  });

  it('does not grow without bound under many addresses', () => {
    const b = new TokenBuckets({ capacity: 10, refillPerSecond: 1, maxKeys: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) b.take(`ip:${i}`, 5);
    expect((b as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(100);
  });
});
