import { z } from 'zod';
import { CARE_PATHS, CONDITION_GROUP_NAMES, FOLLOW_UP_WINDOW_NAMES, PROCEDURE_CODE_SHAPE, SEXES, TREATMENT_CATEGORIES } from '../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../domain/dates.ts';
import { PERIODS, UNITS, VOLUME_GROUPINGS } from '../services/operations/aggregate.ts';
import { calendar, codeOptions, comparison, flaggedEpisodes, flaggedEpisodesCsv, followUp, mix, movers, repeats, volume } from '../services/operations/service.ts';
import { FLAG_NAMES } from '../services/operations/store.ts';
import { AGE_BAND_LABELS, type OutcomeFilters } from '../services/outcomes/filters.ts';
import { OUTCOME_MEASURES } from '../services/outcomes/query.ts';
import { allow, procedure, router } from '../trpc.ts';
import { IsoDate, NO_PRACTICE_FILTERS, practiceFilters } from './inputs.ts';

/**
 * The Operations page (issue 6; ../shared/spec/domain.md "Operations";
 * roles.md). Aggregates for every signed-in role: procedure volume follows
 * roles.md's "procedure volume, by provider and site" row (physicians their
 * own figures and practice totals, researchers suppressed), follow-up and
 * responder figures its "outcome aggregates" row (suppressed for managers
 * and researchers). The flagged-episode list is patient-level: physicians
 * (own episodes) and admins, audited. Work: server/services/operations/,
 * docs/decisions/010-operations.md.
 */

const Filters = practiceFilters('');

const filtersOf = (f: z.infer<typeof Filters>): OutcomeFilters => f as OutcomeFilters;

const Period = z.enum(PERIODS).default('month');
const Unit = z.enum(UNITS).default('sessions');
const Measure = z.enum(OUTCOME_MEASURES).default('pain_nrs');
const Window = z.enum(FOLLOW_UP_WINDOW_NAMES as ['w2', 'w6', 'm3', 'm6', 'm12']).default('m3');
const Definition = z.enum(FLAG_NAMES).default('pct30');
const FollowUpInput = z
  .object({
    filters: Filters,
    measure: Measure,
    window: Window,
    definition: Definition,
    by: z.enum(['provider', 'site']).default('provider'),
    period: z.enum(['month', 'quarter']).default('quarter'),
  })
  .default({ filters: NO_PRACTICE_FILTERS, measure: 'pain_nrs', window: 'm3', definition: 'pct30', by: 'provider', period: 'quarter' });

const aggregates = allow.signedIn;
const patientLevel = allow.roles('physician', 'admin');

export const operationsRouter = router({
  /** The CPT filter's choices: every code on a procedure line (add-on codes included), with its description. */
  codeOptions: procedure(aggregates).query(({ ctx }) => codeOptions(ctx)),

  /** Procedure volume per day, week, month or quarter, by family, code, category, provider, site or care path; period-over-period and year-over-year change. */
  volume: procedure(aggregates)
    .input(
      z
        .object({ filters: Filters, period: Period, by: z.enum(VOLUME_GROUPINGS).default('family'), unit: Unit })
        .default({ filters: NO_PRACTICE_FILTERS, period: 'month', by: 'family', unit: 'sessions' }),
    )
    .query(({ ctx, input }) => volume(ctx, { ...input, filters: filtersOf(input.filters) })),

  /** Procedure sessions per day of one calendar year (the heatmap). */
  calendar: procedure(aggregates)
    .input(z.object({ filters: Filters, year: z.number().int().min(1900).max(2199).nullable().default(null) }).default({ filters: NO_PRACTICE_FILTERS, year: null }))
    .query(({ ctx, input }) => calendar(ctx, { ...input, filters: filtersOf(input.filters) })),

  /** Codes, providers, sites and procedure types whose volume changed most in the latest period. */
  movers: procedure(aggregates)
    .input(z.object({ filters: Filters, period: Period, unit: Unit }).default({ filters: NO_PRACTICE_FILTERS, period: 'month', unit: 'sessions' }))
    .query(({ ctx, input }) => movers(ctx, { ...input, filters: filtersOf(input.filters) })),

  /** Episodes by index month or quarter and care path: the interventional share over time. */
  mix: procedure(aggregates)
    .input(z.object({ filters: Filters, period: z.enum(['month', 'quarter']).default('quarter') }).default({ filters: NO_PRACTICE_FILTERS, period: 'quarter' }))
    .query(({ ctx, input }) => mix(ctx, { ...input, filters: filtersOf(input.filters) })),

  /** Repeat intervals and rates, ESI sessions beyond 4 per region in a rolling 12 months, MBB -> RFA conversion. */
  repeats: procedure(aggregates)
    .input(z.object({ filters: Filters }).default({ filters: NO_PRACTICE_FILTERS }))
    .query(({ ctx, input }) => repeats(ctx, { filters: filtersOf(input.filters) })),

  /** The episodes with a flagged ESI session, newest first, within the caller's scope. Patient-level: audited. */
  flaggedEpisodes: procedure(patientLevel)
    .input(
      z.object({
        filters: Filters,
        limit: z.number().int().min(1).max(100).default(50),
        cursor: z.object({ date: IsoDate, episodeId: z.number().int().positive() }).nullish(),
      }),
    )
    .query(({ ctx, input }) => flaggedEpisodes(ctx, { ...input, filters: filtersOf(input.filters) })),

  /** The whole flagged list as a CSV file (physicians their own episodes, admins all), audited as an identified export. */
  flaggedEpisodesCsv: procedure(patientLevel)
    .input(z.object({ filters: Filters }).default({ filters: NO_PRACTICE_FILTERS }))
    .mutation(({ ctx, input }) => flaggedEpisodesCsv(ctx, { filters: filtersOf(input.filters) })),

  /** Follow-up completion per provider or site, overall and per index-date period. */
  followUp: procedure(aggregates)
    .input(FollowUpInput)
    .query(({ ctx, input }) => followUp(ctx, { ...input, filters: filtersOf(input.filters) })),

  /** Provider or site comparison: volume, mix, follow-up completion, responder rate with its 95 % interval. */
  comparison: procedure(aggregates)
    .input(FollowUpInput)
    .query(({ ctx, input }) => comparison(ctx, { ...input, filters: filtersOf(input.filters) })),
});
