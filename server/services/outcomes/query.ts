/**
 * The SQL of the outcome figures: grouped sums over the derived tables
 * (outcome_episodes, outcome_measures; docs/decisions/005-derived-outcomes.md),
 * one scan per figure family. Nothing here computes a statistic: the sums go
 * to server/stats (summary.ts and friends). See docs/decisions/007-outcome-queries.md.
 *
 * The change at a window is read as a distribution — one row per group and
 * distinct change value with its count — rather than as a sum: the sum, the
 * sum of squares and the count follow exactly from it, and so do the exact
 * median and quartiles and the histogram, without sending a value per
 * episode. Scores are whole or half points or tenths of a T-score, so a group
 * has a few dozen to a few hundred distinct changes.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../db/index.ts';
import { measureIdRange } from '../../../db/schema/outcomes.ts';
import { FOLLOW_UP_WINDOW_NAMES, type FollowUpWindow, type Measure } from '../../../db/schema/vocabulary.ts';
import { DEFAULT_DEFINITIONS, RESPONDER_RULES, type OutcomeDefinitions } from './derive-rules.ts';
import { GROUPING_COLUMN, whereOf, type Grouping, type OutcomeFilters } from './filters.ts';

/** The patient-reported measures with change and response figures (MME has its own section: opioids). */
export const OUTCOME_MEASURES = ['pain_nrs', 'odi', 'promis_pi', 'promis_pf'] as const;
export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];

/** Responder definitions, named as the stored flags (derive-rules.ts, RESPONDER_RULES). */
export const RESPONDER_DEFINITIONS = ['pct30', 'pct50', 'mcid', 'pain_free'] as const;
export type ResponderDefinition = (typeof RESPONDER_DEFINITIONS)[number];

export const DENOMINATORS = ['complete_case', 'intention_to_treat'] as const;
export type Denominator = (typeof DENOMINATORS)[number];

/** Whether the spec defines the response for the measure (pain: all four; ODI and PROMIS: the MCID only). */
export function definitionApplies(measure: Measure, definition: ResponderDefinition): boolean {
  return RESPONDER_RULES[measure][definition] !== undefined;
}

export function definitionsFor(measure: Measure): ResponderDefinition[] {
  return RESPONDER_DEFINITIONS.filter((d) => definitionApplies(measure, d));
}

/** A group's raw key as stored (an enumeration value, an id, a period number), or null ("none recorded"). */
export type RawKey = string | number | null;

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function prepared(db: Db, sql: string): Database.Statement {
  const sqlite = db.$client;
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  let s = cache.get(sql);
  if (!s) {
    s = sqlite.prepare(sql);
    if (cache.size > 500) cache.clear();
    cache.set(sql, s);
  }
  return s;
}

/** Runs `f` in one read transaction, so every figure of a response comes from the same state of the tables. */
export function readConsistent<T>(db: Db, f: () => T): T {
  const sqlite = db.$client;
  return sqlite.inTransaction ? f() : sqlite.transaction(f).deferred();
}

const groupExpr = (g: Grouping | null, alias?: string) => (g ? (alias ? `${alias}.${GROUPING_COLUMN[g]}` : GROUPING_COLUMN[g]) : `'all'`);

// ---- episodes ---------------------------------------------------------------------

/** Episodes matching the filters, per group (outcome_episodes: every episode, with or without scores). */
export function episodesByGroup(db: Db, filters: OutcomeFilters, groupBy: Grouping | null): Map<RawKey, number> {
  const w = whereOf(filters);
  const rows = prepared(db, `SELECT ${groupExpr(groupBy)} AS g, count(*) AS n FROM outcome_episodes WHERE ${w.sql} GROUP BY g`)
    .raw()
    .all(...w.params) as Array<[RawKey, number]>;
  return new Map(rows);
}

// ---- change at one window ----------------------------------------------------------

export type ChangeGroup = {
  key: RawKey;
  /** Episodes with a baseline of the measure. */
  withBaseline: number;
  /** Of those, with a follow-up in the window (the complete cases). */
  complete: number;
  /** Complete cases that respond by the definition (0 when the definition does not apply). */
  responders: number;
  /** Distinct changes (baseline − follow-up, positive = better), ascending, and how many complete cases have each. */
  values: number[];
  counts: number[];
};

export type ChangeQuery = {
  measure: OutcomeMeasure | 'mme';
  window: FollowUpWindow;
  definition: ResponderDefinition | null;
  filters: OutcomeFilters;
  groupBy: Grouping | null;
};

/**
 * Per group: episodes with a baseline, complete cases, responders, and the
 * distribution of change at the window. One scan of the measure's rows.
 */
