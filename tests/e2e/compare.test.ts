/**
 * The Compare page in the real browser, on a generated demo practice (with
 * its planted confounding): the summary gives the crude and the adjusted
 * difference the analytic tasks compute, the filters live in the URL shared
 * with the Outcomes page, charts and tables are drawn and exportable, and a
 * researcher sees the suppressed view.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessAnalytics } from '../../server/services/analytics/runtime.ts';
import { generateDemoPractice } from '../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { addUser, openSignedIn, screenshot, startHarness, startServer, type Harness, type Login, type Server, type WatchedPage } from './harness.ts';

let h: Harness;
let server: Server;
let physician: Login;
let researcher: Login;

beforeAll(async () => {
  h = await startHarness();
  server = await startServer(join(h.dir, 'demo.db'), async (db) => {
    generateDemoPractice(db, { patients: 2500, seed: 78 });
    refreshOutcomes(db);
    physician = await addUser(db, 'physician', 1);
    researcher = await addUser(db, 'researcher');
  });
}, 180_000);
afterAll(async () => {
  await server?.close();
  await h?.close();
});

const open = (path: string, login: Login): Promise<WatchedPage> => openSignedIn(h, server, path, login);

const fmt = (x: number, d: number) => `${x > 0 ? '+' : ''}${x.toFixed(d)}`.replace('-', '\u2212');

describe('the Compare page', () => {
  it('summarises the crude and the adjusted difference, with the balance, subgroups and durability below', async () => {
    const input = { measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters: { carePath: null } } as const;
    const a = inProcessAnalytics(server.db);
    const crude = await a.runTask('compare.crude', input as never);
    const full = await a.runTask('compare.full', input as never);
    const w = await open('/compare', physician);
    const { page } = w;
    const summary = page.getByRole('region', { name: 'Summary' });
    await summary.getByText('Adjusted for age, sex').waitFor({ timeout: 30_000 });
    const text = (await summary.textContent())!;
    const total = crude.interventional.withBaseline + crude.conservative.withBaseline;
    expect(text).toContain(`Among ${total.toLocaleString('en-US')} episodes of all conditions`);
    expect(text).toContain(`crude difference ${fmt(crude.difference.diff!, 1)} points`);
    expect(text).toContain(`the difference is ${fmt(full.adjusted.doublyRobust!.estimate, 1)} points`);
    // The headline row of the estimates table is the doubly robust estimate, to two decimals.
    const headline = page.locator('tr.is-headline');
    await expect.poll(async () => (await headline.textContent()) ?? '').toContain(fmt(full.adjusted.doublyRobust!.estimate, 2));
    // Charts drawn: love plot, forest plot, Kaplan-Meier with numbers at risk.
    await page.getByRole('img', { name: 'Love plot: |SMD| before and after weighting' }).waitFor();
    await page.getByRole('img', { name: 'Effect by condition' }).waitFor();
    await page.getByRole('img', { name: 'How long the response lasts, by care path' }).waitFor();
    await expect.poll(() => page.getByText('Number at risk').count()).toBeGreaterThan(0);
    await screenshot(page, 'compare-default');
    expect(w.problems).toEqual([]);
  }, 120_000);

  it('keeps its filters in the URL, shared with the Outcomes page', async () => {
    const w = await open('/compare?condition=radiculopathy&window=m6', physician);
    const { page } = w;
    await page.getByRole('region', { name: 'Summary' }).getByText('episodes of radiculopathy').waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await page.getByRole('region', { name: 'Summary' }).textContent()) ?? '').toContain('at 6 months');
    await page.getByRole('button', { name: 'Sex' }).click();
    await page.waitForURL('**/compare?**subgroup=sex**');
    await page.getByRole('img', { name: 'Effect by sex' }).waitFor();
    // The same selection carries to the Outcomes page (same keys).
    await page.goto(`${server.url}/outcomes${new URL(page.url()).search}`);
    await page.getByLabel('Follow-up window', { exact: true }).waitFor();
    expect(await page.getByLabel('Follow-up window', { exact: true }).inputValue()).toBe('m6');
    expect(w.problems).toEqual([]);
  }, 120_000);

  it('offers the matched comparison on request', async () => {
    const w = await open('/compare', physician);
    const { page } = w;
    await page.getByRole('button', { name: 'Add the matched comparison (second method)' }).click();
    await page.waitForURL('**matching=on**');
    await page.getByRole('img', { name: 'Love plot: |SMD| before and after matching' }).waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await page.locator('table.compare-estimates').textContent()) ?? '').toContain('1:1 matching, caliper 0.2 SD');
    await screenshot(page, 'compare-matched');
    expect(w.problems).toEqual([]);
  }, 120_000);

  it('shows researchers the suppressed view', async () => {
    const w = await open('/compare?condition=crps', researcher);
    const { page } = w;
    await page.getByText('Counts from 1 to 10 are shown as “<11”').waitFor({ timeout: 30_000 });
    await page.getByRole('region', { name: 'Summary' }).waitFor();
    await screenshot(page, 'compare-researcher');
    expect(w.problems).toEqual([]);
  }, 120_000);
});
