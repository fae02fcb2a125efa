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
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import yazl from 'yazl';
import { bundleFiles, exportJob, type ExportRequest, type JobEvent } from './job.ts';
import type { RowCounts } from './tables.ts';

export type ExportStream = {
  /** The zip file's bytes. */
  stream: Readable;
  /** Resolves with the rows written per table when the last byte is produced; rejects on failure. */
  done: Promise<RowCounts>;
  /** Stops the producer (the client went away). */
  abort(): void;
};

/** Chunks a producer may post before the zip writer has taken them. */
const CREDITS = 4;

export function exportZip(sqlite: Database.Database, req: ExportRequest, opts: { worker?: boolean } = {}): ExportStream {
  const zip = new yazl.ZipFile();
  const mtime = new Date(req.createdAt);
  for (const f of bundleFiles(req, req.members.episodeIds.length)) zip.addBuffer(Buffer.from(f.text, 'utf8'), f.name, { mtime, compress: true });

  let current: PassThrough | null = null;
  const startFile = (name: string) => {
    current?.end();
    current = new PassThrough({ highWaterMark: 1 << 20 });
    // Parquet pages are already compressed; CSV and JSON compress well at level 1 (fast).
    zip.addReadStream(current, name, { mtime, compressionLevel: name.endsWith('.parquet') ? 0 : 1 });
  };
  const finish = () => {
    current?.end();
    current = null;
    zip.end();
  };

  const useWorker = opts.worker ?? (!sqlite.memory && sqlite.name !== '' && sqlite.name !== ':memory:');
  let abort = () => {};
  const done = new Promise<RowCounts>((resolve, reject) => {
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error('export failed');
      current?.destroy(e);
      zip.outputStream.emit('error', e);
      reject(e);
    };
    if (useWorker) {
      const credits = new Int32Array(new SharedArrayBuffer(4));
      credits[0] = CREDITS;
      const giveBack = () => {
        Atomics.add(credits, 0, 1);
        Atomics.notify(credits, 0);
      };
      const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        workerData: { entry: new URL('./worker.ts', import.meta.url).href, path: sqlite.name, request: req, credits },
        // The worker holds at most a batch and a few chunks.
        resourceLimits: { maxOldGenerationSizeMb: 512 },
      });
      let settled = false;
      worker.on('message', (ev: JobEvent) => {
        if (settled) return;
        if (ev.type === 'file') {
          try {
            startFile(ev.name);
          } catch (err) {
            settled = true;
            void worker.terminate();
            fail(err);
          }
        }
        else if (ev.type === 'chunk') current!.write(Buffer.from(ev.bytes.buffer, ev.bytes.byteOffset, ev.bytes.byteLength), giveBack);
        else {
          settled = true;
          finish();
          resolve(ev.counts);
        }
      });
      worker.on('error', (err) => {
        settled = true;
        fail(err);
      });
      worker.on('exit', (code) => {
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
      let events: JobEvent[];
      try {
        events = [...exportJob(sqlite, req, { transaction: !sqlite.inTransaction })];
      } catch (err) {
        fail(err);
        return;
      }
      void (async () => {
        try {
          for (const ev of events) {
            if (stopped) return;
            if (ev.type === 'file') startFile(ev.name);
            else if (ev.type === 'chunk') {
              if (!current!.write(ev.bytes)) await once(current!, 'drain');
            } else {
              finish();
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
  return { stream: zip.outputStream as Readable, done, abort };
}
