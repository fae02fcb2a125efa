/**
 * `npm run bench [name ...]`: runs the benchmarks in bench/*.bench.ts (all, or
 * the named ones) one after another and prints their figures. Each module
 * exports `run(args: string[]): Promise<void>`; the scale is set per bench by
 * its own flags (e.g. `npm run bench -- import --rows 1000000`).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();

const args = process.argv.slice(2);
const names = args.filter((a) => available.includes(a));
const flags = args.filter((a) => !available.includes(a));
const chosen = names.length ? names : available;
if (args.some((a) => !a.startsWith('-') && !available.includes(a) && !/^[0-9.]+$/.test(a))) {
  console.error(`Unknown benchmark. Available: ${available.join(', ')}`);
  process.exit(2);
}

for (const name of chosen) {
  console.log(`\n=== ${name} ===`);
  const mod = (await import(`./${name}.bench.ts`)) as { run: (args: string[]) => Promise<void> };
  await mod.run(flags);
}
