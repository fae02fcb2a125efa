/**
 * The analytic store: the derived outcome tables (db/schema/outcomes.ts) and
 * the treatments, as typed-array columns in memory, kept exact with the change
 * log of the refresh (outcomeChangesSince). What the Outcomes, Compare,
 * Operations and Cohorts pages scan instead of SQLite: a grouped pass over 2M
 * episodes takes milliseconds here and seconds in SQL (SQLite sorts to group).
 * See docs/decisions/008-analytic-store.md; the API for task authors is
 * summarised in that record.
 *
 * Layout
 * - One row per episode (`store.episodes`), every outcome_episodes column,
 *   named as in the drizzle schema (camelCase). Rows are in no particular order;
 *   `store.rowOf(episodeId)` finds one. A deleted episode keeps its row with
 *   `alive[row] = 0`: every scan must skip it (episodeMask does).
 * - Per measure (`store.measure(m)`, loaded on first use), columns aligned to
 *   the episode rows: row i of a measure column is episode row i.
 * - Treatments (`store.treatments()`, loaded on first use): one row per
 *   treatment, grouped by episode (`tStart[row]`, `tCount[row]`).
 *
 * Encodings (null sentinels)
 * - Int32 columns: NULL_INT (-2^31) for null.
 * - Day offsets of measures (Int16): NULL_DAY (-32768).
 * - Float64 columns: NaN for null (test with `x === x` or Number.isNaN).
 * - Flags and `chronic` (Int8): -1 null, 0, 1.
 * - Enumerations (Uint8): the value's index in the vocabulary order
 *   (db/schema/vocabulary.ts; ENUMS below); NONE (255) for null.
 * - Dictionary strings (Uint32): index into `store.dicts[name]`, whose entry 0
 *   is null. Dictionaries only grow; an index never changes meaning.
 */
import type Database from 'better-sqlite3';
import {
  CARE_PATHS,
  COMPLICATIONS,
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  LATERALITIES,
  MEASURE_NAMES,
  REGIONS,
  SEXES,
  TREATMENT_CATEGORIES,
  type FollowUpWindow,
  type Measure,
} from '../../../db/schema/vocabulary.ts';
import { measureIdRange, measureKey } from '../../../db/schema/outcomes.ts';
import { AGE_BANDS, RESPONDER_RULES, type ResponderFlag } from '../outcomes/derive-rules.ts';
import { readOutcomeChanges } from '../outcomes/refresh.ts';

export const NULL_INT = -2147483648;
export const NULL_DAY = -32768;
export const NONE = 255;

/** Vocabulary order of each enumerated column (value index = stored code). */
export const ENUMS = {
  carePath: CARE_PATHS,
  category: TREATMENT_CATEGORIES,
  conditionGroup: CONDITION_GROUP_NAMES,
  region: REGIONS,
  ageBand: AGE_BANDS.map((b) => b.label),
  sex: SEXES,
  laterality: LATERALITIES,
  complication: COMPLICATIONS,
} as const satisfies Record<string, readonly string[]>;
export type EnumName = keyof typeof ENUMS;

export const DICTS = ['code', 'cptFamily', 'conditionCode'] as const;
export type DictName = (typeof DICTS)[number];

type Kind = 'i32' | 'i16' | 'i8' | 'f64' | 'u8' | 'u16' | 'u32';
type TypedArray = Int32Array | Int16Array | Int8Array | Float64Array | Uint8Array | Uint16Array | Uint32Array;
type ColSpec = {
  key: string;
  sql: string;
  kind: Kind;
  enumOf?: EnumName;
  dict?: DictName;
  /** The value of an empty row when not the kind's null. */
  empty?: number;
  /** A change column read into its window's change dictionary (the value itself is not stored). */
  changeOf?: FollowUpWindow;
};
const emptyOf = (s: ColSpec) => s.empty ?? NULL_OF[s.kind];

const NULL_OF: Record<Kind, number> = { i32: NULL_INT, i16: NULL_DAY, i8: -1, f64: Number.NaN, u8: NONE, u16: 0, u32: 0 };
const CTOR: Record<Kind, new (n: number) => TypedArray> = {
  i32: Int32Array,
  i16: Int16Array,
  i8: Int8Array,
  f64: Float64Array,
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
};

/** SQL turning an enumerated text column into its vocabulary index (NULL stays NULL). */
const enumSql = (column: string, values: readonly string[]) =>
  `CASE ${column} ${values.map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ')} END`;

const en = (key: string, sql: string, e: EnumName): ColSpec => ({ key, sql: enumSql(sql, ENUMS[e]), kind: 'u8', enumOf: e });
const i32 = (key: string, sql: string): ColSpec => ({ key, sql, kind: 'i32' });

// ---- episodes -------------------------------------------------------------------------------

