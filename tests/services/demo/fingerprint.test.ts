/**
 * The generated practice must not change when the generator's machinery does
 * (other tests and helpers rely on its planted effects). The digests below
 * were computed with the generator as of commit b793c97, before the record
 * store bounded its key maps (RecordStore.forgetKeys), by this same call of
 * contentHash; a change to the model itself must update them on purpose.
 */
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../../../db/index.ts';
import { generateDemoPractice, type DemoOptions } from '../../../server/services/demo/index.ts';
import { contentHash } from './helpers.ts';

const CASES: Array<[DemoOptions, string]> = [
  [{ patients: 2000, seed: 7 }, '6b03ed47ac03f322bb26877076786b60fcade36badd976127cb9ffe1195c792a'],
  // Bulk load (indexes dropped and rebuilt) in small batches: the same rows.
  [{ patients: 2000, seed: 7, batchSize: 300, bulk: true }, '6b03ed47ac03f322bb26877076786b60fcade36badd976127cb9ffe1195c792a'],
  [{ patients: 2000, seed: 7, endDate: '2025-06-30' }, 'ec0f5147d6b90277f09edaaf51e3c8d5b1884a45ea87ef03b1f2eb10e63922e1'],
];

describe('the demo practice, byte for byte', () => {
  it.each(CASES)('%j has the recorded digest', (options, digest) => {
    const db = createTestDb();
    generateDemoPractice(db, options);
    expect(contentHash(db)).toBe(digest);
  });

  it('running the same seed again over it changes nothing (keys looked up in the database)', () => {
    const db = createTestDb();
    generateDemoPractice(db, { patients: 2000, seed: 7, batchSize: 700 });
    const before = contentHash(db);
    generateDemoPractice(db, { patients: 2000, seed: 7, batchSize: 300 });
    expect(contentHash(db)).toBe(before);
    expect(before).toBe(CASES[0]![1]);
  });
});
