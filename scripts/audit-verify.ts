/**
 * `npm run audit:verify`: re-computes the audit log's HMAC chain from the
 * first row and reports every row that was changed, removed or inserted
 * behind the application's back (even with the append-only triggers
 * dropped), and missing triggers. Exit code 0 when intact, 1 when not.
 * Needs the same master secret as the server (SECRET_KEY or the key file).
 */
import { existsSync } from 'node:fs';
import { createDb } from '../db/index.ts';
import { verifyAuditChain } from '../server/auth/audit.ts';
import { loadSecrets } from '../server/auth/secrets.ts';
import { parseEnv } from '../server/env.ts';

const env = parseEnv();
if (env.DATABASE_PATH !== ':memory:' && !existsSync(env.DATABASE_PATH)) {
  console.error(`No database at ${env.DATABASE_PATH}`);
  process.exit(2);
}
const db = createDb(env.DATABASE_PATH);
try {
  const hasLog = db.$client.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
  if (!hasLog) {
    console.error('The database has no audit_log table.');
    process.exit(1);
  }
  const result = verifyAuditChain(db, loadSecrets(env, { create: false }).audit);
  if (result.ok) {
    console.log(`Audit log intact: ${result.rows} rows, last id ${result.lastId ?? '-'}, head ${result.lastHash ?? '-'}`);
    console.log('Keep the head hash somewhere else (a ticket, an e-mail) to detect rows removed from the end later.');
  } else {
    console.error(`Audit log TAMPERED: ${result.problems.length} problem(s) in ${result.rows} rows`);
    for (const p of result.problems) console.error(`  ${p.id === null ? '(log)' : `row ${p.id}`}: ${p.problem}`);
  }
  process.exitCode = result.ok ? 0 : 1;
} finally {
  db.$client.close();
}
