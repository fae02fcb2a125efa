/**
 * Cohort exports opened with independent tools (unzip, DuckDB, hyparquet) and
 * compared with the stored data: wide and long, CSV, JSON and Parquet, the
 * data dictionary and the definition in the same download, random study ids,
 * the worker thread on a database file.
 */
import { parquetReadObjects } from 'hyparquet';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb, createTestDb, migrateDb, type Db } from '../../../db/index.ts';
import { FOLLOW_UP_WINDOW_NAMES, MEASURE_NAMES } from '../../../db/schema/vocabulary.ts';
import { CohortDefinition, parseCohortDefinition } from '../../../server/services/cohorts/definition.ts';
import { runCohort } from '../../../server/services/cohorts/service.ts';
import { inProcessAnalytics, WorkerAnalytics, type Analytics } from '../../../server/services/analytics/runtime.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { encodeTable } from '../../../server/services/export/encode.ts';
import { tableSpecs, type ExportFormat } from '../../../server/services/export/tables.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { readTable, runExport, tuples } from './helpers.ts';

let db: Db;
const COHORT = CohortDefinition.parse({
  schemaVersion: 1,
  criteria: [
    { type: 'condition', codes: ['M54*', 'M51.1*'] },
    { type: 'age', min: 30, max: null },
  ],
});
let memberIds: number[];

beforeAll(async () => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 300, seed: 5 });
  refreshOutcomes(db);
  memberIds = [...(await runCohort({ db, analytics: inProcessAnalytics(db) }, COHORT)).episodeIds];
});

const FORMATS: ExportFormat[] = ['csv', 'json', 'parquet'];
const TREATMENT_COLUMNS = ['day', 'category', 'code', 'laterality', 'complication'];
const TEXT = ['zip3', 'primary_code', 'code', 'condition_code'];

/** The stored rows the wide export must carry, per member episode (Safe Harbor applied to age). */
function storedWide(): string[] {
  const cols = MEASURE_NAMES.flatMap((m, k) => [
    `m${k}.baseline_value AS ${m}_baseline`,
    `m${k}.baseline_day AS ${m}_baseline_day`,
    ...FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`m${k}.${w}_value AS ${m}_${w}`, `m${k}.${w}_day AS ${m}_${w}_day`]),
  ]);
  const joins = MEASURE_NAMES.map((m, k) => `LEFT JOIN outcome_measures m${k} ON m${k}.id = ${k + 1} * 1099511627776 + e.episode_id`).join(' ');
  const rows = db.$client
    .prepare(
      `SELECT e.index_year, min(e.age, 90) AS age, e.sex, e.care_path, e.condition_code, e.region, e.prior_procedures, e.pain_duration_months,
              e.condition_group, e.category AS primary_category, e.code AS primary_code, e.chronic, e.treatments, e.procedure_sessions,
              e.complications_minor, e.complications_major, e.repeat_day,
              CASE WHEN p.zip IS NULL THEN NULL WHEN substr(p.zip, 1, 3) IN ('036','059','063','102','203','556','692','790','821','823','830','831','878','879','884','890','893') THEN '000' ELSE substr(p.zip, 1, 3) END AS zip3,
              ${cols.join(', ')}
         FROM outcome_episodes e JOIN patients p ON p.id = e.patient_id ${joins}
        WHERE e.episode_id IN (${memberIds.join(',')})`,
    )
    .all() as Array<Record<string, unknown>>;
  return tuples(rows, WIDE_COLUMNS);
}
const WIDE_COLUMNS = [
  'index_year',
  'age',
  'sex',
  'care_path',
  'condition_code',
  'region',
  'prior_procedures',
  'pain_duration_months',
  'zip3',
  'condition_group',
  'primary_category',
  'primary_code',
  'chronic',
  'treatments',
  'procedure_sessions',
  'complications_minor',
  'complications_major',
  'repeat_day',
  ...MEASURE_NAMES.flatMap((m) => [`${m}_baseline`, `${m}_baseline_day`, ...FOLLOW_UP_WINDOW_NAMES.flatMap((w) => [`${m}_${w}`, `${m}_${w}_day`])]),
];

