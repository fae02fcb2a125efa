import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kaplanMeier, logRankTest, numberAtRisk } from '../../server/stats/survival.ts';
import { kaplanMeierFromTable, logRankFromTable, numberAtRiskFromTable, tabulateSurvival } from '../../server/stats/survival-table.ts';
import { durability as dur } from './fixtures/durability.ts';
import { expectClose } from './close.ts';

// kaplanMeier and logRankTest (survival.ts) are tested against R 4.2.2 survival 3.5-3 survfit /
// survdiff in tests/stats/survival.test.ts; the table versions must give the same numbers on the
// same rows (the same arithmetic in the same order: asserted at 1e-12).

const same = (a: ReturnType<typeof kaplanMeier>, b: ReturnType<typeof kaplanMeier>) => {
  expect(b.n).toBe(a.n);
  expect(b.events).toBe(a.events);
  for (const k of ['time', 'nRisk', 'nEvent', 'nCensor', 'surv', 'stdErr', 'lower', 'upper'] as const) expectClose(Array.from(b[k]), Array.from(a[k]), 1e-12, 0, k);
  expect(b.median).toEqual(a.median);
};

describe('Kaplan-Meier and log-rank from a table of counts', () => {
  it('equal kaplanMeier / logRankTest on the R fixture (durability.csv: integer-valued times, three groups, one without events)', () => {
    const time = Array.from(dur.time);
    const event = Array.from(dur.event);
    const group = Array.from(dur.group);
    const maxT = Math.max(...time);
    if (!time.every(Number.isInteger)) return; // the fixture's times are whole days
    const groups = Math.max(...group) + 1;
    const table = tabulateSurvival(time, event, group, groups, maxT);
    for (const confType of ['log', 'log-log', 'plain'] as const) same(kaplanMeier(time, event, { confType }), kaplanMeierFromTable(table, [...Array(groups).keys()], { confType }));
    const a = logRankTest(time, event, group);
    const b = logRankFromTable(table);
    expectClose(b.chiSquare, a.chiSquare, 1e-12);
    expect(b.df).toBe(a.df);
    expect(b.groups).toEqual(a.groups);
  });

  it('equal them on random tied data, per group and pooled, with numbers at risk', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 200 }),
        (rows) => {
          const time = rows.map((r) => r[0]);
          const event = rows.map((r) => r[1]);
          const group = rows.map((r) => r[2]);
          const table = tabulateSurvival(time, event, group, 4, 40);
          same(kaplanMeier(time, event), kaplanMeierFromTable(table, [0, 1, 2, 3]));
          for (const g of [0, 1, 2, 3]) {
            const idx = group.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
            if (idx.length === 0) continue;
            const tg = idx.map((i) => time[i]!);
            same(kaplanMeier(tg, idx.map((i) => event[i]!)), kaplanMeierFromTable(table, [g]));
            expect(numberAtRiskFromTable(table, [g], [0, 5, 17, 41])).toEqual(numberAtRisk(tg, [0, 5, 17, 41]));
          }
          if (new Set(group).size >= 2) {
            // A zero variance (e.g. every row an event at one time) makes both refuse ("singular"), alike.
            let a: ReturnType<typeof logRankTest>;
            try {
              a = logRankTest(time, event, group);
            } catch (e) {
              expect(() => logRankFromTable(table)).toThrow((e as Error).message);
              return;
            }
            const b = logRankFromTable(table);
            expectClose(b.chiSquare, a.chiSquare, 1e-10, 1e-12);
            expect(b.df).toBe(a.df);
            expect(b.groups.map((x) => x.group)).toEqual(a.groups.map((x) => x.group));
            expectClose(b.groups.map((x) => x.expected), a.groups.map((x) => x.expected), 1e-12);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses times that are not whole numbers in range', () => {
    expect(() => tabulateSurvival([1.5], [1], null, 1, 10)).toThrow(RangeError);
    expect(() => tabulateSurvival([11], [1], null, 1, 10)).toThrow(RangeError);
    expect(() => tabulateSurvival([1], [2], null, 1, 10)).toThrow(RangeError);
  });
});
