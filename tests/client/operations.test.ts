/**
 * The Operations page's pure client code: URL filters, mappers from router
 * outputs to chart and table rows, sorting with withheld figures, and the CSV
 * exports against hostile values (formula injection, quotes, line breaks).
 */
import { describe, expect, it } from 'vitest';
import {
  OPERATIONS_FILTERS,
  calendarCells,
  comparisonCsv,
  followUpInput,
  intervalRows,
  mixText,
  moversCsv,
  opsFilters,
  repeatsCsv,
  sortComparison,
  topMovers,
  volumeCsv,
  volumeRows,
  type CalendarData,
  type Comparison,
  type ComparisonRow,
  type Flagged,
  type Movers,
  type Repeats,
  type Volume,
} from '../../client/src/data/operations.ts';
import { defaultFilters, filterSearch, parseFilters } from '../../client/src/data/url-filters.ts';
import { toCsv } from '../../server/domain/csv.ts';

const W = { suppressed: 'small', display: '<11' } as const;
const HOSTILE = ['=1+2', '+SUM(A1)', '-2+3', '@cmd', '\tTAB', '\rCR', '=HYPERLINK("http://evil","x")', 'a,b', 'line\nbreak'];

const proportion = (x: number | typeof W, n: number | typeof W, p: number | null) => ({ x, n, p, lower: p === null ? null : p - 0.05, upper: p === null ? null : p + 0.05 });
function row(label: string, sessions: number | typeof W, completion: number | null, responders: number | null): ComparisonRow {
  return {
    key: label,
    label,
    sessions,
    mix: [
      { category: 'epidural_steroid_injection', label: 'Epidural steroid injection', sessions: 6, share: 0.6 },
      { category: 'medial_branch_block', label: 'Medial branch block', sessions: 4, share: 0.4 },
    ],
    episodes: 20,
    baseline: proportion(18, 20, 0.9),
    completion: proportion(completion === null ? W : 12, completion === null ? W : 15, completion),
    responders: proportion(6, 12, responders),
  };
}

