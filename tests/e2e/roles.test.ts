import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../db/schema/auth.ts';
import { addUser, screenshot, startHarness, type Harness, type Login, type WatchedPage } from './harness.ts';

/**
 * Each role signs in through the sign-in page of the real product in
 * Chromium, and sees what roles.md lets it see and nothing else: the sections
 * in the navigation, the admin pages, the import upload, record counts with
 * small cells suppressed for practice managers and researchers. The server's
 * refusals are checked from the same page (a same-origin fetch, as the app
 * would send it).
 */

let h: Harness;
const logins = {} as Record<Role, NonNullable<Login>>;

beforeAll(async () => {
  h = await startHarness();
  const db = h.server.db;
  const d1 = db.$client.prepare("SELECT id FROM providers WHERE key = 'D1'").pluck().get() as number;
  logins.admin = h.admin!;
  logins.physician = (await addUser(db, 'physician', d1))!;
  logins.practice_manager = (await addUser(db, 'practice_manager'))!;
  logins.researcher = (await addUser(db, 'researcher'))!;
});
afterAll(async () => {
  await h?.close();
});

/** Signs in through the form, as a person would; returns on the page it lands on. */
async function signInAs(role: Role): Promise<WatchedPage> {
  // One browser profile for the whole file: start each sign-in signed out.
  await h.context.clearCookies();
  const w = await h.newPage();
  const { page } = w;
  await page.goto(`${h.server.url}/data`);
  // Signed out: sent to the sign-in page, with the way back.
  await page.waitForURL('**/login?next=%2Fdata');
  await page.getByLabel('Username').fill(logins[role].username);
  await page.getByLabel('Password').fill(logins[role].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/data');
  await page.getByRole('heading', { level: 1, name: 'Data' }).waitFor();
  return w;
}

async function navLinks(w: WatchedPage): Promise<string[]> {
  return (await w.page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents()).map((s) => s.trim());
}

async function tile(w: WatchedPage, label: string): Promise<string> {
  const figure = w.page.getByRole('group', { name: label, exact: true }).locator('data.tile__value');
  await figure.waitFor();
  return (await figure.textContent())!.trim();
}

/** What the server answers this page's session for a procedure (HTTP status). */
async function apiStatus(w: WatchedPage, path: string, method: 'GET' | 'POST' = 'GET', body: unknown = null): Promise<number> {
  return w.page.evaluate(
    async ([path, method, body]) => {
      const res =
        method === 'GET'
          ? await fetch(`/trpc/${path}`)
          : await fetch(`/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return res.status;
    },
    [path, method, body] as const,
  );
}

/**
 * The page's problems, less the refusals a test asked for on purpose: HTTP
 * `status` answers to URLs matching `expected`, and as many of Chromium's
 * "Failed to load resource" console lines for that status (they carry no URL).
 */
function unexpectedProblems(w: WatchedPage, status: number, expected: RegExp): string[] {
  const asked = w.problems.filter((p) => p.startsWith(`HTTP ${status}: `) && expected.test(p)).length;
  let consoleLines = 0;
  return w.problems.filter((p) => {
    if (p.startsWith(`HTTP ${status}: `) && expected.test(p)) return false;
    if (p.startsWith(`console.error: Failed to load resource: the server responded with a status of ${status}`) && consoleLines < asked) {
      consoleLines++;
      return false;
    }
    return true;
  });
}

const ALL_SECTIONS = ['Outcomes', 'Compare', 'Operations', 'Cohorts', 'Data'];

const EXPECT: Record<Role, { nav: string[]; counts: { Patients: string; 'Episodes of care': string; Treatments: string }; upload: boolean; admin: boolean }> = {
  physician: { nav: ALL_SECTIONS, counts: { Patients: '7', 'Episodes of care': '9', Treatments: '15' }, upload: false, admin: false },
  practice_manager: {
    nav: ['Outcomes', 'Compare', 'Operations', 'Data'],
    counts: { Patients: '<11', 'Episodes of care': '<11', Treatments: '15' },
    upload: true,
    admin: false,
  },
  researcher: { nav: ALL_SECTIONS, counts: { Patients: '<11', 'Episodes of care': '<11', Treatments: '15' }, upload: false, admin: false },
  admin: { nav: [...ALL_SECTIONS, 'Users', 'Audit log'], counts: { Patients: '7', 'Episodes of care': '9', Treatments: '15' }, upload: true, admin: true },
};

describe('each role sees what it may see, and nothing else', () => {
  it.each(['physician', 'practice_manager', 'researcher', 'admin'] as const)('%s', async (role) => {
    const w = await signInAs(role);
    const { page } = w;
    const expected = EXPECT[role];

    // The session cookie: signed, HttpOnly, Secure (kept by Chromium on http://127.0.0.1), SameSite=Strict, host-only.
    const cookie = (await h.context.cookies(h.server.url)).find((c) => c.name === '__Host-sid');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/', domain: '127.0.0.1' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('__Host-sid');

    // Who am I: the user menu names the role.
    const roleLabel = { physician: 'Physician', practice_manager: 'Practice manager', researcher: 'Researcher', admin: 'Administrator' }[role];
    await expect(page.getByRole('button', { name: new RegExp(`^Account: .*, ${roleLabel}$`) }).count()).resolves.toBe(1);

    // Navigation: only the sections of the role.
    expect(await navLinks(w)).toEqual(expected.nav);

    // Record counts, small ones withheld for practice managers and researchers.
    for (const [label, value] of Object.entries(expected.counts)) expect(await tile(w, label), `${role} ${label}`).toBe(value);
    expect(await page.getByText('shown as "<11" for your role').count()).toBe(expected.counts.Patients === '<11' ? 1 : 0);

    // The import upload, and the server's answer to an import.
    expect(await page.getByRole('heading', { name: 'Import files' }).count()).toBe(expected.upload ? 1 : 0);
    expect(await apiStatus(w, 'imports.list')).toBe(expected.upload ? 200 : 403);

    // Admin pages: in the navigation for admins only; refused on the page and by the server for others.
    await page.goto(`${h.server.url}/admin/users`);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    if (expected.admin) {
      await page.getByRole('table').getByRole('rowheader', { name: /e2e-researcher/ }).waitFor();
    } else {
      await page.getByText('Not available for your role').waitFor();
    }
    expect(await apiStatus(w, 'users.list')).toBe(expected.admin ? 200 : 403);
    expect(await apiStatus(w, 'audit.search?input=%7B%7D')).toBe(expected.admin ? 200 : 403);
    expect(await apiStatus(w, 'users.create', 'POST', { username: `api-check-${role.replace('_', '-')}`, password: 'a-long-enough-passphrase', role: 'admin' })).toBe(
      expected.admin ? 200 : 403,
    );

    // A section the role does not use is refused even by its address.
    if (role === 'practice_manager') {
      await page.goto(`${h.server.url}/cohorts`);
      await page.getByText('Not available for your role').waitFor();
    }

    await screenshot(page, `roles-${role}`);
    // No console errors (a CSP violation would be one), no failed requests beyond the refusals asked for above.
    expect(unexpectedProblems(w, 403, /\/trpc\/(imports\.list|users\.list|audit\.search|users\.create)/)).toEqual([]);
    await page.close();
  });
});

describe('sign-in, sign-out and the admin pages', () => {
  it('a wrong password and an unknown user get the same answer on the sign-in page', async () => {
    await h.context.clearCookies();
    const w = await h.newPage();
    const { page } = w;
    const attempt = async (username: string) => {
      await page.goto(`${h.server.url}/login`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill('not-the-password-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      return (await alert.textContent())!.trim();
    };
    const known = await attempt(logins.physician.username);
    const unknown = await attempt('nobody-by-this-name');
    expect(known).toBe('Invalid username or password.');
    expect(unknown).toBe(known);
    expect(page.url()).toContain('/login');
    await page.close();
  });

  it('signing out ends the session on the server: the page returns to sign-in and the old cookie is worthless', async () => {
    const w = await signInAs('physician');
    const { page } = w;
    const before = (await h.context.cookies(h.server.url)).find((c) => c.name === '__Host-sid')!.value;
    await page.getByRole('button', { name: /^Account:/ }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.goto(`${h.server.url}/outcomes`);
    await page.waitForURL('**/login?next=%2Foutcomes');
    // Replaying the old cookie from outside the browser: nobody.
    const res = await fetch(`${h.server.url}/trpc/auth.me`, { headers: { cookie: `__Host-sid=${before}` } });
    expect(await res.json()).toEqual({ result: { data: null } });
    await page.close();
  });

  it('a practice manager uploads files and reads the import report; the admin finds it in the audit log', async () => {
    const w = await signInAs('practice_manager');
    const { page } = w;
    await page.getByLabel(/CSV files/).setInputFiles([
      { name: 'sites.csv', mimeType: 'text/csv', buffer: Buffer.from('site_id,name\nWEST,West clinic\nBAD,\n') },
    ]);
    await page.getByRole('button', { name: 'Import 1 file' }).click();
    const report = page.getByRole('region', { name: /Import \d+ report/ });
    await report.waitFor();
    expect(await report.getByText('Completed with errors').count()).toBe(1);
    expect(await report.getByRole('rowheader', { name: 'sites.csv' }).count()).toBe(1);
    await screenshot(page, 'roles-import-report');
    expect(w.problems).toEqual([]);
    await page.close();

    const a = await signInAs('admin');
    await a.page.goto(`${h.server.url}/admin/audit`);
    await a.page.getByText(/^Intact: [\d,]+ entries/).waitFor();
    await a.page.getByLabel('User', { exact: true }).fill(logins.practice_manager.username);
    await a.page.getByRole('button', { name: 'Search' }).click();
    const importRow = a.page.getByRole('row').filter({ hasText: 'Import' }).filter({ hasText: 'import:' });
    await importRow.first().waitFor();
    expect(await a.page.getByRole('row').filter({ hasText: 'Sign-in' }).count()).toBeGreaterThan(0);
    // Failed sign-ins of the physician (previous test) are there, with the outcome.
    await a.page.getByLabel('User', { exact: true }).fill(logins.physician.username);
    await a.page.getByRole('button', { name: 'Search' }).click();
    await a.page.getByRole('row').filter({ hasText: 'failure' }).first().waitFor();
    await screenshot(a.page, 'roles-audit');
    expect(a.problems).toEqual([]);
    await a.page.close();
  });

  it('an admin creates a user and changes a role on the Users page', async () => {
    const w = await signInAs('admin');
    const { page } = w;
    await page.goto(`${h.server.url}/admin/users`);
    const form = page.getByRole('form', { name: 'Add a user' });
    await form.getByLabel('Username').fill('new.researcher');
    await form.getByLabel('Role').selectOption('researcher');
    await form.getByLabel('Password').fill('password');
    await form.getByRole('button', { name: 'Create user' }).click();
    // The server's rules, said plainly.
    await form.getByText('This password is on a list of commonly used passwords.').waitFor();
    await form.getByLabel('Password').fill('a-much-better-passphrase');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.getByText('Created researcher new.researcher.').waitFor();

    await page.getByRole('button', { name: 'Edit new.researcher' }).click();
    const editor = page.getByRole('form', { name: 'Change new.researcher' });
    await editor.getByLabel('Role').selectOption('physician');
    await editor.getByLabel('Provider (their patients)').selectOption({ label: 'Dr Avery (D1)' });
    await editor.getByRole('button', { name: 'Save changes' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /new\.researcher/ }) });
    await row.getByText('Dr Avery').waitFor();
    expect(await row.getByRole('cell', { name: 'Physician' }).count()).toBe(1);
    await screenshot(page, 'roles-users');
    // The first attempt was refused (400): that is the page working.
    expect(unexpectedProblems(w, 400, /\/trpc\/users\.create/)).toEqual([]);
    await page.close();
  });
});
