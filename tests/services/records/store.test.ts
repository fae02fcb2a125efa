import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { RecordStore, UnknownReferenceError, type ObservationRow } from '../../../server/services/records/store.ts';

let db: Db;
let store: RecordStore;
const tx = <T>(f: () => T): T => db.$client.transaction(f)();

function practice() {
  store.writeSites([{ key: 'S1', name: 'North clinic' }], null);
  store.writeProviders([{ key: 'D1', name: 'Dr One', specialty: 'anesthesiology', siteKey: 'S1' }], null);
  store.writePatients([{ mrn: 'MRN-1', birthDate: '1960-01-02', sex: 'female', zip: '02139' }], null);
}
const episode = (key: string, startDate: string) => ({
  key,
  patientMrn: 'MRN-1',
  carePath: 'interventional' as const,
  conditionCode: 'M54.16',
  region: 'lumbar' as const,
  providerKey: 'D1',
  siteKey: 'S1',
  startDate,
  painDurationMonths: 6,
});
const pain = (date: string, value: number, extra: Partial<ObservationRow> = {}): ObservationRow => ({
  key: null,
  patientMrn: 'MRN-1',
  episodeKey: null,
  date,
  measure: 'pain_nrs',
  value,
  ...extra,
});

beforeEach(() => {
  db = createTestDb();
  store = new RecordStore(db);
});

describe('RecordStore', () => {
  it('counts inserted, unchanged and updated rows on re-import', () => {
    tx(practice);
    expect(tx(() => store.writeSites([{ key: 'S1', name: 'North clinic' }, { key: 'S2', name: 'South' }], null))).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 1,
      failed: [],
    });
    expect(tx(() => store.writeSites([{ key: 'S1', name: 'North clinic (renamed)' }, { key: 'S2', name: 'South' }], null))).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 1,
      failed: [],
    });
    expect(db.$client.prepare("SELECT name FROM sites WHERE key = 'S1'").pluck().get()).toBe('North clinic (renamed)');
  });

  it('derives the condition group from the ICD-10 code', () => {
    tx(() => {
      practice();
      store.writeEpisodes([episode('E1', '2024-01-10'), { ...episode('E2', '2024-03-01'), conditionCode: 'G90.512' }], null);
    });
    expect(db.$client.prepare('SELECT key, condition_group FROM episodes ORDER BY key').raw().all()).toEqual([
      ['E1', 'radiculopathy'],
      ['E2', 'crps'],
    ]);
  });

  it('keys observations without an id by patient, measure and date', () => {
    tx(practice);
    expect(tx(() => store.writeObservations([pain('2024-01-01', 7)], null)).inserted).toBe(1);
    expect(tx(() => store.writeObservations([pain('2024-01-01', 7)], null)).unchanged).toBe(1);
    expect(tx(() => store.writeObservations([pain('2024-01-01', 5)], null)).updated).toBe(1);
    expect(db.$client.prepare('SELECT count(*) FROM observations').pluck().get()).toBe(1);
  });

  it('matches an observation to the episode whose span covers its date, latest start first', () => {
    tx(() => {
      practice();
      store.writeEpisodes([episode('A', '2024-01-01'), episode('B', '2024-06-01')], null);
      store.writeObservations(
        [pain('2023-12-01', 8), pain('2024-03-01', 4), pain('2024-05-20', 6), pain('2025-06-01', 5), pain('2023-10-01', 9)],
        null,
      );
    });
    const rows = db.$client
      .prepare('SELECT o.date, e.key FROM observations o LEFT JOIN episodes e ON e.id = o.episode_id ORDER BY o.date')
      .raw()
      .all();
    expect(rows).toEqual([
      ['2023-10-01', null], // 92 days before A: no episode
      ['2023-12-01', null], // 31 days before A: one day outside the 30-day baseline span
      ['2024-03-01', 'A'],
      ['2024-05-20', 'B'], // 12 days before B: B's baseline, not A's follow-up
      ['2025-06-01', 'B'], // 365 days after B
    ]);
  });

  it('re-matches date-matched observations when their episode arrives later', () => {
    tx(() => {
      practice();
      store.writeObservations([pain('2024-01-05', 7)], null);
    });
    expect(db.$client.prepare('SELECT episode_id FROM observations').pluck().get()).toBeNull();
    const moved = tx(() => {
      store.writeEpisodes([episode('E1', '2024-01-10')], null);
      return store.rematchObservations();
    });
    expect(moved).toBe(1);
    expect(db.$client.prepare('SELECT episode_id FROM observations').pluck().get()).toBe(1);
  });

  it('refuses a reference to a row it does not know', () => {
    tx(practice);
    expect(() => tx(() => store.writeEpisodes([{ ...episode('E1', '2024-01-10'), providerKey: 'nobody' }], null))).toThrow(
      UnknownReferenceError,
    );
    expect(db.$client.prepare('SELECT count(*) FROM episodes').pluck().get()).toBe(0);
  });

  it('isolates a row the database refuses and keeps the rest of the chunk', () => {
    tx(practice);
    const result = tx(() => store.writeObservations([pain('2024-01-01', 5), pain('2024-01-02', 11), pain('2024-01-03', 4)], null));
    expect(result.inserted).toBe(2);
    expect(result.failed).toEqual([{ index: 1, reason: expect.stringContaining('observations_value_range') }]);
  });
});
