/**
 * A trial's data set, end to end: the CSV files of a two-arm trial
 * (tests/fixtures/trial/, scripts/reference/trial_fixture.py: 240 patients
 * randomised to a transforaminal ESI or physical therapy for lumbar
 * radiculopathy, pain and ODI at baseline and five follow-ups; no pain
 * duration, no opioid doses, one condition, no prior procedures) imported
 * through the import service, then compared. Every expected number was
 * computed from the CSV files alone by R 4.2.2 with sandwich 3.0-2
 * (scripts/reference/trial_compare.R): the baseline and 3-month scores chosen
 * by the domain rules there, not by the product.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { createContextInner } from '../../../server/context.ts';
import { appRouter } from '../../../server/routers/_app.ts';
import { runImport } from '../../../server/services/import/service.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { createCallerFactory } from '../../../server/trpc.ts';

const FILES = ['sites', 'providers', 'patients', 'episodes', 'treatments', 'observations'].map((f) => ({
  path: fileURLToPath(new URL(`../../fixtures/trial/${f}.csv`, import.meta.url)),
}));
let db: Db;
const as = () => createCallerFactory(appRouter)(createContextInner({ db, user: { id: 1, role: 'admin', providerId: null, username: 'admin' } }));
/** Agreement with R to 1e-9 (both compute in doubles; the last digits differ by summation order). */
const close = (actual: number | null | undefined, expected: number) => expect(actual!).toBeCloseTo(expected, 9);

beforeAll(async () => {
  db = createTestDb();
  const { report } = await runImport(db, FILES);
  expect(report.status).toBe('completed');
  expect(report.totals.rejected).toBe(0);
});

describe('a trial imported from CSV', () => {
  it('crude comparison at 3 months: Welch and ANCOVA as R computes them from the files', async () => {
    const c = await as().compare.crude();
    // R: sum(d$path), sum(1 - d$path) over episodes with a baseline and a 3-month score
    expect([c.interventional.complete, c.conservative.complete]).toEqual([104, 110]);
    // R: t.test(change[path == 1], change[path == 0], var.equal = FALSE)
    close(c.difference!.estimate, -0.25489510489510514);
    close(c.difference!.lower, -0.71384385623808633);
    close(c.difference!.upper, 0.20405364644787602);
    close(c.difference!.p, 0.27484895122286973);
    // R: lm(followup ~ path + baseline); path in change terms
    close(c.ancova!.estimate, -0.28124039837249443);
    close(c.ancova!.lower, -0.74212453555124647);
    close(c.ancova!.upper, 0.17964373880625761);
    close(c.ancova!.p, 0.23036017880990384);
  });

  it('adjusted comparison without pain duration: propensity model on age, baseline and sex, IPW and doubly robust as R fits them', async () => {
    const a = (await as().compare.adjusted()).adjusted;
    expect(a.status).toBe('ok');
    expect(a.covariates).toEqual(['age', 'sex', 'baseline score']);
    // R: glm(path ~ age + baseline + sex, binomial): intercept, age, baseline, sexmale
    const coef = Object.fromEntries(a.propensity!.coefficients.map((c) => [c.name, c.estimate]));
    close(coef['(Intercept)'], 1.095580676414422);
    close(coef.age, -0.0029934711804315188);
    close(coef.baseline, -0.12015038175385023);
    close(coef.sex_male, -0.28804847526265598);
    // R: quantile(sw, c(0.01, 0.99), type = 7) of the stabilised weights
    close(a.weights!.lowerCut, 0.81672451963510084);
    close(a.weights!.upperCut, 1.27921653283983616);
    // R: lm(change ~ path, weights = swt), vcovHC(type = "HC1"), t on n - 2 df
    close(a.ipw!.diff, -0.30849534141597601);
    close(a.ipw!.se, 0.23885524630636498);
    close(a.ipw!.lower, -0.77933086647136596);
    close(a.ipw!.upper, 0.16234018363941394);
    // R: lm(change ~ path + age + baseline + sex, weights = swt), vcovHC(type = "HC1")
    close(a.doublyRobust!.estimate, -0.30832186627987873);
    close(a.doublyRobust!.se, 0.23686894209235462);
    close(a.doublyRobust!.lower, -0.77528043379924094);
    close(a.doublyRobust!.upper, 0.15863670123948348);
  });

  it('complication rates only of episodes with a status recorded: the physical therapy arm recorded none, so it has no rate', async () => {
    const c = await as().compare.crude();
    // The files: every ESI has a status (none or minor); no physical therapy session has one.
    const escalated = db.$client.prepare("SELECT count(DISTINCT episode_id) FROM treatments WHERE complication = 'minor'").pluck().get() as number;
    expect(c.complications.any).toMatchObject({ x1: escalated, n1: 120, x0: 0, n0: 0 });
    expect(c.complications.any.p0).toBeNull();
    expect(c.complications.any.riskDifference.estimate).toBeNull();
    // A status recorded later for one physical therapy session: its episode enters the denominator.
    db.$client.exec("UPDATE treatments SET complication = 'none' WHERE key = 'TR1p0'");
    refreshOutcomes(db);
    const after = await as().compare.crude();
    expect(after.complications.any).toMatchObject({ x1: escalated, n1: 120, x0: 0, n0: 1 });
    db.$client.exec("UPDATE treatments SET complication = NULL WHERE key = 'TR1p0'");
    refreshOutcomes(db);
  });

  it('the Outcomes page says opioid doses are not recorded rather than showing no one on opioids', async () => {
    const o = await as().outcomes.opioids();
    expect(o.recorded).toBe(false);
  });
});
