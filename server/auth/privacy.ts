import type { ContextInner } from '../context.ts';
import { seesPatientLevel } from './policy.ts';
import {
  rate,
  statisticOf,
  suppressIndependent,
  suppressLine,
  suppressTable,
  type Count,
  type CountTable,
  type MaskedTable,
} from './suppression.ts';

/**
 * Small-cell suppression for the caller (../shared/spec/domain.md, "Privacy"):
 * applied for every user who may not see patient-level data (practice
 * managers, researchers), with the threshold from the settings. Physicians
 * and admins get the same shapes with every count shown, so one response
 * type serves every role.
 *
 * Services build their aggregate as counts and pass it through here before
 * returning it; rates and means are derived from the masked counts with
 * `rate` / `statistic`, so a percentage never gives a withheld count back.
 */
export type Privacy = {
  readonly suppress: boolean;
  readonly threshold: number;
  table(t: CountTable): MaskedTable;
  line(counts: readonly number[], opts?: { total?: boolean }): { cells: Count[]; total: Count | null };
  independent<K extends string>(counts: Readonly<Record<K, number>>): Record<K, Count>;
  rate(numerator: Count, denominator: Count): number | null;
  /** A statistic of a group of `n` (mean, median...): null when n is withheld or below the threshold (for suppressed roles). */
  statistic<T>(n: Count, value: T): T | null;
};

export function privacyFor(ctx: Pick<ContextInner, 'user' | 'privacy'>): Privacy {
  const threshold = ctx.privacy.smallCellThreshold;
  const suppress = !seesPatientLevel(ctx.user);
  if (suppress) {
    return {
      suppress,
      threshold,
      table: (t) => suppressTable(t, threshold),
      line: (counts, opts) => suppressLine(counts, opts, threshold),
      independent: (counts) => suppressIndependent(counts, threshold),
      rate,
      statistic: (n, value) => statisticOf(n, value, threshold),
    };
  }
  return {
    suppress,
    threshold,
    table: (t) => ({
      cells: t.cells.map((r) => [...r]),
      rowTotals: t.rowTotals ? t.cells.map((r) => sum(r)) : null,
      colTotals: t.colTotals ? t.cells[0]!.map((_, j) => sum(t.cells.map((r) => r[j]!))) : null,
      grandTotal: t.grandTotal ? sum(t.cells.map(sum)) : null,
    }),
    line: (counts, opts) => ({ cells: [...counts], total: (opts?.total ?? true) ? sum(counts) : null }),
    independent: (counts) => ({ ...counts }),
    rate,
    statistic: (_n, value) => value,
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
