/**
 * An independent computation of the Outcomes page's figures from the raw
 * records (patients, episodes, treatments, observations), following
 * ../shared/spec/domain.md in plain TypeScript. It shares no code with
 * server/services/outcomes/: not the derived tables, not the SQL, not the
 * masking. The statistics come from server/stats (themselves checked against R
 * and SciPy), applied to the expanded values. Responder thresholds are judged
 * on integers (hundredths), so no tolerance is involved.
 */
import type { Db } from '../../../db/index.ts';
import { ageOn, parseIsoDate } from '../../../server/domain/dates.ts';
import { meanSummary, medianIqr, wilson } from '../../../server/stats/index.ts';

export const WINDOWS = {
  w2: { target: 14, from: 7, to: 21 },
  w6: { target: 42, from: 22, to: 63 },
  m3: { target: 91, from: 64, to: 135 },
  m6: { target: 182, from: 136, to: 272 },
  m12: { target: 365, from: 273, to: 456 },
} as const;
export type Win = keyof typeof WINDOWS;

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

export type RefEpisode = {
  id: number;
  patientId: number;
  carePath: string;
  condition: string;
  provider: number;
  site: number;
  startDate: string;
  start: number;
  sex: string;
  ageBand: string;
  category: string | null;
  code: string | null;
  /** measure -> sorted [day, value] of the episode's observations */
  obs: Map<string, Array<[number, number]>>;
  treatments: Array<{ category: string; complication: string | null }>;
};

function ageBand(age: number): string {
  if (age < 30) return '<30';
  if (age >= 80) return '80+';
  const lo = Math.floor(age / 10) * 10;
  return `${lo}-${lo + 9}`;
}

export function loadEpisodes(db: Db): RefEpisode[] {
  const s = db.$client;
  const patients = new Map(
    (s.prepare('SELECT id, birth_date, sex FROM patients').all() as Array<{ id: number; birth_date: string; sex: string }>).map((p) => [p.id, p]),
  );
  const episodes = s.prepare('SELECT * FROM episodes ORDER BY id').all() as Array<{
    id: number;
    patient_id: number;
    care_path: string;
    condition_group: string;
    provider_id: number;
    site_id: number;
    start_date: string;
  }>;
  const treatments = s.prepare('SELECT episode_id, date, category, code, complication, id FROM treatments').all() as Array<{
    episode_id: number;
    date: string;
    category: string;
    code: string | null;
    complication: string | null;
    id: number;
  }>;
  const obs = s.prepare('SELECT episode_id, date, measure, value FROM observations WHERE episode_id IS NOT NULL').all() as Array<{
    episode_id: number;
    date: string;
    measure: string;
    value: number;
  }>;
  const byId = new Map<number, RefEpisode>();
  for (const e of episodes) {
    const p = patients.get(e.patient_id)!;
    byId.set(e.id, {
      id: e.id,
      patientId: e.patient_id,
      carePath: e.care_path,
      condition: e.condition_group,
      provider: e.provider_id,
      site: e.site_id,
      startDate: e.start_date,
      start: parseIsoDate(e.start_date)!,
      sex: p.sex,
      ageBand: ageBand(ageOn(p.birth_date, e.start_date)!),
      category: null,
      code: null,
      obs: new Map(),
      treatments: [],
    });
  }
  // Primary treatment: an interventional episode's first procedure, else its first treatment; by date, code (null last), id.
  const primaryRank = (e: RefEpisode, t: (typeof treatments)[number]) => (e.carePath === 'interventional' && INTERVENTIONAL.has(t.category) ? 0 : 1);
  const best = new Map<number, (typeof treatments)[number]>();
  for (const t of treatments) {
    const e = byId.get(t.episode_id)!;
    e.treatments.push({ category: t.category, complication: t.complication });
    const b = best.get(e.id);
    const key = (x: typeof t) => [primaryRank(e, x), x.date, x.code === null ? 1 : 0, x.code ?? '', x.id] as const;
    if (!b || compare(key(t), key(b)) < 0) best.set(e.id, t);
  }
  for (const [id, t] of best) Object.assign(byId.get(id)!, { category: t.category, code: t.code });
  for (const o of obs) {
    const e = byId.get(o.episode_id)!;
    let list = e.obs.get(o.measure);
    if (!list) e.obs.set(o.measure, (list = []));
    list.push([parseIsoDate(o.date)! - e.start, o.value]);
  }
  for (const e of byId.values()) for (const l of e.obs.values()) l.sort((a, b) => a[0] - b[0]);
  return [...byId.values()];
}

