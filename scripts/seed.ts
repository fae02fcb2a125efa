/**
 * `npm run seed -- --patients N --seed S [--end YYYY-MM-DD] [--force]`
 * generates the demo practice (docs/demo-practice.md) into DATABASE_PATH.
 * Refuses to add to a database that already has episodes unless --force
 * (the same seed again changes nothing; another seed adds a second practice's
 * patients under their own MRNs).
 * `npm run seed -- --truth` prints the planted truth tables instead.
 *
 * Exit status: 0 seeded, 1 refused (the database has episodes), 2 wrong call.
 */
import { SingleBar } from 'cli-progress';
import { createDb, migrateDb } from '../db/index.ts';
import { parseIsoDate } from '../server/domain/dates.ts';
import { parseEnv } from '../server/env.ts';
import { refreshOutcomes } from '../server/services/outcomes/refresh.ts';
import { DEFAULT_END_DATE, DEFAULT_SEED, generateDemoPractice, type DemoProgress } from '../server/services/demo/index.ts';
import { renderTruthMarkdown } from '../server/services/demo/report.ts';

const USAGE = 'usage: npm run seed -- [--patients N] [--seed S] [--end YYYY-MM-DD] [--force]   |   npm run seed -- --truth';

type Args = { patients: number; seed: number; end: string; force: boolean; truth: boolean };

function parseArgs(argv: string[]): Args {
  const args: Args = { patients: 3000, seed: DEFAULT_SEED, end: DEFAULT_END_DATE, force: false, truth: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const integer = (v: string, name: string, max: number) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n > max) throw new Error(`${name} must be a whole number up to ${max.toLocaleString('en-US')}, got "${v}"`);
      return n;
    };
    switch (a) {
      case '--patients':
        args.patients = integer(value(), '--patients', 5_000_000);
        break;
      case '--seed':
        args.seed = integer(value(), '--seed', 2 ** 32 - 1);
        break;
      case '--end': {
        const v = value();
        if (parseIsoDate(v) === null) throw new Error(`--end must be a date YYYY-MM-DD, got "${v}"`);
        args.end = v;
        break;
      }
      case '--force':
        args.force = true;
        break;
      case '--truth':
        args.truth = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown argument "${a}"`);
    }
  }
  return args;
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.truth) {
    process.stdout.write(renderTruthMarkdown());
    return 0;
  }

  const env = parseEnv();
  const db = createDb(env.DATABASE_PATH);
  try {
    migrateDb(db);
    const episodes = db.$client.prepare('SELECT count(*) FROM episodes').pluck().get() as number;
    if (episodes > 0 && !args.force) {
      console.error(
        `${env.DATABASE_PATH} already has ${episodes.toLocaleString('en-US')} episodes: not adding a demo practice to it.\n` +
          'Use --force to add it anyway (the same seed again changes nothing), or point DATABASE_PATH at a new file.',
      );
      return 1;
    }

    console.log(`Seeding ${args.patients.toLocaleString('en-US')} demo patients (seed ${args.seed}, records up to ${args.end}) into ${env.DATABASE_PATH}`);
    const bar = process.stderr.isTTY
      ? new SingleBar({
          format: '  {bar} {percentage}% | {value}/{total} patients | {episodes} episodes | {stage} | {duration}s',
          hideCursor: true,
          stream: process.stderr,
        })
      : null;
    bar?.start(args.patients, 0, { episodes: 0, stage: 'writing' });
    let lastLine = 0;
    const t0 = performance.now();
    const counts = generateDemoPractice(db, {
      patients: args.patients,
      seed: args.seed,
      endDate: args.end,
      onProgress: (p: DemoProgress) => {
        const stage = p.phase === 'indexing' ? 'building indexes' : 'writing';
        if (bar) bar.update(p.patientsDone, { episodes: p.episodes.toLocaleString('en-US'), stage });
        else if (p.phase === 'indexing' || performance.now() - lastLine > 10_000 || p.patientsDone === p.patients) {
          lastLine = performance.now();
          console.log(`  ${p.patientsDone.toLocaleString('en-US')}/${p.patients.toLocaleString('en-US')} patients, ${stage}`);
        }
      },
    });
    bar?.stop();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `Seeded in ${seconds.toFixed(1)} s: ${counts.sites} sites, ${counts.providers} providers, ` +
        `${counts.patients.toLocaleString('en-US')} patients, ${counts.episodes.toLocaleString('en-US')} episodes, ` +
        `${counts.treatments.toLocaleString('en-US')} treatments, ${counts.observations.toLocaleString('en-US')} observations.`,
    );
    // The dashboards read the derived outcome tables: bring them up to date now rather than at the next start.
    const refreshed = refreshOutcomes(db);
    console.log(`Derived outcomes for ${refreshed.derived.toLocaleString('en-US')} episodes in ${(refreshed.ms / 1000).toFixed(1)} s.`);
    return 0;
  } finally {
    db.$client.close();
  }
}

process.exitCode = main();
