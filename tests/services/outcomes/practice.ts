/** A small practice written through the RecordStore, for the outcome tests. */
import { expect } from 'vitest';
import type { Db } from '../../../db/index.ts';
import type { Measure } from '../../../db/schema/vocabulary.ts';
import { RecordStore, type EpisodeRow, type ObservationRow, type TreatmentRow, type WriteResult } from '../../../server/services/records/store.ts';
import { actualOutcomes, differences, expectedOutcomes, type Row, type Windows } from './oracle.ts';

export class Practice {
  readonly store: RecordStore;
  constructor(readonly db: Db) {
    this.store = new RecordStore(db);
    this.tx(() => {
      this.store.writeSites([{ key: 'S1', name: 'North clinic' }], null);
      this.store.writeProviders([{ key: 'D1', name: 'Dr One', specialty: null, siteKey: 'S1' }], null);
    });
  }

  tx<T>(f: () => T): T {
    return this.db.$client.transaction(f)();
  }

  /** Runs a store write and fails the test if the database refused any row. */
  private write(f: () => WriteResult): WriteResult {
    const result = this.tx(f);
    expect(result.failed).toEqual([]);
    return result;
  }

  patient(mrn: string, birthDate = '1960-06-15', sex: 'female' | 'male' = 'female'): void {
    this.write(() => this.store.writePatients([{ mrn, birthDate, sex, zip: null }], null));
  }

  /** Writes an episode and re-matches date-matched observations, as an import's last batch does. */
  episode(key: string, patientMrn: string, startDate: string, extra: Partial<EpisodeRow> = {}): void {
    this.write(() => {
      const result = this.store.writeEpisodes(
        [
          {
            key,
            patientMrn,
            carePath: 'interventional',
            conditionCode: 'M54.16',
            region: 'lumbar',
            providerKey: 'D1',
            siteKey: 'S1',
            startDate,
            painDurationMonths: 6,
            ...extra,
          },
        ],
        null,
      );
      this.store.rematchObservations();
      return result;
    });
  }

  treatment(key: string, episodeKey: string, date: string, extra: Partial<TreatmentRow> = {}): void {
    this.write(() =>
      this.store.writeTreatments(
        [
          {
            key,
            episodeKey,
            date,
            category: 'epidural_steroid_injection',
            code: '62323',
            laterality: null,
            providerKey: 'D1',
            complication: 'none',
            ...extra,
          },
        ],
        null,
      ),
    );
  }

  observations(patientMrn: string, measure: Measure, points: Array<[date: string, value: number]>, extra: Partial<ObservationRow> = {}) {
    return this.write(() =>
      this.store.writeObservations(
        points.map(([date, value]) => ({ key: null, patientMrn, episodeKey: null, date, measure, value, ...extra })),
        null,
      ),
    );
  }

  episodeId(key: string): number {
    return this.db.$client.prepare('SELECT id FROM episodes WHERE key = ?').pluck().get(key) as number;
  }

  /** The outcome_measures row of an episode (by key) and measure, or undefined. */
  measureRow(episodeKey: string, measure: Measure = 'pain_nrs'): Row | undefined {
    return this.db.$client
      .prepare('SELECT * FROM outcome_measures WHERE episode_id = ? AND measure = ?')
      .get(this.episodeId(episodeKey), measure) as Row | undefined;
  }

  episodeRow(episodeKey: string): Row | undefined {
    return this.db.$client.prepare('SELECT * FROM outcome_episodes WHERE episode_id = ?').get(this.episodeId(episodeKey)) as Row | undefined;
  }
}

/** Asserts that the derived tables are exactly what the independent oracle computes from the records. */
export function expectMatchesOracle(db: Db, windows?: Windows): void {
  const expected = expectedOutcomes(db, windows);
  const actual = actualOutcomes(db);
  expect(differences(expected.episodes, actual.episodes)).toEqual([]);
  expect(differences(expected.measures, actual.measures)).toEqual([]);
}

/** Every derived row, in a stable order, for before/after comparisons. */
export function snapshot(db: Db): { episodes: unknown[]; measures: unknown[] } {
  return {
    episodes: db.$client.prepare('SELECT * FROM outcome_episodes ORDER BY episode_id').all(),
    measures: db.$client.prepare('SELECT * FROM outcome_measures ORDER BY id').all(),
  };
}
