/**
 * `npm run dev`: the API server with hot reload (`tsx watch server/main.ts`,
 * PORT, default 3000) and the Vite dev server (5173, proxying /trpc to the
 * API) together. Output of both is forwarded, labelled; Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const API_PORT = Number(process.env.PORT ?? 3000);
const API_HOST = process.env.HOST ?? '127.0.0.1';
const WEB_PORT = 5173;

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const label = (name: string, code: number) => (colour ? `\x1b[${code}m${name}\x1b[0m` : name);
const API = label('api', 36);
const WEB = label('web', 35);
const DEV = label('dev', 1);

function forward(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WriteStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} │ ${line}\n`));
}

function startApi(): ChildProcess {
  const tsxCli = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/cli.mjs');
  const child = spawn(process.execPath, [tsxCli, 'watch', '--clear-screen=false', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(API_PORT),
      HOST: API_HOST,
      FORCE_COLOR: colour ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches this script only, which then asks
    // tsx to stop the server once (a second signal would make tsx kill the
    // server before it closes the database).
    detached: true,
  });
  forward(child.stdout, API, process.stdout);
  forward(child.stderr, API, process.stderr);
  return child;
}

/** Waits until the API answers /healthz (it migrates, and may seed, first). */
async function waitForApi(api: ChildProcess, timeoutMs = 120_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && api.exitCode === null) {
    try {
      const res = await fetch(`http://${API_HOST === '0.0.0.0' ? '127.0.0.1' : API_HOST}:${API_PORT}/healthz`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(): Promise<void> {
  const api = startApi();
  let vite: ViteDevServer | null = null;
  let stopping = false;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${DEV} │ stopping\n`);
    const apiExited = api.exitCode !== null || api.signalCode !== null ? Promise.resolve() : new Promise((r) => api.once('exit', r));
    // tsx watch passes the signal on to the server, which closes the database and exits.
    api.kill('SIGINT');
    const forceKill = setTimeout(() => {
      process.stderr.write(`${DEV} │ the API server did not stop within 5 s; killing it\n`);
      if (api.pid) process.kill(-api.pid, 'SIGKILL');
    }, 5000);
    await Promise.all([vite?.close(), apiExited]);
    clearTimeout(forceKill);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  api.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`${DEV} │ the API server stopped (${signal ?? `exit code ${code}`})\n`);
    void stop(code || 1);
  });

  // The proxy target in vite.config.ts reads PORT.
  process.env.PORT = String(API_PORT);
  vite = await createServer({
    configFile: join(ROOT, 'vite.config.ts'),
    server: { port: WEB_PORT, strictPort: true },
  });
  await vite.listen();
  const webUrl = vite.resolvedUrls?.local[0] ?? `http://localhost:${WEB_PORT}/`;
  process.stdout.write(`${WEB} │ Vite dev server on ${webUrl}\n`);

  if (await waitForApi(api)) {
    process.stdout.write(
      `\n${DEV} │ ${colour ? '\x1b[1m' : ''}Pain Care Outcomes (development): open ${webUrl}${colour ? '\x1b[0m' : ''}\n` +
        `${DEV} │ API on http://${API_HOST}:${API_PORT}/ — both reload on save; Ctrl-C stops both.\n\n`,
    );
  } else if (!stopping) {
    process.stderr.write(`${DEV} │ the API server did not answer on port ${API_PORT}; see its output above\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
