import { z } from 'zod';
import {
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  PROCEDURE_CODE_SHAPE,
  SEXES,
  TREATMENT_CATEGORIES,
} from '../../db/schema/vocabulary.ts';
import { privacyFor } from '../auth/privacy.ts';
import { parseIsoDate } from '../domain/dates.ts';
import { presentAdjusted, presentCrude, presentDurability, presentMatched, presentSubgroups } from '../services/compare/present.ts';
import type { CompareTaskInput } from '../services/compare/tasks.ts';
import { AGE_BAND_LABELS, type OutcomeFilters } from '../services/outcomes/filters.ts';
import { definitionApplies, DENOMINATORS, OUTCOME_MEASURES, RESPONDER_DEFINITIONS } from '../services/outcomes/query.ts';
import { allow, procedure, router } from '../trpc.ts';
import { MAX_RANGE_YEARS } from './outcomes.ts';

/**
 * The Compare page (issue 4; ../shared/spec/domain.md "Statistics";
 * roles.md: the care-path comparison is an aggregate for every signed-in
 * role, with small cells suppressed for practice managers and researchers).
 * Thin: validate, run the analytic task in the worker (ctx.analytics), apply
 * the caller's privacy. Computation: server/services/compare/,
 * docs/decisions/009-compare.md.
 */

const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => parseIsoDate(s) !== null, 'not a calendar date');

const DEFAULT_FILTERS = { conditions: [], categories: [], codes: [], providers: [], sites: [], ageBands: [], sexes: [], from: null, to: null };

/** The practice filters (the Outcomes page's), without a care path: both paths are compared. */
const Filters = z
  .object({
    conditions: z.array(z.enum(CONDITION_GROUP_NAMES)).max(CONDITION_GROUP_NAMES.length).default([]),
    categories: z.array(z.enum(TREATMENT_CATEGORIES)).max(TREATMENT_CATEGORIES.length).default([]),
    codes: z.array(z.string().regex(PROCEDURE_CODE_SHAPE, 'a CPT or HCPCS code')).max(50).default([]),
    providers: z.array(z.number().int().positive().max(2 ** 31)).max(100).default([]),
    sites: z.array(z.number().int().positive().max(2 ** 31)).max(100).default([]),
    ageBands: z.array(z.enum(AGE_BAND_LABELS as [string, ...string[]])).max(AGE_BAND_LABELS.length).default([]),
    sexes: z.array(z.enum(SEXES)).max(SEXES.length).default([]),
    from: IsoDate.nullable().default(null),
    to: IsoDate.nullable().default(null),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'the range ends before it starts', path: ['to'] })
  .refine((f) => !f.from || !f.to || parseIsoDate(f.to)! - parseIsoDate(f.from)! <= MAX_RANGE_YEARS * 366, {
    message: `at most ${MAX_RANGE_YEARS} years of index dates`,
    path: ['to'],
  })
  .default(DEFAULT_FILTERS);

const CompareInput = z
  .object({
    measure: z.enum(OUTCOME_MEASURES).default('pain_nrs'),
    window: z.enum(FOLLOW_UP_WINDOW_NAMES as ['w2', 'w6', 'm3', 'm6', 'm12']).default('m3'),
    definition: z.enum(RESPONDER_DEFINITIONS).default('pct30'),
    denominator: z.enum(DENOMINATORS).default('complete_case'),
    filters: Filters,
  })
  .default({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: DEFAULT_FILTERS });

type Input = z.infer<typeof CompareInput>;
const taskInput = (i: Input): CompareTaskInput => ({
  measure: i.measure,
  window: i.window,
  definition: i.definition,
  denominator: i.denominator,
  filters: { ...(i.filters as OutcomeFilters), carePath: null },
});

const aggregates = allow.signedIn;

export const compareRouter = router({
  /** Crude comparison at the window: difference in mean change (Welch), Hedges g, ANCOVA, responders (RD, RR, NNT), complications. */
  crude: procedure(aggregates)
    .input(CompareInput)
    .query(async ({ ctx, input }) => {
      const c = await ctx.analytics.runTask('compare.crude', taskInput(input));
      return {
        measure: input.measure, window: input.window, definition: input.definition, denominator: input.denominator,
        respondersApply: definitionApplies(input.measure, input.definition),
        suppressed: privacyFor(ctx).suppress,
        ...presentCrude(c, privacyFor(ctx)),
      };
    }),

  /** Adjusted comparison (propensity weighting, doubly robust), subgroups (forest plot) and durability (Kaplan-Meier). */
  adjusted: procedure(aggregates)
    .input(CompareInput)
    .query(async ({ ctx, input }) => {
      const f = await ctx.analytics.runTask('compare.full', taskInput(input));
      const p = privacyFor(ctx);
      return {
        measure: input.measure, window: input.window, definition: input.definition,
        respondersApply: definitionApplies(input.measure, input.definition),
        adjusted: presentAdjusted(f.adjusted, p),
        subgroups: presentSubgroups(f.subgroups, p),
        durability: presentDurability(f.durability, p),
      };
    }),

  /** The second method: 1:1 nearest-neighbour matching on the propensity score with a caliper, and its balance table. */
  matched: procedure(aggregates)
    .input(z.object({ query: CompareInput, caliperSd: z.number().min(0.05).max(1).default(0.2) }).default({ query: CompareInput.parse(undefined), caliperSd: 0.2 }))
    .query(async ({ ctx, input }) => {
      const m = await ctx.analytics.runTask('compare.matched', { ...taskInput(input.query), caliperSd: input.caliperSd });
      return { matched: m ? presentMatched(m, privacyFor(ctx)) : null };
    }),
});
