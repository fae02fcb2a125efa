import { z } from 'zod';
import { IMPORT_MODES } from '../../db/schema/imports.ts';
import { audit } from '../auth/log.ts';
import { DomainError } from '../errors.ts';
import { getImport, listImports, runImport } from '../services/import/service.ts';
import { allow, procedure, router } from '../trpc.ts';

/**
 * Uploads are imported from memory, so their size is capped below the upload
 * body limit (server/auth/http.ts, 64 MiB of JSON); larger exports go through
 * `npm run import`, which streams from disk.
 */
export const MAX_UPLOAD_CHARS = 48 * 1024 * 1024;
export const MAX_UPLOAD_FILES = 12;

/** roles.md: importing data is for practice managers and admins. */
const importers = allow.roles('practice_manager', 'admin');

const RunInput = z.object({
  mode: z.enum(IMPORT_MODES).default('partial'),
  files: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(255),
        content: z.string().max(MAX_UPLOAD_CHARS),
      }),
    )
    .min(1)
    .max(MAX_UPLOAD_FILES),
});

export const importsRouter = router({
  /** Recent imports, newest first: times, status, mode and counts (no report, no PHI). */
  list: procedure(importers)
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }).default({ limit: 20 }))
    .query(({ ctx, input }) => listImports(ctx.db, input.limit)),

  /** One import with its report (per-file counts, the first errors, counts by reason). */
  byId: procedure(importers)
    .input(z.object({ id: z.number().int().positive() }))
    .query(({ ctx, input }) => getImport(ctx.db, input.id)),

  /** Imports uploaded CSV files; returns the report. Audited with its counts (never its rows). */
  run: procedure(importers)
    .input(RunInput)
    .mutation(async ({ ctx, input }) => {
      const total = input.files.reduce((s, f) => s + f.content.length, 0);
      if (total > MAX_UPLOAD_CHARS) {
        throw new DomainError('PAYLOAD_TOO_LARGE', `the files add up to more than ${MAX_UPLOAD_CHARS / 1024 / 1024} MiB: import larger exports with npm run import`);
      }
      try {
        const { report } = await runImport(ctx.db, input.files, { mode: input.mode, userId: ctx.user.id });
        const t = report.totals;
        audit(ctx, {
          action: 'import.run',
          outcome: report.status === 'rejected' ? 'failure' : 'success',
          target: `import:${report.importId}`,
          detail: { status: report.status, mode: report.mode, files: report.files.length, rows: t.rows, inserted: t.inserted, updated: t.updated, unchanged: t.unchanged, rejected: t.rejected },
        });
        return report;
      } catch (err) {
        audit(ctx, { action: 'import.run', outcome: 'failure', detail: { mode: input.mode, files: input.files.length, reason: err instanceof DomainError ? err.code : 'internal' } });
        throw err;
      }
    }),
});
