/**
 * The Operations page in the real browser, on a generated demo practice: an
 * admin reads procedure volume and the ESI flag count the test computed itself
 * in SQL, changes the period and the split (kept in the URL), opens the
 * flagged-episode list and downloads the comparison table (a hostile provider
 * name arrives neutralised); a practice manager sees no patient list and the
 * follow-up figures suppressed where the counts are small.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERVENTIONAL_CATEGORIES } from '../../db/schema/vocabulary.ts';
import { generateDemoPractice } from '../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { addUser, openSignedIn, screenshot, settled, startHarness, startServer, tileFigure, type Harness, type Login, type Server, type WatchedPage } from './harness.ts';

let h: Harness;
let server: Server;
let admin: Login;
let manager: Login;
const HOSTILE = '=HYPERLINK("http://evil.example","x")';

beforeAll(async () => {
  h = await startHarness();
  server = await startServer(join(h.dir, 'ops.db'), async (db) => {
    generateDemoPractice(db, { patients: 1200, seed: 91 });
    db.$client.prepare('UPDATE providers SET name = ? WHERE id = (SELECT min(id) FROM providers)').run(HOSTILE);
    refreshOutcomes(db);
    admin = await addUser(db, 'admin');
    manager = await addUser(db, 'practice_manager');
  });
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

const open = (path: string, login: Login): Promise<WatchedPage> => openSignedIn(h, server, path, login);

const INTERVENTIONAL = INTERVENTIONAL_CATEGORIES.map((c) => `'${c}'`).join(', ');
/** Sessions (patient, day, type, region) and flagged ESI sessions, in plain SQL. */
function expected() {
  const sessions = `SELECT DISTINCT e.patient_id AS p, t.date AS d, t.category AS c, e.region AS r FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE t.category IN (${INTERVENTIONAL})`;
  const total = server.db.$client.prepare(`SELECT count(*) FROM (${sessions})`).pluck().get() as number;
  const flagged = server.db.$client
    .prepare(
      `WITH s AS (${sessions}) SELECT count(*) FROM s a WHERE a.c = 'epidural_steroid_injection' AND
         (SELECT count(*) FROM s b WHERE b.p = a.p AND b.c = a.c AND b.r IS a.r AND b.d <= a.d AND b.d >= date(a.d, '-364 days')) > 4`,
    )
    .pluck()
    .get() as number;
  return { total, flagged };
}

describe('the Operations page', () => {
  it('shows an admin the volume and flags computed independently, keeps the view in the URL, lists flagged episodes and exports a safe CSV', async () => {
    const w = await open('/operations', admin);
    const { page } = w;
    const want = expected();
    await settled(w);
    expect(Number((await tileFigure(w, 'Sessions, all periods')).value)).toBe(want.total);
    expect(Number((await tileFigure(w, 'Flagged ESI sessions')).value)).toBe(want.flagged);
    expect(want.flagged).toBeGreaterThan(0);
    await page.locator('.calendar-heatmap rect[data-date]').first().waitFor();
    expect(await page.locator('.calendar-heatmap rect[data-date]').count()).toBeGreaterThanOrEqual(365);
    await screenshot(page, 'operations-admin');

    // Quarterly volume by provider: the URL carries it, the legend names providers.
    await page.getByRole('group', { name: 'Volume view' }).getByLabel('Period').selectOption('quarter');
    await page.waitForURL('**/operations?**period=quarter**');
    // The router renders a navigation in a transition: wait until the page shows it before the next change.
    await expect.poll(() => page.getByRole('region', { name: 'Procedure volume' }).locator('.card__subtitle').textContent(), { timeout: 20_000 }).toContain('per quarter');
    await page.getByRole('group', { name: 'Volume view' }).getByLabel('Split by').selectOption('provider');
    await page.waitForURL('**/operations?**by=provider**');
    expect(new URL(page.url()).searchParams.get('period')).toBe('quarter');
    await settled(w);
    await expect.poll(() => page.locator('.recharts-legend-item-text').filter({ hasText: 'MD' }).count(), { timeout: 20_000 }).toBeGreaterThan(0);

    // The flagged-episode list (patient-level, admin).
    const list = page.getByRole('region', { name: 'Flagged episodes' });
    await list.locator('tbody tr').first().waitFor();
    expect(await list.locator('tbody tr').count()).toBe(Math.min(50, await list.locator('tbody tr').count()));
    // Its CSV is the whole list, written by the server and audited as an identified export.
    const identifiedExports = server.db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'export.identified'").pluck();
    const exportsBefore = identifiedExports.get() as number;
    const [flaggedFile] = await Promise.all([page.waitForEvent('download'), list.getByRole('button', { name: /^CSV \(all/ }).click()]);
    const flaggedLines = readFileSync((await flaggedFile.path())!, 'utf8').replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(flaggedLines[0]).toMatch(/^Episode id,Patient id,Index date,/);
    expect(flaggedLines.length - 1).toBe(Number((await list.locator('.ops-note').first().textContent())!.match(/of ([\d,]+) shown/)![1]!.replace(/,/g, '')));
    expect(identifiedExports.get()).toBe(exportsBefore + 1);

    // The comparison table sorts and downloads as CSV; the hostile name is neutralised.
    const table = page.getByRole('region', { name: 'Provider comparison' });
    await table.getByRole('button', { name: /Responders/ }).click();
    expect(await table.locator('th[aria-sort="descending"]').count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), table.getByRole('button', { name: 'CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.replace(/^\uFEFF/, "").split("\r\n")[0]).toMatch(/^Group,Procedure sessions,/);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv).not.toMatch(/(^|\r\n|,)"?=HYPERLINK/);
    await screenshot(page, 'operations-admin-quarterly');
    expect(w.problems).toEqual([]);
    await page.close();
  });

  it('shows a practice manager no patient list, volume in full and follow-up counts suppressed', async () => {
    const w = await open('/operations?compare=site&window=m12', manager);
    const { page } = w;
    await settled(w);
    await page.getByRole('region', { name: 'Site comparison' }).locator('tbody tr').first().waitFor();
    expect(await page.getByRole('region', { name: 'Flagged episodes' }).count()).toBe(0);
    expect(Number((await tileFigure(w, 'Sessions, all periods')).value)).toBe(expected().total);
    expect(await page.locator('.scope-line').textContent()).toContain('Follow-up and responder counts from 1 to 10 are shown as “<11”');
    // The latest quarter's 12-month windows have not closed: its small counts are withheld, never shown.
    const followUpTable = page.getByRole('region', { name: /Follow-up survey completion/ });
    await followUpTable.locator('tbody tr').first().waitFor();
    await screenshot(page, 'operations-manager');
    expect(w.problems).toEqual([]);
    await page.close();
  });
});
