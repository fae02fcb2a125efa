/**
 * The wide export's measure columns (per measure: the baseline and each
 * follow-up window's value, each with its day: 5 x 12 = 60 values a row),
 * read from the analytic store's in-memory columns (decision 008) instead of
 * five joined `outcome_measures` rows in SQLite (about 10 us a row there).
 *
 * The values travel in a SharedArrayBuffer "slot" of at most BATCH_ROWS
 * episodes: the export fills in the episode ids, the task
 * `export.wideMeasures` (run by the analytics worker, or in-process) writes
 * the values and days in place and answers the store's version (its
 * outcome change-log position). Nothing is copied between threads and the
 * task's cached result is two numbers, so memory stays at two slots.
 *
 * One data state: the export reads SQLite in one read transaction whose
 * change-log position it knows; a slot filled by a store at another
 * position (a refresh committed in between) is filled again from SQLite in
 * that transaction (`fillFromSqlite`), as is every slot when no store is at
 * hand. So every value describes the transaction's state.
 */
import type Database from 'better-sqlite3';
import { measureIdRange } from '../../../db/schema/outcomes.ts';
import { FOLLOW_UP_WINDOW_NAMES, MEASURE_NAMES } from '../../../db/schema/vocabulary.ts';
import type { AnalyticStore } from '../analytics/store.ts';

/** Values per measure: baseline and the five windows. */
export const PER_MEASURE = 1 + FOLLOW_UP_WINDOW_NAMES.length;
/** Values (and days) per episode row. */
export const WIDE_VALUES = MEASURE_NAMES.length * PER_MEASURE;
/** A day that is not there (as the store's NULL_DAY). */
export const NO_DAY = -32768;

const HEADER = 16;
/** Slot status: 0 asked, 1 filled by the store, 2 failed (fill from SQLite). */
export const SLOT_ASKED = 0;
export const SLOT_FILLED = 1;
export const SLOT_FAILED = 2;

export type MeasureSlot = {
  buffer: SharedArrayBuffer;
  /** [status, version, stamp of the last filling (its call number), capacity] */
  header: Int32Array;
  ids: Int32Array;
  /** Row-major: episode r's value j at r * WIDE_VALUES + j; NaN = none. */
  values: Float64Array;
  /** Aligned with values; NO_DAY = none. */
  days: Int16Array;
};

const layout = (capacity: number) => {
  const ids = HEADER;
  const values = ids + Math.ceil((capacity * 4) / 8) * 8;
  const days = values + capacity * WIDE_VALUES * 8;
  return { ids, values, days, bytes: days + capacity * WIDE_VALUES * 2 };
};

export function newSlot(capacity: number): MeasureSlot {
  const buffer = new SharedArrayBuffer(layout(capacity).bytes);
  const s = slotOf(buffer);
  s.header[3] = capacity;
  return s;
}

/** Views of a slot's buffer (on any thread). */
export function slotOf(buffer: SharedArrayBuffer): MeasureSlot {
  const header = new Int32Array(buffer, 0, 4);
  const capacity = header[3] || Math.floor((buffer.byteLength - HEADER) / (4 + WIDE_VALUES * 10));
  const l = layout(capacity);
  return {
    buffer,
    header,
    ids: new Int32Array(buffer, l.ids, capacity),
    values: new Float64Array(buffer, l.values, capacity * WIDE_VALUES),
    days: new Int16Array(buffer, l.days, capacity * WIDE_VALUES),
  };
}

/**
 * The task: fills the slot's values and days for its first `n` episode ids
 * from the store's measure columns; answers the store's version. `call`
 * makes every call's input distinct (the runner caches by input).
 */
export function wideMeasuresTask(store: AnalyticStore, input: { buffer: SharedArrayBuffer; n: number; call: number }): { version: number } {
  const slot = slotOf(input.buffer);
  const n = input.n;
  const { ids, values, days } = slot;
  values.fill(NaN, 0, n * WIDE_VALUES);
  days.fill(NO_DAY, 0, n * WIDE_VALUES);
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) rows[r] = store.rowOf(ids[r]!);
  MEASURE_NAMES.forEach((m, k) => {
    const col = store.measure(m);
    const present = col.present;
    const sources: Array<[Float64Array, Int16Array]> = [[col.baselineValue, col.baselineDay], ...FOLLOW_UP_WINDOW_NAMES.map((w) => [col.windows[w].value, col.windows[w].day] as [Float64Array, Int16Array])];
    sources.forEach(([v, d], j) => {
      const at = k * PER_MEASURE + j;
      for (let r = 0; r < n; r++) {
        const i = rows[r]!;
        if (i < 0 || !present[i]) continue;
        values[r * WIDE_VALUES + at] = v[i]!;
        days[r * WIDE_VALUES + at] = d[i]!;
      }
    });
  });
  // The filling's stamp: the export checks it (a result taken from a cache would not have filled the slot).
  Atomics.store(slot.header, 2, input.call);
  return { version: store.version };
}

export const exportTasks = { 'export.wideMeasures': wideMeasuresTask };

