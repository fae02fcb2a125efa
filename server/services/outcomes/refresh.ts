/**
 * Keeps outcome_episodes and outcome_measures consistent with the records.
 * See docs/decisions/005-derived-outcomes.md. In short:
 *
 * - New rows are found by id: for episodes, treatments and observations,
 *   outcome_marks holds the highest id already taken into account, and every
 *   row above it is new. Inserting costs nothing extra: no trigger on the
 *   import path (SQLite gives a new row max(id) + 1, above the mark).
 * - Updates and deletes are caught by triggers that put the affected episode
 *   ids in outcome_queue (in the writer's own transaction).
 * - refreshOutcomes() first turns new rows into queued episodes and advances
 *   the marks (one transaction), then re-derives the queued episodes in
 *   batches, each batch one transaction that also removes them from the queue.
 *
 * So whenever the queue is empty and no row lies above its mark, the derived
 * tables are exactly what a rebuild from scratch would give; after a crash,
 * whatever was not committed is still queued or still above its mark, and the
 * next refresh finishes it. Each batch also appends its episodes to
 * outcome_changes, so a cache of the derived rows can follow them exactly
 * (outcomeChangesSince).
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../db/index.ts';
import { DEFAULT_DEFINITIONS, type OutcomeDefinitions } from './derive-rules.ts';
import { Deriver } from './derive.ts';

export type RefreshOptions = {
  /** Baseline period and windows (a practice setting); default: the spec's. Other definitions re-derive everything. */
  definitions?: OutcomeDefinitions;
  /** Episodes per transaction (default: DEFAULT_BATCH_SIZE, or BULK_BATCH_SIZE for a large queue). */
  batchSize?: number;
  /** Stop after this many batches; the rest stays queued for the next call. */
  maxBatches?: number;
};

export type RefreshResult = {
  /** Episodes this call found to be stale (new rows) and put in the queue. */
  enqueued: number;
  /** Episodes re-derived (including deleted ones whose rows were removed). */
  derived: number;
  batches: number;
  /** Episodes still queued (non-zero only when maxBatches stopped the drain). */
  remaining: number;
  /** True when the derived rows were made with other definitions or code, and everything was queued again. */
  reset: boolean;
  ms: number;
};

export type OutcomesPending = {
  queued: number;
  /** Rows above their mark (an upper bound: deleted ids count too). */
  unseenRows: number;
  /** The derived rows were made with other definitions or derivation code. */
  stale: boolean;
  /** True when the derived tables are exactly consistent with the records. */
  consistent: boolean;
};

export type OutcomeChanges = {
  /** The log position this answer is complete up to: pass it next time. */
  seq: number;
  episodes: number[] | 'all';
};

/**
 * Episodes per transaction: small batches hold the write lock briefly (about
 * 0.2 s) while an import may be waiting; a rebuild or a first import uses
 * larger ones, which spend fewer commits and checkpoints (bench/derive.bench.ts).
 */
export const DEFAULT_BATCH_SIZE = 5_000;
export const BULK_BATCH_SIZE = 20_000;
const BULK_QUEUE = 100_000;

/** outcome_changes keeps about this many entries; a reader further behind reloads everything. */
export const CHANGE_LOG_LIMIT = 2_000_000;

const MARKED = ['episodes', 'treatments', 'observations'] as const;
type Marked = (typeof MARKED)[number];

/**
 * Which episodes new rows of a table make stale. A new treatment changes its
 * patient's other episodes too (their prior and repeat procedures); a new
 * episode with no rows yet changes only itself.
 */
const ENQUEUE_NEW: Record<Marked, string> = {
  episodes: 'INSERT OR IGNORE INTO outcome_queue (episode_id) SELECT id FROM episodes WHERE id > ?',
  treatments: `INSERT OR IGNORE INTO outcome_queue (episode_id)
    SELECT e2.id FROM treatments t
    JOIN episodes e1 ON e1.id = t.episode_id
    JOIN episodes e2 ON e2.patient_id = e1.patient_id
    WHERE t.id > ?`,
  observations: 'INSERT OR IGNORE INTO outcome_queue (episode_id) SELECT episode_id FROM observations WHERE id > ? AND episode_id IS NOT NULL',
};

