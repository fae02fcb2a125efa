/**
 * What the Outcomes page's filters can offer: the practice's providers and
 * sites, and the categories, conditions and codes its episodes have. The
 * distinct values take a scan of outcome_episodes, so they are kept per
 * state of the derived tables (the change log's position moves with every
 * refresh that changed something).
 */
import {
  CARE_PATHS,
  FOLLOW_UP_WINDOWS,
  FOLLOW_UP_WINDOW_NAMES,
  MEASURES,
  SEXES,
  carePathOfCategory,
  type CarePath,
  type FollowUpWindow,
  type TreatmentCategory,
} from '../../../db/schema/vocabulary.ts';
import { AGE_BANDS } from './derive-rules.ts';
import { categoryLabel, codeLabel, conditionLabel } from './labels.ts';
import { OUTCOME_MEASURES, currentDefinitions, definitionsFor, type OutcomeMeasure, type ResponderDefinition } from './query.ts';
import { analyticsOf, type OutcomeContext } from './summary.ts';

export type FilterOptions = {
  carePaths: Array<{ value: CarePath; label: string }>;
  conditions: Array<{ value: string; label: string }>;
  categories: Array<{ value: string; label: string; carePath: CarePath }>;
  codes: Array<{ value: string; label: string }>;
  providers: Array<{ id: number; name: string; siteId: number | null }>;
  sites: Array<{ id: number; name: string }>;
  ageBands: string[];
  sexes: string[];
  measures: Array<{ value: OutcomeMeasure; label: string; unit: string; definitions: ResponderDefinition[] }>;
  windows: Array<{ value: FollowUpWindow; label: string; target: number; from: number; to: number }>;
  /** First and last index date of the practice's episodes (ISO), null when there are none. */
  firstIndexDate: string | null;
  lastIndexDate: string | null;
};

/**
 * The options: values present in the derived rows from the analytic store
 * (a scan the runner keeps per store version), names from the small
 * providers and sites tables, the index-date span from the episodes index.
 */
export async function filterOptions(ctx: OutcomeContext): Promise<FilterOptions> {
  const v = await analyticsOf(ctx).runTask('outcomes.presentValues', {});
  const db = ctx.db;
  // Two subqueries, so each is one lookup at an end of the start-date index (min and max together scan the table).
  const span = db.$client
    .prepare('SELECT (SELECT min(start_date) FROM episodes) AS first, (SELECT max(start_date) FROM episodes) AS last')
    .get() as { first: string | null; last: string | null };
  const defs = currentDefinitions(db);
  const providers = db.$client.prepare('SELECT id, name, site_id AS siteId FROM providers ORDER BY name, id').all() as FilterOptions['providers'];
  const sites = db.$client.prepare('SELECT id, name FROM sites ORDER BY name, id').all() as FilterOptions['sites'];
  const hasProvider = new Set(v.providers);
  const hasSite = new Set(v.sites);
  return {
    carePaths: CARE_PATHS.map((value) => ({ value, label: value === 'interventional' ? 'Interventional' : 'Conservative' })),
    conditions: v.conditions.map((value) => ({ value, label: conditionLabel(value) })),
    categories: v.categories.map((value) => ({ value, label: categoryLabel(value), carePath: carePathOfCategory(value as TreatmentCategory) })),
    codes: v.codes.map((value) => ({ value, label: codeLabel(value) })),
    providers: providers.filter((p) => hasProvider.has(p.id)),
    sites: sites.filter((s) => hasSite.has(s.id)),
    ageBands: AGE_BANDS.map((b) => b.label),
    sexes: [...SEXES],
    measures: OUTCOME_MEASURES.map((value) => ({ value, label: MEASURES[value].label, unit: MEASURES[value].unit, definitions: definitionsFor(value) })),
    windows: FOLLOW_UP_WINDOW_NAMES.map((value) => ({ value, label: FOLLOW_UP_WINDOWS[value].label, ...defs.windows[value] })),
    firstIndexDate: span.first,
    lastIndexDate: span.last,
  };
}
