/**
 * The export worker thread: opens the database read-only on its own
 * connection and runs the export job (job.ts), posting each chunk to the
 * request's thread. A chunk is posted only when the request's thread has
 * given a credit back (a SharedArrayBuffer counter), so at most a few chunks
 * are in flight whatever the export's size: memory stays flat.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { exportJob, type ExportRequest, type StoreSlots } from './job.ts';
import { episodeSlotOf, SLOT_ASKED, SLOT_FILLED, treatmentSlotOf, type SlotSource } from './slots.ts';

type Data = { path: string; request: ExportRequest; credits: Int32Array; slots: { episodes: SharedArrayBuffer[]; treatments: SharedArrayBuffer[] } | null; returns: MessagePort };
const { path, request, credits, slots, returns } = workerData as Data & { entry: string };

/**
 * Output buffers come back from the request's thread once the zip writer has taken their bytes (transferred,
 * not copied), and are written again: a few buffers in a loop instead of a new one per chunk, which the
 * request's thread's garbage collector would have to free (several GB of them in a large export).
 */
const free: ArrayBuffer[] = [];
/** Takes the buffers given back so far (every chunk's comes back, also those not from alloc): four kept, the rest let go. */
function takeReturns(): void {
  for (let m = receiveMessageOnPort(returns); m; m = receiveMessageOnPort(returns)) if (free.length < 4) free.push(m.message as ArrayBuffer);
}
function alloc(size: number): Uint8Array {
  takeReturns();
  const i = free.findIndex((b) => b.byteLength >= size);
  return i >= 0 ? new Uint8Array(free.splice(i, 1)[0]!) : new Uint8Array(size);
}

/**
 * The episode and treatment rows from the analytic store (slots.ts): the request's thread runs the task
 * `export.episodes` / `export.treatments` into a shared slot and flags it; this thread waits for the flag
 * (a minute at most, then SQLite fills the slot).
 */
function source(table: 'episodes' | 'treatments', headers: Int32Array[]): SlotSource {
  return {
    ask(slot, n) {
      Atomics.store(headers[slot]!, 0, SLOT_ASKED);
      parentPort!.postMessage({ type: 'fill', table, slot, n });
    },
    wait(slot) {
      const h = headers[slot]!;
      const until = Date.now() + 60_000;
      while (Atomics.load(h, 0) === SLOT_ASKED && Date.now() < until) Atomics.wait(h, 0, SLOT_ASKED, 1000);
      return Atomics.load(h, 0) === SLOT_FILLED ? h[1]! : null;
    },
  };
}
const storeSlots: StoreSlots | null = slots && (() => {
  const episodes = slots.episodes.map(episodeSlotOf);
  const treatments = slots.treatments.map(treatmentSlotOf);
  return {
    episodes,
    treatments,
    source: { episodes: source('episodes', episodes.map((s) => s.header)), treatments: source('treatments', treatments.map((s) => s.header)) },
  };
})();

/** This thread's CPU seconds (user + system), where Linux tells (/proc): the bench's figure per thread. */
function threadCpu(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

const sqlite = new Database(path, { readonly: true, fileMustExist: true });
sqlite.pragma('busy_timeout = 5000');
sqlite.pragma('cache_size = -65536');
try {
  let crc = 0;
  const onFilled = (filled: unknown) => parentPort!.postMessage({ type: 'filled', filled, cpu: threadCpu() });
  for (const ev of exportJob(sqlite, request, { slots: storeSlots, onFilled, alloc })) {
    if (ev.type === 'chunk') {
      // The zip's CRC-32 here, on this thread, not on the request's.
      crc = crc32(ev.bytes, crc);
      takeReturns();
      while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, Atomics.load(credits, 0), 1000);
      Atomics.sub(credits, 0, 1);
      parentPort!.postMessage({ ...ev, crc }, [ev.bytes.buffer as ArrayBuffer]);
    } else {
      if (ev.type === 'file') crc = 0;
      parentPort!.postMessage(ev);
    }
  }
} finally {
  sqlite.close();
}
