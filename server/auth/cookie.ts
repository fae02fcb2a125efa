import type {} from '@fastify/cookie'; // its request/reply augmentations
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The session cookie: signed (HMAC with the cookie key), HttpOnly, Secure,
 * SameSite=Strict, Path=/. The `__Host-` prefix makes the browser refuse it
 * unless it is Secure, host-only and Path=/, so no sibling subdomain can
 * plant or shadow it. Browsers keep Secure cookies on http://localhost and
 * http://127.0.0.1 (both secure contexts), which is how `npm start` serves;
 * any other host must be served over TLS (docs/security.md).
 */
export const SESSION_COOKIE = '__Host-sid';

/** How a procedure reads and sets the session cookie; null outside HTTP. */
export type SessionTransport = {
  /** The session token the request carried, if its signature is valid. */
  readonly token: string | null;
  set(token: string, maxAgeSeconds: number): void;
  clear(): void;
};

const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

export function cookieTransport(req: FastifyRequest, res: FastifyReply): SessionTransport {
  const raw = req.cookies[SESSION_COOKIE];
  let token: string | null = null;
  if (raw) {
    const unsigned = req.unsignCookie(raw);
    if (unsigned.valid && unsigned.value) token = unsigned.value;
  }
  return {
    token,
    set(value, maxAgeSeconds) {
      res.setCookie(SESSION_COOKIE, value, { ...ATTRIBUTES, signed: true, maxAge: maxAgeSeconds });
    },
    clear() {
      res.clearCookie(SESSION_COOKIE, ATTRIBUTES);
    },
  };
}
