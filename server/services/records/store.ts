import type Database from 'better-sqlite3';
import type { Db } from '../../../db/index.ts';
import {
  BASELINE_DAYS,
  FOLLOW_UP_WINDOWS,
  conditionGroupOf,
  type CarePath,
  type Complication,
  type Laterality,
  type Measure,
  type Region,
  type Sex,
  type TreatmentCategory,
} from '../../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../../domain/dates.ts';

/**
 * The one way records enter the database: the CSV importer (and a FHIR importer when one is built)
 * and the demo generator all write through a RecordStore. Rows arrive validated
 * and refer to each other by the practice's own keys; the store resolves those
 * to surrogate ids, upserts with multi-row statements, and counts what it
 * inserted, updated and left unchanged.
 *
 * Every write method must be called inside a transaction owned by the caller
 * (one per batch), so that a batch is committed whole or not at all.
 */

export type SiteRow = { key: string; name: string };
export type ProviderRow = { key: string; name: string; specialty: string | null; siteKey: string | null };
export type PatientRow = { mrn: string; birthDate: string; sex: Sex; zip: string | null };
export type EpisodeRow = {
  key: string;
  patientMrn: string;
  carePath: CarePath;
  conditionCode: string;
  region: Region | null;
  providerKey: string;
  siteKey: string;
  startDate: string;
  painDurationMonths: number | null;
};
export type TreatmentRow = {
  key: string;
  episodeKey: string;
  date: string;
  category: TreatmentCategory;
  code: string | null;
  laterality: Laterality | null;
  providerKey: string | null;
  complication: Complication | null;
};
export type ObservationRow = {
  key: string | null;
  patientMrn: string;
  episodeKey: string | null;
  date: string;
  measure: Measure;
  value: number;
};

export type WriteCounts = { inserted: number; updated: number; unchanged: number };
/** A row the database refused although it passed validation (e.g. a key clash across files). */
export type WriteFailure = { index: number; reason: string };
export type WriteResult = WriteCounts & { failed: WriteFailure[] };

export class UnknownReferenceError extends Error {
  constructor(
    readonly table: string,
    readonly column: string,
  ) {
    super(`unknown ${column} reference in ${table}`);
  }
}

type EpisodeRef = { id: number; patientId: number; start: number };

/** How many rows one INSERT statement carries (SQLite allows 32,766 parameters). */
const ROWS_PER_STATEMENT = 256;

type TableSpec<R> = {
  table: string;
  columns: string[];
  conflict: string;
  /** Columns compared to decide "unchanged"; the update sets exactly these. */
  mutable: string[];
  params: (row: R, importId: number | null, out: unknown[]) => void;
};

export class RecordStore {
  private readonly sqlite: Database.Database;
  private readonly stmtCache = new Map<string, Database.Statement>();
  private siteIds: Map<string, number> | null = null;
  private providerIds: Map<string, number> | null = null;
  private patientIds: Map<string, number> | null = null;
  private episodeRefs: Map<string, EpisodeRef> | null = null;
  private episodesOfPatient: Map<number, EpisodeRef[]> | null = null;
  /** Patients whose episodes changed in this store's lifetime: their date-matched observations need re-matching. */
  private readonly touchedPatients = new Set<number>();
  /**
   * After forgetKeys(): the patient and episode maps hold only what was
   * written or looked up since, and a key they lack is looked up in the
   * database (the unique indexes on mrn and key make that a point query).
   */
  private lookupMode = false;
  private lookupStmts: { patient: Database.Statement; episode: Database.Statement; episodesOf: Database.Statement } | null = null;

  constructor(db: Db) {
    this.sqlite = db.$client;
  }

  // ---- lookups -------------------------------------------------------------

  siteId(key: string): number | undefined {
    this.siteIds ??= this.loadKeys('SELECT key, id FROM sites');
    return this.siteIds.get(key);
  }
  providerId(key: string): number | undefined {
    this.providerIds ??= this.loadKeys('SELECT key, id FROM providers');
    return this.providerIds.get(key);
  }
  patientId(mrn: string): number | undefined {
    // Files are usually sorted by patient: the validator and the writer ask for the same MRN row after row.
    // (A patient's id never changes once given, so the last answer stays right.)
    if (mrn === this.lastMrn) return this.lastPatientId;
    const id = this.lookupPatient(mrn);
    if (id !== undefined) {
      this.lastMrn = mrn;
      this.lastPatientId = id;
    }
    return id;
  }
  private lastMrn: string | null = null;
  private lastPatientId: number | undefined = undefined;

