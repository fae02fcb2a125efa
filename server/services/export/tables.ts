/**
 * The tables of a cohort export, their data dictionary, and their rows read
 * from SQLite in columnar batches (streaming `iterate`, one batch of at most
 * BATCH_ROWS rows in memory at a time).
 *
 * Shapes: `wide` = one row per episode with its baseline and the observation
 * counted in each follow-up window for every measure, plus treatments;
 * `long` = one row per episode (facts only), one row per observation, plus
 * treatments.
 *
 * De-identified (the default, HIPAA Safe Harbor as domain.md says): random
 * study ids per export (deid.ts), no record ids, keys, names or free text;
 * days relative to the index date and the index year instead of dates; age
 * with over-89 as 90; ZIP3 with restricted prefixes as 000. Identified
 * (a limited data set, roles.md): the same plus the index date, observation
 * and treatment dates, the birth date, the 5-digit ZIP and the exact age.
 * Neither carries MRNs, record ids or names.
 */
import type Database from 'better-sqlite3';
import { FOLLOW_UP_WINDOWS, FOLLOW_UP_WINDOW_NAMES, MEASURES, MEASURE_NAMES } from '../../../db/schema/vocabulary.ts';
import { daysToIso } from '../../domain/dates.ts';
import { ENUMS, NULL_INT, type EnumName } from '../analytics/store.ts';
import { AGE_CAP, zip3 } from './deid.ts';
import { EPISODE_INTS, WIDE_VALUES, realText, treatmentsFilled, unpackCode, type EpisodeSlot, type TreatmentSlot } from './slots.ts';

