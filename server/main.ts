import { createDb, migrateDb } from '../db/index.ts';
import { buildApp } from './app.ts';
import { parseEnv } from './env.ts';
import { recoverInterruptedImports } from './services/import/recovery.ts';

/** `npm start`: migrate, seed a demo practice into an empty database, serve. */
async function main(): Promise<void> {
  const env = parseEnv();
  const db = createDb(env.DATABASE_PATH);
  migrateDb(db);
  // Imports whose process died (kill, crash, power cut) are marked 'interrupted'.
  recoverInterruptedImports(db);

  const app = await buildApp({ db, logger: true });
  await app.listen({ port: env.PORT, host: env.HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  console.log(`\nPain care outcomes is running at http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${port}/\n`);

  const shutdown = async () => {
    await app.close();
    db.$client.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
