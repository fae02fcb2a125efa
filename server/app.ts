import fastifyStatic from '@fastify/static';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/index.ts';
import { createHttpContextFactory } from './context.ts';
import { appRouter, type AppRouter } from './routers/_app.ts';

export const CLIENT_DIST = fileURLToPath(new URL('../dist/client', import.meta.url));

export type AppOptions = { db: Db; logger?: boolean; clientDist?: string | null };

/** The HTTP server: the tRPC API under /trpc and the built client, from one port. */
export async function buildApp({ db, logger = false, clientDist = CLIENT_DIST }: AppOptions): Promise<FastifyInstance> {
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
    bodyLimit: 64 * 1024 * 1024,
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: createHttpContextFactory(db),
      onError({ error, path }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error({ path, err: error.cause?.name ?? error.name }, 'procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

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
