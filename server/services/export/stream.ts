/**
 * A cohort export as one zip stream: README, the cohort definition, the data
 * dictionary, then the data files as they are produced. For a database file
 * the rows are read and encoded in a worker thread on its own read-only
 * connection (worker.ts), off the request's event loop; for an in-memory
 * database (tests, a demo without a file) in this thread, in one go (the
 * database is in memory anyway). From a file at most a few chunks are in
 * memory: the zip writer pulls, and the worker waits for it.
 */
import type Database from 'better-sqlite3';
import type { Readable } from 'node:stream';
import { MessageChannel, Worker } from 'node:worker_threads';
import { bundleFiles, exportJob, newSlots, TREATMENTS_PER_EPISODE, type ExportRequest, type JobEvent, type SlotsFilled, type StoreSlots } from './job.ts';
import type { Analytics } from '../analytics/runtime.ts';
import { SLOT_FAILED, SLOT_FILLED } from './slots.ts';
import { analyticsFor } from './request.ts';
import { BATCH_ROWS, type RowCounts } from './tables.ts';
import { ZipWriter } from './zip.ts';

export type ExportStream = {
  /** The zip file's bytes. */
  stream: Readable;
  /** Resolves with the rows written per table when the last byte is produced; rejects on failure. */
  done: Promise<RowCounts>;
  /** Stops the producer (the client went away). */
  abort(): void;
  /** Slots of episode and treatment rows filled by the analytic store / from SQLite (known when done). */
  filled: SlotsFilled | null;
  /** CPU seconds of the export worker thread, when it could tell (known when done). */
  workerCpu: number | null;
};

/** Chunks a producer may post before the zip writer has taken them. */
const CREDITS = 4;

/** Numbers every slot filling: the runner caches results by input, and each filling must run. */
let calls = 0;

/** Episodes of an in-memory database's export taken from the store in one slot; above, from SQLite. */
const IN_MEMORY_SLOT = 1 << 18;

