/**
 * The Outcomes page in the real browser, on a generated demo practice: it
 * signs in, opens the page, changes filters, and reads figures the test
 * computed itself from the raw observations (tests/services/outcomes/reference.ts,
 * which shares no code with the engine). Then the patient list and a
 * timeline as an admin, and the suppressed view of a researcher.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoPractice } from '../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { baseline, figures, loadEpisodes } from '../services/outcomes/reference.ts';
import { addUser, openSignedIn, screenshot, settled, startHarness, startServer, tileFigure, type Harness, type Login, type Server, type WatchedPage } from './harness.ts';

let h: Harness;
let server: Server;
let admin: Login;
let researcher: Login;

beforeAll(async () => {
  h = await startHarness();
  server = await startServer(join(h.dir, 'demo.db'), async (db) => {
    generateDemoPractice(db, { patients: 1200, seed: 77 });
    refreshOutcomes(db);
    admin = await addUser(db, 'admin');
    researcher = await addUser(db, 'researcher');
  });
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

const open = (path: string, login: Login): Promise<WatchedPage> => openSignedIn(h, server, path, login);

const oneDecimal = (x: number) => x.toFixed(1).replace(/^-/, '\u2212');

describe('the Outcomes page', () => {
  it('shows the practice-wide figures, and the figures of a filter the user picks, as computed independently', async () => {
    const w = await open('/outcomes', admin);
    const { page } = w;
    const all = loadEpisodes(server.db);

    // Default view: pain, 3 months, >= 30 %, complete case.
    const m3 = figures(all, 'pain_nrs', 'm3', 'pct30');
    await tileFigure(w, 'Episodes');
    await settled(w);
    expect(await tileFigure(w, 'Episodes')).toEqual({ text: m3.episodes.toLocaleString('en-US'), value: String(m3.episodes) });
    const mean = await tileFigure(w, 'Mean change, 3 months');
    expect(mean.text).toBe(oneDecimal(m3.mean.mean!));
    expect(Math.abs(Number(mean.value) - m3.mean.mean!)).toBeLessThan(1e-9);
    await screenshot(page, 'outcomes-default');

    // The physician narrows to interventional care at 6 months: the URL carries it, the figures follow.
    await page.getByRole('group', { name: 'Care path' }).getByRole('radio', { name: 'Interventional', exact: true }).click();
    await page.getByLabel('Follow-up window', { exact: true }).selectOption('m6');
    await page.waitForURL('**/outcomes?**window=m6**');
    expect(new URL(page.url()).searchParams.get('carePath')).toBe('interventional');
    await settled(w);

    const interventional = all.filter((e) => e.carePath === 'interventional');
    const m6 = figures(interventional, 'pain_nrs', 'm6', 'pct30');
    // The previous figures stay (dimmed) until the new ones arrive: wait for the new value, then read it exactly.
    await expect.poll(async () => Number((await tileFigure(w, 'Mean change, 6 months')).value), { timeout: 20_000 }).toBeCloseTo(m6.mean.mean!, 9);
    await settled(w);
    expect((await tileFigure(w, 'Mean change, 6 months')).text).toBe(oneDecimal(m6.mean.mean!));
    const responders = await tileFigure(w, 'Responders, interventional');
    expect(Math.abs(Number(responders.value) - m6.respondersCc.p!)).toBeLessThan(1e-12);
    expect(responders.text).toBe(`${Math.round(m6.respondersCc.p! * 100)}%`);
    const followUp = await tileFigure(w, 'Follow-up, 6 months');
    expect(Math.abs(Number(followUp.value) - m6.followUp.p!)).toBeLessThan(1e-12);
    // Only the interventional path is left.
    expect(await page.getByRole('group', { name: 'Responders, conservative', exact: true }).count()).toBe(0);

    // Intention to treat: the same responders over every episode with a baseline.
    await page.getByRole('group', { name: 'Denominator' }).getByRole('radio', { name: 'Intention to treat' }).click();
    await expect.poll(async () => Number((await tileFigure(w, 'Responders, interventional')).value), { timeout: 20_000 }).toBeCloseTo(m6.respondersItt.p!, 12);
    expect(interventional.filter((e) => baseline(e, 'pain_nrs') !== null).length).toBe(m6.withBaseline);

    await screenshot(page, 'outcomes-interventional-6m');
    expect(w.problems).toEqual([]);
    await page.close();
  });

  it('lists the patients of a category and opens one timeline (admin)', async () => {
    const w = await open('/outcomes', admin);
    const { page } = w;
    await settled(w);
    const row = page.locator('.outcome-table tbody tr').filter({ hasText: 'Radiofrequency ablation' });
    await row.getByRole('button', { name: 'Patients' }).click();
    const card = page.getByRole('region', { name: 'Patients: Radiofrequency ablation' });
    const rows = card.locator('.patient-table tbody tr');
    await rows.first().waitFor();
    // Keyset pages of 50, newest first: "Show 50 more" appends the next page, until every episode is listed.
    const total = server.db.$client.prepare(`SELECT count(*) FROM outcome_episodes WHERE category = 'radiofrequency_ablation'`).pluck().get() as number;
    expect(total).toBeGreaterThan(50);
    expect(await rows.count()).toBe(50);
    const more = card.getByRole('button', { name: 'Show 50 more' });
    for (let shown = 50; shown < total; shown = Math.min(total, shown + 50)) {
      await more.click();
      await expect.poll(() => rows.count()).toBe(Math.min(total, shown + 50));
    }
    expect(await more.count()).toBe(0);
    await expect.poll(() => card.getByText(`${total.toLocaleString('en-US')} episodes shown`).count()).toBe(1);
    const dates = await card.locator('.patient-table tbody tr td:first-child').allTextContents();
    expect(dates.length).toBe(total);
    await rows.first().getByRole('button', { name: 'Timeline' }).click();
    await page.getByRole('heading', { name: /^Timeline:/ }).waitFor();
    await page.locator('.timeline .recharts-surface').first().waitFor();
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'outcomes-patients-timeline');
    expect(new URL(page.url()).searchParams.get('group')).toBe('category:radiofrequency_ablation');
    expect(Number(new URL(page.url()).searchParams.get('episode'))).toBeGreaterThan(0);
    expect(w.problems).toEqual([]);
    await page.close();
  });

  it('shows a researcher suppressed figures and no patient list', async () => {
    const w = await open('/outcomes?condition=crps&window=m12', researcher);
    const { page } = w;
    await settled(w);
    await page.locator('.outcome-table').waitFor();
    expect(await page.getByRole('button', { name: 'Patients' }).count()).toBe(0);
    await expect.poll(() => page.getByText('<11').count()).toBeGreaterThan(0);
    await screenshot(page, 'outcomes-researcher');
    expect(w.problems).toEqual([]);
    await page.close();
  });
});
