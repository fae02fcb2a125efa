/**
 * Writes a table's columnar batches as CSV, JSON or Parquet, one chunk per
 * batch, so memory stays at one batch whatever the table's size.
 *
 * - CSV: RFC 4180 with a header row, formula-safe (server/domain/csv.ts:
 *   text cells starting with = + - @ are neutralised; numbers stay numbers).
 * - JSON: one array of row objects (pandas `read_json`, R `jsonlite::fromJSON`).
 *   A key whose value is null is left out of its row, except in a file's first
 *   row, which names every column (so a reader that takes the columns from
 *   the rows, as pandas does, gets them all), and except the first column
 *   (the study id, never null): in wide episode rows most measure columns are
 *   null, and their keys were 59 % of the text (measured at 20,000 patients).
 *   pandas, jsonlite and DuckDB read a missing key as a missing value; the
 *   data dictionary lists every column.
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
import { NO_DAY, PER_MEASURE, WIDE_VALUES } from './slots.ts';
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

/**
 * Typed batches written as bytes straight into one buffer per batch (no
 * string per cell or row, no TextEncoder pass): each text's bytes made once
 * per export (CSV field or JSON string), integers digit by digit, doubles as
 * SQLite's text of the value (`real`), made once per distinct value.
 */
class TypedWriter {
  private buf: Uint8Array = new Uint8Array(1 << 20);
  private readonly pre: Uint8Array[];
  private readonly none: Uint8Array;
  private readonly end: Uint8Array;
  private readonly texts = new Map<TextDict, Uint8Array[]>();
  private readonly wholeReal: Uint8Array[] = [];
  private readonly reals = new Map<number, Uint8Array>();
  private first = true;
  /** JSON leaves a null value's key out after a file's first row (the module comment); CSV writes an empty field. */
  private readonly skipNulls: boolean;
  /** Per column, the one run of its prefix and a null text: text codes whose run is this one are null. */
  private readonly nullTexts: Uint8Array[];
  constructor(
    private readonly format: 'csv' | 'json',
    columns: readonly ColumnSpec[],
    private readonly real: (v: number) => string,
    private readonly alloc: Alloc = newBytes,
  ) {
    this.pre = columns.map((c, k) => encoder.encode(format === 'csv' ? (k ? ',' : '') : (k ? ',' : '{') + JSON.stringify(c.name) + ':'));
    this.none = encoder.encode(format === 'csv' ? '' : 'null');
    this.end = encoder.encode(format === 'csv' ? '\r\n' : '}');
    this.skipNulls = format === 'json';
    this.nullTexts = this.pre.map((x) => Uint8Array.from([...x, ...this.none]));
  }
  private textBytes(dict: TextDict): Uint8Array[] {
    let out = this.texts.get(dict);
    if (!out) this.texts.set(dict, (out = []));
    for (let c = out.length; c < dict.texts.length; c++) {
      const t = dict.texts[c];
      out.push(t === null || t === undefined ? this.none : encoder.encode(this.format === 'csv' ? csvField(t) : JSON.stringify(t)));
    }
    return out;
  }
  private readonly prefixed: Array<Map<TextDict, Uint8Array[]>> = [];
  /** Column k's prefix and each text of the dictionary, as one run of bytes per code. */
  private prefixedTexts(k: number, dict: TextDict): Uint8Array[] {
    const byDict = (this.prefixed[k] ??= new Map());
    let out = byDict.get(dict);
    if (!out) byDict.set(dict, (out = []));
    const plain = this.textBytes(dict);
    const pre = this.pre[k]!;
    const texts = dict.texts;
    for (let c = out.length; c < plain.length; c++) {
      if (texts[c] === null || texts[c] === undefined) {
        out.push(this.nullTexts[k]!);
        continue;
      }
      const b = new Uint8Array(pre.length + plain[c]!.length);
      b.set(pre);
      b.set(plain[c]!, pre.length);
      out.push(b);
    }
    return out;
  }
  private realBytes(v: number): Uint8Array {
    if (v >= 0 && v < 4096 && (v | 0) === v) return (this.wholeReal[v] ??= encoder.encode(this.real(v)));
    let b = this.reals.get(v);
    if (!b) {
      b = encoder.encode(this.real(v));
      if (this.reals.size > 1_000_000) this.reals.clear();
      this.reals.set(v, b);
    }
    return b;
  }
  /** JSON: rows were written before this writer's first (a comma goes before its first row). */
  continues(): void {
    this.first = false;
  }
  /** The batch's rows as the file's bytes (a view of a buffer the caller may transfer). */
  batch(b: Batch): Uint8Array {
    const typed = b.typed!;
    const n = b.length;
    const w = typed.length;
    // Per column: its kind (0 int, 1 double, 2 text) and its array, in arrays of one element type each (the row
    // loop then reads monomorphic arrays instead of objects of three shapes).
    const kinds = Uint8Array.from(typed, (c) => (c.kind === 'int' ? 0 : c.kind === 'double' ? 1 : 2));
    const empty32 = new Int32Array(0);
    const ints = typed.map((c) => (c.kind === 'int' ? c.data : c.kind === 'text' ? c.codes : empty32));
    const doubles = typed.map((c) => (c.kind === 'double' ? c.data : new Float64Array(0)));
    const texts = typed.map((c, k) => (c.kind === 'text' ? this.prefixedTexts(k, c.dict) : []));
    const pre = this.pre;
    const none = this.none;
    const json = this.format === 'json';
    const skip = this.skipNulls;
    const nullTexts = this.nullTexts;
    const m = b.measures;
    // Bytes a row may take at most: a prefix and 24 bytes of value per column (texts here are short: codes, dates, enumerations).
    const rowMax = pre.reduce((a, x) => a + x.length + 24, 0) + 64;
    let buf = this.alloc(Math.max(1 << 16, Math.min(n * rowMax, this.buf.length)));
    let p = 0;
    const emptyRuns = m ? this.emptyGroups(w) : [];
    const wide = m ? this.wideRuns(w) : null;
    for (let r = 0; r < n; r++) {
      if (p + rowMax > buf.length) {
        const next = new Uint8Array(Math.max(buf.length * 2, p + rowMax));
        next.set(buf.subarray(0, p));
        buf = next;
      }
      // JSON: a null's key is left out, but not in the file's first row.
      const skipRow = skip && !this.first;
      if (json) {
        if (!this.first) buf[p++] = 44; // ,
        buf[p++] = 10; // \n
        this.first = false;
      }
      for (let k = 0; k < w; k++) {
        const kind = kinds[k]!;
        if (kind === 2) {
          // A text: its bytes with the column's prefix, made once per code.
          const run = texts[k]![ints[k]![r]!]!;
          if (skipRow && k > 0 && run === nullTexts[k]) continue;
          p = put(buf, p, run);
          continue;
        }
        if (kind === 0) {
          const v = ints[k]![r]!;
          if (v === NULL_INT && skipRow && k > 0) continue;
          p = put(buf, p, pre[k]!);
          p = v === NULL_INT ? put(buf, p, none) : putInt(buf, p, v);
        } else {
          const v = doubles[k]![r]!;
          if (v !== v && skipRow && k > 0) continue;
          p = put(buf, p, pre[k]!);
          p = put(buf, p, v === v ? this.realBytes(v) : none);
        }
      }
      if (m) {
        const { values, days } = m;
        const base = r * WIDE_VALUES;
        for (let g = 0; g < emptyRuns.length; g++) {
          const from = base + g * PER_MEASURE;
          let any = false;
          for (let j = from; j < from + PER_MEASURE; j++) {
            if (values[j] === values[j] || days[j] !== NO_DAY) {
              any = true;
              break;
            }
          }
          // A measure the episode has no value of: the text of its columns at once.
          if (!any) {
            if (!skipRow) p = put(buf, p, emptyRuns[g]!);
            continue;
          }
          for (let j = from, k = g * PER_MEASURE; j < from + PER_MEASURE; j++, k++) {
            // Each value and each day with its column's prefix, as one run made once per distinct value.
            const v = values[j]!;
            const d = days[j]!;
            if (v !== v && d === NO_DAY) {
              if (!skipRow) p = put(buf, p, wide!.nullPair[k]!);
              continue;
            }
            if (v === v) p = put(buf, p, this.valueRun(k, v, w));
            else if (!skipRow) p = put(buf, p, wide!.nullValue[k]!);
            if (d !== NO_DAY) p = put(buf, p, this.dayRun(k, d, w));
            else if (!skipRow) p = put(buf, p, wide!.nullDay[k]!);
          }
        }
      }
      p = put(buf, p, this.end);
    }
    this.buf = buf;
    return buf.subarray(0, p);
  }
  private wideCache: { nullPair: Uint8Array[]; nullValue: Uint8Array[]; nullDay: Uint8Array[]; values: Array<Map<number, Uint8Array>>; days: Uint8Array[][] } | null = null;
  /** Per wide value k: the texts of its value and day columns with their prefixes when empty, and caches of the rest. */
  private wideRuns(w: number) {
    if (this.wideCache) return this.wideCache;
    const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((x) => [...x]));
    const nullValue: Uint8Array[] = [];
    const nullDay: Uint8Array[] = [];
    const nullPair: Uint8Array[] = [];
    for (let k = 0; k < WIDE_VALUES; k++) {
      nullValue.push(cat(this.pre[w + 2 * k]!, this.none));
      nullDay.push(cat(this.pre[w + 2 * k + 1]!, this.none));
      nullPair.push(cat(nullValue[k]!, nullDay[k]!));
    }
    return (this.wideCache = { nullPair, nullValue, nullDay, values: Array.from({ length: WIDE_VALUES }, () => new Map<number, Uint8Array>()), days: Array.from({ length: WIDE_VALUES }, () => []) });
  }
  private valueRun(k: number, v: number, w: number): Uint8Array {
    const cache = this.wideCache!.values[k]!;
    let b = cache.get(v);
    if (!b) {
      const pre = this.pre[w + 2 * k]!;
      const t = this.realBytes(v);
      b = new Uint8Array(pre.length + t.length);
      b.set(pre);
      b.set(t, pre.length);
      if (cache.size > 4096) cache.clear();
      cache.set(v, b);
    }
    return b;
  }
  /** Days from -1,024 to 2,047 from an array; the rest made each time. */
  private dayRun(k: number, d: number, w: number): Uint8Array {
    const at = d + 1024;
    const cache = this.wideCache!.days[k]!;
    const hit = at >= 0 && at < 3072 ? cache[at] : undefined;
    if (hit) return hit;
    const b = encoder.encode(String(d));
    const pre = this.pre[w + 2 * k + 1]!;
    const run = new Uint8Array(pre.length + b.length);
    run.set(pre);
    run.set(b, pre.length);
    if (at >= 0 && at < 3072) cache[at] = run;
    return run;
  }
  private empty: Uint8Array[] | null = null;
  /** Per measure, the text of all its wide columns empty (prefixes and nulls), made once. */
  private emptyGroups(w: number): Uint8Array[] {
    if (this.empty) return this.empty;
    const out: Uint8Array[] = [];
    for (let g = 0; g < WIDE_VALUES / PER_MEASURE; g++) {
      const parts: number[] = [];
      for (let c = w + 2 * g * PER_MEASURE; c < w + 2 * (g + 1) * PER_MEASURE; c++) parts.push(...this.pre[c]!, ...this.none);
      out.push(Uint8Array.from(parts));
    }
    return (this.empty = out);
  }
}

