/**
 * One export as a sequence of files and chunks: what the worker (or, for an
 * in-memory database, the request's own process) produces and the zip writer
 * consumes. Pure apart from reading SQLite: no HTTP, no zip.
 */
import type Database from 'better-sqlite3';
import type { DataState } from '../cohorts/data.ts';
import type { CohortDefinition } from '../cohorts/definition.ts';
import { csvLine } from '../../domain/csv.ts';
import { outcomeChangeSeq } from '../outcomes/refresh.ts';
import { randomStudyIds } from './deid.ts';
import { episodeChunks, newEpisodeSlot, newTreatmentSlot, treatmentChunks, type EpisodeSlot, type Filled, type SlotSource, type TreatmentSlot } from './slots.ts';
import { encodeTable, FILE_EXTENSION, type Alloc } from './encode.ts';
import {
  BATCH_ROWS,
  createSelectionTable,
  dictionaryRows,
  dropSelectionTable,
  episodeBatch,
  lineBatches,
  observationBatches,
  RowContext,
  tableSpecs,
  treatmentBatch,
  type Batch,
  type ExportFormat,
  type ExportShape,
  type RowCounts,
  type Selection,
} from './tables.ts';

export type ExportMembers = {
  /** Member episode ids, ascending, with each one's patient id and index day (aligned). */
  episodeIds: Int32Array;
  patientIds: Int32Array;
  indexDays: Int32Array;
};

export type ExportRequest = {
  shape: ExportShape;
  format: ExportFormat;
  identified: boolean;
  definition: CohortDefinition;
  cohort: { id: number; name: string; revision: number } | null;
  dataState: DataState;
  /** When the export was made (UTC ISO time): not a patient date. */
  createdAt: string;
  members: ExportMembers;
};

/** `crc`: the worker's CRC-32 of the file's bytes up to and including this chunk (the zip writer then skips its own). */
export type JobEvent = { type: 'file'; name: string } | { type: 'chunk'; bytes: Uint8Array; crc?: number } | { type: 'done'; counts: RowCounts };

/** Random study ids for the members: one per patient, one per episode, by episode id. */
export function selectionOf(members: ExportMembers, identified: boolean): Selection {
  const n = members.episodeIds.length;
  const maxEpisode = n ? members.episodeIds[n - 1]! : 0;
  let maxPatient = 0;
  for (let i = 0; i < n; i++) if (members.patientIds[i]! > maxPatient) maxPatient = members.patientIds[i]!;
  const patientSlot = new Int32Array(maxPatient + 1);
  let patients = 0;
  for (let i = 0; i < n; i++) {
    const p = members.patientIds[i]!;
    if (!patientSlot[p]) patientSlot[p] = ++patients;
  }
  const patientStudy = randomStudyIds(patients);
  const episodeStudy = randomStudyIds(n);
  const studyPatient = new Int32Array(maxEpisode + 1);
  const studyEpisode = new Int32Array(maxEpisode + 1);
  const indexDay = new Int32Array(maxEpisode + 1);
  for (let i = 0; i < n; i++) {
    const e = members.episodeIds[i]!;
    studyPatient[e] = patientStudy[patientSlot[members.patientIds[i]!]! - 1]!;
    studyEpisode[e] = episodeStudy[i]!;
    indexDay[e] = members.indexDays[i]!;
  }
  return { identified, studyPatient, studyEpisode, indexDay, episodes: members.episodeIds };
}

/** The small files of the download: the definition (with the data state it ran on), the data dictionary, a read-me. */
export function bundleFiles(req: Omit<ExportRequest, 'members'>, episodes: number): Array<{ name: string; text: string }> {
  const specs = tableSpecs(req.shape, req.identified);
  const dictionary = dictionaryRows(specs);
  const definition = {
    cohort: req.cohort,
    definition: req.definition,
    dataState: req.dataState,
    export: {
      shape: req.shape,
      format: req.format,
      deidentification: req.identified ? 'limited data set (identified)' : 'HIPAA Safe Harbor (45 CFR 164.514(b)(2))',
      createdAt: req.createdAt,
      episodes,
      tables: specs.map((t) => ({ name: t.name, file: `${t.name}.${FILE_EXTENSION[req.format]}`, description: t.description })),
    },
  };
  const readme = [
    `Cohort export${req.cohort ? `: ${req.cohort.name} (revision ${req.cohort.revision})` : ''}`,
    '',
    req.identified
      ? 'IDENTIFIED: a limited data set with dates, birth dates, 5-digit ZIP codes and exact ages. Use it only under your data-use agreement.'
      : 'De-identified by HIPAA Safe Harbor: random study ids (new in every export), days relative to the index date plus the index year, ages over 89 as 90, ZIP3 with restricted prefixes as 000, no free text.',
    '',
    ...specs.map((t) => `${t.name}.${FILE_EXTENSION[req.format]}: ${t.description}`),
    'data_dictionary.csv: every column with its type, unit, code system and definition.',
    'cohort_definition.json: the criteria, in order, and the state of the data the cohort was run against.',
    '',
    'Read in R: arrow::read_parquet("episodes.parquet") or readr::read_csv("episodes.csv"); in Python: pandas.read_parquet / read_csv / read_json.',
    ...(req.format === 'json'
      ? ['', 'JSON files: each is an array of row objects. The first row names every column; after it, a key whose value is null is left out (pandas.read_json, jsonlite::fromJSON and DuckDB read it as missing).']
      : []),
    '',
  ].join('\n');
  return [
    { name: 'README.txt', text: readme },
    { name: 'cohort_definition.json', text: `${JSON.stringify(definition, null, 2)}\n` },
    {
      name: 'data_dictionary.csv',
      text: csvLine(['table', 'column', 'type', 'unit', 'code_system', 'definition']) + dictionary.map((d) => csvLine([d.table, d.column, d.type, d.unit, d.code_system, d.definition])).join(''),
    },
  ];
}

