/**
 * The import proper: records from the tokenizer are validated, gathered into
 * batches of one table, and written through the RecordStore. In partial mode
 * each batch is one transaction that also updates the `imports` row, so after
 * a kill the row says exactly which batches are stored. In all-or-nothing mode
 * the caller wraps the whole import in one transaction and rolls it back on
 * the first sign of trouble (see service.ts).
 *
 * Everything here is synchronous: a better-sqlite3 transaction must not span
 * an `await`, and the caller decides where it is safe to yield.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../db/index.ts';
import type { ImportMode, ImportStatus } from '../../../db/schema/imports.ts';
import { RecordStore, type WriteResult } from '../records/store.ts';
import { CsvParser, type RecordProblem } from './csv.ts';
import { mapHeader, TABLE_SPECS, type HeaderMap } from './tables.ts';
import {
  MAX_FIELD_CHARS,
  type ErrorKind,
  type FileReport,
  type ImportError,
  type ImportReport,
  type ImportTotals,
  type Table,
} from './types.ts';
import { RowReader, SeenKeys, validators, type Validator, type Validators } from './validate.ts';

type Batch = { table: Table; file: FileReport; rows: unknown[]; lines: number[] };

export type EngineOptions = {
  importId: number;
  mode: ImportMode;
  startedAt: string;
  batchRows: number;
  maxErrors: number;
  notes: string[];
};

export class ImportEngine {
  readonly files: FileReport[] = [];
  readonly notes: string[];
  private readonly store: RecordStore;
  private readonly seen = new SeenKeys();
  private readonly validate: Validators;
  private readonly sqlite: Database.Database;
  private readonly updateProgress: Database.Statement;
  private readonly updateFinal: Database.Statement;
  private errors: ImportError[] = [];
  private errorCount = 0;
  private errorCountsByKind: Partial<Record<ErrorKind, number>> = {};
  private batch: Batch | null = null;
  /** The file being read and the end line of its last record: what a commit now covers. */
  private cursorFile: FileReport | null = null;
  private cursorLine = 0;
  batchesCommitted = 0;
  observationsRematched = 0;
  writeMs = 0;

  constructor(
    db: Db,
    private readonly opts: EngineOptions,
  ) {
    this.sqlite = db.$client;
    this.store = new RecordStore(db);
    this.validate = validators(this.store, this.seen);
    this.notes = [...opts.notes];
    this.updateProgress = this.sqlite.prepare(
      `UPDATE imports SET batches_committed = ?, rows_inserted = ?, rows_updated = ?, rows_unchanged = ?, rows_rejected = ?,
        heartbeat_at = ?, report = ? WHERE id = ?`,
    );
    this.updateFinal = this.sqlite.prepare(
      `UPDATE imports SET status = ?, finished_at = ?, batches_committed = ?, rows_inserted = ?, rows_updated = ?, rows_unchanged = ?,
        rows_rejected = ?, heartbeat_at = ?, report = ? WHERE id = ?`,
    );
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  addFile(file: string, table: Table | null): FileReport {
    const report: FileReport = {
      file,
      table,
      rows: 0,
      valid: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      committedThroughLine: null,
      ignoredColumns: [],
      error: null,
    };
    this.files.push(report);
    return report;
  }

  fileError(file: FileReport, kind: ErrorKind, reason: string, line: number | null = null): void {
    file.error = { kind, reason };
    this.error({ file: file.file, line, column: null, kind, reason });
  }

  /** A tokenizer wired to the validator of `table`; feed it the file's text. */
  openFile(file: FileReport, table: Table): CsvParser {
    const fileImport = new FileImport(this, file, table, this.validate[table] as Validator<unknown>);
    const parser = new CsvParser(fileImport.record, { maxField: MAX_FIELD_CHARS });
    fileImport.parser = parser;
    return parser;
  }

  error(e: ImportError): void {
    this.errorCount++;
    this.errorCountsByKind[e.kind] = (this.errorCountsByKind[e.kind] ?? 0) + 1;
    if (this.errors.length < this.opts.maxErrors) this.errors.push(e);
  }

  recordRead(file: FileReport, endLine: number): void {
    this.cursorFile = file;
    this.cursorLine = endLine;
  }

  add(table: Table, file: FileReport, row: unknown, line: number): void {
    let batch = this.batch;
    if (batch && (batch.table !== table || batch.file !== file)) {
      this.flush(false);
      batch = null;
    }
    if (!batch) batch = this.batch = { table, file, rows: [], lines: [] };
    batch.rows.push(row);
    batch.lines.push(line);
    if (batch.rows.length >= this.opts.batchRows) this.flush(false);
  }

  /** Writes what a file left in the batch: the rows of the next file may refer to them. */
  endFile(file: FileReport): void {
    if (this.batch?.file === file) this.flush(false);
    else if (this.opts.mode === 'partial' && this.cursorFile === file && file.committedThroughLine !== this.cursorLine) {
      // The rows after the last batch were all rejected: record that they are dealt with.
      this.commit(() => undefined, false);
    }
  }

  /** The last step: remaining rows, re-matching observations, the final status, in one transaction. */
  finish(): void {
    this.flush(true);
  }

  private flush(final: boolean): void {
    const batch = this.batch;
    this.batch = null;
    this.commit(
      () => {
        if (!batch || batch.rows.length === 0) return;
        const result = this.write(batch.table, batch.rows);
        const file = batch.file;
        for (const f of result.failed) {
          file.valid--;
          file.rejected++;
          this.error({ file: file.file, line: batch.lines[f.index]!, column: null, kind: 'db_refused', reason: f.reason });
        }
        file.inserted += result.inserted;
        file.updated += result.updated;
        file.unchanged += result.unchanged;
        this.batchesCommitted++;
      },
      final,
    );
  }

  /**
   * Runs `work` and records the progress in the imports row: in partial mode
   * as one transaction (a batch is whole or absent, and so is its record); in
   * all-or-nothing mode inside the caller's transaction, where only the final
   * status is written.
   */
  private commit(work: () => void, final: boolean): void {
    const t0 = performance.now();
    const run = () => {
      work();
      if (this.cursorFile) this.cursorFile.committedThroughLine = this.cursorLine;
      if (final) {
        this.observationsRematched += this.store.rematchObservations();
        this.writeFinal(this.finalStatus());
      } else if (this.opts.mode === 'partial') {
        const t = this.totals();
        this.updateProgress.run(
          this.batchesCommitted,
          t.inserted,
          t.updated,
          t.unchanged,
          t.rejected,
          new Date().toISOString(),
          JSON.stringify(this.report('running')),
          this.opts.importId,
        );
      }
    };
    // IMMEDIATE: take the write lock before the store's first read, so another
    // process writing meanwhile makes us wait (busy_timeout) instead of failing.
    if (this.opts.mode === 'partial') this.sqlite.transaction(run).immediate();
    else run();
    this.writeMs += performance.now() - t0;
  }

  private write(table: Table, rows: unknown[]): WriteResult {
    const id = this.opts.importId;
    const s = this.store;
    switch (table) {
      case 'sites':
        return s.writeSites(rows as Parameters<RecordStore['writeSites']>[0], id);
      case 'providers':
        return s.writeProviders(rows as Parameters<RecordStore['writeProviders']>[0], id);
      case 'patients':
        return s.writePatients(rows as Parameters<RecordStore['writePatients']>[0], id);
      case 'episodes':
        return s.writeEpisodes(rows as Parameters<RecordStore['writeEpisodes']>[0], id);
      case 'treatments':
        return s.writeTreatments(rows as Parameters<RecordStore['writeTreatments']>[0], id);
      case 'observations':
        return s.writeObservations(rows as Parameters<RecordStore['writeObservations']>[0], id);
    }
  }

  finalStatus(): ImportStatus {
    if (this.errorCount === 0) return 'completed';
    const t = this.totals();
    if (this.opts.mode === 'all_or_nothing' || t.inserted + t.updated + t.unchanged === 0) return 'rejected';
    return 'completed_with_errors';
  }

  /** Writes the final status and report (inside the caller's transaction, if any). */
  writeFinal(status: ImportStatus): void {
    const t = this.totals();
    const now = new Date().toISOString();
    this.updateFinal.run(
      status,
      now,
      this.batchesCommitted,
      t.inserted,
      t.updated,
      t.unchanged,
      t.rejected,
      now,
      JSON.stringify(this.report(status, now)),
      this.opts.importId,
    );
  }

  /** After an all-or-nothing rollback: nothing is stored, the counts say so. */
  rolledBack(): void {
    for (const f of this.files) {
      f.inserted = f.updated = f.unchanged = 0;
      f.committedThroughLine = null;
    }
    this.batchesCommitted = 0;
    this.observationsRematched = 0;
    this.notes.push('All-or-nothing: nothing was stored because of the errors below; fix them and import again.');
  }

  totals(): ImportTotals {
    const t: ImportTotals = { rows: 0, valid: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
    for (const f of this.files) {
      t.rows += f.rows;
      t.valid += f.valid;
      t.inserted += f.inserted;
      t.updated += f.updated;
      t.unchanged += f.unchanged;
      t.rejected += f.rejected;
    }
    return t;
  }

  report(status: ImportStatus, finishedAt: string | null = null): ImportReport {
    return {
      importId: this.opts.importId,
      status,
      mode: this.opts.mode,
      startedAt: this.opts.startedAt,
      finishedAt,
      files: this.files.map((f) => ({ ...f, ignoredColumns: [...f.ignoredColumns], error: f.error && { ...f.error } })),
      totals: this.totals(),
      batchesCommitted: this.batchesCommitted,
      observationsRematched: this.observationsRematched,
      errors: [...this.errors],
      errorCount: this.errorCount,
      errorsTruncated: this.errorCount > this.errors.length,
      errorCountsByKind: { ...this.errorCountsByKind },
      notes: [...this.notes],
    };
  }
}

const PROBLEM_REASONS: Record<Exclude<RecordProblem['kind'], 'too_many_fields'>, string> = {
  quote_in_unquoted: 'a quote inside an unquoted value: quote the whole value and double the quotes inside it',
  text_after_quote: 'characters after a closing quote: quote the whole value and double the quotes inside it',
  unclosed_quote: 'a quoted value is never closed',
};

/** One file: its header, then each record validated and handed to the engine. */
class FileImport {
  parser: CsvParser | null = null;
  private header: HeaderMap | null = null;
  private headerNames: string[] = [];
  private reader: RowReader | null = null;

  constructor(
    private readonly engine: ImportEngine,
    private readonly file: FileReport,
    private readonly table: Table,
    private readonly validate: Validator<unknown>,
  ) {}

  record = (fields: string[], line: number, endLine: number, problems: RecordProblem[] | null): void => {
    const engine = this.engine;
    const file = this.file;
    if (this.header === null) {
      this.readHeader(fields, line, problems);
      return;
    }
    file.rows++;
    engine.recordRead(file, endLine);
    const multi = endLine > line ? endLine : undefined;
    if (problems !== null) {
      file.rejected++;
      for (const p of problems) {
        if (p.kind === 'too_many_fields') {
          this.rowError(line, multi, null, 'wrong_field_count', `more than ${p.field.toLocaleString('en-US')} fields`);
        } else {
          let reason = PROBLEM_REASONS[p.kind];
          if (p.kind === 'unclosed_quote') reason += ` (it runs from line ${line} to the end of the file, line ${endLine})`;
          this.rowError(line, multi, this.headerNames[p.field] ?? null, 'malformed_quotes', reason);
        }
      }
      return;
    }
    if (fields.length !== this.headerNames.length) {
      file.rejected++;
      this.rowError(line, multi, null, 'wrong_field_count', `expected ${this.headerNames.length} fields as in the header, found ${fields.length}`);
      return;
    }
    const reader = this.reader!;
    reader.reset(fields);
    const row = this.validate(reader, line);
    if (row === null) {
      file.rejected++;
      for (const p of reader.problems) this.rowError(line, multi, p.column, p.kind, p.reason);
      return;
    }
    file.valid++;
    engine.add(this.table, file, row, line);
  };

  private rowError(line: number, endLine: number | undefined, column: string | null, kind: ErrorKind, reason: string): void {
    const e: ImportError = { file: this.file.file, line, column, kind, reason };
    if (endLine !== undefined) e.endLine = endLine;
    this.engine.error(e);
  }

  private readHeader(fields: string[], line: number, problems: RecordProblem[] | null): void {
    const map = mapHeader(this.table, fields);
    if (problems !== null) map.problem = 'the header has malformed quotes';
    if (map.problem !== null) {
      this.engine.fileError(this.file, 'wrong_header', `wrong header for a ${this.table} file: ${map.problem}`, line);
      this.parser?.stop();
      this.header = map;
      return;
    }
    this.header = map;
    this.headerNames = fields.map((f, i) => {
      const known = TABLE_SPECS[this.table].columns.find((c) => map.index[c] === i);
      return known ?? f.trim().toLowerCase().slice(0, 40);
    });
    this.file.ignoredColumns = map.ignored;
    if (map.ignored.length > 0) {
      this.engine.notes.push(`${this.file.file}: ignored column${map.ignored.length > 1 ? 's' : ''} not in the format: ${map.ignored.join(', ')}`);
    }
    this.reader = new RowReader(map.index);
  }
}
