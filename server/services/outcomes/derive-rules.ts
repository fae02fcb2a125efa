/**
 * The rules of ../shared/spec/domain.md ("Baseline and follow-up", "Change and
 * response", opioid use) as data and as SQL fragments. The derivation
 * (derive.ts) builds its statements from these, and the query services use the
 * same fragments when a user asks for a non-default threshold, so the stored
 * flags and a threshold applied at query time cannot drift apart.
 * Pure: no I/O.
 */
import {
  BASELINE_DAYS,
  CPT_FAMILIES,
  FOLLOW_UP_WINDOWS,
  FOLLOW_UP_WINDOW_NAMES,
  INTERVENTIONAL_CATEGORIES,
  MEASURE_NAMES,
  type FollowUpWindow,
  type Measure,
} from '../../../db/schema/vocabulary.ts';

export type WindowDefinition = { target: number; from: number; to: number };

/**
 * Which observation counts: the baseline period and the follow-up windows, in
 * days relative to the index date. A practice-level setting (default: the
 * spec's); changing it re-derives every episode (refresh.ts).
 */
export type OutcomeDefinitions = {
  baselineDays: number;
  windows: Record<FollowUpWindow, WindowDefinition>;
};

export const DEFAULT_DEFINITIONS: OutcomeDefinitions = {
  baselineDays: BASELINE_DAYS,
  windows: Object.fromEntries(
    FOLLOW_UP_WINDOW_NAMES.map((w) => [w, { target: FOLLOW_UP_WINDOWS[w].target, from: FOLLOW_UP_WINDOWS[w].from, to: FOLLOW_UP_WINDOWS[w].to }]),
  ) as Record<FollowUpWindow, WindowDefinition>,
};

/**
 * Throws unless the windows are whole days, start after the index date, contain
 * their target, and follow each other without overlapping (an observation
 * falls in at most one window: the derivation relies on it).
 */
export function validateDefinitions(d: OutcomeDefinitions): void {
  const fail = (why: string) => {
    throw new RangeError(`invalid outcome definitions: ${why}`);
  };
  if (!Number.isInteger(d.baselineDays) || d.baselineDays < 0) fail('baselineDays must be a whole number >= 0');
  let previousTo = 0;
  for (const w of FOLLOW_UP_WINDOW_NAMES) {
    const x = d.windows[w];
    if (!x) fail(`window ${w} is missing`);
    if (![x.target, x.from, x.to].every(Number.isInteger)) fail(`window ${w} must be whole days`);
    if (x.from <= previousTo) fail(`window ${w} must start after day ${previousTo}`);
    if (!(x.from <= x.target && x.target <= x.to)) fail(`window ${w} must contain its target day`);
    previousTo = x.to;
  }
}

// ---- change and response ---------------------------------------------------

/**
 * Change is baseline - follow-up for measures where a lower score is better,
 * and follow-up - baseline for PROMIS physical function, where higher is
 * better: positive always means better (spec: "positive = better").
 */
export const HIGHER_IS_BETTER: Record<Measure, boolean> = {
  pain_nrs: false,
  odi: false,
  promis_pi: false,
  promis_pf: true,
  mme: false,
};

/** Minimal clinically important difference in points (spec: NRS 2, ODI 10, PROMIS T-score 5). */
export const MCID_POINTS: Partial<Record<Measure, number>> = { pain_nrs: 2, odi: 10, promis_pi: 5, promis_pf: 5 };

/**
 * A responder rule, judged on a baseline b, a follow-up v and the change c:
 * - percent: b > 0 and c >= threshold * b (a baseline of 0 is never a percent responder)
 * - points: c >= threshold
 * - at_most: v <= threshold (pain NRS <= 1: pain-free or nearly)
 * - stopped: b > 0 and v = 0 (opioids stopped)
 */
export type ResponderRule =
  | { kind: 'percent'; threshold: number }
  | { kind: 'points'; threshold: number }
  | { kind: 'at_most'; threshold: number }
  | { kind: 'stopped' };

/** The stored flag columns ({window}_{flag}) and the default rule behind each. */
export const RESPONDER_FLAGS = ['pct30', 'pct50', 'mcid', 'pain_free', 'stopped'] as const;
export type ResponderFlag = (typeof RESPONDER_FLAGS)[number];

/**
 * Where the spec defines a responder rule for a measure, with its default
 * threshold. A flag not listed for a measure is stored as null. Opioid
 * "reduced" (MME down by at least 50 % from a baseline above 0) is the pct50
 * flag of mme.
 */
export const RESPONDER_RULES: Record<Measure, Partial<Record<ResponderFlag, ResponderRule>>> = {
  pain_nrs: {
    pct30: { kind: 'percent', threshold: 0.3 },
    pct50: { kind: 'percent', threshold: 0.5 },
    mcid: { kind: 'points', threshold: MCID_POINTS.pain_nrs! },
    pain_free: { kind: 'at_most', threshold: 1 },
  },
  odi: { mcid: { kind: 'points', threshold: MCID_POINTS.odi! } },
  promis_pi: { mcid: { kind: 'points', threshold: MCID_POINTS.promis_pi! } },
  promis_pf: { mcid: { kind: 'points', threshold: MCID_POINTS.promis_pf! } },
  mme: { pct50: { kind: 'percent', threshold: 0.5 }, stopped: { kind: 'stopped' } },
};

