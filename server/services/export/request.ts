/**
 * What an export of a cohort contains, fixed when it is requested: the member
 * episodes (with their patients and index days, for the study ids and the
 * relative days), the definition, the data state it ran on.
 */
import type { Analytics } from '../analytics/runtime.ts';
import type { CohortDefinition } from '../cohorts/definition.ts';
import { runCohort, type CohortCtx, type CohortRun } from '../cohorts/service.ts';
import type { ExportRequest } from './job.ts';
import type { ExportFormat, ExportShape } from './tables.ts';

export type ExportOptions = {
  shape: ExportShape;
  format: ExportFormat;
  identified: boolean;
  cohort: { id: number; name: string; revision: number } | null;
  now: number;
};

/**
 * The analytic store an export's wide measure values may come from (measures.ts): the one its members were
 * found with. Kept beside the request (a ticket holds the same object), not in it: the request is plain
 * data that crosses into the export worker.
 */
const storeOf = new WeakMap<ExportRequest, Analytics>();
export function analyticsFor(request: ExportRequest): Analytics | null {
  return storeOf.get(request) ?? null;
}

export async function exportRequest(ctx: Pick<CohortCtx, 'db' | 'analytics'>, definition: CohortDefinition, opts: ExportOptions): Promise<{ request: ExportRequest; run: CohortRun }> {
  const run = await runCohort(ctx, definition);
  const request: ExportRequest = {
    shape: opts.shape,
    format: opts.format,
    identified: opts.identified,
    definition,
    cohort: opts.cohort,
    dataState: run.dataState,
    createdAt: new Date(opts.now).toISOString(),
    members: { episodeIds: run.episodeIds, patientIds: run.patientIds, indexDays: run.indexDays },
  };
  storeOf.set(request, ctx.analytics);
  return { run, request };
}