export const EXPORT_SHAPES = ['wide', 'long'] as const;
export type ExportShape = (typeof EXPORT_SHAPES)[number];
export const EXPORT_FORMATS = ['csv', 'json', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type ColType = 'int' | 'double' | 'string';
export type ColumnSpec = {
  name: string;
  type: ColType;
  unit: string | null;
  codeSystem: string | null;
  definition: string;
};
export type TableName = 'episodes' | 'observations' | 'treatments';
export type TableSpec = { name: TableName; description: string; columns: ColumnSpec[] };

/** Texts by code; code 0 is null. */
export type TextDict = { readonly texts: ReadonlyArray<string | null> };

/** A column of a batch as a typed array: int (NULL_INT = null), double (NaN = null), text as dictionary codes (0 = null). */
export type TypedColumn = { kind: 'int'; data: Int32Array } | { kind: 'double'; data: Float64Array } | { kind: 'text'; codes: Int32Array; dict: TextDict };

/** A batch of rows as columns (aligned with the table's ColumnSpec list). */
export type Batch = {
  length: number;
  /** The leading columns' values as plain arrays (small tables, tests). */
  columns: Array<Array<string | number | null>>;
  /** Or: the columns as typed arrays. */
  typed?: TypedColumn[];
  /**
   * Wide episodes: the measure columns (after the typed ones, in measureColumns order: each value then its
   * day), row-major, WIDE_VALUES a row (values NaN = none, days NO_DAY = none).
   */
  measures?: { values: Float64Array; days: Int16Array };
  /** Whole rows already written by SQLite in the file's format (CSV lines without the line end; JSON objects). */
  lines?: string[];
};
export const BATCH_ROWS = 16_384;

const col = (name: string, type: ColType, definition: string, unit: string | null = null, codeSystem: string | null = null): ColumnSpec => ({
  name,
  type,
  unit,
  codeSystem,
  definition,
});

const ids = [
  col('patient_study_id', 'int', 'Random study id of the patient, 1..number of patients; unique within this export, unrelated to any record id, different in every export.'),
  col('episode_study_id', 'int', 'Random study id of the episode of care, 1..number of episodes; unique within this export, different in every export.'),
];

export function episodeColumns(identified: boolean): ColumnSpec[] {
  return [
    ...ids,
    col('index_year', 'int', 'Calendar year of the index date (the first treatment of the episode).', 'year'),
    ...(identified ? [col('index_date', 'string', 'Index date (YYYY-MM-DD). Limited data set only.', 'date', 'ISO 8601')] : []),
    col(
      'age',
      'int',
      identified ? 'Age in whole years on the index date.' : 'Age in whole years on the index date; 90 means 90 or older (HIPAA Safe Harbor).',
      'years',
    ),
    ...(identified ? [col('birth_date', 'string', 'Date of birth (YYYY-MM-DD). Limited data set only.', 'date', 'ISO 8601')] : []),
    col('sex', 'string', 'Sex as recorded: female, male, other, unknown.'),
    col('zip3', 'string', 'First three digits of the ZIP code; 000 for the prefixes Safe Harbor restricts (areas of 20,000 people or fewer); empty when not recorded.', null, 'USPS ZIP'),
    ...(identified ? [col('zip', 'string', '5-digit ZIP code. Limited data set only.', null, 'USPS ZIP')] : []),
    col('care_path', 'string', 'interventional or conservative (an interventional episode may include conservative care).'),
    col('condition_code', 'string', 'Condition of the episode.', null, 'ICD-10-CM'),
    col('condition_group', 'string', 'Clinical group of the condition code (by code prefix): low_back_pain, radiculopathy, spinal_stenosis, ...'),
    col('region', 'string', 'Region: cervical, thoracic, lumbar, sacroiliac, peripheral, other; empty when not recorded.'),
    col('primary_category', 'string', 'Category of the primary treatment: the first interventional procedure of an interventional episode, else the first treatment.'),
    col('primary_code', 'string', 'Procedure code of the primary treatment.', null, 'CPT / HCPCS'),
    col('pain_duration_months', 'double', 'Months of pain before the index date, as recorded; empty when unknown.', 'months'),
    col('chronic', 'int', '1 when pain lasted more than 3 months before the index date, 0 when not, empty when unknown.'),
    col('prior_procedures', 'int', 'Interventional procedure sessions (distinct days) of the patient before the index date, any episode.', 'sessions'),
    col('treatments', 'int', 'Treatment records of the episode.', 'records'),
    col('procedure_sessions', 'int', 'Distinct days with an interventional procedure in the episode.', 'sessions'),
    col('complications_minor', 'int', 'Treatments of the episode with a minor complication.', 'treatments'),
    col('complications_major', 'int', 'Treatments of the episode with a major complication.', 'treatments'),
    col('repeat_day', 'int', 'Day (relative to the index date) of the first repeat interventional procedure for the same patient and region; empty when none.', 'days'),
  ];
}

export function measureColumns(identified: boolean): ColumnSpec[] {
  const out: ColumnSpec[] = [];
  for (const m of MEASURE_NAMES) {
    const meta = MEASURES[m];
    const code = meta.loinc ? `LOINC ${meta.loinc}` : null;
    out.push(
      col(`${m}_baseline`, 'double', `${meta.label}: last observation in the 30 days up to and including the index date; empty when none.`, meta.unit, code),
      col(`${m}_baseline_day`, 'int', `Day of that baseline observation relative to the index date (0 or negative).`, 'days'),
    );
    for (const w of FOLLOW_UP_WINDOW_NAMES) {
      const win = FOLLOW_UP_WINDOWS[w];
      out.push(
        col(
          `${m}_${w}`,
          'double',
          `${meta.label} at ${win.label}: the observation nearest day ${win.target} within days ${win.from}-${win.to} after the index date (the earlier on a tie); empty when none.`,
          meta.unit,
          code,
        ),
        col(`${m}_${w}_day`, 'int', `Day of that observation relative to the index date.`, 'days'),
      );
    }
  }
  void identified;
  return out;
}

function observationColumns(identified: boolean): ColumnSpec[] {
  return [
    ...ids,
    col('measure', 'string', 'pain_nrs (LOINC 72514-3), odi (97909-6), promis_pi (71961-7), promis_pf (71959-1), mme (daily morphine milligram equivalents).'),
    col('day', 'int', 'Day of the observation relative to the episode index date (negative before it).', 'days'),
    ...(identified ? [col('date', 'string', 'Date of the observation (YYYY-MM-DD). Limited data set only.', 'date', 'ISO 8601')] : []),
    col('value', 'double', 'The value: NRS 0-10 points, ODI 0-100 points, PROMIS T-score 20-80, MME mg/day.', 'see measure'),
  ];
}

function treatmentColumns(identified: boolean): ColumnSpec[] {
  return [
    ...ids,
    col('day', 'int', 'Day of the treatment relative to the episode index date.', 'days'),
    ...(identified ? [col('date', 'string', 'Date of the treatment (YYYY-MM-DD). Limited data set only.', 'date', 'ISO 8601')] : []),
    col('category', 'string', 'Treatment category (import format): epidural_steroid_injection, ..., physical_therapy, ...'),
    col('code', 'string', 'Procedure code; empty when none.', null, 'CPT / HCPCS'),
    col('laterality', 'string', 'left, right, bilateral; empty when not recorded.'),
    col('complication', 'string', 'none, minor, major; empty when not recorded.'),
  ];
}

export function tableSpecs(shape: ExportShape, identified: boolean): TableSpec[] {
  const treatments: TableSpec = { name: 'treatments', description: 'One row per treatment of the cohort’s episodes.', columns: treatmentColumns(identified) };
  if (shape === 'wide') {
    return [
      {
        name: 'episodes',
        description: 'One row per episode: its facts, and per measure the baseline and the observation counted in each follow-up window.',
        columns: [...episodeColumns(identified), ...measureColumns(identified)],
      },
      treatments,
    ];
  }
  return [
    { name: 'episodes', description: 'One row per episode: its facts.', columns: episodeColumns(identified) },
    { name: 'observations', description: 'One row per observation (score or MME) recorded for the cohort’s episodes.', columns: observationColumns(identified) },
    treatments,
  ];
}

/** The data dictionary: every column of every table with its type, unit, code system and definition. */
export function dictionaryRows(specs: readonly TableSpec[]): Array<{ table: string; column: string; type: string; unit: string | null; code_system: string | null; definition: string }> {
  return specs.flatMap((t) =>
    t.columns.map((c) => ({ table: t.name, column: c.name, type: c.type === 'int' ? 'integer' : c.type === 'double' ? 'number' : 'text', unit: c.unit, code_system: c.codeSystem, definition: c.definition })),
  );
}

// ---- rows ---------------------------------------------------------------------------

/**
 * Which episodes are exported and their study ids, indexed by episode id
 * (0: not in the export).
 */
export type Selection = {
  identified: boolean;
  studyPatient: Int32Array;
  studyEpisode: Int32Array;
  /** Index day (days since 1970-01-01) by episode id. */
  indexDay: Int32Array;
  /** Member episode ids, ascending. */
  episodes: Int32Array;
};

export type RowCounts = Partial<Record<TableName, number>>;

/** A growing dictionary of texts by key (a number), code 0 = null; a fixed vocabulary first when given (code = index + 1). */
export class Texts implements TextDict {
  readonly texts: Array<string | null> = [null];
  private readonly byKey = new Map<number, number>();
  constructor(fixed: readonly string[] = []) {
    this.texts.push(...fixed);
  }
  code(key: number, make: (key: number) => string | null): number {
    let c = this.byKey.get(key);
    if (c === undefined) {
      const t = make(key);
      c = t === null ? 0 : this.texts.push(t) - 1;
      this.byKey.set(key, c);
    }
    return c;
  }
}

const ZIP3_TEXT = Array.from({ length: 1000 }, (_, k) => String(k).padStart(3, '0'));
/** Safe Harbor's ZIP3 of each 3-digit prefix (deid.ts: restricted prefixes as 000). */
const ZIP3_OF = Int16Array.from(ZIP3_TEXT, (p) => Number(zip3(`${p}00`)));

/**
 * What the rows of one export share: the patients' ZIP and birth day (one scan
 * of patients in the export's transaction), SQLite's text of REAL values, and
 * the dictionaries of the texts written.
 */
export class RowContext {
  readonly zip: Int32Array;
  readonly birth: Int32Array;
  readonly real: (v: number) => string;
  readonly enums: Record<EnumName | 'measure', Texts>;
  readonly date = new Texts();
  readonly code = new Texts();
  readonly zip3 = new Texts(ZIP3_TEXT);
  readonly zip5 = new Texts();
  constructor(
    sqlite: Database.Database,
    readonly sel: Selection,
  ) {
    // ZIP as a number (-1: none or malformed) and birth day by patient id: one scan, ints only.
    const max = (sqlite.prepare('SELECT max(id) FROM patients').pluck().get() as number | null) ?? 0;
    this.zip = new Int32Array(max + 1).fill(-1);
    this.birth = new Int32Array(max + 1).fill(NULL_INT);
    const it = sqlite
      .prepare("SELECT id, CASE WHEN zip GLOB '[0-9][0-9][0-9][0-9][0-9]' THEN CAST(zip AS INTEGER) ELSE -1 END, unixepoch(birth_date) / 86400 FROM patients")
      .raw()
      .iterate() as IterableIterator<[number, number, number | null]>;
    for (const [id, z, b] of it) {
      this.zip[id] = z;
      if (b !== null) this.birth[id] = b;
    }
    this.real = realText(sqlite);
    const e = (name: EnumName) => new Texts(ENUMS[name]);
    this.enums = {
      carePath: e('carePath'),
      category: e('category'),
      conditionGroup: e('conditionGroup'),
      region: e('region'),
      ageBand: e('ageBand'),
      sex: e('sex'),
      laterality: e('laterality'),
      complication: e('complication'),
      measure: new Texts(MEASURE_NAMES),
    };
  }
  dateCode(day: number): number {
    return day === NULL_INT ? 0 : this.date.code(day, daysToIso);
  }
  codeCode(packed: number): number {
    return packed === 0 ? 0 : this.code.code(packed, unpackCode);
  }
}

const int = (data: Int32Array): TypedColumn => ({ kind: 'int', data });
const text = (codes: Int32Array, dict: TextDict): TypedColumn => ({ kind: 'text', codes, dict });
/** Enumeration values (vocabulary index, NULL_INT = null) as dictionary codes. */
function enumCodes(src: Int32Array): Int32Array {
  const out = new Int32Array(src.length);
  for (let r = 0; r < src.length; r++) out[r] = src[r] === NULL_INT ? 0 : src[r]! + 1;
  return out;
}
const F = Object.fromEntries(EPISODE_INTS.map((k, i) => [k, i])) as Record<(typeof EPISODE_INTS)[number], number>;

/**
 * One chunk of episodes (a slot: slots.ts) as a batch in the order of
 * episodeColumns, with Safe Harbor applied: study ids, age over 89 as 90,
 * ZIP3 with restricted prefixes as 000, codes only of a code's shape (the
 * slot holds no other); identified: the index date, birth date and 5-digit
 * ZIP too. Members deleted since the cohort ran (not found) are left out.
 */
export function episodeBatch(ctx: RowContext, slot: EpisodeSlot, n: number, wide: boolean): Batch {
  const sel = ctx.sel;
  const cap = slot.ids.length;
  let m = 0;
  for (let r = 0; r < n; r++) m += slot.found[r]!;
  // Rows kept (all, unless a member was deleted since the cohort ran).
  const keep = new Int32Array(m);
  for (let r = 0, j = 0; r < n; r++) if (slot.found[r]) keep[j++] = r;
  const ints = (k: number) => {
    const src = slot.ints.subarray(k * cap, k * cap + n);
    if (m === n) return src.slice();
    const out = new Int32Array(m);
    for (let j = 0; j < m; j++) out[j] = src[keep[j]!]!;
    return out;
  };
  const nums = (k: number) => {
    const out = new Float64Array(m);
    for (let j = 0; j < m; j++) out[j] = slot.nums[k * cap + keep[j]!]!;
    return out;
  };
  const sp = new Int32Array(m);
  const se = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const e = slot.ids[keep[j]!]!;
    sp[j] = sel.studyPatient[e]!;
    se[j] = sel.studyEpisode[e]!;
  }
  const patient = ints(F.patientId);
  const identified = sel.identified;
  const age = ints(F.age);
  if (!identified) for (let j = 0; j < m; j++) if (age[j]! > AGE_CAP) age[j] = AGE_CAP;
  const zip3Codes = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const z = ctx.zip[patient[j]!] ?? -1;
    zip3Codes[j] = z < 0 ? 0 : ZIP3_OF[Math.floor(z / 100)]! + 1;
  }
  const codesOf = (src: Float64Array) => {
    const out = new Int32Array(m);
    for (let j = 0; j < m; j++) out[j] = ctx.codeCode(src[j]!);
    return out;
  };
  const cols: TypedColumn[] = [int(sp), int(se), int(ints(F.indexYear))];
  if (identified) {
    const day = ints(F.indexDay);
    cols.push(text(day.map((d) => ctx.dateCode(d)), ctx.date));
  }
  cols.push(int(age));
  if (identified) cols.push(text(patient.map((p) => ctx.dateCode(ctx.birth[p] ?? NULL_INT)), ctx.date));
  cols.push(text(enumCodes(ints(F.sex)), ctx.enums.sex), text(zip3Codes, ctx.zip3));
  if (identified) cols.push(text(patient.map((p) => ((ctx.zip[p] ?? -1) < 0 ? 0 : ctx.zip5.code(ctx.zip[p]!, (z) => String(z).padStart(5, '0')))), ctx.zip5));
  cols.push(
    text(enumCodes(ints(F.carePath)), ctx.enums.carePath),
    text(codesOf(nums(1)), ctx.code),
    text(enumCodes(ints(F.conditionGroup)), ctx.enums.conditionGroup),
    text(enumCodes(ints(F.region)), ctx.enums.region),
    text(enumCodes(ints(F.category)), ctx.enums.category),
    text(codesOf(nums(2)), ctx.code),
    { kind: 'double', data: nums(0) },
    ...(['chronic', 'priorProcedures', 'treatments', 'procedureSessions', 'complicationsMinor', 'complicationsMajor', 'repeatDay'] as const).map((k) => int(ints(F[k]))),
  );
  const b: Batch = { length: m, columns: [], typed: cols };
  if (wide) {
    let values = slot.values.subarray(0, n * WIDE_VALUES);
    let days = slot.days.subarray(0, n * WIDE_VALUES);
    if (m < n) {
      const v = new Float64Array(m * WIDE_VALUES);
      const d = new Int16Array(m * WIDE_VALUES);
      for (let j = 0; j < m; j++) {
        v.set(values.subarray(keep[j]! * WIDE_VALUES, (keep[j]! + 1) * WIDE_VALUES), j * WIDE_VALUES);
        d.set(days.subarray(keep[j]! * WIDE_VALUES, (keep[j]! + 1) * WIDE_VALUES), j * WIDE_VALUES);
      }
      values = v;
      days = d;
    }
    b.measures = { values, days };
  }
  return b;
}

