/**
 * From grouped counts and distributions to the figures a page shows, through
 * server/stats, with small-cell suppression applied for the caller
 * (masking.ts). Every figure carries the counts it rests on.
 */
import type { Privacy } from '../../auth/privacy.ts';
import { isShown } from '../../auth/suppression.ts';
import { meanSummaryFromMoments, wilson } from '../../stats/index.ts';
import { MaskedTable, type Count } from './masking.ts';
import type { ChangeGroup, Denominator, RawKey, WindowSums } from './query.ts';
import { momentsFromCounts, quantilesFromCounts } from './values.ts';

/** A proportion with its Wilson 95 % interval; the rate is null when either count is withheld (or n = 0). */
export type ProportionFigure = { x: Count; n: Count; p: number | null; lower: number | null; upper: number | null };

/** Mean change with SD and 95 % t-interval, and the median with its quartiles. Null figures: not estimable or withheld. */
export type ChangeFigure = {
  n: Count;
  mean: number | null;
  sd: number | null;
  lower: number | null;
  upper: number | null;
  median: number | null;
  q1: number | null;
  q3: number | null;
};

export type GroupFigures = {
  key: string | null;
  label: string;
  /** Episodes matching the filters (with or without scores). */
  episodes: Count;
  /** With a baseline of the measure. */
  withBaseline: Count;
  /** Without one: left out of every change figure. */
  noBaseline: Count;
  /** With a baseline and a follow-up in the window (complete cases). */
  complete: Count;
  /** With a baseline, no follow-up in the window. */
  missingFollowUp: Count;
  /** Follow-up completeness: complete / with a baseline. */
  followUp: ProportionFigure;
  /** Change at the window, complete cases. */
  change: ChangeFigure;
  /** Responders under the chosen denominator; null when the definition does not apply to the measure. */
  responders: ProportionFigure | null;
};

export function proportion(privacy: Privacy, x: Count, n: Count): ProportionFigure {
  if (privacy.rate(x, n) === null || !isShown(x) || !isShown(n)) return { x, n, p: null, lower: null, upper: null };
  const w = wilson(x, n);
  return { x, n, p: w.p, lower: w.lower, upper: w.upper };
}

const EMPTY_CHANGE = { mean: null, sd: null, lower: null, upper: null, median: null, q1: null, q3: null };

/** Mean, SD, t-interval from sums; median and quartiles from the distribution when given. */
export function changeFigure(privacy: Privacy, n: Count, sums: WindowSums & { shift?: number }, dist?: { values: number[]; counts: number[] }): ChangeFigure {
  const m = meanSummaryFromMoments({ n: sums.complete, sum: sums.sum, sumSq: sums.sumSq, shift: sums.shift ?? 0 });
  const [q1, median, q3] = dist ? quantilesFromCounts(dist.values, dist.counts, [0.25, 0.5, 0.75]) : [null, null, null];
  const figure = { mean: m.mean, sd: m.sd, lower: m.lower, upper: m.upper, median: median ?? null, q1: q1 ?? null, q3: q3 ?? null };
  return { n, ...(privacy.statistic(n, figure) ?? EMPTY_CHANGE) };
}

/** Merges distributions (ascending distinct values) into one. */
export function mergeDistributions(parts: ReadonlyArray<{ values: number[]; counts: number[] }>): { values: number[]; counts: number[] } {
  const acc = new Map<number, number>();
  for (const p of parts) p.values.forEach((v, i) => acc.set(v, (acc.get(v) ?? 0) + p.counts[i]!));
  const values = [...acc.keys()].sort((a, b) => a - b);
  return { values, counts: values.map((v) => acc.get(v)!) };
}

/** The parts of a group's episodes (columns of the masked table). */
const NO_BASELINE = 0;
const MISSING = 1;
const RESPONDERS = 2;
const NON_RESPONDERS = 3;

