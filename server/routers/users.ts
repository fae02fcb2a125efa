import { z } from 'zod';
import { ROLES } from '../../db/schema/auth.ts';
import { audit } from '../auth/log.ts';
import { PASSWORD_MAX_LENGTH } from '../auth/password.ts';
import { createUser, listProviders, listUsers, setPassword, updateUser, type UserAdminContext } from '../auth/users.ts';
import type { ContextInner } from '../context.ts';
import { allow, procedure, router } from '../trpc.ts';

const admin = allow.roles('admin');
const Id = z.number().int().positive();
const Dua = z.object({ reference: z.string().trim().min(1).max(100), expiresOn: z.iso.date().nullish() });

function adminCtx(ctx: ContextInner): UserAdminContext {
  return { db: ctx.db, now: ctx.now, audit: (e) => audit(ctx, e) };
}

/** User management: admins only (roles.md). */
export const usersRouter = router({
  list: procedure(admin).query(({ ctx }) => listUsers(ctx.db)),

  /** Providers a physician account can be linked to. */
  providers: procedure(admin).query(({ ctx }) => listProviders(ctx.db)),

  create: procedure(admin)
    .input(
      z.object({
        username: z.string().trim().min(3).max(64),
        password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
        role: z.enum(ROLES),
        displayName: z.string().trim().max(100).nullish(),
        providerId: Id.nullish(),
        dua: Dua.nullish(),
      }),
    )
    .mutation(({ ctx, input }) => createUser(adminCtx(ctx), input)),

  update: procedure(admin)
    .input(
      z.object({
        id: Id,
        role: z.enum(ROLES).optional(),
        providerId: Id.nullish(),
        displayName: z.string().trim().max(100).nullish(),
        disabled: z.boolean().optional(),
        dua: Dua.nullish(),
      }),
    )
    .mutation(({ ctx, input: { id, ...change } }) => updateUser(adminCtx(ctx), id, change, ctx.user.id)),

  resetPassword: procedure(admin)
    .input(z.object({ id: Id, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }))
    .mutation(async ({ ctx, input }) => {
      await setPassword(adminCtx(ctx), input.id, input.password, 'user.password_reset');
      return { ok: true as const };
    }),
});
