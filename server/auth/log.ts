import type { ContextInner } from '../context.ts';
import { appendAudit, type AuditEntry, type AuditRow } from './audit.ts';

/**
 * Appends to the audit log on behalf of the context's caller: who (the
 * signed-in user unless the entry names someone else), from where (the
 * request's address) and when (the context's clock).
 */
export function audit(ctx: Pick<ContextInner, 'db' | 'user' | 'ip' | 'now' | 'secrets'>, entry: AuditEntry): AuditRow {
  const u = ctx.user;
  const username = entry.username !== undefined ? entry.username : u ? (u.username ?? usernameOf(ctx, u.id)) : null;
  return appendAudit(
    ctx.db,
    ctx.secrets.audit,
    {
      ...entry,
      userId: entry.userId !== undefined ? entry.userId : (u?.id ?? null),
      username,
      role: entry.role !== undefined ? entry.role : (u?.role ?? null),
      ip: entry.ip !== undefined ? entry.ip : ctx.ip,
    },
    ctx.now(),
  );
}

function usernameOf(ctx: Pick<ContextInner, 'db'>, id: number): string | null {
  return (ctx.db.$client.prepare('SELECT username FROM users WHERE id = ?').pluck().get(id) as string | undefined) ?? null;
}
