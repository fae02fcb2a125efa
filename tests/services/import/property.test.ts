/**
 * Random hostile CSV never makes the importer throw, and every data row is
 * either stored (with exactly its values) or reported (an error covers its
 * line). Rows are written as RFC 4180 records with hostile values (quotes,
 * delimiters, line breaks, formula cells, NULs, fields around the length cap,
 * dangling references, duplicates); junk lines between them may break the
 * structure around them, in which case an error must cover what they swallow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { parseIsoDate } from '../../../server/domain/dates.ts';
import { runImport, type ImportReport } from '../../../server/services/import/service.ts';

type Written = { line: number; fields: Record<string, string> };
type File = { name: string; table: 'patients' | 'observations'; text: string; rows: Written[]; header: string[] };

const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', '\r\n', '=', '+', '-', '@', '\t', 'é', '😀', '\u0000'), maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '=cmd|" /C calc"!A0', '+1+1', '-2', '@SUM(A1)', '=HYPERLINK("x")') },
  { weight: 1, arbitrary: fc.integer({ min: 995, max: 1200 }).map((n) => 'x'.repeat(n)) },
);
const mrn = fc
  .tuple(fc.integer({ min: 0, max: 25 }), fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: hostile }))
  .map(([n, s]) => `MRN${n}${s}`);
const date = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: parseIsoDate('1900-01-01')!, max: parseIsoDate('2199-12-31')! }).map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10)) },
  { weight: 1, arbitrary: fc.constantFrom('2023-02-29', '1960-13-01', '01/02/1960', '1899-12-31', '', ' 2020-01-01 ', '2020-1-1') },
  { weight: 1, arbitrary: hostile },
);
const sex = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('female', 'Male', 'OTHER', 'unknown', ' female ') }, { weight: 1, arbitrary: hostile });
const zip = fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 99_999 }).map((n) => String(n).padStart(5, '0')), fc.constantFrom('1234', '02139-1234'), hostile);
const measure = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('pain_nrs', 'odi', 'promis_pi', 'promis_pf', 'mme', 'PAIN_NRS') }, { weight: 1, arbitrary: hostile });
const value = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 120 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('7.5', '1e309', 'NaN', '0x10', '1,5', '', ' 3 ', '+4', '.5') },
  { weight: 1, arbitrary: hostile },
);
/** Junk: anything but digits and dashes, so that it can never be a valid row itself. */
const junk = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\r', '\n', ' ', '=', '@', 'é', '\u0000'), minLength: 1, maxLength: 30 });

