// Entry of the analytics worker thread: registers tsx (the server runs
// TypeScript without a build step; under vitest the thread starts without it),
// then loads the worker itself. See runtime.ts, WorkerAnalytics.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