/**
 * When more than this share of a large table is new (a first import), queueing
 * every episode is cheaper than finding the ones the new rows touch.
 */
const ENQUEUE_ALL_SHARE = 0.25;
const ENQUEUE_ALL_MIN_ROWS = 100_000;

class Refresher {
  private readonly stmts;

  constructor(
    private readonly sqlite: Database.Database,
    readonly deriver: Deriver,
  ) {
    const p = (sql: string) => sqlite.prepare(sql);
    this.stmts = {
      version: p(`SELECT value FROM outcome_state WHERE key = 'version'`).pluck(),
      setState: p(`INSERT INTO outcome_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
      mark: p('SELECT last_id FROM outcome_marks WHERE source = ?').pluck(),
      setMark: p('INSERT INTO outcome_marks (source, last_id) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET last_id = excluded.last_id'),
      maxId: Object.fromEntries(MARKED.map((t) => [t, p(`SELECT coalesce(max(id), 0) FROM ${t}`).pluck()])) as Record<Marked, Database.Statement>,
      enqueueNew: Object.fromEntries(MARKED.map((t) => [t, p(ENQUEUE_NEW[t])])) as Record<Marked, Database.Statement>,
      enqueueAll: p('INSERT OR IGNORE INTO outcome_queue (episode_id) SELECT id FROM episodes'),
      clearDerived: [p('DELETE FROM outcome_measures'), p('DELETE FROM outcome_episodes'), p('DELETE FROM outcome_queue')],
      queued: p('SELECT count(*) FROM outcome_queue').pluck(),
      takeBatch: p(`INSERT INTO temp.outcome_batch (episode_id, patient_id, start_jd)
        SELECT q.episode_id, e.patient_id, julianday(e.start_date)
        FROM outcome_queue q LEFT JOIN episodes e ON e.id = q.episode_id
        ORDER BY q.episode_id LIMIT ?`),
      dequeueBatch: p('DELETE FROM outcome_queue WHERE episode_id IN (SELECT episode_id FROM temp.outcome_batch)'),
      logBatch: p('INSERT INTO outcome_changes (episode_id) SELECT episode_id FROM temp.outcome_batch ORDER BY episode_id'),
      clearLog: p('DELETE FROM outcome_changes'),
      logReset: p('INSERT INTO outcome_changes (episode_id) VALUES (0)'),
      trimLog: p('DELETE FROM outcome_changes WHERE seq <= ?'),
      lastSeq: p(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outcome_changes'), 0)`).pluck(),
      changesFrom: p(`SELECT coalesce((SELECT CAST(value AS INTEGER) FROM outcome_state WHERE key = 'changes_from'), 0)`).pluck(),
      changedSince: p('SELECT DISTINCT episode_id FROM outcome_changes WHERE seq > ? AND episode_id > 0 ORDER BY episode_id').pluck(),
    };
  }

  /** Turns new rows into queued episodes; on a version change, queues everything. One transaction. */
  collect(forceReset: boolean): { enqueued: number; reset: boolean } {
    return this.sqlite
      .transaction(() => {
        const s = this.stmts;
        const before = s.queued.get() as number;
        const reset = forceReset || s.version.get() !== this.deriver.version;
        if (reset) {
          for (const st of s.clearDerived) st.run();
          // A reader that last looked before this reset must reload everything:
          // the log restarts at a marker (episode 0 never exists).
          s.clearLog.run();
          s.logReset.run();
          s.setState.run('changes_from', String(s.lastSeq.get()));
          s.enqueueAll.run();
          s.setState.run('version', this.deriver.version);
          s.setState.run('definitions', JSON.stringify(this.deriver.definitions));
        }
        let all = reset;
        for (const t of MARKED) {
          const max = s.maxId[t]!.get() as number;
          const mark = (s.mark.get(t) as number | undefined) ?? 0;
          if (!all && max > mark) {
            if (max - mark > ENQUEUE_ALL_SHARE * max && max - mark > ENQUEUE_ALL_MIN_ROWS) {
              s.enqueueAll.run();
              all = true;
            } else {
              s.enqueueNew[t]!.run(mark);
            }
          }
          if (max !== mark) s.setMark.run(t, max);
        }
        return { enqueued: (s.queued.get() as number) - before, reset };
      })
      .immediate();
  }

