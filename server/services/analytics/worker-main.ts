/**
 * The analytics worker thread: opens the database read-only, loads the store
 * (episodes first, then the preloads in small steps so requests that arrive
 * meanwhile are answered between them) and runs task batches for the main
 * thread (runtime.ts, WorkerAnalytics).
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { TaskRunner } from './runner.ts';
import type { WorkerOptions, WorkerReply, WorkerRequest } from './runtime.ts';
import { buildStore, type AnalyticStore } from './store.ts';

const opts = workerData as WorkerOptions;
const port = parentPort!;
const post = (m: WorkerReply) => port.postMessage(m);
const errorOf = (e: unknown) => (e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) });

let store: AnalyticStore | null = null;
const runner = new TaskRunner(() => store!);
const waiting: WorkerRequest[] = [];

function handle(req: WorkerRequest): void {
  try {
    const value = req.kind === 'run' ? runner.run(req.calls) : req.kind === 'stats' ? runner.stats() : (runner.clearCache(), null);
    post({ id: req.id, ok: true, value });
  } catch (e) {
    post({ id: req.id, ok: false, error: errorOf(e) });
  }
}

port.on('message', (req: WorkerRequest) => {
  if (store) handle(req);
  else waiting.push(req);
});

function start(): void {
  try {
    const db = new Database(opts.path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
    const t0 = performance.now();
    store = buildStore(db);
    post({ id: 0, ready: true, loadMs: performance.now() - t0 });
  } catch (e) {
    post({ id: 0, ready: false, error: errorOf(e) });
    return;
  }
  for (const req of waiting.splice(0)) handle(req);
  // Preload what the Outcomes page reads, one part per turn of the event loop.
  const steps: Array<() => void> = [
    ...(opts.preload?.measures ?? (['pain_nrs', 'mme'] as const)).map((m) => () => void store!.measure(m)),
    ...((opts.preload?.treatments ?? true) ? [() => void store!.treatments()] : []),
    ...(opts.preload?.measures ? [] : (['odi', 'promis_pi', 'promis_pf'] as const).map((m) => () => void store!.measure(m))),
  ];
  const next = () => {
    const step = steps.shift();
    if (!step) return;
    try {
      step();
    } catch {
      // A failed preload is retried by the first task that needs it (and reported there).
    }
    setImmediate(next);
  };
  setImmediate(next);
}

setImmediate(start);
