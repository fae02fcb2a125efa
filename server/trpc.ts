import { initTRPC, TRPCError } from '@trpc/server';
import { audit } from './auth/log.ts';
import { decide, type Policy } from './auth/policy.ts';
import type { Context, SessionUser } from './context.ts';
import { DomainError, toTRPCError } from './errors.ts';

export { allow, type Policy } from './auth/policy.ts';

/** Every procedure's meta carries its access policy (server/auth/policy.ts). */
export type Meta = { policy?: Policy };

const t = initTRPC.context<Context>().meta<Meta>().create({
  // Never send stacks, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    // Only messages we wrote reach the client: no internal messages, no stacks.
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...shape,
      message: internal ? 'Internal error' : shape.message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, zodIssues: zodIssuesOf(error.cause) },
    };
  },
});

function zodIssuesOf(cause: unknown): Array<{ path: string; message: string }> | undefined {
  if (cause && typeof cause === 'object' && 'issues' in cause && Array.isArray((cause as { issues: unknown }).issues)) {
    return (cause as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
    }));
  }
  return undefined;
}

/** Maps domain errors thrown by services to tRPC errors, in one place. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) throw toTRPCError(result.error.cause);
  return result;
});

/**
 * Deny by default: the procedure's policy decides, and a procedure without
 * one is refused for everyone. Runs before input parsing, so a refused
 * caller learns nothing about the input a procedure expects. A signed-in
 * user refused a procedure is audited (`access.denied`).
 */
const authorize = t.middleware(({ ctx, meta, path, next }) => {
  const verdict = decide(meta?.policy, ctx.user);
  if (verdict === 'unauthenticated') throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  if (verdict === 'forbidden') {
    audit(ctx, { action: 'access.denied', outcome: 'denied', target: path });
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You do not have access to this.' });
  }
  return next();
});

const signedIn = t.middleware(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { user: ctx.user as SessionUser } });
});

const base = t.procedure.use(domainErrors).use(authorize);
const userBase = base.use(signedIn);

/**
 * The one way to build a procedure: `procedure(allow.roles('admin')).query(...)`.
 * With a policy that requires signing in, `ctx.user` is non-null.
 */
export function procedure(policy: Policy & { anonymous: true }): typeof base;
export function procedure(policy: Policy & { anonymous: false }): typeof userBase;
export function procedure(policy: Policy): typeof base | typeof userBase {
  return policy.anonymous ? base.meta({ policy }) : userBase.meta({ policy });
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/**
 * @deprecated Deny-by-default placeholder kept only so code written against the
 * scaffold compiles: it has no policy, so every call is refused. Use `procedure(policy)`.
 */
export const publicProcedure = base;