/** Parses a CSV text (RFC 4180) into cells, for checking what a spreadsheet would read. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let cell = '';
  let line: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      line.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      line.push(cell);
      rows.push(line);
      line = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}
const FORMULA = /^[=+\-@\t\r]/;

describe('URL filters', () => {
  it('keeps the shared practice filters and its own, canonical and with safe fallbacks', () => {
    const f = parseFilters(OPERATIONS_FILTERS, new URLSearchParams('provider=3,1&code=64484,62323,bad&period=quarter&by=site&measure=mme&definition=pct50&unit=lines&year=2025'));
    expect(f.provider).toEqual([1, 3]);
    expect(f.code).toEqual(['62323', '64484']);
    expect([f.period, f.by, f.unit, f.year]).toEqual(['quarter', 'site', 'lines', 2025]);
    // Opioid MME has no survey completion here: back to pain; a non-pain measure has only the MCID.
    expect(f.measure).toBe('pain_nrs');
    const odi = parseFilters(OPERATIONS_FILTERS, new URLSearchParams('measure=odi&definition=pct50'));
    expect(odi.definition).toBe('mcid');
    expect(filterSearch(OPERATIONS_FILTERS, defaultFilters(OPERATIONS_FILTERS))).toBe('');
    expect(opsFilters(f)).toMatchObject({ providers: [1, 3], codes: ['62323', '64484'], sites: [] });
    expect(followUpInput(f)).toMatchObject({ by: 'provider', period: 'quarter', window: 'm3' });
  });
});

describe('mappers', () => {
  const volume: Volume = {
    period: 'month',
    by: 'provider',
    unit: 'sessions',
    from: '2025-01-01',
    to: '2025-02-28',
    truncated: false,
    buckets: [
      { key: 24300, label: '2025-01', start: '2025-01-01' },
      { key: 24301, label: '2025-02', start: '2025-02-01' },
    ],
    groups: [
      { key: '1', label: '=cmd|calc', counts: [40, W], total: 51 },
      { key: 'others', label: '2 other groups', counts: [12, 30], total: 42 },
    ],
    totals: [52, 41],
    total: 93,
    periodChange: [null, (41 - 52) / 52],
    yearChange: [null, null],
    yearBefore: [null, null],
    updating: false,
  };

  it('volume rows carry each group, withheld counts as null, and the totals and changes', () => {
    expect(volumeRows(volume)).toEqual([
      { label: '2025-01', start: '2025-01-01', total: 52, periodChange: null, yearChange: null, g0: 40, g1: 12 },
      { label: '2025-02', start: '2025-02-01', total: 41, periodChange: (41 - 52) / 52, yearChange: null, g0: null, g1: 30 },
    ]);
  });

  it('the volume CSV writes a withheld count as its marker and neutralises a hostile group name in the header', () => {
    const cells = parseCsv(toCsv(volumeCsv(volume), volumeRows(volume)));
    expect(cells[0]).toEqual(['Period start', 'Period', "'=cmd|calc", '2 other groups', 'Total', 'Change from previous period', 'Change from a year before']);
    expect(cells[2]!.slice(2, 5)).toEqual(['<11', '30', '41']);
    expect(cells[2]![5]).toBe(String((41 - 52) / 52));
  });

  it('calendar cells: weeks as columns from the first weekday, shade by share of the busiest day, withheld apart', () => {
    const c: CalendarData = {
      year: 2025,
      years: [2025],
      days: [
        { date: '2025-01-01', weekday: 2, count: 0 },
        { date: '2025-01-02', weekday: 3, count: 10 },
        { date: '2025-01-03', weekday: 4, count: 40 },
        { date: '2025-01-04', weekday: 5, count: W },
        { date: '2025-01-05', weekday: 6, count: 1 },
        { date: '2025-01-06', weekday: 0, count: 20 },
      ],
      max: 40,
      total: 71,
      updating: false,
    };
    expect(calendarCells(c).map((x) => [x.week, x.weekday, x.level, x.display])).toEqual([
      [0, 2, 0, '0'],
      [0, 3, 1, '10'],
      [0, 4, 4, '40'],
      [0, 5, -1, '<11'],
      [0, 6, 1, '1'],
      [1, 0, 2, '20'],
    ]);
  });

  it('interval rows give each type’s share of its own intervals per bin, null when withheld', () => {
    const r = {
      byCategory: [
        { key: 'epidural_steroid_injection', label: 'ESI', intervals: 40, histogram: [{ from: 1, to: 30, count: 30 }, { from: 31, to: null, count: 10 }] },
        { key: 'nerve_block', label: 'NB', intervals: W, histogram: [{ from: 1, to: 30, count: W }, { from: 31, to: null, count: 0 }] },
      ],
    } as unknown as Repeats;
    expect(intervalRows(r)).toEqual([
      { label: '1–30', from: 1, to: 30, epidural_steroid_injection: 75, nerve_block: null },
      { label: '>30', from: 31, to: null, epidural_steroid_injection: 25, nerve_block: null },
    ]);
  });

  it('top movers keep the server’s order and the first n of each grouping', () => {
    const m = {
      movers: [
        { by: 'code', key: 'a' },
        { by: 'code', key: 'b' },
        { by: 'code', key: 'c' },
        { by: 'site', key: 's' },
      ],
    } as unknown as Movers;
    const top = topMovers(m, 2);
    expect(top.code.map((x) => x.key)).toEqual(['a', 'b']);
    expect(top.site.map((x) => x.key)).toEqual(['s']);
    expect(top.provider).toEqual([]);
  });
});

describe('the comparison table', () => {
  const rows = [row('Dr B', 30, 0.8, 0.5), row('Dr A', W, null, null), row('Dr C', 50, 0.6, 0.7)];

  it('sorts by any column both ways, withheld figures last either way, ties by name', () => {
    expect(sortComparison(rows, 'sessions', 'desc').map((r) => r.label)).toEqual(['Dr C', 'Dr B', 'Dr A']);
    expect(sortComparison(rows, 'sessions', 'asc').map((r) => r.label)).toEqual(['Dr B', 'Dr C', 'Dr A']);
    expect(sortComparison(rows, 'completion', 'asc').map((r) => r.label)).toEqual(['Dr C', 'Dr B', 'Dr A']);
    expect(sortComparison(rows, 'responders', 'desc').map((r) => r.label)).toEqual(['Dr C', 'Dr B', 'Dr A']);
    expect(sortComparison(rows, 'label', 'asc').map((r) => r.label)).toEqual(['Dr A', 'Dr B', 'Dr C']);
    expect(mixText(rows[0]!)).toBe('Epidural steroid injection 60%, Medial branch block 40%');
  });

  it('exports hostile names as text a spreadsheet will not run, and withheld counts as markers', () => {
    const hostile = HOSTILE.map((h, i) => ({ ...row(h, i === 0 ? W : 10 + i, 0.5, 0.5) }));
    const comparison = { rows: hostile, practice: row('Whole practice', 100, 0.5, 0.5) } as unknown as Comparison;
    const cells = parseCsv(toCsv(comparisonCsv, [...comparison.rows, comparison.practice]));
    expect(cells).toHaveLength(HOSTILE.length + 2);
    for (let i = 0; i < HOSTILE.length; i++) {
      const name = cells[i + 1]![0]!;
      expect(FORMULA.test(name)).toBe(false);
      expect(name.replace(/^'/, '')).toBe(HOSTILE[i]);
    }
    expect(cells[1]![1]).toBe('<11');
    // Numbers stay numbers (a rate is not neutralised into text).
    expect(cells[2]![5]).toBe('0.9');
  });

  it('the repeats and movers exports neutralise every text cell (the flagged list: tests/routers/operations.test.ts)', () => {
    const repeatRows = HOSTILE.map((h) => ({ key: 'x', label: h, intervals: 12, median: 30, q1: 20, q3: 40, histogram: [], repeatRate: proportion(3, 12, 0.25) }));
    const movers = HOSTILE.map((h) => ({ by: 'code' as const, key: h, label: h, current: 20, previous: 15, yearBefore: W, change: 5, relative: 1 / 3 }));
    for (const text of [toCsv(repeatsCsv, repeatRows as unknown as Repeats['byCategory']), toCsv(moversCsv, movers)]) {
      const cells = parseCsv(text).slice(1);
      expect(cells.length).toBe(HOSTILE.length);
      for (const line of cells) for (const cell of line) if (!/^-?[0-9.]+$/.test(cell)) expect(FORMULA.test(cell)).toBe(false);
    }
  });
});
