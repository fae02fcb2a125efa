import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, screenshot, signIn, startHarness, startServer, type Harness, type Login, type Server, type WatchedPage } from './harness.ts';

const SECTIONS = [
  { label: 'Outcomes', path: '/outcomes' },
  { label: 'Compare', path: '/compare' },
  { label: 'Operations', path: '/operations' },
  { label: 'Cohorts', path: '/cohorts' },
  { label: 'Data', path: '/data' },
];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/**
 * A new page, signed in to `server` and then sent to `path`. Cookies are per
 * host, not per port, so every test signs in afresh to the server it uses.
 */
async function open(path: string, server: Server = h.server, login: Login = h.admin): Promise<WatchedPage> {
  const w = await h.newPage();
  await w.page.goto(`${server.url}/healthz`);
  await signIn(w.page, login);
  await w.page.goto(`${server.url}${path}`);
  return w;
}

/** The tile's figure: its text as shown and its machine-readable value. */
async function tileFigure(w: WatchedPage, label: string): Promise<{ text: string; value: string }> {
  const figure = w.page.getByRole('group', { name: label, exact: true }).locator('data.tile__value');
  return { text: (await figure.textContent())!.trim(), value: (await figure.getAttribute('value'))! };
}

describe('the app shell', () => {
  it('redirects / to /outcomes and reaches every section from the navigation', async () => {
    const w = await open('/');
    const { page } = w;
    await page.waitForURL('**/outcomes');
    await expectHeading(w, 'Outcomes');
    expect(await page.title()).toBe('Outcomes · Pain Care Outcomes');
    await screenshot(page, 'shell-outcomes');

    const nav = page.getByRole('navigation', { name: 'Sections' });
    for (const s of [...SECTIONS.slice(1), SECTIONS[0]!]) {
      await nav.getByRole('link', { name: s.label, exact: true }).click();
      await page.waitForURL(`**${s.path}`);
      await expectHeading(w, s.label);
      expect(await nav.getByRole('link', { name: s.label, exact: true }).getAttribute('aria-current')).toBe('page');
    }
    expect(w.problems).toEqual([]);
    await page.close();
  });

  it('carries the shared filters between analytic pages, and through a visit to Data', async () => {
    const w = await open('/?window=m6&carePath=interventional&unrelated=1');
    const { page } = w;
    await page.waitForURL('**/outcomes?**');
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('link', { name: 'Data', exact: true }).click();
    await page.waitForURL('**/data');
    await nav.getByRole('link', { name: 'Compare', exact: true }).click();
    await page.waitForURL('**/compare?**');
    // Canonical order and only the shared filters.
    expect(new URL(page.url()).search).toBe('?carePath=interventional&window=m6');
    expect(w.problems).toEqual([]);
    await page.close();
  });

  it('shows a not-found page inside the shell for an unknown address', async () => {
    const w = await open('/no-such-page');
    await expectHeading(w, 'Page not found');
    await w.page.getByRole('link', { name: 'Go to Outcomes' }).click();
    await w.page.waitForURL('**/outcomes');
    expect(w.problems).toEqual([]);
    await w.page.close();
  });
});

describe('the Data page', () => {
  it("shows the practice's stored record counts and index-date span", async () => {
    const w = await open('/data');
    const { page } = w;
    await expectHeading(w, 'Data');
    await page.getByRole('group', { name: 'Patients', exact: true }).waitFor();

    const expected = {
      Patients: h.inserted.patients,
      'Episodes of care': h.inserted.episodes,
      Treatments: h.inserted.treatments,
      Observations: h.inserted.observations,
      Providers: h.inserted.providers,
      Sites: h.inserted.sites,
    };
    // The harness's practice, as the store reported inserting it.
    expect(Object.values(expected)).toEqual([7, 9, 15, 31, 3, 2]);
    for (const [label, n] of Object.entries(expected)) {
      expect(await tileFigure(w, label), label).toEqual({ text: String(n), value: String(n) });
    }
    const span = page.locator('.facts dd').first();
    expect((await span.textContent())?.trim()).toBe('Feb 6, 2023 \u2013 Sep 16, 2024');
    expect(await span.locator('time').first().getAttribute('datetime')).toBe(h.inserted.firstIndexDate);
    expect(await span.locator('time').last().getAttribute('datetime')).toBe(h.inserted.lastIndexDate);

    await screenshot(page, 'data');

    // The definition behind the "i" opens on focus and closes with Escape.
    const info = page.getByRole('button', { name: 'Definition: Episodes of care' });
    await info.focus();
    await expect.poll(() => page.getByRole('tooltip').filter({ hasText: 'index date' }).isVisible()).toBe(true);
    await screenshot(page, 'data-definition');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('tooltip').filter({ hasText: 'index date' }).isVisible()).toBe(false);

    // Down to a small laptop, nothing overflows sideways.
    for (const width of [1024, 800]) {
      await page.setViewportSize({ width, height: 700 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `page width at ${width}px`).toBeLessThanOrEqual(width);
      await screenshot(page, `data-${width}`);
    }
    expect(w.problems).toEqual([]);
    await page.close();
  });

  it('says so when nothing has been imported yet', async () => {
    let login: Login | undefined;
    const empty = await startServer(join(h.dir, 'empty.db'), async (db) => {
      login = await addUser(db, 'admin');
    });
    try {
      const w = await open('/data', empty, login!);
      const state = w.page.getByText('No records yet');
      await state.waitFor();
      expect(await w.page.getByRole('status').filter({ hasText: 'No records yet' }).textContent()).toContain(
        "Import your practice's files or run npm run seed.",
      );
      expect(await w.page.locator('data.tile__value').count()).toBe(0);
      await screenshot(w.page, 'data-empty');
      expect(w.problems).toEqual([]);
      await w.page.close();
    } finally {
      await empty.close();
    }
  });

  it('shows an error with a retry when the server fails, and recovers', async () => {
    const w = await h.newPage();
    const { page } = w;
    await page.goto(`${h.server.url}/healthz`);
    await signIn(page, h.admin);
    let failing = true;
    // The session check (auth.me) still answers: the shell needs to know who is signed in before any page loads.
    await page.route('**/trpc/**', (route) =>
      failing && !route.request().url().includes('/trpc/auth.me')
        ? route.fulfill({
            status: 500,
            contentType: 'application/json',
            // One error per call of the batch (the admin's Data page asks for records and imports together).
            body: JSON.stringify(
              decodeURIComponent(new URL(route.request().url()).pathname.split('/trpc/')[1]!)
                .split(',')
                .map(() => ({ error: { message: 'Internal error', code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 } } })),
            ),
          })
        : route.fallback(),
    );
    await page.goto(`${h.server.url}/data`);
    // The admin's Data page also lists imports, which fail the same way: this test is about the record counts.
    const alert = page.getByRole('region', { name: 'Stored records' }).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("Could not load the practice's records");
    expect(await alert.textContent()).toContain('The server could not answer this request.');
    await screenshot(page, 'data-error');

    failing = false;
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('group', { name: 'Patients', exact: true }).waitFor();
    expect((await tileFigure(w, 'Patients')).value).toBe(String(h.inserted.patients));
    // The only problems are the failures this test staged.
    expect(w.problems.filter((p) => !/\b500\b/.test(p))).toEqual([]);
    await page.close();
  });
});

async function expectHeading(w: WatchedPage, name: string): Promise<void> {
  const h1 = w.page.getByRole('heading', { level: 1 });
  await expect.poll(() => h1.textContent(), { timeout: 10_000 }).toBe(name);
}
