import { z } from 'zod';
import {
  CARE_PATHS,
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  PROCEDURE_CODE_SHAPE,
  SEXES,
  TREATMENT_CATEGORIES,
} from '../../db/schema/vocabulary.ts';
import { privacyFor } from '../auth/privacy.ts';
import { parseIsoDate } from '../domain/dates.ts';
import { AGE_BAND_LABELS, GROUPINGS, type OutcomeFilters } from '../services/outcomes/filters.ts';
import { filterOptions } from '../services/outcomes/options.ts';
import { patientList, patientTimeline } from '../services/outcomes/patients.ts';
import { currentDefinitions, DENOMINATORS, OUTCOME_MEASURES, RESPONDER_DEFINITIONS } from '../services/outcomes/query.ts';
import { complicationFigures, opioidFigures } from '../services/outcomes/safety.ts';
import { outcomeBreakdown, outcomeDistribution, outcomeTrajectory } from '../services/outcomes/summary.ts';
import { allow, procedure, router } from '../trpc.ts';
import { IsoDate, practiceFilters } from './inputs.ts';

export { MAX_RANGE_YEARS } from './inputs.ts';

const Filters = practiceFilters();

/**
 * The Outcomes page (../shared/spec/domain.md; roles.md). Aggregates for every
 * role, with small cells suppressed for practice managers and researchers
 * (privacyFor); the patient list and timeline for physicians (their own
 * episodes) and administrators, audited. Thin: validate, call the service,
 * return its explicitly typed answer. Computation: server/services/outcomes/,
 * docs/decisions/007-outcome-queries.md.
 */


const Measure = z.enum(OUTCOME_MEASURES).default('pain_nrs');
const Window = z.enum(FOLLOW_UP_WINDOW_NAMES as ['w2', 'w6', 'm3', 'm6', 'm12']).default('m3');
const Definition = z.enum(RESPONDER_DEFINITIONS).default('pct30');
const Denominator = z.enum(DENOMINATORS).default('complete_case');
const Grouping = z.enum(GROUPINGS);

const OutcomeInput = z.object({ measure: Measure, window: Window, definition: Definition, denominator: Denominator, filters: Filters }).default({
  measure: 'pain_nrs',
  window: 'm3',
  definition: 'pct30',
  denominator: 'complete_case',
  filters: { carePath: null, conditions: [], categories: [], codes: [], providers: [], sites: [], ageBands: [], sexes: [], from: null, to: null },
});

/** Keyset position in the patient list: the last row of the previous page. */
const Cursor = z.object({ indexDate: IsoDate, episodeId: z.number().int().positive() });

const aggregates = allow.signedIn;
const patientLevel = allow.roles('physician', 'admin');

const filtersOf = (f: z.infer<typeof Filters>): OutcomeFilters => f as OutcomeFilters;