/** One slot of treatments as a batch in the order of treatmentColumns (relative days; identified: the date too). */
export function treatmentBatch(ctx: RowContext, slot: TreatmentSlot): Batch {
  const sel = ctx.sel;
  const n = treatmentsFilled(slot).rows;
  const sp = new Int32Array(n);
  const se = new Int32Array(n);
  const day = new Int32Array(n);
  const code = new Int32Array(n);
  let lastPacked = -1;
  let lastCode = 0;
  for (let r = 0; r < n; r++) {
    const e = slot.episode[r]!;
    sp[r] = sel.studyPatient[e]!;
    se[r] = sel.studyEpisode[e]!;
    day[r] = slot.day[r]! - sel.indexDay[e]!;
    const p = slot.code[r]!;
    if (p !== lastPacked) ((lastPacked = p), (lastCode = ctx.codeCode(p)));
    code[r] = lastCode;
  }
  const cols: TypedColumn[] = [int(sp), int(se), int(day)];
  if (sel.identified) {
    const dates = new Int32Array(n);
    for (let r = 0; r < n; r++) dates[r] = ctx.dateCode(slot.day[r]!);
    cols.push(text(dates, ctx.date));
  }
  cols.push(
    text(enumCodes(slot.category.subarray(0, n)), ctx.enums.category),
    text(code, ctx.code),
    text(enumCodes(slot.laterality.subarray(0, n)), ctx.enums.laterality),
    text(enumCodes(slot.complication.subarray(0, n)), ctx.enums.complication),
  );
  return { length: n, columns: [], typed: cols };
}