function compare(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

export function baseline(e: RefEpisode, measure: string): number | null {
  const l = e.obs.get(measure) ?? [];
  let v: number | null = null;
  for (const [d, x] of l) if (d >= -30 && d <= 0) v = x; // sorted: the last one wins
  return v;
}

export function followUp(e: RefEpisode, measure: string, w: Win): number | null {
  const { target, from, to } = WINDOWS[w];
  let best: [number, number] | null = null;
  for (const [d, x] of e.obs.get(measure) ?? []) {
    if (d < from || d > to) continue;
    // Strictly nearer wins, so of two equally near the earlier (seen first) stays.
    if (!best || Math.abs(d - target) < Math.abs(best[0] - target)) best = [d, x];
  }
  return best ? best[1] : null;
}

const H = (x: number) => Math.round(x * 100);

export function change(measure: string, b: number, v: number): number {
  return (measure === 'promis_pf' ? H(v) - H(b) : H(b) - H(v)) / 100;
}

/** The spec's responder rules on hundredths. */
export function responds(measure: string, def: string, b: number, v: number): boolean {
  const B = H(b);
  const V = H(v);
  const better = measure === 'promis_pf' ? V - B : B - V;
  switch (def) {
    case 'pct30':
      return B > 0 && 10 * better >= 3 * B;
    case 'pct50':
      return B > 0 && 2 * better >= B;
    case 'mcid':
      return better >= { pain_nrs: 2, odi: 10, promis_pi: 5, promis_pf: 5 }[measure]! * 100;
    case 'pain_free':
      return V <= 100;
  }
  throw new Error(def);
}

export type RefFigures = {
  episodes: number;
  withBaseline: number;
  complete: number;
  changes: number[];
  responders: number;
  mean: ReturnType<typeof meanSummary>;
  median: ReturnType<typeof medianIqr>;
  followUp: ReturnType<typeof wilson>;
  respondersCc: ReturnType<typeof wilson>;
  respondersItt: ReturnType<typeof wilson>;
};

export function figures(episodes: RefEpisode[], measure: string, w: Win, def: string): RefFigures {
  let withBaseline = 0;
  let responders = 0;
  const changes: number[] = [];
  for (const e of episodes) {
    const b = baseline(e, measure);
    if (b === null) continue;
    withBaseline++;
    const v = followUp(e, measure, w);
    if (v === null) continue;
    changes.push(change(measure, b, v));
    if (responds(measure, def, b, v)) responders++;
  }
  return {
    episodes: episodes.length,
    withBaseline,
    complete: changes.length,
    changes,
    responders,
    mean: meanSummary(changes),
    median: medianIqr(changes),
    followUp: wilson(changes.length, withBaseline),
    respondersCc: wilson(responders, changes.length),
    respondersItt: wilson(responders, withBaseline),
  };
}

export function groupKey(e: RefEpisode, by: string): string | null {
  switch (by) {
    case 'care_path':
      return e.carePath;
    case 'category':
      return e.category;
    case 'condition':
      return e.condition;
    case 'provider':
      return String(e.provider);
    case 'site':
      return String(e.site);
    case 'sex':
      return e.sex;
    case 'age_band':
      return e.ageBand;
    case 'code':
      return e.code;
    case 'month':
      return e.startDate.slice(0, 7);
    case 'quarter':
      return `${e.startDate.slice(0, 4)}-Q${Math.floor((Number(e.startDate.slice(5, 7)) - 1) / 3) + 1}`;
    case 'year':
      return e.startDate.slice(0, 4);
  }
  throw new Error(by);
}

export function groupBy(episodes: RefEpisode[], by: string): Map<string | null, RefEpisode[]> {
  const out = new Map<string | null, RefEpisode[]>();
  for (const e of episodes) {
    const k = groupKey(e, by);
    let l = out.get(k);
    if (!l) out.set(k, (l = []));
    l.push(e);
  }
  return out;
}
