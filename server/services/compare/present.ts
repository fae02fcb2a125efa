/**
 * The comparison as the API returns it: the computed figures (compute.ts)
 * with the caller's small-cell rules applied (server/auth/privacy.ts). For
 * practice managers and researchers every count of 1-10 is shown as "<11"
 * with complementary suppression inside each table, and no mean, difference,
 * curve point or estimate of fewer than 11 episodes is published; physicians
 * and administrators get the same shapes with everything shown.
 *
 * Tables masked together:
 * - per path: responders / non-responders / no follow-up, with the row totals
 *   (episodes with a baseline); "complete cases" is published only when both
 *   of its cells are shown;
 * - per path: episodes with / without a complication (and a major one);
 * - subgroups x path for each subgroup family;
 * - Kaplan-Meier: curves end where fewer than 11 episodes remain at risk, and
 *   the numbers at risk under the plot are masked as counts.
 */
import type { Privacy } from '../../auth/privacy.ts';
import { isShown, type Count } from '../../auth/suppression.ts';
import { adjustedWarnings, type AdjustedComparison, type CrudeComparison, type DurabilityResult, type KmCurve, type MatchedComparison, type SubgroupFamily } from './compute.ts';

const both = (p: Privacy, a: Count, b: Count) => (x: number | null) => (p.statistic(a, 1) !== null && p.statistic(b, 1) !== null ? x : null);

export type Interval = { estimate: number | null; lower: number | null; upper: number | null };

export interface ArmOut {
  withBaseline: Count;
  complete: Count | null;
  responders: Count | null;
  noFollowUp: Count;
  mean: number | null;
  sd: number | null;
  lower: number | null;
  upper: number | null;
  baselineMean: number | null;
}

export interface CrudeOut {
  interventional: ArmOut;
  conservative: ArmOut;
  difference: (Interval & { se: number | null; df: number | null; p: number | null }) | null;
  hedges: Interval | null;
  ancova: (Interval & { se: number; p: number; df: number }) | null;
  responders: {
    riskDifference: Interval;
    relativeRisk: Interval;
    nnt: { kind: 'NNTB' | 'NNTH'; nnt: number; lower: number; upper: number } | null;
    p1: number | null;
    p0: number | null;
  } | null;
  complications: { any: ComplicationOut; major: ComplicationOut };
}

export interface ComplicationOut {
  x1: Count;
  n1: Count;
  x0: Count;
  n0: Count;
  p1: number | null;
  p0: number | null;
  riskDifference: Interval;
  relativeRisk: Interval;
}

