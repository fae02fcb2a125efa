import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { router } from '../trpc.ts';
import { auditRouter } from './audit.ts';
import { authRouter } from './auth.ts';
import { cohortsRouter } from './cohorts.ts';
import { compareRouter } from './compare.ts';
import { importsRouter } from './imports.ts';
import { operationsRouter } from './operations.ts';
import { outcomesRouter } from './outcomes.ts';
import { recordsRouter } from './records.ts';
import { usersRouter } from './users.ts';

export const appRouter = router({
  records: recordsRouter,
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  imports: importsRouter,
  outcomes: outcomesRouter,
  compare: compareRouter,
  operations: operationsRouter,
  cohorts: cohortsRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