/** Copies bytes into buf at p (a loop for short ones, memcpy for long); answers the new position. */
function put(buf: Uint8Array, p: number, b: Uint8Array): number {
  const n = b.length;
  if (n > 8) {
    buf.set(b, p);
    return p + n;
  }
  for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
  return p + n;
}

/** An integer's decimal digits into buf at p; answers the new position. */
function putInt(buf: Uint8Array, p: number, v: number): number {
  if (v < 0) {
    buf[p++] = 45;
    v = -v;
  }
  let len = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) len++;
  let q = p + len;
  do {
    buf[--q] = 48 + (v % 10);
    v = (v / 10) | 0;
  } while (v > 0);
  return p + len;
}

const noReal = (v: number) => String(v);

/** Where a batch's output buffer comes from: at least `size` bytes (the export worker reuses buffers the zip writer is done with). */
export type Alloc = (size: number) => Uint8Array;
const newBytes: Alloc = (size) => new Uint8Array(size);

function* csv(columns: readonly ColumnSpec[], batches: Iterable<Batch>, real: (v: number) => string, alloc: Alloc): Generator<Uint8Array> {
  yield encoder.encode(csvLine(columns.map((c) => c.name)));
  const writer = new TypedWriter('csv', columns, real, alloc);
  for (const b of batches) {
    if (b.lines) {
      if (b.lines.length) yield encoder.encode(b.lines.join('\r\n') + '\r\n');
      continue;
    }
    if (!b.length) continue;
    if (b.typed) {
      yield writer.batch(b);
      continue;
    }
    const cells = formatColumns(columns, b, (s) => csvField(s), '');
    const w = cells.length;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = cells[0]![r]!;
      for (let k = 1; k < w; k++) line += ',' + cells[k]![r]!;
      out += line + '\r\n';
    }
    yield encoder.encode(out);
  }
}

