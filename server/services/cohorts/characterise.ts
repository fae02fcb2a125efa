/**
 * Characterisation of a cohort: "Table 1" of two groups (the cohort's care
 * paths, or two saved cohorts) with standardised mean differences, and the
 * cohort's outcome summary through the outcome engine's own figures
 * (server/services/outcomes/figures.ts, groupFigures), so a responder rate
 * here is computed and masked exactly as on the Outcomes page.
 *
 * Counts are masked for the caller (privacyFor): each variable is one table
 * (levels x groups) with the groups' totals as its margin; a variable whose
 * masking would withhold a group total that the header shows is withheld
 * whole (decision 007, "margins"), and an SMD is shown only when every count
 * it rests on is.
 */
import {
  CARE_PATHS,
  CONDITION_GROUPS,
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  MEASURES,
  MEASURE_NAMES,
  REGIONS,
  SEXES,
  type FollowUpWindow,
  type Measure,
} from '../../../db/schema/vocabulary.ts';
import type { Privacy } from '../../auth/privacy.ts';
import { isShown, type Count } from '../../auth/suppression.ts';
import { standardizedMeanDifference } from '../../stats/weighting.ts';
import { groupFigures, type GroupFigures } from '../outcomes/figures.ts';
import { definitionApplies, type Denominator, type OutcomeMeasure, type ResponderDefinition } from '../outcomes/query.ts';
import { NONE8, RESPONDER_BIT, type CohortData, type MeasureDetail } from './data.ts';

export type Group = { key: string; label: string; members: Uint8Array };

export type GroupHeader = { key: string; label: string; episodes: Count; patients: Count };

export type ContinuousRow = {
  kind: 'continuous';
  variable: string;
  label: string;
  unit: string;
  definition: string;
  /** Per group: episodes with a value, its mean and SD (null when withheld or not estimable). */
  cells: Array<{ n: Count; missing: Count; mean: number | null; sd: number | null }>;
  smd: number | null;
};
export type LevelRow = {
  kind: 'level';
  variable: string;
  label: string;
  level: string;
  definition: string;
  /** Per group: episodes at the level and their share of the group. */
  cells: Array<{ count: Count; percent: number | null }>;
  smd: number | null;
};
export type TableOneRow = ContinuousRow | LevelRow;

export type TableOne = { groups: GroupHeader[]; rows: TableOneRow[]; smdDefinition: string };

const SMD_DEFINITION =
  'Standardised mean difference, first group minus second, over the pooled SD sqrt((s1² + s2²) / 2); for a level, sqrt((p1(1-p1) + p2(1-p2)) / 2) (Austin 2009). |SMD| < 0.1 is usually read as balanced.';

/** Splits a cohort by care path (interventional first, as the SMD's first group). */
export function carePathGroups(data: CohortData, members: Uint8Array): Group[] {
  return CARE_PATHS.map((p, k) => {
    const m = new Uint8Array(data.n);
    for (let i = 0; i < data.n; i++) m[i] = members[i]! & (data.carePath[i] === k ? 1 : 0);
    return { key: p, label: p === 'interventional' ? 'Interventional' : 'Conservative', members: m };
  });
}

function countPatients(data: CohortData, members: Uint8Array): number {
  const seen = new Uint8Array(data.patientIdLimit);
  let p = 0;
  for (let i = 0; i < data.n; i++)
    if (members[i] && !seen[data.patientId[i]!]) {
      seen[data.patientId[i]!] = 1;
      p++;
    }
  return p;
}

/** Values of a column for the members of a group (NaN: missing). */
function valuesOf(data: CohortData, members: Uint8Array, get: (i: number) => number): Float64Array {
  let k = 0;
  for (let i = 0; i < data.n; i++) k += members[i]!;
  const out = new Float64Array(k);
  let j = 0;
  for (let i = 0; i < data.n; i++) if (members[i]) out[j++] = get(i);
  return out;
}

