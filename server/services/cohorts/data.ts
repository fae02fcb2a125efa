/**
 * The episode columns the cohort builder filters and describes, in typed
 * arrays: one row per episode of `outcome_episodes` (decision 005), in
 * episode-id order, plus each episode's treatment categories and codes and,
 * per measure, its baseline and which windows have a follow-up. The funnel
 * (funnel.ts) and the characterisation (characterise.ts) are pure functions
 * over this; nothing here knows about criteria.
 *
 * Loaded once per database and reused while the derived tables do not change
 * (the outcome change log, `outcomeChangesSince`); any re-derived episode
 * reloads it, so a count always matches the derived tables the Outcomes page
 * reads. At 1M patients the load takes seconds and the columns about 120 MB
 * (bench/cohorts.bench.ts); a funnel then takes milliseconds.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../db/index.ts';
import { measureIdRange } from '../../../db/schema/outcomes.ts';
import {
  CARE_PATHS,
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  MEASURE_NAMES,
  REGIONS,
  SEXES,
  TREATMENT_CATEGORIES,
  type Measure,
} from '../../../db/schema/vocabulary.ts';
import { outcomeChangesSince } from '../outcomes/refresh.ts';

/** What the data looked like when a cohort ran: enough to tell whether a re-run sees the same data. */
export type DataState = {
  /** Position in the outcome change log (outcome_changes.seq): every re-derivation moves it. */
  outcomeSeq: number;
  /** The last import stored (imports.id), null when none. */
  lastImportId: number | null;
  /** The derivation version of the outcome tables (a hash of their SQL and definitions). */
  derivation: string | null;
  episodes: number;
};

export const NONE8 = 255;
export const NONE16 = 0xffff;
/** Bits of `followUp[m][i]`: bit k set when window FOLLOW_UP_WINDOW_NAMES[k] has an observation of the measure. */
export const WINDOW_BIT = Object.fromEntries(FOLLOW_UP_WINDOW_NAMES.map((w, k) => [w, 1 << k])) as Record<string, number>;

type Col = ArrayLike<number>;

/**
 * The columns the funnel and the characterisation read. Two sources give
 * them: `loadCohortData` below (this module's own loader, kept for tests and
 * the bench) and the shared analytic store (store-columns.ts), which the
 * server uses.
 */
export type CohortData = {
  state: DataState;
  /** Rows (episodes); with `alive`, a row whose value is 0 is a deleted episode and never a member. */
  n: number;
  alive: Uint8Array | null;
  episodeId: Col;
  patientId: Col;
  /** One more than the largest patient id (for per-patient marks). */
  patientIdLimit: number;
  /** Index in CARE_PATHS. */
  carePath: Col;
  /** Index in `conditionCodes` (an entry may be null). */
  conditionCode: Col;
  conditionCodes: ReadonlyArray<string | null>;
  /** Index in CONDITION_GROUP_NAMES. */
  conditionGroup: Col;
  /** Index in REGIONS, NONE8 when not recorded. */
  region: Col;
  /** Index in SEXES. */
  sex: Col;
  /** Whole years on the index date. */
  age: Col;
  /** Days since 1970-01-01. */
  indexDay: Col;
  /** NaN when unknown. */
  painDuration: Col;
  priorProcedures: Col;
  /** The primary treatment: index in TREATMENT_CATEGORIES (NONE8: none) and in `codes` (an entry of `codes` that is null, or NONE16: none). */
  primaryCategory: Col;
  primaryCode: Col;
  /** Every treatment of the episode: bit k = TREATMENT_CATEGORIES[k] given. */
  categoryMask: Col;
  /** Distinct treatment codes of episode i: codeList[codeStart[i] .. codeStart[i+1]), indexes in `codes`. */
  codeStart: Col;
  codeList: Col;
  codes: ReadonlyArray<string | null>;
  /** Per measure: the baseline value (NaN: none) and the windows with a follow-up (WINDOW_BIT). */
  baselineOf(m: Measure): Col;
  followUpOf(m: Measure): Col;
  /** Change and responder flags of a measure (loaded on first use). */
  detailOf(m: Measure): MeasureDetail;
  /** Row of an episode id (-1: none). */
  rowOfEpisode(episodeId: number): number;
};

