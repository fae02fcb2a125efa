/**
 * An independent reference for the derived outcome tables: the rules of
 * ../shared/spec/domain.md written out again in plain TypeScript over the raw
 * rows, sharing no code with server/services/outcomes/ (only the calendar
 * helpers and the CPT family table). Values in the tests have at most two
 * decimals, so responder thresholds are judged exactly on integers (hundredths).
 */
import type { Db } from '../../../db/index.ts';
import { cptFamilyOf } from '../../../db/schema/vocabulary.ts';
import { ageOn, parseIsoDate } from '../../../server/domain/dates.ts';

type Patient = { id: number; birth_date: string; sex: string };
type Episode = {
  id: number;
  patient_id: number;
  care_path: string;
  condition_code: string;
  condition_group: string;
  region: string | null;
  provider_id: number;
  site_id: number;
  start_date: string;
  pain_duration_months: number | null;
};
type Treatment = { id: number; episode_id: number; date: string; category: string; code: string | null; complication: string | null };
type Observation = { id: number; patient_id: number; episode_id: number | null; date: string; measure: string; value: number };

export type Row = Record<string, string | number | null>;

export type Windows = Record<'w2' | 'w6' | 'm3' | 'm6' | 'm12', { target: number; from: number; to: number }>;
export const SPEC_WINDOWS: Windows = {
  w2: { target: 14, from: 7, to: 21 },
  w6: { target: 42, from: 22, to: 63 },
  m3: { target: 91, from: 64, to: 135 },
  m6: { target: 182, from: 136, to: 272 },
  m12: { target: 365, from: 273, to: 456 },
};
const INTERVENTIONAL = new Set([
  'epidural_steroid_injection',
  'facet_joint_injection',
  'medial_branch_block',
  'radiofrequency_ablation',
  'sacroiliac_joint_injection',
  'nerve_block',
  'spinal_cord_stimulation',
  'other_injection',
]);

const hundredths = (x: number) => Math.round(x * 100);
const day = (date: string, start: string) => parseIsoDate(date)! - parseIsoDate(start)!;

/** Responder flags of the spec for one measure, on exact hundredths; null where the spec defines none. */
function flags(measure: string, b: number | null, v: number | null) {
  const none = { pct30: null, pct50: null, mcid: null, pain_free: null, stopped: null } as Record<string, number | null>;
  if (b === null || v === null) return none;
  const B = hundredths(b);
  const V = hundredths(v);
  const better = measure === 'promis_pf' ? V - B : B - V;
  const pct = (p: number) => (B > 0 && better * 100 >= p * B ? 1 : 0);
  const points = (p: number) => (better >= p * 100 ? 1 : 0);
  switch (measure) {
    case 'pain_nrs':
      return { ...none, pct30: pct(30), pct50: pct(50), mcid: points(2), pain_free: V <= 100 ? 1 : 0 };
    case 'odi':
      return { ...none, mcid: points(10) };
    case 'promis_pi':
    case 'promis_pf':
      return { ...none, mcid: points(5) };
    case 'mme':
      return { ...none, pct50: pct(50), stopped: B > 0 && V === 0 ? 1 : 0 };
    default:
      throw new Error(measure);
  }
}

function band(age: number): string {
  if (age < 30) return '<30';
  if (age >= 80) return '80+';
  const lo = Math.floor(age / 10) * 10;
  return `${lo}-${lo + 9}`;
}

export function readRecords(db: Db) {
  const all = <T>(sql: string) => db.$client.prepare(sql).all() as T[];
  return {
    patients: all<Patient>('SELECT id, birth_date, sex FROM patients'),
    episodes: all<Episode>(
      'SELECT id, patient_id, care_path, condition_code, condition_group, region, provider_id, site_id, start_date, pain_duration_months FROM episodes',
    ),
    treatments: all<Treatment>('SELECT id, episode_id, date, category, code, complication FROM treatments'),
    observations: all<Observation>('SELECT id, patient_id, episode_id, date, measure, value FROM observations'),
  };
}

