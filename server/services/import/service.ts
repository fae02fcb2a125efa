/**
 * The import service: what the CLI (scripts/import.ts) and the tRPC mutation
 * (server/routers/imports.ts) call. See docs/import.md for the behaviour and
 * docs/decisions/003-import-design.md for the reasons.
 */
import { and, desc, eq } from 'drizzle-orm';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Db } from '../../../db/index.ts';
import { imports, type ImportMode } from '../../../db/schema/imports.ts';
import { DomainError, notFound } from '../../errors.ts';
import { refreshOutcomesAsync } from '../outcomes/refresh.ts';
import { CsvParser } from './csv.ts';
import { ImportEngine } from './engine.ts';
import { activeImports, markStale } from './recovery.ts';
import { fileSource, textSource, type Source } from './source.ts';
import { tableOfFileName, tableOfHeader } from './tables.ts';
import {
  DEFAULT_BATCH_ROWS,
  DEFAULT_MAX_ERRORS,
  MAX_FIELD_CHARS,
  TABLES,
  type ImportInput,
  type ImportOptions,
  type ImportReport,
  type ImportResult,
  type Table,
} from './types.ts';

export * from './types.ts';
export { recoverInterruptedImports } from './recovery.ts';
export { formatReport } from './format.ts';

type Inspected = { source: Source | null; name: string; table: Table | null; problem: { kind: 'encoding' | 'unknown_file' | 'empty_file' | 'unreadable'; reason: string } | null };

class Rollback extends Error {}

/**
 * Imports the given files into `db` and returns the report (also stored in the
 * imports row). Partial mode stores every valid row in batches and yields to
 * the event loop between chunks; all-or-nothing runs as one synchronous
 * transaction (a better-sqlite3 transaction cannot span an await, and other
 * requests on the same connection must not see its uncommitted rows).
 *
 * Throws DomainError BAD_REQUEST for a call without files, CONFLICT when
 * another import is running; everything wrong with the files is in the report.
 */
export async function runImport(db: Db, inputs: ImportInput[], options: ImportOptions = {}): Promise<ImportResult> {
  const t0 = performance.now();
  if (inputs.length === 0) throw new DomainError('BAD_REQUEST', 'no files to import');
  const mode: ImportMode = options.mode ?? 'partial';
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new DomainError('BAD_REQUEST', 'batchRows must be a positive integer');

  const names = inputs.map((i) => ('path' in i ? i.path.replace(/^.*[\\/]/, '') : i.name));
  const startedAt = new Date().toISOString();
  const importId = beginImport(db, mode, names.join(', ').slice(0, 500), options.userId ?? null, startedAt);
  activeImports.add(importId);
  const engine = new ImportEngine(db, {
    importId,
    mode,
    startedAt,
    batchRows,
    maxErrors: options.maxErrors ?? DEFAULT_MAX_ERRORS,
    notes: options.notes ?? [],
  });
  try {
    const tInspect = performance.now();
    const inspected = inputs.map(inspect);
    const inspectMs = performance.now() - tInspect;

    // Dependency order, stable within a table; refused files are reported first.
    const order = inspected
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map((x) => x.f);
    if (order.some((f, i) => f !== inspected[i])) {
      engine.notes.push(`Files were read in dependency order (${TABLES.join(', ')}), not in the order given.`);
    }
    const plan = order.map((f) => {
      const file = engine.addFile(f.name, f.table);
      if (f.problem) engine.fileError(file, f.problem.kind, f.problem.reason);
      return { f, file };
    });
    writeProgress(db, engine);

    const bytesTotal = inspected.reduce((s, f) => s + (f.source?.size ?? 0), 0);
    let bytesBefore = 0;
    const progress = (name: string, done: number) =>
      options.onProgress?.({ file: name, bytesDone: bytesBefore + done, bytesTotal, rowsDone: engine.totals().rows });

    if (mode === 'partial') {
      for (const { f, file } of plan) {
        if (!f.source || !f.table || file.error) continue;
        const parser = engine.openFile(file, f.table);
        for (const chunk of f.source.chunks((done) => progress(f.name, done))) {
          parser.push(chunk);
          if (file.error) break;
          await yieldToEventLoop();
        }
        parser.end();
        engine.endFile(file);
        bytesBefore += f.source.size;
      }
      engine.finish();
    } else {
      try {
        db.$client.transaction(() => {
          for (const { f, file } of plan) {
            if (!f.source || !f.table || file.error) continue;
            const parser = engine.openFile(file, f.table);
            for (const chunk of f.source.chunks((done) => progress(f.name, done))) {
              parser.push(chunk);
              if (file.error) break;
            }
            parser.end();
            engine.endFile(file);
            bytesBefore += f.source.size;
          }
          if (engine.hasErrors) throw new Rollback();
          engine.finish();
          if (engine.hasErrors) throw new Rollback();
        }).immediate();
      } catch (err) {
        if (!(err instanceof Rollback)) throw err;
        engine.rolledBack();
        db.$client.transaction(() => engine.writeFinal('rejected')).immediate();
      }
    }
    const status = mode === 'partial' || !engine.hasErrors ? engine.finalStatus() : 'rejected';
    const report = engine.report(status, readFinishedAt(db, importId));
    activeImports.delete(importId);
    const tRefresh = performance.now();
    const outcomes = status === 'rejected' || options.refreshOutcomes === false ? null : await refreshDerived(db, report);
    return {
      report,
      outcomes,
      timings: { totalMs: performance.now() - t0, inspectMs, writeMs: engine.writeMs, refreshMs: performance.now() - tRefresh },
    };
  } catch (err) {
    // Whatever was committed stays; the row says the import did not finish.
    markFailed(db, importId);
    throw err;
  } finally {
    activeImports.delete(importId);
  }
}

