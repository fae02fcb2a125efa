/**
 * Bulk loading for large demo practices. Keeping a dozen secondary indexes up
 * to date row by row costs SQLite about twice the rest of the insert (measured
 * with `npm run bench -- seed`); building them once from the finished tables
 * is a sort. So a large practice written into an empty database drops the
 * non-unique indexes of the three big tables first and rebuilds them at the end.
 * The unique indexes stay (the RecordStore's upserts need them), and so do the
 * indexes led by the patient or episode id: the generator writes patients in
 * order, so those keys only ever append, which costs next to nothing.
 *
 * The indexes are rebuilt from the SQL of a freshly migrated schema, not from
 * a copy held in memory, so an interrupted bulk load is repaired by the next
 * generator run (restoreIndexes runs first on every run).
 */
import { createTestDb, type Db } from '../../../db/index.ts';

const BULK_TABLES = ['episodes', 'treatments', 'observations'] as const;
const APPEND_ONLY = /^\s*CREATE\s+INDEX\s+[`"']?\w+[`"']?\s+ON\s+[`"']?\w+[`"']?\s*\(\s*[`"']?(patient_id|episode_id)\b/i;

type IndexDef = { name: string; table: string; sql: string };

function indexes(db: Db): IndexDef[] {
  return db.$client
    .prepare(
      `SELECT name, tbl_name AS "table", sql FROM sqlite_master
       WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${BULK_TABLES.map(() => '?').join(', ')})`,
    )
    .all(...BULK_TABLES) as IndexDef[];
}

let canonical: IndexDef[] | null = null;

/** The indexes the migrations create on the big tables. */
function canonicalIndexes(): IndexDef[] {
  if (!canonical) {
    const fresh = createTestDb();
    canonical = indexes(fresh);
    fresh.$client.close();
  }
  return canonical;
}

/** Drops the non-unique indexes of episodes, treatments and observations not led by patient_id or episode_id; returns their names. */
export function dropSecondaryIndexes(db: Db): string[] {
  const dropped: string[] = [];
  for (const ix of indexes(db)) {
    if (/^\s*CREATE\s+UNIQUE\b/i.test(ix.sql) || APPEND_ONLY.test(ix.sql)) continue;
    db.$client.exec(`DROP INDEX "${ix.name.replace(/"/g, '""')}"`);
    dropped.push(ix.name);
  }
  return dropped;
}

/** Creates every index of the migrated schema that the database lacks on those tables; returns their names. */
export function restoreIndexes(db: Db): string[] {
  const present = new Set(indexes(db).map((ix) => ix.name));
  const missing = canonicalIndexes().filter((ix) => !present.has(ix.name));
  if (missing.length === 0) return [];
  // Sorting millions of index entries in memory (temp_store = MEMORY, decision 002) took the
  // generator's peak RSS from 0.55 to 1.1 GB at a million patients: let the sorts spill to files.
  const previous = db.$client.pragma('temp_store', { simple: true }) as number;
  db.$client.pragma('temp_store = FILE');
  try {
    for (const ix of missing) db.$client.exec(ix.sql);
  } finally {
    db.$client.pragma(`temp_store = ${previous}`);
  }
  return missing.map((ix) => ix.name);
}