/** The stored observations and treatments of the members (days relative to the episode start, the index date). */
const storedObservations = () =>
  tuples(
    db.$client
      .prepare(
        `SELECT o.measure, CAST(julianday(o.date) - julianday(e.start_date) AS INTEGER) AS day, o.value
           FROM observations o JOIN episodes e ON e.id = o.episode_id WHERE e.id IN (${memberIds.join(',')})`,
      )
      .all() as Array<Record<string, unknown>>,
    ['measure', 'day', 'value'],
  );
const storedTreatments = () =>
  tuples(
    db.$client
      .prepare(
        `SELECT CAST(julianday(t.date) - julianday(e.start_date) AS INTEGER) AS day, t.category, t.code, t.laterality, t.complication
           FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE e.id IN (${memberIds.join(',')})`,
      )
      .all() as Array<Record<string, unknown>>,
    ['day', 'category', 'code', 'laterality', 'complication'],
  );

describe('wide export (one row per episode)', () => {
  it.each(FORMATS)('%s: read by DuckDB, equals the stored rows of the cohort', async (format) => {
    const out = await runExport(db, COHORT, { shape: 'wide', format });
    expect(Object.keys(out.files).sort()).toEqual(['README.txt', 'cohort_definition.json', 'data_dictionary.csv', `episodes.${format}`, `treatments.${format}`].sort());
    const rows = await readTable(out.dir, `episodes.${format}`, TEXT);
    expect(rows.length).toBe(memberIds.length);
    expect(out.counts.episodes).toBe(memberIds.length);
    expect(tuples(rows, WIDE_COLUMNS)).toEqual(storedWide());
    // Study ids: a permutation of 1..n for episodes; one per patient, shared by the patient's episodes.
    expect(rows.map((r) => Number(r.episode_study_id)).sort((a, b) => a - b)).toEqual(memberIds.map((_, i) => i + 1));
    const patients = db.$client.prepare(`SELECT count(DISTINCT patient_id) FROM episodes WHERE id IN (${memberIds.join(',')})`).pluck().get() as number;
    expect(new Set(rows.map((r) => Number(r.patient_study_id))).size).toBe(patients);
    expect(Math.max(...rows.map((r) => Number(r.patient_study_id)))).toBe(patients);
  });

  it('JSON leaves null values\u2019 keys out after the first row, and pandas and DuckDB read the same columns and values', async () => {
    const out = await runExport(db, COHORT, { shape: 'wide', format: 'json' });
    const text = out.files['episodes.json']!.toString('utf8');
    const rows = JSON.parse(text) as Array<Record<string, unknown>>;
    const dictionary = out.files['data_dictionary.csv']!.toString('utf8').split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',', 2) as [string, string]);
    const columns = dictionary.filter(([file]) => file === 'episodes').map(([, name]) => name);
    // The first row names every column, nulls included; later rows only those with a value.
    expect(Object.keys(rows[0]!)).toEqual(columns);
    expect(rows.slice(1).every((r) => Object.values(r).every((v) => v !== null))).toBe(true);
    expect(rows.some((r) => Object.keys(r).length < columns.length)).toBe(true);
    // pandas 1.5 (Debian's python3-pandas): read_json of the file, the non-null count of every column.
    const py = execFileSync('/usr/bin/python3', [
      '-c',
      'import pandas, json, sys\nd = pandas.read_json(sys.argv[1], orient="records", dtype=False)\nprint(json.dumps({"rows": len(d), "columns": list(d.columns), "counts": {c: int(d[c].notna().sum()) for c in d.columns}}))',
      join(out.dir, 'episodes.json'),
    ]).toString();
    const pandas = JSON.parse(py) as { rows: number; columns: string[]; counts: Record<string, number> };
    expect(pandas.rows).toBe(memberIds.length);
    expect(pandas.columns).toEqual(columns);
    const viaDuck = await readTable(out.dir, 'episodes.json');
    for (const c of columns) expect([c, pandas.counts[c]]).toEqual([c, viaDuck.filter((r) => r[c] !== null && r[c] !== undefined).length]);
    // And the JSON's values are the CSV's (the random ids aside).
    const csv = await readTable((await runExport(db, COHORT, { shape: 'wide', format: 'csv' })).dir, 'episodes.csv', TEXT);
    expect(tuples(viaDuck, WIDE_COLUMNS)).toEqual(tuples(csv, WIDE_COLUMNS));
  });

  it('Parquet read by hyparquet equals Parquet read by DuckDB', async () => {
    const out = await runExport(db, COHORT, { shape: 'wide', format: 'parquet' });
    const buf = out.files['episodes.parquet']!;
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const viaHyparquet = (await parquetReadObjects({ file })) as Array<Record<string, unknown>>;
    const viaDuck = await readTable(out.dir, 'episodes.parquet');
    expect(tuples(viaHyparquet, WIDE_COLUMNS)).toEqual(tuples(viaDuck, WIDE_COLUMNS));
  });

  it('two exports of the same cohort get different study ids', async () => {
    const a = await readTable((await runExport(db, COHORT, { shape: 'wide', format: 'csv' })).dir, 'episodes.csv', TEXT);
    const b = await readTable((await runExport(db, COHORT, { shape: 'wide', format: 'csv' })).dir, 'episodes.csv', TEXT);
    expect(a.map((r) => r.episode_study_id)).not.toEqual(b.map((r) => r.episode_study_id));
    expect(tuples(a, WIDE_COLUMNS)).toEqual(tuples(b, WIDE_COLUMNS));
  });
});