  private lookupPatient(mrn: string): number | undefined {
    if (this.lookupMode) {
      let id = this.patientIds!.get(mrn);
      if (id === undefined) {
        id = this.lookups().patient.get(mrn) as number | undefined;
        if (id !== undefined) this.patientIds!.set(mrn, id);
      }
      return id;
    }
    this.patientIds ??= this.loadKeys('SELECT mrn AS key, id FROM patients');
    return this.patientIds.get(mrn);
  }
  episode(key: string): EpisodeRef | undefined {
    this.loadEpisodes();
    let ref = this.episodeRefs!.get(key);
    if (ref === undefined && this.lookupMode) {
      const row = this.lookups().episode.get(key) as [number, number, string] | undefined;
      if (row) this.episodeRefs!.set(key, (ref = { id: row[0], patientId: row[1], start: parseIsoDate(row[2])! }));
    }
    return ref;
  }

  /**
   * Bounds memory for writers that go patient by patient (the demo generator
   * at a million patients): drops the maps of patient and episode keys, and
   * from now on keeps only what is written or looked up until the next call,
   * looking up anything else in the database. The importer does not call it:
   * it resolves every observation's patient, where a map beats a query.
   * Call between batches (outside or inside a transaction: the maps hold only
   * committed or own-transaction rows either way).
   */
  forgetKeys(): void {
    // touchedPatients stays (numbers only): rematchObservations still owes them a re-match.
    this.lookupMode = true;
    this.patientIds = new Map();
    this.episodeRefs = new Map();
    this.episodesOfPatient = new Map();
  }

  private lookups(): NonNullable<RecordStore['lookupStmts']> {
    return (this.lookupStmts ??= {
      patient: this.sqlite.prepare('SELECT id FROM patients WHERE mrn = ?').pluck(),
      episode: this.sqlite.prepare('SELECT id, patient_id, start_date FROM episodes WHERE key = ?').raw(),
      episodesOf: this.sqlite.prepare('SELECT id, start_date FROM episodes WHERE patient_id = ?').raw(),
    });
  }

