/**
 * Where tasks run. `Analytics` is what routers and services use
 * (`ctx.analytics.runTask('outcomes.changeByGroup', input)`):
 *
 * - WorkerAnalytics (the server): one worker thread holds the store (loaded
 *   from its own read-only connection) and runs the tasks, so a 30 ms scan
 *   never blocks other requests on the main event loop. Requests sent while it
 *   is still loading wait in its queue (the server itself answers at once).
 * - inProcessAnalytics(db) (tests, a ':memory:' database): the same runner on
 *   the main thread, the store built from `db` on first use.
 *
 * Either way a call first brings the store to the database's current state
 * (the refresh's change log), and a batch (runTasks) sees one state.
 */
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { Measure } from '../../../db/schema/vocabulary.ts';
import { TaskRunner, type BatchResult, type TaskCallData } from './runner.ts';
import { buildStore, type AnalyticStore, type StoreStats } from './store.ts';
import type { TASKS } from './tasks.ts';

export type TaskName = keyof typeof TASKS;
export type TaskInput<N extends TaskName> = Parameters<(typeof TASKS)[N]>[1];
export type TaskOutput<N extends TaskName> = ReturnType<(typeof TASKS)[N]>;
export type TaskCall = { [N in TaskName]: readonly [N, TaskInput<N>] }[TaskName];
export type TaskResults<C extends readonly TaskCall[]> = { -readonly [K in keyof C]: C[K] extends readonly [infer N extends TaskName, unknown] ? TaskOutput<N> : never };

export interface Analytics {
  /** Runs one task on the store, brought to the database's current state. */
  runTask<N extends TaskName>(name: N, input: TaskInput<N>): Promise<TaskOutput<N>>;
  /** Runs several tasks on one state of the store; `version` is the change-log position it reflects. */
  runTasks<const C extends readonly TaskCall[]>(calls: C): Promise<{ version: number; results: TaskResults<C> }>;
  /** Resolves when the episode columns are loaded (later calls do not wait for a load). */
  ready(): Promise<void>;
  stats(): Promise<StoreStats>;
  /** Forgets cached task results (benchmarks: every round computes). */
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

// ---- in-process ------------------------------------------------------------------------

class InProcessAnalytics implements Analytics {
  private store: AnalyticStore | null = null;
  private readonly runner = new TaskRunner(() => (this.store ??= buildStore(this.sqlite)));
  constructor(private readonly sqlite: Database.Database) {}

  private run(calls: readonly TaskCallData[]): BatchResult {
    const r = this.runner.run(calls);
    // Results may be cached and shared: hand out copies, as the worker's messages are.
    return { version: r.version, results: structuredClone(r.results) };
  }
  async runTask<N extends TaskName>(name: N, input: TaskInput<N>): Promise<TaskOutput<N>> {
    return this.run([[name, input]]).results[0] as TaskOutput<N>;
  }
  async runTasks<const C extends readonly TaskCall[]>(calls: C): Promise<{ version: number; results: TaskResults<C> }> {
    return this.run(calls as readonly TaskCallData[]) as { version: number; results: TaskResults<C> };
  }
  async ready(): Promise<void> {
    this.store ??= buildStore(this.sqlite);
  }
  async stats(): Promise<StoreStats> {
    return this.runner.stats();
  }
  async clearCache(): Promise<void> {
    this.runner.clearCache();
  }
  async close(): Promise<void> {
    this.store = null;
  }
  /** The store itself (tests that inspect columns). */
  storeNow(): AnalyticStore {
    return (this.store ??= buildStore(this.sqlite));
  }
}

const inProcess = new WeakMap<Database.Database, InProcessAnalytics>();

/** The in-process runtime of a database connection (one per connection). */
export function inProcessAnalytics(db: { $client: Database.Database }): InProcessAnalytics {
  let a = inProcess.get(db.$client);
  if (!a) inProcess.set(db.$client, (a = new InProcessAnalytics(db.$client)));
  return a;
}

// ---- worker ------------------------------------------------------------------------------

export type WorkerOptions = {
  /** The database file (the worker opens it read-only). */
  path: string;
  /**
   * Loaded after the episodes, before any request asks. Default: what the Outcomes page reads first (pain, MME,
   * treatments), then the other measures (a measure loaded on demand would hold its first request for seconds at 1M).
   */
  preload?: { measures?: Measure[]; treatments?: boolean };
};

export type WorkerRequest = { id: number; kind: 'run'; calls: readonly TaskCallData[] } | { id: number; kind: 'stats' | 'clearCache' };
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | { id: 0; ready: true; loadMs: number }
  | { id: 0; ready: false; error: { name: string; message: string } };

export class WorkerAnalytics implements Analytics {
  private worker!: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readyPromise!: Promise<void>;
  /** Set when the worker died (the next call starts a new one) or was closed (calls are refused). */
  private failed: Error | null = null;
  private closed = false;
  /** Workers started (1 + restarts after a crash). */
  starts = 0;

  constructor(private readonly opts: WorkerOptions) {
    this.spawn();
  }

  private spawn(): void {
    this.failed = null;
    this.starts++;
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: this.opts });
    this.worker = worker;
    let ready!: () => void;
    let notReady!: (e: Error) => void;
    this.readyPromise = new Promise<void>((res, rej) => ((ready = res), (notReady = rej)));
    this.readyPromise.catch(() => {});
    worker.on('message', (m: WorkerReply) => {
      if (m.id === 0) {
        if ('ready' in m && m.ready) ready();
        else if ('error' in m) notReady(this.fail(worker, m.error));
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('ok' in m && m.ok) p.resolve(m.value);
      else if ('error' in m) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    });
    worker.on('error', (e) => notReady(this.fail(worker, e)));
    worker.on('exit', (code) => notReady(this.fail(worker, new Error(`analytics worker exited (${code})`))));
  }

  /** The worker died: its pending calls fail; the next call starts a new worker (it reloads the store). */
  private fail(worker: Worker, e: { name: string; message: string }): Error {
    const err = Object.assign(new Error(`analytics worker: ${e.message}`), { name: e.name });
    if (worker !== this.worker) return err;
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    return err;
  }

  private send(req: { kind: 'run'; calls: readonly TaskCallData[] } | { kind: 'stats' | 'clearCache' }): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('analytics closed'));
    if (this.failed) this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  async runTask<N extends TaskName>(name: N, input: TaskInput<N>): Promise<TaskOutput<N>> {
    const r = (await this.send({ kind: 'run', calls: [[name, input]] })) as BatchResult;
    return r.results[0] as TaskOutput<N>;
  }
  async runTasks<const C extends readonly TaskCall[]>(calls: C): Promise<{ version: number; results: TaskResults<C> }> {
    return (await this.send({ kind: 'run', calls: calls as readonly TaskCallData[] })) as { version: number; results: TaskResults<C> };
  }
  ready(): Promise<void> {
    return this.readyPromise;
  }
  async stats(): Promise<StoreStats> {
    return (await this.send({ kind: 'stats' })) as StoreStats;
  }
  async clearCache(): Promise<void> {
    await this.send({ kind: 'clearCache' });
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
  /** Ends the worker as a crash would (tests of the restart). */
  async crashForTest(): Promise<void> {
    await this.worker.terminate();
  }
}
