/**
 * Opioid use and complications: the figures the spec puts next to pain and
 * function (domain.md, "Change and response": opioid use; "Safety").
 */
import { carePathOfCategory, type CarePath, type FollowUpWindow, type TreatmentCategory } from '../../../db/schema/vocabulary.ts';
import type { Grouping, OutcomeFilters } from './filters.ts';
import { changeFigure, proportion, type ChangeFigure, type ProportionFigure } from './figures.ts';
import { categoryLabel, groupLabel } from './labels.ts';
import { MaskedTable, type Count } from './masking.ts';
import { OPIOID_PARTS, type Denominator, type OpioidPart } from './query.ts';
import { analyticsOf, orderGroups, type OutcomeContext } from './summary.ts';
import { outcomesPending } from './refresh.ts';

export type OpioidFigures = {
  key: string | null;
  label: string;
  /** Episodes with a baseline pain score (a baseline visit): the population of these figures. */
  withBaselineVisit: Count;
  /** Share of them on opioids at baseline (daily MME above 0 recorded). */
  onOpioidsAtBaseline: ProportionFigure;
  /** Of those with a follow-up visit in the window (a pain score or an MME), the share on opioids then. */
  onOpioidsAtWindow: ProportionFigure;
  /** MME change (baseline − window, positive = less) of episodes on opioids at baseline with an MME in the window. */
  mmeChange: ChangeFigure;
  /** MME down by at least 50 % (stopped included), of episodes on opioids at baseline: complete case or intention to treat. */
  reduced: ProportionFigure;
  /** MME 0 at the window, of the same denominator. */
  stopped: ProportionFigure;
};

export type Opioids = {
  window: FollowUpWindow;
  denominator: Denominator;
  groups: OpioidFigures[];
  overall: OpioidFigures;
  /** Whether the practice records daily MME at all; when it does not, "no MME" means unknown, not "not on opioids", and the page says so. */
  recorded: boolean;
  withheld: boolean;
  updating: boolean;
  version: number;
};

const P = Object.fromEntries(OPIOID_PARTS.map((p, i) => [p, i])) as Record<OpioidPart, number>;
const ALL = OPIOID_PARTS.map((_, i) => i);
const ON = [P.onNoVisit, P.onVisitNoMme, P.stopped, P.reducedOn, P.notReduced];
const VISIT = [P.offVisitOff, P.offVisitOn, P.onVisitNoMme, P.stopped, P.reducedOn, P.notReduced];
const ON_AT_WINDOW = [P.offVisitOn, P.reducedOn, P.notReduced];
const COMPLETE = [P.stopped, P.reducedOn, P.notReduced];
const REDUCED = [P.stopped, P.reducedOn];

export async function opioidFigures(
  ctx: OutcomeContext,
  q: { window: FollowUpWindow; denominator: Denominator; filters: OutcomeFilters; by: Grouping },
): Promise<Opioids> {
  const { version, results } = await analyticsOf(ctx).runTasks([
    ['outcomes.opioidsByGroup', { window: q.window, filters: q.filters, groupBy: q.by }],
    ['outcomes.mmeRecorded', {}],
  ] as const);
  const rows = orderGroups(
    q.by,
    results[0].map((r) => ({ raw: r.key, ...groupLabel(q.by, r.key, null), r })),
  );
  const sums = [ALL, ON, VISIT, ON_AT_WINDOW, COMPLETE, REDUCED];
  const t = new MaskedTable(
    ctx.privacy,
    rows.map(({ r }) => OPIOID_PARTS.map((p) => r.parts[p])),
    OPIOID_PARTS.length,
    sums.flatMap((cols) => [{ rows: 'each' as const, cols }, { rows: 'all' as const, cols }]),
  );
  const figures = (sum: (cols: number[]) => Count, change: { complete: number; sum: number; sumSq: number }) => {
    const on = sum(ON);
    const complete = sum(COMPLETE);
    const den = q.denominator === 'complete_case' ? complete : on;
    return {
      withBaselineVisit: sum(ALL),
      onOpioidsAtBaseline: proportion(ctx.privacy, on, sum(ALL)),
      onOpioidsAtWindow: proportion(ctx.privacy, sum(ON_AT_WINDOW), sum(VISIT)),
      mmeChange: changeFigure(ctx.privacy, complete, change),
      reduced: proportion(ctx.privacy, sum(REDUCED), den),
      stopped: proportion(ctx.privacy, sum([P.stopped]), den),
    };
  };
  const groups = rows.map((g, i) => ({ key: g.key, label: g.label, ...figures((cols) => t.sum(i, cols), g.r.change) }));
  const total = rows.reduce((s, { r }) => ({ complete: s.complete + r.change.complete, sum: s.sum + r.change.sum, sumSq: s.sumSq + r.change.sumSq }), {
    complete: 0,
    sum: 0,
    sumSq: 0,
  });
  const overall = { key: null, label: 'All', ...figures((cols) => t.totalSum(cols), total) };
  return { window: q.window, denominator: q.denominator, groups, overall, recorded: results[1], withheld: t.withheld, updating: !outcomesPending(ctx.db).consistent, version };
}

