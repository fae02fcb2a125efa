import type { ImportMode, ImportStatus } from '../../../db/schema/imports.ts';

/** The tables a practice sends, in the order their rows must be written (references point backwards). */
export const TABLES = ['sites', 'providers', 'patients', 'episodes', 'treatments', 'observations'] as const;
export type Table = (typeof TABLES)[number];

/** Why a row or a file was refused. Stable identifiers: the report counts by them. */
export const ERROR_KINDS = [
  // row level
  'missing_value',
  'invalid_enum',
  'out_of_range',
  'invalid_date',
  'invalid_number',
  'invalid_zip',
  'invalid_icd10',
  'retired_icd10',
  'invalid_procedure_code',
  'unknown_reference',
  'duplicate_id',
  'duplicate_observation',
  'wrong_field_count',
  'field_too_long',
  'malformed_quotes',
  'control_character',
  'db_refused',
  // file level
  'wrong_header',
  'unknown_file',
  'encoding',
  'empty_file',
  'unreadable',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export const FILE_ERROR_KINDS: readonly ErrorKind[] = ['wrong_header', 'unknown_file', 'encoding', 'empty_file', 'unreadable'];

/**
 * One problem found in the input. `line` is the physical line (1-based) where
 * the record starts; `endLine` is set when the record spans several lines
 * (quoted line breaks). `column` is the canonical column name, null when the
 * problem is the whole row or file. `reason` never contains a PHI value.
 */
export type ImportError = {
  file: string;
  line: number | null;
  endLine?: number;
  column: string | null;
  kind: ErrorKind;
  reason: string;
};

export type FileReport = {
  file: string;
  table: Table | null;
  /** Data records read (header and blank lines excluded). */
  rows: number;
  /** Rows that passed validation (stored unless the import was rejected or the database refused them). */
  valid: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows reported as invalid (a row with several problems counts once). */
  rejected: number;
  /** Every row up to and including this line is committed or reported (partial mode; null before the first batch). */
  committedThroughLine: number | null;
  ignoredColumns: string[];
  /** Set when the whole file was refused (wrong header, encoding, ...). */
  error: { kind: ErrorKind; reason: string } | null;
};

export type ImportTotals = { rows: number; valid: number; inserted: number; updated: number; unchanged: number; rejected: number };

/** The import's report: stored as JSON in imports.report and returned by the service. No PHI values. */
export type ImportReport = {
  importId: number;
  status: ImportStatus;
  mode: ImportMode;
  startedAt: string;
  finishedAt: string | null;
  files: FileReport[];
  totals: ImportTotals;
  batchesCommitted: number;
  /** Date-matched observations moved to a newly imported episode. */
  observationsRematched: number;
  errors: ImportError[];
  errorCount: number;
  errorsTruncated: boolean;
  errorCountsByKind: Partial<Record<ErrorKind, number>>;
  notes: string[];
};

/** A file to import: a path on disk (streamed) or text already in memory (uploads). */
export type ImportInput = { path: string } | { name: string; content: string };

export type ImportProgress = { file: string; bytesDone: number; bytesTotal: number; rowsDone: number };

export type ImportOptions = {
  mode?: ImportMode;
  userId?: number | null;
  /** Rows per batch (one transaction each in partial mode). */
  batchRows?: number;
  /** How many errors the report lists in full (all are counted). */
  maxErrors?: number;
  onProgress?: (p: ImportProgress) => void;
  /** Extra notes for the report (e.g. files the CLI skipped). */
  notes?: string[];
  /** Bring the derived outcome tables up to date afterwards (default true). */
  refreshOutcomes?: boolean;
};

export type ImportResult = {
  report: ImportReport;
  /** The refresh of the derived outcome tables that followed (null when skipped or failed). */
  outcomes: { episodesDerived: number; ms: number } | null;
  /** Where the time went (for the benchmark); not part of the stored report. */
  timings: { totalMs: number; inspectMs: number; writeMs: number; refreshMs: number };
};

export const DEFAULT_BATCH_ROWS = 50_000;
export const DEFAULT_MAX_ERRORS = 1_000;
/** No field of the format is legitimately longer; a longer one is reported, not stored. */
export const MAX_FIELD_CHARS = 1_000;
