/**
 * The Operations page's data in memory, as typed columns, kept exact as the
 * records change (docs/decisions/010-operations.md).
 *
 * - Procedure lines: every interventional treatment row, with its episode's
 *   facts copied on (care path, condition, region, site) so a scan needs no
 *   join. Grouped by patient, contiguous, in (day, category, region, code, id)
 *   order; the first line of each session (patient, day, category, region)
 *   carries the session's repeat and payer-rule facts (rules.ts), computed
 *   once per patient when the patient's records change.
 * - Episodes: dense by episode id, from outcome_episodes (the derived facts the
 *   Outcomes page groups by), and per outcome measure a bit field of which
 *   figures exist (baseline, a score in each window, responder flags).
 *
 * Staying exact: the outcome refresh appends every re-derived episode to the
 * change log (decision 005), and a treatment change queues every episode of
 * its patient. `sync` reads the log since its position, and reloads the
 * patients of those episodes (old and new patient): their lines are appended
 * and the old ones marked dead; a large change (or a reset) reloads all.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../db/index.ts';
import { CARE_PATHS, CONDITION_GROUP_NAMES, CPT_FAMILIES, FOLLOW_UP_WINDOW_NAMES, INTERVENTIONAL_CATEGORIES, LATERALITIES, MEASURE_NAMES, REGIONS, SEXES, TREATMENT_CATEGORIES, cptFamilyOf } from '../../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../../domain/dates.ts';
import { AGE_BANDS } from '../outcomes/derive-rules.ts';
import { outcomeChangesSince } from '../outcomes/refresh.ts';
import { ESI_CATEGORY, MBB_CATEGORY, RFA_CATEGORY, ROLLING_DAYS, sessionFacts, type Session } from './rules.ts';

export const FAMILY_NAMES = [...Object.keys(CPT_FAMILIES), 'other', 'none'] as const;
export const AGE_BAND_NAMES = AGE_BANDS.map((b) => b.label);
/** Responder flags stored per window in the measure bit fields (bits 6 + 5 * flag + window). */
export const FLAG_NAMES = ['pct30', 'pct50', 'mcid', 'pain_free'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export const BIT_BASELINE = 1;
export const windowBit = (w: number): number => 1 << (1 + w);
export const flagBit = (flag: number, w: number): number => 1 << (6 + 5 * flag + w);

const idx = <T extends string>(list: readonly T[]) => new Map<string, number>(list.map((v, i) => [v, i]));
const CATEGORY_INDEX = idx(TREATMENT_CATEGORIES);
const PATH_INDEX = idx(CARE_PATHS);
const CONDITION_INDEX = idx(CONDITION_GROUP_NAMES);
const REGION_INDEX = idx(REGIONS); // stored + 1; 0 = not recorded
const LATERALITY_INDEX = idx(LATERALITIES); // stored + 1
const AGE_INDEX = idx(AGE_BAND_NAMES);
const SEX_INDEX = idx(SEXES);
const FAMILY_INDEX = idx(FAMILY_NAMES);
export const CATS = { esi: CATEGORY_INDEX.get(ESI_CATEGORY)!, mbb: CATEGORY_INDEX.get(MBB_CATEGORY)!, rfa: CATEGORY_INDEX.get(RFA_CATEGORY)! };
const INTERVENTIONAL_SQL = INTERVENTIONAL_CATEGORIES.map((c) => `'${c}'`).join(', ');

/** Above this many changed patients, a full reload is cheaper than patching. */
const PATCH_LIMIT = 20_000;

const grow = <A extends Int32Array | Uint8Array | Uint16Array>(a: A, size: number): A => {
  if (a.length >= size) return a;
  const b = new (a.constructor as new (n: number) => A)(Math.max(size, Math.ceil(a.length * 1.5) + 1024));
  b.set(a);
  return b;
};

type LineRow = [id: number, patient: number, episode: number, date: string, category: string, code: string | null, laterality: string | null, provider: number, site: number, path: string, condition: string, region: string | null];

export class OperationsStore {
  // ---- procedure lines ----
  n = 0;
  dead = 0;
  day = new Int32Array(0);
  /** Calendar month index: year * 12 + month - 1. */
  month = new Int32Array(0);
  patient = new Int32Array(0);
  episode = new Int32Array(0);
  code = new Uint16Array(0);
  family = new Uint8Array(0);
  category = new Uint8Array(0);
  provider = new Int32Array(0);
  site = new Int32Array(0);
  path = new Uint8Array(0);
  condition = new Uint8Array(0);
  region = new Uint8Array(0);
  laterality = new Uint8Array(0);
  alive = new Uint8Array(0);
  /** 1 on the first line of a session (patient, day, category, region). */
  head = new Uint8Array(0);
  nextGap = new Int32Array(0);
  esiInWindow = new Uint8Array(0);
  esiFlag = new Uint8Array(0);
  mbbStart = new Uint8Array(0);
  rfaGap = new Int32Array(0);
  /**
   * Each line's profile: its combination of every filter and grouping value
   * (code, family, category, provider, site, care path, condition, region,
   * age band, sex, first line of a session). A few thousand profiles cover
   * millions of lines, so a request decides its filters once per profile and
   * the scan reads two columns per line (profile, day).
   */
  profile = new Int32Array(0);
  profiles = new ProfileTable(['code', 'family', 'category', 'provider', 'site', 'path', 'condition', 'region', 'age', 'sex', 'head'] as const);
  /**
   * The day cube: per (day, coarse profile) the lines, and for first lines of
   * sessions their repeat and payer-rule facts. Coarse profiles leave out the
   * episode's condition, age band and sex, so the cube has about a quarter of
   * the lines' entries; a request without those filters reads the cube
   * instead of the lines. Kept exact with the lines (add / remove).
   */
  coarse = new ProfileTable(['code', 'family', 'category', 'provider', 'site', 'path', 'region', 'head'] as const);
  lineCoarse = new Int32Array(0);
  cube = new Cube();
  /** Per patient id: where its lines start, and how many. */
  patientStart = new Int32Array(0);
  patientCount = new Int32Array(0);
  /** Procedure codes seen (code number -> code); '' = none recorded. */
  codes: string[] = [''];
  private codeIndex = new Map<string, number>([['', 0]]);

  // ---- episodes, dense by id ----
  epMax = 0;
  epAlive = new Uint8Array(0);
  epPatient = new Int32Array(0);
  epDay = new Int32Array(0);
  epMonth = new Int32Array(0);
  epPath = new Uint8Array(0);
  /** Primary treatment category + 1 (0: none), code number. */
  epCategory = new Uint8Array(0);
  epCode = new Uint16Array(0);
  epCondition = new Uint8Array(0);
  epProvider = new Int32Array(0);
  epSite = new Int32Array(0);
  epAge = new Uint8Array(0);
  epSex = new Uint8Array(0);
  /** Episode profiles: care path, primary category + 1, primary code, condition, provider, site, age band, sex. */
  epProfile = new Int32Array(0);
  epProfiles = new ProfileTable(['path', 'category', 'code', 'condition', 'provider', 'site', 'age', 'sex'] as const);
  /** Per measure: bit fields of present figures (BIT_BASELINE, windowBit, flagBit); loaded when first asked for. */
  private measureBits = new Map<string, Int32Array>();

  /** Change-log position the columns are exact up to. */
  seq = 0;
  /** Data version: bumped on every change, for caches of derived answers. */
  version = 0;
  loadMs = 0;

  constructor(private readonly db: Db) {}

  private get sqlite(): Database.Database {
    return this.db.$client;
  }

  codeNumber(code: string | null): number {
    const c = code ?? '';
    let i = this.codeIndex.get(c);
    if (i === undefined) {
      i = this.codes.length;
      this.codes.push(c);
      this.codeIndex.set(c, i);
    }
    return i;
  }

  /** Reads everything (at start, after a reset of the derived tables, after a large change). */
  loadAll(): void {
    const t0 = performance.now();
    const changes = outcomeChangesSince(this.db, null);
    this.n = 0;
    this.dead = 0;
    this.patientStart = new Int32Array(0);
    this.patientCount = new Int32Array(0);
    this.epMax = 0;
    this.epAlive = new Uint8Array(0);
    this.measureBits.clear();
    this.profiles = new ProfileTable(this.profiles.fields);
    this.coarse = new ProfileTable(this.coarse.fields);
    this.cube = new Cube();
    this.epProfiles = new ProfileTable(this.epProfiles.fields);
    // Episodes first: lines take their episode's age band and sex.
    this.loadEpisodes(null);
    this.loadLines(null);
    this.seq = changes.seq;
    this.version++;
    this.loadMs = performance.now() - t0;
  }

  /** Brings the columns up to date with the change log; returns the number of episodes it looked at (-1: full reload). */
  sync(): number {
    if (this.version === 0) {
      this.loadAll();
      return -1;
    }
    const changes = outcomeChangesSince(this.db, this.seq);
    if (changes.episodes === 'all') {
      this.loadAll();
      return -1;
    }
    if (changes.episodes.length === 0) {
      this.seq = changes.seq;
      return 0;
    }
    const episodeIds = [...new Set(changes.episodes)];
    const patients = new Set<number>();
    for (const id of episodeIds) if (id <= this.epMax && this.epAlive[id]) patients.add(this.epPatient[id]!);
    for (let i = 0; i < episodeIds.length; i += 500) {
      const chunk = episodeIds.slice(i, i + 500);
      const rows = this.sqlite.prepare(`SELECT patient_id FROM episodes WHERE id IN (${chunk.map(() => '?').join(',')})`).pluck().all(...chunk) as number[];
      for (const p of rows) patients.add(p);
    }
    if (patients.size > PATCH_LIMIT || this.dead > this.n / 4) {
      this.loadAll();
      return -1;
    }
    // Episode rows first (lines read age band and sex through them), then the patients' lines.
    this.loadEpisodes(episodeIds);
    this.loadLines([...patients]);
    this.seq = changes.seq;
    this.version++;
    return episodeIds.length;
  }

  // ---- lines -------------------------------------------------------------------------

  private loadLines(patients: number[] | null): void {
    const select = `SELECT t.id, e.patient_id, t.episode_id, t.date, t.category, t.code, t.laterality, coalesce(t.provider_id, e.provider_id),
        e.site_id, e.care_path, e.condition_group, e.region
      FROM treatments t JOIN episodes e ON e.id = t.episode_id
      WHERE t.category IN (${INTERVENTIONAL_SQL})`;
    const order = `ORDER BY e.patient_id, t.date, t.category, e.region, t.code, t.id`;
    if (patients === null) {
      const total = this.sqlite.prepare(`SELECT count(*) FROM treatments WHERE category IN (${INTERVENTIONAL_SQL})`).pluck().get() as number;
      this.ensureLines(total);
      this.appendRows(this.sqlite.prepare(`${select} ${order}`).raw().iterate() as Iterable<LineRow>);
      return;
    }
    // Old lines of these patients die; their current lines are appended.
    for (const p of patients) {
      if (p < this.patientStart.length && this.patientCount[p]! > 0) {
        const s = this.patientStart[p]!;
        for (let i = s; i < s + this.patientCount[p]!; i++) {
          this.alive[i] = 0;
          this.cubeAdd(i, -1);
        }
        this.dead += this.patientCount[p]!;
        this.patientCount[p] = 0;
      }
    }
    const sorted = [...patients].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i += 500) {
      const chunk = sorted.slice(i, i + 500);
      const rows = this.sqlite.prepare(`${select} AND e.patient_id IN (${chunk.map(() => '?').join(',')}) ${order}`).raw().all(...chunk) as LineRow[];
      this.ensureLines(this.n + rows.length);
      this.appendRows(rows);
    }
  }

  private ensureLines(size: number): void {
    this.day = grow(this.day, size);
    this.month = grow(this.month, size);
    this.patient = grow(this.patient, size);
    this.episode = grow(this.episode, size);
    this.code = grow(this.code, size);
    this.family = grow(this.family, size);
    this.category = grow(this.category, size);
    this.provider = grow(this.provider, size);
    this.site = grow(this.site, size);
    this.path = grow(this.path, size);
    this.condition = grow(this.condition, size);
    this.region = grow(this.region, size);
    this.laterality = grow(this.laterality, size);
    this.alive = grow(this.alive, size);
    this.head = grow(this.head, size);
    this.nextGap = grow(this.nextGap, size);
    this.esiInWindow = grow(this.esiInWindow, size);
    this.esiFlag = grow(this.esiFlag, size);
    this.mbbStart = grow(this.mbbStart, size);
    this.rfaGap = grow(this.rfaGap, size);
    this.profile = grow(this.profile, size);
    this.lineCoarse = grow(this.lineCoarse, size);
  }

  private appendRows(rows: Iterable<LineRow>): void {
    let currentPatient = -1;
    let start = this.n;
    const dateCache = new Map<string, number>();
    for (const r of rows) {
      const i = this.n;
      if (i >= this.day.length) this.ensureLines(i + 1);
      const p = r[1];
      if (p !== currentPatient) {
        if (currentPatient >= 0) this.closePatient(currentPatient, start, i);
        currentPatient = p;
        start = i;
      }
      let day = dateCache.get(r[3]);
      if (day === undefined) {
        day = parseIsoDate(r[3]) ?? 0;
        dateCache.set(r[3], day);
      }
      this.day[i] = day;
      this.month[i] = Number(r[3].slice(0, 4)) * 12 + Number(r[3].slice(5, 7)) - 1;
      this.patient[i] = p;
      this.episode[i] = r[2];
      this.code[i] = this.codeNumber(r[5]);
      this.family[i] = FAMILY_INDEX.get(cptFamilyOf(r[5]) ?? 'none')!;
      this.category[i] = CATEGORY_INDEX.get(r[4])!;
      this.laterality[i] = r[6] === null ? 0 : LATERALITY_INDEX.get(r[6])! + 1;
      this.provider[i] = r[7];
      this.site[i] = r[8];
      this.path[i] = PATH_INDEX.get(r[9])!;
      this.condition[i] = CONDITION_INDEX.get(r[10])!;
      this.region[i] = r[11] === null ? 0 : REGION_INDEX.get(r[11])! + 1;
      this.alive[i] = 1;
      this.n = i + 1;
    }
    if (currentPatient >= 0) this.closePatient(currentPatient, start, this.n);
  }

  private lineProfile(i: number): number {
    const e = this.episode[i]!;
    const known = e < this.epAlive.length && this.epAlive[e] === 1;
    return this.profiles.id([
      this.code[i]!,
      this.family[i]!,
      this.category[i]!,
      this.provider[i]!,
      this.site[i]!,
      this.path[i]!,
      this.condition[i]!,
      this.region[i]!,
      known ? this.epAge[e]! : 255,
      known ? this.epSex[e]! : 255,
      this.head[i]!,
    ]);
  }

  /** Records where a patient's lines are and runs the session rules over them. */
  private closePatient(p: number, start: number, end: number): void {
    if (p >= this.patientStart.length) {
      this.patientStart = grow(this.patientStart, p + 1);
      this.patientCount = grow(this.patientCount, p + 1);
    }
    this.patientStart[p] = start;
    this.patientCount[p] = end - start;
    const sessions: Session[] = [];
    const heads: number[] = [];
    for (let i = start; i < end; i++) {
      const isHead = i === start || this.day[i] !== this.day[i - 1] || this.category[i] !== this.category[i - 1] || this.region[i] !== this.region[i - 1];
      this.head[i] = isHead ? 1 : 0;
      this.nextGap[i] = -1;
      this.esiInWindow[i] = 0;
      this.esiFlag[i] = 0;
      this.mbbStart[i] = 0;
      this.rfaGap[i] = -1;
      this.profile[i] = this.lineProfile(i);
      this.lineCoarse[i] = this.coarse.id([
        this.code[i]!,
        this.family[i]!,
        this.category[i]!,
        this.provider[i]!,
        this.site[i]!,
        this.path[i]!,
        this.region[i]!,
        this.head[i]!,
      ]);
      if (isHead) {
        heads.push(i);
        sessions.push({ day: this.day[i]!, category: this.category[i]!, region: this.region[i]! });
      }
    }
    const f = sessionFacts(sessions, CATS);
    for (let k = 0; k < heads.length; k++) {
      const i = heads[k]!;
      this.nextGap[i] = f.nextGap[k]!;
      this.esiInWindow[i] = f.esiInWindow[k]!;
      this.esiFlag[i] = f.esiFlag[k]!;
      this.mbbStart[i] = f.mbbStart[k]!;
      this.rfaGap[i] = f.rfaGap[k]!;
    }
    for (let i = start; i < end; i++) this.cubeAdd(i, 1);
  }

  /** Adds (sign 1) or removes (-1) a line's contribution to the day cube. */
  private cubeAdd(i: number, sign: 1 | -1): void {
    const gap = this.nextGap[i]!;
    this.cube.add(this.day[i]!, this.lineCoarse[i]!, sign, {
      repeated: gap > 0 && gap <= ROLLING_DAYS - 1 ? 1 : 0,
      flagged: this.esiFlag[i]!,
      mbbStart: this.mbbStart[i]!,
      converted: this.mbbStart[i] && this.rfaGap[i]! > 0 ? 1 : 0,
    });
  }

  // ---- episodes ----------------------------------------------------------------------

  private ensureEpisodes(size: number): void {
    this.epAlive = grow(this.epAlive, size);
    this.epPatient = grow(this.epPatient, size);
    this.epDay = grow(this.epDay, size);
    this.epMonth = grow(this.epMonth, size);
    this.epPath = grow(this.epPath, size);
    this.epCategory = grow(this.epCategory, size);
    this.epCode = grow(this.epCode, size);
    this.epCondition = grow(this.epCondition, size);
    this.epProvider = grow(this.epProvider, size);
    this.epSite = grow(this.epSite, size);
    this.epAge = grow(this.epAge, size);
    this.epSex = grow(this.epSex, size);
    this.epProfile = grow(this.epProfile, size);
    for (const [m, bits] of this.measureBits) this.measureBits.set(m, grow(bits, size));
  }

  private loadEpisodes(ids: number[] | null): void {
    const cols = `episode_id, patient_id, index_day, index_month, care_path, category, code, condition_group, provider_id, site_id, age_band, sex`;
    type Row = [number, number, number, number, string, string | null, string | null, string, number, number, string, string];
    const put = (r: Row) => {
      const id = r[0];
      if (id >= this.epAlive.length) this.ensureEpisodes(id + 1);
      if (id > this.epMax) this.epMax = id;
      this.epAlive[id] = 1;
      this.epPatient[id] = r[1];
      this.epDay[id] = r[2];
      this.epMonth[id] = Math.floor(r[3] / 100) * 12 + (r[3] % 100) - 1;
      this.epPath[id] = PATH_INDEX.get(r[4])!;
      this.epCategory[id] = r[5] === null ? 0 : CATEGORY_INDEX.get(r[5])! + 1;
      this.epCode[id] = this.codeNumber(r[6]);
      this.epCondition[id] = CONDITION_INDEX.get(r[7])!;
      this.epProvider[id] = r[8];
      this.epSite[id] = r[9];
      this.epAge[id] = AGE_INDEX.get(r[10]) ?? 0;
      this.epSex[id] = SEX_INDEX.get(r[11]) ?? 0;
      this.epProfile[id] = this.epProfiles.id([
        this.epPath[id]!,
        this.epCategory[id]!,
        this.epCode[id]!,
        this.epCondition[id]!,
        this.epProvider[id]!,
        this.epSite[id]!,
        this.epAge[id]!,
        this.epSex[id]!,
      ]);
    };
    if (ids === null) {
      const max = (this.sqlite.prepare('SELECT coalesce(max(episode_id), 0) FROM outcome_episodes').pluck().get() as number) ?? 0;
      this.ensureEpisodes(max + 1);
      for (const r of this.sqlite.prepare(`SELECT ${cols} FROM outcome_episodes`).raw().iterate() as Iterable<Row>) put(r);
      return;
    }
    const measures = [...this.measureBits.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      for (const id of chunk) if (id < this.epAlive.length) this.epAlive[id] = 0;
      const marks = chunk.map(() => '?').join(',');
      for (const r of this.sqlite.prepare(`SELECT ${cols} FROM outcome_episodes WHERE episode_id IN (${marks})`).raw().all(...chunk) as Row[]) put(r);
      for (const m of measures) {
        const bits = this.measureBits.get(m)!;
        for (const id of chunk) if (id < bits.length) bits[id] = 0;
        this.readMeasure(m, bits, `AND episode_id IN (${marks})`, chunk);
      }
    }
  }

  /** The measure's bit fields, dense by episode id (read on first use, then patched by sync). */
  bitsOf(measure: string): Int32Array {
    let bits = this.measureBits.get(measure);
    if (!bits) {
      bits = new Int32Array(this.epAlive.length);
      this.readMeasure(measure, bits, '', []);
      this.measureBits.set(measure, bits);
    }
    return bits;
  }

  private readMeasure(measure: string, bits: Int32Array, extra: string, params: number[]): void {
    const m = MEASURE_NAMES.indexOf(measure as (typeof MEASURE_NAMES)[number]) + 1;
    if (m <= 0) throw new RangeError(`unknown measure ${measure}`);
    const K = 2 ** 40;
    const flagCols = FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`${w}_value IS NOT NULL`, ...FLAG_NAMES.map((f) => `coalesce(${w}_${f}, 0)`)]);
    const sql = `SELECT episode_id, baseline_value IS NOT NULL, ${flagCols.join(', ')} FROM outcome_measures WHERE id BETWEEN ? AND ? ${extra}`;
    const per = 1 + FLAG_NAMES.length;
    for (const r of this.sqlite.prepare(sql).raw().iterate(m * K, (m + 1) * K - 1, ...params) as Iterable<number[]>) {
      const id = r[0]!;
      if (id >= bits.length) continue;
      let b = r[1] ? BIT_BASELINE : 0;
      for (let w = 0; w < FOLLOW_UP_WINDOW_NAMES.length; w++) {
        if (r[2 + w * per]) b |= windowBit(w);
        for (let f = 0; f < FLAG_NAMES.length; f++) if (r[3 + w * per + f]) b |= flagBit(f, w);
      }
      bits[id] = b;
    }
  }
}