/** Fills a slot from SQLite (the export's own transaction): five key lookups an episode. */
export function fillFromSqlite(sqlite: Database.Database, slot: MeasureSlot, n: number): void {
  const cols = ['baseline_value', 'baseline_day', ...FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`${w}_value`, `${w}_day`])].join(', ');
  const stmt = sqlite.prepare(`SELECT ${cols} FROM outcome_measures WHERE id = ?`).raw();
  const offsets = MEASURE_NAMES.map((m) => measureIdRange(m)[0]);
  const { ids, values, days } = slot;
  values.fill(NaN, 0, n * WIDE_VALUES);
  days.fill(NO_DAY, 0, n * WIDE_VALUES);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < offsets.length; k++) {
      const row = stmt.get(offsets[k]! + ids[r]!) as Array<number | null> | undefined;
      if (!row) continue;
      for (let j = 0; j < PER_MEASURE; j++) {
        const v = row[2 * j];
        const d = row[2 * j + 1];
        if (v !== null && v !== undefined) values[r * WIDE_VALUES + k * PER_MEASURE + j] = v;
        if (d !== null && d !== undefined) days[r * WIDE_VALUES + k * PER_MEASURE + j] = d;
      }
    }
  }
}

/**
 * Where a running export gets a slot filled: `ask` starts filling (ids
 * already written), `wait` blocks until it is filled and answers the
 * version that filled it, or null (not filled: use SQLite).
 */
export type MeasureSource = {
  slots: MeasureSlot[];
  ask(slot: number, n: number): void;
  wait(slot: number): number | null;
};

/**
 * SQLite's own text of a REAL (what `value || ''` gives: "7.0", 17 digits
 * when 15 do not round-trip), so values from the store are written exactly
 * as the SQL-written rows write them. Computed by SQLite once per distinct
 * value (scores take a few hundred) and kept.
 */
const WHOLE = 1 << 16;

export function realText(sqlite: Database.Database): (v: number) => string {
  const stmt = sqlite.prepare('SELECT CAST(? AS REAL) || \'\'').pluck();
  const seen = new Map<number, string>();
  // Whole values (most scores) from an array: no hashing of a double per value.
  const whole: string[] = new Array<string>(WHOLE).fill('');
  return (v: number) => {
    if (v > 0 && v < WHOLE && (v | 0) === v) {
      const t = whole[v]!;
      return t !== '' ? t : (whole[v] = stmt.get(v) as string);
    }
    let s = seen.get(v);
    if (s === undefined) {
      s = stmt.get(v) as string;
      if (seen.size > 1_000_000) seen.clear();
      seen.set(v, s);
    }
    return s;
  };
}

/**
 * Walks the members in slot-sized chunks, in ascending episode id order (the
 * order rows are written): `at(e)` answers the index of episode e in the
 * current slot (-1: not a member). One chunk is asked ahead while the
 * current one is written. `version` is the export transaction's change-log
 * position: a slot the store filled at another one is filled from SQLite.
 */
export class MeasureCursor {
  readonly chunk: number;
  private p = 0;
  private current = -1;
  slot: MeasureSlot;
  /** Slots filled by the store / from SQLite (the decision record's figures; tests). */
  readonly filled = { store: 0, sqlite: 0 };
  constructor(
    private readonly sqlite: Database.Database,
    private readonly members: Int32Array,
    private readonly source: MeasureSource | null,
    private readonly version: number,
    fallbackSlot: () => MeasureSlot,
  ) {
    this.slot = source ? source.slots[0]! : fallbackSlot();
    this.chunk = this.slot.ids.length;
    if (source && members.length) this.ask(0);
  }
  private count(k: number): number {
    return Math.max(0, Math.min(this.members.length, (k + 1) * this.chunk) - k * this.chunk);
  }
  private slotFor(k: number): MeasureSlot {
    return this.source ? this.source.slots[k % this.source.slots.length]! : this.slot;
  }
  private ask(k: number): void {
    const n = this.count(k);
    if (!n) return;
    const s = this.slotFor(k);
    s.ids.set(this.members.subarray(k * this.chunk, k * this.chunk + n));
    this.source?.ask(k % this.source.slots.length, n);
  }
  private load(k: number): void {
    const s = this.slotFor(k);
    const n = this.count(k);
    if (!this.source) this.ask(k);
    const v = this.source ? this.source.wait(k % this.source.slots.length) : null;
    if (v === this.version) this.filled.store++;
    else {
      fillFromSqlite(this.sqlite, s, n);
      this.filled.sqlite++;
    }
    this.slot = s;
    this.current = k;
    // The slot ahead held the chunk before this one, which is written: ask for the next chunk into it.
    if (this.source) this.ask(k + 1);
  }
  at(e: number): number {
    const m = this.members;
    while (this.p < m.length && m[this.p]! < e) this.p++;
    if (this.p >= m.length || m[this.p] !== e) return -1;
    const k = Math.floor(this.p / this.chunk);
    // From the store the chunks come in order (one is in flight); from SQLite any chunk may be filled.
    while (this.current < k) this.load(this.source ? this.current + 1 : k);
    return this.p - k * this.chunk;
  }
}
