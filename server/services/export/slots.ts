/**
 * The export's episode and treatment rows from the analytic store's columns
 * (decision 008) instead of SQLite: each episode's facts, its wide measure
 * values (per measure the baseline and the five windows, each with its day)
 * and its treatments. SQLite costs about 100 ns a value crossing into
 * JavaScript (a string or a REAL is an allocation) and 10 us a wide row; the
 * store holds all of these as typed arrays, texts as dictionary codes.
 *
 * The values travel in SharedArrayBuffer "slots" of one chunk of member
 * episodes: the export writes the episode ids in, a task (`export.episodes`,
 * `export.treatments`, run by the analytics worker or in-process) writes the
 * columns in place and answers the store's version (its outcome change-log
 * position). Nothing is copied between threads; the runner's cached result is
 * one number. Texts cross as numbers: enumerations as their vocabulary index
 * (ENUMS), procedure and condition codes packed into a double (`packCode`)
 * only when they have the shape of a code, so no free text ever reaches the
 * export (Safe Harbor: codes only).
 *
 * One data state: the export reads SQLite in one read transaction whose
 * change-log position S it knows. A slot the store filled at another position
 * (a refresh committed in between), or did not fill (the task failed, took
 * over a minute, or a chunk's treatments overflowed the slot), is filled from
 * SQLite in that transaction (`fillEpisodesFromSqlite`,
 * `fillTreatmentsFromSqlite`): the same columns, the same encodings. So every
 * value describes state S.
 */
import type Database from 'better-sqlite3';
import { measureIdRange } from '../../../db/schema/outcomes.ts';
import { FOLLOW_UP_WINDOW_NAMES, MEASURE_NAMES, PROCEDURE_CODE_SHAPE } from '../../../db/schema/vocabulary.ts';
import { ENUMS, NONE, NULL_INT, type AnalyticStore, type EnumName } from '../analytics/store.ts';

/** Values per measure: baseline and the five windows. */
export const PER_MEASURE = 1 + FOLLOW_UP_WINDOW_NAMES.length;
/** Measure values (and days) per wide episode row. */
export const WIDE_VALUES = MEASURE_NAMES.length * PER_MEASURE;
/** A day that is not there (as the store's NULL_DAY). */
export const NO_DAY = -32768;

/** Slot status: 0 asked, 1 filled by the store, 2 failed (fill from SQLite). */
export const SLOT_ASKED = 0;
export const SLOT_FILLED = 1;
export const SLOT_FAILED = 2;

/** Header (Int32): status, version, stamp of the last filling (its call number), capacity, asked count, members done, rows, treatment capacity. */
const HEADER = 16;
const H = { status: 0, version: 1, stamp: 2, capacity: 3, n: 4, done: 5, rows: 6, tCapacity: 7 } as const;

// ---- codes -----------------------------------------------------------------------------------

/** ICD-10-CM's shape: a letter (not U), a digit, a letter or digit, then optionally a dot and 1-4 more. */
export const ICD10_SHAPE = /^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;
const CODE_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.';
const BASE = CODE_CHARS.length + 1;
const CHAR_VALUE = new Map([...CODE_CHARS].map((c, i) => [c, i + 1]));

/**
 * A code of the given shape as a number (exact in a double: at most 8
 * characters of 37, base 38); 0 for none or for anything not of the shape,
 * so free text never crosses.
 */
export function packCode(s: string | null, shape: RegExp): number {
  if (s === null || s.length > 8 || !shape.test(s)) return 0;
  let v = 0;
  for (let i = s.length - 1; i >= 0; i--) v = v * BASE + CHAR_VALUE.get(s[i]!)!;
  return v;
}
export function unpackCode(v: number): string {
  let s = '';
  while (v > 0) {
    const d = v % BASE;
    s += CODE_CHARS[d - 1]!;
    v = (v - d) / BASE;
  }
  return s;
}

// ---- slots -----------------------------------------------------------------------------------

/** The Int32 fact columns of an episode slot, in this order (enumerations as vocabulary index; NULL_INT = null). */
export const EPISODE_INTS = [
  'patientId',
  'indexYear',
  'indexDay',
  'age',
  'sex',
  'carePath',
  'conditionGroup',
  'region',
  'category',
  'chronic',
  'priorProcedures',
  'treatments',
  'procedureSessions',
  'complicationsMinor',
  'complicationsMajor',
  'repeatDay',
] as const;
/** The Float64 fact columns: pain duration (NaN = null), the condition and primary codes packed (0 = none). */
export const EPISODE_NUMS = ['painDurationMonths', 'conditionCode', 'code'] as const;
const ENUM_OF: Partial<Record<(typeof EPISODE_INTS)[number], EnumName>> = { sex: 'sex', carePath: 'carePath', conditionGroup: 'conditionGroup', region: 'region', category: 'category' };