// ---- complications -------------------------------------------------------------------

export type ComplicationFigures = {
  key: string;
  label: string;
  carePath: CarePath;
  /** Treatments with a complication status recorded (one per procedure session). */
  treatments: Count;
  minor: ProportionFigure;
  major: ProportionFigure;
  /** Minor or major (one status per treatment, so the two add up). */
  any: ProportionFigure;
};
export type Complications = {
  byCategory: ComplicationFigures[];
  byCarePath: ComplicationFigures[];
  overall: Omit<ComplicationFigures, 'carePath'>;
  withheld: boolean;
  version: number;
};

/**
 * Complication rates per treatment given in the matching episodes, by the
 * treatment's category and by its care path (interventional categories are
 * procedures, the others conservative care, whose adverse events are recorded
 * as complications of its treatments), with Wilson intervals.
 */
export async function complicationFigures(ctx: OutcomeContext, filters: OutcomeFilters): Promise<Complications> {
  const { version, results } = await analyticsOf(ctx).runTasks([['outcomes.complicationsByCategory', { filters }]] as const);
  const rows = results[0].filter((r) => r.recorded > 0);
  // Columns: none, minor, major. Rows: categories grouped by path, so a path's figures are sums of its rows.
  const byPath = (['interventional', 'conservative'] as const).map((path) =>
    rows.map((r, i) => (carePathOfCategory(r.category as TreatmentCategory) === path ? i : -1)).filter((i) => i >= 0),
  );
  const t = new MaskedTable(
    ctx.privacy,
    rows.map((r) => [r.recorded - r.minor - r.major, r.minor, r.major]),
    3,
    [
      { rows: 'each' as const, cols: [1, 2] },
      { rows: 'all' as const, cols: [1, 2] },
      ...byPath.filter((idx) => idx.length > 0).flatMap((idx) => [[0, 1, 2], [1], [2], [1, 2]].map((cols) => ({ rows: idx, cols }))),
    ],
  );
  const figure = (total: Count, minor: Count, major: Count, any: Count) => ({
    treatments: total,
    minor: proportion(ctx.privacy, minor, total),
    major: proportion(ctx.privacy, major, total),
    any: proportion(ctx.privacy, any, total),
  });
  const byCategory = rows.map((r, i) => ({
    key: r.category,
    label: categoryLabel(r.category),
    carePath: carePathOfCategory(r.category as TreatmentCategory),
    ...figure(t.rowTotal(i), t.cell(i, 1), t.cell(i, 2), t.sum(i, [1, 2])),
  }));
  const byCarePath = (['interventional', 'conservative'] as const).flatMap((path) => {
    const idx = rows.map((r, i) => (carePathOfCategory(r.category as TreatmentCategory) === path ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) return [];
    const all = [0, 1, 2];
    return [
      {
        key: path,
        label: path === 'interventional' ? 'Procedures (interventional)' : 'Conservative treatments',
        carePath: path,
        ...figure(t.sumOver(idx, all), t.sumOver(idx, [1]), t.sumOver(idx, [2]), t.sumOver(idx, [1, 2])),
      },
    ];
  });
  const overall = { key: 'all', label: 'All treatments', ...figure(t.grandTotal(), t.colTotal(1), t.colTotal(2), t.totalSum([1, 2])) };
  return {
    byCategory: orderGroups('category', byCategory.map((c) => ({ ...c, raw: c.key }))).map(({ raw: _r, ...c }) => c),
    byCarePath,
    overall,
    withheld: t.withheld,
    version,
  };
}

