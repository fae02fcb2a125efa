/**
 * Run by tests/services/import/seed-kill.test.ts in a child process, which the
 * test SIGKILLs in the middle of a bulk load:
 *   node --import ../../server/loader/register.mjs seed-kill-child.ts <database> <patients>
 */
import { createDb, migrateDb } from '../../../db/index.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';

const [dbPath, patients] = process.argv.slice(2);
const db = createDb(dbPath!);
migrateDb(db);
generateDemoPractice(db, { patients: Number(patients), seed: 3, batchSize: 200, bulk: true });
process.stdout.write('done\n');
