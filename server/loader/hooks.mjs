// Module hooks that compile the server's TypeScript with esbuild (see register.mjs and decision 012).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const TS = /\.(?:ts|mts|tsx)$/;

/**
 * The compiler settings tsx would take from tsconfig.json that change emitted code. Not `keepNames`:
 * its `__name(fn, "name")` wrappers around every named function and closure made V8 deoptimise and
 * re-optimise the statistics' hot loops over and over (2x slower, measured in decision 012).
 */
const OPTIONS = {
  format: 'esm',
  target: `node${process.versions.node}`,
  sourcemap: 'inline',
  keepNames: false,
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, target: 'ES2023', jsx: 'react-jsx' } },
};

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  if (!TS.test(path)) return nextLoad(url, context);
  const source = await readFile(path, 'utf8');
  const out = await transform(source, { ...OPTIONS, loader: path.endsWith('x') ? 'tsx' : 'ts', sourcefile: path });
  return { format: 'module', source: out.code, shortCircuit: true };
}