describe('long export (one row per observation) and treatments', () => {
  it.each(FORMATS)('%s: observations and treatments equal the stored rows, linked to the episode rows by study id', async (format) => {
    const out = await runExport(db, COHORT, { shape: 'long', format });
    const obs = await readTable(out.dir, `observations.${format}`, TEXT);
    const trt = await readTable(out.dir, `treatments.${format}`, TEXT);
    const eps = await readTable(out.dir, `episodes.${format}`, TEXT);
    expect(obs.length).toBeGreaterThan(memberIds.length);
    expect(tuples(obs, ['measure', 'day', 'value'])).toEqual(storedObservations());
    expect(tuples(trt, TREATMENT_COLUMNS)).toEqual(storedTreatments());
    const episodeOf = new Map(eps.map((e) => [Number(e.episode_study_id), Number(e.patient_study_id)]));
    for (const o of [...obs, ...trt]) expect(episodeOf.get(Number(o.episode_study_id))).toBe(Number(o.patient_study_id));
    // Treatment day 0 exists for every episode (the index date is the first treatment).
    const withDay0 = new Set(trt.filter((t) => Number(t.day) === 0).map((t) => Number(t.episode_study_id)));
    expect(withDay0.size).toBe(eps.length);
  });
});

describe('the download describes itself', () => {
  it.each(['wide', 'long'] as const)('%s: the dictionary lists every column of every data file, with a type and a definition', async (shape) => {
    const out = await runExport(db, COHORT, { shape, format: 'csv' });
    const dict = await readTable(out.dir, 'data_dictionary.csv');
    for (const spec of tableSpecs(shape, false)) {
      const header = out.files[`${spec.name}.csv`]!.toString('utf8').split('\r\n', 1)[0]!.split(',');
      const listed = dict.filter((d) => d.table === spec.name);
      expect(listed.map((d) => d.column)).toEqual(header);
      for (const d of listed) {
        expect(['integer', 'number', 'text']).toContain(d.type);
        expect(String(d.definition).length).toBeGreaterThan(10);
      }
    }
    if (shape === 'wide') expect(dict.find((d) => d.column === 'pain_nrs_m3')).toMatchObject({ unit: 'points', code_system: 'LOINC 72514-3' });
    else expect(dict.find((d) => d.table === 'observations' && d.column === 'day')).toMatchObject({ unit: 'days' });
    expect(dict.find((d) => d.column === 'condition_code')).toMatchObject({ code_system: 'ICD-10-CM' });
  });

  it('the definition file holds the criteria (re-parseable) and the data state the cohort ran on', async () => {
    const out = await runExport(db, COHORT, { shape: 'wide', format: 'json' });
    const doc = JSON.parse(out.files['cohort_definition.json']!.toString('utf8'));
    expect(parseCohortDefinition(doc.definition)).toEqual(COHORT);
    expect(doc.dataState).toEqual((await runCohort({ db, analytics: inProcessAnalytics(db) }, COHORT)).dataState);
    expect(doc.export).toMatchObject({ shape: 'wide', format: 'json', episodes: memberIds.length, deidentification: expect.stringContaining('Safe Harbor') });
  });
});

