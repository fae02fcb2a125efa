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
import { changeFigure, groupFigures, type ChangeFigure, type GroupFigures } from './figures.ts';
import { groupLabel, loadNames, type Names } from './labels.ts';
import { MaskedTable, type Count } from './masking.ts';
import {
  changeByGroup,
  definitionApplies,
  episodesByGroup,
  readConsistent,
  trajectoryByGroup,
  type Denominator,
  type OutcomeMeasure,
  type RawKey,
  type ResponderDefinition,
} from './query.ts';
import { histogram } from './values.ts';

export type OutcomeContext = { db: Db; privacy: Privacy };

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
};

/** Change and response at one window, per group of `by` and overall. */
export function outcomeBreakdown(ctx: OutcomeContext, q: OutcomeQuery & { by: Grouping }): Breakdown {
  const respondersApply = definitionApplies(q.measure, q.definition);
  return readConsistent(ctx.db, () => {
    const episodes = episodesByGroup(ctx.db, q.filters, q.by);
    const changes = new Map(
      changeByGroup(ctx.db, { measure: q.measure, window: q.window, definition: q.definition, filters: q.filters, groupBy: q.by }).map((g) => [g.key, g]),
    );
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
    };
  });
}

// ---- trajectory ----------------------------------------------------------------------

export type TrajectoryPoint = { window: FollowUpWindow; targetDay: number; withBaseline: Count; change: ChangeFigure };
export type TrajectorySeries = { key: string | null; label: string; points: TrajectoryPoint[] };
export type Trajectory = { measure: OutcomeMeasure; by: Grouping; series: TrajectorySeries[]; updating: boolean };

/**
 * Mean change from baseline with its 95 % t-interval at every window, per
 * group (care path by default): complete cases at each window, so n differs
 * from window to window and is given at each.
 */
export function outcomeTrajectory(
  ctx: OutcomeContext,
  q: { measure: OutcomeMeasure; filters: OutcomeFilters; by: Grouping },
  windows: Record<FollowUpWindow, { target: number }>,
): Trajectory {
  return readConsistent(ctx.db, () => {
    const episodes = episodesByGroup(ctx.db, q.filters, q.by);
    const rows = new Map(trajectoryByGroup(ctx.db, { measure: q.measure, filters: q.filters, groupBy: q.by }).map((r) => [r.key, r]));
    const names = q.by === 'provider' || q.by === 'site' ? loadNames(ctx.db) : null;
    const groups = orderGroups(q.by, [...episodes].map(([raw, n]) => ({ raw, ...groupLabel(q.by, raw, names), episodes: n, row: rows.get(raw) })));
    // The complete cases at each window are masked exactly as the tiles mask them for that window
    // (rows: groups; columns: no baseline, no follow-up, followed up), so no window's count
    // shows what another response withholds.
    const series: TrajectorySeries[] = groups.map((g) => ({ key: g.key, label: g.label, points: [] }));
    for (const w of FOLLOW_UP_WINDOW_NAMES) {
      const cells = groups.map((g) => {
        const b = g.row?.withBaseline ?? 0;
        const c = g.row?.windows[w].complete ?? 0;
        return [g.episodes - b, b - c, c];
      });
      const t = new MaskedTable(ctx.privacy, cells, 3, [{ rows: 'each', cols: [1, 2] }]);
      groups.forEach((g, i) => {
        const sums = g.row?.windows[w] ?? { complete: 0, sum: 0, sumSq: 0 };
        series[i]!.points.push({
          window: w,
          targetDay: windows[w].target,
          withBaseline: t.sum(i, [1, 2]),
          change: changeFigure(ctx.privacy, t.cell(i, 2), sums),
        });
      });
    }
    return { measure: q.measure, by: q.by, series, updating: updating(ctx.db) };
  });
}

// ---- distribution -----------------------------------------------------------------------

/** Histogram bin widths: whole points for pain, 5 ODI points, 2 T-score points. */
export const BIN_WIDTH: Record<OutcomeMeasure, number> = { pain_nrs: 1, odi: 5, promis_pi: 2, promis_pf: 2 };

export type DistributionSeries = {
  key: string | null;
  label: string;
  /** Complete cases (the histogram's total). */
  n: Count;
  /** Per bin: the count and its share of n (null when withheld). */
  bins: Array<{ count: Count; share: number | null }>;
};
export type Distribution = {
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  binWidth: number;
  /** Bin edges, shared by every series: [from, to) (the end bins also hold anything beyond). */
  edges: Array<{ from: number; to: number }>;
  series: DistributionSeries[];
  /** Small-cell suppression withheld every bin. */
  withheld: boolean;
  updating: boolean;
};

/** The distribution of change at a window (complete cases), per care path. */
export function outcomeDistribution(ctx: OutcomeContext, q: { measure: OutcomeMeasure; window: FollowUpWindow; filters: OutcomeFilters; by: Grouping }): Distribution {
  const width = BIN_WIDTH[q.measure];
  const range = MEASURES[q.measure].max - MEASURES[q.measure].min;
  return readConsistent(ctx.db, () => {
    const changes = changeByGroup(ctx.db, { measure: q.measure, window: q.window, definition: null, filters: q.filters, groupBy: q.by });
    const names = q.by === 'provider' || q.by === 'site' ? loadNames(ctx.db) : null;
    const groups = orderGroups(
      q.by,
      changes.filter((g) => g.complete > 0).map((g) => ({ raw: g.key, ...groupLabel(q.by, g.key, names), g })),
    );
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
    const t = new MaskedTable(ctx.privacy, hists.map((h) => h.map((b) => b.count)), edges.length);
    const series = groups.map((grp, i) => {
      const n = t.rowTotal(i);
      return {
        key: grp.key,
        label: grp.label,
        n,
        bins: edges.map((_, j) => {
          const count = t.cell(i, j);
          return { count, share: isShown(count) ? ctx.privacy.rate(count, n) : null };
        }),
      };
    });
    return { measure: q.measure, window: q.window, binWidth: width, edges, series, withheld: t.withheld, updating: updating(ctx.db) };
  });
}

export type { Names };