const cache = new WeakMap<Database.Database, { data: CohortData; loadedAt: number }>();

/**
 * The cohort columns of the current derived tables: the cached copy when no
 * episode was re-derived since it was loaded, else a fresh load. Listeners of
 * `onReload` (the measure details, the funnel's mask cache) drop what they
 * derived from the previous copy.
 */
export function cohortData(db: Db): CohortData {
  const sqlite = db.$client;
  const cached = cache.get(sqlite);
  if (cached) {
    const changes = outcomeChangesSince(db, cached.data.state.outcomeSeq);
    if (changes.episodes !== 'all' && changes.episodes.length === 0 && lastImportId(sqlite) === cached.data.state.lastImportId) return cached.data;
  }
  const data = loadCohortData(db);
  cache.set(sqlite, { data, loadedAt: Date.now() });
  return data;
}

/** Drops the cached columns of a database (tests; after a bulk rebuild). */
export function forgetCohortData(db: Db): void {
  cache.delete(db.$client);
}

function lastImportId(sqlite: Database.Database): number | null {
  return (sqlite.prepare('SELECT max(id) FROM imports').pluck().get() as number | null) ?? null;
}

/** The data state now (cheap: three lookups). */
export function currentDataState(db: Db): DataState {
  const sqlite = db.$client;
  return {
    outcomeSeq: outcomeChangesSince(db, null).seq,
    lastImportId: lastImportId(sqlite),
    derivation: (sqlite.prepare(`SELECT value FROM outcome_state WHERE key = 'version'`).pluck().get() as string | undefined) ?? null,
    episodes: sqlite.prepare('SELECT count(*) FROM outcome_episodes').pluck().get() as number,
  };
}

function indexer(values: readonly string[]): Map<string, number> {
  return new Map(values.map((v, i) => [v, i]));
}

