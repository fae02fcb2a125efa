import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the client once before the browser tests, when dist/client is missing
 * or older than anything it is built from. `npm test` after `npm run build`
 * (as in .ci/run) skips the build.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'dist/client/index.html');
const SOURCES = ['client', 'vite.config.ts', 'package-lock.json', 'db/schema/vocabulary.ts'];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export default async function setup(): Promise<void> {
  const sourcesTime = Math.max(...SOURCES.map((p) => join(ROOT, p)).filter(existsSync).map(newestMtime));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= sourcesTime) return;

  const { build } = await import('vite');
  const started = Date.now();
  // Vitest sets NODE_ENV=test, and Vite would then bundle React's development
  // build: test what users get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  process.stdout.write(`e2e: built the client in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
