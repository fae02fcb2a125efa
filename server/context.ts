import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { ROLES, type Role } from '../db/schema/auth.ts';
import { appendAudit } from './auth/audit.ts';
import { cookieTransport, type SessionTransport } from './auth/cookie.ts';
import { ephemeralSecrets, type Secrets } from './auth/secrets.ts';
import { resolveSession } from './auth/sessions.ts';
import { DEFAULT_SMALL_CELL_THRESHOLD } from './auth/suppression.ts';
import { inProcessAnalytics, type Analytics } from './services/analytics/runtime.ts';

export { ROLES, type Role };

/** The signed-in user a request acts for; null when anonymous. */
export type SessionUser = {
  id: number;
  role: Role;
  providerId: number | null;
  /** For the audit log; looked up when absent. */
  username?: string;
  /** A researcher with a current recorded data-use agreement (identified exports). */
  dataUseAgreement?: boolean;
};

export type PrivacySettings = { smallCellThreshold: number };

export type ContextInner = {
  db: Db;
  user: SessionUser | null;
  /** The client's address as the server sees it (null outside HTTP). */
  ip: string | null;
  /** Epoch milliseconds; injectable so tests can move time. */
  now: () => number;
  /** Keys kept outside the database (audit chain HMAC, cookie signing). */
  secrets: Secrets;
  privacy: PrivacySettings;
  /** Reads and sets the session cookie (null outside HTTP). */
  session: SessionTransport | null;
  /**
   * The analytic store's tasks (server/services/analytics/): the server's
   * worker thread, or an in-process runtime on `db` (tests, when not given).
   */
  analytics: Analytics;
};

export type ContextOptions = { db: Db; user: SessionUser | null } & Partial<Omit<ContextInner, 'db' | 'user'>>;

let processSecrets: Secrets | null = null;

/**
 * The context without HTTP: what router tests build directly, from `{ db, user }`
 * and optionally a clock, an address, settings. Without `secrets` the audit
 * chain uses keys random to this process (right for tests; the server passes
 * the real ones).
 */
export function createContextInner(opts: ContextOptions): ContextInner {
  return {
    db: opts.db,
    user: opts.user,
    ip: opts.ip ?? null,
    now: opts.now ?? Date.now,
    secrets: opts.secrets ?? (processSecrets ??= ephemeralSecrets()),
    privacy: opts.privacy ?? { smallCellThreshold: DEFAULT_SMALL_CELL_THRESHOLD },
    session: opts.session ?? null,
    analytics: opts.analytics ?? inProcessAnalytics(opts.db),
  };
}

export type Context = ContextInner & { req?: FastifyRequest; res?: FastifyReply };

export type HttpContextDeps = { db: Db; secrets: Secrets; now?: () => number; privacy?: PrivacySettings; analytics?: Analytics };

/**
 * Per request: the user of the session cookie, if it is signed, known, not
 * expired (30 min idle, 12 h absolute) and its user not disabled. An expired
 * session is deleted, its cookie cleared and its end audited.
 */
export function createHttpContextFactory(deps: HttpContextDeps) {
  const now = deps.now ?? Date.now;
  return ({ req, res }: { req: FastifyRequest; res: FastifyReply }): Context => {
    const session = cookieTransport(req, res);
    let user: SessionUser | null = null;
    if (session.token) {
      const found = resolveSession(deps.db, session.token, now());
      if (found.status === 'valid') user = found.session.user;
      else {
        session.clear();
        if (found.status === 'expired') {
          appendAudit(
            deps.db,
            deps.secrets.audit,
            {
              action: 'auth.session_expired',
              outcome: 'success',
              userId: found.userId,
              username: found.username,
              role: found.role,
              ip: req.ip,
              detail: { reason: found.reason },
            },
            now(),
          );
        }
      }
    }
    return { ...createContextInner({ db: deps.db, user, ip: req.ip, now, secrets: deps.secrets, privacy: deps.privacy, session, analytics: deps.analytics }), req, res };
  };
}