export type EpisodeColumns = {
  episodeId: Int32Array;
  /** 1 for a current episode, 0 for a deleted one (its row stays; skip it). */
  alive: Uint8Array;
  patientId: Int32Array;
  /** Days since 1970-01-01 of the index date (index_date = daysToIso(indexDay)). */
  indexDay: Int32Array;
  /** 202403, 20241, 2024. */
  indexMonth: Int32Array;
  indexQuarter: Int32Array;
  indexYear: Int32Array;
  carePath: Uint8Array;
  category: Uint8Array;
  code: Uint32Array;
  cptFamily: Uint32Array;
  conditionGroup: Uint8Array;
  region: Uint8Array;
  providerId: Int32Array;
  siteId: Int32Array;
  ageBand: Uint8Array;
  sex: Uint8Array;
  conditionCode: Uint32Array;
  age: Int32Array;
  painDurationMonths: Float64Array;
  chronic: Int8Array;
  primaryDay: Int32Array;
  priorProcedures: Int32Array;
  treatments: Int32Array;
  procedures: Int32Array;
  procedureSessions: Int32Array;
  repeatDay: Int32Array;
  complicationsMinor: Int32Array;
  complicationsMajor: Int32Array;
  /**
   * 1 when at least one of the episode's treatments has a complication status
   * recorded (none, minor or major): the episodes a complication rate can
   * speak for. Read from treatments with the episode's derived row (a
   * treatment's status change re-derives and re-logs its episode).
   */
  complicationRecorded: Uint8Array;
  lastFollowUpDay: Int32Array;
};

const EPISODE_SPECS: ColSpec[] = [
  i32('episodeId', 'episode_id'),
  i32('patientId', 'patient_id'),
  i32('indexDay', 'index_day'),
  i32('indexMonth', 'index_month'),
  i32('indexQuarter', 'index_quarter'),
  i32('indexYear', 'index_year'),
  en('carePath', 'care_path', 'carePath'),
  en('category', 'category', 'category'),
  { key: 'code', sql: 'code', kind: 'u32', dict: 'code' },
  { key: 'cptFamily', sql: 'cpt_family', kind: 'u32', dict: 'cptFamily' },
  en('conditionGroup', 'condition_group', 'conditionGroup'),
  en('region', 'region', 'region'),
  i32('providerId', 'provider_id'),
  i32('siteId', 'site_id'),
  en('ageBand', 'age_band', 'ageBand'),
  en('sex', 'sex', 'sex'),
  { key: 'conditionCode', sql: 'condition_code', kind: 'u32', dict: 'conditionCode' },
  i32('age', 'age'),
  { key: 'painDurationMonths', sql: 'pain_duration_months', kind: 'f64' },
  { key: 'chronic', sql: 'chronic', kind: 'i8' },
  i32('primaryDay', 'primary_day'),
  i32('priorProcedures', 'prior_procedures'),
  i32('treatments', 'treatments'),
  i32('procedures', 'procedures'),
  i32('procedureSessions', 'procedure_sessions'),
  i32('repeatDay', 'repeat_day'),
  i32('complicationsMinor', 'complications_minor'),
  i32('complicationsMajor', 'complications_major'),
  {
    key: 'complicationRecorded',
    sql: 'EXISTS (SELECT 1 FROM treatments t WHERE t.episode_id = outcome_episodes.episode_id AND t.complication IS NOT NULL)',
    kind: 'u8',
  },
  i32('lastFollowUpDay', 'last_follow_up_day'),
];
const EPISODE_ALL_SPECS: ColSpec[] = [...EPISODE_SPECS, { key: 'alive', sql: '1', kind: 'u8', empty: 0 }];

// ---- measures -------------------------------------------------------------------------------

export type WindowColumns = {
  /** The observation counted in the window; NaN when none. */
  value: Float64Array;
  /** Its day relative to the index date; NULL_DAY when none. */
  day: Int16Array;
  /**
   * Change from baseline (positive = better); NaN without a baseline or a
   * follow-up. Made from changeCode on first use and kept until the store
   * changes (the store keeps only the codes: 8 bytes a row less per window).
   */
  readonly change: Float64Array;
  /** The responder flags the spec defines for the measure (RESPONDER_RULES), -1 null / 0 / 1. Absent: not defined. */
  flags: Partial<Record<ResponderFlag, Int8Array>>;
  /**
   * The change as an index into changeValues (0 = null): group by change with
   * integer counts. Uint16 (a measure with more than 65,535 distinct changes at
   * a window gets Uint32 codes).
   */
  changeCode: Uint16Array | Uint32Array;
  /** Distinct changes seen; entry 0 is NaN (null). Unordered; grows only. */
  changeValues: number[];
};

