/**
 * Runs a cohort export to a zip file, unpacks it with `unzip` (an independent
 * reader) and reads its data files with DuckDB (another one).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../../db/index.ts';
import type { CohortDefinition } from '../../../server/services/cohorts/definition.ts';
import type { SlotsFilled } from '../../../server/services/export/job.ts';
import { exportRequest } from '../../../server/services/export/request.ts';
import { inProcessAnalytics, type Analytics } from '../../../server/services/analytics/runtime.ts';
import { exportZip } from '../../../server/services/export/stream.ts';
import type { ExportFormat, ExportShape, RowCounts } from '../../../server/services/export/tables.ts';

export type Unpacked = { dir: string; zipBytes: Buffer; files: Record<string, Buffer>; counts: RowCounts; filled: SlotsFilled | null };

export async function runExport(
  db: Db,
  definition: CohortDefinition,
  opts: { shape: ExportShape; format: ExportFormat; identified?: boolean; worker?: boolean; sqlite?: Db['$client']; analytics?: Analytics | null; slotRows?: number; treatmentRows?: number },
): Promise<Unpacked> {
  const { request } = await exportRequest({ db, analytics: inProcessAnalytics(db) }, definition, { shape: opts.shape, format: opts.format, identified: opts.identified ?? false, cohort: null, now: Date.now() });
  const out = exportZip(opts.sqlite ?? db.$client, request, {
    worker: opts.worker ?? false,
    ...(opts.analytics !== undefined ? { analytics: opts.analytics } : {}),
    ...(opts.slotRows ? { slotRows: opts.slotRows } : {}),
    ...(opts.treatmentRows ? { treatmentRows: opts.treatmentRows } : {}),
  });
  const chunks: Buffer[] = [];
  for await (const c of out.stream) chunks.push(c as Buffer);
  const counts = await out.done;
  const dir = mkdtempSync(join(tmpdir(), 'cohort-export-'));
  const zipBytes = Buffer.concat(chunks);
  writeFileSync(join(dir, 'export.zip'), zipBytes);
  execFileSync('unzip', ['-q', join(dir, 'export.zip'), '-d', join(dir, 'x')]);
  const files: Record<string, Buffer> = {};
  for (const f of readdirSync(join(dir, 'x'))) files[f] = readFileSync(join(dir, 'x', f));
  return { dir: join(dir, 'x'), zipBytes, files, counts, filled: out.filled };
}

let con: DuckDBConnection | null = null;
export async function duck(): Promise<DuckDBConnection> {
  if (!con) con = await (await DuckDBInstance.create(':memory:')).connect();
  return con;
}

/** A data file read by DuckDB, whatever its format, as plain row objects. */
export async function readTable(dir: string, file: string, text: readonly string[] = []): Promise<Array<Record<string, unknown>>> {
  const path = join(dir, file).replaceAll("'", "''");
  const header = file.endsWith('.csv') ? readFileSync(join(dir, file), 'utf8').split('\r\n', 1)[0]!.split(',') : [];
  const asText = text.filter((c) => header.includes(c));
  const types = asText.length ? `, types = {${asText.map((c) => `'${c}': 'VARCHAR'`).join(', ')}}` : '';
  const reader = file.endsWith('.csv')
    ? `read_csv('${path}', header = true, auto_detect = true, sample_size = -1${types})`
    : file.endsWith('.json')
      ? `read_json('${path}', format = 'array', sample_size = -1)`
      : `read_parquet('${path}')`;
  const r = await (await duck()).runAndReadAll(`SELECT * FROM ${reader}`);
  return r.getRowObjectsJS() as Array<Record<string, unknown>>;
}

/** Rows as sorted JSON tuples of the given columns (a multiset comparison that ignores the random ids). */
export function tuples(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(
        columns.map((c) => {
          const v = r[c];
          if (v === undefined || v === null || v === '') return null;
          if (typeof v === 'bigint') return Number(v);
          if (typeof v === 'number') return Math.round(v * 1e6) / 1e6;
          return v;
        }),
      ),
    )
    .sort();
}
