import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { getImport, runImport } from '../../../server/services/import/service.ts';
import { PRACTICE, count, importFiles, keys, practice } from './helpers.ts';

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

const TABLES = ['sites', 'providers', 'patients', 'episodes', 'treatments', 'observations'] as const;
const counts = () => Object.fromEntries(TABLES.map((t) => [t, count(db, t)]));
const FULL = { sites: 2, providers: 2, patients: 3, episodes: 2, treatments: 2, observations: 3 };

describe('partial mode (default)', () => {
  it('stores a valid practice and records a completed import', async () => {
    const report = await importFiles(db, practice());
    expect(report).toMatchObject({ status: 'completed', mode: 'partial', errorCount: 0, errors: [], totals: { rows: 14, inserted: 14 } });
    expect(counts()).toEqual(FULL);
    const row = getImport(db, report.importId);
    expect(row).toMatchObject({ status: 'completed', mode: 'partial', rowsInserted: 14, rowsRejected: 0, batchesCommitted: 6 });
    expect(row.report).toEqual(report);
  });

  it('brings the derived outcome tables up to date afterwards', async () => {
    const { outcomes } = await runImport(db, Object.entries(practice()).map(([name, content]) => ({ name, content })));
    expect(outcomes).toMatchObject({ episodesDerived: 2 });
    expect(count(db, 'outcome_episodes')).toBe(2);
  });

  it('stores every valid row, reports every invalid one, and says completed_with_errors', async () => {
    const report = await importFiles(db, practice({ patients: `${PRACTICE.patients}MRN004,not-a-date,female,\n` }));
    expect(report.status).toBe('completed_with_errors');
    expect(report.totals).toMatchObject({ rows: 15, inserted: 14, rejected: 1 });
    expect(getImport(db, report.importId)).toMatchObject({ status: 'completed_with_errors', rowsInserted: 14, rowsRejected: 1 });
  });

  it('says rejected when nothing valid was stored', async () => {
    const report = await importFiles(db, { 'sites.csv': 'site_id,name\nS1,\n' });
    expect(report.status).toBe('rejected');
  });
});

describe('all-or-nothing', () => {
  it('stores nothing when one row is bad, and reports it', async () => {
    const report = await importFiles(db, practice({ observations: `${PRACTICE.observations}O9,MRN001,,2024-03-01,pain_nrs,12\n` }), {
      mode: 'all_or_nothing',
      batchRows: 2,
    });
    expect(counts()).toEqual({ sites: 0, providers: 0, patients: 0, episodes: 0, treatments: 0, observations: 0 });
    expect(report).toMatchObject({ status: 'rejected', mode: 'all_or_nothing', batchesCommitted: 0, errorCount: 1 });
    expect(report.errors[0]).toMatchObject({ file: 'observations.csv', line: 5, column: 'value', kind: 'out_of_range' });
    expect(report.totals).toMatchObject({ rows: 15, valid: 14, inserted: 0, updated: 0, unchanged: 0, rejected: 1 });
    expect(report.files.every((f) => f.committedThroughLine === null)).toBe(true);
    expect(report.notes.some((n) => n.startsWith('All-or-nothing: nothing was stored'))).toBe(true);
    expect(getImport(db, report.importId)).toMatchObject({ status: 'rejected', rowsInserted: 0, rowsRejected: 1, report });
  });

  it('stores nothing when a whole file is refused', async () => {
    const report = await importFiles(db, practice({ treatments: 'treatment_id,date\n' }), { mode: 'all_or_nothing' });
    expect(report.status).toBe('rejected');
    expect(count(db, 'sites')).toBe(0);
  });

  it('stores nothing when the database refuses a row', async () => {
    await importFiles(db, { ...practice(), 'observations.csv': 'observation_id,patient_id,date,measure,value\nO1,MRN001,2024-01-08,pain_nrs,8\nO2,MRN001,2024-01-08,odi,40\n' });
    const report = await importFiles(
      db,
      { 'observations.csv': 'observation_id,patient_id,date,measure,value\nO3,MRN001,2024-01-09,pain_nrs,5\nO1,MRN001,2024-01-08,odi,41\n' },
      { mode: 'all_or_nothing' },
    );
    expect(report).toMatchObject({ status: 'rejected', errorCountsByKind: { db_refused: 1 } });
    expect(keys(db, 'observations')).toEqual(['O1', 'O2']);
  });

  it('stores everything when every row is valid', async () => {
    const report = await importFiles(db, practice(), { mode: 'all_or_nothing', batchRows: 2 });
    expect(report).toMatchObject({ status: 'completed', totals: { inserted: 14 } });
    expect(counts()).toEqual(FULL);
    expect(getImport(db, report.importId).status).toBe('completed');
  });
});