export type MeasureColumns = {
  measure: Measure;
  /** 1 when the episode has an outcome_measures row of this measure. */
  present: Uint8Array;
  /** NaN when the episode has no baseline of the measure. */
  baselineValue: Float64Array;
  baselineDay: Int16Array;
  windows: Record<FollowUpWindow, WindowColumns>;
  /** Durability (pain NRS): first response, its loss; last follow-up of the measure (NULL_DAY when none). */
  responseDay: Int16Array;
  lossDay: Int16Array;
  lastFollowUpDay: Int16Array;
};

const FLAG_SQL: Record<ResponderFlag, string> = { pct30: 'pct30', pct50: 'pct50', mcid: 'mcid', pain_free: 'pain_free', stopped: 'stopped' };

function measureSpecs(measure: Measure, wide: boolean): ColSpec[] {
  const flags = Object.keys(RESPONDER_RULES[measure]) as ResponderFlag[];
  return [
    { key: 'present', sql: '1', kind: 'u8', empty: 0 },
    { key: 'baselineValue', sql: 'baseline_value', kind: 'f64' },
    { key: 'baselineDay', sql: 'baseline_day', kind: 'i16' },
    ...FOLLOW_UP_WINDOW_NAMES.flatMap((w): ColSpec[] => [
      { key: `${w}.value`, sql: `${w}_value`, kind: 'f64' },
      { key: `${w}.day`, sql: `${w}_day`, kind: 'i16' },
      ...flags.map((f): ColSpec => ({ key: `${w}.${f}`, sql: `${w}_${FLAG_SQL[f]}`, kind: 'i8' })),
      { key: `${w}.changeCode`, sql: `${w}_change`, kind: wide ? 'u32' : 'u16', changeOf: w },
    ]),
    { key: 'responseDay', sql: 'response_day', kind: 'i16' },
    { key: 'lossDay', sql: 'loss_day', kind: 'i16' },
    { key: 'lastFollowUpDay', sql: 'last_follow_up_day', kind: 'i16' },
  ];
}

const readSpecCache = new Map<string, ColSpec[]>();
/** The columns read from outcome_measures (the rest are computed). */
function readSpecs(m: Measure, wide: boolean): ColSpec[] {
  let s = readSpecCache.get(`${m}:${wide}`);
  if (!s) readSpecCache.set(`${m}:${wide}`, (s = measureSpecs(m, wide).filter((x) => x.key !== 'present')));
  return s;
}

// ---- treatments ----------------------------------------------------------------------------

export type TreatmentColumns = {
  /** Rows in use (some may be dead: episodeRow -1). */
  length: number;
  /** The episode's row in store.episodes; -1 for a replaced or deleted treatment (skip it). */
  episodeRow: Int32Array;
  /** Days since 1970-01-01 of the treatment date (relative day: day - indexDay[episodeRow]). */
  day: Int32Array;
  /** Procedure code: index into store.dicts.code (0 = none). */
  code: Uint32Array;
  /** ENUMS.category index. */
  category: Uint8Array;
  /** NULL_INT when not recorded. Site and region: the episode's (siteId, region of store.episodes). */
  providerId: Int32Array;
  /** ENUMS.laterality index, NONE when not recorded. */
  laterality: Uint8Array;
  /** ENUMS.complication index (none, minor, major), NONE when not recorded. */
  complication: Uint8Array;
  /** Per episode row: the episode's treatments are rows tStart[row] .. tStart[row] + tCount[row] - 1. */
  tStart: Int32Array;
  tCount: Int32Array;
};

const TREATMENT_SPECS: ColSpec[] = [
  { key: 'episodeRow', sql: 'episode_id', kind: 'i32' },
  // Days since 1970-01-01 (dates have no time, so the division is exact).
  { key: 'day', sql: 'unixepoch(date) / 86400', kind: 'i32' },
  { key: 'code', sql: 'code', kind: 'u32', dict: 'code' },
  en('category', 'category', 'category'),
  i32('providerId', 'provider_id'),
  en('laterality', 'laterality', 'laterality'),
  en('complication', 'complication', 'complication'),
];

// ---- growable column sets ----------------------------------------------------------------

class Columns {
  arrays = new Map<string, TypedArray>();
  constructor(
    readonly specs: ColSpec[],
    public capacity: number,
  ) {
    for (const s of specs) this.arrays.set(s.key, Columns.alloc(s, capacity));
  }
  static alloc(s: ColSpec, n: number): TypedArray {
    const a = new CTOR[s.kind](n);
    const nul = emptyOf(s);
    if (nul !== 0) a.fill(nul);
    return a;
  }
  grow(min: number): boolean {
    if (min <= this.capacity) return false;
    const cap = Math.max(min, Math.ceil(this.capacity * 1.25) + 1024);
    for (const s of this.specs) {
      const a = Columns.alloc(s, cap);
      a.set(this.arrays.get(s.key)! as never);
      this.arrays.set(s.key, a);
    }
    this.capacity = cap;
    return true;
  }
  get(key: string): TypedArray {
    return this.arrays.get(key)!;
  }
  list(specs: ColSpec[]): TypedArray[] {
    return specs.map((s) => this.arrays.get(s.key)!);
  }
  clearRow(row: number): void {
    for (const s of this.specs) this.arrays.get(s.key)![row] = emptyOf(s);
  }
  bytes(): number {
    let b = 0;
    for (const a of this.arrays.values()) b += a.byteLength;
    return b;
  }
}

