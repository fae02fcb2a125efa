/**
 * Small-cell suppression of the outcome figures (../shared/spec/domain.md,
 * "Privacy"; server/auth/suppression.ts does the masking).
 *
 * Every outcome response is built from a table of counts whose cells
 * partition its population: rows are groups (care paths, categories...),
 * columns the finest parts a figure needs (e.g. no baseline / baseline but no
 * follow-up / responder / non-responder). The table is masked with its row
 * totals, column totals and grand total published. The response also shows
 * sums of cells (episodes with a baseline = the last three parts); the table
 * is told which (`published`), and:
 *
 * - a sum is shown only when a reader can already work it out from what is
 *   shown (`sum`, `sumOver`);
 * - a sum of 1..T-1 that a reader could work out is a small count shown by
 *   subtraction, so more cells are withheld (smallest first) until none can
 *   be (the closure step below). Withholding more never un-protects a cell.
 *
 * Rates and group statistics come from those counts through `privacy.rate` /
 * `privacy.statistic`, so a mean of fewer than 11 episodes or a percentage
 * that gives a withheld count back is never shown.
 *
 * Margins are shared between responses (the column totals of the table by
 * category are the practice-wide counts of the tiles). So that no response
 * relies on a margin being hidden that another shows, a table whose masking
 * withholds a margin of the threshold or more (a complementary suppression of
 * a total) is withheld whole: its interior cells are not shown.
 *
 * For physicians and administrators `privacy.suppress` is false and every
 * count is shown: the same response type for every role.
 */
import type { Privacy } from '../../auth/privacy.ts';
import { COMPLEMENTARY_DISPLAY, isShown, type Count, type SuppressedCount } from '../../auth/suppression.ts';

export type { Count };

/** A sum of cells the response publishes: over `rows` ('each': every row separately; 'all': all rows together) and `cols`. */
export type PublishedSum = { rows: 'each' | 'all' | readonly number[]; cols: readonly number[] };

export class MaskedTable {
  private readonly cells: Count[][];
  private readonly rowTotals: Count[];
  private readonly colTotals: Count[];
  private grand: Count;
  private readonly allRows: number[];
  private readonly allCols: number[];
  /** True when the whole interior was withheld (see the module comment). */
  readonly withheld: boolean;

  constructor(
    private readonly privacy: Privacy,
    private readonly raw: readonly (readonly number[])[],
    private readonly columns: number,
    published: readonly PublishedSum[] = [],
  ) {
    this.allRows = raw.map((_, i) => i);
    this.allCols = Array.from({ length: columns }, (_, j) => j);
    if (raw.length === 0) {
      this.cells = [];
      this.rowTotals = [];
      this.colTotals = new Array<Count>(columns).fill(0);
      this.grand = 0;
      this.withheld = false;
      return;
    }
    const m = privacy.table({ cells: raw, rowTotals: true, colTotals: true, grandTotal: true });
    const marginWithheld = [...m.rowTotals!, ...m.colTotals!, m.grandTotal!].some((c) => !isShown(c) && c.suppressed === 'complementary');
    this.withheld = marginWithheld;
    this.rowTotals = m.rowTotals!;
    this.colTotals = m.colTotals!;
    this.grand = m.grandTotal!;
    this.cells = marginWithheld ? raw.map((row) => row.map((v) => this.hidden(v))) : m.cells;
    if (privacy.suppress) this.close(published);
  }

  get rows(): number {
    return this.raw.length;
  }

  cell(i: number, j: number): Count {
    return this.cells[i]![j]!;
  }

  rowTotal(i: number): Count {
    return this.rowTotals[i]!;
  }

  colTotal(j: number): Count {
    return this.colTotals[j]!;
  }

  grandTotal(): Count {
    return this.grand;
  }

  /** The sum of row i's cells in `cols`, when it follows from what is shown. */
  sum(i: number, cols: readonly number[]): Count {
    return this.sumOver([i], cols);
  }

  /** The sum over all rows of the cells in `cols` (a practice-wide count), when it follows from what is shown. */
  totalSum(cols: readonly number[]): Count {
    return this.sumOver(this.allRows, cols);
  }

  /**
   * The sum of the cells in rows x cols when a reader can already work it out
   * from what is shown (cells, row and column totals, the grand total) and it
   * is not a small count; otherwise withheld, displayed as its size calls for.
   */
  sumOver(rows: readonly number[], cols: readonly number[]): Count {
    const truth = this.truth(rows, cols);
    const value = this.derivable(rows, cols);
    return value === null || (this.privacy.suppress && this.isSmall(truth)) ? this.hidden(truth) : value;
  }

  private truth(rows: readonly number[], cols: readonly number[]): number {
    return rows.reduce((s, i) => s + cols.reduce((t, j) => t + this.raw[i]![j]!, 0), 0);
  }

  private isSmall(v: number): boolean {
    return v >= 1 && v < this.privacy.threshold;
  }

