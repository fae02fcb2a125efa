import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { createDb, migrateDb, type Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { buildApp, CLIENT_DIST } from '../../server/app.ts';
import { createUser } from '../../server/auth/users.ts';
import { RecordStore } from '../../server/services/records/store.ts';

/**
 * End-to-end harness: a real server on a temp-file database and Debian's
 * chromium driven by playwright-core (no browser downloads work here).
 * Everything it creates lives in one temp folder removed by `close()`.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../.tmp/screenshots/', import.meta.url));

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type Login = { username: string; password: string };
export type Server = { url: string; db: Db; close: () => Promise<void> };

/** Starts the product (API and built client) on 127.0.0.1 with a fresh migrated database at `dbPath`. */
export async function startServer(dbPath: string, seed?: (db: Db) => void | Promise<void>): Promise<Server> {
  const db = createDb(dbPath);
  migrateDb(db);
  await seed?.(db);
  const app = await buildApp({ db, clientDist: CLIENT_DIST });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    db,
    close: async () => {
      await app.close();
      db.$client.close();
    },
  };
}

export type Harness = {
  /** The server with the small practice of `insertSmallPractice` inserted. */
  server: Server;
  /** An administrator of that practice (sees every figure unsuppressed). */
  admin: Login;
  /** How many rows of each kind were inserted, as the store reported them. */
  inserted: PracticeCounts;
  context: BrowserContext;
  /** A fresh temp folder for further databases (e.g. an empty practice). */
  dir: string;
  /** A new page in the browser with problems (console errors, failed requests) recorded. */
  newPage: () => Promise<WatchedPage>;
  close: () => Promise<void>;
};

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'pain-e2e-'));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  };
  try {
    let inserted: PracticeCounts | undefined;
    let admin: Login | undefined;
    const server = await startServer(join(dir, 'practice.db'), async (db) => {
      inserted = insertSmallPractice(db);
      admin = await addUser(db, 'admin');
    });
    cleanups.push(server.close);

    // A persistent context on our own, fresh profile folder: nothing from a
    // previous run (cache, storage, cookies) can leak in, and it goes with `dir`.
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1366, height: 768 },
      locale: 'en-US',
      timezoneId: 'America/New_York',
    });
    cleanups.push(() => context.close());

    return {
      server,
      admin: admin!,
      inserted: inserted!,
      context,
      dir,
      newPage: async () => watch(await context.newPage()),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

// ---- users ------------------------------------------------------------------------

/** Adds a user with a random password (a physician needs `providerId`). */
export async function addUser(db: Db, role: Role, providerId: number | null = null): Promise<Login> {
  if (!db.$client.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get()) {
    throw new Error('the migrated database has no users table: nobody can sign in (is the access-control migration committed?)');
  }
  const login = { username: `e2e-${role.replace('_', '-')}`, password: `e2e-${randomBytes(12).toString('base64url')}` };
  await createUser({ db, now: Date.now, audit: () => {} }, { ...login, role, providerId, displayName: `E2E ${role}` });
  return login;
}

/**
 * Signs the page in the way the browser would: a same-origin fetch to the
 * login procedure, which sets the session cookie on the page's context. The
 * page must be on one of the server's pages.
 */
export async function signIn(page: Page, login: Login): Promise<void> {
  const status = await page.evaluate(async (body) => {
    const res = await fetch('/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.status;
  }, login);
  if (status !== 200) throw new Error(`signing in as ${login.username} answered HTTP ${status}`);
}

// ---- page problems ----------------------------------------------------------------

export type WatchedPage = {
  page: Page;
  /** Console errors, uncaught exceptions, failed requests and HTTP errors seen so far. */
  problems: string[];
};

/** Records what a user would not see but a broken page shows: console errors, page errors, failed or refused requests. */
export function watch(page: Page): WatchedPage {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A navigation away aborts in-flight requests; that is not a failure.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// ---- a small practice -----------------------------------------------------------------

export type PracticeCounts = {
  sites: number;
  providers: number;
  patients: number;
  episodes: number;
  treatments: number;
  observations: number;
  firstIndexDate: string;
  lastIndexDate: string;
};

/**
 * Two sites, three providers, seven patients, nine episodes (both care paths),
 * their treatments and pain scores: every count different, so a page that
 * shows one count in another's place fails the test. Returns what the store
 * reports it inserted.
 */
export function insertSmallPractice(db: Db): PracticeCounts {
  const store = new RecordStore(db);
  return db.$client.transaction(() => {
    const sites = store.writeSites(
      [
        { key: 'NORTH', name: 'North clinic' },
        { key: 'SOUTH', name: 'South clinic' },
      ],
      null,
    );
    const providers = store.writeProviders(
      [
        { key: 'D1', name: 'Dr Avery', specialty: 'anesthesiology', siteKey: 'NORTH' },
        { key: 'D2', name: 'Dr Brooks', specialty: 'physical medicine', siteKey: 'NORTH' },
        { key: 'D3', name: 'Dr Chen', specialty: 'anesthesiology', siteKey: 'SOUTH' },
      ],
      null,
    );
    const patientMrns = ['M001', 'M002', 'M003', 'M004', 'M005', 'M006', 'M007'];
    const patients = store.writePatients(
      patientMrns.map((mrn, i) => ({ mrn, birthDate: `19${50 + i * 4}-0${(i % 9) + 1}-15`, sex: i % 2 ? 'male' : 'female', zip: '02139' })),
      null,
    );
    // Nine episodes: patients 1 and 2 have a second one; both care paths, both sites.
    const starts = ['2023-02-06', '2023-03-10', '2023-05-10', '2023-07-10', '2023-09-10', '2023-11-10', '2024-01-10', '2024-03-10', '2024-09-16'];
    const episodeRows = starts.map((startDate, i) => {
      const interventional = i % 3 !== 2;
      return {
        key: `E${i + 1}`,
        patientMrn: patientMrns[i % 7]!,
        carePath: interventional ? ('interventional' as const) : ('conservative' as const),
        conditionCode: interventional ? 'M54.16' : 'M54.50',
        region: 'lumbar' as const,
        providerKey: ['D1', 'D2', 'D3'][i % 3]!,
        siteKey: i % 3 === 2 ? 'SOUTH' : 'NORTH',
        startDate,
        painDurationMonths: 6 + i,
      };
    });
    const episodes = store.writeEpisodes(episodeRows, null);
    // Interventional episodes: an ESI and a follow-up PT visit; conservative: PT only. 6*2 + 3*1 = 15.
    const treatments = store.writeTreatments(
      episodeRows.flatMap((e) =>
        e.carePath === 'interventional'
          ? [
              { key: `${e.key}-T1`, episodeKey: e.key, date: e.startDate, category: 'epidural_steroid_injection' as const, code: '64483', laterality: 'left' as const, providerKey: e.providerKey, complication: 'none' as const },
              { key: `${e.key}-T2`, episodeKey: e.key, date: addDays(e.startDate, 14), category: 'physical_therapy' as const, code: '97110', laterality: null, providerKey: null, complication: null },
            ]
          : [{ key: `${e.key}-T1`, episodeKey: e.key, date: e.startDate, category: 'physical_therapy' as const, code: '97110', laterality: null, providerKey: null, complication: null }],
      ),
      null,
    );
    // Pain at baseline, 6 weeks and 3 months for each episode; ODI at baseline for the first four. 9*3 + 4 = 31.
    const observations = store.writeObservations(
      episodeRows.flatMap((e, i) => [
        { key: `${e.key}-P0`, patientMrn: e.patientMrn, episodeKey: e.key, date: e.startDate, measure: 'pain_nrs' as const, value: 7 },
        { key: `${e.key}-P6w`, patientMrn: e.patientMrn, episodeKey: e.key, date: addDays(e.startDate, 42), measure: 'pain_nrs' as const, value: 5 },
        { key: `${e.key}-P3m`, patientMrn: e.patientMrn, episodeKey: e.key, date: addDays(e.startDate, 91), measure: 'pain_nrs' as const, value: 4 },
        ...(i < 4 ? [{ key: `${e.key}-ODI0`, patientMrn: e.patientMrn, episodeKey: e.key, date: e.startDate, measure: 'odi' as const, value: 40 }] : []),
      ]),
      null,
    );
    const results = { sites, providers, patients, episodes, treatments, observations };
    for (const [table, r] of Object.entries(results)) {
      if (r.failed.length > 0) throw new Error(`the small practice's ${table} were refused: ${JSON.stringify(r.failed)}`);
    }
    return {
      sites: sites.inserted,
      providers: providers.inserted,
      patients: patients.inserted,
      episodes: episodes.inserted,
      treatments: treatments.inserted,
      observations: observations.inserted,
      firstIndexDate: starts[0]!,
      lastIndexDate: starts.at(-1)!,
    };
  })();
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// ---- pages of a second server --------------------------------------------------------

/** A new watched page on `server`, signed in as `login`, at `path`. */
export async function openSignedIn(h: Harness, server: Server, path: string, login: Login): Promise<WatchedPage> {
  const w = await h.newPage();
  await w.page.goto(`${server.url}/healthz`);
  await signIn(w.page, login);
  await w.page.goto(`${server.url}${path}`);
  return w;
}

/** Waits until the page has no query in flight (no dimmed previous figures). */
export async function settled(w: WatchedPage): Promise<void> {
  await expect.poll(() => w.page.locator('[aria-busy="true"]').count(), { timeout: 20_000 }).toBe(0);
}

/** A tile's figure as shown and as its machine-readable value. */
export async function tileFigure(w: WatchedPage, label: string): Promise<{ text: string; value: string }> {
  const figure = w.page.getByRole('group', { name: label, exact: true }).locator('data.tile__value');
  await figure.waitFor();
  return { text: (await figure.textContent())!.trim(), value: (await figure.getAttribute('value'))! };
}