/** Maps episode ids to rows: a dense array while ids are dense, a Map beyond. */
class RowIndex {
  private dense = new Int32Array(1024).fill(-1);
  private sparse = new Map<number, number>();
  get(id: number): number {
    if (id < this.dense.length) return this.dense[id]!;
    return this.sparse.get(id) ?? -1;
  }
  set(id: number, row: number, rows: number): void {
    if (id >= this.dense.length && id < 4 * rows + 1_000_000) {
      const n = new Int32Array(Math.max(id + 1, Math.ceil(this.dense.length * 1.5))).fill(-1);
      n.set(this.dense);
      this.dense = n;
      for (const [k, v] of this.sparse) if (k < n.length) (n[k] = v), this.sparse.delete(k);
    }
    if (id < this.dense.length) this.dense[id] = row;
    else this.sparse.set(id, row);
  }
  bytes(): number {
    return this.dense.byteLength + this.sparse.size * 24;
  }
}

class Dict {
  readonly values: Array<string | null> = [null];
  private readonly index = new Map<string, number>();
  encode(s: string | null): number {
    if (s === null) return 0;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(s);
      this.index.set(s, i);
    }
    return i;
  }
  /** The code of a value, or -1 when it never occurred. */
  codeOf(s: string | null): number {
    return s === null ? 0 : (this.index.get(s) ?? -1);
  }
}

class ChangeDict {
  readonly values: number[] = [Number.NaN];
  private readonly index = new Map<number, number>();
  encode(v: number | null): number {
    if (v === null) return 0;
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(v);
      this.index.set(v, i);
    }
    return i;
  }
}

// ---- the store -----------------------------------------------------------------------------

export type StoreStats = {
  version: number;
  episodes: number;
  liveEpisodes: number;
  measures: Measure[];
  treatments: number | null;
  bytes: number;
  /** Milliseconds each part took to load. */
  loadMs: Record<string, number>;
  /** The worker's idle steps still to run (preloads, index warm-ups); absent in-process. */
  pendingWork?: number;
};

const CHUNK = 500;
/** Filter-dependent memoized values kept (a mask is one byte per episode row: 2 MB at 1M patients). */
const MEMO_ENTRIES = 48;

export class AnalyticStore {
  /** The largest change code kept in 16 bits (tests lower it to exercise the widening). */
  static narrowCodeLimit = 0xffff;
  /** The change-log position (outcome_changes seq) the columns reflect. */
  version = 0;
  /** Episode rows in use (alive or not). */
  rows = 0;
  readonly dicts: Record<DictName, Array<string | null>>;
  readonly loadMs: Record<string, number> = {};
  /** Counts rows changed by sync; caches keyed by version use it to know what to drop. */
  private readonly dictObjs: Record<DictName, Dict> = { code: new Dict(), cptFamily: new Dict(), conditionCode: new Dict() };
  private ep: Columns;
  private epView!: EpisodeColumns;
  private readonly index = new RowIndex();
  private readonly measures = new Map<Measure, { cols: Columns; changeDicts: Record<FollowUpWindow, ChangeDict>; view: MeasureColumns }>();
  private tr: { cols: Columns; length: number; dead: number; tStart: Int32Array; tCount: Int32Array; view: TreatmentColumns } | null = null;
  /** Values that depend on the filters (keys 'mask:…'): the most recent MEMO_ENTRIES. */
  private readonly memo = new Map<string, { version: number; value: unknown }>();
  /** Values that depend on the data only (every other key): kept until the data change. */
  private readonly dataMemo = new Map<string, { version: number; value: unknown }>();
  /** Measures whose change codes are 32-bit (more than 65,535 distinct changes at a window), and those found to need it. */
  private readonly wide = new Set<Measure>();
  private readonly overflow = new Set<Measure>();

  private constructor(private readonly sqlite: Database.Database) {
    this.dicts = { code: this.dictObjs.code.values, cptFamily: this.dictObjs.cptFamily.values, conditionCode: this.dictObjs.conditionCode.values };
    this.ep = new Columns(EPISODE_ALL_SPECS, 1024);
    this.refreshEpisodeView();
  }