  /**
   * Withholds further cells (smallest first: those of the rows concerned, then
   * any; then column totals and the grand total) until no published sum of
   * 1..T-1 can be worked out from what is shown.
   */
  private close(published: readonly PublishedSum[]): void {
    const targets = published.flatMap((p) =>
      p.rows === 'each' ? this.allRows.map((i) => ({ rows: [i], cols: p.cols })) : [{ rows: p.rows === 'all' ? this.allRows : p.rows, cols: p.cols }],
    );
    for (let guard = 0; guard < 10_000; guard++) {
      const leak = targets.find((t) => this.isSmall(this.truth(t.rows, t.cols)) && this.derivable(t.rows, t.cols) !== null);
      if (!leak) return;
      const shownCells = (rows: readonly number[]) =>
        rows.flatMap((i) => this.allCols.filter((j) => isShown(this.cells[i]![j]!)).map((j) => ({ i, j, v: this.raw[i]![j]! })));
      const local = shownCells(leak.rows).sort((a, b) => a.v - b.v);
      // Elsewhere, a row that already has a withheld cell first: its rates are withheld already, so
      // withholding another of its cells costs the reader nothing they could see (a zero of a fully shown
      // row would cost that row's "0.0 %").
      const partlyHidden = this.allRows.filter((i) => this.allCols.some((j) => !isShown(this.cells[i]![j]!)));
      const nearby = shownCells(partlyHidden).sort((a, b) => a.v - b.v);
      const any = shownCells(this.allRows).sort((a, b) => a.v - b.v);
      const next = local[0] ?? nearby[0] ?? any[0];
      if (next) {
        this.cells[next.i]![next.j] = this.hidden(next.v);
        continue;
      }
      const col = this.allCols.filter((j) => isShown(this.colTotals[j]!)).sort((a, b) => (this.colTotals[a] as number) - (this.colTotals[b] as number))[0];
      if (col !== undefined) {
        this.colTotals[col] = this.hidden(this.colTotals[col] as number);
        continue;
      }
      const row = this.allRows.filter((i) => isShown(this.rowTotals[i]!)).sort((a, b) => (this.rowTotals[a] as number) - (this.rowTotals[b] as number))[0];
      if (row !== undefined) {
        this.rowTotals[row] = this.hidden(this.rowTotals[row] as number);
        continue;
      }
      if (isShown(this.grand)) this.grand = this.hidden(this.grand);
      else return;
    }
  }

  private derivable(rows: readonly number[], cols: readonly number[]): number | null {
    const otherRows = this.allRows.filter((i) => !rows.includes(i));
    const otherCols = this.allCols.filter((j) => !cols.includes(j));
    // One row's part: its cells, or its total less the other cells.
    const rowPart = (i: number): number | null => {
      const direct = addShown(cols.map((j) => this.cell(i, j)));
      if (direct !== null) return direct;
      const total = this.rowTotal(i);
      const rest = addShown(otherCols.map((j) => this.cell(i, j)));
      return isShown(total) && rest !== null ? total - rest : null;
    };
    // One column's part: its cells, or its total less the other rows' cells.
    const colPart = (j: number): number | null => {
      const direct = addShown(rows.map((i) => this.cell(i, j)));
      if (direct !== null) return direct;
      const total = this.colTotal(j);
      const rest = addShown(otherRows.map((i) => this.cell(i, j)));
      return isShown(total) && rest !== null ? total - rest : null;
    };
    const byRows = addNullable(rows.map(rowPart));
    if (byRows !== null) return byRows;
    const byCols = addNullable(cols.map(colPart));
    if (byCols !== null) return byCols;
    // The columns' totals less the other rows' parts of them, each worked out along its row (a care path's
    // minor + major less its other categories' minor + major gives one category's).
    const colSum = addShown(cols.map((j) => this.colTotal(j)));
    const otherRowParts = colSum === null ? null : addNullable(otherRows.map(rowPart));
    if (colSum !== null && otherRowParts !== null) return colSum - otherRowParts;
    // The rows' totals less their other columns' parts, each worked out along its column.
    const rowSum = addShown(rows.map((i) => this.rowTotal(i)));
    const otherColParts = rowSum === null ? null : addNullable(otherCols.map(colPart));
    if (rowSum !== null && otherColParts !== null) return rowSum - otherColParts;
    if (otherCols.length === 0) {
      // Whole rows: their totals, or the grand total less the other rows' totals.
      const totals = addShown(rows.map((i) => this.rowTotal(i)));
      if (totals !== null) return totals;
      const rest = addShown(otherRows.map((i) => this.rowTotal(i)));
      if (isShown(this.grand) && rest !== null) return this.grand - rest;
    }
    if (otherRows.length === 0) {
      // Whole columns: the grand total less the other columns' totals.
      const rest = addNullable(otherCols.map(colPart));
      if (isShown(this.grand) && rest !== null) return this.grand - rest;
    }
    return null;
  }

  /** How a withheld count reads: "<11" when it is small (what the primary rule says of it), "—" otherwise. */
  private hidden(value: number): Count {
    return withheldCount(this.privacy, value);
  }
}

/** A withheld count as it reads: "<11" when it is small (what the primary rule says of it), "—" otherwise; the count itself for roles without suppression. */
function withheldCount(privacy: Privacy, value: number): Count {
  if (!privacy.suppress) return value;
  const small: SuppressedCount = { suppressed: 'small', display: `<${privacy.threshold}` };
  const other: SuppressedCount = { suppressed: 'complementary', display: COMPLEMENTARY_DISPLAY };
  return value >= 1 && value < privacy.threshold ? small : other;
}

/**
 * A count that adds up counts of separately masked tables (say, one table per
 * care path): shown when every part is shown (then it follows from them),
 * else withheld as its size calls for. `truth` is the sum of the true counts.
 */
export function sumOfParts(privacy: Privacy, parts: readonly Count[], truth: number): Count {
  return parts.every(isShown) ? truth : withheldCount(privacy, truth);
}

function addShown(cs: readonly Count[]): number | null {
  let s = 0;
  for (const c of cs) {
    if (!isShown(c)) return null;
    s += c;
  }
  return s;
}

function addNullable(xs: ReadonlyArray<number | null>): number | null {
  let s = 0;
  for (const x of xs) {
    if (x === null) return null;
    s += x;
  }
  return s;
}

/** A count as a plain number when shown, else null: for arithmetic on what the caller may see. */
export function shown(c: Count): number | null {
  return isShown(c) ? c : null;
}