export function changeByGroup(db: Db, q: ChangeQuery): ChangeGroup[] {
  const [lo, hi] = measureIdRange(q.measure);
  const w = whereOf(q.filters);
  const flag = q.definition && definitionApplies(q.measure, q.definition) ? `${q.window}_${q.definition}` : null;
  const sql = `SELECT ${groupExpr(q.groupBy)} AS g, ${q.window}_change AS c, count(*) AS n, ${flag ? `total(${flag})` : '0'} AS r
    FROM outcome_measures
    WHERE id BETWEEN ? AND ? AND baseline_value IS NOT NULL AND ${w.sql}
    GROUP BY g, c ORDER BY g, c`;
  const rows = prepared(db, sql).raw().all(lo, hi, ...w.params) as Array<[RawKey, number | null, number, number]>;
  const out: ChangeGroup[] = [];
  let cur: ChangeGroup | null = null;
  for (const [g, c, n, r] of rows) {
    if (!cur || cur.key !== g) {
      cur = { key: g, withBaseline: 0, complete: 0, responders: 0, values: [], counts: [] };
      out.push(cur);
    }
    cur.withBaseline += n;
    cur.responders += r;
    if (c !== null) {
      cur.complete += n;
      cur.values.push(c);
      cur.counts.push(n);
    }
  }
  return out;
}

// ---- every window --------------------------------------------------------------------

export type WindowSums = { complete: number; sum: number; sumSq: number };
export type TrajectoryGroup = { key: RawKey; withBaseline: number; windows: Record<FollowUpWindow, WindowSums & { responders: number }> };

/**
 * Per group: episodes with a baseline and, for each window, the complete
 * cases' count, sum and sum of squares of change, and their responders by the
 * definition (so each window's counts can be masked as the tiles mask them).
 */
export function trajectoryByGroup(
  db: Db,
  q: { measure: OutcomeMeasure | 'mme'; definition: ResponderDefinition | null; filters: OutcomeFilters; groupBy: Grouping | null },
): TrajectoryGroup[] {
  const [lo, hi] = measureIdRange(q.measure);
  const w = whereOf(q.filters);
  const applies = q.definition !== null && definitionApplies(q.measure, q.definition);
  const cols = FOLLOW_UP_WINDOW_NAMES.map(
    (x) => `count(${x}_change), total(${x}_change), total(${x}_change * ${x}_change), ${applies ? `total(${x}_${q.definition})` : '0'}`,
  ).join(', ');
  const sql = `SELECT ${groupExpr(q.groupBy)} AS g, count(*), ${cols}
    FROM outcome_measures
    WHERE id BETWEEN ? AND ? AND baseline_value IS NOT NULL AND ${w.sql}
    GROUP BY g ORDER BY g`;
  const rows = prepared(db, sql).raw().all(lo, hi, ...w.params) as Array<Array<RawKey | number>>;
  return rows.map((r) => ({
    key: r[0] as RawKey,
    withBaseline: r[1] as number,
    windows: Object.fromEntries(
      FOLLOW_UP_WINDOW_NAMES.map((x, i) => [
        x,
        { complete: r[2 + 4 * i] as number, sum: r[3 + 4 * i] as number, sumSq: r[4 + 4 * i] as number, responders: r[5 + 4 * i] as number },
      ]),
    ) as TrajectoryGroup['windows'],
  }));
}

// ---- opioids -------------------------------------------------------------------------

/**
 * The parts the opioid figures are sums of, among episodes with a baseline
 * pain score (a baseline visit). "On opioids" = a daily MME above 0 recorded;
 * no MME recorded counts as none. A follow-up visit = a pain score or an MME
 * in the window.
 */
export const OPIOID_PARTS = [
  'offNoVisit', // not on opioids at baseline, no follow-up visit
  'offVisitOff', // not on opioids at baseline, visit, not on opioids at the window
  'offVisitOn', // not on opioids at baseline, on opioids at the window
  'onNoVisit', // on opioids at baseline, no follow-up visit
  'onVisitNoMme', // on opioids at baseline, visit without an MME recorded
  'stopped', // on opioids at baseline, MME 0 at the window
  'reducedOn', // on opioids at baseline, MME above 0 and at least 50 % lower
  'notReduced', // on opioids at baseline, MME above 0 and less than 50 % lower
] as const;
export type OpioidPart = (typeof OPIOID_PARTS)[number];

export type OpioidGroup = {
  key: RawKey;
  parts: Record<OpioidPart, number>;
  /** MME change (baseline − window) of the complete cases (on opioids at baseline, an MME at the window). */
  change: WindowSums;
};