/** Below this share of the practice's episodes, rows are found through the episode index instead of a full scan. */
const INDEX_SHARE = 0.05;

/**
 * Observation rows as typed batches (Parquet), read as numbers only (episode
 * id, day, measure as its index, value): a full scan when the cohort is a large
 * share of the practice, else one index lookup per member episode.
 */
export function* observationBatches(sqlite: Database.Database, ctx: RowContext, counts: RowCounts): Generator<Batch> {
  const sel = ctx.sel;
  const identified = sel.identified;
  const cols = `episode_id, unixepoch(date) / 86400, CASE measure ${MEASURE_NAMES.map((m, i) => `WHEN '${m}' THEN ${i}`).join(' ')} END, value`;
  const total = sqlite.prepare('SELECT count(*) FROM outcome_episodes').pluck().get() as number;
  const statements: Array<IterableIterator<[number | null, number, number, number]>> =
    sel.episodes.length < total * INDEX_SHARE
      ? Array.from(sel.episodes, (e) => sqlite.prepare(`SELECT ${cols} FROM observations WHERE episode_id = ?`).raw().iterate(e) as IterableIterator<[number, number, number, number]>)
      : [sqlite.prepare(`SELECT ${cols} FROM observations`).raw().iterate() as IterableIterator<[number | null, number, number, number]>];
  const limit = sel.studyPatient.length;
  let sp = new Int32Array(BATCH_ROWS);
  let se = new Int32Array(BATCH_ROWS);
  let measure = new Int32Array(BATCH_ROWS);
  let day = new Int32Array(BATCH_ROWS);
  let date = new Int32Array(BATCH_ROWS);
  let value = new Float64Array(BATCH_ROWS);
  let k = 0;
  let n = 0;
  const batch = (): Batch => {
    const cut = <T extends Int32Array | Float64Array>(a: T) => a.subarray(0, k) as T;
    return {
      length: k,
      columns: [],
      typed: [
        int(cut(sp)),
        int(cut(se)),
        text(cut(measure), ctx.enums.measure),
        int(cut(day)),
        ...(identified ? [text(cut(date), ctx.date)] : []),
        { kind: 'double' as const, data: cut(value) },
      ],
    };
  };
  for (const it of statements) {
    for (const [e, d, m, v] of it) {
      if (e === null || e >= limit) continue;
      const p = sel.studyPatient[e]!;
      if (!p) continue;
      sp[k] = p;
      se[k] = sel.studyEpisode[e]!;
      measure[k] = m + 1;
      day[k] = d - sel.indexDay[e]!;
      if (identified) date[k] = ctx.dateCode(d);
      value[k] = v;
      n++;
      if (++k === BATCH_ROWS) {
        yield batch();
        k = 0;
        sp = new Int32Array(BATCH_ROWS);
        se = new Int32Array(BATCH_ROWS);
        measure = new Int32Array(BATCH_ROWS);
        day = new Int32Array(BATCH_ROWS);
        date = new Int32Array(BATCH_ROWS);
        value = new Float64Array(BATCH_ROWS);
      }
    }
  }
  if (k) yield batch();
  counts.observations = n;
}

