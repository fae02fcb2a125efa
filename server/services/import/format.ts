/**
 * The report for a person: what was stored per file, the first errors as a
 * table, and how many errors of each kind. Plain text, for the CLI.
 */
import type { ErrorKind, ImportReport } from './types.ts';

const STATUS_TEXT: Record<ImportReport['status'], string> = {
  running: 'still running',
  completed: 'completed: every row stored',
  completed_with_errors: 'completed with errors: valid rows stored, invalid rows listed below',
  rejected: 'rejected: nothing stored',
  interrupted: 'interrupted: only the committed batches are stored',
};

export const KIND_TEXT: Record<ErrorKind, string> = {
  missing_value: 'missing required value',
  invalid_enum: 'value not in the list',
  out_of_range: 'value out of range',
  invalid_date: 'malformed date',
  invalid_number: 'malformed number',
  invalid_zip: 'malformed ZIP code',
  invalid_icd10: 'malformed ICD-10-CM code',
  retired_icd10: 'retired ICD-10-CM code',
  invalid_procedure_code: 'malformed CPT/HCPCS code',
  unknown_reference: 'unknown reference',
  duplicate_id: 'duplicate id',
  duplicate_observation: 'duplicate observation',
  wrong_field_count: 'wrong number of fields',
  field_too_long: 'field too long',
  malformed_quotes: 'malformed quotes',
  control_character: 'control character',
  db_refused: 'refused by the database',
  wrong_header: 'wrong header',
  unknown_file: 'unknown file',
  encoding: 'wrong encoding',
  empty_file: 'empty file',
  unreadable: 'unreadable file',
};

export function formatReport(report: ImportReport, opts: { maxErrors?: number } = {}): string {
  const maxErrors = opts.maxErrors ?? 20;
  const out: string[] = [];
  out.push(`Import #${report.importId} (${report.mode === 'all_or_nothing' ? 'all-or-nothing' : 'partial'}): ${STATUS_TEXT[report.status]}`);
  out.push('');
  out.push(
    table(
      ['file', 'table', 'rows', 'inserted', 'updated', 'unchanged', 'rejected'],
      [
        ...report.files.map((f) => [
          f.file,
          f.table ?? '?',
          n(f.rows),
          n(f.inserted),
          n(f.updated),
          n(f.unchanged),
          f.error ? `file refused (${KIND_TEXT[f.error.kind]})` : n(f.rejected),
        ]),
        ['total', '', n(report.totals.rows), n(report.totals.inserted), n(report.totals.updated), n(report.totals.unchanged), n(report.totals.rejected)],
      ],
      [false, false, true, true, true, true, true],
    ),
  );
  if (report.errorCount > 0) {
    const shown = report.errors.slice(0, maxErrors);
    out.push('');
    out.push(
      `Errors: ${n(report.errorCount)}${report.errorCount > shown.length ? ` (the first ${n(shown.length)} are listed${report.errorsTruncated ? `; the report keeps ${n(report.errors.length)}` : ''})` : ''}`,
    );
    out.push(
      table(
        ['file', 'line', 'column', 'reason'],
        shown.map((e) => [e.file, e.line === null ? '' : e.endLine ? `${e.line}-${e.endLine}` : String(e.line), e.column ?? '', e.reason]),
        [false, true, false, false],
      ),
    );
    out.push('');
    out.push('Errors by reason:');
    const counts = Object.entries(report.errorCountsByKind) as Array<[ErrorKind, number]>;
    counts.sort((a, b) => b[1] - a[1]);
    out.push(table(['reason', 'count'], counts.map(([k, c]) => [KIND_TEXT[k], n(c)]), [false, true]));
  }
  if (report.notes.length > 0) {
    out.push('');
    for (const note of report.notes) out.push(`Note: ${note}`);
  }
  return out.join('\n');
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function table(head: string[], rows: string[][], right: boolean[]): string {
  const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 199)}…` : s).replace(/[\r\n\t]/g, ' ');
  const cells = [head, ...rows].map((r) => r.map(clip));
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