/** Columns of the change table: the parts a group's episodes fall into at one window. */
export const CHANGE_PARTS = { noBaseline: NO_BASELINE, missing: MISSING, responders: RESPONDERS, nonResponders: NON_RESPONDERS } as const;
export const WITH_BASELINE = [MISSING, RESPONDERS, NON_RESPONDERS];
export const COMPLETE = [RESPONDERS, NON_RESPONDERS];

/**
 * The one masked table behind every count of episodes, baselines and
 * complete cases at a window (rows: groups). Every response that shows such
 * a count (tiles, tables, trajectory, distribution) takes it from this table,
 * built from the same rows, so they all withhold the same counts.
 */
export function changeTable(privacy: Privacy, rows: ReadonlyArray<{ episodes: number; withBaseline: number; complete: number; responders: number }>): MaskedTable {
  const cells = rows.map((c) => {
    if (c.withBaseline > c.episodes) throw new Error('derived tables out of step: more baselines than episodes');
    return [c.episodes - c.withBaseline, c.withBaseline - c.complete, c.responders, c.complete - c.responders];
  });
  return new MaskedTable(privacy, cells, 4, [WITH_BASELINE, COMPLETE].flatMap((cols) => [{ rows: 'each' as const, cols }, { rows: 'all' as const, cols }]));
}

export type GroupInput = { raw: RawKey; key: string | null; label: string; episodes: number; change: ChangeGroup | undefined };

/**
 * Figures for each group and for all of them together, masked as one table
 * (rows: groups; columns: no baseline, no follow-up, responder, non-responder).
 */
export function groupFigures(
  privacy: Privacy,
  groups: readonly GroupInput[],
  opts: { denominator: Denominator; respondersApply: boolean },
): { groups: GroupFigures[]; overall: GroupFigures; withheld: boolean } {
  const t = changeTable(
    privacy,
    groups.map((g) => ({ episodes: g.episodes, ...(g.change ?? { withBaseline: 0, complete: 0, responders: 0 }) })),
  );

  const figures = (
    counts: { episodes: Count; noBaseline: Count; missing: Count; responders: Count; withBaseline: Count; complete: Count },
    dist: { values: number[]; counts: number[] },
  ): Omit<GroupFigures, 'key' | 'label'> => {
    const sums = momentsFromCounts(dist.values, dist.counts);
    const den = opts.denominator === 'complete_case' ? counts.complete : counts.withBaseline;
    return {
      episodes: counts.episodes,
      withBaseline: counts.withBaseline,
      noBaseline: counts.noBaseline,
      complete: counts.complete,
      missingFollowUp: counts.missing,
      followUp: proportion(privacy, counts.complete, counts.withBaseline),
      change: changeFigure(privacy, counts.complete, { complete: sums.n, sum: sums.sum, sumSq: sums.sumSq, shift: sums.shift }, dist),
      responders: opts.respondersApply ? proportion(privacy, counts.responders, den) : null,
    };
  };

  const out = groups.map((g, i) => ({
    key: g.key,
    label: g.label,
    ...figures(
      {
        episodes: t.rowTotal(i),
        noBaseline: t.cell(i, NO_BASELINE),
        missing: t.cell(i, MISSING),
        responders: t.cell(i, RESPONDERS),
        withBaseline: t.sum(i, [MISSING, RESPONDERS, NON_RESPONDERS]),
        complete: t.sum(i, [RESPONDERS, NON_RESPONDERS]),
      },
      g.change ?? { values: [], counts: [] },
    ),
  }));
  const overall = {
    key: null,
    label: 'All',
    ...figures(
      {
        episodes: t.grandTotal(),
        noBaseline: t.colTotal(NO_BASELINE),
        missing: t.colTotal(MISSING),
        responders: t.colTotal(RESPONDERS),
        withBaseline: t.totalSum([MISSING, RESPONDERS, NON_RESPONDERS]),
        complete: t.totalSum([RESPONDERS, NON_RESPONDERS]),
      },
      mergeDistributions(groups.flatMap((g) => (g.change ? [g.change] : []))),
    ),
  };
  return { groups: out, overall, withheld: t.withheld };
}
