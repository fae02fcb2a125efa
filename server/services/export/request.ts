/**
 * What an export of a cohort contains, fixed when it is requested: the member
 * episodes (with their patients and index days, for the study ids and the
 * relative days), the definition, the data state it ran on.
 */
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

export async function exportRequest(ctx: Pick<CohortCtx, 'db' | 'analytics'>, definition: CohortDefinition, opts: ExportOptions): Promise<{ request: ExportRequest; run: CohortRun }> {
  const run = await runCohort(ctx, definition);
  return {
    run,
    request: {
      shape: opts.shape,
      format: opts.format,
      identified: opts.identified,
      definition,
      cohort: opts.cohort,
      dataState: run.dataState,
      createdAt: new Date(opts.now).toISOString(),
      members: { episodeIds: run.episodeIds, patientIds: run.patientIds, indexDays: run.indexDays },
    },
  };
}