describe('streaming', () => {
  it('the worker thread on a database file (read-only, its own connection) gives the same rows as the in-process producer, in every format', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cohort-worker-')), 'practice.db');
    const fileDb = createDb(path);
    migrateDb(fileDb);
    generateDemoPractice(fileDb, { patients: 120, seed: 3 });
    refreshOutcomes(fileDb);
    for (const format of ['parquet', 'csv', 'json'] as const) {
      const viaWorker = await runExport(fileDb, COHORT, { shape: 'long', format, worker: true });
      const inline = await runExport(fileDb, COHORT, { shape: 'long', format, worker: false });
      for (const t of ['episodes', 'observations', 'treatments']) {
        const a = await readTable(viaWorker.dir, `${t}.${format}`, TEXT);
        const b = await readTable(inline.dir, `${t}.${format}`, TEXT);
        expect(a.length).toBeGreaterThan(0);
        const cols = Object.keys(a[0]!).filter((c) => !c.endsWith('study_id'));
        expect(tuples(a, cols)).toEqual(tuples(b, cols));
      }
      expect(viaWorker.counts).toEqual(inline.counts);
    }
    fileDb.$client.close();
  });
});

/** A file's rows without the random study ids (the first two fields), sorted: equal bytes otherwise. */
function withoutIds(file: Buffer, format: 'csv' | 'json'): string[] {
  const text = file.toString('utf8');
  if (format === 'csv') return text.split('\r\n').slice(1).map((l) => l.replace(/^[0-9]+,[0-9]+,/, '')).sort();
  return text.split('\n').map((l) => l.replace(/^,?\{"patient_study_id":[0-9]+,"episode_study_id":[0-9]+,/, '')).sort();
}

describe('episode facts, wide measure values and treatments from the analytic store (slots.ts)', () => {
  it.each([
    ['csv', false],
    ['json', false],
    ['csv', true],
    ['json', true],
  ] as const)('%s (identified: %s): the store path writes the same bytes as SQLite, apart from the random ids', async (format, identified) => {
    const viaStore = await runExport(db, COHORT, { shape: 'wide', format, identified });
    const viaSqlite = await runExport(db, COHORT, { shape: 'wide', format, identified, analytics: null });
    expect(viaStore.filled).toEqual({ episodes: { store: 1, sqlite: 0 }, treatments: { store: 1, sqlite: 0 } });
    expect(viaSqlite.filled).toEqual({ episodes: { store: 0, sqlite: 1 }, treatments: { store: 0, sqlite: 1 } });
    const a = withoutIds(viaStore.files[`episodes.${format}`]!, format);
    expect(a.length).toBeGreaterThan(memberIds.length - 1);
    // Some rows carry measure values (so the comparison covers them), written as SQLite writes a REAL.
    expect(a.some((l) => /,[0-9]+\.[0-9]+,-?[0-9]+/.test(l) || /"pain_nrs_baseline":[0-9]+\.[0-9]/.test(l))).toBe(true);
    expect(a).toEqual(withoutIds(viaSqlite.files[`episodes.${format}`]!, format));
  });

  it('parquet: the store path decodes to the same rows as SQLite', async () => {
    const viaStore = await runExport(db, COHORT, { shape: 'wide', format: 'parquet' });
    const viaSqlite = await runExport(db, COHORT, { shape: 'wide', format: 'parquet', analytics: null });
    expect(viaStore.filled).toEqual({ episodes: { store: 1, sqlite: 0 }, treatments: { store: 1, sqlite: 0 } });
    const a = await readTable(viaStore.dir, 'episodes.parquet');
    const b = await readTable(viaSqlite.dir, 'episodes.parquet');
    const cols = Object.keys(a[0]!).filter((c) => !c.endsWith('study_id'));
    expect(tuples(a, cols)).toEqual(tuples(b, cols));
  });

  it('a store at another change-log position than the export transaction: the values come from SQLite, in that transaction', async () => {
    const real = inProcessAnalytics(db);
    // A refresh committed between the export's read transaction and the store's answer.
    const ahead: Analytics = { ...real, ready: () => real.ready(), runTasks: (c) => real.runTasks(c), stats: () => real.stats(), clearCache: () => real.clearCache(), close: () => real.close(),
      runTask: (async (name: never, input: never) => {
        const out = (await real.runTask(name, input)) as { version: number };
        return { version: out.version + 1 };
      }) as Analytics['runTask'] };
    for (const format of FORMATS) {
      const out = await runExport(db, COHORT, { shape: 'wide', format, analytics: ahead });
      expect(out.filled).toEqual({ episodes: { store: 0, sqlite: 1 }, treatments: { store: 0, sqlite: 1 } });
      expect(tuples(await readTable(out.dir, `episodes.${format}`, TEXT), WIDE_COLUMNS)).toEqual(storedWide());
      expect(tuples(await readTable(out.dir, `treatments.${format}`, TEXT), TREATMENT_COLUMNS)).toEqual(storedTreatments());
      // Long: the episode facts and treatments the same way.
      const long = await runExport(db, COHORT, { shape: 'long', format, analytics: ahead });
      expect(long.filled).toEqual({ episodes: { store: 0, sqlite: 1 }, treatments: { store: 0, sqlite: 1 } });
      const viaStore = await runExport(db, COHORT, { shape: 'long', format });
      expect(viaStore.filled).toEqual({ episodes: { store: 1, sqlite: 0 }, treatments: { store: 1, sqlite: 0 } });
      for (const t of ['episodes', 'treatments']) {
        const a = await readTable(long.dir, `${t}.${format}`, TEXT);
        const b = await readTable(viaStore.dir, `${t}.${format}`, TEXT);
        const cols = Object.keys(a[0]!).filter((c) => !c.endsWith('study_id'));
        expect(tuples(a, cols)).toEqual(tuples(b, cols));
      }
      expect(tuples(await readTable(long.dir, `treatments.${format}`, TEXT), TREATMENT_COLUMNS)).toEqual(storedTreatments());
    }
  });

  it.each([
    [false, 'csv'],
    [false, 'parquet'],
    [true, 'json'],
  ] as const)('treatments that do not fit the slot (worker: %s, %s): the rest from SQLite, in pieces of the slot size, every treatment once', async (worker, format) => {
    const path = join(mkdtempSync(join(tmpdir(), 'cohort-spill-')), 'practice.db');
    const fileDb = worker ? createDb(path) : db;
    if (worker) {
      migrateDb(fileDb);
      generateDemoPractice(fileDb, { patients: 120, seed: 3 });
      refreshOutcomes(fileDb);
    }
    // Three treatment rows a slot: most episodes have more, so SQLite continues within an episode too.
    const out = await runExport(fileDb, COHORT, { shape: 'long', format, worker, treatmentRows: 3, ...(worker ? { slotRows: 16 } : {}) });
    expect(out.filled!.treatments.sqlite).toBeGreaterThan(out.counts.treatments! / 3 - 2);
    const members = [...(await runCohort({ db: fileDb, analytics: inProcessAnalytics(fileDb) }, COHORT)).episodeIds];
    const stored = tuples(
      fileDb.$client
        .prepare(`SELECT CAST(julianday(t.date) - julianday(e.start_date) AS INTEGER) AS day, t.category, t.code, t.laterality, t.complication FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE e.id IN (${members.join(',')})`)
        .all() as Array<Record<string, unknown>>,
      TREATMENT_COLUMNS,
    );
    expect(tuples(await readTable(out.dir, `treatments.${format}`, TEXT), TREATMENT_COLUMNS)).toEqual(stored);
    if (worker) fileDb.$client.close();
  });

  it('through the worker thread, in slots smaller than the cohort (several chunks, one asked ahead): the stored rows, every slot from the store', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cohort-slots-')), 'practice.db');
    const fileDb = createDb(path);
    migrateDb(fileDb);
    generateDemoPractice(fileDb, { patients: 120, seed: 3 });
    refreshOutcomes(fileDb);
    for (const format of FORMATS) {
      const viaWorker = await runExport(fileDb, COHORT, { shape: 'wide', format, worker: true, slotRows: 7 });
      const viaSqlite = await runExport(fileDb, COHORT, { shape: 'wide', format, worker: false, analytics: null });
      const episodes = viaWorker.counts.episodes!;
      expect(viaWorker.filled).toEqual({ episodes: { store: Math.ceil(episodes / 7), sqlite: 0 }, treatments: { store: Math.ceil(episodes / 7), sqlite: 0 } });
      const a = await readTable(viaWorker.dir, `episodes.${format}`, TEXT);
      const b = await readTable(viaSqlite.dir, `episodes.${format}`, TEXT);
      const cols = Object.keys(a[0]!).filter((c) => !c.endsWith('study_id'));
      expect(tuples(a, cols)).toEqual(tuples(b, cols));
      if (format !== 'parquet') expect(withoutIds(viaWorker.files[`episodes.${format}`]!, format)).toEqual(withoutIds(viaSqlite.files[`episodes.${format}`]!, format));
    }
    fileDb.$client.close();
  });
});

