/**
 * Imports that died with their process. An import row stays 'running' while
 * its process commits batches; if that process is gone (killed, crashed, power
 * cut), the row is marked 'interrupted' and its report keeps what the last
 * committed batch wrote: which batches, and up to which line of which file.
 */
import type { Db } from '../../../db/index.ts';
import type { ImportReport } from './types.ts';

/** Imports running in this process (a dead process may have had the same pid: containers reuse them). */
export const activeImports = new Set<number>();

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(id: number, pid: number | null): boolean {
  if (pid === null) return true;
  if (pid === process.pid) return !activeImports.has(id);
  return !isProcessAlive(pid);
}

/**
 * Marks every 'running' import whose process is no longer alive as
 * 'interrupted'. Call at start-up (server and CLI) and before an import
 * starts. Returns the ids it marked. Must not run inside a transaction of
 * the caller's (it opens its own).
 */
export function recoverInterruptedImports(db: Db, now = new Date()): number[] {
  const sqlite = db.$client;
  return sqlite.transaction(() => markStale(db, now)).immediate();
}

/** The body of recoverInterruptedImports, for callers already in a transaction. */
export function markStale(db: Db, now = new Date()): number[] {
  const sqlite = db.$client;
  const running = sqlite.prepare("SELECT id, pid, batches_committed, report FROM imports WHERE status = 'running'").all() as Array<{
    id: number;
    pid: number | null;
    batches_committed: number;
    report: string | null;
  }>;
  const marked: number[] = [];
  const update = sqlite.prepare("UPDATE imports SET status = 'interrupted', finished_at = ?, report = ? WHERE id = ? AND status = 'running'");
  for (const r of running) {
    if (!isStale(r.id, r.pid)) continue;
    update.run(now.toISOString(), interruptedReport(r.report, r.batches_committed, now), r.id);
    marked.push(r.id);
  }
  return marked;
}

function interruptedReport(json: string | null, batches: number, now: Date): string | null {
  if (json === null) return null;
  let report: ImportReport;
  try {
    report = JSON.parse(json) as ImportReport;
  } catch {
    return json;
  }
  report.status = 'interrupted';
  report.finishedAt = now.toISOString();
  report.notes = [
    ...(report.notes ?? []),
    batches === 0
      ? 'The import stopped before its first batch was committed: nothing of it is stored.'
      : `The import stopped after ${batches} committed batch${batches === 1 ? '' : 'es'}: for each file, the rows up to "committedThroughLine" are stored or listed as errors; nothing after it is stored. Importing the same files again completes it (stored rows count as unchanged).`,
  ];
  return JSON.stringify(report);
}
