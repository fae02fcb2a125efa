import { integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { CARE_PATHS, CONDITION_GROUP_NAMES, MEASURE_NAMES, REGIONS, SEXES, TREATMENT_CATEGORIES, type FollowUpWindow } from './vocabulary.ts';

/**
 * Derived outcome tables: what the Outcomes, Compare and Operations pages read
 * instead of the raw observations. They are a function of the records (patients,
 * episodes, treatments, observations) and nothing else; every row is written by
 * server/services/outcomes/ and kept consistent by the queue and id marks
 * below. See docs/decisions/005-derived-outcomes.md.
 *
 * No foreign keys on purpose: deleting an episode must not be blocked by its
 * derived rows, and the refresh removes them in the same pass that notices the
 * deletion. Day offsets are whole days relative to the episode's index date
 * (negative before it); `index_day` is days since 1970-01-01.
 */

const enumText = <const T extends readonly [string, ...string[]]>(name: string, values: T) => text(name, { enum: values });
const CONDITIONS = CONDITION_GROUP_NAMES as [string, ...string[]];
const MEASURES = MEASURE_NAMES as [string, ...string[]];

/** Grouping and filtering facts of an episode, repeated on every derived row so that aggregations need no join. */
const dimensions = () => ({
  indexDay: integer('index_day').notNull(),
  /** Calendar periods of the index date: 202403, 20241 (year and quarter), 2024. */
  indexMonth: integer('index_month').notNull(),
  indexQuarter: integer('index_quarter').notNull(),
  indexYear: integer('index_year').notNull(),
  carePath: enumText('care_path', CARE_PATHS).notNull(),
  /** The primary treatment's category and code (derive-rules.ts, PRIMARY_TREATMENT); null when the episode has no treatment. */
  category: enumText('category', TREATMENT_CATEGORIES),
  code: text('code'),
  cptFamily: text('cpt_family'),
  conditionGroup: enumText('condition_group', CONDITIONS).notNull(),
  region: enumText('region', REGIONS),
  providerId: integer('provider_id').notNull(),
  siteId: integer('site_id').notNull(),
  ageBand: text('age_band').notNull(),
  sex: enumText('sex', SEXES).notNull(),
});

/** One row per episode. */
export const outcomeEpisodes = sqliteTable('outcome_episodes', {
  episodeId: integer('episode_id').primaryKey(),
  patientId: integer('patient_id').notNull(),
  indexDate: text('index_date').notNull(),
  ...dimensions(),
  conditionCode: text('condition_code').notNull(),
  /** Whole years on the index date. */
  age: integer('age').notNull(),
  painDurationMonths: real('pain_duration_months'),
  /** 1 when pain lasted more than 3 months before the index date, 0 when not, null when unknown. */
  chronic: integer('chronic'),
  /** Day of the primary treatment. */
  primaryDay: integer('primary_day'),
  /** Interventional procedure sessions (distinct days) of the same patient before the index date, any episode. */
  priorProcedures: integer('prior_procedures').notNull(),
  treatments: integer('treatments').notNull(),
  /** Interventional treatment rows of the episode, and the distinct days they were given on. */
  procedures: integer('procedures').notNull(),
  procedureSessions: integer('procedure_sessions').notNull(),
  /** First repeat procedure for the same patient and region after the primary one (derive-rules.ts, REPEAT_PROCEDURE). */
  repeatDay: integer('repeat_day'),
  complicationsMinor: integer('complications_minor').notNull(),
  complicationsMajor: integer('complications_major').notNull(),
  /** Last observation of any measure inside the follow-up windows: where an episode without an event is censored. */
  lastFollowUpDay: integer('last_follow_up_day'),
});

/**
 * The columns of one follow-up window: the observation nearest the target day
 * (the earlier on a tie), its change from baseline (positive = better) and the
 * responder flags of the spec with their default thresholds. A flag is null
 * when there is no baseline or no follow-up, or when the spec does not define
 * that response for the measure (derive-rules.ts, RESPONDER_RULES).
 */
const windowColumns = <W extends FollowUpWindow>(w: W) =>
  ({
    [`${w}Value`]: real(`${w}_value`),
    [`${w}Day`]: integer(`${w}_day`),
    [`${w}Change`]: real(`${w}_change`),
    [`${w}Pct30`]: integer(`${w}_pct30`),
    [`${w}Pct50`]: integer(`${w}_pct50`),
    [`${w}Mcid`]: integer(`${w}_mcid`),
    [`${w}PainFree`]: integer(`${w}_pain_free`),
    [`${w}Stopped`]: integer(`${w}_stopped`),
  }) as {
    [K in `${W}Value` | `${W}Change`]: ReturnType<typeof real>;
  } & {
    [K in `${W}Day` | `${W}Pct30` | `${W}Pct50` | `${W}Mcid` | `${W}PainFree` | `${W}Stopped`]: ReturnType<typeof integer>;
  };

/**
 * One row per episode and measure that has at least one observation in the
 * baseline period or a follow-up window.
 *
 * `id` is measureKey(measure, episode_id): the measure's number times 2^40 plus
 * the episode id. As the rowid it clusters the table by measure, then episode
 * (what WITHOUT ROWID with that primary key would do, which drizzle-kit cannot
 * declare): a page reads one measure as one contiguous range, and a refresh
 * finds an episode's rows by key.
 */
export const outcomeMeasures = sqliteTable(
  'outcome_measures',
  {
    id: integer('id').primaryKey(),
    measure: enumText('measure', MEASURES).notNull(),
    episodeId: integer('episode_id').notNull(),
    ...dimensions(),
    /** Last observation in the baseline period; its day is 0 or negative. */
    baselineValue: real('baseline_value'),
    baselineDay: integer('baseline_day'),
    ...windowColumns('w2'),
    ...windowColumns('w6'),
    ...windowColumns('m3'),
    ...windowColumns('m6'),
    ...windowColumns('m12'),
    /** Durability (pain NRS only): first follow-up with a >= 30 % reduction, then the first later one without. */
    responseDay: integer('response_day'),
    lossDay: integer('loss_day'),
    /** Last follow-up observation of this measure (censoring). */
    lastFollowUpDay: integer('last_follow_up_day'),
  },
);

/**
 * Episodes whose derived rows may be stale: filled by triggers on updates and
 * deletes and by the refresh from the id marks; drained by refreshOutcomes.
 */
export const outcomeQueue = sqliteTable('outcome_queue', {
  episodeId: integer('episode_id').primaryKey(),
});

/**
 * For episodes, treatments and observations: the highest row id the refresh has
 * already taken into account. Rows above it are new and not yet derived.
 */
export const outcomeMarks = sqliteTable('outcome_marks', {
  source: text('source', { enum: ['episodes', 'treatments', 'observations'] }).primaryKey(),
  lastId: integer('last_id').notNull(),
});

/** The measure's number in outcome_measures keys: its position in MEASURE_NAMES, from 1. */
export function measureNumber(measure: string): number {
  const i = MEASURE_NAMES.indexOf(measure as (typeof MEASURE_NAMES)[number]);
  if (i < 0) throw new Error(`unknown measure ${measure}`);
  return i + 1;
}
/** Episode ids stay below 2^40 (a trillion), so the key keeps measure and episode apart. */
export const MEASURE_KEY_FACTOR = 2 ** 40;
export const measureKey = (measure: string, episodeId: number): number => measureNumber(measure) * MEASURE_KEY_FACTOR + episodeId;
/** The id range holding one measure's rows: `WHERE id BETWEEN lo AND hi` reads them as one contiguous range. */
export const measureIdRange = (measure: string): [lo: number, hi: number] => [
  measureNumber(measure) * MEASURE_KEY_FACTOR,
  (measureNumber(measure) + 1) * MEASURE_KEY_FACTOR - 1,
];

/**
 * The episodes each refresh batch re-derived, in order: what a cache of the
 * derived rows (e.g. columns kept in memory by a query service) reads to stay
 * exact without reloading everything. Trimmed from the front; see
 * outcomeChangesSince in server/services/outcomes/refresh.ts.
 */
export const outcomeChanges = sqliteTable('outcome_changes', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  episodeId: integer('episode_id').notNull(),
});

/** Key-value state of the derivation: the version and definitions the rows were derived with. */
export const outcomeState = sqliteTable('outcome_state', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
