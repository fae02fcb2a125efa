import { describe, expect, it } from 'vitest';
import { createTestDb } from '../../../db/index.ts';
import { measureIdRange, measureKey } from '../../../db/schema/outcomes.ts';
import { CPT_FAMILIES, cptFamilyOf, FOLLOW_UP_WINDOW_NAMES, MEASURE_NAMES } from '../../../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import {
  ageBandOf,
  cptFamilySql,
  DEFAULT_DEFINITIONS,
  isResponder,
  RESPONDER_RULES,
  responderSql,
  validateDefinitions,
  type ResponderRule,
} from '../../../server/services/outcomes/derive-rules.ts';
import { outcomeChangesSince, refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { Practice } from './practice.ts';

/** A practice with pain scores at every window around many baselines, derived. */
function scoredPractice() {
  const db = createTestDb();
  const p = new Practice(db);
  const values = [0, 1, 2, 3, 4.9, 5, 6, 7, 8, 10];
  for (let i = 0; i < values.length; i++) {
    const mrn = `P${i}`;
    const start = daysToIso(parseIsoDate('2024-01-01')! + i * 3);
    p.patient(mrn);
    p.episode(`E${i}`, mrn, start);
    const at = (n: number) => daysToIso(parseIsoDate(start)! + n);
    p.observations(mrn, 'pain_nrs', [
      [at(-1), values[i]!],
      ...[14, 42, 91, 182, 365].map((n, k) => [at(n), values[(i + k + 3) % values.length]!] as [string, number]),
    ]);
    p.observations(mrn, 'mme', [
      [at(-1), [0, 30, 60][i % 3]!],
      [at(91), [0, 15, 40][(i + 1) % 3]!],
    ]);
  }
  refreshOutcomes(db);
  return db;
}

describe('responder rules at query time', () => {
  it('responderSql with the default rules reproduces every stored flag', () => {
    const db = scoredPractice();
    for (const measure of MEASURE_NAMES)
      for (const [flag, rule] of Object.entries(RESPONDER_RULES[measure]))
        for (const w of FOLLOW_UP_WINDOW_NAMES) {
          const sql = responderSql(rule, { b: 'baseline_value', v: `${w}_value`, c: `${w}_change` });
          const mismatches = db.$client
            .prepare(`SELECT count(*) FROM outcome_measures WHERE measure = ? AND (${sql}) IS NOT ${w}_${flag}`)
            .pluck()
            .get(measure);
          expect(mismatches, `${measure} ${w}_${flag}`).toBe(0);
        }
  });

  it('a non-default threshold in SQL agrees with the same rule in JavaScript', () => {
    const db = scoredPractice();
    const rules: ResponderRule[] = [
      { kind: 'percent', threshold: 0.4 },
      { kind: 'points', threshold: 3 },
      { kind: 'at_most', threshold: 2 },
      { kind: 'stopped' },
    ];
    const rows = db.$client.prepare(`SELECT baseline_value AS b, m3_value AS v, m3_change AS c, ${rules
      .map((r, i) => `${responderSql(r, { b: 'baseline_value', v: 'm3_value', c: 'm3_change' })} AS r${i}`)
      .join(', ')} FROM outcome_measures`).all() as Array<Record<string, number | null>>;
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows)
      rules.forEach((rule, i) => {
        const js = isResponder(rule, row.b!, row.v!, row.c!);
        expect(row[`r${i}`]).toBe(js === null ? null : js ? 1 : 0);
      });
  });

  it('judges boundaries despite binary floating point', () => {
    expect(isResponder({ kind: 'percent', threshold: 0.3 }, 7, 4.9, 7 - 4.9)).toBe(true);
    expect(isResponder({ kind: 'percent', threshold: 0.3 }, 0, 0, 0)).toBe(false);
    expect(isResponder({ kind: 'points', threshold: 2 }, 7.3, 5.3, 7.3 - 5.3)).toBe(true);
    expect(isResponder({ kind: 'at_most', threshold: 1 }, 5, 1, 4)).toBe(true);
    expect(isResponder({ kind: 'stopped' }, 10, 0, 10)).toBe(true);
    expect(isResponder({ kind: 'stopped' }, 0, 0, 0)).toBe(false);
    expect(isResponder({ kind: 'points', threshold: 2 }, null, 3, null)).toBeNull();
  });
});

describe('definitions and vocabulary', () => {
  it('accepts the spec defaults and refuses gaps in the rules', () => {
    expect(() => validateDefinitions(DEFAULT_DEFINITIONS)).not.toThrow();
    const windows = structuredClone(DEFAULT_DEFINITIONS.windows);
    windows.m3 = { target: 150, from: 64, to: 135 };
    expect(() => validateDefinitions({ baselineDays: 30, windows })).toThrow(/m3 must contain its target/);
    expect(() => validateDefinitions({ baselineDays: -1, windows: DEFAULT_DEFINITIONS.windows })).toThrow(/baselineDays/);
    const early = structuredClone(DEFAULT_DEFINITIONS.windows);
    early.w2 = { target: 0, from: 0, to: 21 };
    expect(() => validateDefinitions({ baselineDays: 30, windows: early })).toThrow(/w2 must start after day 0/);
  });

  it('age bands', () => {
    expect([18, 29, 30, 39, 40, 59, 60, 79, 80, 95].map(ageBandOf)).toEqual(['<30', '<30', '30-39', '30-39', '40-49', '50-59', '60-69', '70-79', '80+', '80+']);
  });

  it('the CPT family in SQL is vocabulary.cptFamilyOf', () => {
    const db = createTestDb();
    const codes = [...Object.values(CPT_FAMILIES).flatMap((f) => [...f.codes]), '99213', 'J1234', null];
    for (const code of codes) expect(db.$client.prepare(`SELECT ${cptFamilySql('c')} FROM (SELECT ? AS c)`).pluck().get(code)).toBe(cptFamilyOf(code));
  });

  it('measure keys keep measures apart and in ranges', () => {
    const [lo, hi] = measureIdRange('odi');
    expect(measureKey('odi', 1)).toBeGreaterThan(lo);
    expect(measureKey('odi', 2 ** 40 - 1)).toBe(hi);
    expect(measureKey('pain_nrs', 2 ** 40 - 1)).toBeLessThan(lo);
    expect(Number.isSafeInteger(measureKey('mme', 2 ** 40 - 1))).toBe(true);
  });
});

describe('outcomeChangesSince', () => {
  it('lists the episodes re-derived since a position, and everything for a new or lapsed reader', () => {
    const db = createTestDb();
    const p = new Practice(db);
    p.patient('P1');
    p.episode('A', 'P1', '2024-01-10');
    p.episode('B', 'P1', '2024-09-01');
    const first = outcomeChangesSince(db, null);
    expect(first.episodes).toBe('all');
    refreshOutcomes(db);
    expect(outcomeChangesSince(db, first.seq).episodes).toBe('all'); // the first refresh was a reset
    const now = outcomeChangesSince(db, null).seq;
    expect(outcomeChangesSince(db, now)).toEqual({ seq: now, episodes: [] });
    p.observations('P1', 'pain_nrs', [['2024-01-09', 6]]);
    refreshOutcomes(db);
    const changed = outcomeChangesSince(db, now);
    expect(changed.episodes).toEqual([p.episodeId('A')]);
    expect(changed.seq).toBeGreaterThan(now);
    refreshOutcomes(db, { definitions: { ...DEFAULT_DEFINITIONS, baselineDays: 20 } });
    expect(outcomeChangesSince(db, changed.seq).episodes).toBe('all');
  });
});
