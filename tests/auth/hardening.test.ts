import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BATCH } from '../../server/auth/http.ts';
import { PASSWORD, seedPractice, seedUsers } from './helpers.ts';
import { errorOf, ORIGIN, startTestApp, type TestApp } from './http-helpers.ts';

describe('HTTP hardening', () => {
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

  const post = (path: string, headers: Record<string, string>, payload: string | Readable) =>
    t.app.inject({ method: 'POST', url: `/trpc/${path}`, headers: { host: 'localhost', ...headers }, payload, remoteAddress: '10.0.0.1' });

  describe('mutations only as JSON from our own origin', () => {
    it('refuses a cross-site form post (the classic CSRF)', async () => {
      const res = await post('auth.login', { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, `username=admin&password=${PASSWORD}`);
      expect(res.statusCode).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('refuses a cross-site JSON fetch (forged Origin)', async () => {
      const res = await post('auth.login', { origin: 'https://evil.example', 'content-type': 'application/json' }, JSON.stringify({ username: 'admin', password: PASSWORD }));
      expect(res.statusCode).toBe(403);
      expect(t.db.$client.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    });

    it('refuses a look-alike origin (other scheme, port or suffix)', async () => {
      for (const origin of ['https://localhost', 'http://localhost:8080', 'http://localhost.evil.example', 'null']) {
        const res = await post('auth.logout', { origin, 'content-type': 'application/json' }, 'null');
        expect(res.statusCode, origin).toBe(403);
      }
    });

    it('refuses a same-origin post that is not JSON (text/plain and multipart forms)', async () => {
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
        const res = await post('auth.logout', { origin: ORIGIN, 'content-type': type }, 'x');
        expect(res.statusCode, type).toBe(415);
      }
    });

    it('refuses a post with neither Origin nor Fetch Metadata, accepts Sec-Fetch-Site: same-origin', async () => {
      expect((await post('auth.logout', { 'content-type': 'application/json' }, 'null')).statusCode).toBe(403);
      expect((await post('auth.logout', { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, 'null')).statusCode).toBe(403);
      expect((await post('auth.logout', { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, 'null')).statusCode).toBe(200);
    });

    it('accepts a same-origin JSON mutation', async () => {
      expect((await t.login('admin', PASSWORD)).res.statusCode).toBe(200);
    });

    it('refuses a mutation sent as GET and other methods', async () => {
      const get = await t.app.inject({ method: 'GET', url: `/trpc/auth.logout`, headers: { host: 'localhost' } });
      expect(get.statusCode).toBe(405);
      const put = await t.app.inject({ method: 'PUT', url: `/trpc/auth.logout`, headers: { host: 'localhost', origin: ORIGIN, 'content-type': 'application/json' }, payload: 'null' });
      expect(put.statusCode).toBe(405);
    });
  });

  describe('batch size capped before any work', () => {
    it(`accepts a batch of ${MAX_BATCH}`, async () => {
      const paths = Array.from({ length: MAX_BATCH }, () => 'auth.me').join(',');
      const res = await t.app.inject({ method: 'GET', url: `/trpc/${paths}?batch=1&input={}`, headers: { host: 'localhost' } });
      expect(res.statusCode).toBe(200);
    });

    it('refuses 1,000 comma-separated paths fast, without running anything', async () => {
      const admin = (await t.login('admin', PASSWORD)).cookie!;
      const before = t.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get();
      const paths = Array.from({ length: 1000 }, () => 'audit.search').join(',');
      const start = performance.now();
      const res = await t.app.inject({
        method: 'GET',
        url: `/trpc/${paths}?batch=1&input={}`,
        headers: { host: 'localhost', cookie: `__Host-sid=${admin}` },
      });
      const elapsed = performance.now() - start;
      // 414 from the router (the path list is longer than any honest batch) or 400 from the batch cap.
      expect([400, 414]).toContain(res.statusCode);
      expect(elapsed).toBeLessThan(200);
      expect(t.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(before);

      // Shorter names, so that the URL itself is acceptable: the batch cap refuses it.
      const many = Array.from({ length: 200 }, () => 'auth.me').join(',');
      const capped = await t.app.inject({ method: 'GET', url: `/trpc/${many}?batch=1&input={}`, headers: { host: 'localhost' } });
      expect(capped.statusCode).toBe(400);
      expect(capped.json()).toEqual({ error: { message: `At most ${MAX_BATCH} calls per request`, httpStatus: 400 } });
    });

    it('counts URL-encoded commas too', async () => {
      const paths = Array.from({ length: 50 }, () => 'auth.me').join('%2C');
      const res = await t.app.inject({ method: 'GET', url: `/trpc/${paths}?batch=1&input={}`, headers: { host: 'localhost' } });
      expect(res.statusCode).toBe(400);
    });
  });

  describe('body size limits', () => {
    it('refuses a large JSON body by its declared length', async () => {
      const big = JSON.stringify({ username: 'admin', password: 'x'.repeat(2 * 1024 * 1024) });
      const res = await post('auth.login', { origin: ORIGIN, 'content-type': 'application/json' }, big);
      expect(res.statusCode).toBe(413);
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    });

    it('refuses a large chunked body that declares no length', async () => {
      const chunks = Array.from({ length: 64 }, () => Buffer.alloc(16 * 1024, 'a'));
      const res = await post('auth.login', { origin: ORIGIN, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Readable.from(chunks));
      expect(res.statusCode).toBe(413);
    });

    it('an upload procedure may be larger, up to its own limit', async () => {
      const small = await startTestApp({ uploadLimit: 1024 * 1024 });
      try {
        const body = JSON.stringify({ files: [{ name: 'a.csv', content: 'x'.repeat(600 * 1024) }] });
        const res = await small.app.inject({
          method: 'POST',
          url: '/trpc/imports.run',
          headers: { host: 'localhost', origin: ORIGIN, 'content-type': 'application/json' },
          payload: body,
        });
        // Past the size check: refused for not being signed in, not for size.
        expect(res.statusCode).not.toBe(413);
        const tooBig = await small.app.inject({
          method: 'POST',
          url: '/trpc/imports.run',
          headers: { host: 'localhost', origin: ORIGIN, 'content-type': 'application/json' },
          payload: JSON.stringify({ files: [{ name: 'a.csv', content: 'x'.repeat(1100 * 1024) }] }),
        });
        expect(tooBig.statusCode).toBe(413);
      } finally {
        await small.close();
      }
    });
  });

  describe('security headers', () => {
    it('on API answers: CSP with frame-ancestors none, nosniff, no referrer, no caching, no HSTS over plain http', async () => {
      const res = await t.query('auth.me');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('HSTS when behind TLS (a trusted proxy saying https)', async () => {
      const behind = await startTestApp({ trustProxy: true });
      try {
        const res = await behind.app.inject({ method: 'GET', url: '/healthz', headers: { host: 'outcomes.clinic.example', 'x-forwarded-proto': 'https' } });
        expect(res.headers['strict-transport-security']).toMatch(/max-age=\d{8}/);
        // Not trusted without trustProxy: a client cannot claim TLS.
        const direct = await t.app.inject({ method: 'GET', url: '/healthz', headers: { host: 'localhost', 'x-forwarded-proto': 'https' } });
        expect(direct.headers['strict-transport-security']).toBeUndefined();
      } finally {
        await behind.close();
      }
    });
  });

  describe('errors never carry stacks or internal messages', () => {
    it('an internal failure answers "Internal error" only', async () => {
      const admin = (await t.login('admin', PASSWORD)).cookie!;
      t.db.$client.exec('DROP TABLE observations');
      const res = await t.query('records.summary', undefined, { cookie: admin });
      expect(res.statusCode).toBe(500);
      expect(errorOf(res).message).toBe('Internal error');
      expect(res.body).not.toMatch(/observations|sqlite|stack|\.ts/i);
    });

    it('malformed JSON answers a short message', async () => {
      const res = await post('auth.login', { origin: ORIGIN, 'content-type': 'application/json' }, '{"username":');
      expect(res.statusCode).toBe(400);
      expect(res.body).not.toMatch(/\.ts:\d+|node_modules/);
    });
  });

  describe('rate limits weighted by cost', () => {
    it('sign-in attempts run out long before reads do', async () => {
      const limited = await startTestApp({ rateLimit: { capacity: 100, refillPerSecond: 1 } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await limited.login(`u${i}`, 'wrong-password-123', '10.3.3.3')).res.statusCode);
        expect(statuses).toEqual([401, 401, 401, 429, 429]);
        const reads: number[] = [];
        for (let i = 0; i < 90; i++) reads.push((await limited.query('auth.me', undefined, { ip: '10.4.4.4' })).statusCode);
        expect(reads.every((s) => s === 200)).toBe(true);
        const refused = await limited.login('u9', 'wrong-password-123', '10.3.3.3');
        expect(refused.res.headers['retry-after']).toBeDefined();
      } finally {
        await limited.close();
      }
    });
  });
});