describe('re-import', () => {
  it('changes nothing when the same files are imported again', async () => {
    await importFiles(db, practice());
    const before = db.$client.prepare('SELECT * FROM observations ORDER BY id').all();
    const again = await importFiles(db, practice());
    expect(again).toMatchObject({ status: 'completed', totals: { rows: 14, inserted: 0, updated: 0, unchanged: 14, rejected: 0 } });
    expect(counts()).toEqual(FULL);
    expect(db.$client.prepare('SELECT * FROM observations ORDER BY id').all()).toEqual(before);
  });

  it('reports one changed value as one update', async () => {
    await importFiles(db, practice());
    const report = await importFiles(db, practice({ observations: PRACTICE.observations.replace(',MRN002,,2024-01-30,odi,40', ',MRN002,,2024-01-30,odi,38') }));
    expect(report.totals).toMatchObject({ inserted: 0, updated: 1, unchanged: 13 });
    expect(report.files.find((f) => f.table === 'observations')).toMatchObject({ updated: 1, unchanged: 2 });
    expect(db.$client.prepare("SELECT value FROM observations WHERE measure = 'odi'").pluck().get()).toBe(38);
    expect(count(db, 'observations')).toBe(3);
  });

  it('updates a patient whose birth date was corrected, and nothing else', async () => {
    await importFiles(db, practice());
    const report = await importFiles(db, { 'patients.csv': PRACTICE.patients.replace('1971-11-02', '1971-11-03') });
    expect(report.totals).toMatchObject({ updated: 1, unchanged: 2 });
  });
});

describe('order and references', () => {
  it('imports files given in reverse order (dependency order is used)', async () => {
    const files = Object.entries(practice()).reverse();
    const report = await importFiles(db, Object.fromEntries(files));
    expect(report.status).toBe('completed');
    expect(report.files.map((f) => f.table)).toEqual([...TABLES]);
    expect(report.notes).toContain('Files were read in dependency order (sites, providers, patients, episodes, treatments, observations), not in the order given.');
    expect(counts()).toEqual(FULL);
  });

  it('resolves references to rows stored by an earlier import', async () => {
    await importFiles(db, { 'sites.csv': PRACTICE.sites, 'providers.csv': PRACTICE.providers, 'patients.csv': PRACTICE.patients });
    const report = await importFiles(db, { 'episodes.csv': PRACTICE.episodes, 'observations.csv': PRACTICE.observations, 'treatments.csv': PRACTICE.treatments });
    expect(report.status).toBe('completed');
    expect(counts()).toEqual(FULL);
  });

  it('reports references to rows of this import that were invalid', async () => {
    const report = await importFiles(db, practice({ patients: PRACTICE.patients.replace('MRN002,1971-11-02,male', 'MRN002,1971-11-02,mail') }));
    expect(report.errors.map((e) => [e.file, e.line, e.column, e.kind])).toEqual([
      ['patients.csv', 3, 'sex', 'invalid_enum'],
      ['episodes.csv', 3, 'patient_id', 'unknown_reference'],
      ['treatments.csv', 3, 'episode_id', 'unknown_reference'],
      ['observations.csv', 4, 'patient_id', 'unknown_reference'],
    ]);
    expect(counts()).toEqual({ sites: 2, providers: 2, patients: 2, episodes: 1, treatments: 1, observations: 2 });
  });

  it('matches observations without an episode_id to an episode by date, also when the episode arrives later', async () => {
    await importFiles(db, { ...practice(), 'episodes.csv': PRACTICE.episodes.split('\n').slice(0, 2).join('\n') + '\n', 'treatments.csv': 'treatment_id,episode_id,date,category\n' });
    // MRN002's score of 2024-01-30 has no episode yet.
    const episodeOf = () => db.$client.prepare("SELECT e.key FROM observations o LEFT JOIN episodes e ON e.id = o.episode_id WHERE o.measure = 'odi'").pluck().get();
    expect(episodeOf()).toBeNull();
    const report = await importFiles(db, { 'episodes.csv': PRACTICE.episodes });
    expect(report.observationsRematched).toBe(1);
    expect(episodeOf()).toBe('E2');
  });
});

describe('batches', () => {
  it('commits one transaction per batch and keeps the imports row in step', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `S${i},Site ${i}`);
    rows.splice(5, 0, 'S5,'); // line 7: no name; so S5 on line 8 repeats an id
    const report = await importFiles(db, { 'sites.csv': `site_id,name\n${rows.join('\n')}\n` }, { batchRows: 3 });
    expect(report.errors.map((e) => [e.line, e.kind, e.reason])).toEqual([
      [7, 'missing_value', 'name is required'],
      [8, 'duplicate_id', 'duplicate site_id: the same id is on line 7'],
    ]);
    expect(report).toMatchObject({ status: 'completed_with_errors', batchesCommitted: 3, totals: { rows: 11, inserted: 9, rejected: 2 } });
    expect(report.files[0]!.committedThroughLine).toBe(12);
    expect(getImport(db, report.importId)).toMatchObject({ batchesCommitted: 3, rowsInserted: 9, rowsRejected: 2 });
  });
});
