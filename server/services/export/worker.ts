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
import { SLOT_ASKED, SLOT_FILLED, slotOf, type MeasureSource } from './measures.ts';

type Data = { path: string; request: ExportRequest; credits: Int32Array; slots: SharedArrayBuffer[] | null };
const { path, request, credits, slots } = workerData as Data & { entry: string };

/**
 * The wide measure values from the analytic store (measures.ts): the request's thread runs the task
 * `export.wideMeasures` into a shared slot and flags it; this thread waits for the flag (a minute at most,
 * then SQLite fills the slot).
 */
const measures: MeasureSource | null = slots && {
  slots: slots.map(slotOf),
  ask(slot, n) {
    Atomics.store(this.slots[slot]!.header, 0, SLOT_ASKED);
    parentPort!.postMessage({ type: 'measures', slot, n });
  },
  wait(slot) {
    const h = this.slots[slot]!.header;
    const until = Date.now() + 60_000;
    while (Atomics.load(h, 0) === SLOT_ASKED && Date.now() < until) Atomics.wait(h, 0, SLOT_ASKED, 1000);
    return Atomics.load(h, 0) === SLOT_FILLED ? h[1]! : null;
  },
};

const sqlite = new Database(path, { readonly: true, fileMustExist: true });
sqlite.pragma('busy_timeout = 5000');
sqlite.pragma('cache_size = -65536');
try {
  for (const ev of exportJob(sqlite, request, { measures, onMeasures: (filled) => parentPort!.postMessage({ type: 'measures-filled', filled }) })) {
    if (ev.type === 'chunk') {
      while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, Atomics.load(credits, 0), 1000);
      Atomics.sub(credits, 0, 1);
      parentPort!.postMessage(ev, [ev.bytes.buffer as ArrayBuffer]);
    } else parentPort!.postMessage(ev);
  }
} finally {
  sqlite.close();
}