export type EpisodeSlot = {
  buffer: SharedArrayBuffer;
  header: Int32Array;
  ids: Int32Array;
  /** 1: the episode is in the data (a member deleted since the cohort ran is 0 and not written). */
  found: Uint8Array;
  /** Column-major: column k of EPISODE_INTS at k * capacity. */
  ints: Int32Array;
  nums: Float64Array;
  /** Row-major (wide only, else empty): episode r's value j at r * WIDE_VALUES + j; NaN = none. */
  values: Float64Array;
  /** Aligned with values; NO_DAY = none. */
  days: Int16Array;
};

const align8 = (n: number) => Math.ceil(n / 8) * 8;
function episodeLayout(capacity: number, wide: boolean) {
  const ids = HEADER * 4;
  const found = ids + capacity * 4;
  const ints = align8(found + capacity);
  const nums = ints + capacity * 4 * EPISODE_INTS.length;
  const values = nums + capacity * 8 * EPISODE_NUMS.length;
  const width = wide ? WIDE_VALUES : 0;
  const days = values + capacity * width * 8;
  return { ids, found, ints, nums, values, days, width, bytes: days + capacity * width * 2 };
}

export function newEpisodeSlot(capacity: number, wide: boolean): EpisodeSlot {
  const buffer = new SharedArrayBuffer(episodeLayout(capacity, wide).bytes);
  const header = new Int32Array(buffer, 0, HEADER);
  header[H.capacity] = capacity;
  header[H.rows] = wide ? 1 : 0;
  return episodeSlotOf(buffer);
}

/** Views of an episode slot's buffer (on any thread). */
export function episodeSlotOf(buffer: SharedArrayBuffer): EpisodeSlot {
  const header = new Int32Array(buffer, 0, HEADER);
  const capacity = header[H.capacity]!;
  const l = episodeLayout(capacity, header[H.rows] === 1);
  return {
    buffer,
    header,
    ids: new Int32Array(buffer, l.ids, capacity),
    found: new Uint8Array(buffer, l.found, capacity),
    ints: new Int32Array(buffer, l.ints, capacity * EPISODE_INTS.length),
    nums: new Float64Array(buffer, l.nums, capacity * EPISODE_NUMS.length),
    values: new Float64Array(buffer, l.values, capacity * l.width),
    days: new Int16Array(buffer, l.days, capacity * l.width),
  };
}

export type TreatmentSlot = {
  buffer: SharedArrayBuffer;
  header: Int32Array;
  /** The member episode ids asked for. */
  ids: Int32Array;
  /** Per treatment row (capacity tCapacity): its episode id, day (days since 1970-01-01), code packed, enumerations (NULL_INT none). */
  episode: Int32Array;
  day: Int32Array;
  code: Float64Array;
  category: Int32Array;
  laterality: Int32Array;
  complication: Int32Array;
};

function treatmentLayout(capacity: number, rows: number) {
  const ids = HEADER * 4;
  const code = align8(ids + capacity * 4);
  const episode = code + rows * 8;
  return { ids, code, episode, day: episode + rows * 4, category: episode + rows * 8, laterality: episode + rows * 12, complication: episode + rows * 16, bytes: episode + rows * 20 };
}

export function newTreatmentSlot(capacity: number, rows: number): TreatmentSlot {
  const buffer = new SharedArrayBuffer(treatmentLayout(capacity, rows).bytes);
  const header = new Int32Array(buffer, 0, HEADER);
  header[H.capacity] = capacity;
  header[H.tCapacity] = rows;
  return treatmentSlotOf(buffer);
}

export function treatmentSlotOf(buffer: SharedArrayBuffer): TreatmentSlot {
  const header = new Int32Array(buffer, 0, HEADER);
  const capacity = header[H.capacity]!;
  const rows = header[H.tCapacity]!;
  const l = treatmentLayout(capacity, rows);
  return {
    buffer,
    header,
    ids: new Int32Array(buffer, l.ids, capacity),
    code: new Float64Array(buffer, l.code, rows),
    episode: new Int32Array(buffer, l.episode, rows),
    day: new Int32Array(buffer, l.day, rows),
    category: new Int32Array(buffer, l.category, rows),
    laterality: new Int32Array(buffer, l.laterality, rows),
    complication: new Int32Array(buffer, l.complication, rows),
  };
}

