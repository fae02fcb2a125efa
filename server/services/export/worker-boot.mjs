// Entry of the export worker thread: plain JavaScript, so that it starts under
// any runner (tsx, vitest); it registers the TypeScript loader (server/loader) and loads the worker.
import { workerData } from 'node:worker_threads';
import '../../loader/register.mjs';
await import(workerData.entry);
