// Entry of the export worker thread: plain JavaScript, so that it starts under
// any runner (tsx, vitest); it registers tsx's loader and loads the worker in TypeScript.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
