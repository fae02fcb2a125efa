/**
 * `npm run bench -- seed [--patients N] [--seed S] [--keep]`: generates the demo
 * practice (default 1,000,000 patients) into a fresh file database under .tmp/
 * with the production pragmas (createDb), then prints rows per table, the time
 * and the peak resident memory. The database is deleted afterwards unless --keep.
 */
import { rmSync } from 'node:fs';
import { createDb, migrateDb } from '../db/index.ts';
import { generateDemoPractice, type DemoProgress } from '../server/services/demo/index.ts';
import { countFlag, flagValue } from './common.ts';

export async function run(args: string[]): Promise<void> {
  const patients = countFlag(args, 'patients', 1_000_000);
  const seed = Number(flagValue(args, 'seed') ?? 1);
  const path = `.tmp/seed-bench-${process.pid}.db`;
  const files = [path, `${path}-wal`, `${path}-shm`];
  files.forEach((f) => rmSync(f, { force: true }));

  const db = createDb(path);
  try {
    migrateDb(db);
    console.log(`seed bench: ${patients.toLocaleString('en-US')} patients, seed ${seed}, into ${path}`);
    const t0 = performance.now();
    let last = t0;
    let indexingAt = 0;
    const counts = generateDemoPractice(db, {
      patients,
      seed,
      onProgress: (p: DemoProgress) => {
        const now = performance.now();
        if (p.phase === 'indexing') {
          indexingAt = now;
          console.log(`  ${secs(now - t0)} s  rows written (peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB); building indexes`);
        } else if (now - last > 15_000) {
          last = now;
          const rate = Math.round(p.patientsDone / ((now - t0) / 1000));
          console.log(`  ${secs(now - t0)} s  ${p.patientsDone.toLocaleString('en-US')} patients (${rate.toLocaleString('en-US')}/s)`);
        }
      },
    });
    const done = performance.now();
    const seconds = (done - t0) / 1000;
    const rows = counts.patients + counts.episodes + counts.treatments + counts.observations;
    console.log('\nrows per table');
    for (const [table, n] of Object.entries(counts)) console.log(`  ${table.padEnd(13)} ${n.toLocaleString('en-US').padStart(12)}`);
    console.log(`  ${'total'.padEnd(13)} ${rows.toLocaleString('en-US').padStart(12)}`);
    console.log(
      `\ntime          ${seconds.toFixed(1)} s` +
        (indexingAt ? ` (writing ${secs(indexingAt - t0)} s, index build ${secs(done - indexingAt)} s)` : ''),
    );
    console.log(`throughput    ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${Math.round(patients / seconds).toLocaleString('en-US')} patients/s`);
    console.log(`peak RSS      ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    const size = db.$client.prepare('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()').pluck().get() as number;
    console.log(`database      ${(size / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    db.$client.close();
    if (!args.includes('--keep')) files.forEach((f) => rmSync(f, { force: true }));
  }
}

const secs = (ms: number) => (ms / 1000).toFixed(1);
