/**
 * Migration 0006 rebuilds `observations` to make its measure CHECK cheaper
 * (docs/decisions/003-import-design.md). A database created at the previous
 * migration, with rows in it, must migrate cleanly: every row kept with its
 * id, the indexes and the outcome triggers back, and the same rules enforced.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, MIGRATIONS_FOLDER, type Db } from '../../../db/index.ts';

const TAG = '0006_observations_measure_check';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'migration-0006-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The migrations folder as it was before `tag`: the journal cut just before it. */
function foldersBefore(tag: string): string {
  const folder = join(dir, 'before');
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

function seedRows(db: Db): void {
  db.$client.exec(`
    INSERT INTO imports (id, started_at, status, mode, source) VALUES (1, '2024-01-01T00:00:00Z', 'completed', 'partial', 'x');
    INSERT INTO sites (id, key, name) VALUES (1, 'S1', 'North');
    INSERT INTO providers (id, key, name, site_id) VALUES (1, 'D1', 'Dr One', 1);
    INSERT INTO patients (id, mrn, birth_date, sex, zip) VALUES (1, 'MRN1', '1950-01-01', 'female', '80202'), (2, 'MRN2', '1960-02-02', 'male', NULL);
    INSERT INTO episodes (id, key, patient_id, care_path, condition_code, condition_group, provider_id, site_id, start_date)
      VALUES (1, 'E1', 1, 'interventional', 'M54.16', 'radiculopathy', 1, 1, '2024-01-10');
    INSERT INTO observations (id, key, patient_id, episode_id, episode_by_date, date, measure, value, import_id) VALUES
      (5, 'O1', 1, 1, 0, '2024-01-08', 'pain_nrs', 8, 1),
      (7, NULL, 1, 1, 1, '2024-02-21', 'odi', 40, 1),
      (9, NULL, 2, NULL, 1, '2024-03-01', 'mme', 30, NULL);
  `);
}

const rows = (db: Db) => db.$client.prepare('SELECT * FROM observations ORDER BY id').all();

describe('migration 0006 (observations measure check)', () => {
  it('migrates a database created at the previous migration with rows in it', () => {
    const path = join(dir, 'old.db');
    const db = createDb(path);
    migrate(db, { migrationsFolder: foldersBefore(TAG) });
    seedRows(db);
    const before = rows(db);
    const oldSql = db.$client.prepare("SELECT sql FROM sqlite_master WHERE name = 'observations'").pluck().get() as string;
    expect(oldSql).toContain("IN ('pain_nrs'");

    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    const sql = db.$client.prepare("SELECT sql FROM sqlite_master WHERE name = 'observations'").pluck().get() as string;
    expect(sql).not.toContain("IN ('pain_nrs'");
    expect(sql).toContain(`"observations"."measure" = 'mme'`);

    // Every row with its id; the database consistent.
    expect(rows(db)).toEqual(before);
    expect(db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.$client.pragma('foreign_key_check')).toEqual([]);

    // Indexes and triggers are back.
    const objects = db.$client
      .prepare("SELECT type || ':' || name FROM sqlite_master WHERE tbl_name = 'observations' AND name NOT LIKE 'sqlite_%' ORDER BY 1")
      .pluck()
      .all();
    expect(objects).toEqual([
      'index:observations_episode_idx',
      'index:observations_key_unique',
      'index:observations_natural_key',
      'table:observations',
      'trigger:outcome_observations_delete',
      'trigger:outcome_observations_update',
    ]);
    db.$client.prepare('UPDATE observations SET value = 7 WHERE id = 5').run();
    expect(db.$client.prepare('SELECT episode_id FROM outcome_queue').pluck().all()).toEqual([1]);

    // The same rules: a measure outside the list, a value out of range, a bad date, a duplicate natural key, a dangling patient.
    const insert = db.$client.prepare('INSERT INTO observations (patient_id, date, measure, value) VALUES (?, ?, ?, ?)');
    expect(() => insert.run(2, '2024-03-02', 'pain', 3)).toThrow(/CHECK constraint failed: observations_measure_enum/);
    expect(() => insert.run(2, '2024-03-02', 'pain_nrs', 11)).toThrow(/CHECK constraint failed: observations_value_range/);
    expect(() => insert.run(2, '2024/03/02', 'pain_nrs', 3)).toThrow(/CHECK constraint failed: observations_date_iso/);
    expect(() => insert.run(2, '2024-03-01', 'mme', 3)).toThrow(/UNIQUE constraint failed/);
    expect(() => insert.run(99, '2024-03-02', 'pain_nrs', 3)).toThrow(/FOREIGN KEY constraint failed/);
    expect(insert.run(2, '2024-03-02', 'promis_pf', 45).changes).toBe(1);
    db.$client.close();
  });
});
