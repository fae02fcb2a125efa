/**
 * GET /exports/:ticket — the download of a cohort export (a zip stream).
 * The ticket comes from `cohorts.export` / `cohorts.exportIdentified`, which
 * checked the caller's role (and data-use agreement) and wrote the audit
 * entry; here the session must be the same user's, and the ticket is used
 * once. Registered by server/app.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/index.ts';
import { appendAudit } from '../auth/audit.ts';
import { cookieTransport } from '../auth/cookie.ts';
import type { Secrets } from '../auth/secrets.ts';
import { resolveSession } from '../auth/sessions.ts';
import { exportZip } from '../services/export/stream.ts';
import { redeemTicket } from '../services/export/tickets.ts';

export type ExportRouteDeps = { db: Db; secrets: Secrets; now?: () => number };

const TICKET = /^[A-Za-z0-9_-]{43}$/;

export async function registerExportRoutes(app: FastifyInstance, deps: ExportRouteDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  app.get<{ Params: { ticket: string } }>('/exports/:ticket', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const session = cookieTransport(req, reply);
    const found = session.token ? resolveSession(deps.db, session.token, now()) : null;
    if (!found || found.status !== 'valid') return reply.code(401).send({ error: { message: 'Sign in to continue.', httpStatus: 401 } });
    const user = found.session.user;
    const ticket = TICKET.test(req.params.ticket) ? redeemTicket(req.params.ticket, user.id, now()) : null;
    if (!ticket) return reply.code(404).send({ error: { message: 'This download has expired or was already used. Start the export again.', httpStatus: 404 } });

    const r = ticket.request;
    const out = exportZip(deps.db.$client, r);
    req.raw.on('close', () => {
      if (!reply.raw.writableFinished) out.abort();
    });
    out.done.catch(() => {
      appendAudit(
        deps.db,
        deps.secrets.audit,
        { action: ticket.auditAction, outcome: 'failure', userId: user.id, username: user.username ?? null, role: user.role, ip: req.ip, target: r.cohort ? `cohort:${r.cohort.id}` : 'cohort:unsaved', detail: { stage: 'stream' } },
        now(),
      );
    });
    const slug = (r.cohort?.name ?? 'cohort').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'cohort';
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${slug}-${r.shape}-${r.format}${r.identified ? '-identified' : ''}.zip"`)
      .header('x-export-episodes', String(r.members.episodeIds.length))
      .send(out.stream);
  });
}