/** Treatment rows a slot holds per member episode of its chunk (an episode with more spills to SQLite: slots.ts). */
export const TREATMENTS_PER_EPISODE = 8;

/**
 * Where the episode and treatment rows come from: slots the analytic store fills (slots.ts), two of each
 * (one written while the next is filled), or, without a store, from SQLite.
 */
export type StoreSlots = {
  episodes: EpisodeSlot[];
  treatments: TreatmentSlot[];
  source: { episodes: SlotSource; treatments: SlotSource };
};

export function newSlots(shape: ExportShape, rows = BATCH_ROWS, treatmentRows = rows * TREATMENTS_PER_EPISODE, count = 2): Pick<StoreSlots, 'episodes' | 'treatments'> {
  return {
    episodes: Array.from({ length: count }, () => newEpisodeSlot(rows, shape === 'wide')),
    treatments: Array.from({ length: count }, () => newTreatmentSlot(rows, treatmentRows)),
  };
}

export type SlotsFilled = { episodes: Filled; treatments: Filled };

/** The data files, table by table, chunk by chunk. */
export function* exportJob(
  sqlite: Database.Database,
  req: ExportRequest,
  opts: { transaction?: boolean; slots?: StoreSlots | null; onFilled?: (filled: SlotsFilled) => void; alloc?: Alloc } = {},
): Generator<JobEvent> {
  const sel = selectionOf(req.members, req.identified);
  const counts: RowCounts = {};
  const filled: SlotsFilled = { episodes: { store: 0, sqlite: 0 }, treatments: { store: 0, sqlite: 0 } };
  const read = function* () {
    // The export's data state: this transaction's change-log position. Rows from the store are used only when
    // it answered this version; else SQLite fills them in this transaction (slots.ts).
    const version = outcomeChangeSeq(sqlite);
    const ctx = new RowContext(sqlite, sel);
    const slots = opts.slots ?? null;
    const local = slots ? null : newSlots(req.shape, BATCH_ROWS, BATCH_ROWS * TREATMENTS_PER_EPISODE, 1);
    const wide = req.shape === 'wide';
    const batches = function* (table: string): Generator<Batch> {
      if (table === 'episodes') {
        let n = 0;
        for (const { slot, n: k } of episodeChunks(sqlite, sel.episodes, slots?.episodes ?? local!.episodes, slots?.source.episodes ?? null, version, filled.episodes)) {
          const b = episodeBatch(ctx, slot, k, wide);
          n += b.length;
          yield b;
        }
        counts.episodes = n;
      } else if (table === 'treatments') {
        let n = 0;
        for (const slot of treatmentChunks(sqlite, sel.episodes, slots?.treatments ?? local!.treatments, slots?.source.treatments ?? null, version, filled.treatments)) {
          const b = treatmentBatch(ctx, slot);
          n += b.length;
          yield b;
        }
        counts.treatments = n;
      } else if (req.format === 'parquet') yield* observationBatches(sqlite, ctx, counts);
      else {
        // CSV and JSON observation rows are written by SQLite (tables.ts, lineBatches).
        const selection = createSelectionTable(sqlite, sel);
        try {
          yield* lineBatches(sqlite, sel, req.format, selection, counts);
        } finally {
          dropSelectionTable(sqlite, selection);
        }
      }
    };
    for (const t of tableSpecs(req.shape, req.identified)) {
      yield { type: 'file', name: `${t.name}.${FILE_EXTENSION[req.format]}` } as JobEvent;
      const meta = { table: t.name, shape: req.shape, deidentification: req.identified ? 'limited data set' : 'safe harbor' };
      for (const bytes of encodeTable(req.format, t.columns, batches(t.name), meta, ctx.real, opts.alloc)) yield { type: 'chunk', bytes } as JobEvent;
    }
  };
  // One read transaction on the worker's own connection: every table describes the same state of the
  // database. Not on a shared connection (in-memory databases), where other requests run between chunks.
  if (opts.transaction === false) yield* read();
  else {
    sqlite.prepare('BEGIN').run();
    try {
      yield* read();
    } finally {
      sqlite.prepare('COMMIT').run();
    }
  }
  opts.onFilled?.(filled);
  yield { type: 'done', counts };
}