/** Members filled (the rest of the asked chunk overflowed: from SQLite) and treatment rows written. */
export const treatmentsFilled = (s: TreatmentSlot) => ({ done: s.header[H.done]!, rows: s.header[H.rows]! });

// ---- tasks (run where the store is) -------------------------------------------------------------

/** Each dictionary entry of a code column packed (0: not of the code's shape), kept until the data change. */
function packs(store: AnalyticStore, dict: 'code' | 'conditionCode'): Float64Array {
  const texts = store.dicts[dict];
  return store.memoize(`export:packs:${dict}:${texts.length}`, () => Float64Array.from(texts, (t) => packCode(t ?? null, dict === 'code' ? PROCEDURE_CODE_SHAPE : ICD10_SHAPE)));
}

const enumInt = (v: number) => (v === NONE ? NULL_INT : v);

/**
 * Fills an episode slot's first `n` episodes (ids written by the export) with
 * their facts and, in a wide slot, their measure values; answers the store's
 * version. `call` makes every call's input distinct (the runner caches by
 * input); the task stamps the slot with it and the export checks the stamp.
 */
export function episodesTask(store: AnalyticStore, input: { buffer: SharedArrayBuffer; n: number; call: number }): { version: number } {
  const slot = episodeSlotOf(input.buffer);
  const n = input.n;
  const cap = slot.ids.length;
  const ep = store.episodes;
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = store.rowOf(slot.ids[r]!);
    rows[r] = i >= 0 && ep.alive[i] ? i : -1;
    slot.found[r] = rows[r]! >= 0 ? 1 : 0;
  }
  EPISODE_INTS.forEach((key, k) => {
    const src = ep[key] as Int32Array | Uint8Array | Int8Array;
    const out = slot.ints.subarray(k * cap, k * cap + n);
    const isEnum = ENUM_OF[key] !== undefined;
    for (let r = 0; r < n; r++) {
      const i = rows[r]!;
      if (i < 0) out[r] = NULL_INT;
      else if (isEnum) out[r] = enumInt(src[i]!);
      else if (key === 'chronic') out[r] = src[i]! < 0 ? NULL_INT : src[i]!;
      else out[r] = src[i]!;
    }
  });
  const code = packs(store, 'code');
  const condition = packs(store, 'conditionCode');
  for (let r = 0; r < n; r++) {
    const i = rows[r]!;
    slot.nums[r] = i < 0 ? NaN : ep.painDurationMonths[i]!;
    slot.nums[cap + r] = i < 0 ? 0 : condition[ep.conditionCode[i]!]!;
    slot.nums[2 * cap + r] = i < 0 ? 0 : code[ep.code[i]!]!;
  }
  if (slot.values.length) fillMeasures(store, slot, rows, n);
  Atomics.store(slot.header, H.stamp, input.call);
  return { version: store.version };
}

function fillMeasures(store: AnalyticStore, slot: EpisodeSlot, rows: Int32Array, n: number): void {
  const { values, days } = slot;
  values.fill(NaN, 0, n * WIDE_VALUES);
  days.fill(NO_DAY, 0, n * WIDE_VALUES);
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
}

/**
 * Fills a treatment slot with the treatments of the first `n` member episodes
 * (ids written by the export), whole episodes only, as many as fit; the header
 * says how many members were done (the rest: from SQLite) and how many rows.
 */
export function treatmentsTask(store: AnalyticStore, input: { buffer: SharedArrayBuffer; n: number; call: number }): { version: number } {
  const slot = treatmentSlotOf(input.buffer);
  const tr = store.treatments();
  const ep = store.episodes;
  const cap = slot.episode.length;
  const code = packs(store, 'code');
  let rows = 0;
  let done = 0;
  for (; done < input.n; done++) {
    const e = slot.ids[done]!;
    const i = store.rowOf(e);
    if (i < 0 || !ep.alive[i]) continue;
    const from = tr.tStart[i]!;
    const to = from + tr.tCount[i]!;
    if (rows + (to - from) > cap) break;
    for (let t = from; t < to; t++) {
      if (tr.episodeRow[t] !== i) continue;
      slot.episode[rows] = e;
      slot.day[rows] = tr.day[t]!;
      slot.code[rows] = code[tr.code[t]!]!;
      slot.category[rows] = enumInt(tr.category[t]!);
      slot.laterality[rows] = enumInt(tr.laterality[t]!);
      slot.complication[rows] = enumInt(tr.complication[t]!);
      rows++;
    }
  }
  slot.header[H.done] = done;
  slot.header[H.rows] = rows;
  Atomics.store(slot.header, H.stamp, input.call);
  return { version: store.version };
}

