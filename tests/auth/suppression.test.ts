import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMPLEMENTARY_DISPLAY,
  isShown,
  rate,
  statisticOf,
  suppressIndependent,
  suppressLine,
  suppressTable,
  type Count,
  type CountTable,
  type MaskedTable,
} from '../../server/auth/suppression.ts';

const T = 11;
const SMALL = { suppressed: 'small', display: '<11' } as const;
const COMP = { suppressed: 'complementary', display: COMPLEMENTARY_DISPLAY } as const;

/**
 * The attacker: given only what was published, is there another integer
 * table, consistent with every shown number and every marker, in which the
 * primary cell (i, j) has a different value? The attacker is granted more
 * than the display says: that a primary cell is 1..T-1 (the display only
 * says "<T", which a withheld zero also shows). Exhaustive depth-first
 * search with pruning on the published totals; independent of the module's
 * cycle search.
 */
function alternativeExists(table: CountTable, masked: MaskedTable, pi: number, pj: number): boolean {
  const R = table.cells.length;
  const C = table.cells[0]!.length;
  const truth = table.cells;
  const total = truth.flat().reduce((a, b) => a + b, 0);
  const cap = 2 * total + T;
  type Bounds = [number, number];
  const boundsOf = (shown: Count, trueValue: number): Bounds => {
    if (isShown(shown)) return [shown, shown];
    if (shown.suppressed === 'complementary') return [T, cap];
    return trueValue >= 1 ? [1, T - 1] : [0, T - 1];
  };
  const cellB: Bounds[][] = masked.cells.map((row, i) => row.map((c, j) => boundsOf(c, truth[i]![j]!)));
  const rowSum = (i: number) => truth[i]!.reduce((a, b) => a + b, 0);
  const colSum = (j: number) => truth.reduce((a, r) => a + r[j]!, 0);
  const rowB: (Bounds | null)[] = masked.rowTotals ? masked.rowTotals.map((c, i) => boundsOf(c, rowSum(i))) : new Array(R).fill(null);
  const colB: (Bounds | null)[] = masked.colTotals ? masked.colTotals.map((c, j) => boundsOf(c, colSum(j))) : new Array(C).fill(null);
  const grandB: Bounds | null = masked.grandTotal !== null ? boundsOf(masked.grandTotal, total) : null;

  const x: number[][] = truth.map((r) => r.map(() => 0));
  const inB = (v: number, b: Bounds | null) => !b || (v >= b[0] && v <= b[1]);

  function finish(): boolean {
    for (let j = 0; j < C; j++) if (!inB(x.reduce((a, r) => a + r[j]!, 0), colB[j]!)) return false;
    if (!inB(x.flat().reduce((a, b) => a + b, 0), grandB)) return false;
    return x[pi]![pj] !== truth[pi]![pj];
  }

  function dfs(i: number, j: number, rowAcc: number): boolean {
    if (j === C) {
      if (!inB(rowAcc, rowB[i]!)) return false;
      return i + 1 === R ? finish() : dfs(i + 1, 0, 0);
    }
    // Partial column sums cannot exceed a known column total (all counts are >= 0).
    const [lo, hi] = cellB[i]![j]!;
    const rowMax = rowB[i] ? rowB[i]![1] - rowAcc : Infinity;
    for (let v = lo; v <= Math.min(hi, rowMax); v++) {
      x[i]![j] = v;
      const colAcc = x.slice(0, i + 1).reduce((a, r) => a + r[j]!, 0);
      if (colB[j] && colAcc > colB[j]![1]) break;
      if (dfs(i, j + 1, rowAcc + v)) return true;
    }
    return false;
  }
  return dfs(0, 0, 0);
}

function published(m: MaskedTable): Count[] {
  return [...m.cells.flat(), ...(m.rowTotals ?? []), ...(m.colTotals ?? []), ...(m.grandTotal !== null ? [m.grandTotal] : [])];
}