// ---- rows written by SQLite ------------------------------------------------------------------

/**
 * The export's study ids and index days in a TEMP table, so that SQLite can
 * write whole CSV lines or JSON objects of observations (one string a row
 * crosses into JavaScript instead of five values). Returns its
 * name; drop it with dropSelectionTable.
 */
export function createSelectionTable(sqlite: Database.Database, sel: Selection): string {
  const name = `temp.cohort_export_${Math.random().toString(36).slice(2, 10)}`;
  sqlite.exec(`CREATE TABLE ${name} (episode_id INTEGER PRIMARY KEY, sp INTEGER NOT NULL, se INTEGER NOT NULL, day INTEGER NOT NULL)`);
  const ROWS = 250;
  const many = sqlite.prepare(`INSERT INTO ${name} VALUES ${Array.from({ length: ROWS }, () => '(?, ?, ?, ?)').join(', ')}`);
  const one = sqlite.prepare(`INSERT INTO ${name} VALUES (?, ?, ?, ?)`);
  const ids = sel.episodes;
  const params: number[] = [];
  sqlite.transaction(() => {
    let i = 0;
    for (; i + ROWS <= ids.length; i += ROWS) {
      params.length = 0;
      for (let j = i; j < i + ROWS; j++) {
        const e = ids[j]!;
        params.push(e, sel.studyPatient[e]!, sel.studyEpisode[e]!, sel.indexDay[e]!);
      }
      many.run(params);
    }
    for (; i < ids.length; i++) {
      const e = ids[i]!;
      one.run(e, sel.studyPatient[e]!, sel.studyEpisode[e]!, sel.indexDay[e]!);
    }
  })();
  return name;
}

