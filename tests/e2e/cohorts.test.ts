/**
 * The Cohorts page in the real browser, on a generated demo practice: a
 * researcher builds a cohort criterion by criterion (the funnel's counts are
 * checked against a recomputation from the records), saves it, reloads the
 * page and opens it again from the saved list, and downloads an export whose
 * zip the test unpacks and reads.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoPractice } from '../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { oracleFunnel } from '../services/cohorts/oracle.ts';
import { addUser, openSignedIn, screenshot, settled, startHarness, startServer, type Harness, type Login, type Server, type WatchedPage } from './harness.ts';

let h: Harness;
let server: Server;
let researcher: Login;

beforeAll(async () => {
  h = await startHarness();
  server = await startServer(join(h.dir, 'cohorts.db'), async (db) => {
    generateDemoPractice(db, { patients: 1500, seed: 21 });
    refreshOutcomes(db);
    researcher = await addUser(db, 'researcher');
  });
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

const open = (path: string, login: Login): Promise<WatchedPage> => openSignedIn(h, server, path, login);

const num = (s: string | null) => Number((s ?? '').replace(/[^0-9]/g, ''));

describe('the Cohorts page', () => {
  it('builds a cohort, saves it, reloads it and downloads an export that the test reads', async () => {
    const w = await open('/cohorts', researcher);
    const { page } = w;
    const criteria = [
      { type: 'condition', exclude: false, codes: ['M54.1*', 'M51.1*'] },
      { type: 'painDuration', exclude: false, is: 'chronic' },
    ] as const;
    const expected = oracleFunnel(server.db, criteria as never);

    await expect.poll(async () => num(await page.getByTestId('funnel-start').locator('strong').textContent()), { timeout: 20_000 }).toBe(expected.steps[0]!.episodes);

    // Condition: the default is M54.1*; make it "M54.1*, M51.1*".
    await page.getByLabel('Add a criterion').selectOption('condition');
    const codes = page.getByLabel('ICD-10-CM codes; end with * for a prefix');
    await codes.fill('M54.1*, M51.1*');
    await page.getByLabel('Add a criterion').selectOption('painDuration');
    await settled(w);
    const counts = page.getByTestId('funnel-count');
    await expect.poll(async () => num(await counts.nth(1).locator('strong').textContent()), { timeout: 20_000 }).toBe(expected.steps[2]!.episodes);
    expect(num(await counts.nth(0).locator('strong').textContent())).toBe(expected.steps[1]!.episodes);
    await expect.poll(() => page.getByTestId('table-one').count()).toBe(1);
    await screenshot(page, 'cohorts-built');

    // Save it: the URL then names the saved cohort.
    await page.getByLabel('Name').fill('Radicular pain, chronic');
    await page.getByLabel('Description').fill('E2E cohort');
    await page.getByRole('button', { name: 'Save as a new cohort' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('cohort'), { timeout: 10_000 }).not.toBeNull();
    // The confirmation renders after the address changes: wait for it rather than read it once.
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved “Radicular pain, chronic”, revision 1' }).count(), { timeout: 10_000 }).toBe(1);

    // Reload: the criteria come back from the URL, and the saved list has it; open it from there in a new page.
    await page.reload();
    await expect.poll(async () => num(await page.getByTestId('funnel-count').nth(1).locator('strong').textContent()), { timeout: 20_000 }).toBe(expected.steps[2]!.episodes);
    const w2 = await open('/cohorts', researcher);
    await w2.page.getByRole('button', { name: /Radicular pain, chronic/ }).click();
    await expect.poll(() => w2.page.getByTestId('criterion').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(async () => (await w2.page.getByTestId('rerun').textContent()) ?? '', { timeout: 10_000 }).toContain('same data');
    await expect.poll(async () => num(await w2.page.getByTestId('funnel-final').locator('strong').first().textContent()), { timeout: 20_000 }).toBe(expected.steps[2]!.episodes);

    // Export, wide CSV: the download's zip holds the episodes the funnel counted.
    const downloadPromise = w2.page.waitForEvent('download', { timeout: 30_000 });
    await w2.page.getByRole('button', { name: 'Download export' }).click();
    const download = await downloadPromise;
    await expect.poll(async () => (await w2.page.getByTestId('export-progress').textContent()) ?? '', { timeout: 20_000 }).toContain('Downloaded');
    const zip = join(h.dir, 'download.zip');
    await download.saveAs(zip);
    expect(download.suggestedFilename()).toMatch(/^radicular-pain-chronic-wide-csv\.zip$/);
    execFileSync('unzip', ['-q', zip, '-d', join(h.dir, 'unzipped')]);
    const files = readdirSync(join(h.dir, 'unzipped')).sort();
    expect(files).toEqual(['README.txt', 'cohort_definition.json', 'data_dictionary.csv', 'episodes.csv', 'treatments.csv']);
    const lines = readFileSync(join(h.dir, 'unzipped', 'episodes.csv'), 'utf8').trim().split('\r\n');
    expect(lines.length - 1).toBe(expected.ids.length);
    expect(lines[0]!.split(',').slice(0, 3)).toEqual(['patient_study_id', 'episode_study_id', 'index_year']);
    const definition = JSON.parse(readFileSync(join(h.dir, 'unzipped', 'cohort_definition.json'), 'utf8'));
    expect(definition.cohort.name).toBe('Radicular pain, chronic');
    expect(definition.definition.criteria).toHaveLength(2);
    await screenshot(w2.page, 'cohorts-exported');

    expect(w.problems).toEqual([]);
    expect(w2.problems).toEqual([]);
  });
});
