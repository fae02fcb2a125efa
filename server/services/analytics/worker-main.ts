/**
 * The analytics worker thread: opens the database read-only, loads the store
 * (episodes first, then the preloads in small steps so requests that arrive
 * meanwhile are answered between them) and runs task batches for the main
 * thread (runtime.ts, WorkerAnalytics).
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { TaskRunner } from './runner.ts';
import { WARM_UPS } from './tasks.ts';
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
    const value = req.kind === 'run' ? runner.run(req.calls) : req.kind === 'stats' ? { ...runner.stats(), pendingWork: idle.length } : (runner.clearCache(), null);
    post({ id: req.id, ok: true, value });
  } catch (e) {
    post({ id: req.id, ok: false, error: errorOf(e) });
  }
  if (store && warmedAt !== store.version && idle.length === 0) warmUp();
}

// ---- idle work: preloads, then the tasks' indexes (WARM_UPS), one step per turn of the event loop ----

/** Steps to run when idle; a warm-up step carries the store version it was planned for and is dropped if the data changed. */
const idle: Array<{ run: () => void; version: number | null }> = [];
let warmedAt = -1;
let idleScheduled = false;

function warmUp(): void {
  warmedAt = store!.version;
  const version = store!.version;
  for (const w of WARM_UPS) for (const run of w(store!)) idle.push({ run, version });
  scheduleIdle();
}

function scheduleIdle(): void {
  if (idleScheduled) return;
  idleScheduled = true;
  setImmediate(() => {
    idleScheduled = false;
    const step = idle.shift();
    if (!step) return;
    try {
      // A warm-up step whose data changed meanwhile is skipped (a new warm-up follows); a failure is retried by the task that needs it.
      if (step.version === null || step.version === store!.version) step.run();
    } catch {
      /* reported by the task that needs it */
    }
    if (idle.length) scheduleIdle();
    else if (warmedAt !== store!.version) warmUp();
  });
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
  // Preload what the Outcomes page reads, one part per turn of the event loop, then warm the indexes.
  const preload = [
    ...(opts.preload?.measures ?? (['pain_nrs', 'mme'] as const)).map((m) => () => void store!.measure(m)),
    ...((opts.preload?.treatments ?? true) ? [() => void store!.treatments()] : []),
    ...(opts.preload?.measures ? [] : (['odi', 'promis_pi', 'promis_pf'] as const).map((m) => () => void store!.measure(m))),
    () => warmUp(),
  ];
  for (const run of preload) idle.push({ run, version: null });
  warmedAt = store!.version;
  scheduleIdle();
}

setImmediate(start);
