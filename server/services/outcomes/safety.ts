/**
 * Opioid use and complications: the figures the spec puts next to pain and
 * function (domain.md, "Change and response": opioid use; "Safety").
 */
import { carePathOfCategory, type CarePath, type FollowUpWindow, type TreatmentCategory } from '../../../db/schema/vocabulary.ts';
import type { Grouping, OutcomeFilters } from './filters.ts';
import { changeFigure, proportion, type ChangeFigure, type ProportionFigure } from './figures.ts';
import { categoryLabel, groupLabel } from './labels.ts';
import { MaskedTable, sumOfParts, type Count } from './masking.ts';
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
  // One table per care path: rows its categories, columns none / minor / major. A path's figures are the
  // table's column totals and grand total, so they are masked with its rows (complementary suppression
  // keeps a small category count from being worked out of them) and shown whenever they are not small
  // themselves, rather than withheld as soon as one category's count is. Published sums besides the
  // margins: each category's and the path's minor + major.
  const paths = (['interventional', 'conservative'] as const).map((path) => {
    const of = rows.filter((r) => carePathOfCategory(r.category as TreatmentCategory) === path);
    const t = new MaskedTable(
      ctx.privacy,
      of.map((r) => [r.recorded - r.minor - r.major, r.minor, r.major]),
      3,
      [{ rows: 'each', cols: [1, 2] }, { rows: 'all', cols: [1, 2] }],
    );
    return { path, rows: of, t };
  });
  const figure = (total: Count, minor: Count, major: Count, any: Count) => ({
    treatments: total,
    minor: proportion(ctx.privacy, minor, total),
    major: proportion(ctx.privacy, major, total),
    any: proportion(ctx.privacy, any, total),
  });
  const byCategory = paths.flatMap(({ path, rows: of, t }) =>
    of.map((r, i) => ({
      key: r.category,
      label: categoryLabel(r.category),
      carePath: path,
      ...figure(t.rowTotal(i), t.cell(i, 1), t.cell(i, 2), t.sum(i, [1, 2])),
    })),
  );
  const present = paths.filter((p) => p.rows.length > 0);
  const byCarePath = present.map(({ path, t }) => ({
    key: path,
    label: path === 'interventional' ? 'Procedures (interventional)' : 'Conservative treatments',
    carePath: path,
    ...figure(t.grandTotal(), t.colTotal(1), t.colTotal(2), t.totalSum([1, 2])),
  }));
  // All treatments: the paths' figures added up (shown when every path's is).
  const total = (count: (t: MaskedTable) => Count, truth: (r: (typeof rows)[number]) => number) =>
    sumOfParts(ctx.privacy, present.map((p) => count(p.t)), rows.reduce((s, r) => s + truth(r), 0));
  const overall = {
    key: 'all',
    label: 'All treatments',
    ...figure(
      total((t) => t.grandTotal(), (r) => r.recorded),
      total((t) => t.colTotal(1), (r) => r.minor),
      total((t) => t.colTotal(2), (r) => r.major),
      total((t) => t.totalSum([1, 2]), (r) => r.minor + r.major),
    ),
  };
  return {
    byCategory: orderGroups('category', byCategory.map((c) => ({ ...c, raw: c.key }))).map(({ raw: _r, ...c }) => c),
    byCarePath,
    overall,
    withheld: paths.some((p) => p.t.withheld),
    version,
  };
}