/**
 * The derived outcome tables (server/services/outcomes) follow the records:
 * brought up to date after each import. A failure here does not undo the
 * import; the tables are refreshed again at the next start.
 */
async function refreshDerived(db: Db, report: ImportReport): Promise<ImportResult['outcomes']> {
  try {
    const r = await refreshOutcomesAsync(db);
    return { episodesDerived: r.derived, ms: r.ms };
  } catch {
    const note = 'The outcome figures could not be brought up to date after this import; they will be at the next start of the server.';
    report.notes.push(note);
    db.update(imports).set({ report: JSON.stringify(report) }).where(eq(imports.id, report.importId)).run();
    return null;
  }
}

function rank(f: Inspected): number {
  return f.table === null || f.problem ? -1 : TABLES.indexOf(f.table);
}

/** Claims the database for one import at a time and records the start (its own transaction). */
function beginImport(db: Db, mode: ImportMode, source: string, userId: number | null, startedAt: string): number {
  return db.$client
    .transaction(() => {
      markStale(db);
      const running = db.select({ id: imports.id }).from(imports).where(eq(imports.status, 'running')).all();
      if (running.length > 0) {
        throw new DomainError('CONFLICT', `import #${running[0]!.id} is still running: wait for it to finish`);
      }
      const row = db
        .insert(imports)
        .values({ startedAt, status: 'running', mode, source, userId, pid: process.pid, heartbeatAt: startedAt })
        .returning({ id: imports.id })
        .get();
      return row.id;
    })
    .immediate();
}

/** The first report, before any batch: which files, in which order, and which were refused. */
function writeProgress(db: Db, engine: ImportEngine): void {
  const report = engine.report('running');
  db.update(imports).set({ report: JSON.stringify(report) }).where(eq(imports.id, report.importId)).run();
}

