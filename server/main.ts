import { createDb, migrateDb } from '../db/index.ts';
import { appOptionsFromEnv, buildApp } from './app.ts';
import { ensureDemoUsers, formatDemoLogins } from './auth/demo-users.ts';
import { parseEnv } from './env.ts';
import { recoverInterruptedImports } from './services/import/recovery.ts';
import { refreshOutcomesAsync } from './services/outcomes/refresh.ts';
import { WorkerAnalytics } from './services/analytics/runtime.ts';

/** `npm start`: migrate, seed a demo practice into an empty database, serve. */
async function main(): Promise<void> {
  const env = parseEnv();
  const db = createDb(env.DATABASE_PATH);
  migrateDb(db);
  // Imports whose process died (kill, crash, power cut) are marked 'interrupted'.
  recoverInterruptedImports(db);
  // An empty database gets the demo practice (DEMO_PATIENTS patients, a fixed seed): docs/demo-practice.md.
  const seeded = (await import('./services/demo/index.ts')).seedDemoIfEmpty(db, env.DEMO_PATIENTS);
  if (seeded) console.log(seeded);
  // Derived outcome tables: new rows since the last refresh (the demo seed, an import cut short) are derived before serving.
  const derived = await refreshOutcomesAsync(db);
  if (derived.derived > 0) console.log(`Derived outcomes for ${derived.derived.toLocaleString('en-US')} episodes in ${(derived.ms / 1000).toFixed(1)} s.`);

  // Secrets (cookie and audit keys) from SECRET_KEY or the key file next to the database.
  const appOptions = appOptionsFromEnv(env);
  // No user yet: one demo user per role (after seeding, so the physician has a provider).
  const demoLogins = await ensureDemoUsers(db, appOptions.secrets!);
  // The analytic store loads in its worker thread while the server already answers (sign-in, health);
  // analytic requests sent meanwhile wait for it. docs/decisions/008-analytic-store.md.
  const analytics = env.DATABASE_PATH === ':memory:' ? undefined : new WorkerAnalytics({ path: env.DATABASE_PATH });
  if (analytics) {
    const t0 = performance.now();
    analytics.ready().then(
      () => console.log(`Analytic store loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s.`),
      (e: unknown) => console.error(e instanceof Error ? e.message : e),
    );
  }
  const app = await buildApp({ db, logger: true, ...appOptions, analytics });
  await app.listen({ port: env.PORT, host: env.HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${port}/`;
  console.log(`\nPain care outcomes is running at ${url}\n`);
  if (demoLogins.length) console.log(formatDemoLogins(demoLogins, url));

  const shutdown = async () => {
    await app.close();
    await analytics?.close();
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
