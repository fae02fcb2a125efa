/**
 * Figures from (value, count) distributions equal server/stats on the
 * expanded values; the masked tables never show a small count nor let one be
 * worked out from a sum they publish.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { privacyFor } from '../../../server/auth/privacy.ts';
import { isShown } from '../../../server/auth/suppression.ts';
import { MaskedTable } from '../../../server/services/outcomes/masking.ts';
import { histogram, momentsFromCounts, quantilesFromCounts } from '../../../server/services/outcomes/values.ts';
import { medianIqr, meanSummary, meanSummaryFromMoments, quantile } from '../../../server/stats/index.ts';

const distribution = fc
  .uniqueArray(fc.integer({ min: -200, max: 200 }), { minLength: 1, maxLength: 30 })
  .chain((vs) => fc.tuple(fc.constant(vs.map((v) => v / 10).sort((a, b) => a - b)), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: vs.length, maxLength: vs.length })));

const expand = (values: number[], counts: number[]) => values.flatMap((v, i) => Array<number>(counts[i]!).fill(v));

describe('distributions as value counts', () => {
  it('quantiles (type 7) equal those of the expanded values', () => {
    fc.assert(
      fc.property(distribution, ([values, counts]) => {
        const x = expand(values, counts);
        const [q1, median, q3] = quantilesFromCounts(values, counts, [0.25, 0.5, 0.75]);
        expect({ q1, median, q3 }).toEqual((({ q1, median, q3 }) => ({ q1, median, q3 }))(medianIqr(x)));
        expect(quantilesFromCounts(values, counts, [0.1])[0]).toBe(quantile(x, 0.1));
      }),
    );
  });

  it('moments give the mean, SD and interval of the expanded values', () => {
    fc.assert(
      fc.property(distribution, ([values, counts]) => {
        const a = meanSummaryFromMoments(momentsFromCounts(values, counts));
        const b = meanSummary(expand(values, counts));
        expect(a.n).toBe(b.n);
        expect(a.mean!).toBeCloseTo(b.mean!, 10);
        if (b.sd !== null) expect(a.sd!).toBeCloseTo(b.sd, 9);
      }),
    );
    expect(meanSummaryFromMoments(momentsFromCounts([-6.1], [22])).sd).toBe(0);
  });

  it('nothing, and a histogram with bins centred on multiples of the width', () => {
    expect(quantilesFromCounts([], [], [0.5])).toEqual([null]);
    const h = histogram([-3, -0.5, 0, 0.49, 0.5, 7], [1, 2, 3, 4, 5, 6], 1, -2, 2);
    expect(h.map((b) => [b.from, b.count])).toEqual([
      [-2.5, 1], // -3 beyond the range, in the end bin
      [-1.5, 0],
      [-0.5, 2 + 3 + 4], // [-0.5, 0.5)
      [0.5, 5],
      [1.5, 6], // 7 beyond the range
    ]);
  });
});

describe('masked tables', () => {
  const researcher = privacyFor({ user: { id: 1, role: 'researcher', providerId: null }, privacy: { smallCellThreshold: 11 } });
  const admin = privacyFor({ user: { id: 2, role: 'admin', providerId: null }, privacy: { smallCellThreshold: 11 } });

  const tables = fc.integer({ min: 1, max: 4 }).chain((rows) =>
    fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 60 })), { minLength: 4, maxLength: 4 }), { minLength: rows, maxLength: rows }),
  );

  it('for suppressed roles, no shown count or derived sum is 1..10, and every shown sum is true', () => {
    fc.assert(
      fc.property(tables, (cells) => {
        const subsets = [[1, 2, 3], [2, 3], [0, 1]];
        const t = new MaskedTable(researcher, cells, 4, subsets.flatMap((cols) => [{ rows: 'each' as const, cols }, { rows: 'all' as const, cols }]));
        const shown: number[] = [];
        cells.forEach((row, i) => {
          for (const cols of [...subsets, [0], [3], [0, 1, 2, 3]]) {
            const c = t.sum(i, cols);
            const truth = cols.reduce((s, j) => s + row[j]!, 0);
            if (isShown(c)) {
              expect(c).toBe(truth);
              shown.push(c);
            } else expect(c.display).toBe(truth >= 1 && truth <= 10 ? '<11' : '—');
          }
        });
        for (const cols of subsets) {
          const c = t.totalSum(cols);
          if (isShown(c)) (expect(c).toBe(cols.reduce((s, j) => s + cells.reduce((a, r) => a + r[j]!, 0), 0)), shown.push(c));
        }
        expect(shown.filter((x) => x >= 1 && x <= 10)).toEqual([]);
        // And no published sum of 1..10 follows from what is shown by one subtraction.
        const visible = (c: unknown) => (isShown(c as never) ? (c as number) : null);
        cells.forEach((row, i) => {
          for (const cols of subsets) {
            const rest = [0, 1, 2, 3].filter((j) => !cols.includes(j)).map((j) => visible(t.cell(i, j)));
            const total = visible(t.rowTotal(i));
            if (total !== null && rest.every((x) => x !== null)) {
              const v = total - rest.reduce((a, b) => a! + b!, 0)!;
              expect(v >= 1 && v <= 10, `row ${i} cols ${cols}: ${v}`).toBe(false);
            }
          }
        });
        // Nor from the columns' shown totals less the other rows' shown sums over the same columns (a care
        // path's minor + major less its other categories' gives one category's).
        for (const cols of subsets) {
          const colSum = cols.map((j) => visible(t.colTotal(j)));
          if (colSum.some((x) => x === null)) continue;
          cells.forEach((_, i) => {
            const others = cells.map((__, k) => k).filter((k) => k !== i).map((k) => visible(t.sum(k, cols)));
            if (others.some((x) => x === null)) return;
            const v = colSum.reduce((a, b) => a! + b!, 0)! - others.reduce((a, b) => a! + b!, 0)!;
            expect(v >= 1 && v <= 10, `row ${i} cols ${cols} from the column totals: ${v}`).toBe(false);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('for physicians and admins, everything is shown', () => {
    const t = new MaskedTable(admin, [[1, 2, 3, 4]], 4);
    expect([t.cell(0, 0), t.rowTotal(0), t.sum(0, [1, 2]), t.totalSum([3]), t.withheld]).toEqual([1, 10, 5, 4, false]);
  });
});