export function opioidsByGroup(db: Db, q: { window: FollowUpWindow; filters: OutcomeFilters; groupBy: Grouping | null }): OpioidGroup[] {
  const [plo, phi] = measureIdRange('pain_nrs');
  const [mlo] = measureIdRange('mme');
  const w = whereOf(q.filters, 'p');
  const x = q.window;
  // The MME row of an episode has the same episode id in the MME key range.
  const on = `coalesce(m.baseline_value, 0) > 0`;
  const visit = `(p.${x}_value IS NOT NULL OR m.${x}_value IS NOT NULL)`;
  const sql = `SELECT ${groupExpr(q.groupBy, 'p')} AS g,
      total(NOT ${on} AND NOT ${visit}),
      total(NOT ${on} AND ${visit} AND NOT coalesce(m.${x}_value, 0) > 0),
      total(NOT ${on} AND coalesce(m.${x}_value, 0) > 0),
      total(${on} AND NOT ${visit}),
      total(${on} AND ${visit} AND m.${x}_value IS NULL),
      total(${on} AND m.${x}_value = 0),
      total(${on} AND m.${x}_value > 0 AND m.${x}_pct50 = 1),
      total(${on} AND m.${x}_value > 0 AND m.${x}_pct50 = 0),
      total(CASE WHEN ${on} THEN m.${x}_change END IS NOT NULL),
      total(CASE WHEN ${on} THEN m.${x}_change END),
      total(CASE WHEN ${on} THEN m.${x}_change * m.${x}_change END)
    FROM outcome_measures p
    LEFT JOIN outcome_measures m ON m.id = p.id - ${plo} + ${mlo}
    WHERE p.id BETWEEN ? AND ? AND p.baseline_value IS NOT NULL AND ${w.sql}
    GROUP BY g ORDER BY g`;
  const rows = prepared(db, sql).raw().all(plo, phi, ...w.params) as Array<Array<RawKey | number>>;
  return rows.map((r) => ({
    key: r[0] as RawKey,
    parts: Object.fromEntries(OPIOID_PARTS.map((p, i) => [p, r[1 + i] as number])) as Record<OpioidPart, number>,
    change: { complete: r[9] as number, sum: r[10] as number, sumSq: r[11] as number },
  }));
}

// ---- complications ---------------------------------------------------------------------

export type ComplicationGroup = { category: string; recorded: number; minor: number; major: number };

/**
 * Per treatment category: treatments given in the matching episodes that have
 * a complication status recorded (none / minor / major), and how many had a
 * minor or a major complication. One procedure session is one such treatment
 * (its add-on code lines carry no status).
 */
export function complicationsByCategory(db: Db, filters: OutcomeFilters): ComplicationGroup[] {
  const w = whereOf(filters, 'oe');
  const sql = `SELECT t.category, count(t.complication), total(t.complication = 'minor'), total(t.complication = 'major')
    FROM outcome_episodes oe
    JOIN treatments t ON t.episode_id = oe.episode_id
    WHERE ${w.sql}
    GROUP BY t.category ORDER BY t.category`;
  const rows = prepared(db, sql).raw().all(...w.params) as Array<[string, number, number, number]>;
  return rows.map(([category, recorded, minor, major]) => ({ category, recorded, minor, major }));
}

// ---- what there is to filter by ------------------------------------------------------------

export function presentValues(db: Db): {
  categories: string[];
  conditions: string[];
  codes: string[];
  providers: number[];
  sites: number[];
  firstIndexDate: string | null;
  lastIndexDate: string | null;
} {
  // One scan: the distinct combinations are few (thousands), the columns' values fewer.
  const combos = prepared(db, 'SELECT category, condition_group, code, provider_id, site_id FROM outcome_episodes GROUP BY 1, 2, 3, 4, 5')
    .raw()
    .all() as Array<[string | null, string, string | null, number, number]>;
  const distinct = <T extends string | number>(i: number) =>
    [...new Set(combos.map((c) => c[i]).filter((x): x is T => x !== null))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const span = prepared(db, 'SELECT min(start_date) AS first, max(start_date) AS last FROM episodes').get() as {
    first: string | null;
    last: string | null;
  };
  return {
    categories: distinct<string>(0),
    conditions: distinct<string>(1),
    codes: distinct<string>(2),
    providers: distinct<number>(3),
    sites: distinct<number>(4),
    firstIndexDate: span.first,
    lastIndexDate: span.last,
  };
}

/** The baseline period and windows the derived rows were made with (a practice setting; default the spec's). */
export function currentDefinitions(db: Db): OutcomeDefinitions {
  const raw = prepared(db, `SELECT value FROM outcome_state WHERE key = 'definitions'`).pluck().get() as string | undefined;
  if (!raw) return DEFAULT_DEFINITIONS;
  try {
    return JSON.parse(raw) as OutcomeDefinitions;
  } catch {
    return DEFAULT_DEFINITIONS;
  }
}
