/**
 * Small-cell suppression (../shared/spec/domain.md, "Privacy"), pure: no I/O,
 * no database types.
 *
 * For users who may not see patient-level data, a published count of 1 to
 * T-1 (T = the threshold, default 11, the CMS rule) is shown as "<T", and
 * further cells are withheld (complementary suppression) until no such count
 * can be worked out from what is published with it: totals, other cells, or
 * a rate or mean derived from them (`rate`, `mean` below publish those only
 * when every count they depend on is shown).
 *
 * The model. A table of R x C counts is published with, optionally, its row
 * totals, column totals and grand total. Put the totals in an extra row and
 * column and multiply every total by -1 (the grand total by +1): then every
 * row and every column of the (R+1) x (C+1) grid sums to zero. Whatever a
 * reader cannot see (suppressed cells, unpublished totals) is an unknown
 * within bounds the reader can infer: "<T" means 1..T-1 for a primary cell
 * (we grant the reader that, although they cannot tell a primary cell from a
 * suppressed zero: that only makes the check stricter), 0..T-1 for a
 * suppressed zero, "—" (complementary) means T or more, an unpublished total
 * is only known to be >= 0.
 *
 * A suppressed count is recoverable exactly when it takes the same value in
 * every integer table consistent with what is published. Such tables differ
 * from the true one by circulations on the grid of unknowns, and (the
 * constraint matrix being a network matrix) any such difference decomposes
 * into simple alternating cycles that each stay within the bounds. So a
 * primary cell p is protected iff some alternating cycle through p, made of
 * unknown cells, can be shifted by +1 or -1 (cells alternately up and down,
 * in the sign-adjusted grid) without leaving any cell's bounds. We look for
 * that cycle with a breadth-first search, and while a primary cell has none
 * we withhold more cells: first the cheapest single cell in its row or column
 * that creates one, else the cheapest rectangle, else its whole row and
 * column, else everything. Withholding only adds unknowns, so a cell once
 * protected stays protected, and each primary cell is checked once.
 * "Cheapest" prefers small counts and interior cells over totals.
 */

export const DEFAULT_SMALL_CELL_THRESHOLD = 11;
/** The display of a complementary (secondary) suppression. */
export const COMPLEMENTARY_DISPLAY = '—';

/**
 * A count the reader may not see. `small`: the count is below the threshold
 * (a count of 1..T-1, or a zero withheld to protect one); `complementary`:
 * the count is at least the threshold and withheld so that a small count
 * cannot be worked out from it.
 */
export type SuppressedCount = { readonly suppressed: 'small' | 'complementary'; readonly display: string };
/** A published count: the number, or why it is withheld. */
export type Count = number | SuppressedCount;

export function isShown(c: Count): c is number {
  return typeof c === 'number';
}

export type CountTable = {
  /** R rows of C non-negative integer counts (R, C >= 1). */
  cells: readonly (readonly number[])[];
  /** Publish each row's total. */
  rowTotals?: boolean;
  /** Publish each column's total. */
  colTotals?: boolean;
  /** Publish the overall total. */
  grandTotal?: boolean;
};

export type MaskedTable = {
  cells: Count[][];
  rowTotals: Count[] | null;
  colTotals: Count[] | null;
  grandTotal: Count | null;
};

export function assertThreshold(threshold: number): void {
  if (!Number.isInteger(threshold) || threshold < 3) throw new RangeError('The small-cell threshold must be an integer of at least 3');
}

type Status = 'shown' | 'primary' | 'secondary' | 'absent';

/** Masks a table and its published totals so that no count of 1..T-1 is shown or recoverable. */
export function suppressTable(table: CountTable, threshold: number = DEFAULT_SMALL_CELL_THRESHOLD): MaskedTable {
  assertThreshold(threshold);
  const R = table.cells.length;
  const C = table.cells[0]?.length ?? 0;
  if (R === 0 || C === 0) throw new RangeError('A count table needs at least one row and one column');
  for (const row of table.cells) {
    if (row.length !== C) throw new RangeError('Every row of a count table has the same number of cells');
    for (const v of row) if (!Number.isInteger(v) || v < 0) throw new RangeError('Counts are non-negative integers');
  }

  const grid = new Grid(table, threshold);
  grid.protectAll();

  const out = (i: number, j: number): Count => grid.output(i, j);
  return {
    cells: table.cells.map((row, i) => row.map((_, j) => out(i, j))),
    rowTotals: table.rowTotals ? table.cells.map((_, i) => out(i, C)) : null,
    colTotals: table.colTotals ? table.cells[0]!.map((_, j) => out(R, j)) : null,
    grandTotal: table.grandTotal ? out(R, C) : null,
  };
}

