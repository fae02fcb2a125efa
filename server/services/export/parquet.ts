/**
 * A Parquet file written column chunk by column chunk straight from typed
 * arrays: one row group per batch, one data page per column chunk (format
 * v1), every column OPTIONAL (definition levels: one RLE run when the column
 * has no nulls, else bit-packed), values PLAIN (INT32, DOUBLE) or, for text,
 * a dictionary page per chunk (PLAIN BYTE_ARRAY) and RLE_DICTIONARY indices,
 * pages uncompressed (the zip deflates the file on the request's side, off
 * this thread), page headers and the footer in Thrift's compact protocol.
 *
 * Why not hyparquet-writer (which the export used first): it takes values one
 * by one as JavaScript arrays and tries dictionaries, statistics and Snappy per
 * column (about 0.9 us a row of five columns measured at 20,000 patients, as
 * much as reading the row); the export's columns are already typed arrays and
 * its texts already dictionary codes, so a chunk here is a few tight loops.
 * Read back in the tests by DuckDB and hyparquet (independent readers).
 */

/** Parquet physical types, encodings, page types (parquet.thrift). */
const TYPE = { INT32: 1, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const ENC = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;
const OPTIONAL = 1;
const UTF8 = 0;

/** Thrift compact protocol types. */
const T = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;
type Field = [id: number, type: number, value: unknown];

/** A growable byte buffer with the primitives Parquet needs. */
class Bytes {
  buf = new Uint8Array(1 << 16);
  pos = 0;
  private view = new DataView(this.buf.buffer);
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  /** Unsigned varint of a non-negative integer up to 2^53. */
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  i32le(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  setI32le(at: number, v: number): void {
    this.view.setInt32(at, v, true);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }
}

const utf8 = new TextEncoder();

/** A Thrift compact-protocol struct (fields in ascending id order; undefined values skipped). */
function struct(out: Bytes, fields: readonly Field[]): void {
  let last = 0;
  for (const [id, type, value] of fields) {
    if (value === undefined) continue;
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.u8((delta << 4) | type);
    else {
      out.u8(type);
      out.zigzag(id);
    }
    last = id;
    element(out, type, value);
  }
  out.u8(0);
}
function element(out: Bytes, type: number, value: unknown): void {
  if (type === T.I32 || type === T.I64) out.zigzag(value as number);
  else if (type === T.BINARY) {
    const b = utf8.encode(value as string);
    out.varint(b.length);
    out.bytes(b);
  } else if (type === T.STRUCT) struct(out, value as Field[]);
  else if (type === T.LIST) {
    const { elem, items } = value as { elem: number; items: unknown[] };
    if (items.length < 15) out.u8((items.length << 4) | elem);
    else {
      out.u8(0xf0 | elem);
      out.varint(items.length);
    }
    for (const it of items) element(out, elem, it);
  } else throw new Error(`thrift type ${type}`);
}

// ---- columns ---------------------------------------------------------------------------------

export const PARQUET_NULL_INT = -2147483648;

/** A column of one row group: INT32 (PARQUET_NULL_INT = null), DOUBLE (NaN = null), or text as dictionary codes (0 = null) with the dictionary's UTF-8 bytes by code. */
export type ParquetColumn =
  | { kind: 'int'; data: Int32Array }
  | { kind: 'double'; data: Float64Array }
  | { kind: 'text'; codes: Int32Array; bytes: (code: number) => Uint8Array };

export type ParquetField = { name: string; kind: 'int' | 'double' | 'text' };

type ChunkMeta = { kind: ParquetField['kind']; name: string; values: number; dictOffset: number | null; dataOffset: number; size: number; encodings: number[] };

/** Definition levels (bit width 1) as a run-length/bit-packed hybrid with its 4-byte length. */
function definitionLevels(out: Bytes, defined: Uint8Array, n: number, nonNull: number): void {
  const at = out.pos;
  out.i32le(0);
  if (nonNull === n || nonNull === 0) {
    // One RLE run: all defined, or all null.
    out.varint(n * 2);
    out.u8(nonNull === n ? 1 : 0);
  } else {
    const groups = Math.ceil(n / 8);
    out.varint(groups * 2 + 1);
    out.ensure(groups);
    const buf = out.buf;
    let p = out.pos;
    for (let g = 0; g < groups; g++) {
      let byte = 0;
      const base = g * 8;
      const end = Math.min(8, n - base);
      for (let j = 0; j < end; j++) byte |= defined[base + j]! << j;
      buf[p++] = byte;
    }
    out.pos = p;
  }
  out.setI32le(at, out.pos - at - 4);
}

/** Bit-packs dictionary indices (width 1..24) as one bit-packed run. */
function packedIndices(out: Bytes, idx: Int32Array, m: number, width: number): void {
  out.u8(width);
  if (m === 0) return;
  const groups = Math.ceil(m / 8);
  out.varint(groups * 2 + 1);
  out.ensure(groups * width + 8);
  const buf = out.buf;
  let p = out.pos;
  // Widths here are at most 14 (a chunk has at most 16,384 distinct texts): the bits fit an int.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < m; i++) {
    acc |= idx[i]! << bits;
    bits += width;
    while (bits >= 8) {
      buf[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  // Pad the last group of eight with zeros.
  const padBits = (groups * 8 - m) * width + bits;
  for (let b = 0; b < padBits; b += 8) {
    buf[p++] = acc & 0xff;
    acc >>>= 8;
  }
  out.pos = p;
}

function pageHeader(out: Bytes, type: number, size: number, header: Field): void {
  struct(out, [[1, T.I32, type], [2, T.I32, size], [3, T.I32, size], header]);
}

/**
 * Writes a Parquet file batch by batch: `rowGroup(columns, rows)` answers the
 * bytes of one row group, `finish()` the footer. The first row group's bytes
 * start with the magic number.
 */
export class ParquetFile {
  private offset = 0;
  private groups: Array<{ rows: number; chunks: ChunkMeta[]; bytes: number }> = [];
  private body = new Bytes();
  private page = new Bytes();
  private defined = new Uint8Array(0);
  private ints = new Int32Array(0);
  private doubles = new Float64Array(0);
  private local = new Int32Array(0);
  private dictOf = new Int32Array(0);
  constructor(
    private readonly fields: readonly ParquetField[],
    private readonly meta: Record<string, string> = {},
    private readonly createdBy = 'pain-outcomes cohort export',
  ) {}

  private scratch(n: number): void {
    if (this.defined.length >= n) return;
    this.defined = new Uint8Array(n);
    this.ints = new Int32Array(n);
    this.doubles = new Float64Array(n);
    this.local = new Int32Array(n);
  }

  rowGroup(columns: readonly ParquetColumn[], rows: number): Uint8Array {
    const out = this.body;
    if (this.offset === 0 && out.pos === 0) out.bytes(utf8.encode('PAR1'));
    this.scratch(rows);
    const start = this.offset + out.pos;
    const chunks: ChunkMeta[] = [];
    columns.forEach((col, k) => {
      const chunkStart = this.offset + out.pos;
      const defined = this.defined;
      const page = this.page;
      let nonNull = 0;
      let dictOffset: number | null = null;
      let encodings: number[];
      if (col.kind === 'int') {
        const d = col.data;
        const vals = this.ints;
        for (let r = 0; r < rows; r++) {
          const v = d[r]!;
          if (v === PARQUET_NULL_INT) defined[r] = 0;
          else ((defined[r] = 1), (vals[nonNull++] = v));
        }
        definitionLevels(page, defined, rows, nonNull);
        page.bytes(new Uint8Array(vals.buffer, 0, nonNull * 4));
        encodings = [ENC.PLAIN, ENC.RLE];
      } else if (col.kind === 'double') {
        const d = col.data;
        const vals = this.doubles;
        for (let r = 0; r < rows; r++) {
          const v = d[r]!;
          if (v !== v) defined[r] = 0;
          else ((defined[r] = 1), (vals[nonNull++] = v));
        }
        definitionLevels(page, defined, rows, nonNull);
        page.bytes(new Uint8Array(vals.buffer, 0, nonNull * 8));
        encodings = [ENC.PLAIN, ENC.RLE];
      } else {
        // The chunk's dictionary: the codes it uses, in order of first use.
        const codes = col.codes;
        let max = 0;
        for (let r = 0; r < rows; r++) if (codes[r]! > max) max = codes[r]!;
        if (this.dictOf.length <= max) this.dictOf = new Int32Array(Math.max(max + 1, this.dictOf.length * 2));
        const dictOf = this.dictOf;
        const used: number[] = [];
        const idx = this.local;
        for (let r = 0; r < rows; r++) {
          const c = codes[r]!;
          if (c === 0) {
            defined[r] = 0;
            continue;
          }
          defined[r] = 1;
          let i = dictOf[c]!;
          if (i === 0) {
            used.push(c);
            i = dictOf[c] = used.length;
          }
          idx[nonNull++] = i - 1;
        }
        for (const c of used) dictOf[c] = 0;
        if (used.length) {
          const dict = page;
          for (const c of used) {
            const b = col.bytes(c);
            dict.i32le(b.length);
            dict.bytes(b);
          }
          dictOffset = this.offset + out.pos;
          pageHeader(out, PAGE.DICTIONARY, dict.pos, [7, T.STRUCT, [[1, T.I32, used.length], [2, T.I32, ENC.PLAIN]]]);
          out.bytes(dict.buf.subarray(0, dict.pos));
          dict.pos = 0;
        }
        definitionLevels(page, defined, rows, nonNull);
        if (used.length) packedIndices(page, idx, nonNull, Math.max(1, Math.ceil(Math.log2(used.length))));
        encodings = used.length ? [ENC.PLAIN, ENC.RLE, ENC.RLE_DICTIONARY] : [ENC.PLAIN, ENC.RLE];
      }
      const dataOffset = this.offset + out.pos;
      const valueEncoding = col.kind === 'text' && dictOffset !== null ? ENC.RLE_DICTIONARY : ENC.PLAIN;
      pageHeader(out, PAGE.DATA, page.pos, [5, T.STRUCT, [[1, T.I32, rows], [2, T.I32, valueEncoding], [3, T.I32, ENC.RLE], [4, T.I32, ENC.RLE]]]);
      out.bytes(page.buf.subarray(0, page.pos));
      page.pos = 0;
      chunks.push({ kind: this.fields[k]!.kind, name: this.fields[k]!.name, values: rows, dictOffset, dataOffset, size: this.offset + out.pos - chunkStart, encodings });
    });
    this.groups.push({ rows, chunks, bytes: this.offset + out.pos - start });
    const bytes = out.take();
    this.offset += bytes.length;
    return bytes;
  }

  finish(): Uint8Array {
    const out = this.body;
    if (this.offset === 0 && out.pos === 0) out.bytes(utf8.encode('PAR1'));
    const footer = new Bytes();
    const physical = { int: TYPE.INT32, double: TYPE.DOUBLE, text: TYPE.BYTE_ARRAY } as const;
    const schema: Field[][] = [
      [
        [4, T.BINARY, 'schema'],
        [5, T.I32, this.fields.length],
      ],
      ...this.fields.map((f): Field[] => [
        [1, T.I32, physical[f.kind]],
        [3, T.I32, OPTIONAL],
        [4, T.BINARY, f.name],
        [6, T.I32, f.kind === 'text' ? UTF8 : undefined],
      ]),
    ];
    const rowGroups = this.groups.map((g): Field[] => [
      [
        1,
        T.LIST,
        {
          elem: T.STRUCT,
          items: g.chunks.map((c): Field[] => [
            [2, T.I64, c.dictOffset ?? c.dataOffset],
            [
              3,
              T.STRUCT,
              [
                [1, T.I32, physical[c.kind]],
                [2, T.LIST, { elem: T.I32, items: c.encodings }],
                [3, T.LIST, { elem: T.BINARY, items: [c.name] }],
                [4, T.I32, 0],
                [5, T.I64, c.values],
                [6, T.I64, c.size],
                [7, T.I64, c.size],
                [9, T.I64, c.dataOffset],
                [11, T.I64, c.dictOffset ?? undefined],
              ] as Field[],
            ],
          ]),
        },
      ],
      [2, T.I64, g.bytes],
      [3, T.I64, g.rows],
    ]);
    const kv = Object.entries(this.meta).map(([key, value]): Field[] => [
      [1, T.BINARY, key],
      [2, T.BINARY, value],
    ]);
    struct(footer, [
      [1, T.I32, 1],
      [2, T.LIST, { elem: T.STRUCT, items: schema }],
      [3, T.I64, this.groups.reduce((a, g) => a + g.rows, 0)],
      [4, T.LIST, { elem: T.STRUCT, items: rowGroups }],
      [5, T.LIST, kv.length ? { elem: T.STRUCT, items: kv } : undefined],
      [6, T.BINARY, this.createdBy],
    ]);
    out.bytes(footer.buf.subarray(0, footer.pos));
    out.i32le(footer.pos);
    out.bytes(utf8.encode('PAR1'));
    const bytes = out.take();
    this.offset += bytes.length;
    return bytes;
  }
}
