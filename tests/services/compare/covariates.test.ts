/**
 * Which covariates the adjusted comparison holds when the data do not carry
 * them all (decision 009, "Populations"): pain duration is optional in the
 * import format, and a trial's data set usually has none, the same condition
 * for everyone and no prior procedures. The models then leave those
 * covariates out, say so, and keep every complete case, instead of refusing
 * the adjusted comparison.
 */
import { describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { createContextInner } from '../../../server/context.ts';
import { appRouter } from '../../../server/routers/_app.ts';
import { generateDemoPractice } from '../../../server/services/demo/index.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { createCallerFactory } from '../../../server/trpc.ts';

function practice(durations: (db: Db) => void): Db {
  const db = createTestDb();
  generateDemoPractice(db, { patients: 1500, seed: 909 });
  durations(db);
  refreshOutcomes(db);
  return db;
}
const adjusted = async (db: Db, role: 'admin' | 'researcher' = 'admin') =>
  (await createCallerFactory(appRouter)(createContextInner({ db, user: { id: 9, role, providerId: null, username: role } })).compare.adjusted()).adjusted;
const crude = async (db: Db) =>
  createCallerFactory(appRouter)(createContextInner({ db, user: { id: 9, role: 'admin', providerId: null, username: 'admin' } })).compare.crude();

describe('pain duration not recorded', () => {
  it('for no episode: the models leave it out and equal those of a practice where it is the same for everyone', async () => {
    const unknown = await adjusted(practice((db) => db.$client.exec('UPDATE episodes SET pain_duration_months = NULL')));
    const constant = await adjusted(practice((db) => db.$client.exec('UPDATE episodes SET pain_duration_months = 6')));
    expect(unknown.status).toBe('ok');
    expect(unknown.covariates).toEqual(['age', 'sex', 'baseline score', 'condition group', 'prior procedures']);
    expect(unknown.omittedCovariates).toEqual([{ label: 'pain duration', reason: 'not_recorded' }]);
    expect(constant.omittedCovariates).toEqual([{ label: 'pain duration', reason: 'no_variation' }]);
    expect(unknown.warnings.join(' ')).toContain('Pain duration is recorded for fewer than half of the episodes with a follow-up');
    expect(constant.warnings.join(' ')).not.toContain('Pain duration');
    // The same population and the same fits: a covariate never recorded is one that does not vary.
    expect([unknown.n1, unknown.n0, unknown.excludedMissingCovariates]).toEqual([constant.n1, constant.n0, 0]);
    expect(unknown.doublyRobust).toEqual(constant.doublyRobust);
    expect(unknown.ipw).toEqual(constant.ipw);
    expect(unknown.propensity!.coefficients).toEqual(constant.propensity!.coefficients);
    expect(unknown.propensity!.coefficients.map((c) => c.label)).not.toContain('Pain duration (months)');
  });

  it('for fewer than half of the complete cases: left out of the models, every complete case kept; for more than half: those without it are left out', async () => {
    const mostlyUnknown = practice((db) => db.$client.exec('UPDATE episodes SET pain_duration_months = NULL WHERE id % 5 <> 0'));
    const mostlyKnown = practice((db) => db.$client.exec('UPDATE episodes SET pain_duration_months = NULL WHERE id % 5 = 0'));
    const c = await crude(mostlyUnknown);
    const complete = (c.interventional.complete as number) + (c.conservative.complete as number);
    const a = await adjusted(mostlyUnknown);
    expect(a.status).toBe('ok');
    expect(a.omittedCovariates.map((x) => x.label)).toEqual(['pain duration']);
    expect(a.completeCases).toBe(complete);
    expect(a.durationRecorded as number).toBeLessThan(complete / 2);
    expect(a.excludedMissingCovariates).toBe(0);
    expect((a.n1 as number) + (a.n0 as number)).toBeGreaterThan(0.99 * complete);

    const b = await adjusted(mostlyKnown);
    expect(b.covariates).toContain('pain duration');
    expect(b.omittedCovariates).toEqual([]);
    expect(b.excludedMissingCovariates as number).toBe((b.completeCases as number) - (b.durationRecorded as number));
    expect(b.excludedMissingCovariates as number).toBeGreaterThan(0);
    expect(b.warnings.join(' ')).toContain('without a recorded pain duration are left out');
  });
});

describe('a trial-shaped data set', () => {
  it('one condition, no pain duration, no prior procedures: adjusted for age, sex and baseline score', async () => {
    const db = practice((d) => {
      d.$client.exec("UPDATE episodes SET pain_duration_months = NULL, condition_code = 'M54.16', condition_group = 'radiculopathy'");
      d.$client.exec("DELETE FROM treatments WHERE episode_id IN (SELECT id FROM episodes WHERE care_path = 'interventional') AND id NOT IN (SELECT min(id) FROM treatments GROUP BY episode_id)");
    });
    // Keep one episode per patient, so that no episode has a prior procedure.
    db.$client.exec('DELETE FROM observations WHERE episode_id IN (SELECT id FROM episodes WHERE id NOT IN (SELECT min(id) FROM episodes GROUP BY patient_id))');
    db.$client.exec('DELETE FROM treatments WHERE episode_id IN (SELECT id FROM episodes WHERE id NOT IN (SELECT min(id) FROM episodes GROUP BY patient_id))');
    db.$client.exec('DELETE FROM episodes WHERE id NOT IN (SELECT min(id) FROM episodes GROUP BY patient_id)');
    refreshOutcomes(db);
    const a = await adjusted(db);
    expect(a.reason).toBeNull();
    expect(a.status).toBe('ok');
    expect(a.covariates).toEqual(['age', 'sex', 'baseline score']);
    expect(a.omittedCovariates).toEqual([
      { label: 'condition group', reason: 'no_variation' },
      { label: 'pain duration', reason: 'not_recorded' },
      { label: 'prior procedures', reason: 'no_variation' },
    ]);
    expect(a.doublyRobust!.lower).toBeLessThan(a.doublyRobust!.upper);
    const labels = a.balance.map((b) => b.label);
    expect(labels.slice(0, 2)).toEqual(['Age (years)', 'Baseline score']);
    expect(labels.slice(2).every((l) => l.startsWith('Sex: '))).toBe(true);
    expect(a.balance.every((b) => Number.isFinite(b.smd) && Number.isFinite(b.weightedSmd))).toBe(true);
    // The second method on the same population: its balance table holds the same covariates, all finite.
    const m = (await createCallerFactory(appRouter)(createContextInner({ db, user: { id: 9, role: 'admin', providerId: null, username: 'admin' } })).compare.matched()).matched!;
    expect(m.status).toBe('ok');
    expect(m.balance.map((b) => b.label).sort()).toEqual(a.balance.map((b) => b.label).sort());
    expect(m.balance.every((b) => Number.isFinite(b.smdBefore) && Number.isFinite(b.smdAfter))).toBe(true);
    // Suppressed roles see the same analysis with its counts masked, never a count from 1 to 10.
    const r = await adjusted(db, 'researcher');
    expect(r.covariates).toEqual(a.covariates);
    for (const n of [r.durationRecorded, r.completeCases]) expect(typeof n === 'number' ? n === 0 || n >= 11 : true).toBe(true);
  });
});
