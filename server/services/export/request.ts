/**
 * What an export of a cohort contains, fixed when it is requested: the member
 * episodes (with their patients and index days, for the study ids and the
 * relative days), the definition, the data state it ran on.
 */
import type { Db } from '../../../db/index.ts';
import type { CohortDefinition } from '../cohorts/definition.ts';
import { runCohort, type CohortRun } from '../cohorts/service.ts';
import type { ExportRequest } from './job.ts';
import type { ExportFormat, ExportShape } from './tables.ts';

export type ExportOptions = {
  shape: ExportShape;
  format: ExportFormat;
  identified: boolean;
  cohort: { id: number; name: string; revision: number } | null;
  now: number;
};

export function exportRequest(db: Db, definition: CohortDefinition, opts: ExportOptions): { request: ExportRequest; run: CohortRun } {
  const run = runCohort(db, definition);
  const { data, ids } = run;
  const patientIds = new Int32Array(ids.length);
  const indexDays = new Int32Array(ids.length);
  for (let k = 0; k < ids.length; k++) {
    const row = data.rowOf[ids[k]!]!;
    patientIds[k] = data.patientId[row]!;
    indexDays[k] = data.indexDay[row]!;
  }
  return {
    run,
    request: {
      shape: opts.shape,
      format: opts.format,
      identified: opts.identified,
      definition,
      cohort: opts.cohort,
      dataState: data.state,
      createdAt: new Date(opts.now).toISOString(),
      members: { episodeIds: ids, patientIds, indexDays },
    },
  };
}
