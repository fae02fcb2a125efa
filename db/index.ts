import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema/index.ts';

export { schema };
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Opens (creating if need be) the database at `path` (":memory:" for tests) with
 * the pragmas this product relies on. See docs/decisions/002-sqlite-durability.md:
 * WAL with synchronous=FULL, so a committed import batch survives power loss.
 */
export function createDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -131072'); // 128 MiB page cache
  sqlite.pragma('temp_store = MEMORY');
  return drizzle({ client: sqlite, schema }) as Db;
}

/** Applies the committed drizzle-kit migrations; safe to call on every start. */
export function migrateDb(db: Db): void {
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

/** A fresh, migrated in-memory database: what every test starts from. */
export function createTestDb(): Db {
  const db = createDb(':memory:');
  migrateDb(db);
  return db;
}