/**
 * Counts per (day, coarse profile): lines, and the session facts of first
 * lines. Entries are never removed (a count may drop to 0), so their numbers
 * stay valid while the store lives.
 */
export class Cube {
  size = 0;
  day = new Int32Array(1024);
  profile = new Int32Array(1024);
  lines = new Int32Array(1024);
  repeated = new Int32Array(1024);
  flagged = new Int32Array(1024);
  mbbStart = new Int32Array(1024);
  converted = new Int32Array(1024);
  private readonly index = new Map<number, number>();

  add(day: number, profile: number, sign: 1 | -1, facts: { repeated: number; flagged: number; mbbStart: number; converted: number }): void {
    const key = day * 1_048_576 + profile;
    let e = this.index.get(key);
    if (e === undefined) {
      e = this.size++;
      if (e >= this.day.length) {
        const n = this.day.length * 2;
        this.day = grow(this.day, n);
        this.profile = grow(this.profile, n);
        this.lines = grow(this.lines, n);
        this.repeated = grow(this.repeated, n);
        this.flagged = grow(this.flagged, n);
        this.mbbStart = grow(this.mbbStart, n);
        this.converted = grow(this.converted, n);
      }
      this.day[e] = day;
      this.profile[e] = profile;
      this.index.set(key, e);
    }
    this.lines[e]! += sign;
    this.repeated[e]! += sign * facts.repeated;
    this.flagged[e]! += sign * facts.flagged;
    this.mbbStart[e]! += sign * facts.mbbStart;
    this.converted[e]! += sign * facts.converted;
  }
}

/** Distinct combinations of small integer values, numbered from 0, with each field's value per number. */
export class ProfileTable<F extends string = string> {
  readonly values: Record<F, number[]>;
  private readonly index = new Map<string, number>();
  size = 0;
  constructor(readonly fields: readonly F[]) {
    this.values = Object.fromEntries(fields.map((f) => [f, [] as number[]])) as unknown as Record<F, number[]>;
  }
  id(vals: readonly number[]): number {
    const key = vals.join(',');
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.size++;
      this.index.set(key, i);
      this.fields.forEach((f, k) => this.values[f].push(vals[k]!));
    }
    return i;
  }
}

const stores = new WeakMap<object, OperationsStore>();

/** The store of a database, up to date with its change log (a few key lookups when nothing changed). */
export function operationsStore(db: Db): OperationsStore {
  let s = stores.get(db.$client);
  if (!s) stores.set(db.$client, (s = new OperationsStore(db)));
  s.sync();
  return s;
}
