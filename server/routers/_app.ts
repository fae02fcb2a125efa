import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { router } from '../trpc.ts';
import { recordsRouter } from './records.ts';

export const appRouter = router({
  records: recordsRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
