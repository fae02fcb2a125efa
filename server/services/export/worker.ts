/**
 * The export worker thread: opens the database read-only on its own
 * connection and runs the export job (job.ts), posting each chunk to the
 * request's thread. A chunk is posted only when the request's thread has
 * given a credit back (a SharedArrayBuffer counter), so at most a few chunks
 * are in flight whatever the export's size: memory stays flat.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { exportJob, type ExportRequest } from './job.ts';

type Data = { path: string; request: ExportRequest; credits: Int32Array };
const { path, request, credits } = workerData as Data & { entry: string };

const sqlite = new Database(path, { readonly: true, fileMustExist: true });
sqlite.pragma('busy_timeout = 5000');
sqlite.pragma('cache_size = -65536');
try {
  for (const ev of exportJob(sqlite, request)) {
    if (ev.type === 'chunk') {
      while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, Atomics.load(credits, 0), 1000);
      Atomics.sub(credits, 0, 1);
      parentPort!.postMessage(ev, [ev.bytes.buffer as ArrayBuffer]);
    } else parentPort!.postMessage(ev);
  }
} finally {
  sqlite.close();
}
