/**
 * The outcome figures of the Outcomes page: change and response at a window by
 * any grouping (tiles by care path, the tables by category and condition), the
 * trajectory over every window, and the distribution of change. Each reads its
 * sums in one scan (query.ts), in one read transaction, and masks its counts
 * for the caller (masking.ts).
 */
import type { Db } from '../../../db/index.ts';
import { AGE_BANDS } from './derive-rules.ts';
import {
  CARE_PATHS,
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  MEASURES,
  SEXES,
  TREATMENT_CATEGORIES,
  type FollowUpWindow,
} from '../../../db/schema/vocabulary.ts';
import type { Privacy } from '../../auth/privacy.ts';
import { isShown } from '../../auth/suppression.ts';
import { outcomesPending } from './refresh.ts';
import type { Grouping, OutcomeFilters } from './filters.ts';
import { changeFigure, changeTable, COMPLETE, groupFigures, WITH_BASELINE, type ChangeFigure, type GroupFigures } from './figures.ts';
import { groupLabel, loadNames, type Names } from './labels.ts';
import { MaskedTable, type Count } from './masking.ts';
import { inProcessAnalytics, type Analytics } from '../analytics/runtime.ts';
import {
  definitionApplies,
  type Denominator,
  type OutcomeMeasure,
  type RawKey,
  type ResponderDefinition,
} from './query.ts';
import { histogram } from './values.ts';

/**
 * What a figure needs: the database (names, "updating"), the caller's privacy,
 * and where the analytic tasks run (the server's worker; in-process on `db`
 * when absent, as in tests).
 */
export type OutcomeContext = { db: Db; privacy: Privacy; analytics?: Analytics };

export function analyticsOf(ctx: OutcomeContext): Analytics {
  return ctx.analytics ?? inProcessAnalytics(ctx.db);
}

type ChangeInput = { measure: OutcomeMeasure; window: FollowUpWindow; definition: ResponderDefinition; filters: OutcomeFilters; by: Grouping };

/**
 * The episodes and the change at the window per group, from one state of the
 * store. Inputs are spelled the same way by every caller, so the tiles, the
 * tables and the histogram of one page state share the two scans (the runner
 * keeps results per store version).
 */
async function episodesAndChanges(ctx: OutcomeContext, q: ChangeInput) {
  const { version, results } = await analyticsOf(ctx).runTasks([
    ['outcomes.episodesAndChange', { measure: q.measure, window: q.window, definition: q.definition, filters: q.filters, groupBy: q.by }],
  ] as const);
  return { version, episodes: new Map(results[0].episodes), changes: new Map(results[0].changes.map((g) => [g.key, g])) };
}

export type OutcomeQuery = {
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  definition: ResponderDefinition;
  denominator: Denominator;
  filters: OutcomeFilters;
};

/** Whether the derived tables still have episodes to bring up to date (the page says "figures updating"). */
function updating(db: Db): boolean {
  return !outcomesPending(db).consistent;
}

const ENUM_ORDER: Partial<Record<Grouping, readonly string[]>> = {
  care_path: CARE_PATHS,
  category: TREATMENT_CATEGORIES,
  condition: CONDITION_GROUP_NAMES,
  sex: SEXES,
  age_band: AGE_BANDS.map((b) => b.label),
};

/** Groups in the order a reader expects: vocabulary order for enumerations, time for periods, names for people and places. */
export function orderGroups<T extends { raw: RawKey; label: string }>(grouping: Grouping | null, groups: T[]): T[] {
  const order = grouping ? ENUM_ORDER[grouping] : undefined;
  const rank = (g: T) => (g.raw === null ? Number.POSITIVE_INFINITY : order ? order.indexOf(String(g.raw)) : 0);
  return [...groups].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0 || order) return r;
    if (grouping === 'month' || grouping === 'quarter' || grouping === 'year' || grouping === 'code') return String(a.raw) < String(b.raw) ? -1 : 1;
    return a.label.localeCompare(b.label);
  });
}

