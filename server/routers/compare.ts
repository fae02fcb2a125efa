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
import { bothPathFilters, NO_FILTERS } from './inputs.ts';

/** The practice filters (the Outcomes page's), without a care path: both paths are compared. */
const Filters = bothPathFilters();

/**
 * The Compare page (issue 4; ../shared/spec/domain.md "Statistics";
 * roles.md: the care-path comparison is an aggregate for every signed-in
 * role, with small cells suppressed for practice managers and researchers).
 * Thin: validate, run the analytic task in the worker (ctx.analytics), apply
 * the caller's privacy. Computation: server/services/compare/,
 * docs/decisions/009-compare.md.
 */


const CompareInput = z
  .object({
    measure: z.enum(OUTCOME_MEASURES).default('pain_nrs'),
    window: z.enum(FOLLOW_UP_WINDOW_NAMES as ['w2', 'w6', 'm3', 'm6', 'm12']).default('m3'),
    definition: z.enum(RESPONDER_DEFINITIONS).default('pct30'),
    denominator: z.enum(DENOMINATORS).default('complete_case'),
    filters: Filters,
  })
  .default({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: NO_FILTERS });

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