export function dropSelectionTable(sqlite: Database.Database, name: string): void {
  sqlite.exec(`DROP TABLE IF EXISTS ${name}`);
}

const q = (name: string) => `"${name}":`;

/**
 * The SQL text of one observation row. Every text value here is an
 * enumeration (CHECK constraint) or an ISO date (CHECK): none can contain a
 * comma, a quote or a line break, or start with = + - @, so no CSV quoting or
 * formula neutralisation is needed (server/domain/csv.ts would leave them
 * unchanged); numbers are SQLite's own text of the value.
 */
function lineSql(format: 'csv' | 'json', identified: boolean): string {
  const day = `(unixepoch(o.date) / 86400 - s.day)`;
  if (format === 'csv') return `s.sp || ',' || s.se || ',' || o.measure || ',' || ${day} || ${identified ? `',' || o.date || ` : ''}',' || o.value`;
  return `'{${q('patient_study_id')}' || s.sp || ',${q('episode_study_id')}' || s.se || ',${q('measure')}"' || o.measure || '",${q('day')}' || ${day} || ${
    identified ? `',${q('date')}"' || o.date || '"' || ` : ''
  }',${q('value')}' || o.value || '}'`;
}

/** Observation rows a statement joins into one text (about 150 kB of CSV). */
const OBSERVATION_RANGE = 4096;

