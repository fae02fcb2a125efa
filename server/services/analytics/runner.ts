/**
 * Runs registered tasks against a store: brings the store to the database's
 * current state first (store.sync), then runs each call of a batch on that
 * same state, and keeps results per store version (a page's procedures ask
 * for the same episodes and change scans; the second asker gets the first's
 * result). Used by the worker and by the in-process runtime alike.
 */
import type { AnalyticStore, StoreStats } from './store.ts';
import { TASKS } from './tasks.ts';

export type TaskCallData = readonly [name: string, input: unknown];
export type BatchResult = { version: number; results: unknown[] };

const CACHE_ENTRIES = 256;

export class TaskRunner {
  private cache = new Map<string, unknown>();
  private cacheVersion = -1;

  constructor(private readonly store: () => AnalyticStore) {}

  run(calls: readonly TaskCallData[], opts: { sync?: boolean } = {}): BatchResult {
    const store = this.store();
    if (opts.sync !== false) store.sync();
    for (;;) {
      const version = store.version;
      if (this.cacheVersion !== version) {
        this.cache.clear();
        this.cacheVersion = version;
      }
      const results = calls.map(([name, input]) => this.one(store, name, input));
      // A task that loaded a measure or the treatments brought the store to a newer state first:
      // run the batch again so every result describes the same state (the second pass loads nothing).
      if (store.version === version) return { version, results };
    }
  }

  private one(store: AnalyticStore, name: string, input: unknown): unknown {
    const task = (TASKS as Record<string, (s: AnalyticStore, i: unknown) => unknown>)[name];
    if (!task) throw new Error(`unknown analytic task ${name}`);
    const key = `${name}\u0000${JSON.stringify(input ?? null)}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const version = store.version;
    const out = task(store, input);
    if (store.version === version) {
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, out);
    }
    return out;
  }

  /**
   * Forgets what depends on the filters: cached results and the store's filter
   * masks (benchmarks: each page state computes its scans as new filters would).
   * Indexes that depend only on the data (group codes, the values present) stay,
   * as they do in the server until the data change.
   */
  clearCache(): void {
    this.cache.clear();
    this.store().clearMemo('mask:');
  }

  stats(): StoreStats {
    return this.store().stats();
  }
}