function expectProtected(table: CountTable, masked: MaskedTable): void {
  // 1. No count 1..T-1 is shown anywhere, totals included.
  for (const c of published(masked)) if (isShown(c)) expect(c === 0 || c >= T).toBe(true);
  // 2. Shown numbers are the true ones; markers tell the truth ("<11" is below 11, "—" at least 11).
  const R = table.cells.length;
  const C = table.cells[0]!.length;
  const check = (c: Count, v: number) => {
    if (isShown(c)) expect(c).toBe(v);
    else if (c.suppressed === 'small') expect(v).toBeLessThan(T);
    else expect(v).toBeGreaterThanOrEqual(T);
  };
  table.cells.forEach((row, i) => row.forEach((v, j) => check(masked.cells[i]![j]!, v)));
  masked.rowTotals?.forEach((c, i) => check(c, table.cells[i]!.reduce((a, b) => a + b, 0)));
  masked.colTotals?.forEach((c, j) => check(c, table.cells.reduce((a, r) => a + r[j]!, 0)));
  // 3. No primary interior cell is recoverable from the rest.
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      const v = table.cells[i]![j]!;
      if (v >= 1 && v < T) expect(alternativeExists(table, masked, i, j), `cell ${i},${j} (${v}) recoverable`).toBe(true);
    }
  }
}

describe('suppressLine', () => {
  it('leaves a line without small counts alone', () => {
    expect(suppressLine([0, 25, 40])).toEqual({ cells: [0, 25, 40], total: 65 });
  });

  it('withholds a second cell so that total minus the shown cells does not give the small one back', () => {
    const r = suppressLine([5, 20, 40]);
    expect(r.total).toBe(65);
    expect(r.cells[0]).toEqual(SMALL);
    expect(r.cells[2]).toBe(40);
    expect(r.cells[1]).toEqual(COMP);
    // The attacker's arithmetic: 65 - 40 = 25 = small + withheld, withheld >= 11 -> small in 1..14: no single value.
  });

  it('does not use a withheld zero when the pair would give the small count back', () => {
    // Withholding {1, 0}: "<11" + "<11" = 1 with the first at least 1: the 1 is recoverable. Needs the 30 as well.
    const table = { cells: [[1, 0, 30]], rowTotals: true };
    const m = suppressTable(table);
    expect(m.cells[0]![2]).toEqual(COMP);
    expectProtected(table, m);
  });

  it('withholds the total when every cell is small', () => {
    const table = { cells: [[3, 4]], rowTotals: true };
    const m = suppressTable(table);
    expect(m.cells[0]).toEqual([SMALL, SMALL]);
    expect(m.rowTotals![0]).toEqual(SMALL); // 7
    expectProtected(table, m);
  });

  it('withholds a total that is itself small, and a lone cell whose total would show it', () => {
    expect(suppressLine([7])).toEqual({ cells: [SMALL], total: SMALL });
    const m = suppressLine([0, 0, 12]);
    expect(m).toEqual({ cells: [0, 0, 12], total: 12 });
  });

  it('suppresses nothing more than needed when no total is published', () => {
    expect(suppressLine([5, 20, 40], { total: false })).toEqual({ cells: [SMALL, 20, 40], total: null });
  });
});

