import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGIN_FAILED, LOGIN_THROTTLED } from '../../server/auth/login.ts';
import { PASSWORD, seedPractice, seedUsers } from './helpers.ts';
import { dataOf, errorOf, startTestApp, type TestApp } from './http-helpers.ts';

const MIN = 60_000;

describe('sign-in', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({
      seed: async (db, secrets) => {
        seedPractice(db);
        await seedUsers(db, secrets);
      },
    });
  });
  afterEach(() => t.close());

  it('signs in with the right password, case-insensitively on the username, and says who', async () => {
    const { res, cookie } = await t.login(' DR.A ', PASSWORD);
    expect(res.statusCode).toBe(200);
    expect(dataOf(res)).toMatchObject({ username: 'dr.a', role: 'physician', providerId: 1, providerName: 'Dr A' });
    expect(cookie).not.toBeNull();
    // The answer never carries the password hash.
    expect(res.body).not.toContain('argon2');
  });

  it('a wrong password, an unknown user and a disabled user get the same answer', async () => {
    const id = t.db.$client.prepare("SELECT id FROM users WHERE username = 'manager'").pluck().get() as number;
    t.db.$client.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(new Date().toISOString(), id);
    const answers = [];
    for (const [u, p] of [
      ['dr.a', 'wrong-password-123'],
      ['nobody-here', 'wrong-password-123'],
      ['manager', PASSWORD],
    ] as const) {
      const { res, cookie } = await t.login(u, p);
      expect(cookie).toBeNull();
      answers.push({ status: res.statusCode, ...errorOf(res) });
    }
    expect(answers[0]).toEqual({ status: 401, message: LOGIN_FAILED, code: 'UNAUTHORIZED', httpStatus: 401 });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('takes comparable time whether or not the user exists (a dummy hash is verified)', async () => {
    const time = async (username: string) => {
      t.db.$client.exec('DELETE FROM login_throttle');
      const start = performance.now();
      await t.login(username, 'wrong-password-123');
      return performance.now() - start;
    };
    await time('dr.a'); // warm-up (the dummy hash is made once)
    await time('ghost');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time('dr.a'));
      unknown.push(await time(`ghost${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // Both include an Argon2id verification (tens of milliseconds), not a quick "no such user".
    expect(median(unknown)).toBeGreaterThan(5);
  });

  it('slows repeated failures, then refuses for 15 minutes, even the right password', async () => {
    const attempt = async (password = 'wrong-password-123') => {
      const { res } = await t.login('dr.a', password);
      return res.statusCode === 200 ? 'ok' : errorOf(res).message === LOGIN_THROTTLED ? 'throttled' : 'failed';
    };
    expect([await attempt(), await attempt(), await attempt()]).toEqual(['failed', 'failed', 'failed']);
    // Slowed: the 4th attempt right away is refused without checking the password.
    expect(await attempt(PASSWORD)).toBe('throttled');
    t.clock.advance(1000);
    expect(await attempt()).toBe('failed'); // 4 failures: next wait 2 s
    t.clock.advance(1000);
    expect(await attempt()).toBe('throttled');
    // Keep failing, each time after the wait, until 10 failures.
    for (let failures = 4; failures < 10; failures++) {
      t.clock.advance(30_000);
      expect(await attempt()).toBe('failed');
    }
    // Refused for a while, whatever the password.
    t.clock.advance(60_000);
    expect(await attempt(PASSWORD)).toBe('throttled');
    t.clock.advance(14 * MIN);
    expect(await attempt(PASSWORD)).toBe('ok');
  });

  it('throttles an unknown username exactly like a known one (throttling does not tell either)', async () => {
    const sequence = async (username: string) => {
      const out: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { res } = await t.login(username, 'wrong-password-123');
        out.push(`${res.statusCode} ${errorOf(res).message}`);
      }
      return out;
    };
    expect(await sequence('nobody-at-all')).toEqual(await sequence('dr.a'));
  });

  it('a successful sign-in resets the username counter', async () => {
    await t.login('dr.a', 'wrong-password-123');
    await t.login('dr.a', 'wrong-password-123');
    expect((await t.login('dr.a', PASSWORD)).res.statusCode).toBe(200);
    await t.login('dr.a', 'wrong-password-123');
    await t.login('dr.a', 'wrong-password-123');
    expect((await t.login('dr.a', 'wrong-password-123')).res.statusCode).toBe(401);
  });

  it('throttles one address trying many usernames', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await t.login(`user${i}`, 'wrong-password-123', '10.9.9.9')).res.statusCode);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    // Another address is not affected.
    expect((await t.login('dr.a', PASSWORD, '10.1.1.1')).res.statusCode).toBe(200);
  });

  it('counts parallel guesses too (no race past the counter)', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => t.login('dr.a', 'wrong-password-123')));
    const failed = results.filter((r) => r.res.statusCode === 401).length;
    expect(failed).toBeLessThanOrEqual(3);
  });

  it('audits every sign-in and failed sign-in with who, when (UTC), where and outcome, without what was typed', async () => {
    await t.login('dr.a', PASSWORD, '10.2.2.2');
    await t.login('dr.a', 'wrong-password-123', '10.2.2.2');
    await t.login('not-a-user', 'secret-typed-in-the-wrong-box', '10.2.2.2');
    const rows = t.db.$client.prepare("SELECT * FROM audit_log WHERE action = 'auth.login' ORDER BY id").all() as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.username, r.outcome, r.ip])).toEqual([
      ['dr.a', 'success', '10.2.2.2'],
      ['dr.a', 'failure', '10.2.2.2'],
      [null, 'failure', '10.2.2.2'],
    ]);
    for (const r of rows) expect(r.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const all = JSON.stringify(t.db.$client.prepare('SELECT * FROM audit_log').all());
    expect(all).not.toContain('not-a-user');
    expect(all).not.toContain('secret-typed');
    expect(all).not.toContain('wrong-password');
  });
});
