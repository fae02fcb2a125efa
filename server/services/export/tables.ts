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
import { measureIdRange } from '../../../db/schema/outcomes.ts';
import { FOLLOW_UP_WINDOWS, FOLLOW_UP_WINDOW_NAMES, MEASURES, MEASURE_NAMES, PROCEDURE_CODE_SHAPE, type Measure } from '../../../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../../domain/dates.ts';
import { AGE_CAP, RESTRICTED_ZIP3, safeHarborAge, zip3 } from './deid.ts';
import { NO_DAY, PER_MEASURE, WIDE_VALUES, realText, type MeasureCursor } from './measures.ts';

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

/** A batch of rows as columns (aligned with the table's ColumnSpec list). */
export type Batch = {
  length: number;
  /** The leading columns' values. */
  columns: Array<Array<string | number | null>>;
  /**
   * The remaining columns already written in the file's format by SQLite, one text a row (CSV cells
   * joined by commas; JSON "name":value pairs joined by commas): the wide measure columns, so sixty
   * values a row do not each cross into JavaScript.
   */
  tail?: string[];
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

function episodeColumns(identified: boolean): ColumnSpec[] {
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

function measureColumns(identified: boolean): ColumnSpec[] {
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

class BatchBuilder {
  columns: Array<Array<string | number | null>>;
  tail: string[] | undefined = undefined;
  length = 0;
  constructor(private readonly width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }
  take(): Batch {
    const b: Batch = { length: this.length, columns: this.columns, ...(this.tail ? { tail: this.tail } : {}) };
    this.columns = Array.from({ length: this.width }, () => []);
    this.tail = undefined;
    this.length = 0;
    return b;
  }
}

const dayCache = new Map<string, number>();
function dayOf(iso: string): number {
  let d = dayCache.get(iso);
  if (d === undefined) {
    d = parseIsoDate(iso)!;
    if (dayCache.size > 200_000) dayCache.clear();
    dayCache.set(iso, d);
  }
  return d;
}

const memberRange = (sel: Selection): [number, number] =>
  sel.episodes.length ? [sel.episodes[0]!, sel.episodes[sel.episodes.length - 1]!] : [1, 0];

/** Patients' ZIP (as a number, -1: none) and birth day (days since 1970-01-01), by patient id: one scan of patients, 8 bytes a patient. */
function patientFacts(sqlite: Database.Database): { zip: Int32Array; zip3: Int16Array; birth: Int32Array } {
  const max = (sqlite.prepare('SELECT max(id) FROM patients').pluck().get() as number | null) ?? 0;
  const zip = new Int32Array(max + 1).fill(-1);
  // The Safe Harbor ZIP3 of each patient, worked out once per patient (not once per row): -1 none, else 0..999 (0 also for restricted areas).
  const zip3Of = new Int16Array(max + 1).fill(-1);
  const birth = new Int32Array(max + 1);
  const pats = sqlite.prepare('SELECT id, zip, birth_date FROM patients').raw().iterate() as IterableIterator<[number, string | null, string]>;
  for (const [id, z, b] of pats) {
    if (z !== null && /^[0-9]{5}$/.test(z)) {
      zip[id] = Number(z);
      zip3Of[id] = Number(zip3(z));
    }
    birth[id] = dayOf(b);
  }
  return { zip, zip3: zip3Of, birth };
}

const ZIP3_TEXT = Array.from({ length: 1000 }, (_, k) => String(k).padStart(3, '0'));

const zipText = (z: number | undefined): string | null => (z === undefined || z < 0 ? null : String(z).padStart(5, '0'));

/** Codes are written only when they have the shape of one: a de-identified file never carries free text. */
const ICD10 = /^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;
const shapeCache = new Map<string, string | null>();
function codeOnly(v: string | number | null, shape: RegExp): string | null {
  if (typeof v !== 'string') return null;
  let out = shapeCache.get(v);
  if (out === undefined) {
    out = shape.test(v) ? v : null;
    if (shapeCache.size > 100_000) shapeCache.clear();
    shapeCache.set(v, out);
  }
  return out;
}

/** Episode rows (wide: with every measure's baseline and window values), in episode-id order. */
export function* episodeBatches(sqlite: Database.Database, sel: Selection, shape: ExportShape, counts: RowCounts, format: ExportFormat = 'parquet', measures: MeasureCursor | null = null): Generator<Batch> {
  const wide = shape === 'wide';
  const identified = sel.identified;
  const width = episodeColumns(identified).length + (wide && (format === 'parquet' || measures !== null) ? measureColumns(identified).length : 0);
  const facts = patientFacts(sqlite);
  const [lo, hi] = memberRange(sel);
  // Wide: each measure's row joined by its key (measure number x 2^40 + episode id, the rowid), so SQLite
  // does the merge and every episode comes as one row.
  const windowCols = ['baseline_value', 'baseline_day', ...FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`${w}_value`, `${w}_day`])];
  const perMeasure = windowCols.length;
  // Wide values from the measure cursor (the analytic store's columns, measures.ts) when there is one.
  const fromCursor = wide && measures !== null;
  const textTail = wide && format !== 'parquet' && !fromCursor;
  const measureNames = MEASURE_NAMES.flatMap((m) => windowCols.map((c) => [m, c] as const));
  const measureSelect = !wide || fromCursor
    ? []
    : textTail
      ? [
          measureNames
            .map(([m, c], j) => {
              const v = `m${MEASURE_NAMES.indexOf(m)}.${c}`;
              const name = `${m}_${c === 'baseline_value' ? 'baseline' : c.replace(/_value$/, '')}`;
              return format === 'csv' ? `${j ? "',' || " : ''}coalesce(${v}, '')` : `'${j ? ',' : ''}"${name}":' || coalesce(${v}, 'null')`;
            })
            .join(' || '),
        ]
      : MEASURE_NAMES.flatMap((m: Measure, k) => windowCols.map((c) => `m${k}.${c}`));
  const measureJoins = wide && !fromCursor ? MEASURE_NAMES.map((m: Measure, k) => `LEFT JOIN outcome_measures m${k} ON m${k}.id = ${measureIdRange(m)[0]} + e.episode_id`).join(' ') : '';
  const rows = sqlite
    .prepare(
      `SELECT e.episode_id, e.patient_id, e.index_year, e.index_date, e.age, e.sex, e.care_path, e.condition_code, e.condition_group, e.region, e.category, e.code,
              e.pain_duration_months, e.chronic, e.prior_procedures, e.treatments, e.procedure_sessions, e.complications_minor, e.complications_major, e.repeat_day
              ${measureSelect.map((c) => `, ${c}`).join('')}
         FROM outcome_episodes e ${measureJoins} WHERE e.episode_id BETWEEN ? AND ? ORDER BY e.episode_id`,
    )
    .raw()
    .iterate(lo, hi) as IterableIterator<Array<string | number | null>>;
  const cursors: Array<{ close: () => void }> = [{ close: () => void rows.return?.() }];
  const measureValues = MEASURE_NAMES.length * perMeasure;
  void perMeasure;
  const leading = episodeColumns(identified).length;

  const b = new BatchBuilder(width);
  let n = 0;
  try {
  for (const r of rows) {
    const e = r[0] as number;
    const sp = sel.studyPatient[e];
    if (!sp) continue;
    const c = b.columns;
    let k = 0;
    const p = r[1] as number;
    const z3 = p < facts.zip3.length ? facts.zip3[p]! : -1;
    c[k++]!.push(sp);
    c[k++]!.push(sel.studyEpisode[e]!);
    c[k++]!.push(r[2] as number);
    if (identified) c[k++]!.push(r[3] as string);
    c[k++]!.push(identified ? (r[4] as number) : safeHarborAge(r[4] as number));
    if (identified) c[k++]!.push(p < facts.birth.length ? daysToIso(facts.birth[p]!) : null);
    c[k++]!.push(r[5] as string);
    c[k++]!.push(z3 < 0 ? null : ZIP3_TEXT[z3]!);
    if (identified) c[k++]!.push(zipText(facts.zip[p]));
    c[k++]!.push(r[6] as string);
    c[k++]!.push(codeOnly(r[7]!, ICD10));
    for (let j = 8; j <= 10; j++) c[k++]!.push(r[j] ?? null);
    c[k++]!.push(codeOnly(r[11]!, PROCEDURE_CODE_SHAPE));
    for (let j = 12; j <= 19; j++) c[k++]!.push(r[j] ?? null);
    if (fromCursor) {
      const at = measures.at(e);
      const { values, days } = measures.slot;
      for (let j = 0; j < WIDE_VALUES; j++) {
        const v = at < 0 ? NaN : values[at * WIDE_VALUES + j]!;
        const d = at < 0 ? NO_DAY : days[at * WIDE_VALUES + j]!;
        c[k++]!.push(v === v ? v : null);
        c[k++]!.push(d === NO_DAY ? null : d);
      }
    } else if (textTail) (b.tail ??= []).push(r[20] as string);
    else if (wide) for (let j = 20; j < 20 + measureValues; j++) c[k++]!.push(r[j] ?? null);
    void leading;
    b.length++;
    n++;
    if (b.length === BATCH_ROWS) yield b.take();
  }
  } finally {
    // Close the statement when a consumer stops early (the transaction's COMMIT needs no statement running).
    for (const cur of cursors) cur.close();
  }
  if (b.length) yield b.take();
  counts.episodes = n;
}

/** Below this share of the practice's episodes, rows are found through the episode index instead of a full scan. */
const INDEX_SHARE = 0.05;

/**
 * The rows of a table for the members: a full scan when the cohort is a large
 * share of the practice, else one index lookup per member episode. `onRow`
 * gets every row (the callers filter and copy); a plain loop, no generator per
 * row: at 10M rows a generator hop costs as much as reading the row.
 */
function statementsOf(sqlite: Database.Database, sel: Selection, table: 'observations' | 'treatments', cols: string): Array<IterableIterator<unknown[]>> {
  const total = sqlite.prepare('SELECT count(*) FROM outcome_episodes').pluck().get() as number;
  if (sel.episodes.length < total * INDEX_SHARE) {
    const stmt = sqlite.prepare(`SELECT episode_id, ${cols} FROM ${table} WHERE episode_id = ?`).raw();
    return Array.from(sel.episodes, (e) => stmt.iterate(e) as IterableIterator<unknown[]>);
  }
  return [sqlite.prepare(`SELECT episode_id, ${cols} FROM ${table}`).raw().iterate() as IterableIterator<unknown[]>];
}

/** Columns of numbers that are never null, as typed arrays (cheaper to fill and to encode). */
function typedBatch(width: number, ints: readonly number[], doubles: readonly number[]): Batch {
  const columns: Batch['columns'] = Array.from({ length: width }, () => [] as Array<string | number | null>);
  for (const k of ints) columns[k] = new Int32Array(BATCH_ROWS) as unknown as Array<number>;
  for (const k of doubles) columns[k] = new Float64Array(BATCH_ROWS) as unknown as Array<number>;
  return { length: 0, columns };
}
function trimmed(b: Batch): Batch {
  if (b.length === BATCH_ROWS) return b;
  return { length: b.length, columns: b.columns.map((c) => (Array.isArray(c) ? c : ((c as unknown as Int32Array).subarray(0, b.length) as unknown as Array<number>))) };
}

export function* observationBatches(sqlite: Database.Database, sel: Selection, counts: RowCounts): Generator<Batch> {
  const identified = sel.identified;
  const width = observationColumns(identified).length;
  const valueCol = identified ? 5 : 4;
  const fresh = () => typedBatch(width, [0, 1, 3], [valueCol]);
  let b = fresh();
  let n = 0;
  const limit = sel.studyPatient.length;
  for (const it of statementsOf(sqlite, sel, 'observations', 'date, measure, value')) {
    for (const r of it) {
      const e = r[0] as number | null;
      if (e === null || e >= limit) continue;
      const sp = sel.studyPatient[e]!;
      if (!sp) continue;
      const c = b.columns;
      const i = b.length;
      const date = r[1] as string;
      c[0]![i] = sp;
      c[1]![i] = sel.studyEpisode[e]!;
      (c[2] as Array<string>).push(r[2] as string);
      c[3]![i] = dayOf(date) - sel.indexDay[e]!;
      if (identified) (c[4] as Array<string>).push(date);
      c[valueCol]![i] = r[3] as number;
      n++;
      if (++b.length === BATCH_ROWS) {
        yield b;
        b = fresh();
      }
    }
  }
  if (b.length) yield trimmed(b);
  counts.observations = n;
}

export function* treatmentBatches(sqlite: Database.Database, sel: Selection, counts: RowCounts): Generator<Batch> {
  const identified = sel.identified;
  const width = treatmentColumns(identified).length;
  const fresh = () => typedBatch(width, [0, 1, 2], []);
  let b = fresh();
  let n = 0;
  const limit = sel.studyPatient.length;
  const o = identified ? 1 : 0;
  // Category, code, laterality and complication as one text from SQLite (one string a row instead of
  // four; a practice has a few hundred combinations), split once per combination.
  const combos = new Map<string, [string, string | null, string | null, string | null]>();
  const combo = (t: string) => {
    let v = combos.get(t);
    if (!v) {
      const [category, code, laterality, complication] = t.split('|') as [string, string, string, string];
      v = [category, codeOnly(code || null, PROCEDURE_CODE_SHAPE), laterality || null, complication || null];
      combos.set(t, v);
    }
    return v;
  };
  const cols = `date, category || '|' || coalesce(code, '') || '|' || coalesce(laterality, '') || '|' || coalesce(complication, '')`;
  for (const it of statementsOf(sqlite, sel, 'treatments', cols)) {
    for (const r of it) {
      const e = r[0] as number;
      if (e >= limit) continue;
      const sp = sel.studyPatient[e]!;
      if (!sp) continue;
      const c = b.columns;
      const i = b.length;
      const date = r[1] as string;
      const [category, code, laterality, complication] = combo(r[2] as string);
      c[0]![i] = sp;
      c[1]![i] = sel.studyEpisode[e]!;
      c[2]![i] = dayOf(date) - sel.indexDay[e]!;
      if (identified) c[3]!.push(date);
      c[3 + o]!.push(category);
      c[4 + o]!.push(code);
      c[5 + o]!.push(laterality);
      c[6 + o]!.push(complication);
      n++;
      if (++b.length === BATCH_ROWS) {
        yield b;
        b = fresh();
      }
    }
  }
  if (b.length) yield trimmed(b);
  counts.treatments = n;
}

export function batchesOf(
  sqlite: Database.Database,
  sel: Selection,
  shape: ExportShape,
  table: TableName,
  counts: RowCounts,
  format: ExportFormat = 'parquet',
  selectionTable: string | null = null,
  measures: MeasureCursor | null = null,
): Generator<Batch> {
  if (format !== 'parquet' && selectionTable) {
    if (table === 'episodes') return episodeLineBatches(sqlite, sel, shape, format, selectionTable, counts, measures);
    return lineBatches(sqlite, sel, table, format, selectionTable, counts);
  }
  if (table === 'episodes') return episodeBatches(sqlite, sel, shape, counts, format, measures);
  if (table === 'observations') return observationBatches(sqlite, sel, counts);
  return treatmentBatches(sqlite, sel, counts);
}

// ---- rows written by SQLite ------------------------------------------------------------------

/**
 * The export's study ids and index days in a TEMP table, so that SQLite can
 * write whole CSV lines or JSON objects of observations and treatments (one
 * string a row crosses into JavaScript instead of five values). Returns its
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

/** A CPT / HCPCS code only when it has that shape (else NULL): no free text reaches a file. */
const CODE_SQL = (c: string) => `CASE WHEN ${c} GLOB '[0-9][0-9][0-9][0-9][0-9FTU]' OR ${c} GLOB '[A-V][0-9][0-9][0-9][0-9]' THEN ${c} END`;
const q = (name: string) => `"${name}":`;

/**
 * The SQL text of one row. Every text value here is an enumeration (CHECK
 * constraints), an ISO date (CHECK), or a code of a checked shape: none can
 * contain a comma, a quote or a line break, or start with = + - @, so no CSV
 * quoting or formula neutralisation is needed (server/domain/csv.ts would
 * leave them unchanged); numbers are SQLite's own text of the value.
 */
function lineSql(table: 'observations' | 'treatments', format: 'csv' | 'json', identified: boolean): string {
  const day = table === 'observations' ? `(unixepoch(o.date) / 86400 - s.day)` : `(unixepoch(o.date) / 86400 - s.day)`;
  if (table === 'observations') {
    if (format === 'csv') return `s.sp || ',' || s.se || ',' || o.measure || ',' || ${day} || ${identified ? `',' || o.date || ` : ''}',' || o.value`;
    return `'{${q('patient_study_id')}' || s.sp || ',${q('episode_study_id')}' || s.se || ',${q('measure')}"' || o.measure || '",${q('day')}' || ${day} || ${
      identified ? `',${q('date')}"' || o.date || '"' || ` : ''
    }',${q('value')}' || o.value || '}'`;
  }
  const code = CODE_SQL('o.code');
  if (format === 'csv')
    return `s.sp || ',' || s.se || ',' || ${day} || ${identified ? `',' || o.date || ` : ''}',' || o.category || ',' || coalesce(${code}, '') || ',' || coalesce(o.laterality, '') || ',' || coalesce(o.complication, '')`;
  const text = (v: string) => `coalesce('"' || ${v} || '"', 'null')`;
  return `'{${q('patient_study_id')}' || s.sp || ',${q('episode_study_id')}' || s.se || ',${q('day')}' || ${day} || ${
    identified ? `',${q('date')}"' || o.date || '"' || ` : ''
  }',${q('category')}"' || o.category || '",${q('code')}' || ${text(code)} || ',${q('laterality')}' || ${text('o.laterality')} || ',${q('complication')}' || ${text('o.complication')} || '}'`;
}

function* lineBatches(sqlite: Database.Database, sel: Selection, table: 'observations' | 'treatments', format: 'csv' | 'json', selectionTable: string, counts: RowCounts): Generator<Batch> {
  const total = sqlite.prepare('SELECT count(*) FROM outcome_episodes').pluck().get() as number;
  // A large cohort: scan the table and look each row's episode up; a small one: its episodes' rows through the index.
  const from =
    sel.episodes.length >= total * INDEX_SHARE
      ? `FROM ${table} o CROSS JOIN ${selectionTable} s ON s.episode_id = o.episode_id`
      : `FROM ${selectionTable} s CROSS JOIN ${table} o ON o.episode_id = s.episode_id`;
  const it = sqlite.prepare(`SELECT ${lineSql(table, format, sel.identified)} ${from}`).pluck().iterate() as IterableIterator<string>;
  let lines: string[] = [];
  let n = 0;
  try {
    for (const line of it) {
      lines.push(line);
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
  counts[table] = n;
}

const ICD10_SQL = (c: string) =>
  `CASE WHEN ${['', '.[0-9A-Z]', '.[0-9A-Z][0-9A-Z]', '.[0-9A-Z][0-9A-Z][0-9A-Z]', '.[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]']
    .map((tail) => `${c} GLOB '[A-TV-Z][0-9][0-9A-Z]${tail}'`)
    .join(' OR ')} THEN ${c} END`;
const ZIP5_SQL = (c: string) => `CASE WHEN ${c} GLOB '[0-9][0-9][0-9][0-9][0-9]' THEN ${c} END`;
const ZIP3_SQL = (c: string) =>
  `CASE WHEN ${c} GLOB '[0-9][0-9][0-9][0-9][0-9]' THEN CASE WHEN substr(${c}, 1, 3) IN (${RESTRICTED_ZIP3.map((z) => `'${z}'`).join(', ')}) THEN '000' ELSE substr(${c}, 1, 3) END END`;

/** Each episode column as SQL (aliases: s the selection, e outcome_episodes, p patients, m0..m4 the measures), with Safe Harbor applied as deid.ts does. */
function episodeColumnSql(identified: boolean): Record<string, string> {
  const cols: Record<string, string> = {
    patient_study_id: 's.sp',
    episode_study_id: 's.se',
    index_year: 'e.index_year',
    index_date: 'e.index_date',
    age: identified ? 'e.age' : `min(e.age, ${AGE_CAP})`,
    birth_date: 'p.birth_date',
    sex: 'e.sex',
    zip3: ZIP3_SQL('p.zip'),
    zip: ZIP5_SQL('p.zip'),
    care_path: 'e.care_path',
    condition_code: ICD10_SQL('e.condition_code'),
    condition_group: 'e.condition_group',
    region: 'e.region',
    primary_category: 'e.category',
    primary_code: CODE_SQL('e.code'),
    pain_duration_months: 'e.pain_duration_months',
    chronic: 'e.chronic',
    prior_procedures: 'e.prior_procedures',
    treatments: 'e.treatments',
    procedure_sessions: 'e.procedure_sessions',
    complications_minor: 'e.complications_minor',
    complications_major: 'e.complications_major',
    repeat_day: 'e.repeat_day',
  };
  MEASURE_NAMES.forEach((m, k) => {
    cols[`${m}_baseline`] = `m${k}.baseline_value`;
    cols[`${m}_baseline_day`] = `m${k}.baseline_day`;
    for (const w of FOLLOW_UP_WINDOW_NAMES) {
      cols[`${m}_${w}`] = `m${k}.${w}_value`;
      cols[`${m}_${w}_day`] = `m${k}.${w}_day`;
    }
  });
  return cols;
}

/**
 * Episode rows written by SQLite as CSV lines or JSON objects, in episode-id
 * order. Text values are enumerations, ISO dates, digits, or codes of a
 * checked shape (as lineSql).
 */
function* episodeLineBatches(
  sqlite: Database.Database,
  sel: Selection,
  shape: ExportShape,
  format: 'csv' | 'json',
  selectionTable: string,
  counts: RowCounts,
  measures: MeasureCursor | null = null,
): Generator<Batch> {
  const spec = tableSpecs(shape, sel.identified).find((t) => t.name === 'episodes')!;
  const sql = episodeColumnSql(sel.identified);
  // Wide with a measure cursor: SQLite writes the facts, the measure values are appended from the cursor's slot.
  const tail = shape === 'wide' && measures ? wideTail(sqlite, format, sel.identified) : null;
  const columns = tail ? episodeColumns(sel.identified) : spec.columns;
  const parts = columns.map((c, k) => {
    const v = sql[c.name];
    if (!v) throw new Error(`no SQL for export column ${c.name}`);
    if (format === 'csv') return `${k ? "',' || " : ''}coalesce(${v}, '')`;
    const value = c.type === 'string' ? `coalesce('"' || ${v} || '"', 'null')` : `coalesce(${v}, 'null')`;
    return `'${k ? ',' : '{'}"${c.name}":' || ${value}`;
  });
  const line = parts.join(' || ') + (format === 'json' && !tail ? ` || '}'` : '');
  const joins = shape === 'wide' && !tail ? MEASURE_NAMES.map((m, k) => `LEFT JOIN outcome_measures m${k} ON m${k}.id = ${measureIdRange(m)[0]} + e.episode_id`).join(' ') : '';
  const it = sqlite
    .prepare(
      `SELECT ${tail ? 's.episode_id, ' : ''}${line} FROM ${selectionTable} s CROSS JOIN outcome_episodes e ON e.episode_id = s.episode_id CROSS JOIN patients p ON p.id = e.patient_id ${joins} ORDER BY s.episode_id`,
    )
    [tail ? 'raw' : 'pluck']()
    .iterate() as IterableIterator<string | [number, string]>;
  let lines: string[] = [];
  let n = 0;
  try {
    for (const r of it) {
      let l: string;
      if (tail) {
        const [e, facts] = r as [number, string];
        const at = measures!.at(e);
        l = facts + tail(measures!.slot.values, measures!.slot.days, at);
      } else l = r as string;
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
  counts.episodes = n;
}

/**
 * The wide measure columns of one row as the file's text, from a slot
 * (measures.ts): numbers written exactly as SQLite writes them (realText),
 * empty (CSV) or null (JSON) when none; JSON closes the row object.
 */
function wideTail(sqlite: Database.Database, format: 'csv' | 'json', identified: boolean): (values: Float64Array, days: Int16Array, at: number) => string {
  const real = realText(sqlite);
  const names = measureColumns(identified).map((c) => c.name);
  // Day texts by day + 32768 (days are Int16): a packed array, filled as days appear.
  const dayText: string[] = new Array<string>(65536).fill('');
  const day = (d: number) => {
    const t = dayText[d + 32768]!;
    return t !== '' ? t : (dayText[d + 32768] = String(d));
  };
  const none = format === 'csv' ? '' : 'null';
  // Before each value: a comma (CSV) or ,"name": (JSON); values and days alternate as measureColumns orders them.
  const pre = names.map((n) => (format === 'csv' ? ',' : `,${JSON.stringify(n)}:`));
  const groups = WIDE_VALUES / PER_MEASURE;
  const emptyGroup: string[] = [];
  for (let g = 0; g < groups; g++) {
    let t = '';
    for (let j = 0; j < PER_MEASURE * 2; j++) t += pre[g * PER_MEASURE * 2 + j]! + none;
    emptyGroup.push(t);
  }
  const close = format === 'json' ? '}' : '';
  const emptyRow = emptyGroup.join('') + close;
  return (values, days, at) => {
    if (at < 0) return emptyRow;
    let out = '';
    const base = at * WIDE_VALUES;
    for (let g = 0; g < groups; g++) {
      let any = false;
      for (let j = g * PER_MEASURE; j < (g + 1) * PER_MEASURE; j++) {
        if (values[base + j] === values[base + j] || days[base + j] !== NO_DAY) {
          any = true;
          break;
        }
      }
      if (!any) {
        out += emptyGroup[g]!;
        continue;
      }
      for (let j = g * PER_MEASURE; j < (g + 1) * PER_MEASURE; j++) {
        const v = values[base + j]!;
        const d = days[base + j]!;
        out += pre[2 * j]! + (v === v ? real(v) : none) + pre[2 * j + 1]! + (d === NO_DAY ? none : day(d));
      }
    }
    return out + close;
  };
}
