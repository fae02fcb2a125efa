import { sql } from 'drizzle-orm';
import { check, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { imports } from './imports.ts';
import { isoDate, oneOf } from './util.ts';
import { SEXES } from './vocabulary.ts';

/**
 * A patient. `mrn` is the practice's patient_id (a medical record number: PHI);
 * every other table refers to the surrogate `id`, which never leaves the server
 * in a de-identified export.
 */
export const patients = sqliteTable(
  'patients',
  {
    id: integer('id').primaryKey(),
    mrn: text('mrn').notNull().unique(),
    birthDate: text('birth_date').notNull(),
    sex: text('sex', { enum: SEXES }).notNull(),
    zip: text('zip'),
    importId: integer('import_id').references(() => imports.id),
  },
  (t) => [
    check('patients_birth_date_iso', isoDate(t.birthDate)),
    check('patients_sex_enum', oneOf(t.sex, SEXES)),
    check('patients_zip_5_digits', sql`${t.zip} IS NULL OR ${t.zip} GLOB '[0-9][0-9][0-9][0-9][0-9]'`),
  ],
);