describe('suppressTable', () => {
  it('a 2 x 2 table with margins: withholds a rectangle, keeps the totals', () => {
    const table = { cells: [[4, 30], [25, 40]], rowTotals: true, colTotals: true, grandTotal: true };
    const m = suppressTable(table);
    expect(m.cells).toEqual([
      [SMALL, COMP],
      [COMP, COMP],
    ]);
    expect(m.rowTotals).toEqual([34, 65]);
    expect(m.colTotals).toEqual([29, 70]);
    expect(m.grandTotal).toBe(99);
    expectProtected(table, m);
  });

  it('care path x follow-up window counts, as an outcome page shows them', () => {
    const table = {
      cells: [
        [120, 98, 77, 8, 3],
        [64, 51, 40, 22, 0],
      ],
      rowTotals: true,
      colTotals: true,
      grandTotal: true,
    };
    const m = suppressTable(table);
    expectProtected(table, m);
    // The large figures that nothing depends on survive.
    expect(m.cells[0]![0]).toBe(120);
    expect(m.grandTotal).toBe(483);
  });

  it('refuses malformed input', () => {
    expect(() => suppressTable({ cells: [] })).toThrow(RangeError);
    expect(() => suppressTable({ cells: [[1, 2], [3]] })).toThrow(RangeError);
    expect(() => suppressTable({ cells: [[-1]] })).toThrow(RangeError);
    expect(() => suppressTable({ cells: [[1.5]] })).toThrow(RangeError);
    expect(() => suppressTable({ cells: [[1]] }, 2)).toThrow(RangeError);
  });

  it('uses the threshold it is given', () => {
    expect(suppressLine([12, 40], { total: false }, 20).cells).toEqual([{ suppressed: 'small', display: '<20' }, 40]);
    expect(suppressLine([12, 40], { total: false }, 11).cells).toEqual([12, 40]);
  });

  it('no suppressed count can be recovered, whatever the table (property, exhaustive attacker)', () => {
    const count = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 2, arbitrary: fc.integer({ min: 11, max: 40 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((rows) =>
          fc.integer({ min: 1, max: 3 }).chain((cols) =>
            fc.record({
              cells: fc.array(fc.array(count, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
              rowTotals: fc.boolean(),
              colTotals: fc.boolean(),
              grandTotal: fc.boolean(),
            }),
          ),
        ),
        (table) => {
          expectProtected(table, suppressTable(table));
        },
      ),
      { numRuns: 300, seed: 20261124 },
    );
  });

  it('a large sparse table (providers x weeks) is masked quickly and safely on its small cells', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const cells = Array.from({ length: 20 }, () => Array.from({ length: 52 }, () => (rnd() < 0.3 ? Math.floor(rnd() * 11) : 11 + Math.floor(rnd() * 60))));
    const table = { cells, rowTotals: true, colTotals: true, grandTotal: true };
    const start = performance.now();
    const m = suppressTable(table);
    expect(performance.now() - start).toBeLessThan(5000);
    for (const c of published(m)) if (isShown(c)) expect(c === 0 || c >= T).toBe(true);
    // Each line that has exactly one unknown would give it away: there is none with a small cell.
    m.cells.forEach((row) => expect(row.filter((c) => !isShown(c)).length).not.toBe(1));
    for (let j = 0; j < 52; j++) expect(m.cells.filter((r) => !isShown(r[j]!)).length).not.toBe(1);
  });
});

describe('rates, statistics and independent counts', () => {
  it('a rate is published only when numerator and denominator are both shown', () => {
    expect(rate(30, 60)).toBe(0.5);
    expect(rate(SMALL, 60)).toBeNull();
    expect(rate(30, COMP)).toBeNull();
    expect(rate(0, 0)).toBeNull();
  });

  it('responders out of a denominator: the percentage does not give a withheld count back', () => {
    // Responders 7 of 52: publish responders and non-responders as a line with the denominator as its total.
    const line = suppressLine([7, 45]);
    expect(line.total).toBe(52);
    expect(line.cells).toEqual([SMALL, COMP]);
    expect(rate(line.cells[0]!, line.total!)).toBeNull();
  });

  it('a statistic of a group of fewer than the threshold is withheld', () => {
    expect(statisticOf(10, 4.2)).toBeNull();
    expect(statisticOf(SMALL, 4.2)).toBeNull();
    expect(statisticOf(COMP, 4.2)).toBeNull();
    expect(statisticOf(11, 4.2)).toBe(4.2);
  });

  it('independent counts hide only the small ones', () => {
    expect(suppressIndependent({ patients: 4, observations: 0, episodes: 300 })).toEqual({ patients: SMALL, observations: 0, episodes: 300 });
  });
});
