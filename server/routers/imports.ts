import { z } from 'zod';
import { IMPORT_MODES } from '../../db/schema/imports.ts';
import { DomainError } from '../errors.ts';
import { getImport, listImports, runImport } from '../services/import/service.ts';
import { publicProcedure, router } from '../trpc.ts';

/**
 * Uploads are imported from memory, so their size is capped below the HTTP
 * body limit (server/app.ts, 64 MiB of JSON); larger exports go through
 * `npm run import`, which streams from disk.
 */
export const MAX_UPLOAD_CHARS = 48 * 1024 * 1024;
export const MAX_UPLOAD_FILES = 12;

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

// Access control arrives with its own issue (practice managers and admins
// only, audit-logged): each procedure stays a thin call so a policy can wrap it.
export const importsRouter = router({
  /** Recent imports, newest first: times, status, mode and counts (no report, no PHI). */
  list: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }).default({ limit: 20 }))
    .query(({ ctx, input }) => listImports(ctx.db, input.limit)),

  /** One import with its report (per-file counts, the first errors, counts by reason). */
  byId: publicProcedure.input(z.object({ id: z.number().int().positive() })).query(({ ctx, input }) => getImport(ctx.db, input.id)),

  /** Imports uploaded CSV files; returns the report. */
  run: publicProcedure.input(RunInput).mutation(async ({ ctx, input }) => {
    const total = input.files.reduce((s, f) => s + f.content.length, 0);
    if (total > MAX_UPLOAD_CHARS) {
      throw new DomainError(
        'PAYLOAD_TOO_LARGE',
        `the files add up to more than ${MAX_UPLOAD_CHARS / 1024 / 1024} MiB: import larger exports with npm run import`,
      );
    }
    const { report } = await runImport(ctx.db, input.files, { mode: input.mode, userId: ctx.user?.id ?? null });
    return report;
  }),
});