/** Loads what the export tasks read (every measure, the treatments): the bench's warm start, as the server's worker preloads. */
export function warmTask(store: AnalyticStore, _input: Record<string, never>): { version: number } {
  for (const m of MEASURE_NAMES) store.measure(m);
  store.treatments();
  return { version: store.version };
}

export const exportTasks = { 'export.episodes': episodesTask, 'export.treatments': treatmentsTask, 'export.warm': warmTask };

// ---- the same from SQLite (the export's own transaction) ------------------------------------------

const enumIndex = (e: EnumName) => new Map<string, number>(ENUMS[e].map((v, i) => [v, i]));

/** Fills an episode slot from SQLite: one key lookup an episode, five more for a wide slot's measures. */
export function fillEpisodesFromSqlite(sqlite: Database.Database, slot: EpisodeSlot, n: number): void {
  const cap = slot.ids.length;
  const cols = ['patient_id', 'index_year', 'index_day', 'age', 'sex', 'care_path', 'condition_group', 'region', 'category', 'chronic', 'prior_procedures', 'treatments', 'procedure_sessions', 'complications_minor', 'complications_major', 'repeat_day'];
  const stmt = sqlite.prepare(`SELECT ${cols.join(', ')}, pain_duration_months, condition_code, code FROM outcome_episodes WHERE episode_id = ?`).raw();
  const enums = EPISODE_INTS.map((k) => (ENUM_OF[k] ? enumIndex(ENUM_OF[k]) : null));
  const packed = new Map<string, number>();
  const pack = (s: string | null, shape: RegExp) => {
    if (s === null) return 0;
    let v = packed.get(s);
    if (v === undefined) packed.set(s, (v = packCode(s, shape)));
    return v;
  };
  for (let r = 0; r < n; r++) {
    const row = stmt.get(slot.ids[r]!) as Array<string | number | null> | undefined;
    slot.found[r] = row ? 1 : 0;
    for (let k = 0; k < EPISODE_INTS.length; k++) {
      const v = row?.[k] ?? null;
      const map = enums[k];
      slot.ints[k * cap + r] = v === null ? NULL_INT : map ? (map.get(v as string) ?? NULL_INT) : (v as number);
    }
    const at = EPISODE_INTS.length;
    slot.nums[r] = (row?.[at] as number | null) ?? NaN;
    slot.nums[cap + r] = pack((row?.[at + 1] as string | null) ?? null, ICD10_SHAPE);
    slot.nums[2 * cap + r] = pack((row?.[at + 2] as string | null) ?? null, PROCEDURE_CODE_SHAPE);
  }
  if (slot.values.length) fillMeasuresFromSqlite(sqlite, slot, n);
}

