/**
 * Random practices and random edits (fast-check): after every refresh the
 * derived tables equal the independent oracle, whatever the order of writes,
 * and a rebuild from scratch changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../../../db/index.ts';
import { CARE_PATHS, TREATMENT_CATEGORIES, type Measure } from '../../../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { rebuildOutcomes, refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { expectMatchesOracle, Practice, snapshot } from './practice.ts';

const PATIENTS = ['P0', 'P1', 'P2'];
const EPISODES = ['E0', 'E1', 'E2', 'E3', 'E4'];
const STARTS = [0, 10, 40, 200, 400, 500];
/** Offsets from an episode's start around every boundary of the baseline period and the windows. */
const OFFSETS = [-31, -30, -29, -1, 0, 1, 6, 7, 12, 14, 16, 21, 22, 42, 63, 64, 91, 135, 136, 182, 272, 273, 365, 456, 457];
const VALUES: Record<Measure, number[]> = {
  pain_nrs: [0, 1, 1.1, 2, 3, 4.9, 5, 7, 8, 10],
  odi: [0, 10, 20, 30, 30.5, 40],
  promis_pi: [40, 45, 50, 55, 60],
  promis_pf: [40, 45, 50, 55, 60],
  mme: [0, 10, 20, 30, 60],
};
const BASE = parseIsoDate('2024-01-01')!;

const op = fc.oneof(
  fc.record({
    kind: fc.constant('episode' as const),
    episode: fc.nat(EPISODES.length - 1),
    patient: fc.nat(PATIENTS.length - 1),
    start: fc.constantFrom(...STARTS),
    carePath: fc.constantFrom(...CARE_PATHS),
    region: fc.constantFrom('lumbar' as const, 'cervical' as const, null),
  }),
  fc.record({
    kind: fc.constant('treatment' as const),
    key: fc.nat(7),
    episode: fc.nat(EPISODES.length - 1),
    offset: fc.constantFrom(-2, 0, 0, 3, 30, 60, 200),
    category: fc.constantFrom(...TREATMENT_CATEGORIES),
    code: fc.constantFrom('64483', '64484', '62323', '97110', null),
    complication: fc.constantFrom('none' as const, 'minor' as const, 'major' as const, null),
  }),
  fc.record({
    kind: fc.constant('observation' as const),
    patient: fc.nat(PATIENTS.length - 1),
    measure: fc.constantFrom(...(Object.keys(VALUES) as Measure[])),
    near: fc.nat(EPISODES.length - 1),
    offset: fc.constantFrom(...OFFSETS),
    value: fc.nat(9),
    explicit: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('delete observation' as const), nth: fc.nat(40) }),
  fc.record({ kind: fc.constant('delete treatment' as const), nth: fc.nat(10) }),
  fc.record({ kind: fc.constant('patient' as const), patient: fc.nat(PATIENTS.length - 1), born: fc.constantFrom('1950-01-01', '1990-07-01'), male: fc.boolean() }),
  fc.constant({ kind: 'refresh' as const }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function apply(p: Practice, starts: Map<string, number>, owner: Map<string, string>, o: Op): void {
  const sql = p.db.$client;
  switch (o.kind) {
    case 'episode': {
      const key = EPISODES[o.episode]!;
      const patient = PATIENTS[o.patient]!;
      p.episode(key, patient, daysToIso(BASE + o.start), { carePath: o.carePath, region: o.region });
      starts.set(key, BASE + o.start);
      owner.set(key, patient);
      return;
    }
    case 'treatment': {
      const key = EPISODES[o.episode]!;
      if (!starts.has(key)) return;
      p.treatment(`T${o.key}`, key, daysToIso(starts.get(key)! + o.offset), { category: o.category, code: o.code, complication: o.complication });
      return;
    }
    case 'observation': {
      const near = EPISODES[o.near]!;
      if (!starts.has(near)) return;
      const patient = PATIENTS[o.patient]!;
      const explicit = o.explicit && owner.get(near) === patient ? near : null;
      const values = VALUES[o.measure];
      p.observations(patient, o.measure, [[daysToIso(starts.get(near)! + o.offset), values[o.value % values.length]!]], { episodeKey: explicit });
      return;
    }
    case 'delete observation': {
      const ids = sql.prepare('SELECT id FROM observations ORDER BY id').pluck().all() as number[];
      if (ids.length) sql.prepare('DELETE FROM observations WHERE id = ?').run(ids[o.nth % ids.length]);
      return;
    }
    case 'delete treatment': {
      const ids = sql.prepare('SELECT id FROM treatments ORDER BY id').pluck().all() as number[];
      if (ids.length) sql.prepare('DELETE FROM treatments WHERE id = ?').run(ids[o.nth % ids.length]);
      return;
    }
    case 'patient':
      p.patient(PATIENTS[o.patient]!, o.born, o.male ? 'male' : 'female');
      return;
    case 'refresh':
      refreshOutcomes(p.db, { batchSize: 2 });
      expectMatchesOracle(p.db);
      return;
  }
}

describe('derived outcomes under random writes', () => {
  it('always equal the oracle after a refresh, and a rebuild changes nothing', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const db = createTestDb();
        const p = new Practice(db);
        for (const mrn of PATIENTS) p.patient(mrn);
        const starts = new Map<string, number>();
        const owner = new Map<string, string>();
        for (const o of ops) apply(p, starts, owner, o);
        refreshOutcomes(db);
        expectMatchesOracle(db);
        const incremental = snapshot(db);
        rebuildOutcomes(db);
        expect(snapshot(db)).toEqual(incremental);
        db.$client.close();
      }),
      { numRuns: 150 },
    );
  });
});
