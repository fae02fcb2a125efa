import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createTestDb, type Db } from '../../db/index.ts';
import { SESSION_COOKIE } from '../../server/auth/cookie.ts';
import { ephemeralSecrets, type Secrets } from '../../server/auth/secrets.ts';
import { buildApp, type AppOptions } from '../../server/app.ts';

export const ORIGIN = 'http://localhost';

/** A fake clock tests move by hand. */
export class Clock {
  constructor(public t = Date.UTC(2026, 10, 24, 9, 0, 0)) {}
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export type TestApp = {
  app: FastifyInstance;
  db: Db;
  clock: Clock;
  secrets: Secrets;
  /** POST a mutation as a same-origin browser would. */
  mutate(path: string, input?: unknown, opts?: { cookie?: string | null; ip?: string; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  query(path: string, input?: unknown, opts?: { cookie?: string | null; ip?: string }): Promise<LightMyRequestResponse>;
  login(username: string, password: string, ip?: string): Promise<{ res: LightMyRequestResponse; cookie: string | null }>;
  close(): Promise<void>;
};

export async function startTestApp(opts: Partial<AppOptions> & { seed?: (db: Db, secrets: Secrets) => Promise<void> | void } = {}): Promise<TestApp> {
  const db = opts.db ?? createTestDb();
  const clock = new Clock();
  const secrets = opts.secrets ?? ephemeralSecrets();
  await opts.seed?.(db, secrets);
  const app = await buildApp({
    clientDist: null,
    now: clock.now,
    rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
    ...opts,
    db,
    secrets,
  });
  const cookieHeader = (cookie?: string | null) => (cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {});
  const t: TestApp = {
    app,
    db,
    clock,
    secrets,
    mutate: (path, input, o = {}) =>
      app.inject({
        method: 'POST',
        url: `/trpc/${path}`,
        headers: { origin: ORIGIN, host: 'localhost', 'content-type': 'application/json', ...cookieHeader(o.cookie), ...o.headers },
        payload: JSON.stringify(input ?? null),
        remoteAddress: o.ip ?? '10.0.0.1',
      }),
    query: (path, input, o = {}) =>
      app.inject({
        method: 'GET',
        url: `/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
        headers: { host: 'localhost', ...cookieHeader(o.cookie) },
        remoteAddress: o.ip ?? '10.0.0.1',
      }),
    login: async (username, password, ip) => {
      const res = await t.mutate('auth.login', { username, password }, { ip });
      return { res, cookie: sessionCookieOf(res) };
    },
    close: async () => {
      await app.close();
      db.$client.close();
    },
  };
  return t;
}

/** The session cookie a response set (its raw, signed value), or null. */
export function sessionCookieOf(res: LightMyRequestResponse): string | null {
  const c = (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === SESSION_COOKIE);
  return c && c.value ? c.value : null;
}

export function dataOf<T = unknown>(res: LightMyRequestResponse): T {
  return (res.json() as { result: { data: T } }).result.data;
}

export function errorOf(res: LightMyRequestResponse): { message: string; code: string; httpStatus: number } {
  const body = res.json() as { error: { message: string; data?: { code: string; httpStatus: number }; httpStatus?: number } };
  return { message: body.error.message, code: body.error.data?.code ?? '', httpStatus: body.error.data?.httpStatus ?? body.error.httpStatus ?? res.statusCode };
}