function* json(columns: readonly ColumnSpec[], batches: Iterable<Batch>, real: (v: number) => string, alloc: Alloc): Generator<Uint8Array> {
  const writer = new TypedWriter('json', columns, real, alloc);
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
    if (b.typed) {
      // The writer knows whether a row came before (lines of another batch kind never mix with typed ones in a file).
      if (!first) writer.continues();
      yield writer.batch(b);
      first = false;
      continue;
    }
    const cells = formatColumns(columns, b, (s) => JSON.stringify(s), 'null');
    const w = cells.length;
    let out = '';
    for (let r = 0; r < b.length; r++) {
      let line = first ? '\n' : ',\n';
      const skipRow = !first;
      first = false;
      for (let k = 0; k < w; k++) {
        const cell = cells[k]![r]!;
        if (skipRow && k > 0 && cell === 'null') continue; // a null leaves its key out (a text "null" is quoted)
        line += keys[k]! + cell;
      }
      out += line + '}';
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
export function encodeTable(
  format: ExportFormat,
  columns: readonly ColumnSpec[],
  batches: Iterable<Batch>,
  meta: Record<string, string> = {},
  real: (v: number) => string = noReal,
  alloc: Alloc = newBytes,
): Generator<Uint8Array> {
  if (format === 'csv') return csv(columns, batches, real, alloc);
  if (format === 'json') return json(columns, batches, real, alloc);
  return parquet(columns, batches, meta);
}

export const FILE_EXTENSION: Record<ExportFormat, string> = { csv: 'csv', json: 'json', parquet: 'parquet' };
