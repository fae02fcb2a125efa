import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, createTestDb, migrateDb, type Db } from '../../../db/index.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { DEFAULT_DEFINITIONS, type OutcomeDefinitions } from '../../../server/services/outcomes/derive-rules.ts';
import { outcomesPending, rebuildOutcomes, refreshOutcomes, refreshOutcomesAsync } from '../../../server/services/outcomes/refresh.ts';
import { expectMatchesOracle, Practice, snapshot } from './practice.ts';

const day = (start: string, n: number) => daysToIso(parseIsoDate(start)! + n);
const queue = (db: Db) => db.$client.prepare('SELECT episode_id FROM outcome_queue ORDER BY episode_id').pluck().all() as number[];

/** Two patients, three episodes, scores around each. */
function seed(p: Practice): void {
  p.patient('P1');
  p.patient('P2', '1975-02-10', 'male');
  p.episode('A', 'P1', '2024-01-10');
  p.episode('B', 'P1', '2024-09-01', { region: 'cervical' });
  p.episode('C', 'P2', '2024-02-01', { carePath: 'conservative' });
  p.treatment('TA', 'A', '2024-01-10');
  p.treatment('TB', 'B', '2024-09-01', { code: '62321' });
  p.treatment('TC', 'C', '2024-02-01', { category: 'physical_therapy', code: '97110' });
  for (const [mrn, start, base] of [
    ['P1', '2024-01-10', 8],
    ['P1', '2024-09-01', 7],
    ['P2', '2024-02-01', 6],
  ] as const) {
    p.observations(mrn, 'pain_nrs', [
      [day(start, -2), base],
      [day(start, 14), base - 2],
      [day(start, 91), base - 3],
    ]);
    p.observations(mrn, 'mme', [
      [day(start, -2), 40],
      [day(start, 92), 10],
    ]);
  }
}

let db: Db;
let p: Practice;

beforeEach(() => {
  db = createTestDb();
  p = new Practice(db);
});

