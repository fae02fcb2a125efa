/**
 * The practice the outcomes bench reads: the demo generator's practice of N
 * patients in a file database under .tmp/, with the derived outcome tables
 * refreshed. Reused when it exists and is complete (generating 1M patients
 * takes several minutes); `--fresh` rebuilds it.
 */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { createDb, migrateDb, schema, type Db } from '../db/index.ts';
import { generateDemoPractice } from '../server/services/demo/index.ts';
import { outcomesPending, refreshOutcomes } from '../server/services/outcomes/refresh.ts';

export const BENCH_SEED = 2027;

export function practicePath(patients: number): string {
  return `.tmp/bench-outcomes/practice-${patients}.db`;
}

const DONE_KEY = 'bench_outcomes_done';

/**
 * The practice of N patients, read-only, when it exists and is complete: the
 * 1M practice is shared by several benches and must not be written (not even
 * migrated). Null when it has to be made first (openPractice).
 */
export function openPracticeReadOnly(patients: number): Db | null {
  const path = practicePath(patients);
  if (!existsSync(path)) return null;
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  sqlite.pragma('cache_size = -131072');
  const done = (() => {
    try {
      return sqlite.prepare('SELECT value FROM outcome_state WHERE key = ?').pluck().get(DONE_KEY) === String(patients);
    } catch {
      return false;
    }
  })();
  if (!done) {
    sqlite.close();
    return null;
  }
  const db = drizzle({ client: sqlite, schema }) as Db;
  if (!outcomesPending(db).consistent) throw new Error('derived outcome tables are not consistent with the records');
  return db;
}

export function openPractice(patients: number, opts: { fresh?: boolean; log?: (s: string) => void } = {}): Db {
  const log = opts.log ?? ((s: string) => console.log(s));
  const path = practicePath(patients);
  if (opts.fresh) for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  const existed = existsSync(path);
  const db = createDb(path);
  migrateDb(db);
  const done = existed && db.$client.prepare('SELECT value FROM outcome_state WHERE key = ?').pluck().get(DONE_KEY) === String(patients);
  if (!done) {
    if (existed) {
      db.$client.close();
      for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
      return openPractice(patients, { ...opts, fresh: false });
    }
    log(`generating ${patients.toLocaleString('en-US')} patients (seed ${BENCH_SEED}) into ${path}`);
    const t0 = performance.now();
    let last = t0;
    const counts = generateDemoPractice(db, {
      patients,
      seed: BENCH_SEED,
      onProgress: (p) => {
        const now = performance.now();
        if (now - last > 30_000) {
          last = now;
          log(`  ${((now - t0) / 1000).toFixed(0)} s: ${p.phase}, ${p.patientsDone.toLocaleString('en-US')} patients`);
        }
      },
    });
    log(
      `  written in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${counts.episodes.toLocaleString('en-US')} episodes, ` +
        `${counts.treatments.toLocaleString('en-US')} treatments, ${counts.observations.toLocaleString('en-US')} observations`,
    );
    const t1 = performance.now();
    const r = refreshOutcomes(db, { batchSize: 20_000 });
    log(`  outcomes derived in ${((performance.now() - t1) / 1000).toFixed(0)} s (${r.derived.toLocaleString('en-US')} episodes)`);
    db.$client.prepare('INSERT OR REPLACE INTO outcome_state (key, value) VALUES (?, ?)').run(DONE_KEY, String(patients));
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    db.$client.exec('ANALYZE');
  } else {
    const r = refreshOutcomes(db);
    if (r.derived > 0) log(`  refreshed ${r.derived} episodes`);
  }
  if (!outcomesPending(db).consistent) throw new Error('derived outcome tables are not consistent with the records');
  return db;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--patients');
  const n = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  const db = openPractice(n, { fresh: process.argv.includes('--fresh') });
  db.$client.close();
}
