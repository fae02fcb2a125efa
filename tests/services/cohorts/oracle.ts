/**
 * Cohort membership recomputed independently of the cohort builder: straight
 * from the record tables (episodes, patients, treatments, observations) with
 * SQL and the spec's definitions (domain.md), never reading the derived
 * outcome tables or the typed columns.
 */
import type { Db } from '../../../db/index.ts';
import { FOLLOW_UP_WINDOWS, INTERVENTIONAL_CATEGORIES } from '../../../db/schema/vocabulary.ts';
import { ageOn } from '../../../server/domain/dates.ts';
import type { Criterion } from '../../../server/services/cohorts/definition.ts';

type Ep = { id: number; patient_id: number; care_path: string; condition_code: string; region: string | null; start_date: string; pain: number | null; birth: string; sex: string };

function matches(db: Db, e: Ep, c: Criterion): boolean {
  const s = db.$client;
  switch (c.type) {
    case 'condition':
      return c.codes.some((p) => (p.endsWith('*') ? e.condition_code.startsWith(p.slice(0, -1)) : e.condition_code === p));
    case 'carePath':
      return (c.paths as string[]).includes(e.care_path);
    case 'treatment': {
      if (c.scope !== 'any') throw new Error('oracle: only scope any');
      const rows = s.prepare('SELECT category, code FROM treatments WHERE episode_id = ?').all(e.id) as Array<{ category: string; code: string | null }>;
      return rows.some((t) => (c.categories as string[]).includes(t.category) || (t.code !== null && c.codes.includes(t.code)));
    }
    case 'indexDate':
      return (!c.from || e.start_date >= c.from) && (!c.to || e.start_date <= c.to);
    case 'age': {
      const a = ageOn(e.birth, e.start_date);
      return (c.min === null || a >= c.min) && (c.max === null || a <= c.max);
    }
    case 'sex':
      return (c.sexes as string[]).includes(e.sex);
    case 'region':
      return c.regions.some((r) => (r === 'unrecorded' ? e.region === null : e.region === r));
    case 'baseline': {
      const v = s
        .prepare(
          `SELECT value FROM observations WHERE episode_id = ? AND patient_id = ? AND measure = ?
             AND date BETWEEN date(?, '-30 days') AND ? ORDER BY date DESC LIMIT 1`,
        )
        .pluck()
        .get(e.id, e.patient_id, c.measure, e.start_date, e.start_date) as number | undefined;
      return v !== undefined && (c.min === null || v >= c.min - 1e-9) && (c.max === null || v <= c.max + 1e-9);
    }
    case 'painDuration':
      if (c.is === 'unrecorded') return e.pain === null;
      if (e.pain === null) return false;
      return c.is === 'chronic' ? e.pain > 3 : e.pain <= 3;
    case 'priorProcedures': {
      const n = s
        .prepare(
          `SELECT count(DISTINCT t.date) FROM treatments t JOIN episodes e2 ON e2.id = t.episode_id
            WHERE e2.patient_id = ? AND t.date < ? AND t.category IN (${INTERVENTIONAL_CATEGORIES.map(() => '?').join(',')})`,
        )
        .pluck()
        .get(e.patient_id, e.start_date, ...INTERVENTIONAL_CATEGORIES) as number;
      return (c.min === null || n >= c.min) && (c.max === null || n <= c.max);
    }
    case 'followUp': {
      const w = FOLLOW_UP_WINDOWS[c.window];
      const n = s
        .prepare(
          `SELECT count(*) FROM observations WHERE episode_id = ? AND patient_id = ? AND measure = ?
             AND julianday(date) - julianday(?) BETWEEN ? AND ?`,
        )
        .pluck()
        .get(e.id, e.patient_id, c.measure, e.start_date, w.from, w.to) as number;
      return n > 0;
    }
  }
}

/** Episodes and patients remaining after each criterion, and the final episode ids (ascending). */
export function oracleFunnel(db: Db, criteria: readonly Criterion[]): { steps: Array<{ episodes: number; patients: number }>; ids: number[] } {
  let eps = db.$client
    .prepare(
      `SELECT e.id, e.patient_id, e.care_path, e.condition_code, e.region, e.start_date, e.pain_duration_months AS pain, p.birth_date AS birth, p.sex
         FROM episodes e JOIN patients p ON p.id = e.patient_id ORDER BY e.id`,
    )
    .all() as Ep[];
  const count = () => ({ episodes: eps.length, patients: new Set(eps.map((e) => e.patient_id)).size });
  const steps = [count()];
  for (const c of criteria) {
    eps = eps.filter((e) => matches(db, e, c) !== c.exclude);
    steps.push(count());
  }
  return { steps, ids: eps.map((e) => e.id) };
}