/** One line of counts (e.g. episodes by care path) with, optionally, its total. */
export function suppressLine(
  counts: readonly number[],
  opts: { total?: boolean } = {},
  threshold: number = DEFAULT_SMALL_CELL_THRESHOLD,
): { cells: Count[]; total: Count | null } {
  const t = suppressTable({ cells: [counts], rowTotals: opts.total ?? true }, threshold);
  return { cells: t.cells[0]!, total: t.rowTotals ? t.rowTotals[0]! : null };
}

/**
 * Counts published side by side with no arithmetic relation between them
 * (e.g. patients and observations): only the small ones are withheld.
 */
export function suppressIndependent<K extends string>(
  counts: Readonly<Record<K, number>>,
  threshold: number = DEFAULT_SMALL_CELL_THRESHOLD,
): Record<K, Count> {
  assertThreshold(threshold);
  const out = {} as Record<K, Count>;
  for (const k of Object.keys(counts) as K[]) {
    const v = counts[k];
    out[k] = v >= 1 && v < threshold ? small(threshold) : v;
  }
  return out;
}

/**
 * A proportion published only when its numerator and denominator are both
 * shown (else a percentage with its denominator would give the count back).
 */
export function rate(numerator: Count, denominator: Count): number | null {
  if (!isShown(numerator) || !isShown(denominator) || denominator === 0) return null;
  return numerator / denominator;
}

/**
 * A statistic of a group (mean, median, SD...) published only when the
 * group's size is shown and at least the threshold.
 */
export function statisticOf<T>(n: Count, value: T, threshold: number = DEFAULT_SMALL_CELL_THRESHOLD): T | null {
  return isShown(n) && n >= threshold ? value : null;
}

function small(threshold: number): SuppressedCount {
  return { suppressed: 'small', display: `<${threshold}` };
}
const COMPLEMENTARY: SuppressedCount = { suppressed: 'complementary', display: COMPLEMENTARY_DISPLAY };

class Grid {
  readonly rows: number; // R + 1
  readonly cols: number; // C + 1
  readonly x: number[];
  readonly status: Status[];
  readonly lo: number[];
  readonly hi: number[];
  readonly sign: number[];
  readonly big: number;