/** Reads every column in one read transaction, so the columns and the state describe the same moment. */
export function loadCohortData(db: Db): CohortData {
  const sqlite = db.$client;
  const read = () => {
    const state = currentDataState(db);
    const n = state.episodes;
    const episodeId = new Int32Array(n);
    const patientId = new Int32Array(n);
    const carePath = new Uint8Array(n);
    const conditionCode = new Uint16Array(n);
    const conditionGroup = new Uint8Array(n);
    const region = new Uint8Array(n);
    const sex = new Uint8Array(n);
    const age = new Int16Array(n);
    const indexDay = new Int32Array(n);
    const painDuration = new Float32Array(n);
    const priorProcedures = new Int32Array(n);
    const primaryCategory = new Uint8Array(n);
    const primaryCode = new Uint16Array(n);

    const paths = indexer(CARE_PATHS);
    const groups = indexer(CONDITION_GROUP_NAMES);
    const regions = indexer(REGIONS);
    const sexes = indexer(SEXES);
    const categories = indexer(TREATMENT_CATEGORIES);
    const conditionIndex = new Map<string, number>();
    const conditionCodes: string[] = [];
    const codeIndex = new Map<string, number>();
    const codes: string[] = [];
    const codeOf = (c: string): number => {
      let k = codeIndex.get(c);
      if (k === undefined) {
        k = codes.length;
        if (k >= NONE16) throw new Error('more distinct treatment codes than the cohort columns hold');
        codes.push(c);
        codeIndex.set(c, k);
      }
      return k;
    };

    let i = 0;
    let maxEpisode = 0;
    let maxPatient = 0;
    const rows = sqlite
      .prepare(
        `SELECT episode_id, patient_id, care_path, condition_code, condition_group, region, sex, age, index_day,
                pain_duration_months, prior_procedures, category, code
           FROM outcome_episodes ORDER BY episode_id`,
      )
      .raw()
      .iterate() as IterableIterator<
      [number, number, string, string, string, string | null, string, number, number, number | null, number, string | null, string | null]
    >;
    for (const r of rows) {
      if (i >= n) break;
      episodeId[i] = r[0];
      patientId[i] = r[1];
      if (r[0] > maxEpisode) maxEpisode = r[0];
      if (r[1] > maxPatient) maxPatient = r[1];
      carePath[i] = paths.get(r[2]) ?? 0;
      let c = conditionIndex.get(r[3]);
      if (c === undefined) {
        c = conditionCodes.length;
        conditionCodes.push(r[3]);
        conditionIndex.set(r[3], c);
      }
      conditionCode[i] = c;
      conditionGroup[i] = groups.get(r[4]) ?? groups.get('other')!;
      region[i] = r[5] === null ? NONE8 : (regions.get(r[5]) ?? NONE8);
      sex[i] = sexes.get(r[6]) ?? sexes.get('unknown')!;
      age[i] = r[7];
      indexDay[i] = r[8];
      painDuration[i] = r[9] === null ? Number.NaN : r[9];
      priorProcedures[i] = r[10];
      primaryCategory[i] = r[11] === null ? NONE8 : (categories.get(r[11]) ?? NONE8);
      primaryCode[i] = r[12] === null ? NONE16 : codeOf(r[12]);
      i++;
    }
    if (i !== n) throw new Error('outcome_episodes changed while it was read');

    const rowOf = new Int32Array(maxEpisode + 1).fill(-1);
    for (let k = 0; k < n; k++) rowOf[episodeId[k]!] = k;

    // Treatments: every category given (a bit mask) and the distinct codes (compressed rows, two passes over the collected pairs).
    const categoryMask = new Uint32Array(n);
    let pairRow = new Int32Array(1 << 16);
    let pairCode = new Uint16Array(1 << 16);
    let pairs = 0;
    const treatments = sqlite.prepare('SELECT episode_id, category, code FROM treatments').raw().iterate() as IterableIterator<
      [number, string, string | null]
    >;
    for (const [ep, category, code] of treatments) {
      const row = ep <= maxEpisode ? rowOf[ep]! : -1;
      if (row < 0) continue;
      const cat = categories.get(category);
      if (cat !== undefined) categoryMask[row]! |= 1 << cat;
      if (code === null) continue;
      if (pairs === pairRow.length) {
        const r2 = new Int32Array(pairs * 2);
        r2.set(pairRow);
        pairRow = r2;
        const c2 = new Uint16Array(pairs * 2);
        c2.set(pairCode);
        pairCode = c2;
      }
      pairRow[pairs] = row;
      pairCode[pairs] = codeOf(code);
      pairs++;
    }
    const codeStart = new Int32Array(n + 1);
    for (let k = 0; k < pairs; k++) codeStart[pairRow[k]! + 1]!++;
    for (let k = 0; k < n; k++) codeStart[k + 1]! += codeStart[k]!;
    const fill = codeStart.slice(0, n);
    const listed = new Uint16Array(pairs);
    for (let k = 0; k < pairs; k++) listed[fill[pairRow[k]!]!++] = pairCode[k]!;
    // Keep each episode's codes distinct (an episode repeats a code at every session).
    const codeList = new Uint16Array(pairs);
    let out = 0;
    const newStart = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) {
      newStart[k] = out;
      const from = codeStart[k]!;
      const to = codeStart[k + 1]!;
      for (let j = from; j < to; j++) {
        const c = listed[j]!;
        let seen = false;
        for (let q = newStart[k]!; q < out; q++)
          if (codeList[q] === c) {
            seen = true;
            break;
          }
        if (!seen) codeList[out++] = c;
      }
    }
    newStart[n] = out;

    const baseline: Float32Array[] = [];
    const followUp: Uint8Array[] = [];
    for (const m of MEASURE_NAMES) {
      const b = new Float32Array(n).fill(Number.NaN);
      const f = new Uint8Array(n);
      const [lo, hi] = measureIdRange(m);
      const mrows = sqlite
        .prepare(
          `SELECT episode_id, baseline_value, ${FOLLOW_UP_WINDOW_NAMES.map((w) => `${w}_value IS NOT NULL`).join(', ')}
             FROM outcome_measures WHERE id BETWEEN ? AND ?`,
        )
        .raw()
        .iterate(lo, hi) as IterableIterator<number[]>;
      for (const r of mrows) {
        const ep = r[0]!;
        const row = ep <= maxEpisode ? rowOf[ep]! : -1;
        if (row < 0) continue;
        if (r[1] !== null) b[row] = r[1]!;
        let bits = 0;
        for (let k = 0; k < FOLLOW_UP_WINDOW_NAMES.length; k++) if (r[2 + k]) bits |= 1 << k;
        f[row] = bits;
      }
      baseline.push(b);
      followUp.push(f);
    }

    const data: CohortData = {
      state,
      n,
      alive: null,
      episodeId,
      patientId,
      patientIdLimit: maxPatient + 1,
      carePath,
      conditionCode,
      conditionCodes,
      conditionGroup,
      region,
      sex,
      age,
      indexDay,
      painDuration,
      priorProcedures,
      primaryCategory,
      primaryCode,
      categoryMask,
      codeStart: newStart,
      codeList: codeList.slice(0, out),
      codes,
      baselineOf: (m) => baseline[measureIndex(m)]!,
      followUpOf: (m) => followUp[measureIndex(m)]!,
      detailOf: (m) => measureDetail(db, data, rowOf, m),
      rowOfEpisode: (e) => (e >= 0 && e < rowOf.length ? rowOf[e]! : -1),
    };
    return data;
  };
  return sqlite.inTransaction ? read() : sqlite.transaction(read).deferred();
}