function smdOf(a: Float64Array, b: Float64Array, binary: boolean): number | null {
  const x = new Float64Array(a.length + b.length);
  const t = new Float64Array(a.length + b.length);
  x.set(a);
  t.fill(1, 0, a.length);
  x.set(b, a.length);
  return standardizedMeanDifference(x, t, { binary });
}

function present(v: Float64Array): Float64Array {
  return v.filter((x) => !Number.isNaN(x));
}

function meanSd(v: Float64Array): { mean: number | null; sd: number | null } {
  if (v.length === 0) return { mean: null, sd: null };
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  if (v.length < 2) return { mean, sd: null };
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (v.length - 1)) };
}

/** Table 1 of exactly two groups, masked for the caller. */
export function tableOne(data: CohortData, groups: [Group, Group], privacy: Privacy): TableOne {
  const sizes = groups.map((g) => g.members.reduce((a, b) => a + b, 0));
  const head = privacy.line(sizes, { total: true });
  const patients = privacy.independent({ a: countPatients(data, groups[0].members), b: countPatients(data, groups[1].members) });
  const headers: GroupHeader[] = groups.map((g, k) => ({ key: g.key, label: g.label, episodes: head.cells[k]!, patients: k === 0 ? patients.a : patients.b }));
  const withheldAll = (n: number): Count[] => Array.from({ length: n }, () => ({ suppressed: 'complementary', display: '—' }) as const);

  /** Masks a levels x groups table; withholds it whole when it would withhold a header total. */
  const mask = (cells: number[][]): Count[][] => {
    const t = privacy.table({ cells, colTotals: true });
    const consistent = t.colTotals!.every((c, k) => !isShown(head.cells[k]!) || isShown(c));
    return consistent ? t.cells : cells.map((r) => withheldAll(r.length));
  };

  const rows: TableOneRow[] = [];
  const continuous = (variable: string, label: string, unit: string, definition: string, get: (i: number) => number) => {
    const [a, b] = groups.map((g) => valuesOf(data, g.members, get)) as [Float64Array, Float64Array];
    const [pa, pb] = [present(a), present(b)];
    const counts = mask([
      [pa.length, pb.length],
      [a.length - pa.length, b.length - pb.length],
    ]);
    const cells = [pa, pb].map((v, k) => {
      const n = counts[0]![k]!;
      const stats = privacy.statistic(n, meanSd(v)) ?? { mean: null, sd: null };
      return { n, missing: counts[1]![k]!, ...stats };
    });
    const allShown = counts.every((r) => r.every(isShown)) && cells.every((c) => c.mean !== null);
    rows.push({ kind: 'continuous', variable, label, unit, definition, cells, smd: allShown ? smdOf(pa, pb, false) : null });
  };
  const levels = (variable: string, label: string, definition: string, names: readonly string[], levelOf: (i: number) => number) => {
    const [a, b] = groups.map((g) => valuesOf(data, g.members, levelOf)) as [Float64Array, Float64Array];
    const cells = names.map((_, l) => [a.filter((x) => x === l).length, b.filter((x) => x === l).length]);
    const used = names.map((_, l) => cells[l]![0]! + cells[l]![1]! > 0);
    const counts = mask(cells);
    names.forEach((level, l) => {
      if (!used[l]) return;
      const row = counts[l]!;
      const out = row.map((c, k) => ({ count: c, percent: privacy.rate(c, headers[k]!.episodes) }));
      const shown = row.every(isShown) && headers.every((h) => isShown(h.episodes));
      const bin = (v: Float64Array) => v.map((x) => (x === l ? 1 : 0));
      rows.push({ kind: 'level', variable, label, level, definition, cells: out, smd: shown && a.length && b.length ? smdOf(bin(a), bin(b), true) : null });
    });
  };

  continuous('age', 'Age', 'years', 'Whole years on the index date.', (i) => data.age[i]!);
  levels('sex', 'Sex', 'As recorded for the patient.', SEXES, (i) => data.sex[i]!);
  levels(
    'condition',
    'Condition',
    'The episode condition code grouped by prefix (M54.5* low back pain, M54.1*/M51.1* radiculopathy, …).',
    CONDITION_GROUP_NAMES.map((g) => CONDITION_GROUPS[g].label),
    (i) => data.conditionGroup[i]!,
  );
  levels('region', 'Region', 'Spinal or body region of the episode.', [...REGIONS, 'not recorded'], (i) => (data.region[i] === NONE8 ? REGIONS.length : data.region[i]!));
  for (const m of MEASURE_NAMES) {
    const col = data.baselineOf(m);
    continuous(
      `baseline_${m}`,
      `Baseline ${MEASURES[m].label}`,
      MEASURES[m].unit,
      'Last observation in the 30 days up to and including the index date; missing: none recorded.',
      (i) => col[i]!,
    );
  }
  continuous('pain_duration', 'Pain duration', 'months', 'Months of pain before the index date, as recorded.', (i) => data.painDuration[i]!);
  levels('chronic', 'Chronic pain', 'Pain for more than 3 months before the index date (domain.md).', ['chronic (> 3 months)', '3 months or less', 'not recorded'], (i) => {
    const v = data.painDuration[i]!;
    return Number.isNaN(v) ? 2 : v > 3 ? 0 : 1;
  });
  continuous(
    'prior_procedures',
    'Prior procedures',
    'sessions',
    'Interventional procedure sessions (distinct days) of the patient before the index date, any episode.',
    (i) => data.priorProcedures[i]!,
  );
  levels('any_prior', 'Any prior procedure', 'At least one interventional procedure session before the index date.', ['yes', 'no'], (i) =>
    data.priorProcedures[i]! > 0 ? 0 : 1,
  );
  return { groups: headers, rows, smdDefinition: SMD_DEFINITION };
}