describe('wide measure values through the server runtime', () => {
  it("the analytics worker thread (WorkerAnalytics, as server/main.ts starts it) fills the export worker's slots: every slot from the store, the same bytes as SQLite", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cohort-analytics-worker-')), 'practice.db');
    const fileDb = createDb(path);
    migrateDb(fileDb);
    generateDemoPractice(fileDb, { patients: 120, seed: 4 });
    refreshOutcomes(fileDb);
    const analytics = new WorkerAnalytics({ path });
    try {
      await analytics.ready();
      for (const format of ['csv', 'json'] as const) {
        const viaStore = await runExport(fileDb, COHORT, { shape: 'wide', format, worker: true, analytics, slotRows: 16 });
        const viaSqlite = await runExport(fileDb, COHORT, { shape: 'wide', format, worker: false, analytics: null });
        expect(viaStore.filled).toEqual({ episodes: { store: Math.ceil(viaStore.counts.episodes! / 16), sqlite: 0 }, treatments: { store: Math.ceil(viaStore.counts.episodes! / 16), sqlite: 0 } });
        expect(withoutIds(viaStore.files[`episodes.${format}`]!, format)).toEqual(withoutIds(viaSqlite.files[`episodes.${format}`]!, format));
      }
    } finally {
      await analytics.close();
      fileDb.$client.close();
    }
  });
});

describe('CSV is formula-safe', () => {
  it('neutralises text that a spreadsheet would run, and keeps negative numbers as numbers', () => {
    const cols = [
      { name: 'text', type: 'string' as const, unit: null, codeSystem: null, definition: '' },
      { name: 'n', type: 'int' as const, unit: null, codeSystem: null, definition: '' },
    ];
    const chunks = [...encodeTable('csv', cols, [{ length: 3, columns: [['=HYPERLINK("x")', '+1', '@SUM(A1)'], [-2, 0, null]] }])];
    const text = Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('utf8');
    expect(text).toBe('text,n\r\n"\'=HYPERLINK(""x"")",-2\r\n\'+1,0\r\n\'@SUM(A1),\r\n');
  });
});
