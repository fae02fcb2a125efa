import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';

export const ROLES = ['physician', 'practice_manager', 'researcher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in user a request acts for; null when anonymous. */
export type SessionUser = { id: number; role: Role; providerId: number | null };

export type ContextInner = { db: Db; user: SessionUser | null };

/** The context without HTTP: what router tests build directly. */
export function createContextInner(opts: ContextInner): ContextInner {
  return { db: opts.db, user: opts.user };
}

export type Context = ContextInner & { req?: FastifyRequest; res?: FastifyReply };

export function createHttpContextFactory(db: Db) {
  return ({ req, res }: { req: FastifyRequest; res: FastifyReply }): Context => ({
    ...createContextInner({ db, user: null }),
    req,
    res,
  });
}