  /** Loads the episode columns from the database (one read transaction). Measures and treatments load on first use. */
  static build(sqlite: Database.Database): AnalyticStore {
    const s = new AnalyticStore(sqlite);
    s.readTx(() => {
      s.version = readOutcomeChanges(sqlite, null).seq;
      s.loadEpisodes();
    });
    return s;
  }

  get episodes(): EpisodeColumns {
    return this.epView;
  }

  /** The row of an episode id, or -1. */
  rowOf(episodeId: number): number {
    return this.index.get(episodeId);
  }

  /** The string of a dictionary code (null for 0). */
  decode(dict: DictName, code: number): string | null {
    return this.dicts[dict][code] ?? null;
  }
  /** The code of a dictionary string, or -1 when no row has it. */
  encode(dict: DictName, value: string | null): number {
    return this.dictObjs[dict].codeOf(value);
  }

  /** A measure's columns, loaded on first use (at the current state of the database, the episode columns brought to it first). */
  measure(m: Measure): MeasureColumns {
    let entry = this.measures.get(m);
    if (!entry) {
      this.readTx(() => {
        this.syncInTx();
        this.loadMeasure(m);
      });
      entry = this.measures.get(m)!;
    }
    return entry.view;
  }

  /** Whether a measure is loaded (no load). */
  hasMeasure(m: Measure): boolean {
    return this.measures.has(m);
  }

  /** Whether the treatments are loaded (no load). */
  hasTreatments(): boolean {
    return this.tr !== null;
  }

  /** The treatment rows, loaded on first use (as measure()). */
  treatments(): TreatmentColumns {
    if (!this.tr) {
      this.readTx(() => {
        this.syncInTx();
        this.loadTreatments();
      });
    }
    return this.tr!.view;
  }