  constructor(
    table: CountTable,
    readonly T: number,
  ) {
    const R = table.cells.length;
    const C = table.cells[0]!.length;
    this.rows = R + 1;
    this.cols = C + 1;
    const n = this.rows * this.cols;
    this.x = new Array<number>(n).fill(0);
    this.status = new Array<Status>(n).fill('shown');
    this.lo = new Array<number>(n).fill(0);
    this.hi = new Array<number>(n).fill(0);
    this.sign = new Array<number>(n).fill(1);

    let total = 0;
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const v = table.cells[i]![j]!;
        this.x[this.at(i, j)] = v;
        this.x[this.at(i, C)]! += v;
        this.x[this.at(R, j)]! += v;
        total += v;
      }
    }
    this.x[this.at(R, C)] = total;
    // An upper bound no true value exceeds; granting it to the reader only makes the check stricter.
    this.big = 2 * total + T;

    for (let i = 0; i <= R; i++) {
      for (let j = 0; j <= C; j++) {
        const k = this.at(i, j);
        this.sign[k] = (i < R ? 1 : -1) * (j < C ? 1 : -1);
        const published =
          (i < R && j < C) || (i < R && j === C && !!table.rowTotals) || (i === R && j < C && !!table.colTotals) || (i === R && j === C && !!table.grandTotal);
        if (!published) this.setUnknown(k, 'absent');
        else if (this.x[k]! >= 1 && this.x[k]! < T) this.setUnknown(k, 'primary');
      }
    }
  }

  at(i: number, j: number): number {
    return i * this.cols + j;
  }

  private setUnknown(k: number, status: Exclude<Status, 'shown'>): void {
    this.status[k] = status;
    const v = this.x[k]!;
    if (status === 'absent') [this.lo[k], this.hi[k]] = [0, this.big];
    else if (status === 'primary') [this.lo[k], this.hi[k]] = [1, this.T - 1];
    else if (v < this.T) [this.lo[k], this.hi[k]] = [0, this.T - 1];
    else [this.lo[k], this.hi[k]] = [this.T, this.big];
  }

  private withhold(k: number): void {
    if (this.status[k] === 'shown') this.setUnknown(k, 'secondary');
  }

  /** Can cell k move by `dy` in the sign-adjusted grid (by sign*dy in counts) within its bounds? */
  private canMove(k: number, dy: number): boolean {
    const v = this.x[k]! + this.sign[k]! * dy;
    return v >= this.lo[k]! && v <= this.hi[k]!;
  }

  /** Is there an alternating cycle of unknowns through cell p that can shift by d (+1 or -1) at p? */
  private cycleThrough(p: number, d: number): boolean {
    if (!this.canMove(p, d)) return false;
    const r0 = Math.floor(p / this.cols);
    const c0 = p % this.cols;
    const seenRow = new Uint8Array(this.rows);
    const seenCol = new Uint8Array(this.cols);
    // Queue of nodes: rows as r, columns as -(c + 1).
    const queue: number[] = [r0];
    seenRow[r0] = 1;
    for (let q = 0; q < queue.length; q++) {
      const node = queue[q]!;
      if (node >= 0) {
        // From a row: a cell in it moving by -d, into its column.
        for (let j = 0; j < this.cols; j++) {
          const k = this.at(node, j);
          if (k === p || seenCol[j] || this.status[k] === 'shown' || !this.canMove(k, -d)) continue;
          if (j === c0) return true;
          seenCol[j] = 1;
          queue.push(-(j + 1));
        }
      } else {
        // From a column: a cell in it moving by +d, into its row.
        const j = -node - 1;
        for (let i = 0; i < this.rows; i++) {
          const k = this.at(i, j);
          if (k === p || seenRow[i] || this.status[k] === 'shown' || !this.canMove(k, d)) continue;
          seenRow[i] = 1;
          queue.push(i);
        }
      }
    }
    return false;
  }

  private protectedCell(p: number): boolean {
    return this.cycleThrough(p, 1) || this.cycleThrough(p, -1);
  }

  /** The information lost by withholding cell k: its count, and totals last. */
  private cost(k: number): number {
    const i = Math.floor(k / this.cols);
    const j = k % this.cols;
    const margin = i === this.rows - 1 || j === this.cols - 1;
    return this.x[k]! + (margin ? this.big * 4 : 0);
  }

  private tryWithhold(p: number, cells: number[]): boolean {
    const added = cells.filter((k) => this.status[k] === 'shown');
    for (const k of added) this.withhold(k);
    if (this.protectedCell(p)) return true;
    for (const k of added) {
      this.status[k] = 'shown';
      this.lo[k] = this.hi[k] = 0;
    }
    return false;
  }

  private protect(p: number): void {
    if (this.protectedCell(p)) return;
    const r0 = Math.floor(p / this.cols);
    const c0 = p % this.cols;

    // 1. One more cell in p's row or column.
    const line: number[] = [];
    for (let j = 0; j < this.cols; j++) line.push(this.at(r0, j));
    for (let i = 0; i < this.rows; i++) line.push(this.at(i, c0));
    const singles = line.filter((k) => this.status[k] === 'shown').sort((a, b) => this.cost(a) - this.cost(b));
    for (const k of singles) if (this.tryWithhold(p, [k])) return;

    // 2. The cheapest rectangle p, (r0, c), (r, c), (r, c0) that shifts by itself.
    let best: number[] | null = null;
    let bestCost = Infinity;
    for (let r = 0; r < this.rows; r++) {
      if (r === r0) continue;
      for (let c = 0; c < this.cols; c++) {
        if (c === c0) continue;
        const corner = [this.at(r0, c), this.at(r, c), this.at(r, c0)];
        const cost = corner.reduce((s, k) => s + (this.status[k] === 'shown' ? this.cost(k) : 0), 0);
        if (cost >= bestCost) continue;
        if (this.rectangleShifts(p, corner)) {
          best = corner;
          bestCost = cost;
        }
      }
    }
    if (best && this.tryWithhold(p, best)) return;

    // 3. Its whole row and column; 4. everything.
    if (this.tryWithhold(p, line)) return;
    for (let k = 0; k < this.status.length; k++) this.withhold(k);
  }

  /** Would the 4-cycle p -> a -> b -> c shift by one if its cells were withheld? */
  private rectangleShifts(p: number, [a, b, c]: number[]): boolean {
    const movable = (k: number, dy: number) => {
      const v = this.x[k]! + this.sign[k]! * dy;
      if (this.status[k] !== 'shown') return v >= this.lo[k]! && v <= this.hi[k]!;
      const x = this.x[k]!;
      return x < this.T ? v >= 0 && v <= this.T - 1 : v >= this.T;
    };
    for (const d of [1, -1]) {
      if (movable(p, d) && movable(a!, -d) && movable(b!, d) && movable(c!, -d)) return true;
    }
    return false;
  }

  protectAll(): void {
    const primaries: number[] = [];
    for (let k = 0; k < this.status.length; k++) if (this.status[k] === 'primary') primaries.push(k);
    // Interior cells first: protecting them usually protects small totals too.
    primaries.sort((a, b) => this.cost(a) - this.cost(b));
    for (const p of primaries) this.protect(p);
  }

  output(i: number, j: number): Count {
    const k = this.at(i, j);
    const s = this.status[k];
    if (s === 'shown') return this.x[k]!;
    if (s === 'primary' || this.x[k]! < this.T) return small(this.T);
    return COMPLEMENTARY;
  }
}