export function exportZip(
  sqlite: Database.Database,
  req: ExportRequest,
  opts: { worker?: boolean; analytics?: Analytics | null; slotRows?: number; treatmentRows?: number; level?: (name: string) => number } = {},
): ExportStream {
  // Episode and treatment rows come from the analytic store the members were found with (slots.ts).
  const analytics = opts.analytics === undefined ? analyticsFor(req) : opts.analytics;
  const fillSlot = (table: 'episodes' | 'treatments', buffer: SharedArrayBuffer, n: number): Promise<number | null> => {
    const call = ++calls;
    return analytics!.runTask(table === 'episodes' ? 'export.episodes' : 'export.treatments', { buffer, n, call }).then(
      (r) => (Atomics.load(new Int32Array(buffer, 0, 4), 2) === call ? r.version : null),
      () => null,
    );
  };
  const result: ExportStream = { stream: null as unknown as Readable, done: null as unknown as Promise<RowCounts>, abort: () => {}, filled: null, workerCpu: null };
  const zip = new ZipWriter(new Date(req.createdAt));
  // Zip work in the order the files and chunks come (an entry ends asynchronously: its deflate drains first).
  let chain: Promise<void> = (async () => {
    for (const f of bundleFiles(req, req.members.episodeIds.length)) await zip.add(f.name, Buffer.from(f.text, 'utf8'), 6);
  })();
  // Deflate levels measured fastest for each format's bytes (zlib as node ships it, on this machine): JSON
  // compresses faster and smaller at level 2 than at 1 (508 against 383 MB/s on wide rows); CSV and the
  // uncompressed Parquet pages at level 1.
  const levelOf = opts.level ?? ((name: string) => (name.endsWith('.json') ? 2 : 1));
  const startFile = async (name: string) => {
    await zip.end();
    zip.start(name, levelOf(name));
  };

  const useWorker = opts.worker ?? (!sqlite.memory && sqlite.name !== '' && sqlite.name !== ':memory:');
  let abort = () => {};
  const done = new Promise<RowCounts>((resolve, reject) => {
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error('export failed');
      zip.destroy(e);
      reject(e);
    };
    if (useWorker) {
      const credits = new Int32Array(new SharedArrayBuffer(4));
      credits[0] = CREDITS;
      const giveBack = () => {
        Atomics.add(credits, 0, 1);
        Atomics.notify(credits, 0);
      };
      // Two slots of each: the worker writes rows from one while the store fills the next (tests use small ones to cross chunks).
      const slotRows = opts.slotRows ?? BATCH_ROWS;
      const slots = analytics ? newSlots(req.shape, slotRows, opts.treatmentRows ?? slotRows * TREATMENTS_PER_EPISODE) : null;
      // Output buffers go back to the worker once the zip writer has taken their bytes (worker.ts, alloc).
      const returns = new MessageChannel();
      const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        transferList: [returns.port2],
        workerData: {
          returns: returns.port2,
          entry: new URL('./worker.ts', import.meta.url).href,
          path: sqlite.name,
          request: req,
          credits,
          slots: slots && { episodes: slots.episodes.map((x) => x.buffer), treatments: slots.treatments.map((x) => x.buffer) },
        },
        // The worker holds at most a batch and a few chunks.
        resourceLimits: { maxOldGenerationSizeMb: 512 },
      });
      let settled = false;
      let failed = false;
      worker.on('message', (ev: JobEvent | { type: 'fill'; table: 'episodes' | 'treatments'; slot: number; n: number } | { type: 'filled'; filled: SlotsFilled; cpu: number | null }) => {
        if (ev.type === 'fill') {
          const slot = slots![ev.table][ev.slot]!;
          const h = slot.header;
          void fillSlot(ev.table, slot.buffer, ev.n).then((version) => {
            if (version !== null) h[1] = version;
            Atomics.store(h, 0, version === null ? SLOT_FAILED : SLOT_FILLED);
            Atomics.notify(h, 0);
          });
          return;
        }
        if (ev.type === 'filled') {
          result.filled = ev.filled;
          result.workerCpu = ev.cpu;
          return;
        }
        if (settled) return;
        const step =
          ev.type === 'file'
            ? () => startFile(ev.name)
            : ev.type === 'chunk'
              ? () =>
                  zip.write(
                    ev.bytes,
                    () => {
                      giveBack();
                      if (!settled) returns.port1.postMessage(ev.bytes.buffer, [ev.bytes.buffer as ArrayBuffer]);
                    },
                    ev.crc,
                  )
              : async () => {
                  settled = true;
                  await zip.finish();
                  resolve(ev.counts);
                };
        chain = chain.then(step);
        chain.catch((err: unknown) => {
          if (failed) return;
          failed = true;
          settled = true;
          void worker.terminate();
          fail(err);
        });
      });
      worker.on('error', (err) => {
        settled = true;
        fail(err);
      });
      worker.on('exit', (code) => {
        returns.port1.close();
        if (!settled) fail(new Error(`export worker stopped (${code})`));
      });
      abort = () => {
        settled = true;
        void worker.terminate();
      };
    } else {
      // An in-memory database (tests, a demo without a file) is already wholly in memory, and its one
      // connection serves every request: read the export in one go (no cursor stays open between requests'
      // statements), then stream the chunks.
      let stopped = false;
      abort = () => {
        stopped = true;
      };
      void (async () => {
        // The store's rows for every member in one slot of each (an in-memory practice is small), asked before
        // the job; treatments that do not fit, and everything when the store moved on meanwhile, from SQLite.
        const n = req.members.episodeIds.length;
        let slots: StoreSlots | null = null;
        if (analytics && n > 0 && n <= IN_MEMORY_SLOT) {
          const s = newSlots(req.shape, n, opts.treatmentRows ?? n * TREATMENTS_PER_EPISODE, 1);
          s.episodes[0]!.ids.set(req.members.episodeIds);
          s.treatments[0]!.ids.set(req.members.episodeIds);
          const [ve, vt] = await Promise.all([fillSlot('episodes', s.episodes[0]!.buffer, n), fillSlot('treatments', s.treatments[0]!.buffer, n)]);
          slots = { ...s, source: { episodes: { ask: () => {}, wait: () => ve }, treatments: { ask: () => {}, wait: () => vt } } };
        }
        let events: JobEvent[];
        try {
          events = [...exportJob(sqlite, req, { transaction: !sqlite.inTransaction, slots, onFilled: (f) => (result.filled = f) })];
        } catch (err) {
          fail(err);
          return;
        }
        try {
          await chain;
          for (const ev of events) {
            if (stopped) return;
            if (ev.type === 'file') await startFile(ev.name);
            else if (ev.type === 'chunk') {
              zip.write(ev.bytes);
              if (zip.full) await zip.drain();
            } else {
              await zip.finish();
              resolve(ev.counts);
            }
          }
        } catch (err) {
          fail(err);
        }
      })();
    }
  });
  done.catch(() => {});
  result.stream = zip.output as Readable;
  result.done = done;
  result.abort = () => abort();
  return result;
}