function fillMeasuresFromSqlite(sqlite: Database.Database, slot: EpisodeSlot, n: number): void {
  const cols = ['baseline_value', 'baseline_day', ...FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`${w}_value`, `${w}_day`])].join(', ');
  const stmt = sqlite.prepare(`SELECT ${cols} FROM outcome_measures WHERE id = ?`).raw();
  const offsets = MEASURE_NAMES.map((m) => measureIdRange(m)[0]);
  const { ids, values, days } = slot;
  values.fill(NaN, 0, n * WIDE_VALUES);
  days.fill(NO_DAY, 0, n * WIDE_VALUES);
  for (let r = 0; r < n; r++) {
    if (!slot.found[r]) continue;
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
 * Fills a treatment slot from SQLite with the treatments of members `from`..n
 * (skipping the first `skip` rows of member `from`, already written), as many
 * as fit. Answers where it stopped: the member and the rows of it written.
 */
export function fillTreatmentsFromSqlite(sqlite: Database.Database, slot: TreatmentSlot, from: number, skip: number, n: number): { member: number; skip: number } {
  const stmt = sqlite.prepare('SELECT unixepoch(date) / 86400, code, category, laterality, complication FROM treatments WHERE episode_id = ? ORDER BY id LIMIT -1 OFFSET ?').raw();
  const category = enumIndex('category');
  const laterality = enumIndex('laterality');
  const complication = enumIndex('complication');
  const cap = slot.episode.length;
  let rows = 0;
  let m = from;
  let s = skip;
  for (; m < n; m++, s = 0) {
    const e = slot.ids[m]!;
    for (const r of stmt.iterate(e, s) as IterableIterator<[number, string | null, string, string | null, string | null]>) {
      if (rows === cap) {
        slot.header[H.rows] = rows;
        return { member: m, skip: s };
      }
      slot.episode[rows] = e;
      slot.day[rows] = r[0];
      slot.code[rows] = packCode(r[1], PROCEDURE_CODE_SHAPE);
      slot.category[rows] = category.get(r[2]) ?? NULL_INT;
      slot.laterality[rows] = r[3] === null ? NULL_INT : (laterality.get(r[3]) ?? NULL_INT);
      slot.complication[rows] = r[4] === null ? NULL_INT : (complication.get(r[4]) ?? NULL_INT);
      rows++;
      s++;
    }
  }
  slot.header[H.rows] = rows;
  return { member: n, skip: 0 };
}

// ---- the export's side: walking the members chunk by chunk ---------------------------------------

/**
 * Where a running export gets a slot filled: `ask` starts filling (ids already
 * written), `wait` blocks until it is filled and answers the version that
 * filled it, or null (not filled: use SQLite).
 */
export type SlotSource = {
  ask(slot: number, n: number): void;
  wait(slot: number): number | null;
};

/** Slot fillings by the store / from SQLite (the decision record's figures; tests). */
export type Filled = { store: number; sqlite: number };

/**
 * The members split into chunks of a slot's size: how many, the size of chunk
 * k, and `ask(k)`: write chunk k's ids into its slot (k modulo the slots) and
 * ask the source to fill it.
 */
function chunking(members: Int32Array, slots: ReadonlyArray<{ ids: Int32Array }>, source: SlotSource | null) {
  const chunk = slots[0]!.ids.length;
  const chunks = Math.ceil(members.length / chunk);
  const count = (k: number) => Math.min(members.length, (k + 1) * chunk) - k * chunk;
  const ask = (k: number) => {
    if (k >= chunks) return;
    const s = slots[k % slots.length]!;
    s.ids.set(members.subarray(k * chunk, k * chunk + count(k)));
    source?.ask(k % slots.length, count(k));
  };
  return { chunks, count, ask };
}

/**
 * The members' episode slots in ascending id order, one chunk asked ahead
 * while the current one is written. A slot filled at another version than
 * the export transaction's (or not at all) is filled from SQLite.
 */
export function* episodeChunks(sqlite: Database.Database, members: Int32Array, slots: EpisodeSlot[], source: SlotSource | null, version: number, filled: Filled): Generator<{ slot: EpisodeSlot; n: number }> {
  const { chunks, count, ask } = chunking(members, slots, source);
  if (source) ask(0);
  for (let k = 0; k < chunks; k++) {
    const s = slots[k % slots.length]!;
    if (!source) ask(k);
    const v = source ? source.wait(k % slots.length) : null;
    if (v === version) filled.store++;
    else {
      fillEpisodesFromSqlite(sqlite, s, count(k));
      filled.sqlite++;
    }
    // The other slot held the chunk before this one, which is written: ask for the next chunk into it.
    if (source) ask(k + 1);
    yield { slot: s, n: count(k) };
  }
}

/**
 * The members' treatments, slot by slot (rows of a slot: treatmentsFilled(slot).rows), one chunk asked
 * ahead. Members whose treatments did not fit the store's filling, and every member of a chunk the store
 * filled at another version (or not at all), come from SQLite, into the same slot, as many slots as it takes.
 */
export function* treatmentChunks(sqlite: Database.Database, members: Int32Array, slots: TreatmentSlot[], source: SlotSource | null, version: number, filled: Filled): Generator<TreatmentSlot> {
  const { chunks, count, ask } = chunking(members, slots, source);
  if (source) ask(0);
  for (let k = 0; k < chunks; k++) {
    const s = slots[k % slots.length]!;
    const n = count(k);
    if (!source) ask(k);
    const v = source ? source.wait(k % slots.length) : null;
    // The other slot held the chunk before this one, which is written: ask for the next chunk into it.
    if (source) ask(k + 1);
    let at = { member: 0, skip: 0 };
    if (v === version) {
      filled.store++;
      at = { member: treatmentsFilled(s).done, skip: 0 };
      if (treatmentsFilled(s).rows) yield s;
    }
    while (at.member < n) {
      at = fillTreatmentsFromSqlite(sqlite, s, at.member, at.skip, n);
      filled.sqlite++;
      yield s;
    }
  }
}

/**
 * SQLite's own text of a REAL (what `value || ''` gives: "7.0", 17 digits
 * when 15 do not round-trip), so values are written exactly as SQL-written
 * rows write them. Computed by SQLite once per distinct value and kept.
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
