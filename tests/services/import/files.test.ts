import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { runImport } from '../../../server/services/import/service.ts';
import { PRACTICE, count, importFiles, keys, practice } from './helpers.ts';

let db: Db;
let dir: string;
beforeEach(() => {
  db = createTestDb();
  dir = mkdtempSync(join(tmpdir(), 'import-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeBytes(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('headers', () => {
  it('matches header names without regard to case and surrounding spaces, in any column order', async () => {
    const report = await importFiles(db, { 'patients.csv': ' SEX , Patient_ID ,birth_date\nfemale,MRN001,1956-03-14\n' });
    expect(report.status).toBe('completed');
    expect(db.$client.prepare('SELECT mrn, birth_date, sex FROM patients').raw().get()).toEqual(['MRN001', '1956-03-14', 'female']);
  });

  it('ignores unknown extra columns and says so', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id,name,Notes,region_code\nS1,North,call first,NE\n' });
    expect(report.status).toBe('completed');
    expect(report.files[0]!.ignoredColumns).toEqual(['notes', 'region_code']);
    expect(report.notes).toContain('sites.csv: ignored columns not in the format: notes, region_code');
  });

  it('refuses a file with a missing required column as a wrong header, and imports the other files', async () => {
    const report = await importFiles(db, practice({ patients: 'patient_id,birth_date\nMRN001,1956-03-14\n', episodes: PRACTICE.episodes.split('\n')[0] + '\n', treatments: 'treatment_id,episode_id,date,category\n', observations: 'patient_id,date,measure,value\n' }));
    const patients = report.files.find((f) => f.file === 'patients.csv')!;
    expect(patients).toMatchObject({ rows: 0, inserted: 0, error: { kind: 'wrong_header' } });
    expect(report.errors).toEqual([
      {
        file: 'patients.csv',
        line: 1,
        column: null,
        kind: 'wrong_header',
        reason: 'wrong header for a patients file: missing required column sex (a patients file needs patient_id, birth_date, sex)',
      },
    ]);
    expect(count(db, 'patients')).toBe(0);
    expect(count(db, 'sites')).toBe(2);
    expect(report.status).toBe('completed_with_errors');
  });

  it('explains a header written with semicolons', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id;name\nS1;North\n' });
    expect(report.errors[0]!.reason).toMatch(/seems to use ";" as separator: use commas/);
    expect(report.status).toBe('rejected');
  });

  it('refuses a header that names a column twice', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id,name,Name\nS1,North,South\n' });
    expect(report.errors[0]).toMatchObject({ kind: 'wrong_header', reason: expect.stringContaining('name appears twice') });
  });

  it('refuses an empty file', async () => {
    const report = await importFiles(db, { 'sites.csv': '\n\n' });
    expect(report.errors).toEqual([{ file: 'sites.csv', line: null, column: null, kind: 'empty_file', reason: 'the file is empty: no header row' }]);
    expect(report.status).toBe('rejected');
  });

  it('accepts a file with a header and no rows', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id,name\n' });
    expect(report).toMatchObject({ status: 'completed', errorCount: 0, totals: { rows: 0 } });
  });
});

describe('identifying files', () => {
  it('knows a file by its name, in any case', async () => {
    const report = await importFiles(db, { 'SITES.CSV': 'site_id,name\nS1,North\n' });
    expect(report.files[0]).toMatchObject({ file: 'SITES.CSV', table: 'sites', inserted: 1 });
  });

  it('falls back to the header when the name does not tell', async () => {
    const report = await importFiles(db, {
      'export-2024-a.csv': 'provider_id,name,site_id\nD1,Dr One,S1\n',
      'export-2024-b.csv': 'site_id,name\nS1,North\n',
      'pts.csv': 'patient_id,birth_date,sex\nMRN001,1956-03-14,female\n',
      'scores.csv': 'patient_id,date,measure,value\nMRN001,2024-01-08,pain_nrs,8\n',
    });
    expect(report.files.map((f) => [f.file, f.table])).toEqual([
      ['export-2024-b.csv', 'sites'],
      ['export-2024-a.csv', 'providers'],
      ['pts.csv', 'patients'],
      ['scores.csv', 'observations'],
    ]);
    expect(report.status).toBe('completed');
  });

  it('refuses a file it cannot place', async () => {
    const report = await importFiles(db, { 'notes.csv': 'when,what\n2024-01-01,call\n', 'sites.csv': 'site_id,name\nS1,North\n' });
    expect(report.errors).toEqual([
      { file: 'notes.csv', line: null, column: null, kind: 'unknown_file', reason: expect.stringMatching(/cannot tell which table this file holds: name it sites\.csv/) },
    ]);
    expect(report.status).toBe('completed_with_errors');
    expect(count(db, 'sites')).toBe(1);
  });
});