export type Breakdown = {
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  definition: ResponderDefinition;
  denominator: Denominator;
  by: Grouping;
  /** False when the spec defines no such response for the measure (ODI and PROMIS: the MCID only). */
  respondersApply: boolean;
  groups: GroupFigures[];
  overall: GroupFigures;
  /** Small-cell suppression withheld the table's cells (see masking.ts). */
  withheld: boolean;
  updating: boolean;
  /** The change-log position of the derived rows these figures describe (outcome_changes seq). */
  version: number;
};

/** Change and response at one window, per group of `by` and overall. */
export async function outcomeBreakdown(ctx: OutcomeContext, q: OutcomeQuery & { by: Grouping }): Promise<Breakdown> {
  const respondersApply = definitionApplies(q.measure, q.definition);
  const { version, episodes, changes } = await episodesAndChanges(ctx, q);
  const names = q.by === 'provider' || q.by === 'site' ? loadNames(ctx.db) : null;
  const groups = orderGroups(
    q.by,
    [...episodes].map(([raw, n]) => ({ raw, ...groupLabel(q.by, raw, names), episodes: n, change: changes.get(raw) })),
  );
  const f = groupFigures(ctx.privacy, groups, { denominator: q.denominator, respondersApply });
  return {
    measure: q.measure,
    window: q.window,
    definition: q.definition,
    denominator: q.denominator,
    by: q.by,
    respondersApply,
    groups: f.groups,
    overall: f.overall,
    withheld: f.withheld,
    updating: updating(ctx.db),
    version,
  };
}

// ---- trajectory ----------------------------------------------------------------------

export type TrajectoryPoint = { window: FollowUpWindow; targetDay: number; withBaseline: Count; change: ChangeFigure };
export type TrajectorySeries = { key: string | null; label: string; points: TrajectoryPoint[] };
export type Trajectory = { measure: OutcomeMeasure; by: Grouping; series: TrajectorySeries[]; updating: boolean; version: number };

/**
 * Mean change from baseline with its 95 % t-interval at every window, per
 * group (care path by default): complete cases at each window, so n differs
 * from window to window and is given at each.
 */
export async function outcomeTrajectory(
  ctx: OutcomeContext,
  q: { measure: OutcomeMeasure; definition: ResponderDefinition; filters: OutcomeFilters; by: Grouping },
  windows: Record<FollowUpWindow, { target: number }>,
): Promise<Trajectory> {
  const { version, results } = await analyticsOf(ctx).runTasks([
    ['outcomes.episodesByGroup', { filters: q.filters, groupBy: q.by }],
    ['outcomes.trajectoryByGroup', { measure: q.measure, definition: q.definition, filters: q.filters, groupBy: q.by }],
  ] as const);
  const episodes = new Map(results[0]);
  const rows = new Map(results[1].map((r) => [r.key, r]));
  const names = q.by === 'provider' || q.by === 'site' ? loadNames(ctx.db) : null;
  const groups = orderGroups(q.by, [...episodes].map(([raw, n]) => ({ raw, ...groupLabel(q.by, raw, names), episodes: n, row: rows.get(raw) })));
  // The counts at each window come from the same masked table as the tiles' for that window
  // and definition (changeTable), so no response shows a count another withholds.
  const series: TrajectorySeries[] = groups.map((g) => ({ key: g.key, label: g.label, points: [] }));
  for (const w of FOLLOW_UP_WINDOW_NAMES) {
    const t = changeTable(
      ctx.privacy,
      groups.map((g) => ({
        episodes: g.episodes,
        withBaseline: g.row?.withBaseline ?? 0,
        complete: g.row?.windows[w].complete ?? 0,
        responders: g.row?.windows[w].responders ?? 0,
      })),
    );
    groups.forEach((g, i) => {
      const sums = g.row?.windows[w] ?? { complete: 0, sum: 0, sumSq: 0 };
      series[i]!.points.push({
        window: w,
        targetDay: windows[w].target,
        withBaseline: t.sum(i, WITH_BASELINE),
        change: changeFigure(ctx.privacy, t.sum(i, COMPLETE), sums),
      });
    });
  }
  return { measure: q.measure, by: q.by, series, updating: updating(ctx.db), version };
}