  /** Re-derives up to `size` queued episodes, lowest ids first. One transaction. */
  drainBatch(size: number): number {
    return this.sqlite
      .transaction(() => {
        this.deriver.cleanup();
        const n = this.stmts.takeBatch.run(size).changes;
        if (n > 0) {
          this.deriver.deriveBatch();
          this.stmts.dequeueBatch.run();
          this.stmts.logBatch.run();
        }
        this.deriver.cleanup();
        return n;
      })
      .immediate();
  }

  /** Keeps the change log at about CHANGE_LOG_LIMIT entries. */
  trimLog(): void {
    const s = this.stmts;
    const last = s.lastSeq.get() as number;
    if (last - (s.changesFrom.get() as number) <= CHANGE_LOG_LIMIT * 1.1) return;
    this.sqlite
      .transaction(() => {
        s.trimLog.run(last - CHANGE_LOG_LIMIT);
        s.setState.run('changes_from', String(last - CHANGE_LOG_LIMIT));
      })
      .immediate();
  }

  changesSince(seq: number | null): OutcomeChanges {
    return readOutcomeChanges(this.sqlite, seq);
  }

  queued(): number {
    return this.stmts.queued.get() as number;
  }

  pending(): OutcomesPending {
    const s = this.stmts;
    const queued = s.queued.get() as number;
    let unseenRows = 0;
    for (const t of MARKED) unseenRows += Math.max(0, (s.maxId[t]!.get() as number) - ((s.mark.get(t) as number | undefined) ?? 0));
    const stale = s.version.get() !== this.deriver.version;
    return { queued, unseenRows, stale, consistent: queued === 0 && unseenRows === 0 && !stale };
  }
}

const refreshers = new WeakMap<Database.Database, Map<string, Refresher>>();

function refresherFor(db: Db, definitions: OutcomeDefinitions): Refresher {
  const sqlite = db.$client;
  let byDefinitions = refreshers.get(sqlite);
  if (!byDefinitions) refreshers.set(sqlite, (byDefinitions = new Map()));
  const key = JSON.stringify(definitions);
  let r = byDefinitions.get(key);
  if (!r) byDefinitions.set(key, (r = new Refresher(sqlite, new Deriver(sqlite, definitions))));
  return r;
}

function run(db: Db, opts: RefreshOptions, forceReset: boolean): RefreshResult {
  const t0 = performance.now();
  const r = refresherFor(db, opts.definitions ?? DEFAULT_DEFINITIONS);
  const maxBatches = opts.maxBatches ?? Number.POSITIVE_INFINITY;
  const { enqueued, reset } = r.collect(forceReset);
  const batchSize = opts.batchSize ?? (r.queued() > BULK_QUEUE ? BULK_BATCH_SIZE : DEFAULT_BATCH_SIZE);
  let derived = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const n = r.drainBatch(batchSize);
    if (n === 0) break;
    derived += n;
    batches++;
  }
  if (derived > 0) r.trimLog();
  return { enqueued, derived, batches, remaining: r.queued(), reset, ms: performance.now() - t0 };
}

/**
 * Brings the derived outcome tables up to date with the records: call it at
 * the end of an import or a demo generation, and once at start (it finishes
 * what a crash left). Synchronous; see refreshOutcomesAsync for a server that
 * must keep answering meanwhile.
 */
