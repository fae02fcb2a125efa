import { initTRPC } from '@trpc/server';
import type { Context } from './context.ts';
import { DomainError, toTRPCError } from './errors.ts';

const t = initTRPC.context<Context>().create({
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

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);