describe('encodings', () => {
  it('strips a UTF-8 byte-order mark (file and upload)', async () => {
    const path = writeBytes('sites.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('site_id,name\nS1,Zürich\n')]));
    const { report } = await runImport(db, [{ path }]);
    expect(report.status).toBe('completed');
    const upload = await importFiles(db, { 'providers.csv': '\uFEFFprovider_id,name\nD1,Dr Ünal\n' });
    expect(upload.status).toBe('completed');
    expect(db.$client.prepare('SELECT name FROM sites').pluck().get()).toBe('Zürich');
    expect(db.$client.prepare('SELECT name FROM providers').pluck().get()).toBe('Dr Ünal');
  });

  it('refuses UTF-16 files with a clear message, with or without a byte-order mark', async () => {
    const text = 'site_id,name\nS1,North\n';
    const le = writeBytes('sites.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const noBom = writeBytes('providers.csv', Buffer.from('provider_id,name\nD1,Dr\n', 'utf16le'));
    const be = Buffer.from(text, 'utf16le').swap16();
    const bePath = writeBytes('patients.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    const { report } = await runImport(db, [{ path: le }, { path: noBom }, { path: bePath }]);
    expect(report.errors.map((e) => [e.file, e.kind, e.reason])).toEqual([
      ['sites.csv', 'encoding', 'the file is UTF-16 (little-endian, as Excel writes "Unicode text"): save it as CSV UTF-8'],
      ['providers.csv', 'encoding', expect.stringMatching(/looks like UTF-16 without a byte-order mark/)],
      ['patients.csv', 'encoding', 'the file is UTF-16 (big-endian): save it as CSV UTF-8'],
    ]);
    expect(report.status).toBe('rejected');
    expect(count(db, 'sites') + count(db, 'providers') + count(db, 'patients')).toBe(0);
  });

  it('refuses a file that is not valid UTF-8, whole, naming the line of the first bad byte', async () => {
    // Latin-1 "é" (0xE9) on line 4, after two valid rows: none of the file is stored.
    const bytes = Buffer.concat([Buffer.from('site_id,name\nS1,North\nS2,South\nS3,Caf'), Buffer.from([0xe9]), Buffer.from('\nS4,East\n')]);
    const { report } = await runImport(db, [{ path: writeBytes('sites.csv', bytes) }]);
    expect(report.errors).toEqual([
      { file: 'sites.csv', line: null, column: null, kind: 'encoding', reason: expect.stringMatching(/not valid UTF-8 \(first invalid byte on line 4; Windows-1252 or Latin-1 perhaps\)/) },
    ]);
    expect(count(db, 'sites')).toBe(0);
  });

  it('finds a bad byte far into a large file, across read chunks', async () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => `S${i},Site ${i}`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`site_id,name\n${rows}\nS-bad,`), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    const { report } = await runImport(db, [{ path: writeBytes('sites.csv', bytes) }]);
    expect(report.errors[0]!.reason).toContain('line 300002');
    expect(count(db, 'sites')).toBe(0);
  });

  it('accepts multi-byte characters split across read chunks', async () => {
    const name = 'Ærø 😀 '.repeat(100);
    const rows = Array.from({ length: 20_000 }, (_, i) => `S${i},${name}`).join('\n');
    const { report } = await runImport(db, [{ path: writeBytes('sites.csv', Buffer.from(`site_id,name\n${rows}\n`)) }]);
    expect(report.status).toBe('completed');
    expect(db.$client.prepare("SELECT count(*) FROM sites WHERE name = ?").pluck().get(name.trim())).toBe(20_000);
  });

  it('refuses an upload that was decoded from something other than UTF-8', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id,name\nS1,Caf\uFFFD\n' });
    expect(report.errors[0]).toMatchObject({ kind: 'encoding', reason: expect.stringContaining('replacement character on line 2') });
  });

  it('reports an unreadable path', async () => {
    const { report } = await runImport(db, [{ path: join(dir, 'nope', 'sites.csv') }]);
    expect(report.errors[0]).toMatchObject({ file: 'sites.csv', kind: 'unreadable', reason: 'the file cannot be read (ENOENT)' });
  });
});

describe('unusual but valid shapes', () => {
  it('reads a large file with old Mac line ends (CR only)', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `S${i},Site ${i}`).join('\r');
    const { report } = await runImport(db, [{ path: writeBytes('sites.csv', Buffer.from(`site_id,name\r${rows}\r`)) }]);
    expect(report).toMatchObject({ status: 'completed', totals: { rows: 100_000, inserted: 100_000 } });
    expect(report.files[0]!.committedThroughLine).toBe(100_001);
  });

  it('survives one giant line with millions of fields', async () => {
    const report = await importFiles(db, { 'sites.csv': `site_id,name\nS1,North\n${','.repeat(3_000_000)}\nS2,South\n` });
    expect(report.errors).toEqual([{ file: 'sites.csv', line: 3, column: null, kind: 'wrong_field_count', reason: 'more than 10,000 fields' }]);
    expect(keys(db, 'sites')).toEqual(['S1', 'S2']);
  });
});

describe('line numbers', () => {
  it('are physical lines, also after quoted fields with line breaks, and span multi-line records', async () => {
    const report = await importFiles(db, {
      'providers.csv': [
        'provider_id,name,specialty',
        'D1,"Dr One',
        'and Partners",anesthesiology',
        'D2,"Dr ""Two""",',
        '',
        'D3,,physiatry',
        'D4,"Dr Four',
        '",x,extra',
        'D5,Dr Five,',
      ].join('\r\n'),
    });
    expect(report.errors.map((e) => [e.line, e.endLine, e.column, e.kind])).toEqual([
      [6, undefined, 'name', 'missing_value'],
      [7, 8, null, 'wrong_field_count'],
    ]);
    expect(keys(db, 'providers')).toEqual(['D1', 'D2', 'D5']);
  });

  it('point at the start of an unclosed quote, which swallows the rest of the file', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id,name\nS1,North\nS2,"South\nS3,East\nS4,West\n' });
    expect(report.errors).toEqual([
      { file: 'sites.csv', line: 3, endLine: 5, column: 'name', kind: 'malformed_quotes', reason: expect.stringContaining('never closed (it runs from line 3 to the end of the file, line 5)') },
    ]);
    expect(keys(db, 'sites')).toEqual(['S1']);
  });
});
