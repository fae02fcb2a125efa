import { createDb, migrateDb } from '../db/index.ts';
import { parseEnv } from '../server/env.ts';

const env = parseEnv();
const db = createDb(env.DATABASE_PATH);
migrateDb(db);
db.$client.close();
console.log(`Migrated ${env.DATABASE_PATH}`);