export function presentCrude(c: CrudeComparison, p: Privacy): CrudeOut {
  const hasResp = c.interventional.responders !== null;
  const cells = [c.interventional, c.conservative].map((a) => {
    const resp = a.responders ?? 0;
    return hasResp ? [resp, a.complete - resp, a.withBaseline - a.complete] : [a.complete, a.withBaseline - a.complete];
  });
  const t = p.table({ cells, rowTotals: true });
  const arm = (k: 0 | 1, a: CrudeComparison['interventional']): ArmOut => {
    const row = t.cells[k]!;
    const complete: Count | null = hasResp ? (isShown(row[0]!) && isShown(row[1]!) ? (row[0] as number) + (row[1] as number) : null) : row[0]!;
    const n = complete ?? { suppressed: 'complementary', display: '—' };
    return {
      withBaseline: t.rowTotals![k]!,
      complete,
      responders: hasResp ? row[0]! : null,
      noFollowUp: row[hasResp ? 2 : 1]!,
      mean: p.statistic(n, a.change.mean),
      sd: p.statistic(n, a.change.sd),
      lower: p.statistic(n, a.change.lower),
      upper: p.statistic(n, a.change.upper),
      baselineMean: p.statistic(t.rowTotals![k]!, a.baselineMean),
    };
  };
  const a1 = arm(0, c.interventional);
  const a0 = arm(1, c.conservative);
  const nn = (a: ArmOut): Count => a.complete ?? { suppressed: 'complementary', display: '—' };
  const gate = both(p, nn(a1), nn(a0));
  const d = c.difference;
  const difference = d.diff === null ? null : { estimate: gate(d.diff), lower: gate(d.lower), upper: gate(d.upper), se: gate(d.se), df: gate(d.df), p: gate(d.p) };
  const hedges = c.hedges.g === null ? null : { estimate: gate(c.hedges.g), lower: gate(c.hedges.lower), upper: gate(c.hedges.upper) };
  const ancova = c.ancova && gate(1) !== null ? { estimate: c.ancova.estimate, lower: c.ancova.lower, upper: c.ancova.upper, se: c.ancova.se, p: c.ancova.p, df: c.ancova.df } : null;
  let responders: CrudeOut['responders'] = null;
  if (c.responders) {
    // The responder denominators are shown counts (complete cases or episodes with a baseline): gate on them.
    const r = c.responders;
    const den1: Count = r.n1 === c.interventional.complete ? nn(a1) : a1.withBaseline;
    const den0: Count = r.n0 === c.conservative.complete ? nn(a0) : a0.withBaseline;
    const g = both(p, den1, den0);
    const shownResp = a1.responders !== null && isShown(a1.responders) && a0.responders !== null && isShown(a0.responders);
    const ok = (x: number | null) => (shownResp ? g(x) : null);
    responders = {
      riskDifference: { estimate: ok(r.rd.diff), lower: ok(r.rd.lower), upper: ok(r.rd.upper) },
      relativeRisk: { estimate: ok(r.rr.rr), lower: ok(r.rr.lower), upper: ok(r.rr.upper) },
      nnt: r.nnt && ok(r.nnt.nnt) !== null ? { kind: r.nnt.kind, nnt: r.nnt.nnt, lower: r.nnt.lower, upper: r.nnt.upper } : null,
      p1: ok(r.rd.p1),
      p0: ok(r.rd.p2),
    };
  }
  const comp = (x: CrudeComparison['complications']['any']): ComplicationOut => {
    const m = p.table({ cells: [[x.x1, x.n1 - x.x1], [x.x0, x.n0 - x.x0]], rowTotals: true });
    const [x1, n1, x0, n0] = [m.cells[0]![0]!, m.rowTotals![0]!, m.cells[1]![0]!, m.rowTotals![1]!];
    const ok = (v: number | null) => (isShown(x1) && isShown(x0) ? both(p, n1, n0)(v) : null);
    return {
      x1, n1, x0, n0, p1: p.rate(x1, n1), p0: p.rate(x0, n0),
      riskDifference: { estimate: ok(x.rd.diff), lower: ok(x.rd.lower), upper: ok(x.rd.upper) },
      relativeRisk: { estimate: ok(x.rr.rr), lower: ok(x.rr.lower), upper: ok(x.rr.upper) },
    };
  };
  return { interventional: a1, conservative: a0, difference, hedges, ancova, responders, complications: { any: comp(c.complications.any), major: comp(c.complications.major) } };
}

export interface AdjustedOut extends Omit<AdjustedComparison, 'n1' | 'n0' | 'excludedMissingCovariates' | 'durationRecorded' | 'completeCases' | 'overlap' | 'weights' | 'balance' | 'noCounterpart'> {
  n1: Count;
  n0: Count;
  excludedMissingCovariates: Count;
  durationRecorded: Count;
  completeCases: Count;
  weights: (NonNullable<AdjustedComparison['weights']>) | null;
  overlap: { treated: { min: number; max: number }; control: { min: number; max: number }; commonSupport: [number, number] | null; outsideTreated: Count; outsideControl: Count; outsideShare: number } | null;
  balance: AdjustedComparison['balance'];
}

export function presentAdjusted(a: AdjustedComparison, p: Privacy): AdjustedOut {
  const n = p.independent({ n1: a.n1, n0: a.n0, excluded: a.excludedMissingCovariates });
  // Complete cases with and without a recorded pain duration, and all of them: a line with its total, so that no
  // small count follows from the two shown.
  const line = p.line([a.durationRecorded, a.completeCases - a.durationRecorded], { total: true });
  const d = { recorded: line.cells[0]!, complete: line.total! };
  const ok = p.statistic(n.n1, 1) !== null && p.statistic(n.n0, 1) !== null;
  const out = (<T>(v: T) => (ok ? v : null));
  const ov = a.overlap;
  const outside = ov ? p.independent({ t: ov.outsideTreated, c: ov.outsideControl }) : null;
  const { noCounterpart, ...rest } = a;
  void noCounterpart;
  const masked = (x: number) => {
    const c = p.independent({ x }).x;
    return isShown(c) ? c.toLocaleString('en-US') : c.display;
  };
  return {
    ...rest,
    warnings: ok ? adjustedWarnings(a, masked) : [],
    n1: n.n1, n0: n.n0, excludedMissingCovariates: n.excluded, durationRecorded: d.recorded, completeCases: d.complete,
    status: ok ? a.status : 'not_estimable',
    reason: ok ? a.reason : (a.reason ?? 'Fewer than the minimum number of episodes on a path for your role.'),
    propensity: out(a.propensity),
    weights: out(a.weights),
    overlap: ov && outside && ok
      ? { treated: { min: ov.treated.min, max: ov.treated.max }, control: { min: ov.control.min, max: ov.control.max }, commonSupport: ov.commonSupport, outsideTreated: outside.t, outsideControl: outside.c, outsideShare: ov.outsideShare }
      : null,
    balance: ok ? a.balance : [],
    ipw: out(a.ipw),
    doublyRobust: out(a.doublyRobust),
    responders: out(a.responders),
    settled: ok && a.settled,
  };
}