/** The expected outcome_episodes and outcome_measures rows, keyed by episode id and by "measure/episode id". */
export function expectedOutcomes(db: Db, windows: Windows = SPEC_WINDOWS, baselineDays = 30) {
  const { patients, episodes, treatments, observations } = readRecords(db);
  const patient = new Map(patients.map((p) => [p.id, p]));
  const episode = new Map(episodes.map((e) => [e.id, e]));
  const episodeRows = new Map<number, Row>();
  const measureRows = new Map<string, Row>();

  for (const e of episodes) {
    const p = patient.get(e.patient_id)!;
    const own = treatments.filter((t) => t.episode_id === e.id);
    const sorted = [...own].sort(
      (a, b) =>
        rankPrimary(e, a) - rankPrimary(e, b) ||
        cmp(a.date, b.date) ||
        Number(a.code === null) - Number(b.code === null) ||
        cmp(a.code ?? '', b.code ?? '') ||
        a.id - b.id,
    );
    const primary = sorted[0] ?? null;
    const patientProcedures = treatments.filter((t) => INTERVENTIONAL.has(t.category) && episode.get(t.episode_id)!.patient_id === e.patient_id);
    const repeatAfter = primary && INTERVENTIONAL.has(primary.category) && primary.date > e.start_date ? primary.date : e.start_date;
    const repeats = patientProcedures
      .filter((t) => t.date > repeatAfter)
      .filter((t) => t.episode_id === e.id || (e.region !== null && episode.get(t.episode_id)!.region === e.region))
      .map((t) => t.date)
      .sort();
    const age = ageOn(p.birth_date, e.start_date);
    const y = Number(e.start_date.slice(0, 4));
    const m = Number(e.start_date.slice(5, 7));

    const obs = observations
      .filter((o) => o.episode_id === e.id && o.patient_id === e.patient_id)
      .map((o) => ({ ...o, day: day(o.date, e.start_date) }));
    const inWindow = (d: number) => Object.values(windows).some((w) => d >= w.from && d <= w.to);
    const followUpDays = obs.filter((o) => inWindow(o.day)).map((o) => o.day);

    const dims: Row = {
      index_day: parseIsoDate(e.start_date)!,
      index_month: y * 100 + m,
      index_quarter: y * 10 + Math.ceil(m / 3),
      index_year: y,
      care_path: e.care_path,
      category: primary?.category ?? null,
      code: primary?.code ?? null,
      cpt_family: cptFamilyOf(primary?.code ?? null),
      condition_group: e.condition_group,
      region: e.region,
      provider_id: e.provider_id,
      site_id: e.site_id,
      age_band: band(age),
      sex: p.sex,
    };
    episodeRows.set(e.id, {
      episode_id: e.id,
      patient_id: e.patient_id,
      index_date: e.start_date,
      ...dims,
      condition_code: e.condition_code,
      age,
      pain_duration_months: e.pain_duration_months,
      chronic: e.pain_duration_months === null ? null : e.pain_duration_months > 3 ? 1 : 0,
      primary_day: primary ? day(primary.date, e.start_date) : null,
      prior_procedures: new Set(patientProcedures.filter((t) => t.date < e.start_date).map((t) => t.date)).size,
      treatments: own.length,
      procedures: own.filter((t) => INTERVENTIONAL.has(t.category)).length,
      procedure_sessions: new Set(own.filter((t) => INTERVENTIONAL.has(t.category)).map((t) => t.date)).size,
      repeat_day: repeats.length ? day(repeats[0]!, e.start_date) : null,
      complications_minor: own.filter((t) => t.complication === 'minor').length,
      complications_major: own.filter((t) => t.complication === 'major').length,
      last_follow_up_day: followUpDays.length ? Math.max(...followUpDays) : null,
    });

    for (const measure of new Set(obs.map((o) => o.measure))) {
      const mo = obs.filter((o) => o.measure === measure);
      const baselines = mo.filter((o) => o.day >= -baselineDays && o.day <= 0).sort((a, b) => b.day - a.day);
      const base = baselines[0] ?? null;
      const row: Row = { measure, episode_id: e.id, ...dims, baseline_value: base?.value ?? null, baseline_day: base?.day ?? null };
      let any = base !== null;
      for (const [name, w] of Object.entries(windows)) {
        const cands = mo
          .filter((o) => o.day >= w.from && o.day <= w.to)
          .sort((a, b) => Math.abs(a.day - w.target) - Math.abs(b.day - w.target) || a.day - b.day);
        const pick = cands[0] ?? null;
        if (pick) any = true;
        const b = base?.value ?? null;
        const v = pick?.value ?? null;
        row[`${name}_value`] = v;
        row[`${name}_day`] = pick?.day ?? null;
        row[`${name}_change`] = b === null || v === null ? null : (measure === 'promis_pf' ? hundredths(v) - hundredths(b) : hundredths(b) - hundredths(v)) / 100;
        for (const [flag, value] of Object.entries(flags(measure, b, v))) row[`${name}_${flag}`] = value;
      }
      if (!any) continue;
      const follow = mo.filter((o) => inWindow(o.day)).sort((a, b) => a.day - b.day);
      let response: number | null = null;
      let loss: number | null = null;
      if (measure === 'pain_nrs' && base && base.value > 0) {
        const responds = (v: number) => flags('pain_nrs', base.value, v).pct30 === 1;
        response = follow.find((o) => responds(o.value))?.day ?? null;
        if (response !== null) loss = follow.find((o) => o.day > response! && !responds(o.value))?.day ?? null;
      }
      row.response_day = response;
      row.loss_day = loss;
      row.last_follow_up_day = follow.length ? follow[follow.length - 1]!.day : null;
      measureRows.set(`${measure}/${e.id}`, row);
    }
  }
  return { episodes: episodeRows, measures: measureRows };
}

function rankPrimary(e: Episode, t: Treatment): number {
  return e.care_path === 'interventional' && INTERVENTIONAL.has(t.category) ? 0 : 1;
}
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The derived tables as stored, in the oracle's shape (outcome_measures without its key column). */
export function actualOutcomes(db: Db) {
  const episodes = new Map<number, Row>();
  for (const r of db.$client.prepare('SELECT * FROM outcome_episodes').all() as Row[]) episodes.set(r.episode_id as number, r);
  const measures = new Map<string, Row>();
  for (const r of db.$client.prepare('SELECT * FROM outcome_measures').all() as Row[]) {
    const { id: _id, ...rest } = r;
    measures.set(`${r.measure}/${r.episode_id}`, rest);
  }
  return { episodes, measures };
}

/** Differences between two row maps (numbers compared to 1e-9), at most `limit` of them, for a readable failure. */
export function differences(expected: Map<string | number, Row>, actual: Map<string | number, Row>, limit = 10): string[] {
  const out: string[] = [];
  for (const k of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(k);
    const a = actual.get(k);
    if (!e || !a) {
      out.push(`${k}: ${e ? 'missing' : 'unexpected'} row`);
    } else {
      for (const col of new Set([...Object.keys(e), ...Object.keys(a)])) {
        const x = e[col];
        const y = a[col];
        const same = typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) <= 1e-9 : x === y;
        if (!same) out.push(`${k}.${col}: expected ${String(x)}, got ${String(y)}`);
      }
    }
    if (out.length >= limit) break;
  }
  return out;
}