/** Durability: a follow-up "responds" when pain is down by >= 30 %, and is "lost" at the first later one that is not. */
export const DURABILITY_MEASURE: Measure = 'pain_nrs';
export const DURABILITY_RULE: ResponderRule = { kind: 'percent', threshold: 0.3 };

/**
 * Comparisons allow 1e-9 of floating-point error, far below any score's
 * resolution: 7 - 4.9 is 2.0999999999999996 in binary and must still count as
 * a 30 % reduction of 7. Changes are stored rounded to 9 decimals for the
 * same reason (changeSql).
 */
export const EPSILON = 1e-9;

/** SQL for the change between baseline `b` and follow-up `v` of measure `measure` (an SQL expression or a quoted literal). */
export function changeSql(measure: string, b: string, v: string): string {
  return `round(CASE WHEN ${measure} = 'promis_pf' THEN (${v}) - (${b}) ELSE (${b}) - (${v}) END, 9)`;
}

/** SQL that is 1 when the rule holds, 0 when not, null without a baseline or a follow-up. `c` is the change (changeSql). */
export function responderSql(rule: ResponderRule, cols: { b: string; v: string; c: string }): string {
  const { b, v, c } = cols;
  return `CASE WHEN (${b}) IS NULL OR (${v}) IS NULL THEN NULL WHEN ${ruleConditionSql(rule, b, v, c)} THEN 1 ELSE 0 END`;
}

/** SQL that is true when the rule holds for a present baseline and follow-up. */
export function ruleConditionSql(rule: ResponderRule, b: string, v: string, c: string): string {
  switch (rule.kind) {
    case 'percent':
      return `(${b}) > 0 AND (${c}) >= ${num(rule.threshold)} * (${b}) - ${EPSILON}`;
    case 'points':
      return `(${c}) >= ${num(rule.threshold)} - ${EPSILON}`;
    case 'at_most':
      return `(${v}) <= ${num(rule.threshold)} + ${EPSILON}`;
    case 'stopped':
      return `(${b}) > 0 AND (${v}) = 0`;
  }
}

/** The same rule in JavaScript, for pure code and tests (identical semantics to responderSql). */
export function isResponder(rule: ResponderRule, b: number | null, v: number | null, c: number | null): boolean | null {
  if (b === null || v === null || c === null) return null;
  switch (rule.kind) {
    case 'percent':
      return b > 0 && c >= rule.threshold * b - EPSILON;
    case 'points':
      return c >= rule.threshold - EPSILON;
    case 'at_most':
      return v <= rule.threshold + EPSILON;
    case 'stopped':
      return b > 0 && v === 0;
  }
}

function num(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`threshold must be finite, got ${x}`);
  return String(x);
}

// ---- episode facts -----------------------------------------------------------

/**
 * Age bands of the patient's age on the index date. Ten-year bands with open
 * ends; the top band also covers Safe Harbor's "over 89".
 */
export const AGE_BANDS = [
  { label: '<30', max: 29 },
  { label: '30-39', max: 39 },
  { label: '40-49', max: 49 },
  { label: '50-59', max: 59 },
  { label: '60-69', max: 69 },
  { label: '70-79', max: 79 },
  { label: '80+', max: Number.POSITIVE_INFINITY },
] as const;
export type AgeBand = (typeof AGE_BANDS)[number]['label'];

export function ageBandOf(age: number): AgeBand {
  return AGE_BANDS.find((b) => age <= b.max)!.label;
}

export function ageBandSql(age: string): string {
  const whens = AGE_BANDS.filter((b) => Number.isFinite(b.max)).map((b) => `WHEN (${age}) <= ${b.max} THEN '${b.label}'`);
  return `CASE ${whens.join(' ')} ELSE '${AGE_BANDS[AGE_BANDS.length - 1]!.label}' END`;
}

/** Chronic pain: more than 3 months before the index date (spec, "Care paths"). */
export const CHRONIC_PAIN_MONTHS = 3;

/** SQL list of the interventional categories, for IN (...). */
export const INTERVENTIONAL_SQL = `(${INTERVENTIONAL_CATEGORIES.map((c) => `'${c}'`).join(', ')})`;

/** SQL mapping a CPT code to its family (vocabulary.cptFamilyOf): null without a code, 'other' when not in a family. */
export function cptFamilySql(code: string): string {
  const whens = Object.entries(CPT_FAMILIES).flatMap(([family, f]) => f.codes.map((c) => `WHEN '${c}' THEN '${family}'`));
  return `CASE WHEN (${code}) IS NULL THEN NULL ELSE CASE (${code}) ${whens.join(' ')} ELSE 'other' END END`;
}

/** SQL for a measure's number (outcome_measures keys): its position in MEASURE_NAMES, from 1. */
export function measureNumberSql(measure: string): string {
  return `CASE ${measure} ${MEASURE_NAMES.map((m, i) => `WHEN '${m}' THEN ${i + 1}`).join(' ')} END`;
}
