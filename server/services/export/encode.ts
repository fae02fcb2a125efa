/**
 * Writes a table's columnar batches as CSV, JSON or Parquet, one chunk per
 * batch, so memory stays at one batch whatever the table's size.
 *
 * - CSV: RFC 4180 with a header row, formula-safe (server/domain/csv.ts:
 *   text cells starting with = + - @ are neutralised; numbers stay numbers).
 * - JSON: one array of row objects (pandas `read_json`, R `jsonlite::fromJSON`).
 * - Parquet: hyparquet-writer, one row group per batch, typed columns
 *   (INT32, DOUBLE, UTF8 strings), Snappy pages; R arrow, pandas/pyarrow and
 *   DuckDB read it.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { csvField, csvLine } from '../../domain/csv.ts';
import type { Batch, ColumnSpec, ExportFormat } from './tables.ts';

const encoder = new TextEncoder();

/**
 * Formats a batch column by column (one tight loop per column: each reads
 * one array kind) into cell texts, then joins the rows. Repeated texts
 * (categories, measure names, codes) are formatted once per batch.
 */
function formatColumns(columns: readonly ColumnSpec[], b: Batch, text: (v: string) => string, none: string): string[][] {
  return columns.slice(0, b.columns.length).map((spec, k) => {
    const col = b.columns[k]!;
    const out = new Array<string>(b.length);
    if (spec.type === 'string') {
      const seen = new Map<string, string>();
      for (let r = 0; r < b.length; r++) {
        const v = col[r];
        if (v === null || v === undefined) out[r] = none;
        else {
          const s = String(v);
          let f = seen.get(s);
          if (f === undefined) seen.set(s, (f = text(s)));
          out[r] = f;
        }
      }
    } else {
      for (let r = 0; r < b.length; r++) {
        const v = col[r];
        out[r] = typeof v === 'number' && Number.isFinite(v) ? String(v) : none;
      }
    }
    return out;
  });
}

function* csv(columns: readonly ColumnSpec[], batches: Iterable<Batch>): Generator<Uint8Array> {
  yield encoder.encode(csvLine(columns.map((c) => c.name)));
  for (const b of batches) {
    if (b.lines) {
      if (b.lines.length) yield encoder.encode(b.lines.join('\r\n') + '\r\n');
      continue;
    }
    const cells = formatColumns(columns, b, (s) => csvField(s), '');
    const w = cells.length;
    const tail = b.tail;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = cells[0]![r]!;
      for (let k = 1; k < w; k++) line += ',' + cells[k]![r]!;
      if (tail) line += ',' + tail[r]!;
      out += line + '\r\n';
    }
    yield encoder.encode(out);
  }
}

function* json(columns: readonly ColumnSpec[], batches: Iterable<Batch>): Generator<Uint8Array> {
  const keys = columns.map((c, k) => (k === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
  let first = true;
  yield encoder.encode('[');
  for (const b of batches) {
    if (b.lines) {
      if (!b.lines.length) continue;
      yield encoder.encode((first ? '\n' : ',\n') + b.lines.join(',\n'));
      first = false;
      continue;
    }
    const cells = formatColumns(columns, b, (s) => JSON.stringify(s), 'null');
    const w = cells.length;
    const tail = b.tail;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = first ? '\n' : ',\n';
      first = false;
      for (let k = 0; k < w; k++) line += keys[k]! + cells[k]![r]!;
      if (tail) line += ',' + tail[r]!;
      out += line + '}';
    }
    yield encoder.encode(out);
  }
  yield encoder.encode('\n]\n');
}

const PARQUET_TYPE = { int: 'INT32', double: 'DOUBLE', string: 'BYTE_ARRAY' } as const;

function* parquet(columns: readonly ColumnSpec[], batches: Iterable<Batch>, meta: Record<string, string>): Generator<Uint8Array> {
  const writer = new ByteWriter(1 << 20);
  const schema = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c) => ({
      name: c.name,
      type: PARQUET_TYPE[c.type],
      repetition_type: 'OPTIONAL' as const,
      ...(c.type === 'string' ? { converted_type: 'UTF8' as const } : {}),
    })),
  ];
  const pw = new ParquetWriter({
    writer,
    schema,
    createdBy: 'pain-outcomes cohort export',
    kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
  });
  const drain = (): Uint8Array => {
    const bytes = new Uint8Array(writer.buffer, 0, writer.index).slice();
    writer.index = 0;
    return bytes;
  };
  for (const b of batches) {
    pw.write({ columnData: columns.map((c, k) => ({ name: c.name, data: b.columns[k]! })), rowGroupSize: b.length });
    yield drain();
  }
  pw.finish();
  yield drain();
}

export function encodeTable(format: ExportFormat, columns: readonly ColumnSpec[], batches: Iterable<Batch>, meta: Record<string, string> = {}): Generator<Uint8Array> {
  if (format === 'csv') return csv(columns, batches);
  if (format === 'json') return json(columns, batches);
  return parquet(columns, batches, meta);
}

export const FILE_EXTENSION: Record<ExportFormat, string> = { csv: 'csv', json: 'json', parquet: 'parquet' };
