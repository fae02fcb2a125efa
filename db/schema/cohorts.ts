import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from './auth.ts';

/**
 * A saved cohort definition (issue 7): a name, a description and the criteria
 * as a versioned JSON document (server/services/cohorts/definition.ts,
 * `schemaVersion` inside the document). Every save of an existing cohort
 * increments `revision`, so a link to "cohort 12, revision 3" keeps meaning
 * the same criteria.
 *
 * `last_run` records what the definition matched when it was last saved or
 * re-run, and the state of the data it ran against (outcome change-log
 * position, last import, derivation version): re-running on the same state
 * must give the same episodes (the fingerprint is a hash of their ids), and a
 * later state says the data changed since. No patient data is stored here:
 * counts and a hash only.
 */
export const cohorts = sqliteTable(
  'cohorts',
  {
    id: integer('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** The CohortDefinition JSON document. */
    definition: text('definition').notNull(),
    revision: integer('revision').notNull().default(1),
    createdBy: integer('created_by').references(() => users.id),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    /** JSON: { dataState, episodes, patients, fingerprint, at } of the last run. */
    lastRun: text('last_run'),
  },
  (t) => [
    check('cohorts_name_length', sql`length(${t.name}) BETWEEN 1 AND 120`),
    check('cohorts_description_length', sql`length(${t.description}) <= 2000`),
    check('cohorts_definition_json', sql`json_valid(${t.definition})`),
    check('cohorts_revision_positive', sql`${t.revision} >= 1`),
    index('cohorts_updated_idx').on(t.updatedAt),
  ],
);
