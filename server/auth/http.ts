import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Transform } from 'node:stream';
import { procedureCost, TokenBuckets, type RateLimitOptions } from './rate-limit.ts';

/**
 * The HTTP hardening in front of tRPC, each refusing before any procedure
 * runs (docs/security.md lists them with their tests):
 * - batch size: at most MAX_BATCH calls per request, counted on the raw URL;
 * - rate limit weighted by cost, per client address;
 * - mutations (POST) only as application/json and only from our own origin
 *   (a cross-site form post or fetch is refused);
 * - body size: JSON_BODY_LIMIT, UPLOAD_BODY_LIMIT for the upload procedures;
 * - security headers (CSP with frame-ancestors 'none', nosniff, no-referrer,
 *   HSTS when the request came over TLS), and `Cache-Control: no-store` on
 *   API answers (they may carry PHI).
 */
export const MAX_BATCH = 10;
export const JSON_BODY_LIMIT = 256 * 1024;
export const DEFAULT_UPLOAD_LIMIT = 64 * 1024 * 1024;
/** Procedures whose input is a file: the only ones allowed a large body. */
export const UPLOAD_PROCEDURES: ReadonlySet<string> = new Set(['imports.run']);

export type HardeningOptions = {
  /** Origins allowed besides the server's own (e.g. a dev server). */
  allowedOrigins?: readonly string[];
  uploadLimit?: number;
  rateLimit?: RateLimitOptions;
  now?: () => number;
  /** Add HSTS on TLS requests (https, or X-Forwarded-Proto https behind a trusted proxy). */
  hsts?: boolean;
};

class HttpRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_MESSAGES: Record<number, string> = {
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request body too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
};

function refuse(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).header('cache-control', 'no-store').send({ error: { message, httpStatus: statusCode } });
}

/**
 * The tRPC path part of a /trpc URL, decoded as the router will see it (an
 * encoded comma is still a comma); '' when the URL is not a valid encoding.
 */
export function trpcPathOf(url: string): string | null {
  if (!url.startsWith('/trpc/')) return null;
  const q = url.indexOf('?');
  const raw = url.slice('/trpc/'.length, q < 0 ? undefined : q);
  try {
    return decodeURIComponent(raw);
  } catch {
    return '';
  }
}

/** How many calls a tRPC URL asks for: commas + 1 (counted without splitting a hostile string). */
export function batchSize(path: string): number {
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 44 /* , */) n++;
  return n;
}

export function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/** The origin the browser would send for a page served by us. */
export function ownOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/**
 * Is a state-changing request from a page of ours? Browsers send `Origin` on
 * every POST; without one we fall back to Fetch Metadata, and refuse when
 * neither says same-origin.
 */
export function sameOrigin(req: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) return origin === ownOrigin(req) || allowed.includes(origin);
  const site = req.headers['sec-fetch-site'];
  return site === 'same-origin';
}

export async function registerHardening(app: FastifyInstance, opts: HardeningOptions = {}): Promise<void> {
  const allowed = opts.allowedOrigins ?? [];
  const uploadLimit = opts.uploadLimit ?? DEFAULT_UPLOAD_LIMIT;
  const buckets = new TokenBuckets(opts.rateLimit, opts.now);

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // React and Recharts set style attributes from script (CSSOM), which CSP allows; no inline <style> is needed.
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Sent below only on TLS requests: over plain http it would be meaningless (and it must not stick to a dev host).
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
    // For browsers that ignore CSP frame-ancestors.
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });

  app.addHook('onRequest', async (req, reply) => {
    if (opts.hsts !== false && req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const path = trpcPathOf(req.url);
    if (path === null) return;
    reply.header('cache-control', 'no-store');

    const calls = batchSize(path);
    if (calls > MAX_BATCH) return refuse(reply, 400, `At most ${MAX_BATCH} calls per request`);

    const type = req.method === 'GET' ? 'query' : req.method === 'POST' ? 'mutation' : 'unknown';
    let cost = 0;
    for (const p of path.split(',')) cost += procedureCost(p, type);
    const taken = buckets.take(`ip:${req.ip}`, cost);
    if (!taken.ok) return refuse(reply.header('retry-after', String(taken.retryAfterSeconds)), 429, 'Too many requests; try again shortly');

    if (req.method === 'GET') return;
    if (req.method !== 'POST') return refuse(reply, 405, 'Method not allowed');
    if (!sameOrigin(req, allowed)) return refuse(reply, 403, 'Cross-origin request refused');
    if (!isJson(req.headers['content-type'])) return refuse(reply, 415, 'Send JSON (Content-Type: application/json)');
    return;
  });

  app.addHook('preParsing', async (req, _reply, payload) => {
    const path = trpcPathOf(req.url);
    if (path === null) return payload;
    const limit = UPLOAD_PROCEDURES.has(path) ? uploadLimit : JSON_BODY_LIMIT;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) throw new HttpRefusal(413, 'Request body too large');
    let received = 0;
    // Also counts chunked bodies, which declare no length.
    return payload.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          if (received > limit) done(new HttpRefusal(413, 'Request body too large'));
          else done(null, chunk);
        },
      }),
    );
  });

  // Errors outside tRPC (body too large, malformed requests): a status and a short message, never a stack.
  app.setErrorHandler((err: { statusCode?: number; name?: string }, req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err: { name: err.name } }, 'request failed');
    const message = err instanceof HttpRefusal ? err.message : (STATUS_MESSAGES[status] ?? 'Bad request');
    return refuse(reply, status, message);
  });
}