function markFailed(db: Db, importId: number): void {
  try {
    if (db.$client.inTransaction) return; // the caller's transaction is rolling back; recovery will see the row
    // Only a row still 'running': an import whose final status is written is finished, whatever failed after.
    const changed = db
      .update(imports)
      .set({ status: 'interrupted', finishedAt: new Date().toISOString() })
      .where(and(eq(imports.id, importId), eq(imports.status, 'running')))
      .run().changes;
    if (changed === 0) return;
    const row = db.select({ report: imports.report }).from(imports).where(eq(imports.id, importId)).get();
    if (row?.report) {
      const report = JSON.parse(row.report) as ImportReport;
      if (report.status === 'running') {
        report.status = 'interrupted';
        report.notes.push('The import failed with an internal error; the batches counted here are stored, the rest is not.');
        db.update(imports).set({ report: JSON.stringify(report) }).where(eq(imports.id, importId)).run();
      }
    }
  } catch {
    // The database itself is failing; start-up recovery will mark the row.
  }
}

function readFinishedAt(db: Db, importId: number): string | null {
  return db.select({ finishedAt: imports.finishedAt }).from(imports).where(eq(imports.id, importId)).get()?.finishedAt ?? null;
}

/** Opens a file, checks its encoding, reads its header and decides which table it holds. */
function inspect(input: ImportInput): Inspected {
  const name = 'path' in input ? input.path.replace(/^.*[\\/]/, '') : input.name;
  let source: Source;
  try {
    source = 'path' in input ? fileSource(input.path) : textSource(input.name, input.content);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { source: null, name, table: null, problem: { kind: 'unreadable', reason: `the file cannot be read${code ? ` (${code})` : ''}` } };
  }
  const encoding = source.checkEncoding();
  if (encoding) return { source, name, table: tableOfFileName(name), problem: { kind: 'encoding', ...encoding } };
  const header = readHeader(source);
  const byName = tableOfFileName(name);
  if (header === null) return { source, name, table: byName, problem: { kind: 'empty_file', reason: 'the file is empty: no header row' } };
  const table = byName ?? tableOfHeader(header);
  if (table === null) {
    return {
      source,
      name,
      table: null,
      problem: {
        kind: 'unknown_file',
        reason: `cannot tell which table this file holds: name it ${TABLES.map((t) => `${t}.csv`).join(', ')} or give it the header of one of them`,
      },
    };
  }
  return { source, name, table, problem: null };
}

/** The first record of the file, or null if it has none. */
function readHeader(source: Source): string[] | null {
  let header: string[] | null = null;
  const parser = new CsvParser(
    (fields) => {
      header = fields;
      parser.stop();
    },
    { maxField: MAX_FIELD_CHARS },
  );
  for (const chunk of source.chunks()) {
    parser.push(chunk);
    if (header) break;
  }
  if (!header) parser.end();
  return header;
}

// ---- reading imports back --------------------------------------------------

export type ImportSummary = {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: ImportReport['status'];
  mode: ImportMode;
  source: string;
  batchesCommitted: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsRejected: number;
};

const summaryColumns = {
  id: imports.id,
  startedAt: imports.startedAt,
  finishedAt: imports.finishedAt,
  status: imports.status,
  mode: imports.mode,
  source: imports.source,
  batchesCommitted: imports.batchesCommitted,
  rowsInserted: imports.rowsInserted,
  rowsUpdated: imports.rowsUpdated,
  rowsUnchanged: imports.rowsUnchanged,
  rowsRejected: imports.rowsRejected,
};

/** The most recent imports, newest first: counts and status, no report. */
export function listImports(db: Db, limit: number): ImportSummary[] {
  return db.select(summaryColumns).from(imports).orderBy(desc(imports.id)).limit(limit).all();
}

/** One import with its report; NOT_FOUND when there is none with that id. */
export function getImport(db: Db, id: number): ImportSummary & { report: ImportReport | null } {
  const row = db
    .select({ ...summaryColumns, report: imports.report })
    .from(imports)
    .where(eq(imports.id, id))
    .get();
  if (!row) throw notFound('import');
  return { ...row, report: row.report === null ? null : (JSON.parse(row.report) as ImportReport) };
}
