// Entry of the analytics worker thread: registers the TypeScript loader
// (server/loader: the server runs TypeScript without a build step; under vitest the thread starts without it),
// then loads the worker itself. See runtime.ts, WorkerAnalytics.
import '../../loader/register.mjs';
await import('./worker-main.ts');