export interface SubgroupOut {
  adjusted: boolean;
  families: {
    by: SubgroupFamily['by'];
    rows: { key: string; label: string; n1: Count; n0: Count; estimate: number | null; lower: number | null; upper: number | null; small: boolean }[];
    interaction: SubgroupFamily['interaction'];
  }[];
}

export function presentSubgroups(s: { adjusted: boolean; families: SubgroupFamily[] }, p: Privacy): SubgroupOut {
  return {
    adjusted: s.adjusted,
    families: s.families.map((f) => {
      const m = f.rows.length > 0 ? p.table({ cells: f.rows.map((r) => [r.n1, r.n0]) }) : { cells: [] as Count[][] };
      const rows = f.rows.map((r, j) => {
        const [n1, n0] = m.cells[j]! as [Count, Count];
        const g = both(p, n1, n0);
        return { key: r.key, label: r.label, n1, n0, estimate: g(r.estimate), lower: g(r.lower), upper: g(r.upper), small: r.small };
      });
      // The interaction test uses every subgroup; with any estimate withheld it would reveal nothing new, but keep it only when all are shown.
      const interaction = rows.every((r) => r.estimate !== null || f.rows.find((x) => x.key === r.key)!.estimate === null) ? f.interaction : null;
      return { by: f.by, rows, interaction };
    }),
  };
}

export interface CurveOut {
  key: string;
  label: string;
  n: Count;
  events: Count;
  time: number[];
  surv: number[];
  lower: (number | null)[];
  upper: (number | null)[];
  atRisk: { day: number; n: Count }[];
  median: KmCurve['median'] | null;
  /** Day after which the curve is not shown (fewer than the threshold at risk), or null. */
  cutAt: number | null;
}

export interface DurabilityOut {
  applies: boolean;
  n: Count;
  events: Count;
  byPath: CurveOut[];
  logRank: DurabilityResult['logRank'];
  byCategory: CurveOut[];
  logRankCategory: DurabilityResult['logRankCategory'];
}

function presentCurve(c: KmCurve, p: Privacy): CurveOut {
  const counts = p.independent({ n: c.n, events: c.events });
  const shown = p.statistic(counts.n, 1) !== null;
  let end = c.time.length;
  let cutAt: number | null = null;
  if (p.suppress) {
    const k = c.nRisk.findIndex((r) => r < p.threshold);
    if (k >= 0) {
      end = k;
      cutAt = c.time[k]!;
    }
  }
  const atRisk = c.atRisk.map((a) => ({ day: a.day, n: p.line([a.n], { total: false }).cells[0]! }));
  return {
    key: c.key, label: c.label, n: counts.n, events: counts.events,
    time: shown ? c.time.slice(0, end) : [], surv: shown ? c.surv.slice(0, end) : [],
    lower: shown ? c.lower.slice(0, end) : [], upper: shown ? c.upper.slice(0, end) : [],
    atRisk, median: shown ? c.median : null, cutAt,
  };
}

export function presentDurability(d: DurabilityResult, p: Privacy): DurabilityOut {
  const t = p.independent({ n: d.n, events: d.events });
  return {
    applies: d.applies, n: t.n, events: t.events,
    byPath: d.byPath.map((c) => presentCurve(c, p)),
    logRank: d.byPath.every((c) => p.statistic(c.n, 1) !== null) ? d.logRank : null,
    byCategory: d.byCategory.map((c) => presentCurve(c, p)),
    logRankCategory: d.byCategory.every((c) => p.statistic(c.n, 1) !== null) ? d.logRankCategory : null,
  };
}

export interface MatchedOut extends Omit<MatchedComparison, 'pairs' | 'nTreated' | 'nControl' | 'unmatchedTreated'> {
  pairs: Count;
  nTreated: Count;
  nControl: Count;
  unmatchedTreated: Count;
}

export function presentMatched(m: MatchedComparison, p: Privacy): MatchedOut {
  const c = p.independent({ pairs: m.pairs, nTreated: m.nTreated, nControl: m.nControl, unmatched: m.unmatchedTreated });
  const ok = p.statistic(c.pairs, 1) !== null;
  return {
    ...m, pairs: c.pairs, nTreated: c.nTreated, nControl: c.nControl, unmatchedTreated: c.unmatched,
    status: ok ? m.status : 'not_estimable',
    reason: ok ? m.reason : (m.reason ?? 'Too few matched pairs to show for your role.'),
    difference: ok ? m.difference : null,
    balance: ok ? m.balance : [],
    warnings: ok ? m.warnings : [],
  };
}