describe('refreshOutcomes', () => {
  it('derives a new practice and reports what it did; a second call does nothing', () => {
    seed(p);
    expect(outcomesPending(db).consistent).toBe(false);
    const first = refreshOutcomes(db);
    expect(first).toMatchObject({ derived: 3, remaining: 0, reset: true });
    expect(outcomesPending(db)).toEqual({ queued: 0, unseenRows: 0, stale: false, consistent: true });
    expectMatchesOracle(db);
    expect(refreshOutcomes(db)).toMatchObject({ enqueued: 0, derived: 0, batches: 0, reset: false });
  });

  it('re-importing the same rows changes nothing and re-derives nothing', () => {
    seed(p);
    refreshOutcomes(db);
    const before = snapshot(db);
    seed(p);
    expect(queue(db)).toEqual([]);
    expect(refreshOutcomes(db).derived).toBe(0);
    expect(snapshot(db)).toEqual(before);
  });

  it('a corrected value re-derives exactly its episode', () => {
    seed(p);
    refreshOutcomes(db);
    // A sentinel in another episode's row: re-deriving that episode would erase it.
    const sentinel = db.$client.prepare('UPDATE outcome_episodes SET complications_major = ? WHERE episode_id = ?');
    sentinel.run(99, p.episodeId('B'));
    p.observations('P1', 'pain_nrs', [[day('2024-01-10', 91), 1]]);
    expect(queue(db)).toEqual([p.episodeId('A')]);
    expect(refreshOutcomes(db).derived).toBe(1);
    expect(p.measureRow('A')).toMatchObject({ m3_value: 1, m3_change: 7, m3_pct50: 1, m3_pain_free: 1 });
    expect(p.episodeRow('B')!.complications_major).toBe(99);
    sentinel.run(0, p.episodeId('B'));
    expectMatchesOracle(db);
  });

  it('follows a deleted observation, and removes a measure row left without observations', () => {
    seed(p);
    refreshOutcomes(db);
    db.$client.prepare(`DELETE FROM observations WHERE date = ? AND measure = 'pain_nrs'`).run(day('2024-01-10', 14));
    refreshOutcomes(db);
    expect(p.measureRow('A')).toMatchObject({ w2_value: null, response_day: 91 });
    db.$client.prepare(`DELETE FROM observations WHERE episode_id = ? AND measure = 'mme'`).run(p.episodeId('A'));
    refreshOutcomes(db);
    expect(p.measureRow('A', 'mme')).toBeUndefined();
    expectMatchesOracle(db);
  });

  it('follows an observation moved to another episode: both are re-derived', () => {
    seed(p);
    refreshOutcomes(db);
    const date = day('2024-09-01', -2);
    p.observations('P1', 'pain_nrs', [[date, 7]], { episodeKey: 'A' });
    expect(queue(db).sort()).toEqual([p.episodeId('A'), p.episodeId('B')].sort());
    refreshOutcomes(db);
    expect(p.measureRow('B')!.baseline_value).toBeNull();
    expectMatchesOracle(db);
  });

  it('follows an episode that arrives after its observations (the store re-matches them)', () => {
    p.patient('P1');
    p.observations('P1', 'pain_nrs', [
      ['2024-04-28', 7],
      ['2024-05-15', 4],
    ]);
    refreshOutcomes(db);
    expect(snapshot(db)).toEqual({ episodes: [], measures: [] });
    p.episode('E', 'P1', '2024-05-01');
    refreshOutcomes(db);
    expect(p.measureRow('E')).toMatchObject({ baseline_value: 7, baseline_day: -3, w2_value: 4, w2_day: 14 });
    // A later episode takes the date-matched observations in its baseline period from the earlier one.
    p.episode('F', 'P1', '2024-05-20');
    refreshOutcomes(db);
    expect(p.measureRow('E')).toBeUndefined();
    expect(p.measureRow('F')).toMatchObject({ baseline_value: 4, baseline_day: -5 });
    expectMatchesOracle(db);
  });

  it('follows changes of a patient, an episode and a treatment', () => {
    seed(p);
    refreshOutcomes(db);
    p.patient('P2', '1935-02-10', 'male');
    expect(queue(db)).toEqual([p.episodeId('C')]);
    refreshOutcomes(db);
    expect(p.measureRow('C')!.age_band).toBe('80+');

    p.episode('C', 'P2', '2024-02-03', { carePath: 'conservative', providerKey: 'D1' });
    refreshOutcomes(db);
    expect(p.episodeRow('C')).toMatchObject({ index_date: '2024-02-03' });

    // A new procedure in A is a repeat for A and a prior procedure for B.
    p.treatment('TA2', 'A', '2024-03-01', { category: 'radiofrequency_ablation', code: '64635', complication: 'major' });
    expect(queue(db)).toEqual([]); // found by its id at the next refresh, not by a trigger
    expect(refreshOutcomes(db).derived).toBe(2);
    expect(p.episodeRow('A')).toMatchObject({ repeat_day: 51, complications_major: 1 });
    expect(p.episodeRow('B')).toMatchObject({ prior_procedures: 2 });
    db.$client.prepare(`UPDATE treatments SET date = '2024-10-01' WHERE key = 'TA2'`).run();
    refreshOutcomes(db);
    expect(p.episodeRow('B')).toMatchObject({ prior_procedures: 1 });
    db.$client.prepare(`DELETE FROM treatments WHERE key = 'TA2'`).run();
    refreshOutcomes(db);
    expectMatchesOracle(db);
  });

  it('a treatment\u2019s laterality or provider changed alone re-derives its patient\u2019s episodes (the analytic store reads both)', () => {
    seed(p);
    refreshOutcomes(db);
    const episodes = db.$client.prepare(`SELECT e2.id FROM treatments t JOIN episodes e1 ON e1.id = t.episode_id JOIN episodes e2 ON e2.patient_id = e1.patient_id WHERE t.key = 'TA' ORDER BY e2.id`).pluck().all() as number[];
    expect(episodes.length).toBeGreaterThan(0);
    db.$client.prepare(`UPDATE treatments SET laterality = 'right' WHERE key = 'TA'`).run();
    expect(queue(db)).toEqual(episodes);
    refreshOutcomes(db);
    expect(queue(db)).toEqual([]);
    const other = db.$client.prepare(`SELECT id FROM providers WHERE id <> coalesce((SELECT provider_id FROM treatments WHERE key = 'TA'), -1) ORDER BY id LIMIT 1`).pluck().get() as number;
    db.$client.prepare(`UPDATE treatments SET provider_id = ? WHERE key = 'TA'`).run(other);
    expect(queue(db)).toEqual(episodes);
    // The same value again queues nothing.
    refreshOutcomes(db);
    db.$client.prepare(`UPDATE treatments SET laterality = 'right' WHERE key = 'TA'`).run();
    expect(queue(db)).toEqual([]);
  });

  it('removes the rows of a deleted episode', () => {
    seed(p);
    refreshOutcomes(db);
    const c = p.episodeId('C');
    db.$client.transaction(() => {
      db.$client.prepare('DELETE FROM observations WHERE episode_id = ?').run(c);
      db.$client.prepare('DELETE FROM treatments WHERE episode_id = ?').run(c);
      db.$client.prepare('DELETE FROM episodes WHERE id = ?').run(c);
    })();
    refreshOutcomes(db);
    expect(db.$client.prepare('SELECT count(*) FROM outcome_measures WHERE episode_id = ?').pluck().get(c)).toBe(0);
    expect(db.$client.prepare('SELECT count(*) FROM outcome_episodes WHERE episode_id = ?').pluck().get(c)).toBe(0);
    expectMatchesOracle(db);
  });

  it('finds rows written with a reused top id after a delete', () => {
    seed(p);
    refreshOutcomes(db);
    const top = db.$client.prepare('SELECT max(id) FROM observations').pluck().get() as number;
    db.$client.prepare('DELETE FROM observations WHERE id = ?').run(top);
    refreshOutcomes(db);
    p.observations('P2', 'odi', [[day('2024-02-01', 40), 30]]);
    expect(db.$client.prepare('SELECT max(id) FROM observations').pluck().get()).toBe(top);
    refreshOutcomes(db);
    expect(p.measureRow('C', 'odi')).toMatchObject({ w6_value: 30 });
    expectMatchesOracle(db);
  });

  it('drains a large queue in batches, and stops early when asked', () => {
    seed(p);
    const partial = refreshOutcomes(db, { batchSize: 1, maxBatches: 2 });
    expect(partial).toMatchObject({ derived: 2, batches: 2, remaining: 1 });
    expect(outcomesPending(db).consistent).toBe(false);
    expect(refreshOutcomes(db, { batchSize: 1 })).toMatchObject({ derived: 1, remaining: 0 });
    expectMatchesOracle(db);
  });

  it('refreshOutcomesAsync yields between batches and ends consistent', async () => {
    seed(p);
    const r = await refreshOutcomesAsync(db, { batchSize: 1 });
    expect(r).toMatchObject({ derived: 3, batches: 3, remaining: 0 });
    expect(outcomesPending(db).consistent).toBe(true);
    expectMatchesOracle(db);
  });

  it('rebuildOutcomes gives the same rows as the incremental path', () => {
    seed(p);
    refreshOutcomes(db);
    p.observations('P1', 'pain_nrs', [[day('2024-01-10', 42), 2]]);
    db.$client.prepare(`UPDATE observations SET value = 3 WHERE measure = 'mme' AND value = 10 AND patient_id = 2`).run();
    refreshOutcomes(db);
    const incremental = snapshot(db);
    expect(rebuildOutcomes(db)).toMatchObject({ derived: 3, reset: true });
    expect(snapshot(db)).toEqual(incremental);
  });

  it('re-derives everything with other definitions, and records them', () => {
    seed(p);
    refreshOutcomes(db);
    const windows = structuredClone(DEFAULT_DEFINITIONS.windows);
    windows.w2 = { target: 10, from: 1, to: 12 };
    const custom: OutcomeDefinitions = { baselineDays: 1, windows };
    expect(refreshOutcomes(db, { definitions: custom })).toMatchObject({ reset: true, derived: 3 });
    expect(p.measureRow('A')).toMatchObject({ baseline_value: null, w2_value: null });
    expect(JSON.parse(db.$client.prepare(`SELECT value FROM outcome_state WHERE key = 'definitions'`).pluck().get() as string)).toEqual(custom);
    expect(outcomesPending(db).stale).toBe(true);
    expect(refreshOutcomes(db)).toMatchObject({ reset: true });
    expectMatchesOracle(db);
  });

  it('refuses overlapping windows', () => {
    const windows = structuredClone(DEFAULT_DEFINITIONS.windows);
    windows.w6 = { target: 42, from: 20, to: 63 };
    expect(() => refreshOutcomes(db, { definitions: { baselineDays: 30, windows } })).toThrow(/window w6/);
  });
});

