import { sql, type SQL } from 'drizzle-orm';
import { check, index, integer, real, sqliteTable, text, uniqueIndex, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { episodes } from './care.ts';
import { imports } from './imports.ts';
import { patients } from './patients.ts';
import { isoDate } from './util.ts';
import { MEASURE_NAMES } from './vocabulary.ts';

/** `column = 'a' OR column = 'b' ...`: oneOf's rule, cheaper to evaluate in a CHECK on a big table. */
function anyOf(column: SQLiteColumn, values: readonly string[]): SQL {
  return sql`(${sql.raw(values.map((v) => `"observations"."${column.name}" = '${v.replace(/'/g, "''")}'`).join(' OR '))})`;
}

/**
 * A patient-reported outcome or opioid dose on one day. One value per patient,
 * measure and day: that triple is the row's natural key, so re-importing a file
 * without observation ids is idempotent. `key` is the practice's
 * observation_id when it sent one.
 */
export const observations = sqliteTable(
  'observations',
  {
    id: integer('id').primaryKey(),
    key: text('key'),
    patientId: integer('patient_id')
      .notNull()
      .references(() => patients.id),
    episodeId: integer('episode_id').references(() => episodes.id),
    /** 1 when the episode was matched by date (no episode_id in the file): re-matched when episodes change. */
    episodeByDate: integer('episode_by_date').notNull().default(0),
    date: text('date').notNull(),
    measure: text('measure', { enum: MEASURE_NAMES as [string, ...string[]] }).notNull(),
    value: real('value').notNull(),
    importId: integer('import_id').references(() => imports.id),
  },
  (t) => [
    check('observations_date_iso', isoDate(t.date)),
    // An OR chain, not `measure IN (...)`: SQLite evaluates a CHECK's IN list at
    // about 0.45 us per row (a third of a bulk insert into this table; measured
    // in docs/decisions/003-import-design.md), an OR chain of five at 0.03 us.
    // Same rule, same NULL handling.
    check('observations_measure_enum', anyOf(t.measure, MEASURE_NAMES)),
    check(
      'observations_value_range',
      sql`CASE ${t.measure}
        WHEN 'pain_nrs' THEN ${t.value} BETWEEN 0 AND 10
        WHEN 'odi' THEN ${t.value} BETWEEN 0 AND 100
        WHEN 'promis_pi' THEN ${t.value} BETWEEN 20 AND 80
        WHEN 'promis_pf' THEN ${t.value} BETWEEN 20 AND 80
        WHEN 'mme' THEN ${t.value} >= 0
        ELSE 0 END`,
    ),
    uniqueIndex('observations_natural_key').on(t.patientId, t.measure, t.date),
    uniqueIndex('observations_key_unique').on(t.key).where(sql`${t.key} IS NOT NULL`),
    index('observations_episode_idx').on(t.episodeId),
  ],
);