function quote(f: string): string {
  return /[",\r\n]/.test(f) || f === '' || f !== f.trim() ? `"${f.replace(/"/g, '""')}"` : f;
}

/** Line breaks as the importer counts them: LF, CRLF and a lone CR. */
function breaks(s: string): number {
  return (s.match(/\r\n|\r|\n/g) ?? []).length;
}

function buildFile(
  name: string,
  table: File['table'],
  columns: string[],
  rows: Array<Record<string, string>>,
  junkAt: Array<[number, string]>,
  eol: string,
  headerCase: boolean,
): File {
  const header = columns.map((c) => (headerCase ? ` ${c.toUpperCase()} ` : c));
  let text = header.join(',') + eol;
  const written: Written[] = [];
  const junkBefore = new Map<number, string[]>();
  for (const [at, j] of junkAt) junkBefore.set(at % (rows.length + 1), [...(junkBefore.get(at % (rows.length + 1)) ?? []), j]);
  rows.forEach((row, i) => {
    for (const j of junkBefore.get(i) ?? []) text += j + eol;
    // Counted on the whole text so far: a junk line ending in CR and an LF end of line make one break.
    written.push({ line: 1 + breaks(text), fields: Object.fromEntries(columns.map((c) => [c, row[c] ?? ''])) });
    text += columns.map((c) => quote(row[c] ?? '')).join(',') + eol;
  });
  for (const j of junkBefore.get(rows.length) ?? []) text += j + eol;
  return { name, table, text, rows: written, header: columns };
}

const scenario = fc.record({
  patients: fc.array(fc.record({ patient_id: mrn, birth_date: date, sex, zip }), { maxLength: 25 }),
  observations: fc.array(
    fc.record({ observation_id: fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 30 }).map((n) => `O${n}`)), patient_id: mrn, date, measure, value }),
    { maxLength: 40 },
  ),
  patientJunk: fc.array(fc.tuple(fc.nat(), junk), { maxLength: 3 }),
  observationJunk: fc.array(fc.tuple(fc.nat(), junk), { maxLength: 3 }),
  eol: fc.constantFrom('\n', '\r\n'),
  headerCase: fc.boolean(),
  dropZip: fc.boolean(),
  dropRequired: fc.constantFrom(false, false, false, false, true),
  reverse: fc.boolean(),
  mode: fc.constantFrom('partial' as const, 'partial' as const, 'all_or_nothing' as const),
  batchRows: fc.integer({ min: 1, max: 12 }),
});

/** A row is reported if its file was refused or an error's lines include the row's first line. */
function covered(report: ImportReport, file: string, line: number): boolean {
  if (report.files.some((f) => f.file === file && f.error !== null)) return true;
  return report.errors.some((e) => e.file === file && e.line !== null && e.line <= line && line <= (e.endLine ?? e.line));
}

function storedPatient(db: Db, row: Record<string, string>): boolean {
  const got = db.$client.prepare('SELECT birth_date, sex, zip FROM patients WHERE mrn = ?').get(row.patient_id!.trim()) as
    | { birth_date: string; sex: string; zip: string | null }
    | undefined;
  if (!got) return false;
  const z = (row.zip ?? '').trim();
  return got.birth_date === row.birth_date!.trim() && got.sex === row.sex!.trim().toLowerCase() && got.zip === (z === '' ? null : z);
}

function storedObservation(db: Db, row: Record<string, string>): boolean {
  const got = db.$client
    .prepare(
      `SELECT o.key, o.value FROM observations o JOIN patients p ON p.id = o.patient_id
       WHERE p.mrn = ? AND o.measure = ? AND o.date = ?`,
    )
    .get(row.patient_id!.trim(), row.measure!.trim().toLowerCase(), row.date!.trim()) as { key: string | null; value: number } | undefined;
  if (!got) return false;
  const key = row.observation_id!.trim();
  return got.value === Number(row.value!.trim()) && got.key === (key === '' ? null : key);
}

describe('hostile CSV (property)', () => {
  it('never throws; every row is stored with its values or reported; no PHI in reasons', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const db = createTestDb();
        const patientColumns = ['patient_id', 'birth_date', 'sex', ...(s.dropZip ? [] : ['zip'])].filter((c) => !(s.dropRequired && c === 'sex'));
        const files = [
          buildFile('patients.csv', 'patients', patientColumns, s.patients, s.patientJunk, s.eol, s.headerCase),
          buildFile('observations.csv', 'observations', ['observation_id', 'patient_id', 'date', 'measure', 'value'], s.observations, s.observationJunk, s.eol, false),
        ];
        if (s.reverse) files.reverse();
        const { report } = await runImport(
          db,
          files.map((f) => ({ name: f.name, content: f.text })),
          { mode: s.mode, batchRows: s.batchRows, maxErrors: 1_000_000 },
        );

        // The report adds up.
        expect(report.errorCount).toBe(report.errors.length);
        expect(Object.values(report.errorCountsByKind).reduce((a, b) => a + b, 0)).toBe(report.errorCount);
        for (const f of report.files) {
          if (!f.error) expect(f.rows).toBe(f.valid + f.rejected);
        }
        const nothingStored = s.mode === 'all_or_nothing' && report.errorCount > 0;
        expect(report.status).toBe(report.errorCount === 0 ? 'completed' : nothingStored || report.totals.inserted === 0 ? 'rejected' : 'completed_with_errors');

        // Every written row: reported, or stored with exactly its values; nothing else stored.
        for (const f of files) {
          const fileReport = report.files.find((r) => r.file === f.name)!;
          const table = f.table;
          const uncovered = f.rows.filter((r) => !covered(report, f.name, r.line));
          if (fileReport.error) expect(fileReport.rows + fileReport.inserted).toBe(0);
          const stored = db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
          if (nothingStored) {
            expect(stored).toBe(0);
            continue;
          }
          expect(stored).toBe(uncovered.length);
          expect(fileReport.inserted).toBe(uncovered.length);
          for (const r of uncovered) {
            const ok = table === 'patients' ? storedPatient(db, r.fields) : storedObservation(db, r.fields);
            expect(ok, `${f.name} line ${r.line} neither stored as written nor reported: ${JSON.stringify(r.fields)}`).toBe(true);
          }
        }

        // Reasons never quote identifiers, dates or ZIP codes.
        const phi = [...s.patients.flatMap((p) => [p.patient_id, p.birth_date, p.zip]), ...s.observations.flatMap((o) => [o.patient_id, o.date])].filter(
          (v) => v.trim().length >= 4 && /[0-9]/.test(v),
        );
        for (const e of report.errors) for (const v of phi) expect(e.reason.includes(v.trim()), `reason quotes a value: ${e.reason}`).toBe(false);

        expect(db.$client.pragma('foreign_key_check')).toEqual([]);
        db.$client.close();
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 150) },
    );
  }, 120_000);
});
