import { z } from 'zod';
import { audit } from '../auth/log.ts';
import { login, logout, meOf } from '../auth/login.ts';
import { PASSWORD_MAX_LENGTH, verifyPassword } from '../auth/password.ts';
import { setPassword } from '../auth/users.ts';
import { DomainError } from '../errors.ts';
import { allow, procedure, router } from '../trpc.ts';

const Credentials = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH * 4),
});

export const authRouter = router({
  /** The signed-in user, or null. */
  me: procedure(allow.anyone).query(({ ctx }) => (ctx.user ? meOf(ctx, ctx.user.id) : null)),

  login: procedure(allow.anyone)
    .input(Credentials)
    .mutation(({ ctx, input }) => login(ctx, input)),

  logout: procedure(allow.anyone).mutation(({ ctx }) => logout(ctx)),

  /** Changing one's own password needs the current one; every session of the user (this one too) ends. */
  changePassword: procedure(allow.signedIn)
    .input(z.object({ currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH * 4), newPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH) }))
    .mutation(async ({ ctx, input }) => {
      const hash = ctx.db.$client.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(ctx.user.id) as string | undefined;
      if (!hash || !(await verifyPassword(hash, input.currentPassword))) {
        audit(ctx, { action: 'auth.password_change', outcome: 'failure', target: `user:${ctx.user.id}` });
        throw new DomainError('BAD_REQUEST', 'The current password is not right.');
      }
      await setPassword({ db: ctx.db, now: ctx.now, audit: (e) => audit(ctx, e) }, ctx.user.id, input.newPassword, 'auth.password_change');
      ctx.session?.clear();
      return { ok: true as const };
    }),
});
