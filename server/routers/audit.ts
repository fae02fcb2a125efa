import { z } from 'zod';
import { AUDIT_OUTCOMES } from '../../db/schema/auth.ts';
import { AUDIT_ACTIONS, searchAudit, verifyAuditChain } from '../auth/audit.ts';
import { audit } from '../auth/log.ts';
import { allow, procedure, router } from '../trpc.ts';

const admin = allow.roles('admin');
const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

/** The audit log: admins only (roles.md). Reading it is itself recorded. */
export const auditRouter = router({
  /** Newest first; page with `beforeId` (the last id of the previous page). */
  search: procedure(admin)
    .input(
      z.object({
        username: z.string().trim().max(64).optional(),
        /** An action ('auth.login') or a family ('auth'). */
        action: z.string().trim().max(40).regex(/^[a-z_.]*$/).optional(),
        outcome: z.enum(AUDIT_OUTCOMES).optional(),
        from: Instant.optional(),
        to: Instant.optional(),
        beforeId: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500).default(100),
      }),
    )
    .query(({ ctx, input }) => {
      const rows = searchAudit(ctx.db, { ...input, username: input.username || undefined, action: input.action || undefined });
      audit(ctx, {
        action: 'audit.read',
        outcome: 'success',
        detail: { rows: rows.length, filtered: !!(input.username || input.action || input.outcome || input.from || input.to) },
      });
      return {
        rows: rows.map(({ prevHash: _p, hash: _h, detail, ...r }) => ({ ...r, detail: detail ? (JSON.parse(detail) as Record<string, unknown>) : null })),
        nextBeforeId: rows.length === input.limit ? rows[rows.length - 1]!.id : null,
      };
    }),

  actions: procedure(admin).query(() => AUDIT_ACTIONS),

  /** Re-computes the hash chain (what `npm run audit:verify` does). */
  verify: procedure(admin).query(({ ctx }) => verifyAuditChain(ctx.db, ctx.secrets.audit, { maxProblems: 20 })),
});
