/**
 * The comparison's analytic tasks (server/services/analytics/tasks.ts): run
 * in the analytics worker, so the propensity model and the Kaplan-Meier
 * curves of a million episodes never block the server's event loop. Inputs
 * and outputs are plain data (structured clone); figures are unmasked here,
 * the caller applies its privacy (present.ts) on the main thread.
 */
import type { FollowUpWindow, Measure } from '../../../db/schema/vocabulary.ts';
import type { AnalyticStore } from '../analytics/store.ts';
import type { OutcomeFilters } from '../outcomes/filters.ts';
import type { Denominator, ResponderDefinition } from '../outcomes/query.ts';
import {
  adjustedComparison,
  adjustedForDefinition,
  matchedComparison,
  subgroupComparison,
  type AdjustedComparison,
  type AdjustedInternals,
  type CompareSettings,
  type CrudeComparison,
  type DurabilityResult,
  type MatchedComparison,
  type SubgroupFamily,
} from './compute.ts';
import { durabilityAsync, helperOffload, type Pending } from './helper.ts';
import { crudeFromStore, loadCompareRows, storePatterns } from './load.ts';
import type { CompareRows } from './rows.ts';

export interface CompareTaskInput {
  measure: Measure;
  window: FollowUpWindow;
  definition: ResponderDefinition;
  denominator: Denominator;
  filters: OutcomeFilters;
  /** Benchmarks: gather the rows and fit again instead of reusing the last query's. */
  fresh?: boolean;
}

export interface FullComparison {
  adjusted: AdjustedComparison;
  subgroups: { adjusted: boolean; families: SubgroupFamily[] };
  durability: DurabilityResult;
  /** Milliseconds per part, for the bench and the logs. */
  ms: Record<string, number>;
}

const settingsOf = (i: CompareTaskInput): CompareSettings => ({ measure: i.measure, definition: i.definition, denominator: i.denominator });

// The adjusted analysis of the last population (the rows of one store version, filters, measure and
// window: loadCompareRows gives the same rows object for them), for the matched comparison that follows it
// on the same page and for the next request on it. The denominator does not enter it (complete cases
// only); another responder definition reuses everything but the responders' part (adjustedForDefinition).
let lastAdjusted: { rows: CompareRows; definition: string; result: AdjustedComparison; internals: AdjustedInternals | null } | null = null;
// The parts of the whole comparison that depend on the rows only (curves) or on the population's adjusted
// internals and the measure (subgroups), kept with them.
let lastCurves: { rows: CompareRows; measure: string; result: DurabilityResult } | null = null;
let lastSubgroups: { rows: CompareRows; internals: AdjustedInternals | null; measure: string; result: FullComparison['subgroups'] } | null = null;

function adjustedFor(
  store: AnalyticStore,
  input: CompareTaskInput,
  lap?: (step: string) => void,
  offload: typeof helperOffload = helperOffload,
  whileWaiting?: (internals: AdjustedInternals) => void,
) {
  const { rows } = loadCompareRows(store, { ...input, fresh: false });
  if (!input.fresh && lastAdjusted && lastAdjusted.rows === rows) {
    if (lastAdjusted.definition === input.definition) return lastAdjusted;
    const reused = adjustedForDefinition(rows, lastAdjusted, settingsOf(input));
    if (reused) {
      lap?.('responders for this definition (the rest reused)');
      lastAdjusted = { rows, definition: input.definition, ...reused };
      return lastAdjusted;
    }
  }
  const { result, internals } = adjustedComparison(rows, settingsOf(input), lap, offload, whileWaiting);
  lastAdjusted = { rows, definition: input.definition, result, internals };
  return lastAdjusted;
}

export function compareCrudeTask(store: AnalyticStore, input: CompareTaskInput): CrudeComparison & { ms: number } {
  const t0 = performance.now();
  const out = crudeFromStore(store, input, settingsOf(input));
  return { ...out, ms: performance.now() - t0 };
}

export function compareFullTask(store: AnalyticStore, input: CompareTaskInput): FullComparison {
  const ms: Record<string, number> = {};
  let t = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    ms[k] = now - t;
    t = now;
  };
  const { rows } = loadCompareRows(store, input);
  lap('load');
  // The curves on the helper thread (when there is one) while the models are fitted here: queued right
  // after the cells of the adjusted analysis (which the worker waits for first), else after the analysis.
  const reuseCurves = !input.fresh && lastCurves && lastCurves.rows === rows && lastCurves.measure === input.measure ? lastCurves.result : null;
  let curves: Pending<DurabilityResult> | null = reuseCurves ? { result: () => reuseCurves } : null;
  const offload: typeof helperOffload =
    helperOffload && !curves
      ? {
          ...helperOffload,
          cells: (...args: Parameters<NonNullable<typeof helperOffload>['cells']>) => {
            const cells = helperOffload!.cells(...args);
            curves ??= durabilityAsync(rows, settingsOf(input));
            return cells;
          },
        }
      : helperOffload;
  // A fresh analysis hands its internals over before it waits for the helper's part: the subgroups are
  // computed then (the same function of the same internals as after it returns).
  let early: { internals: AdjustedInternals; result: FullComparison['subgroups'] } | null = null;
  const a = adjustedFor(store, input, (step) => lap(`adjusted: ${step}`), offload, (internals) => {
    early = { internals, result: subgroupComparison(rows, internals, settingsOf(input)) };
  });
  curves ??= durabilityAsync(rows, settingsOf(input));
  lap('adjusted: summary');
  const sub = lastSubgroups;
  const computedEarly = early as { internals: AdjustedInternals; result: FullComparison['subgroups'] } | null;
  const subgroups =
    computedEarly && computedEarly.internals === a.internals ? computedEarly.result
    : !input.fresh && sub && sub.rows === rows && sub.internals === a.internals && sub.measure === input.measure ? sub.result
    : subgroupComparison(rows, a.internals, settingsOf(input));
  lastSubgroups = { rows, internals: a.internals, measure: input.measure, result: subgroups };
  lap('subgroups');
  const dur = curves.result();
  lastCurves = { rows, measure: input.measure, result: dur };
  lap('durability (waiting for the helper thread, or inline)');
  return { adjusted: a.result, subgroups, durability: dur, ms };
}

export function compareMatchedTask(store: AnalyticStore, input: CompareTaskInput & { caliperSd?: number }): MatchedComparison | null {
  const a = adjustedFor(store, input);
  if (!a.internals) return null;
  return matchedComparison(a.rows, a.internals, settingsOf(input), input.caliperSd ?? 0.2);
}

/**
 * Warm-up (analytics WARM_UPS): the covariate grouping of pain NRS, the page's
 * default measure, while the worker is idle after loading or a data change, so
 * the first comparison after an import does not wait for it (1.8–2.5 s at 1M
 * patients). Other measures are grouped when first compared.
 */
export function compareWarmUps(store: AnalyticStore): Array<() => void> {
  return store.hasMeasure('pain_nrs') ? [() => void storePatterns(store, 'pain_nrs')] : [];
}

export const compareTasks = {
  'compare.crude': compareCrudeTask,
  'compare.full': compareFullTask,
  'compare.matched': compareMatchedTask,
};