export const measureIndex = (m: Measure): number => MEASURE_NAMES.indexOf(m);

/** Change and responder flags of one measure at every window: loaded on first use per data copy. */
export type MeasureDetail = {
  /** Per window (FOLLOW_UP_WINDOW_NAMES order): change from baseline (positive = better), NaN without baseline or follow-up. */
  change: Array<ArrayLike<number>>;
  /** Per window: responder flags, bits RESPONDER_BIT. */
  flags: Array<ArrayLike<number>>;
};
export const RESPONDER_BIT = { pct30: 1, pct50: 2, mcid: 4, pain_free: 8, stopped: 16 } as const;

const details = new WeakMap<CohortData, Map<Measure, MeasureDetail>>();

function measureDetail(db: Db, data: CohortData, rowOf: Int32Array, m: Measure): MeasureDetail {
  let byMeasure = details.get(data);
  if (!byMeasure) details.set(data, (byMeasure = new Map()));
  const found = byMeasure.get(m);
  if (found) return found;
  const change = FOLLOW_UP_WINDOW_NAMES.map(() => new Float32Array(data.n).fill(Number.NaN));
  const flags = FOLLOW_UP_WINDOW_NAMES.map(() => new Uint8Array(data.n));
  const [lo, hi] = measureIdRange(m);
  const cols = FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`${w}_change`, `${w}_pct30`, `${w}_pct50`, `${w}_mcid`, `${w}_pain_free`, `${w}_stopped`]);
  const rows = db.$client
    .prepare(`SELECT episode_id, ${cols.join(', ')} FROM outcome_measures WHERE id BETWEEN ? AND ?`)
    .raw()
    .iterate(lo, hi) as IterableIterator<Array<number | null>>;
  for (const r of rows) {
    const ep = r[0]!;
    const row = ep < rowOf.length ? rowOf[ep]! : -1;
    if (row < 0) continue;
    for (let k = 0; k < FOLLOW_UP_WINDOW_NAMES.length; k++) {
      const o = 1 + k * 6;
      if (r[o] !== null) change[k]![row] = r[o]!;
      flags[k]![row] = (r[o + 1] ? 1 : 0) | (r[o + 2] ? 2 : 0) | (r[o + 3] ? 4 : 0) | (r[o + 4] ? 8 : 0) | (r[o + 5] ? 16 : 0);
    }
  }
  const d = { change, flags };
  byMeasure.set(m, d);
  return d;
}