  /** Lookup mode: loads the stored episodes of these keys that the map lacks, 500 keys per query. */
  private prefetchEpisodes(keys: string[]): void {
    const missing = keys.filter((k) => !this.episodeRefs!.has(k));
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const sql = `SELECT key, id, patient_id, start_date FROM episodes WHERE key IN (${chunk.map(() => '?').join(', ')})`;
      for (const [key, id, patientId, start] of this.sqlite.prepare(sql).raw().iterate(chunk) as Iterable<[string, number, number, string]>) {
        this.episodeRefs!.set(key, { id, patientId, start: parseIsoDate(start)! });
      }
    }
  }

  /** The patient's episodes (all of them: in lookup mode loaded from the database on first use). */
  private episodesOf(patientId: number): EpisodeRef[] | undefined {
    this.loadEpisodes();
    let list = this.episodesOfPatient!.get(patientId);
    if (list === undefined && this.lookupMode) {
      const rows = this.lookups().episodesOf.all(patientId) as Array<[number, string]>;
      list = rows.map(([id, start]) => ({ id, patientId, start: parseIsoDate(start)! }));
      this.episodesOfPatient!.set(patientId, list);
    }
    return list;
  }

  /**
   * The episode an observation without an episode_id belongs to: among the
   * patient's episodes whose baseline or follow-up span covers the date
   * (index date - 30 days to index date + 456 days), the one that started
   * last. A score taken just before a new treatment is that treatment's
   * baseline rather than a late follow-up of an older one. Null if none.
   */
  matchEpisode(patientId: number, dateDays: number): number | null {
    const list = this.episodesOf(patientId);
    if (!list) return null;
    let best: EpisodeRef | null = null;
    for (const e of list) {
      if (dateDays >= e.start - BASELINE_DAYS && dateDays <= e.start + FOLLOW_UP_WINDOWS.m12.to) {
        if (!best || e.start > best.start || (e.start === best.start && e.id > best.id)) best = e;
      }
    }
    return best ? best.id : null;
  }

  private loadKeys(sql: string): Map<string, number> {
    const map = new Map<string, number>();
    for (const r of this.sqlite.prepare(sql).raw().iterate() as Iterable<[string, number]>) map.set(r[0], r[1]);
    return map;
  }

  private loadEpisodes(): void {
    if (this.episodeRefs) return;
    // (In lookup mode the maps exist from forgetKeys() on, so nothing is loaded in bulk.)
    this.episodeRefs = new Map();
    this.episodesOfPatient = new Map();
    const rows = this.sqlite.prepare('SELECT key, id, patient_id, start_date FROM episodes').raw().iterate() as Iterable<
      [string, number, number, string]
    >;
    for (const [key, id, patientId, start] of rows) this.rememberEpisode(key, { id, patientId, start: parseIsoDate(start)! });
  }

  private rememberEpisode(key: string, ref: EpisodeRef): void {
    const old = this.episodeRefs!.get(key);
    if (this.lookupMode) {
      // The database already holds the new state: drop the cached lists, they reload on demand.
      if (old) {
        this.episodesOfPatient!.delete(old.patientId);
        this.touchedPatients.add(old.patientId);
      }
      this.episodesOfPatient!.delete(ref.patientId);
      this.episodeRefs!.set(key, ref);
      return;
    }
    if (old) {
      const list = this.episodesOfPatient!.get(old.patientId);
      if (list) {
        const i = list.indexOf(old);
        if (i >= 0) list.splice(i, 1);
      }
      this.touchedPatients.add(old.patientId);
    }
    this.episodeRefs!.set(key, ref);
    let list = this.episodesOfPatient!.get(ref.patientId);
    if (!list) this.episodesOfPatient!.set(ref.patientId, (list = []));
    list.push(ref);
  }

  // ---- writes --------------------------------------------------------------

  writeSites(rows: SiteRow[], importId: number | null): WriteResult {
    this.siteIds ??= this.loadKeys('SELECT key, id FROM sites');
    return this.upsertKeyed(SITES, rows, importId, this.siteIds);
  }

  writeProviders(rows: ProviderRow[], importId: number | null): WriteResult {
    this.providerIds ??= this.loadKeys('SELECT key, id FROM providers');
    const resolved = rows.map((r) => ({ ...r, siteId: r.siteKey === null ? null : this.require(this.siteId(r.siteKey), 'providers', 'site_id') }));
    return this.upsertKeyed(PROVIDERS, resolved, importId, this.providerIds);
  }

  writePatients(rows: PatientRow[], importId: number | null): WriteResult {
    this.patientIds ??= this.loadKeys('SELECT mrn AS key, id FROM patients');
    return this.upsertKeyed(PATIENTS, rows, importId, this.patientIds);
  }

  writeEpisodes(rows: EpisodeRow[], importId: number | null): WriteResult {
    this.loadEpisodes();
    // In lookup mode, bring what each key refers to now into the map before the upsert changes it.
    if (this.lookupMode) this.prefetchEpisodes(rows.map((r) => r.key));
    const resolved = rows.map((r) => ({
      ...r,
      patientId: this.require(this.patientId(r.patientMrn), 'episodes', 'patient_id'),
      providerId: this.require(this.providerId(r.providerKey), 'episodes', 'provider_id'),
      siteId: this.require(this.siteId(r.siteKey), 'episodes', 'site_id'),
      conditionGroup: conditionGroupOf(r.conditionCode),
    }));
    const fresh = new Map<string, number>();
    const result = this.upsertKeyed(EPISODES, resolved, importId, fresh);
    const failed = new Set(result.failed.map((f) => f.index));
    resolved.forEach((r, i) => {
      if (failed.has(i)) return;
      const old = this.episodeRefs!.get(r.key);
      const start = parseIsoDate(r.startDate)!;
      if (!old || old.patientId !== r.patientId || old.start !== start) {
        this.rememberEpisode(r.key, { id: old?.id ?? fresh.get(r.key)!, patientId: r.patientId, start });
        this.touchedPatients.add(r.patientId);
      }
    });
    return result;
  }

  writeTreatments(rows: TreatmentRow[], importId: number | null): WriteResult {
    const resolved = rows.map((r) => ({
      ...r,
      episodeId: this.require(this.episode(r.episodeKey)?.id, 'treatments', 'episode_id'),
      providerId: r.providerKey === null ? null : this.require(this.providerId(r.providerKey), 'treatments', 'provider_id'),
    }));
    return this.upsertRows(TREATMENTS, resolved, importId);
  }

  writeObservations(rows: ObservationRow[], importId: number | null): WriteResult {
    // Resolved ids in flat arrays and parameters pushed straight from them: no
    // object per row (a 10M-row import spent most of its garbage collection on
    // per-row copies; a `{ ...r, ... }` copy also takes a slow path in V8).
    const n = rows.length;
    const patientIds = new Array<number>(n);
    const episodeIds = new Array<number | null>(n);
    const byDate = new Uint8Array(n);
    let keyed = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const patientId = this.require(this.patientId(r.patientMrn), 'observations', 'patient_id');
      patientIds[i] = patientId;
      if (r.episodeKey !== null) {
        const e = this.episode(r.episodeKey);
        if (!e || e.patientId !== patientId) throw new UnknownReferenceError('observations', 'episode_id');
        episodeIds[i] = e.id;
      } else {
        episodeIds[i] = this.matchEpisode(patientId, parseIsoDate(r.date)!);
        byDate[i] = 1;
      }
      if (r.key !== null) keyed++;
    }
    const paramsOf = (i: number, out: unknown[]) => {
      const r = rows[i]!;
      out.push(r.key, patientIds[i], episodeIds[i], byDate[i], r.date, r.measure, r.value, importId);
    };
    if (keyed === 0) return this.upsert(OBSERVATIONS_NATURAL, n, paramsOf);
    if (keyed === n) return this.upsert(OBSERVATIONS_BY_KEY, n, paramsOf);
    // Rows with an observation_id and rows without go through different statements; failures are mapped back.
    const withKey: number[] = [];
    const withoutKey: number[] = [];
    for (let i = 0; i < n; i++) (rows[i]!.key !== null ? withKey : withoutKey).push(i);
    const a = this.upsert(OBSERVATIONS_BY_KEY, withKey.length, (j, out) => paramsOf(withKey[j]!, out));
    const b = this.upsert(OBSERVATIONS_NATURAL, withoutKey.length, (j, out) => paramsOf(withoutKey[j]!, out));
    return {
      inserted: a.inserted + b.inserted,
      updated: a.updated + b.updated,
      unchanged: a.unchanged + b.unchanged,
      failed: [...a.failed.map((f) => ({ ...f, index: withKey[f.index]! })), ...b.failed.map((f) => ({ ...f, index: withoutKey[f.index]! }))],
    };
  }

  /**
   * Re-matches the date-matched observations of every patient whose episodes
   * were added or moved since the last call, so an observation imported before
   * its episode still lands in it. Returns the number of observations moved.
   * Call inside the transaction of the last batch.
   */
  rematchObservations(): number {
    if (this.touchedPatients.size === 0) return 0;
    const select = this.sqlite.prepare('SELECT id, date, episode_id FROM observations WHERE patient_id = ? AND episode_by_date = 1');
    const update = this.sqlite.prepare('UPDATE observations SET episode_id = ? WHERE id = ?');
    let moved = 0;
    for (const patientId of this.touchedPatients) {
      for (const [id, date, current] of select.raw().all(patientId) as Array<[number, string, number | null]>) {
        const match = this.matchEpisode(patientId, parseIsoDate(date)!);
        if (match !== current) {
          update.run(match, id);
          moved++;
        }
      }
    }
    this.touchedPatients.clear();
    return moved;
  }

  private require(id: number | undefined, table: string, column: string): number {
    if (id === undefined) throw new UnknownReferenceError(table, column);
    return id;
  }

  /** Upserts rows keyed by a text key and records the surrogate id of every new row in `ids`. */
  private upsertKeyed<R>(spec: TableSpec<R>, rows: R[], importId: number | null, ids: Map<string, number>): WriteResult {
    const before = this.maxId(spec.table);
    const result = this.upsertRows(spec, rows, importId);
    const keyColumn = spec.table === 'patients' ? 'mrn' : 'key';
    const fresh = this.sqlite.prepare(`SELECT ${keyColumn}, id FROM ${spec.table} WHERE id > ?`).raw().iterate(before) as Iterable<[string, number]>;
    for (const [k, id] of fresh) ids.set(k, id);
    return result;
  }

  private maxId(table: string): number {
    return (this.sqlite.prepare(`SELECT coalesce(max(id), 0) FROM ${table}`).pluck().get() as number) ?? 0;
  }

  /**
   * The fast path writes ROWS_PER_STATEMENT rows per statement. If SQLite
   * refuses a statement (a constraint the validator could not see), that
   * chunk is retried row by row inside savepoints, so one bad row costs only
   * itself and is reported; nothing valid is lost. `paramsOf(i, out)` pushes
   * the parameters of row i.
   */
  private upsert(spec: TableSpec<never>, n: number, paramsOf: (i: number, out: unknown[]) => void): WriteResult {
    const before = this.maxId(spec.table);
    let changes = 0;
    const failed: WriteFailure[] = [];
    const params: unknown[] = [];
    for (let start = 0; start < n; start += ROWS_PER_STATEMENT) {
      const end = Math.min(n, start + ROWS_PER_STATEMENT);
      params.length = 0;
      for (let i = start; i < end; i++) paramsOf(i, params);
      try {
        changes += this.statement(spec, end - start).run(params).changes;
      } catch (err) {
        if (!isConstraintError(err)) throw err;
        for (let i = start; i < end; i++) {
          const one: unknown[] = [];
          paramsOf(i, one);
          try {
            changes += this.sqlite.transaction(() => this.statement(spec, 1).run(one).changes)();
          } catch (e) {
            if (!isConstraintError(e)) throw e;
            failed.push({ index: i, reason: describeConstraint(e as Error) });
          }
        }
      }
    }
    const inserted = n === 0 ? 0 : (this.sqlite.prepare(`SELECT count(*) FROM ${spec.table} WHERE id > ?`).pluck().get(before) as number);
    const updated = changes - inserted;
    return { inserted, updated, unchanged: n - failed.length - inserted - updated, failed };
  }

  /** upsert() for rows whose parameters the spec's `params` writes. */
  private upsertRows<R>(spec: TableSpec<R>, rows: R[], importId: number | null): WriteResult {
    return this.upsert(spec as TableSpec<never>, rows.length, (i, out) => spec.params(rows[i]!, importId, out));
  }

  private statement(spec: TableSpec<never>, n: number): Database.Statement {
    const cacheKey = `${spec.table}:${spec.conflict}:${n}`;
    let stmt = this.stmtCache.get(cacheKey);
    if (!stmt) {
      const one = `(${spec.columns.map(() => '?').join(', ')})`;
      const values = new Array(n).fill(one).join(', ');
      const set = spec.mutable.map((c) => `${c} = excluded.${c}`).join(', ');
      const differs = spec.mutable.filter((c) => c !== 'import_id').map((c) => `${spec.table}.${c} IS NOT excluded.${c}`).join(' OR ');
      const sql =
        `INSERT INTO ${spec.table} (${spec.columns.join(', ')}) VALUES ${values} ` +
        `${spec.conflict} DO UPDATE SET ${set} WHERE ${differs}` +
        (spec.table === 'observations' && spec.conflict.includes('(key)')
          ? ` ON CONFLICT(patient_id, measure, date) DO UPDATE SET key = excluded.key, ${set} WHERE ${differs} OR observations.key IS NOT excluded.key`
          : '');
      stmt = this.sqlite.prepare(sql);
      this.stmtCache.set(cacheKey, stmt);
    }
    return stmt;
  }
}


