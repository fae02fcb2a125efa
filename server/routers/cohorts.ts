import { router } from '../trpc.ts';

/** Filled in by its issue; registered in _app.ts so the matrix test walks it from the start. */
export const cohortsRouter = router({});
