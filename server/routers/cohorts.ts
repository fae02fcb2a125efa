import { z } from 'zod';
import { FOLLOW_UP_WINDOW_NAMES } from '../../db/schema/vocabulary.ts';
import { audit } from '../auth/log.ts';
import { privacyFor } from '../auth/privacy.ts';
import { assertIdentifiedExportAllowed } from '../auth/scope.ts';
import type { ContextInner } from '../context.ts';
import { CohortDefinition } from '../services/cohorts/definition.ts';
import {
  characteriseCohort,
  compareCohorts,
  deleteCohort,
  getCohort,
  listCohorts,
  previewFunnel,
  rerunCohort,
  saveCohort,
  type CohortCtx,
} from '../services/cohorts/service.ts';
import { EXPORT_FORMATS, EXPORT_SHAPES } from '../services/export/tables.ts';
import { exportRequest } from '../services/export/request.ts';
import { issueTicket } from '../services/export/tickets.ts';
import { DENOMINATORS, OUTCOME_MEASURES, RESPONDER_DEFINITIONS } from '../services/outcomes/query.ts';
import { allow, procedure, router } from '../trpc.ts';

/**
 * The Cohorts page (issue 7; roles.md "cohort builder", "cohort export"):
 * counts for physicians, researchers (small cells suppressed) and admins;
 * de-identified exports for the same roles; identified exports (a limited
 * data set) for admins and researchers with a data-use agreement. Thin:
 * validate, call server/services/cohorts or export, return. See
 * docs/decisions/011-cohorts-and-export.md.
 */

const builders = allow.roles('physician', 'researcher', 'admin');
const identifiedExporters = allow.roles('researcher', 'admin');

const Id = z.number().int().positive().max(2 ** 31);
const OutcomeQuery = z
  .object({
    measure: z.enum(OUTCOME_MEASURES).default('pain_nrs'),
    window: z.enum(FOLLOW_UP_WINDOW_NAMES as ['w2', 'w6', 'm3', 'm6', 'm12']).default('m3'),
    definition: z.enum(RESPONDER_DEFINITIONS).default('pct30'),
    denominator: z.enum(DENOMINATORS).default('complete_case'),
  })
  .default({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case' });
const ExportInput = z.object({
  definition: CohortDefinition,
  /** The saved cohort this export is of (named in the download and the audit), if any. */
  cohortId: Id.nullable().default(null),
  shape: z.enum(EXPORT_SHAPES).default('wide'),
  format: z.enum(EXPORT_FORMATS).default('csv'),
});

const cohortCtx = (ctx: ContextInner): CohortCtx => ({ ...ctx, privacy: privacyFor(ctx) });

async function startExport(ctx: ContextInner & { user: NonNullable<ContextInner['user']> }, input: z.infer<typeof ExportInput>, identified: boolean) {
  const c = cohortCtx(ctx);
  const cohort = input.cohortId === null ? null : getCohort(c, input.cohortId);
  const { request, run } = await exportRequest(c, input.definition, {
    shape: input.shape,
    format: input.format,
    identified,
    cohort: cohort ? { id: cohort.id, name: cohort.name, revision: cohort.revision } : null,
    now: ctx.now(),
  });
  const final = run.steps.at(-1) ?? run.start;
  const action = identified ? ('export.identified' as const) : ('export.deidentified' as const);
  audit(ctx, {
    action,
    outcome: 'success',
    target: cohort ? `cohort:${cohort.id}` : 'cohort:unsaved',
    detail: {
      shape: input.shape,
      format: input.format,
      episodes: final.episodes,
      patients: final.patients,
      criteria: input.definition.criteria.length,
      fingerprint: run.fingerprint,
      ...(cohort ? { revision: cohort.revision } : {}),
    },
  });
  const ticket = issueTicket(
    {
      userId: ctx.user.id,
      auditAction: action,
      request,
    },
    ctx.now(),
  );
  const counts = c.privacy.independent({ episodes: final.episodes, patients: final.patients });
  return { url: `/exports/${ticket.token}`, expiresAt: new Date(ticket.expiresAt).toISOString(), episodes: counts.episodes, patients: counts.patients, identified };
}

export const cohortsRouter = router({
  /** The attrition funnel of a definition: episodes and patients remaining after each criterion. */
  funnel: procedure(builders)
    .input(z.object({ definition: CohortDefinition }))
    .query(({ ctx, input }) => previewFunnel(cohortCtx(ctx), input.definition)),

  /** Saved cohorts (shared within the practice), newest first. */
  list: procedure(builders).query(({ ctx }) => listCohorts(cohortCtx(ctx))),

  byId: procedure(builders)
    .input(z.object({ id: Id }))
    .query(({ ctx, input }) => getCohort(cohortCtx(ctx), input.id)),

  /** Saves a new cohort, or (with `id`) a new revision of the caller's own. */
  save: procedure(builders)
    .input(
      z.object({
        id: Id.optional(),
        name: z.string().trim().min(1).max(120),
        description: z.string().trim().max(2000).default(''),
        definition: CohortDefinition,
      }),
    )
    .mutation(({ ctx, input }) => saveCohort(cohortCtx(ctx), input)),

  delete: procedure(builders)
    .input(z.object({ id: Id }))
    .mutation(({ ctx, input }) => deleteCohort(cohortCtx(ctx), input.id)),

  /** Runs a saved cohort again: its funnel now, and whether the data and the result equal its last run's. */
  rerun: procedure(builders)
    .input(z.object({ id: Id }))
    .query(({ ctx, input }) => rerunCohort(cohortCtx(ctx), input.id)),

  /** Table 1 by care path with SMDs, and the outcome figures by care path. */
  characterise: procedure(builders)
    .input(z.object({ definition: CohortDefinition, outcome: OutcomeQuery }))
    .query(({ ctx, input }) => characteriseCohort(cohortCtx(ctx), input.definition, input.outcome)),

  /** Two saved cohorts side by side. */
  compare: procedure(builders)
    .input(z.object({ ids: z.tuple([Id, Id]), outcome: OutcomeQuery }))
    .query(({ ctx, input }) => compareCohorts(cohortCtx(ctx), input.ids, input.outcome)),

  /** A de-identified export (Safe Harbor): audited; returns a one-time download link for the caller. */
  export: procedure(builders)
    .input(ExportInput)
    .mutation(({ ctx, input }) => startExport(ctx, input, false)),

  /** An identified export (a limited data set): admins, and researchers with a data-use agreement. Audited. */
  exportIdentified: procedure(identifiedExporters)
    .input(ExportInput)
    .mutation(({ ctx, input }) => {
      try {
        assertIdentifiedExportAllowed(ctx);
      } catch (err) {
        audit(ctx, { action: 'export.identified', outcome: 'denied', target: input.cohortId ? `cohort:${input.cohortId}` : 'cohort:unsaved', detail: { reason: 'no data-use agreement' } });
        throw err;
      }
      return startExport(ctx, input, true);
    }),
});