function isConstraintError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT');
}

/** SQLite's message names the constraint and columns, never the values: safe to report. */
function describeConstraint(err: Error): string {
  const m = /constraint failed: (.*)$/.exec(err.message);
  return m ? `the database refused the row (${m[1]})` : 'the database refused the row';
}

const SITES: TableSpec<SiteRow> = {
  table: 'sites',
  columns: ['key', 'name', 'import_id'],
  conflict: 'ON CONFLICT(key)',
  mutable: ['name', 'import_id'],
  params: (r, imp, out) => void out.push(r.key, r.name, imp),
};

const PROVIDERS: TableSpec<ProviderRow & { siteId: number | null }> = {
  table: 'providers',
  columns: ['key', 'name', 'specialty', 'site_id', 'import_id'],
  conflict: 'ON CONFLICT(key)',
  mutable: ['name', 'specialty', 'site_id', 'import_id'],
  params: (r, imp, out) => void out.push(r.key, r.name, r.specialty, r.siteId, imp),
};

const PATIENTS: TableSpec<PatientRow> = {
  table: 'patients',
  columns: ['mrn', 'birth_date', 'sex', 'zip', 'import_id'],
  conflict: 'ON CONFLICT(mrn)',
  mutable: ['birth_date', 'sex', 'zip', 'import_id'],
  params: (r, imp, out) => void out.push(r.mrn, r.birthDate, r.sex, r.zip, imp),
};

