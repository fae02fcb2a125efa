/**
 * The TypeScript loader the server, the bench and every worker thread run under (server/loader,
 * decision 012): esbuild's compile of tsx without keepNames's `__name` wrappers, which kept V8
 * deoptimising the statistics' hot loops.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain-JavaScript module without type declarations
import { load } from '../../server/loader/hooks.mjs';
import { TS_LOADER } from './node-args.ts';

const dir = mkdtempSync(join(tmpdir(), 'loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server/loader', () => {
  it('compiles TypeScript without __name wrappers, and leaves other modules to the next loader', async () => {
    const file = join(dir, 'closures.ts');
    writeFileSync(file, 'export function outer(n: number): number { const inner = (x: number): number => x * 2; return inner(n); }\n');
    const next = async () => ({ format: 'module', source: 'passed on', shortCircuit: true });
    const out = await load(pathToFileURL(file).href, { format: undefined }, next);
    expect(out.format).toBe('module');
    expect(out.source).toContain('const inner = (x) => x * 2');
    expect(out.source).not.toContain('__name');
    expect(await load(pathToFileURL(join(dir, 'plain.mjs')).href, {}, next)).toEqual({ format: 'module', source: 'passed on', shortCircuit: true });
    expect(await load('node:fs', {}, next)).toEqual({ format: 'module', source: 'passed on', shortCircuit: true });
  });

  it('runs a TypeScript program with .ts imports, parameter properties and source-mapped stacks', () => {
    writeFileSync(join(dir, 'lib.ts'), 'export class Point { z = 0; constructor(public x: number, readonly y: number) {} }\nexport const named = () => new Error("here");\n');
    writeFileSync(
      join(dir, 'main.ts'),
      [
        "import { Point, named } from './lib.ts';",
        'const p: Point = new Point(1, 2);',
        "const line = named().stack!.split('\\n')[1]!;",
        "console.log(JSON.stringify({ p, name: named.name, mapped: /lib\\.ts:2:\\d+/.test(line) }));",
      ].join('\n'),
    );
    const stdout = execFileSync(process.execPath, [...TS_LOADER, join(dir, 'main.ts')], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual({ p: { x: 1, y: 2, z: 0 }, name: 'named', mapped: true });
  });
});
