import { allow, procedure, router } from '../trpc.ts';
import { recordsSummary } from '../services/records/summary.ts';

export const recordsRouter = router({
  /** How many records of each kind are stored, and the span of index dates. */
  summary: procedure(allow.signedIn).query(({ ctx }) => recordsSummary(ctx.db)),
});