// ---- distribution -----------------------------------------------------------------------

/** Histogram bin widths: whole points for pain, 5 ODI points, 2 T-score points. */
export const BIN_WIDTH: Record<OutcomeMeasure, number> = { pain_nrs: 1, odi: 5, promis_pi: 2, promis_pf: 2 };

export type DistributionSeries = {
  key: string | null;
  label: string;
  /** Complete cases (the histogram's total). */
  n: Count;
  /** Per bin: the count and its share of n (null when withheld). Empty when the series is withheld. */
  bins: Array<{ count: Count; share: number | null }>;
  /** Small-cell suppression withheld this series (its n is withheld elsewhere, or its bins could not be shown safely). */
  withheld: boolean;
};
export type Distribution = {
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  binWidth: number;
  /** Bin edges, shared by every series: [from, to) (the end bins also hold anything beyond). */
  edges: Array<{ from: number; to: number }>;
  series: DistributionSeries[];
  updating: boolean;
  version: number;
};

/** The distribution of change at a window (complete cases), per care path. */
export async function outcomeDistribution(
  ctx: OutcomeContext,
  q: { measure: OutcomeMeasure; window: FollowUpWindow; definition: ResponderDefinition; filters: OutcomeFilters; by: Grouping },
): Promise<Distribution> {
  const width = BIN_WIDTH[q.measure];
  const range = MEASURES[q.measure].max - MEASURES[q.measure].min;
  const { version, episodes, changes } = await episodesAndChanges(ctx, q);
  const names = q.by === 'provider' || q.by === 'site' ? loadNames(ctx.db) : null;
  const all = orderGroups(
    q.by,
    [...episodes].map(([raw, n]) => ({
      raw,
      ...groupLabel(q.by, raw, names),
      episodes: n,
      g: changes.get(raw) ?? { key: raw, withBaseline: 0, complete: 0, responders: 0, values: [], counts: [] },
    })),
  );
  // n of each series is the complete count of the tiles' table (changeTable): shown there, or withheld here too.
  const table = changeTable(ctx.privacy, all.map(({ episodes: e, g }) => ({ episodes: e, withBaseline: g.withBaseline, complete: g.complete, responders: g.responders })));
  const groups = all.map((x, i) => ({ ...x, n: table.sum(i, COMPLETE) })).filter((x) => x.g.complete > 0);
  // Bins span the changes that occur (at least -2..+2 bins around 0), within the scale's range.
  let lo = -2 * width;
  let hi = 2 * width;
  for (const { g } of groups) {
    if (g.values.length) {
      lo = Math.min(lo, g.values[0]!);
      hi = Math.max(hi, g.values[g.values.length - 1]!);
    }
  }
  lo = Math.max(lo, -range);
  hi = Math.min(hi, range);
  const hists = groups.map(({ g }) => histogram(g.values, g.counts, width, lo, hi));
  const edges = (hists[0] ?? histogram([], [], width, lo, hi)).map((b) => ({ from: b.from, to: b.to }));
  const series = groups.map((grp, i): DistributionSeries => {
    const withheld = { key: grp.key, label: grp.label, n: grp.n, bins: [], withheld: true };
    if (!isShown(grp.n)) return withheld;
    // The bins of one series sum to its n, published above: masked as a line with that total.
    const line = ctx.privacy.line(hists[i]!.map((b) => b.count), { total: true });
    if (!isShown(line.total!)) return withheld;
    const n = grp.n;
    return { key: grp.key, label: grp.label, n, withheld: false, bins: line.cells.map((count) => ({ count, share: isShown(count) ? ctx.privacy.rate(count, n) : null })) };
  });
  return { measure: q.measure, window: q.window, binWidth: width, edges, series, updating: updating(ctx.db), version };
}

export type { Names };
