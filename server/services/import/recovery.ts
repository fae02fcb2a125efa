/**
 * Imports that died with their process. An import row stays 'running' while
 * its process commits batches; if that process is gone (killed, crashed, power
 * cut), the row is marked 'interrupted' and its report keeps what the last
 * committed batch wrote: which batches, and up to which line of which file.
 */
import { readFileSync } from 'node:fs';
import type { Db } from '../../../db/index.ts';
import { restoreIndexes } from '../demo/bulk.ts';
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

/**
 * When the process with this pid started (ms since 1970), from Linux's /proc;
 * null where that cannot be read (another OS, no such process). Accurate to
 * about a second: the boot time is in whole seconds, the start in ticks.
 */
export function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22, starttime, in clock ticks (USER_HZ = 100 on Linux) since boot
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    if (!btime || !Number.isFinite(startTicks)) return null;
    return Number(btime[1]) * 1000 + startTicks * 10;
  } catch {
    return null;
  }
}

/** How far a process's start may seem to lie after its import's start (the clock resolution of processStartMs, and a margin). */
const START_SLACK_MS = 2000;

/**
 * An import is stale when no live process can be running it: no pid; our own
 * pid but not one of this process's imports (a restarted container reuses
 * pids); a pid with no process; or a pid whose process started after the
 * import did, so it is another process that got the same pid. SQLite in WAL
 * mode needs every connection on one host, so the pid is always of this host.
 */
function isStale(id: number, pid: number | null, startedAt: string): boolean {
  if (pid === null) return true;
  if (pid === process.pid) return !activeImports.has(id);
  if (!isProcessAlive(pid)) return true;
  const processStart = processStartMs(pid);
  const importStart = Date.parse(startedAt);
  return processStart !== null && Number.isFinite(importStart) && processStart > importStart + START_SLACK_MS;
}

/**
 * Start-up recovery (server and CLI): marks every 'running' import whose
 * process is no longer alive as 'interrupted', and rebuilds any index of the
 * big tables that a bulk load killed before its end left missing
 * (server/services/demo/bulk.ts). Returns the ids of the imports it marked.
 * Must not run inside a transaction of the caller's (it opens its own).
 */
export function recoverInterruptedImports(db: Db, now = new Date()): number[] {
  const sqlite = db.$client;
  const marked = sqlite.transaction(() => markStale(db, now)).immediate();
  restoreIndexes(db);
  return marked;
}

/** The body of recoverInterruptedImports, for callers already in a transaction. */
export function markStale(db: Db, now = new Date()): number[] {
  const sqlite = db.$client;
  const running = sqlite.prepare("SELECT id, pid, started_at, batches_committed, report FROM imports WHERE status = 'running'").all() as Array<{
    id: number;
    pid: number | null;
    started_at: string;
    batches_committed: number;
    report: string | null;
  }>;
  const marked: number[] = [];
  const update = sqlite.prepare("UPDATE imports SET status = 'interrupted', finished_at = ?, report = ? WHERE id = ? AND status = 'running'");
  for (const r of running) {
    if (!isStale(r.id, r.pid, r.started_at)) continue;
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
