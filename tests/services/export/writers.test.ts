/**
 * The export's own writers read back by independent readers: the Parquet
 * column writer (parquet.ts) by DuckDB and hyparquet, the zip writer (zip.ts)
 * by Info-ZIP's unzip and Python's zipfile (CRC-32 checked), and the packing
 * of codes that carries texts from the analytic store (slots.ts).
 */
import { parquetReadObjects } from 'hyparquet';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROCEDURE_CODE_SHAPE } from '../../../db/schema/vocabulary.ts';
import { ParquetFile, PARQUET_NULL_INT, type ParquetColumn } from '../../../server/services/export/parquet.ts';
import { ICD10_SHAPE, packCode, unpackCode } from '../../../server/services/export/slots.ts';
import { ZipWriter } from '../../../server/services/export/zip.ts';
import { duck } from './helpers.ts';

/** A deterministic pseudo-random sequence (xorshift). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('Parquet column writer (parquet.ts)', () => {
  it('row groups of ints, doubles and dictionary texts, with and without nulls, read back equal by DuckDB and hyparquet', async () => {
    const rand = rng(7);
    // Text dictionaries of 1, 2, 3, 300 and 3,000 distinct values: index widths 1, 1, 2, 9 and 12 bits.
    const sizes = [1, 2, 3, 300, 3000];
    const texts = sizes.map((n, k) => Array.from({ length: n }, (_, i) => `t${k}-${i}-ä`));
    const fields = [
      { name: 'i_full', kind: 'int' as const },
      { name: 'i_some', kind: 'int' as const },
      { name: 'i_none', kind: 'int' as const },
      { name: 'd_some', kind: 'double' as const },
      ...sizes.map((_, k) => ({ name: `s${k}`, kind: 'text' as const })),
      { name: 's_none', kind: 'text' as const },
    ];
    const file = new ParquetFile(fields, { table: 'test' });
    const parts: Uint8Array[] = [];
    const expected: Array<Record<string, unknown>> = [];
    const enc = new TextEncoder();
    for (const rows of [1, 7, 8, 9, 5000]) {
      const cols: ParquetColumn[] = [];
      const iFull = Int32Array.from({ length: rows }, () => Math.floor((rand() - 0.5) * 2 ** 31));
      const iSome = Int32Array.from({ length: rows }, () => (rand() < 0.3 ? PARQUET_NULL_INT : Math.floor(rand() * 1000) - 500));
      const iNone = new Int32Array(rows).fill(PARQUET_NULL_INT);
      const dSome = Float64Array.from({ length: rows }, () => (rand() < 0.4 ? NaN : (rand() - 0.5) * 1e6));
      const codes = sizes.map((n) => Int32Array.from({ length: rows }, () => (rand() < 0.2 ? 0 : 1 + Math.floor(rand() * n))));
      cols.push({ kind: 'int', data: iFull }, { kind: 'int', data: iSome }, { kind: 'int', data: iNone }, { kind: 'double', data: dSome });
      codes.forEach((c, k) => cols.push({ kind: 'text', codes: c, bytes: (code) => enc.encode(texts[k]![code - 1]!) }));
      cols.push({ kind: 'text', codes: new Int32Array(rows), bytes: () => new Uint8Array(0) });
      parts.push(file.rowGroup(cols, rows));
      for (let r = 0; r < rows; r++) {
        const row: Record<string, unknown> = {
          i_full: iFull[r],
          i_some: iSome[r] === PARQUET_NULL_INT ? null : iSome[r],
          i_none: null,
          d_some: Number.isNaN(dSome[r]) ? null : dSome[r],
          s_none: null,
        };
        codes.forEach((c, k) => (row[`s${k}`] = c[r] ? texts[k]![c[r]! - 1] : null));
        expected.push(row);
      }
    }
    parts.push(file.finish());
    const bytes = Buffer.concat(parts);
    const dir = mkdtempSync(join(tmpdir(), 'parquet-writer-'));
    writeFileSync(join(dir, 't.parquet'), bytes);
    const names = fields.map((f) => f.name);
    const norm = (rows: Array<Record<string, unknown>>) => rows.map((r) => JSON.stringify(names.map((n) => (typeof r[n] === 'bigint' ? Number(r[n]) : (r[n] ?? null)))));
    const viaHyparquet = (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer })) as Array<Record<string, unknown>>;
    expect(norm(viaHyparquet)).toEqual(norm(expected));
    const con = await duck();
    const viaDuck = (await con.runAndReadAll(`SELECT * FROM read_parquet('${join(dir, 't.parquet')}')`)).getRowObjectsJS() as Array<Record<string, unknown>>;
    expect(norm(viaDuck)).toEqual(norm(expected));
    // The schema as DuckDB reads it: INT32, DOUBLE and UTF8 text, every column optional.
    const schema = (await con.runAndReadAll(`SELECT name, type, converted_type, repetition_type FROM parquet_schema('${join(dir, 't.parquet')}') WHERE name <> 'schema'`)).getRowObjectsJS();
    expect(schema.map((s) => [s.name, s.type, s.repetition_type])).toEqual(fields.map((f) => [f.name, f.kind === 'int' ? 'INT32' : f.kind === 'double' ? 'DOUBLE' : 'BYTE_ARRAY', 'OPTIONAL']));
    const kv = (await con.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${join(dir, 't.parquet')}')`)).getRowObjectsJS();
    expect(kv).toEqual([{ k: 'table', v: 'test' }]);
  });

  it('an empty table is a valid file with no rows', async () => {
    const file = new ParquetFile([{ name: 'a', kind: 'int' }]);
    const bytes = Buffer.from(file.finish());
    const dir = mkdtempSync(join(tmpdir(), 'parquet-empty-'));
    writeFileSync(join(dir, 'e.parquet'), bytes);
    const rows = (await (await duck()).runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${join(dir, 'e.parquet')}')`)).getRowObjectsJS();
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

describe('zip writer (zip.ts)', () => {
  it('stored and deflated entries, written in pieces, read back with their CRC-32 checked by unzip and Python zipfile', async () => {
    const zip = new ZipWriter(new Date('2026-11-24T12:34:56Z'));
    const chunks: Buffer[] = [];
    zip.output.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => zip.output.on('end', r));
    const rand = rng(3);
    const text = Array.from({ length: 20000 }, (_, i) => `${i},${Math.floor(rand() * 100)},näme\r\n`).join('');
    const binary = Uint8Array.from({ length: 300_000 }, () => Math.floor(rand() * 256));
    await zip.add('README.txt', Buffer.from('hello\n'), 6);
    zip.start('rows.csv', 1);
    for (let i = 0; i < text.length; i += 7777) zip.write(Buffer.from(text.slice(i, i + 7777)));
    await zip.end();
    zip.start('data.bin', 0);
    zip.write(binary.subarray(0, 1000));
    zip.write(binary.subarray(1000));
    await zip.finish();
    await ended;
    const dir = mkdtempSync(join(tmpdir(), 'zip-writer-'));
    const path = join(dir, 't.zip');
    writeFileSync(path, Buffer.concat(chunks));
    expect(execFileSync('unzip', ['-t', path]).toString()).toContain('No errors detected');
    const py = execFileSync('/usr/bin/python3', [
      '-c',
      `import zipfile, hashlib, json, sys
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.compress_type, i.file_size, hashlib.sha256(z.read(i)).hexdigest(), list(i.date_time)] for i in z.infolist()]))`,
      path,
    ]).toString();
    const h = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(JSON.parse(py)).toEqual([
      ['README.txt', 8, 6, h(Buffer.from('hello\n')), [2026, 11, 24, 12, 34, 56]],
      ['rows.csv', 8, Buffer.byteLength(text), h(Buffer.from(text)), [2026, 11, 24, 12, 34, 56]],
      ['data.bin', 0, binary.length, h(binary), [2026, 11, 24, 12, 34, 56]],
    ]);
  });
});

describe('codes carried as numbers (slots.ts packCode)', () => {
  it('round-trips every code of the shapes, and gives 0 (none) for anything else', () => {
    for (const c of ['64483', '0275T', 'J1040', 'A0001', '20610']) expect(unpackCode(packCode(c, PROCEDURE_CODE_SHAPE))).toBe(c);
    for (const c of ['M54.5', 'M51.16', 'G89.29', 'M54', 'S33.5XXA', 'Z99.8']) expect(unpackCode(packCode(c, ICD10_SHAPE))).toBe(c);
    // Free text, formulas, lower case and other shapes never cross.
    for (const c of ['=HYPERLINK("x")', 'CANARY', 'm54.5', 'U07.1', '6448', '644833', 'W1234', '', null]) {
      expect(packCode(c, PROCEDURE_CODE_SHAPE)).toBe(0);
      expect(packCode(c, ICD10_SHAPE)).toBe(0);
    }
    // Distinct codes, distinct numbers (exact in a double).
    const all = ['M54.5', 'M54.50', 'M54.05', 'M54.0', 'S33.5XXA', 'S33.5XXD'].map((c) => packCode(c, ICD10_SHAPE));
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((v) => Number.isSafeInteger(v) && v > 0)).toBe(true);
  });
});
