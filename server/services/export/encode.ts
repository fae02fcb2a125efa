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

function* csv(columns: readonly ColumnSpec[], batches: Iterable<Batch>): Generator<Uint8Array> {
  yield encoder.encode(csvLine(columns.map((c) => c.name)));
  const text = columns.map((c) => c.type === 'string');
  const w = columns.length;
  for (const b of batches) {
    const cols = b.columns;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = '';
      for (let k = 0; k < w; k++) {
        const v = cols[k]![r];
        if (k > 0) line += ',';
        if (v === null || v === undefined) continue;
        if (text[k]) line += csvField(v as string);
        else if (typeof v === 'number') line += Number.isFinite(v) ? v : '';
        else line += csvField(v);
      }
      out += line + '\r\n';
    }
    yield encoder.encode(out);
  }
}

function* json(columns: readonly ColumnSpec[], batches: Iterable<Batch>): Generator<Uint8Array> {
  const keys = columns.map((c, k) => (k === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
  const text = columns.map((c) => c.type === 'string');
  const w = columns.length;
  let first = true;
  yield encoder.encode('[');
  for (const b of batches) {
    const cols = b.columns;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      out += first ? '\n' : ',\n';
      first = false;
      for (let k = 0; k < w; k++) {
        const v = cols[k]![r];
        out += keys[k]!;
        if (v === null || v === undefined) out += 'null';
        else if (text[k]) out += JSON.stringify(String(v));
        else out += Number.isFinite(v as number) ? String(v) : 'null';
      }
      out += '}';
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
