/**
 * `npm run import -- <folder or files> [--all-or-nothing] [--json]`
 *
 * Imports a practice's CSV export (docs/import.md) into DATABASE_PATH.
 * Exit status: 0 every row stored, 1 some rows rejected (the rest stored),
 * 2 nothing stored or a wrong call.
 */
import { SingleBar } from 'cli-progress';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, migrateDb, type Db } from '../db/index.ts';
import { appendAudit, type AuditEntry } from '../server/auth/audit.ts';
import { cliActor } from '../server/auth/cli-actor.ts';
import { loadSecrets } from '../server/auth/secrets.ts';
import { parseEnv } from '../server/env.ts';
import { DomainError } from '../server/errors.ts';
import { formatReport, recoverInterruptedImports, runImport, type ImportInput } from '../server/services/import/service.ts';

const USAGE = `Usage: npm run import -- <folder or files...> [--all-or-nothing] [--json]

  <folder>           imports every *.csv file in it (sites, providers, patients,
                     episodes, treatments, observations; see docs/import.md)
  <files>            CSV files, in any order
  --all-or-nothing   store nothing if any row is invalid (default: store every
                     valid row and report the invalid ones)
  --json             print the report as JSON on stdout

The database is DATABASE_PATH (default ./data/outcomes.db).
Exit status: 0 every row stored, 1 some rows rejected (the rest stored),
2 nothing stored or a wrong call.`;

/** Progress is drawn only for imports this large (bytes), on a terminal. */
const PROGRESS_MIN_BYTES = 5_000_000;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const flags = new Set(['--all-or-nothing', '--json']);
  const unknown = args.filter((a) => a.startsWith('-') && !flags.has(a));
  if (unknown.length > 0) fail(`Unknown option ${unknown.join(', ')}.`);
  const paths = args.filter((a) => !a.startsWith('-'));
  if (paths.length === 0) fail('Give a folder or the CSV files to import.');

  const inputs: ImportInput[] = [];
  const notes: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      fail(`No such file or folder: ${path}`);
    }
    if (!isDir) {
      inputs.push({ path });
      continue;
    }
    const entries = readdirSync(path, { withFileTypes: true }).filter((e) => e.isFile());
    const csv = entries.filter((e) => e.name.toLowerCase().endsWith('.csv')).map((e) => e.name);
    const other = entries.filter((e) => !e.name.toLowerCase().endsWith('.csv') && !e.name.startsWith('.')).map((e) => e.name);
    if (other.length > 0) notes.push(`Skipped files in ${path} that are not .csv: ${other.slice(0, 10).join(', ')}${other.length > 10 ? ', …' : ''}`);
    if (csv.length === 0) fail(`No .csv files in ${path}.`);
    for (const name of csv.sort()) inputs.push({ path: join(path, name) });
  }

  const json = args.includes('--json');
  const env = parseEnv();
  const db = createDb(env.DATABASE_PATH);
  try {
    migrateDb(db);
    for (const id of recoverInterruptedImports(db)) {
      process.stderr.write(`Import #${id} had stopped without finishing: marked as interrupted (npm run import keeps its committed batches).\n`);
    }

    const size = inputs.reduce((s, i) => s + ('path' in i ? statSync(i.path).size : 0), 0);
    const bar =
      process.stderr.isTTY && size >= PROGRESS_MIN_BYTES
        ? new SingleBar({
            stream: process.stderr,
            format: '{file} [{bar}] {percentage}% | {rows} rows | {eta_formatted} left',
            hideCursor: true,
            etaBuffer: 50,
          })
        : null;
    bar?.start(size, 0, { file: '', rows: '0' });
    let result;
    try {
      result = await runImport(db, inputs, {
        mode: args.includes('--all-or-nothing') ? 'all_or_nothing' : 'partial',
        notes,
        onProgress: (p) => bar?.update(p.bytesDone, { file: p.file, rows: p.rowsDone.toLocaleString('en-US') }),
      });
    } finally {
      bar?.stop();
    }
    const { report, outcomes } = result;
    const t = report.totals;
    auditImport(db, env, {
      action: 'import.run',
      outcome: report.status === 'rejected' ? 'failure' : 'success',
      target: `import:${report.importId}`,
      detail: { via: 'cli', status: report.status, mode: report.mode, files: report.files.length, rows: t.rows, inserted: t.inserted, updated: t.updated, unchanged: t.unchanged, rejected: t.rejected },
    });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    if (!json && outcomes) {
      process.stdout.write(`Outcome figures brought up to date (${outcomes.episodesDerived.toLocaleString('en-US')} episodes derived in ${(outcomes.ms / 1000).toFixed(1)} s).\n`);
    }
    if (report.status === 'completed') return 0;
    if (report.status === 'completed_with_errors') return 1;
    return 2;
  } catch (err) {
    auditImport(db, env, {
      action: 'import.run',
      outcome: 'failure',
      detail: { via: 'cli', files: inputs.length, reason: err instanceof DomainError ? err.code : 'internal' },
    });
    if (err instanceof DomainError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    // An internal failure (disk full, ...): the committed batches stay, the import row says 'interrupted'.
    process.stderr.write(`Import failed: ${err instanceof Error ? err.message : String(err)}\n`);
    const last = db.$client.prepare('SELECT id, batches_committed FROM imports WHERE pid = ? ORDER BY id DESC LIMIT 1').get(process.pid) as
      | { id: number; batches_committed: number }
      | undefined;
    if (last && last.batches_committed > 0) {
      process.stderr.write(`Import #${last.id} stored ${last.batches_committed} batch(es) before it stopped; see its report.\n`);
      return 1;
    }
    return 2;
  } finally {
    db.$client.close();
  }
}

/**
 * Imports from the command line are recorded in the audit log like uploads
 * (roles.md: every import is audited), as done by `cli:<os user>`, with counts
 * only. A failure to write the entry is said on stderr but does not change the
 * import's outcome: its rows are committed already.
 */
function auditImport(db: Db, env: ReturnType<typeof parseEnv>, entry: AuditEntry): void {
  try {
    appendAudit(db, loadSecrets(env).audit, { ...entry, userId: null, username: cliActor(), role: null, ip: null }, Date.now());
  } catch (err) {
    process.stderr.write(`The import could not be written to the audit log: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`Import failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
