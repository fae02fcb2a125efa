import { sql } from 'drizzle-orm';
import { check, index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { imports } from './imports.ts';
import { patients } from './patients.ts';
import { providers, sites } from './practice.ts';
import { isoDate, oneOf } from './util.ts';
import {
  CARE_PATHS,
  COMPLICATIONS,
  CONDITION_GROUP_NAMES,
  LATERALITIES,
  REGIONS,
  TREATMENT_CATEGORIES,
} from './vocabulary.ts';

/**
 * An episode of care: one course of treatment for one condition, starting on
 * its index date (`start_date`). `condition_group` is derived from the ICD-10-CM
 * code at write time (vocabulary.conditionGroupOf) so reports can group by it.
 */
export const episodes = sqliteTable(
  'episodes',
  {
    id: integer('id').primaryKey(),
    key: text('key').notNull().unique(),
    patientId: integer('patient_id')
      .notNull()
      .references(() => patients.id),
    carePath: text('care_path', { enum: CARE_PATHS }).notNull(),
    conditionCode: text('condition_code').notNull(),
    conditionGroup: text('condition_group', { enum: CONDITION_GROUP_NAMES as [string, ...string[]] }).notNull(),
    region: text('region', { enum: REGIONS }),
    providerId: integer('provider_id')
      .notNull()
      .references(() => providers.id),
    siteId: integer('site_id')
      .notNull()
      .references(() => sites.id),
    startDate: text('start_date').notNull(),
    painDurationMonths: real('pain_duration_months'),
    importId: integer('import_id').references(() => imports.id),
  },
  (t) => [
    check('episodes_care_path_enum', oneOf(t.carePath, CARE_PATHS)),
    check('episodes_condition_group_enum', oneOf(t.conditionGroup, CONDITION_GROUP_NAMES)),
    check('episodes_region_enum', sql`${t.region} IS NULL OR ${oneOf(t.region, REGIONS)}`),
    check('episodes_start_date_iso', isoDate(t.startDate)),
    check('episodes_pain_duration_nonneg', sql`${t.painDurationMonths} IS NULL OR ${t.painDurationMonths} >= 0`),
    index('episodes_patient_idx').on(t.patientId, t.startDate),
    index('episodes_start_idx').on(t.startDate),
    index('episodes_provider_idx').on(t.providerId, t.startDate),
    index('episodes_site_idx').on(t.siteId, t.startDate),
    index('episodes_condition_idx').on(t.conditionGroup, t.carePath),
  ],
);

/** A treatment given within an episode: a procedure or a conservative therapy. */
export const treatments = sqliteTable(
  'treatments',
  {
    id: integer('id').primaryKey(),
    key: text('key').notNull().unique(),
    episodeId: integer('episode_id')
      .notNull()
      .references(() => episodes.id),
    date: text('date').notNull(),
    category: text('category', { enum: TREATMENT_CATEGORIES }).notNull(),
    code: text('code'),
    laterality: text('laterality', { enum: LATERALITIES }),
    providerId: integer('provider_id').references(() => providers.id),
    complication: text('complication', { enum: COMPLICATIONS }),
    importId: integer('import_id').references(() => imports.id),
  },
  (t) => [
    check('treatments_date_iso', isoDate(t.date)),
    check('treatments_category_enum', oneOf(t.category, TREATMENT_CATEGORIES)),
    check('treatments_laterality_enum', sql`${t.laterality} IS NULL OR ${oneOf(t.laterality, LATERALITIES)}`),
    check('treatments_complication_enum', sql`${t.complication} IS NULL OR ${oneOf(t.complication, COMPLICATIONS)}`),
    index('treatments_episode_idx').on(t.episodeId, t.date),
    index('treatments_date_idx').on(t.date, t.category),
    index('treatments_code_idx').on(t.code, t.date),
    index('treatments_provider_idx').on(t.providerId, t.date),
  ],
);