  /**
   * A value computed from the store, kept until the store changes: for
   * indexes a task derives from columns (group codes, sorted keys). `key`
   * must name everything the value depends on besides the store. Keys
   * starting with 'mask:' depend on filters: only the most recent are kept
   * (and a benchmark's clearCache drops them); any other key must depend on
   * the data only, and is kept until they change.
   */
  memoize<T>(key: string, f: () => T): T {
    const filtered = key.startsWith('mask:');
    const memo = filtered ? this.memo : this.dataMemo;
    const hit = memo.get(key);
    if (hit && hit.version === this.version) {
      // Most recently used last: the oldest entry is the first to go.
      if (filtered) (memo.delete(key), memo.set(key, hit));
      return hit.value as T;
    }
    const value = f();
    memo.delete(key);
    if (filtered && memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
    memo.set(key, { version: this.version, value });
    return value;
  }

  /** Forgets memoized values whose key starts with `prefix` (all without one). */
  clearMemo(prefix = ''): void {
    for (const memo of [this.memo, this.dataMemo]) for (const k of [...memo.keys()]) if (k.startsWith(prefix)) memo.delete(k);
  }

  /**
   * Brings the columns to the database's current state: the episodes the
   * refresh re-derived since `version` are read again by id (new ones
   * appended, deleted ones marked dead), with their loaded measures and
   * treatments; everything is reloaded when the log says 'all'. Returns
   * whether anything changed.
   */
  sync(): boolean {
    return this.readTx(() => this.syncInTx());
  }

  stats(): StoreStats {
    let live = 0;
    const alive = this.epView.alive;
    for (let i = 0; i < this.rows; i++) live += alive[i]!;
    let bytes = this.ep.bytes() + this.index.bytes();
    for (const m of this.measures.values()) bytes += m.cols.bytes();
    if (this.tr) bytes += this.tr.cols.bytes() + this.tr.tStart.byteLength + this.tr.tCount.byteLength;
    return {
      version: this.version,
      episodes: this.rows,
      liveEpisodes: live,
      measures: [...this.measures.keys()],
      treatments: this.tr ? this.tr.length - this.tr.dead : null,
      bytes,
      loadMs: { ...this.loadMs },
    };
  }

  // ---- internals ---------------------------------------------------------------------------

  private readTx<T>(f: () => T): T {
    return this.sqlite.inTransaction ? f() : this.sqlite.transaction(f).deferred();
  }

  private refreshEpisodeView(): void {
    const v = {} as Record<string, TypedArray>;
    for (const s of EPISODE_ALL_SPECS) v[s.key] = this.ep.get(s.key);
    this.epView = v as unknown as EpisodeColumns;
  }

  /** Writes SQL row `r` (from `offset`) into `row` of the arrays of `specs` (arrays in the same order: cols.list(specs)). */
  private writeRow(arrays: TypedArray[], specs: ColSpec[], row: number, r: unknown[], offset: number): void {
    for (let j = 0; j < specs.length; j++) {
      const s = specs[j]!;
      const x = r[j + offset] as string | number | null;
      if (s.dict) arrays[j]![row] = this.dictObjs[s.dict].encode(x as string | null);
      else arrays[j]![row] = x === null ? NULL_OF[s.kind] : (x as number);
    }
  }

  private episodeSelect(where: string): string {
    return `SELECT ${EPISODE_SPECS.map((s) => s.sql).join(', ')} FROM outcome_episodes ${where}`;
  }

  private loadEpisodes(): void {
    const t0 = performance.now();
    const n = this.sqlite.prepare('SELECT count(*) FROM outcome_episodes').pluck().get() as number;
    this.ep = new Columns(EPISODE_ALL_SPECS, n + 1024);
    let alive = this.ep.get('alive');
    let arrays = this.ep.list(EPISODE_SPECS);
    let row = 0;
    for (const r of this.sqlite.prepare(this.episodeSelect('')).raw().iterate() as Iterable<unknown[]>) {
      if (row >= this.ep.capacity) {
        this.ep.grow(row + 1);
        alive = this.ep.get('alive');
        arrays = this.ep.list(EPISODE_SPECS);
      }
      this.writeRow(arrays, EPISODE_SPECS, row, r, 0);
      alive[row] = 1;
      this.index.set(r[0] as number, row, n);
      row++;
    }
    this.rows = row;
    this.refreshEpisodeView();
    this.loadMs.episodes = performance.now() - t0;
  }

  private newMeasure(m: Measure, capacity: number) {
    const cols = new Columns(measureSpecs(m, this.wide.has(m)), capacity);
    const changeDicts = Object.fromEntries(FOLLOW_UP_WINDOW_NAMES.map((w) => [w, new ChangeDict()])) as Record<FollowUpWindow, ChangeDict>;
    const entry = { cols, changeDicts, view: null as unknown as MeasureColumns };
    this.refreshMeasureView(m, entry);
    return entry;
  }

  private refreshMeasureView(m: Measure, entry: { cols: Columns; changeDicts: Record<FollowUpWindow, ChangeDict>; view: MeasureColumns }): void {
    const c = entry.cols;
    const flags = Object.keys(RESPONDER_RULES[m]) as ResponderFlag[];
    entry.view = {
      measure: m,
      present: c.get('present') as Uint8Array,
      baselineValue: c.get('baselineValue') as Float64Array,
      baselineDay: c.get('baselineDay') as Int16Array,
      windows: Object.fromEntries(
        FOLLOW_UP_WINDOW_NAMES.map((w) => [
          w,
          this.windowView(m, w, {
            value: c.get(`${w}.value`) as Float64Array,
            day: c.get(`${w}.day`) as Int16Array,
            flags: Object.fromEntries(flags.map((f) => [f, c.get(`${w}.${f}`) as Int8Array])),
            changeCode: c.get(`${w}.changeCode`) as Uint16Array | Uint32Array,
            changeValues: entry.changeDicts[w].values,
          }),
        ]),
      ) as Record<FollowUpWindow, WindowColumns>,
      responseDay: c.get('responseDay') as Int16Array,
      lossDay: c.get('lossDay') as Int16Array,
      lastFollowUpDay: c.get('lastFollowUpDay') as Int16Array,
    };
  }

  /** A window's columns, with `change` made from the codes when first read (and kept until the store changes). */
  private windowView(m: Measure, w: FollowUpWindow, cols: Omit<WindowColumns, 'change'>): WindowColumns {
    const store = this;
    return {
      ...cols,
      get change(): Float64Array {
        return store.memoize(`change:${m}:${w}`, () => {
          const out = new Float64Array(store.ep.capacity).fill(Number.NaN);
          const { changeCode, changeValues } = store.measure(m).windows[w];
          for (let i = 0; i < store.rows; i++) if (changeCode[i] !== 0) out[i] = changeValues[changeCode[i]!]!;
          return out;
        });
      },
    };
  }

  private measureSelect(m: Measure, where: string): string {
    return `SELECT episode_id, ${readSpecs(m, this.wide.has(m)).map((s) => s.sql).join(', ')} FROM outcome_measures ${where}`;
  }

  /** A writer of outcome_measures rows (episode_id first, then the columns of measureSelect), for the arrays as they are now. */
  private measureWriter(entry: { cols: Columns; changeDicts: Record<FollowUpWindow, ChangeDict> }, m: Measure): (row: number, r: unknown[]) => void {
    const wide = this.wide.has(m);
    const specs = readSpecs(m, wide);
    const c = entry.cols;
    const arrays = c.list(specs);
    const present = c.get('present');
    const dicts = specs.map((x) => (x.changeOf ? entry.changeDicts[x.changeOf] : null));
    return (row, r) => {
      present[row] = 1;
      for (let j = 0; j < specs.length; j++) {
        const x = r[j + 1] as number | null;
        const d = dicts[j];
        if (d) {
          const code = d.encode(x);
          if (code > AnalyticStore.narrowCodeLimit && !wide) this.overflow.add(m);
          arrays[j]![row] = code;
        } else arrays[j]![row] = x === null ? NULL_OF[specs[j]!.kind] : x;
      }
    };
  }

  private loadMeasure(m: Measure): void {
    const t0 = performance.now();
    const entry = this.newMeasure(m, this.ep.capacity);
    const [lo, hi] = measureIdRange(m);
    const write = this.measureWriter(entry, m);
    for (const r of this.sqlite.prepare(this.measureSelect(m, 'WHERE id BETWEEN ? AND ?')).raw().iterate(lo, hi) as Iterable<unknown[]>) {
      const row = this.index.get(r[0] as number);
      if (row >= 0) write(row, r);
    }
    this.refreshMeasureView(m, entry);
    this.measures.set(m, entry);
    this.loadMs[m] = performance.now() - t0;
    this.widenIfNeeded();
  }

  /** A measure whose changes outgrew 16-bit codes is read again with 32-bit ones (same transaction, same state). */
  private widenIfNeeded(): void {
    for (const m of [...this.overflow]) {
      this.overflow.delete(m);
      this.wide.add(m);
      this.memo.clear();
      this.dataMemo.clear();
      this.loadMeasure(m);
    }
  }

  private treatmentSelect(where: string): string {
    return `SELECT ${TREATMENT_SPECS.map((s) => s.sql).join(', ')} FROM treatments ${where}`;
  }

  private loadTreatments(): void {
    const t0 = performance.now();
    const n = this.sqlite.prepare('SELECT count(*) FROM treatments').pluck().get() as number;
    // Read in table order (sequential), then group by episode row with a counting sort.
    const raw = new Columns(TREATMENT_SPECS, n + 1);
    let epRow = raw.get('episodeRow') as Int32Array;
    let arrays = raw.list(TREATMENT_SPECS);
    let k = 0;
    for (const r of this.sqlite.prepare(this.treatmentSelect('')).raw().iterate() as Iterable<unknown[]>) {
      if (k >= raw.capacity) {
        raw.grow(k + 1);
        epRow = raw.get('episodeRow') as Int32Array;
        arrays = raw.list(TREATMENT_SPECS);
      }
      this.writeRow(arrays, TREATMENT_SPECS, k, r, 0);
      epRow[k] = this.index.get(r[0] as number);
      k++;
    }
    this.tr = this.groupTreatments(raw, k);
    this.loadMs.treatments = performance.now() - t0;
  }

  /** Regroups treatment rows by episode row (dead rows dropped). */
  private groupTreatments(raw: Columns, n: number) {
    const epRow = raw.get('episodeRow') as Int32Array;
    const cap = this.ep.capacity;
    const tCount = new Int32Array(cap);
    let live = 0;
    for (let i = 0; i < n; i++) {
      const r = epRow[i]!;
      if (r >= 0 && this.epView.alive[r]) (tCount[r]!++, live++);
    }
    const tStart = new Int32Array(cap);
    let pos = 0;
    for (let r = 0; r < cap; r++) ((tStart[r] = pos), (pos += tCount[r]!));
    const cols = new Columns(TREATMENT_SPECS, Math.ceil(live * 1.05) + 1024);
    const fill = new Int32Array(cap);
    const src = TREATMENT_SPECS.map((s) => raw.get(s.key));
    const dst = TREATMENT_SPECS.map((s) => cols.get(s.key));
    for (let i = 0; i < n; i++) {
      const r = epRow[i]!;
      if (r < 0 || !this.epView.alive[r]) continue;
      const at = tStart[r]! + fill[r]!++;
      for (let j = 0; j < src.length; j++) dst[j]![at] = src[j]![i]!;
    }
    const tr = { cols, length: live, dead: 0, tStart, tCount, view: null as unknown as TreatmentColumns };
    this.refreshTreatmentView(tr);
    return tr;
  }

  private refreshTreatmentView(tr: { cols: Columns; length: number; tStart: Int32Array; tCount: Int32Array; view: TreatmentColumns }): void {
    const c = tr.cols;
    tr.view = {
      length: tr.length,
      episodeRow: c.get('episodeRow') as Int32Array,
      day: c.get('day') as Int32Array,
      code: c.get('code') as Uint32Array,
      category: c.get('category') as Uint8Array,
      providerId: c.get('providerId') as Int32Array,
      laterality: c.get('laterality') as Uint8Array,
      complication: c.get('complication') as Uint8Array,
      tStart: tr.tStart,
      tCount: tr.tCount,
    };
  }

  private growEpisodes(min: number): void {
    if (!this.ep.grow(min)) return;
    this.refreshEpisodeView();
    for (const [m, entry] of this.measures) {
      entry.cols.grow(this.ep.capacity);
      this.refreshMeasureView(m, entry);
    }
    if (this.tr) {
      const s = new Int32Array(this.ep.capacity);
      s.set(this.tr.tStart);
      const c = new Int32Array(this.ep.capacity);
      c.set(this.tr.tCount);
      this.tr.tStart = s;
      this.tr.tCount = c;
      this.refreshTreatmentView(this.tr);
    }
  }

  private syncInTx(): boolean {
    const ch = readOutcomeChanges(this.sqlite, this.version);
    if (ch.seq === this.version && ch.episodes !== 'all') return false;
    if (ch.episodes === 'all') {
      this.reloadAll(ch.seq);
      return true;
    }
    const ids = ch.episodes;
    for (let i = 0; i < ids.length; i += CHUNK) this.applyChunk(ids.slice(i, i + CHUNK));
    if (this.tr && this.tr.dead > 0.25 * this.tr.length) this.tr = this.groupTreatments(this.tr.cols, this.tr.length);
    this.version = ch.seq;
    this.memo.clear();
    this.dataMemo.clear();
    return true;
  }

  private reloadAll(seq: number): void {
    const measures = [...this.measures.keys()];
    const withTreatments = this.tr !== null;
    this.measures.clear();
    this.tr = null;
    this.memo.clear();
    this.dataMemo.clear();
    this.version = seq;
    this.loadEpisodes();
    for (const m of measures) this.loadMeasure(m);
    if (withTreatments) this.loadTreatments();
  }

  private applyChunk(ids: number[]): void {
    const marks = ids.map(() => '?').join(', ');
    const found = new Set<number>();
    const rows: number[] = [];
    for (const r of this.sqlite.prepare(this.episodeSelect(`WHERE episode_id IN (${marks})`)).raw().all(...ids) as unknown[][]) {
      const id = r[0] as number;
      found.add(id);
      let row = this.index.get(id);
      if (row < 0) {
        row = this.rows++;
        this.growEpisodes(this.rows);
        this.index.set(id, row, this.rows);
      }
      this.writeRow(this.ep.list(EPISODE_SPECS), EPISODE_SPECS, row, r, 0);
      this.epView.alive[row] = 1;
      rows.push(row);
    }
    for (const id of ids) {
      if (found.has(id)) continue;
      const row = this.index.get(id);
      if (row < 0) continue;
      this.ep.clearRow(row);
      this.epView.episodeId[row] = id;
      rows.push(row);
    }
    // Measures: clear the changed rows, then write what the database has now.
    for (const [m, entry] of this.measures) {
      for (const row of rows) entry.cols.clearRow(row);
      const keys = ids.map((id) => measureKey(m, id));
      const write = this.measureWriter(entry, m);
      for (const r of this.sqlite.prepare(this.measureSelect(m, `WHERE id IN (${marks})`)).raw().all(...keys) as unknown[][]) {
        const row = this.index.get(r[0] as number);
        if (row >= 0) write(row, r);
      }
    }
    this.widenIfNeeded();
    // Treatments: the changed episodes' rows die; their current rows are appended, grouped.
    if (this.tr) {
      const tr = this.tr;
      const epRow = tr.cols.get('episodeRow') as Int32Array;
      for (const row of rows) {
        for (let j = tr.tStart[row]!, end = j + tr.tCount[row]!; j < end; j++) epRow[j] = -1;
        tr.dead += tr.tCount[row]!;
        tr.tCount[row] = 0;
      }
      const got = this.sqlite.prepare(this.treatmentSelect(`WHERE episode_id IN (${marks}) ORDER BY episode_id, id`)).raw().all(...ids) as unknown[][];
      if (tr.length + got.length > tr.cols.capacity) tr.cols.grow(tr.length + got.length);
      const epRow2 = tr.cols.get('episodeRow') as Int32Array;
      const arrays = tr.cols.list(TREATMENT_SPECS);
      let last = -1;
      for (const r of got) {
        const row = this.index.get(r[0] as number);
        if (row < 0 || !this.epView.alive[row]) continue;
        const at = tr.length++;
        this.writeRow(arrays, TREATMENT_SPECS, at, r, 0);
        epRow2[at] = row;
        if (row !== last) ((tr.tStart[row] = at), (tr.tCount[row] = 0), (last = row));
        tr.tCount[row]!++;
      }
      this.refreshTreatmentView(tr);
    }
  }
}

/** Builds a store from a database (tests: a createTestDb() database; the worker: its read-only connection). */
export function buildStore(db: { $client: Database.Database } | Database.Database): AnalyticStore {
  return AnalyticStore.build('$client' in db ? db.$client : db);
}

export { MEASURE_NAMES };
