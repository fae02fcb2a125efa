import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/index.ts';
import { DEFAULT_UPLOAD_LIMIT, MAX_BATCH, registerHardening } from './auth/http.ts';
import { dummyHash } from './auth/password.ts';
import type { RateLimitOptions } from './auth/rate-limit.ts';
import { ephemeralSecrets, loadSecrets, type Secrets } from './auth/secrets.ts';
import { pruneSessions } from './auth/sessions.ts';
import { DEFAULT_SMALL_CELL_THRESHOLD } from './auth/suppression.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { createHttpContextFactory } from './context.ts';
import type { Env } from './env.ts';
import type { Analytics } from './services/analytics/runtime.ts';
import { appRouter, type AppRouter } from './routers/_app.ts';

export const CLIENT_DIST = fileURLToPath(new URL('../dist/client', import.meta.url));

export type AppOptions = {
  db: Db;
  logger?: boolean;
  clientDist?: string | null;
  /** Cookie and audit keys; default: random to this process (tests). */
  secrets?: Secrets;
  /** Epoch ms; injectable so tests can move time (session expiry, throttling). */
  now?: () => number;
  trustProxy?: boolean | number | string;
  allowedOrigins?: readonly string[];
  uploadLimit?: number;
  rateLimit?: RateLimitOptions;
  smallCellThreshold?: number;
  /** Where analytic tasks run (main.ts: the worker thread); default: in-process on `db`. */
  analytics?: Analytics;
};

/** The production options from the parsed environment (loads or creates the secret key). */
export function appOptionsFromEnv(env: Env): Omit<AppOptions, 'db'> {
  return {
    secrets: loadSecrets(env),
    trustProxy: env.TRUST_PROXY,
    allowedOrigins: env.ALLOWED_ORIGINS,
    uploadLimit: env.UPLOAD_LIMIT_MB * 1024 * 1024,
    smallCellThreshold: env.SMALL_CELL_THRESHOLD,
  };
}

/** The HTTP server: the tRPC API under /trpc and the built client, from one port. */
export async function buildApp({
  db,
  logger = false,
  clientDist = CLIENT_DIST,
  secrets = ephemeralSecrets(),
  now = Date.now,
  trustProxy = false,
  allowedOrigins = [],
  uploadLimit = DEFAULT_UPLOAD_LIMIT,
  rateLimit,
  smallCellThreshold = DEFAULT_SMALL_CELL_THRESHOLD,
  analytics,
}: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger
      ? {
          // Never log bodies, query strings or headers: they may carry PHI or credentials.
          serializers: {
            req: (req) => ({ method: req.method, url: req.url.split('?')[0] }),
            res: (res) => ({ statusCode: res.statusCode }),
          },
        }
      : false,
    // The largest body anything accepts; each tRPC path has its own lower limit (server/auth/http.ts).
    bodyLimit: uploadLimit,
    // A hop count trusts that many proxies in front of us (Fastify's types lack the number form).
    trustProxy: typeof trustProxy === 'number' ? (_addr: string, hop: number) => hop < trustProxy : trustProxy,
    // A batch of MAX_BATCH procedure names fits; a longer path list is refused (414) before routing.
    routerOptions: { maxParamLength: 2000 },
  });

  await app.register(fastifyCookie, { secret: secrets.cookie });
  // Hash the sign-in dummy now, so the first failed sign-in of an unknown user takes no longer than any other.
  void dummyHash();
  // Expired sessions and stale throttle counters are refused anyway; this only keeps the tables small.
  const prune = setInterval(() => {
    pruneSessions(db, now());
    new LoginThrottle(db).prune(now());
  }, 10 * 60_000);
  prune.unref();
  app.addHook('onClose', async () => clearInterval(prune));
  await registerHardening(app, { allowedOrigins, uploadLimit, rateLimit, now });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      maxBatchSize: MAX_BATCH,
      createContext: createHttpContextFactory({ db, secrets, now, privacy: { smallCellThreshold }, analytics }),
      onError({ error, path }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error({ path, err: error.cause?.name ?? error.name }, 'procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  await (await import('./http/exports.ts')).registerExportRoutes(app, { db, secrets, now });
  app.get('/healthz', async () => ({ ok: true }));

  if (clientDist && existsSync(clientDist)) {
    await app.register(fastifyStatic, { root: clientDist, wildcard: false });
    // Client-side routes (/outcomes, /compare, ...) all load the single page.
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/trpc')) return reply.type('text/html').sendFile('index.html');
      return reply.code(404).send({ error: 'Not found' });
    });
  }
  return app;
}