/**
 * Observation rows written by SQLite as CSV lines or JSON objects. A large
 * cohort: the table is read in ranges of OBSERVATION_RANGE row ids, each
 * range's rows joined by SQLite into one text (`group_concat`), because
 * handing each row to JavaScript (about 0.6 us, more than SQLite's own work on
 * it) was most of the export's time; the rows' order within the file is the
 * table's. A small cohort: its episodes' rows through the index, a row at a time.
 */
export function* lineBatches(sqlite: Database.Database, sel: Selection, format: 'csv' | 'json', selectionTable: string, counts: RowCounts): Generator<Batch> {
  const total = sqlite.prepare('SELECT count(*) FROM outcome_episodes').pluck().get() as number;
  const line = lineSql(format, sel.identified);
  let n = 0;
  if (sel.episodes.length >= total * INDEX_SHARE) {
    const [lo, hi] = sqlite.prepare('SELECT min(id), max(id) FROM observations').raw().get() as [number | null, number | null];
    const sep = format === 'csv' ? `char(13, 10)` : `',' || char(10)`;
    const stmt = sqlite
      .prepare(`SELECT group_concat(line, ${sep}), count(*) FROM (SELECT ${line} AS line FROM observations o CROSS JOIN ${selectionTable} s ON s.episode_id = o.episode_id WHERE o.id BETWEEN ? AND ?)`)
      .raw();
    let lines: string[] = [];
    let rows = 0;
    for (let from = lo ?? 1; lo !== null && from <= hi!; from += OBSERVATION_RANGE) {
      const [text, k] = stmt.get(from, from + OBSERVATION_RANGE - 1) as [string | null, number];
      if (!k) continue;
      lines.push(text!);
      rows += k;
      n += k;
      if (rows >= BATCH_ROWS) {
        yield { length: rows, columns: [], lines };
        lines = [];
        rows = 0;
      }
    }
    if (rows) yield { length: rows, columns: [], lines };
  } else {
    const it = sqlite.prepare(`SELECT ${line} FROM ${selectionTable} s CROSS JOIN observations o ON o.episode_id = s.episode_id`).pluck().iterate() as IterableIterator<string>;
    let lines: string[] = [];
    try {
      for (const l of it) {
        lines.push(l);
        n++;
        if (lines.length === BATCH_ROWS) {
          yield { length: lines.length, columns: [], lines };
          lines = [];
        }
      }
    } finally {
      it.return?.();
    }
    if (lines.length) yield { length: lines.length, columns: [], lines };
  }
  counts.observations = n;
}
