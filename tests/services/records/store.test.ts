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

describe('RecordStore with mixed keyed and unkeyed observations', () => {
  it('maps a refused row back to its index in the caller\'s order, whichever statement wrote it', () => {
    tx(practice);
    const rows = [
      pain('2024-01-01', 5, { key: 'O1' }),
      pain('2024-01-02', 12),
      pain('2024-01-03', 4, { key: 'O3' }),
      pain('2024-01-04', -1, { key: 'O4' }),
      pain('2024-01-05', 3),
    ];
    const result = tx(() => store.writeObservations(rows, null));
    expect(result.inserted).toBe(3);
    expect(result.failed.map((f) => f.index)).toEqual([3, 1]);
    expect(db.$client.prepare('SELECT coalesce(key, date) FROM observations ORDER BY date').pluck().all()).toEqual(['O1', 'O3', '2024-01-05']);
  });
});

describe('RecordStore after forgetKeys (keys looked up in the database)', () => {
  it('resolves keys another writer stored, counts a re-import as unchanged, and keeps only what it touched', () => {
    tx(() => {
      practice();
      store.writeEpisodes([episode('A', '2024-01-01')], null);
    });
    const fresh = new RecordStore(db);
    fresh.forgetKeys();
    expect(fresh.patientId('MRN-1')).toBe(1);
    expect(fresh.patientId('nobody')).toBeUndefined();
    expect(fresh.episode('A')).toEqual({ id: 1, patientId: 1, start: expect.any(Number) });
    const obs = [pain('2024-01-05', 7, { episodeKey: 'A' }), pain('2024-02-01', 6)];
    expect(tx(() => fresh.writeObservations(obs, null))).toEqual({ inserted: 2, updated: 0, unchanged: 0, failed: [] });
    fresh.forgetKeys();
    expect(tx(() => fresh.writeObservations(obs, null))).toEqual({ inserted: 0, updated: 0, unchanged: 2, failed: [] });
    // The date-matched one found episode A through a lookup of the patient's episodes.
    expect(db.$client.prepare('SELECT episode_id FROM observations ORDER BY date').pluck().all()).toEqual([1, 1]);
    expect(() => tx(() => fresh.writeObservations([{ ...pain('2024-03-01', 1), patientMrn: 'nobody' }], null))).toThrow(UnknownReferenceError);
  });

  it('re-matches date-matched observations when an episode written in lookup mode moves or arrives', () => {
    tx(() => {
      practice();
      store.writeEpisodes([episode('A', '2024-01-01')], null);
      store.writeObservations([pain('2024-05-25', 6), pain('2025-06-01', 5)], null);
    });
    const episodeOf = () =>
      db.$client.prepare('SELECT o.date, e.key FROM observations o LEFT JOIN episodes e ON e.id = o.episode_id ORDER BY o.date').raw().all();
    expect(episodeOf()).toEqual([
      ['2024-05-25', 'A'],
      ['2025-06-01', null],
    ]);
    const fresh = new RecordStore(db);
    fresh.forgetKeys();
    // B arrives and A moves a year later: both observations change episode.
    const moved = tx(() => {
      const r = fresh.writeEpisodes([episode('B', '2024-06-01'), episode('A', '2025-02-20')], null);
      expect(r).toEqual({ inserted: 1, updated: 1, unchanged: 0, failed: [] });
      return fresh.rematchObservations();
    });
    expect(moved).toBe(2);
    expect(episodeOf()).toEqual([
      ['2024-05-25', 'B'],
      ['2025-06-01', 'A'],
    ]);
    // The same rows again: nothing moves.
    fresh.forgetKeys();
    expect(tx(() => fresh.writeEpisodes([episode('B', '2024-06-01'), episode('A', '2025-02-20')], null)).unchanged).toBe(2);
    expect(tx(() => fresh.rematchObservations())).toBe(0);
  });
});