describe('after a crash', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outcomes-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function open(): Db {
    const fileDb = createDb(join(dir, 'practice.db'));
    migrateDb(fileDb);
    return fileDb;
  }

  it('a refresh killed between batches leaves the rest queued; the next start finishes it', () => {
    db = open();
    p = new Practice(db);
    seed(p);
    refreshOutcomes(db);
    p.observations('P1', 'pain_nrs', [[day('2024-01-10', 91), 2]]);
    p.observations('P1', 'pain_nrs', [[day('2024-09-01', 91), 2]]);
    p.observations('P2', 'pain_nrs', [[day('2024-02-01', 91), 2]]);
    // The process dies while deriving the third episode: its batch rolls back, the first two are committed.
    db.$client.exec(`CREATE TEMP TRIGGER crash BEFORE INSERT ON outcome_episodes WHEN new.episode_id = ${p.episodeId('C')}
      BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`);
    expect(() => refreshOutcomes(db, { batchSize: 1 })).toThrow('simulated crash');
    expect(queue(db)).toEqual([p.episodeId('C')]);
    db.$client.close();

    db = open();
    p = new Practice(db);
    expect(outcomesPending(db)).toMatchObject({ queued: 1, consistent: false });
    expect(refreshOutcomes(db)).toMatchObject({ derived: 1, remaining: 0 });
    expectMatchesOracle(db);
    const afterRestart = snapshot(db);
    rebuildOutcomes(db);
    expect(snapshot(db)).toEqual(afterRestart);
    db.$client.close();
  });

  it('a refresh killed while collecting new rows keeps its marks, so nothing is lost', () => {
    db = open();
    p = new Practice(db);
    seed(p);
    db.$client.exec(`CREATE TEMP TRIGGER crash BEFORE INSERT ON outcome_queue BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`);
    expect(() => refreshOutcomes(db)).toThrow('simulated crash');
    db.$client.close();

    db = open();
    p = new Practice(db);
    expect(outcomesPending(db).unseenRows).toBeGreaterThan(0);
    expect(refreshOutcomes(db)).toMatchObject({ derived: 3 });
    expectMatchesOracle(db);
    db.$client.close();
  });
});