export const outcomesRouter = router({
  /** The tiles: change, response and follow-up completeness at the window, by care path and overall. */
  summary: procedure(aggregates)
    .input(OutcomeInput)
    .query(({ ctx, input }) => outcomeBreakdown({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, { ...input, filters: filtersOf(input.filters), by: 'care_path' })),

  /** The same figures per group of `by` (the table by category, by condition, ...). */
  table: procedure(aggregates)
    .input(z.object({ query: OutcomeInput, by: Grouping.default('category') }).default({ query: OutcomeInput.parse(undefined), by: 'category' }))
    .query(({ ctx, input }) =>
      outcomeBreakdown({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, { ...input.query, filters: filtersOf(input.query.filters), by: input.by }),
    ),

  /** Responder rates with Wilson intervals per group (treatment category by default). */
  responders: procedure(aggregates)
    .input(z.object({ query: OutcomeInput, by: Grouping.default('category') }).default({ query: OutcomeInput.parse(undefined), by: 'category' }))
    .query(async ({ ctx, input }) => {
      const b = await outcomeBreakdown({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, { ...input.query, filters: filtersOf(input.query.filters), by: input.by });
      const slim = (g: (typeof b.groups)[number]) => ({
        key: g.key,
        label: g.label,
        episodes: g.episodes,
        withBaseline: g.withBaseline,
        complete: g.complete,
        followUp: g.followUp,
        responders: g.responders,
      });
      return {
        measure: b.measure,
        window: b.window,
        definition: b.definition,
        denominator: b.denominator,
        by: b.by,
        respondersApply: b.respondersApply,
        groups: b.groups.map(slim),
        overall: slim(b.overall),
        withheld: b.withheld,
        updating: b.updating,
        version: b.version,
      };
    }),

  /** Mean change with its 95 % CI at every window, per care path (or `by`). */
  trajectory: procedure(aggregates)
    .input(
      z
        .object({ measure: Measure, definition: Definition, filters: Filters, by: Grouping.default('care_path') })
        .default({ measure: 'pain_nrs', definition: 'pct30', filters: OutcomeInput.parse(undefined).filters, by: 'care_path' }),
    )
    .query(({ ctx, input }) =>
      outcomeTrajectory({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, { ...input, filters: filtersOf(input.filters) }, currentDefinitions(ctx.db).windows),
    ),

  /** Histogram of change at the window (complete cases), per care path (or `by`). */
  distribution: procedure(aggregates)
    .input(
      z
        .object({ measure: Measure, window: Window, definition: Definition, filters: Filters, by: Grouping.default('care_path') })
        .default({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: OutcomeInput.parse(undefined).filters, by: 'care_path' }),
    )
    .query(({ ctx, input }) => outcomeDistribution({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, { ...input, filters: filtersOf(input.filters) })),

  /** Opioid use: on opioids at baseline and at the window, MME change, reduced by half, stopped. */
  opioids: procedure(aggregates)
    .input(
      z
        .object({ window: Window, denominator: Denominator, filters: Filters, by: Grouping.default('care_path') })
        .default({ window: 'm3', denominator: 'complete_case', filters: OutcomeInput.parse(undefined).filters, by: 'care_path' }),
    )
    .query(({ ctx, input }) => opioidFigures({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, { ...input, filters: filtersOf(input.filters) })),

  /** Complication rates (minor, major) per treatment, by category and by care path. */
  complications: procedure(aggregates)
    .input(z.object({ filters: Filters }).default({ filters: OutcomeInput.parse(undefined).filters }))
    .query(({ ctx, input }) => complicationFigures({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics }, filtersOf(input.filters))),

  /** What the filters can offer: providers, sites, categories, conditions and codes present; measures, windows, definitions. */
  filterOptions: procedure(aggregates).query(({ ctx }) => filterOptions({ db: ctx.db, privacy: privacyFor(ctx), analytics: ctx.analytics })),

  /** The episodes of a selected group, newest first, within the caller's patient scope. Patient-level: audited. */
  patients: procedure(patientLevel)
    .input(
      z.object({
        measure: Measure,
        window: Window,
        definition: Definition,
        filters: Filters,
        group: z.object({ by: Grouping, key: z.string().max(40).nullable() }).optional(),
        limit: z.number().int().min(1).max(100).default(50),
        after: Cursor.optional(),
        /** The same as `after`, under the name tRPC's infinite queries give the page parameter (the page's "Show more"). */
        cursor: Cursor.nullish(),
      }),
    )
    .query(({ ctx, input }) => {
      const { cursor, after, ...rest } = input;
      return patientList(ctx, { ...rest, after: after ?? cursor ?? undefined, filters: filtersOf(input.filters) });
    }),

  /** One episode's scores and treatments; NOT_FOUND outside the caller's scope. Patient-level: audited. */
  patientTimeline: procedure(patientLevel)
    .input(z.object({ episodeId: z.number().int().positive().max(2 ** 40) }))
    .query(({ ctx, input }) => patientTimeline(ctx, input.episodeId)),
});
