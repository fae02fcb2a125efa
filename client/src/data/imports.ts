import type { RouterOutputs } from '../../../server/routers/_app.ts';

export type ImportReport = RouterOutputs['imports']['run'];
export type ImportSummary = RouterOutputs['imports']['list'][number];

/** The server's limits for an upload (server/routers/imports.ts); larger exports go through `npm run import`. */
export const MAX_UPLOAD_FILES = 12;
export const MAX_UPLOAD_BYTES = 48 * 1024 * 1024;

export const STATUS_LABELS: Record<ImportReport['status'], string> = {
  running: 'Running',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  rejected: 'Rejected: nothing stored',
  interrupted: 'Interrupted',
};

export const MODE_LABELS: Record<ImportReport['mode'], string> = {
  partial: 'Store the valid rows, report the others',
  all_or_nothing: 'All or nothing',
};

/** Why files cannot be sent as they are; null when they can. */
export function uploadProblem(files: ReadonlyArray<{ name: string; size: number }>): string | null {
  if (files.length === 0) return 'Choose one or more CSV files.';
  if (files.length > MAX_UPLOAD_FILES) return `At most ${MAX_UPLOAD_FILES} files at a time.`;
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total > MAX_UPLOAD_BYTES) return `The files add up to more than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB: import larger exports on the server with npm run import.`;
  return null;
}