export type OutcomeSummary = {
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  definition: ResponderDefinition;
  denominator: Denominator;
  respondersApply: boolean;
  groups: GroupFigures[];
  overall: GroupFigures;
  withheld: boolean;
};

/** The outcome engine's figures (change, response, follow-up) at one window, per group and overall. */
export function outcomeSummary(
  data: CohortData,
  detail: MeasureDetail,
  groups: readonly Group[],
  q: { measure: OutcomeMeasure; window: FollowUpWindow; definition: ResponderDefinition; denominator: Denominator },
  privacy: Privacy,
): OutcomeSummary {
  const respondersApply = definitionApplies(q.measure, q.definition);
  const w = FOLLOW_UP_WINDOW_NAMES.indexOf(q.window);
  const change = detail.change[w]!;
  const flags = detail.flags[w]!;
  const bit = RESPONDER_BIT[q.definition];
  const baseline = data.baselineOf(q.measure as Measure);
  const inputs = groups.map((g) => {
    let episodes = 0;
    let withBaseline = 0;
    let complete = 0;
    let responders = 0;
    const dist = new Map<number, number>();
    for (let i = 0; i < data.n; i++) {
      if (!g.members[i]) continue;
      episodes++;
      if (Number.isNaN(baseline[i]!)) continue;
      withBaseline++;
      const c = change[i]!;
      if (Number.isNaN(c)) continue;
      complete++;
      if (respondersApply && flags[i]! & bit) responders++;
      // float32 back to the stored value: scores have at most two decimals.
      const v = Math.round(c * 1e6) / 1e6;
      dist.set(v, (dist.get(v) ?? 0) + 1);
    }
    const values = [...dist.keys()].sort((a, b) => a - b);
    return {
      raw: g.key,
      key: g.key,
      label: g.label,
      episodes,
      change: { key: g.key, withBaseline, complete, responders, values, counts: values.map((v) => dist.get(v)!) },
    };
  });
  const f = groupFigures(privacy, inputs, { denominator: q.denominator, respondersApply });
  return { ...q, respondersApply, groups: f.groups, overall: f.overall, withheld: f.withheld };
}