export function refreshOutcomes(db: Db, opts: RefreshOptions = {}): RefreshResult {
  return run(db, opts, false);
}

/** Derives everything again from the records (also resumable: what a crash leaves stays queued). */
export function rebuildOutcomes(db: Db, opts: RefreshOptions = {}): RefreshResult {
  return run(db, opts, true);
}

/** refreshOutcomes, yielding to the event loop between batches. */
export async function refreshOutcomesAsync(db: Db, opts: RefreshOptions & { signal?: AbortSignal } = {}): Promise<RefreshResult> {
  const t0 = performance.now();
  const total: RefreshResult = { enqueued: 0, derived: 0, batches: 0, remaining: 0, reset: false, ms: 0 };
  const maxBatches = opts.maxBatches ?? Number.POSITIVE_INFINITY;
  for (;;) {
    opts.signal?.throwIfAborted();
    const r = run(db, { ...opts, maxBatches: 1 }, false);
    total.enqueued += r.enqueued;
    total.derived += r.derived;
    total.batches += r.batches;
    total.reset ||= r.reset;
    total.remaining = r.remaining;
    if (r.remaining === 0 || total.batches >= maxBatches) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  total.ms = performance.now() - t0;
  return total;
}

/**
 * What changed in the derived tables since a reader last looked: the episodes
 * re-derived after change-log position `seq` (their rows were replaced or, for
 * deleted episodes, removed), or 'all' when the reader is new (`seq` null) or
 * too far behind. Read the rows you need in the same read transaction as this
 * call, or call it again afterwards: a later batch is listed again.
 */
export function outcomeChangesSince(db: Db, seq: number | null, definitions: OutcomeDefinitions = DEFAULT_DEFINITIONS): OutcomeChanges {
  return refresherFor(db, definitions).changesSince(seq);
}

const changeReaders = new WeakMap<Database.Database, { lastSeq: Database.Statement; changesFrom: Database.Statement; changedSince: Database.Statement }>();

/**
 * outcomeChangesSince on a bare connection, read-only (no derivation set up):
 * what a cache in another thread (server/services/analytics/) reads with its
 * own read-only connection. One read transaction (a savepoint inside the
 * caller's), so the position and the episodes describe the same state.
 */
export function readOutcomeChanges(sqlite: Database.Database, seq: number | null): OutcomeChanges {
  let s = changeReaders.get(sqlite);
  if (!s) {
    s = {
      lastSeq: sqlite.prepare(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outcome_changes'), 0)`).pluck(),
      changesFrom: sqlite.prepare(`SELECT coalesce((SELECT CAST(value AS INTEGER) FROM outcome_state WHERE key = 'changes_from'), 0)`).pluck(),
      changedSince: sqlite.prepare('SELECT DISTINCT episode_id FROM outcome_changes WHERE seq > ? AND episode_id > 0 ORDER BY episode_id').pluck(),
    };
    changeReaders.set(sqlite, s);
  }
  const st = s;
  return sqlite.transaction(() => {
    const last = st.lastSeq.get() as number;
    if (seq === null || seq < (st.changesFrom.get() as number)) return { seq: last, episodes: 'all' as const };
    return { seq: last, episodes: st.changedSince.all(seq) as number[] };
  })();
}

/** The change log's position: what outcomeChangesSince returns as `seq`, without the episodes. */
export function outcomeChangeSeq(sqlite: Database.Database): number {
  return readOutcomeChanges(sqlite, Number.MAX_SAFE_INTEGER).seq;
}

/** Whether the derived tables are up to date, for a page to say "figures updating". Cheap: a few key lookups. */
export function outcomesPending(db: Db, definitions: OutcomeDefinitions = DEFAULT_DEFINITIONS): OutcomesPending {
  return refresherFor(db, definitions).pending();
}
