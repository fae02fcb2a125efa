import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParser, type RecordProblem } from '../../../server/services/import/csv.ts';

type Rec = { fields: string[]; line: number; endLine: number; problems: RecordProblem[] | null };

function parse(text: string, chunks: number[] = [], maxField = 1000): Rec[] {
  const out: Rec[] = [];
  const p = new CsvParser((fields, line, endLine, problems) => out.push({ fields, line, endLine, problems }), { maxField });
  let at = 0;
  for (const size of chunks) {
    if (at >= text.length) break;
    p.push(text.slice(at, at + size));
    at += size;
  }
  p.push(text.slice(at));
  p.end();
  return out;
}

const lines = (recs: Rec[]) => recs.map((r) => [r.line, r.endLine]);

describe('CsvParser', () => {
  it('splits plain lines and numbers them', () => {
    expect(parse('a,b\n1,2\n3,4\n')).toEqual([
      { fields: ['a', 'b'], line: 1, endLine: 1, problems: null },
      { fields: ['1', '2'], line: 2, endLine: 2, problems: null },
      { fields: ['3', '4'], line: 3, endLine: 3, problems: null },
    ]);
  });

  it('accepts LF, CRLF and lone CR line ends, and a last line without one', () => {
    for (const text of ['a,b\n1,2\n3,4', 'a,b\r\n1,2\r\n3,4\r\n', 'a,b\r1,2\r3,4\r']) {
      expect(parse(text).map((r) => [r.fields, r.line])).toEqual([
        [['a', 'b'], 1],
        [['1', '2'], 2],
        [['3', '4'], 3],
      ]);
    }
  });

  it('gives the physical line of records after quoted line breaks', () => {
    const text = 'id,note\n1,"two\nlines"\n2,"three\r\nmore\rlines"\n3,x\n';
    const recs = parse(text);
    expect(recs.map((r) => r.fields)).toEqual([['id', 'note'], ['1', 'two\nlines'], ['2', 'three\r\nmore\rlines'], ['3', 'x']]);
    expect(lines(recs)).toEqual([
      [1, 1],
      [2, 3],
      [4, 6],
      [7, 7],
    ]);
  });

  it('skips blank lines but counts them', () => {
    expect(lines(parse('a\n\n\r\n1\n\n2\n'))).toEqual([
      [1, 1],
      [4, 4],
      [6, 6],
    ]);
  });

  it('unescapes doubled quotes and keeps commas inside quotes', () => {
    expect(parse('"a ""quoted"" word","x,y",""\n')[0]!.fields).toEqual(['a "quoted" word', 'x,y', '']);
  });

  it('flags malformed quotes once per field, with the field', () => {
    expect(parse('a,b"c"d\n')[0]!.problems).toEqual([{ kind: 'quote_in_unquoted', field: 1 }]);
    expect(parse('"a"b,c\n')[0]!.problems).toEqual([{ kind: 'text_after_quote', field: 0 }]);
  });

  it('reads an unclosed quote to the end of the file as one record, without keeping it', () => {
    const text = `a,"open\n${'x,y\n'.repeat(10_000)}`;
    const recs = parse(text, [], 100);
    expect(recs).toHaveLength(1);
    expect(recs[0]!).toMatchObject({ line: 1, endLine: 10_001, problems: [{ kind: 'unclosed_quote', field: 1 }] });
    expect(recs[0]!.fields[1]!.length).toBe(101);
  });

  it('keeps at most maxField + 1 characters of a field, so a long field is still seen as long', () => {
    const recs = parse(`"${'x'.repeat(5000)}",${'y'.repeat(5000)}\n${'z'.repeat(5000)}\n`, [7, 100, 3000], 1000);
    // The quoted record goes through the state machine (capped); the plain line is split whole.
    expect(recs.map((r) => r.fields.map((f) => f.length))).toEqual([[1001, 1001], [5000]]);
  });

  it('caps the number of fields of a record', () => {
    const recs: Rec[] = [];
    const p = new CsvParser((fields, line, endLine, problems) => recs.push({ fields, line, endLine, problems }), { maxField: 10, maxFields: 5 });
    p.push(`${','.repeat(20)}\n"a",${','.repeat(20)}\n`);
    p.end();
    expect(recs.map((r) => [r.fields.length, r.problems])).toEqual([
      [5, [{ kind: 'too_many_fields', field: 5 }]],
      [5, [{ kind: 'too_many_fields', field: 5 }]],
    ]);
  });

  it('gives the same records whatever the chunking (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '😀');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 200 }).map((cs) => cs.join('')),
        fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 30 }),
        (text, chunks) => {
          expect(parse(text, chunks)).toEqual(parse(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips what an RFC 4180 writer produces, with the right lines (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ',', '"', '\n', '\r\n', ' ', '=', 'ü'), maxLength: 12 });
    const quote = (f: string) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f);
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 20 }), fc.constantFrom('\n', '\r\n'), (rows, eol) => {
        const text = rows.map((r) => r.map(quote).join(',')).join(eol) + eol;
        const recs = parse(text, [5, 3, 11]);
        expect(recs.map((r) => r.fields)).toEqual(rows);
        let line = 1;
        rows.forEach((r, i) => {
          const breaks = r.join('').split(/\r\n|\n|\r/).length - 1;
          expect([recs[i]!.line, recs[i]!.endLine]).toEqual([line, line + breaks]);
          line += breaks + 1;
        });
      }),
      { numRuns: 500 },
    );
  });
});
