/**
 * Writes a table's columnar batches as CSV, JSON or Parquet, one chunk per
 * batch, so memory stays at one batch whatever the table's size.
 *
 * - CSV: RFC 4180 with a header row, formula-safe (server/domain/csv.ts:
 *   text cells starting with = + - @ are neutralised; numbers stay numbers).
 * - JSON: one array of row objects (pandas `read_json`, R `jsonlite::fromJSON`).
 * - Parquet: parquet.ts, one row group per batch, typed columns (INT32,
 *   DOUBLE, UTF8 text dictionary-encoded); R arrow, pandas/pyarrow and DuckDB
 *   read it.
 *
 * Batches come as plain arrays, typed arrays (`typed`: texts as dictionary
 * codes, each text formatted once per export), or whole lines written by
 * SQLite (`lines`).
 */
import { csvField, csvLine } from '../../domain/csv.ts';
import { NULL_INT } from '../analytics/store.ts';
import { ParquetFile, type ParquetColumn, type ParquetField } from './parquet.ts';
import { NO_DAY, WIDE_VALUES } from './slots.ts';
import type { Batch, ColumnSpec, ExportFormat, TextDict, TypedColumn } from './tables.ts';

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

/** Texts of small integers (days, counts, years), made once. */
const SMALL = 1 << 16;
const smallInts: string[] = new Array<string>(2 * SMALL).fill('');
function intText(v: number): string {
  if (v > -SMALL && v < SMALL) {
    const t = smallInts[v + SMALL]!;
    return t !== '' ? t : (smallInts[v + SMALL] = String(v));
  }
  return String(v);
}

/** Each dictionary's texts as the format writes them (CSV field, JSON string), by code; made once per text. */
class Formatted {
  private readonly cache = new Map<TextDict, string[]>();
  constructor(
    private readonly format: (s: string) => string,
    private readonly none: string,
  ) {}
  of(dict: TextDict): string[] {
    let out = this.cache.get(dict);
    if (!out) this.cache.set(dict, (out = []));
    for (let c = out.length; c < dict.texts.length; c++) {
      const t = dict.texts[c];
      out.push(t === null || t === undefined ? this.none : this.format(t));
    }
    return out;
  }
}

/** A typed batch's cells, column by column (one tight loop per column kind). */
function formatTyped(typed: readonly TypedColumn[], n: number, real: (v: number) => string, texts: Formatted, none: string, cells: string[][]): string[][] {
  typed.forEach((col, k) => {
    const out = (cells[k] ??= []);
    out.length = n;
    if (col.kind === 'int') {
      const d = col.data;
      for (let r = 0; r < n; r++) out[r] = d[r] === NULL_INT ? none : intText(d[r]!);
    } else if (col.kind === 'double') {
      const d = col.data;
      for (let r = 0; r < n; r++) out[r] = d[r] === d[r] ? real(d[r]!) : none;
    } else {
      const codes = col.codes;
      const t = texts.of(col.dict);
      for (let r = 0; r < n; r++) out[r] = t[codes[r]!]!;
    }
  });
  cells.length = typed.length;
  return cells;
}

const noReal = (v: number) => String(v);

function* csv(columns: readonly ColumnSpec[], batches: Iterable<Batch>, real: (v: number) => string): Generator<Uint8Array> {
  yield encoder.encode(csvLine(columns.map((c) => c.name)));
  const texts = new Formatted((s) => csvField(s), '');
  const reused: string[][] = [];
  for (const b of batches) {
    if (b.lines) {
      if (b.lines.length) yield encoder.encode(b.lines.join('\r\n') + '\r\n');
      continue;
    }
    if (!b.length) continue;
    const cells = b.typed ? formatTyped(b.typed, b.length, real, texts, '', reused) : formatColumns(columns, b, (s) => csvField(s), '');
    const w = cells.length;
    const tail = b.tail;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = cells[0]![r]!;
      for (let k = 1; k < w; k++) line += ',' + cells[k]![r]!;
      if (tail) line += tail[r]!;
      out += line + '\r\n';
    }
    yield encoder.encode(out);
  }
}

function* json(columns: readonly ColumnSpec[], batches: Iterable<Batch>, real: (v: number) => string): Generator<Uint8Array> {
  const texts = new Formatted((s) => JSON.stringify(s), 'null');
  const reused: string[][] = [];
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
    if (!b.length) continue;
    const cells = b.typed ? formatTyped(b.typed, b.length, real, texts, 'null', reused) : formatColumns(columns, b, (s) => JSON.stringify(s), 'null');
    const w = cells.length;
    const tail = b.tail;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = first ? '\n' : ',\n';
      first = false;
      for (let k = 0; k < w; k++) line += keys[k]! + cells[k]![r]!;
      out += tail ? line + tail[r]! : line + '}';
    }
    yield encoder.encode(out);
  }
  yield encoder.encode('\n]\n');
}

const PARQUET_KIND = { int: 'int', double: 'double', string: 'text' } as const;

/** Parquet of typed batches (parquet.ts): one row group per batch; wide measure columns gathered from their row-major slot. */
function* parquet(columns: readonly ColumnSpec[], batches: Iterable<Batch>, meta: Record<string, string>): Generator<Uint8Array> {
  const file = new ParquetFile(
    columns.map((c): ParquetField => ({ name: c.name, kind: PARQUET_KIND[c.type] })),
    meta,
  );
  const utf8 = new Map<TextDict, Uint8Array[]>();
  const bytesOf = (dict: TextDict) => {
    let out = utf8.get(dict);
    if (!out) utf8.set(dict, (out = []));
    const list = out;
    return (code: number) => (list[code] ??= encoder.encode(dict.texts[code] ?? ''));
  };
  for (const b of batches) {
    if (!b.length) continue;
    if (!b.typed) throw new Error('Parquet needs typed batches');
    const cols: ParquetColumn[] = b.typed.map((c) => (c.kind === 'text' ? { kind: 'text', codes: c.codes, bytes: bytesOf(c.dict) } : c));
    if (b.measures) {
      const { values, days } = b.measures;
      const n = b.length;
      for (let j = 0; j < WIDE_VALUES; j++) {
        const v = new Float64Array(n);
        const d = new Int32Array(n);
        for (let r = 0, at = j; r < n; r++, at += WIDE_VALUES) {
          v[r] = values[at]!;
          const day = days[at]!;
          d[r] = day === NO_DAY ? NULL_INT : day;
        }
        cols.push({ kind: 'double', data: v }, { kind: 'int', data: d });
      }
    }
    if (cols.length !== columns.length) throw new Error(`Parquet batch has ${cols.length} columns, the table ${columns.length}`);
    yield file.rowGroup(cols, b.length);
  }
  yield file.finish();
}

/** `real`: the text of a double in CSV and JSON (the export passes SQLite's own: slots.ts realText). */
export function encodeTable(format: ExportFormat, columns: readonly ColumnSpec[], batches: Iterable<Batch>, meta: Record<string, string> = {}, real: (v: number) => string = noReal): Generator<Uint8Array> {
  if (format === 'csv') return csv(columns, batches, real);
  if (format === 'json') return json(columns, batches, real);
  return parquet(columns, batches, meta);
}

export const FILE_EXTENSION: Record<ExportFormat, string> = { csv: 'csv', json: 'json', parquet: 'parquet' };
