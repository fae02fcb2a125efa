import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { imports } from './imports.ts';

/** A clinic location. `key` is the practice's own site_id. */
export const sites = sqliteTable(
  'sites',
  {
    id: integer('id').primaryKey(),
    key: text('key').notNull().unique(),
    name: text('name').notNull(),
    importId: integer('import_id').references(() => imports.id),
  },
  (t) => [check('sites_name_nonempty', sql`length(${t.name}) > 0`)],
);

/** A clinician. `key` is the practice's own provider_id. */
export const providers = sqliteTable(
  'providers',
  {
    id: integer('id').primaryKey(),
    key: text('key').notNull().unique(),
    name: text('name').notNull(),
    specialty: text('specialty'),
    siteId: integer('site_id').references(() => sites.id),
    importId: integer('import_id').references(() => imports.id),
  },
  (t) => [check('providers_name_nonempty', sql`length(${t.name}) > 0`), index('providers_site_idx').on(t.siteId)],
);
