/**
 * Small-cell suppression of the outcome figures (../shared/spec/domain.md,
 * "Privacy"; server/auth/suppression.ts does the masking).
 *
 * Every outcome response is built from a table of counts whose cells
 * partition its population: rows are groups (care paths, categories...),
 * columns the finest parts a figure needs (e.g. no baseline / baseline but no
 * follow-up / responder / non-responder). The table is masked once, with its
 * row totals, column totals and grand total published; every other count the
 * response shows (episodes with a baseline = the last three parts) is a sum
 * of cells, shown only when it can already be worked out from what is shown
 * (`sum`). Rates and group statistics come from those counts through
 * `privacy.rate` / `privacy.statistic`, so a mean of fewer than 11 episodes or
 * a percentage that gives a withheld count back is never shown.
 *
 * Margins are shared between responses (the column totals of the table by
 * category are the practice-wide counts of the tiles). So that no response
 * relies on a margin being hidden that another shows, a table whose masking
 * would withhold a margin of the threshold or more (a complementary
 * suppression of a total) is withheld whole: its interior cells are not shown.
 *
 * For physicians and administrators `privacy.suppress` is false and every
 * count is shown: the same response type for every role.
 */
import type { Privacy } from '../../auth/privacy.ts';
import { COMPLEMENTARY_DISPLAY, isShown, type Count, type SuppressedCount } from '../../auth/suppression.ts';

export type { Count };

export class MaskedTable {
  private readonly cells: Count[][];
  private readonly rowTotals: Count[];
  private readonly colTotals: Count[];
  private readonly grand: Count;
  /** True when the whole interior was withheld (see the module comment). */
  readonly withheld: boolean;

  constructor(
    private readonly privacy: Privacy,
    private readonly raw: readonly (readonly number[])[],
    private readonly columns: number,
  ) {
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
    return this.sumOver(this.raw.map((_, i) => i), cols);
  }

  /**
   * The sum of the cells in rows x cols when a reader can already work it out
   * from what is shown (cells, row and column totals, the grand total);
   * otherwise withheld, displayed as its own size calls for.
   */
  sumOver(rows: readonly number[], cols: readonly number[]): Count {
    const truth = rows.reduce((s, i) => s + cols.reduce((t, j) => t + this.raw[i]![j]!, 0), 0);
    const value = this.derivable(rows, cols);
    return value ?? this.hidden(truth);
  }

  private derivable(rows: readonly number[], cols: readonly number[]): number | null {
    const allRows = this.raw.map((_, i) => i);
    const allCols = Array.from({ length: this.columns }, (_, j) => j);
    const otherRows = allRows.filter((i) => !rows.includes(i));
    const otherCols = allCols.filter((j) => !cols.includes(j));
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
    if (otherCols.length === 0) {
      // Whole rows: their totals, or the grand total less the other rows' totals.
      const totals = addShown(rows.map((i) => this.rowTotal(i)));
      if (totals !== null) return totals;
      const rest = addShown(otherRows.map((i) => this.rowTotal(i)));
      if (isShown(this.grand) && rest !== null) return this.grand - rest;
    }
    if (otherRows.length === 0 && isShown(this.grand)) {
      // Whole columns: the grand total less the other columns' totals.
      const rest = addShown(otherCols.map((j) => this.colTotal(j)));
      if (rest !== null) return this.grand - rest;
    }
    return null;
  }

  /** How a withheld count reads: "<11" when it is small (what the primary rule says of it), "—" otherwise. */
  private hidden(value: number): Count {
    if (!this.privacy.suppress) return value;
    const small: SuppressedCount = { suppressed: 'small', display: `<${this.privacy.threshold}` };
    const other: SuppressedCount = { suppressed: 'complementary', display: COMPLEMENTARY_DISPLAY };
    return value >= 1 && value < this.privacy.threshold ? small : other;
  }
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
