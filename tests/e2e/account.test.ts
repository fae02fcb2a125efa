import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, screenshot, signIn, startHarness, type Harness, type Login } from './harness.ts';

/**
 * A user changes their own password from the account page in Chromium: a
 * mistyped confirmation is caught before sending, a wrong current password is
 * refused by the server, and a good change signs them out; the old password
 * then no longer works and the new one does.
 */
let h: Harness;
let login: Login;

beforeAll(async () => {
  h = await startHarness();
  login = await addUser(h.server.db, 'researcher');
});
afterAll(async () => {
  await h?.close();
});

describe("changing one's own password", () => {
  it('checks the form, refuses a wrong current password, then changes it and signs out', async () => {
    await h.context.clearCookies();
    const w = await h.newPage();
    const { page } = w;
    await page.goto(`${h.server.url}/login`);
    await signIn(page, login);
    await page.goto(`${h.server.url}/data`);
    await page.getByRole('button', { name: /^Account:/ }).click();
    await page.getByRole('link', { name: 'Your account and password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    expect(await page.getByText(login.username, { exact: true }).count()).toBeGreaterThan(0);

    const newPassword = 'quiet harbour lantern 42';
    await page.getByLabel('Current password').fill(login.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill(`${newPassword}x`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The two new passwords are not the same.');

    await page.getByLabel('Current password').fill('not the password at all');
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The current password is not right.');
    await screenshot(page, 'account-wrong-current');

    await page.getByLabel('Current password').fill(login.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL('**/login?changed=1');
    await page.getByText('Your password was changed. Sign in with the new one.').waitFor();

    // The old password is refused, the new one works.
    await page.getByLabel('Username').fill(login.username);
    await page.getByLabel('Password').fill(login.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(page.url()).toContain('/login');
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));

    const actions = h.server.db.$client
      .prepare("SELECT outcome FROM audit_log WHERE action = 'auth.password_change' ORDER BY id")
      .pluck()
      .all();
    expect(actions).toEqual(['failure', 'success']);
    // The refusals the test asked for on purpose (wrong current password: 400; old password: 401) are the only problems.
    const asked = (p: string) =>
      /^HTTP 40[01]: POST .*\/trpc\/auth\.(changePassword|login)/.test(p) ||
      /^console\.error: Failed to load resource: the server responded with a status of 40[01]/.test(p);
    expect(w.problems.filter((p) => !asked(p))).toEqual([]);
    expect(w.problems.filter(asked)).toHaveLength(4);
  });
});