const EPISODES: TableSpec<EpisodeRow & { patientId: number; providerId: number; siteId: number; conditionGroup: string }> = {
  table: 'episodes',
  columns: [
    'key',
    'patient_id',
    'care_path',
    'condition_code',
    'condition_group',
    'region',
    'provider_id',
    'site_id',
    'start_date',
    'pain_duration_months',
    'import_id',
  ],
  conflict: 'ON CONFLICT(key)',
  mutable: [
    'patient_id',
    'care_path',
    'condition_code',
    'condition_group',
    'region',
    'provider_id',
    'site_id',
    'start_date',
    'pain_duration_months',
    'import_id',
  ],
  params: (r, imp, out) =>
    void out.push(
      r.key,
      r.patientId,
      r.carePath,
      r.conditionCode,
      r.conditionGroup,
      r.region,
      r.providerId,
      r.siteId,
      r.startDate,
      r.painDurationMonths,
      imp,
    ),
};

const TREATMENTS: TableSpec<TreatmentRow & { episodeId: number; providerId: number | null }> = {
  table: 'treatments',
  columns: ['key', 'episode_id', 'date', 'category', 'code', 'laterality', 'provider_id', 'complication', 'import_id'],
  conflict: 'ON CONFLICT(key)',
  mutable: ['episode_id', 'date', 'category', 'code', 'laterality', 'provider_id', 'complication', 'import_id'],
  params: (r, imp, out) =>
    void out.push(r.key, r.episodeId, r.date, r.category, r.code, r.laterality, r.providerId, r.complication, imp),
};

/** Observations push their parameters themselves (writeObservations), in this column order. */
const OBSERVATION_COLUMNS = ['key', 'patient_id', 'episode_id', 'episode_by_date', 'date', 'measure', 'value', 'import_id'];
const observationParams = (): void => {
  throw new Error('observations write their parameters in writeObservations');
};

/** Rows without an observation_id are keyed by (patient, measure, date). */
const OBSERVATIONS_NATURAL: TableSpec<never> = {
  table: 'observations',
  columns: OBSERVATION_COLUMNS,
  conflict: 'ON CONFLICT(patient_id, measure, date)',
  mutable: ['episode_id', 'episode_by_date', 'value', 'import_id'],
  params: observationParams,
};

/** Rows with an observation_id are keyed by it first, then by (patient, measure, date). */
const OBSERVATIONS_BY_KEY: TableSpec<never> = {
  table: 'observations',
  columns: OBSERVATION_COLUMNS,
  conflict: 'ON CONFLICT(key) WHERE key IS NOT NULL',
  mutable: ['patient_id', 'episode_id', 'episode_by_date', 'date', 'measure', 'value', 'import_id'],
  params: observationParams,
};
