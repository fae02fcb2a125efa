/**
 * CSV writing shared by every export (server streams and client downloads):
 * RFC 4180 quoting plus neutralisation of spreadsheet formulas.
 *
 * A text cell beginning with = + - @ tab or carriage return would be run as a
 * formula by Excel, LibreOffice or Google Sheets when the file is opened
 * (OWASP "CSV injection"). Such a cell gets a leading apostrophe, which the
 * spreadsheet shows as text and R / pandas read as part of the string. Numbers
 * are written as numbers (a negative change stays -2, not '-2); only text is
 * neutralised, so a number that arrives as text ("-2") is neutralised too:
 * callers pass numbers as numbers.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** The text of one cell, neutralised if it could start a formula. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One cell as written to the file: empty for null, numbers as numbers, text neutralised and quoted when needed. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = neutraliseCell(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvLine(values: readonly CsvValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvField(values[i]);
  }
  return `${line}\r\n`;
}

export type CsvColumn<Row> = {
  /** Header text. */
  header: string;
  value: (row: Row) => CsvValue;
};

/** A whole table as CSV text: header line, then one line per row. */
export function toCsv<Row>(columns: readonly CsvColumn<Row>[], rows: Iterable<Row>): string {
  const parts = [csvLine(columns.map((c) => c.header))];
  for (const row of rows) parts.push(csvLine(columns.map((c) => c.value(row))));
  return parts.join('');
}
