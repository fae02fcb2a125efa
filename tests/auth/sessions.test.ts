import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../server/auth/cookie.ts';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../server/auth/sessions.ts';
import { PASSWORD, seedPractice, seedUsers } from './helpers.ts';
import { dataOf, sessionCookieOf, startTestApp, type TestApp } from './http-helpers.ts';

const MIN = 60_000;

describe('sessions', () => {
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

  const me = async (cookie: string | null) => dataOf<{ username: string } | null>(await t.query('auth.me', undefined, { cookie }));

  it('sign-in sets a signed, HttpOnly, Secure, SameSite=Strict, host-only cookie on Path=/', async () => {
    const { res } = await t.login('dr.a', PASSWORD);
    expect(res.statusCode).toBe(200);
    const header = String(res.headers['set-cookie']);
    expect(header).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(header).toContain('HttpOnly');
    expect(header).toContain('Secure');
    expect(header).toContain('SameSite=Strict');
    expect(header).toContain('Path=/');
    expect(header).not.toMatch(/Domain=/i);
    expect(header).toContain(`Max-Age=${SESSION_ABSOLUTE_MS / 1000}`);
  });

  it('the session id is random, at least 128 bits, signed, and only its hash is stored', async () => {
    const a = (await t.login('dr.a', PASSWORD)).cookie!;
    const b = (await t.login('dr.a', PASSWORD)).cookie!;
    expect(a).not.toBe(b);
    const [token, signature] = decodeURIComponent(a).split('.');
    expect(Buffer.from(token!, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(signature!.length).toBeGreaterThan(20);
    const stored = t.db.$client.prepare('SELECT id_hash FROM sessions').pluck().all() as string[];
    expect(stored).toContain(createHash('sha256').update(token!).digest('hex'));
    expect(stored.join()).not.toContain(token);
  });

  it('a cookie with a forged signature or an unknown id is nobody', async () => {
    const good = (await t.login('dr.a', PASSWORD)).cookie!;
    const [token] = decodeURIComponent(good).split('.');
    expect(await me(`${token}.forgedsignature`)).toBeNull();
    expect(await me(token!)).toBeNull();
    expect(await me(good)).toMatchObject({ username: 'dr.a' });
  });

  it('expires after 30 minutes without a request, and is kept alive by requests', async () => {
    const cookie = (await t.login('dr.a', PASSWORD)).cookie!;
    t.clock.advance(29 * MIN);
    expect(await me(cookie)).toMatchObject({ username: 'dr.a' });
    t.clock.advance(29 * MIN);
    expect(await me(cookie)).toMatchObject({ username: 'dr.a' });
    t.clock.advance(SESSION_IDLE_MS);
    const res = await t.query('auth.me', undefined, { cookie });
    expect(dataOf(res)).toBeNull();
    // The browser is told to drop the cookie, and the session is gone from the server.
    expect(String(res.headers['set-cookie'])).toMatch(new RegExp(`${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`));
    expect(t.db.$client.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    const row = t.db.$client.prepare("SELECT username, detail FROM audit_log WHERE action = 'auth.session_expired'").get() as {
      username: string;
      detail: string;
    };
    expect(row).toEqual({ username: 'dr.a', detail: JSON.stringify({ reason: 'idle' }) });
  });

  it('ends 12 hours after sign-in even when in constant use', async () => {
    const cookie = (await t.login('dr.a', PASSWORD)).cookie!;
    for (let elapsed = 0; elapsed < SESSION_ABSOLUTE_MS - 20 * MIN; elapsed += 20 * MIN) {
      t.clock.advance(20 * MIN);
      expect(await me(cookie)).toMatchObject({ username: 'dr.a' });
    }
    t.clock.advance(20 * MIN);
    expect(await me(cookie)).toBeNull();
    expect(t.db.$client.prepare("SELECT detail FROM audit_log WHERE action = 'auth.session_expired'").pluck().get()).toBe(
      JSON.stringify({ reason: 'absolute' }),
    );
  });

  it('sign-out ends the session on the server: the old cookie no longer works', async () => {
    const cookie = (await t.login('dr.a', PASSWORD)).cookie!;
    const out = await t.mutate('auth.logout', null, { cookie });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`${SESSION_COOKIE}=;`));
    // A copy of the cookie (kept by an attacker, or the back button) is worthless.
    expect(await me(cookie)).toBeNull();
    expect(t.db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'auth.logout' AND username = 'dr.a'").pluck().get()).toBe(1);
  });

  it('sign-in renews the session: the id the browser had before is ended (no fixation)', async () => {
    const first = (await t.login('dr.a', PASSWORD)).cookie!;
    const res = await t.mutate('auth.login', { username: 'manager', password: PASSWORD }, { cookie: first });
    const second = sessionCookieOf(res)!;
    expect(second).not.toBe(first);
    expect(await me(first)).toBeNull();
    expect(await me(second)).toMatchObject({ username: 'manager' });
  });

  it('disabling a user or changing their role ends their sessions at once', async () => {
    const admin = (await t.login('admin', PASSWORD)).cookie!;
    const doctor = (await t.login('dr.a', PASSWORD)).cookie!;
    const id = t.db.$client.prepare("SELECT id FROM users WHERE username = 'manager'").pluck().get() as number;
    const manager = (await t.login('manager', PASSWORD)).cookie!;
    const physicianId = t.db.$client.prepare("SELECT id FROM users WHERE username = 'dr.a'").pluck().get() as number;

    expect((await t.mutate('users.update', { id, disabled: true }, { cookie: admin })).statusCode).toBe(200);
    expect(await me(manager)).toBeNull();
    expect((await t.mutate('users.update', { id: physicianId, role: 'researcher' }, { cookie: admin })).statusCode).toBe(200);
    expect(await me(doctor)).toBeNull();
    expect(await me(admin)).toMatchObject({ username: 'admin' });
  });
});
