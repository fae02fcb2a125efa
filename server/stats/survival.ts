/**
 * Kaplan-Meier estimator with Greenwood standard errors and pointwise
 * confidence intervals, median survival with its interval, numbers at risk,
 * and the k-group log-rank test, each computed as R's survival package does
 * (survfit, print.survfit, summary.survfit, survdiff).
 *
 * Curves are typed arrays with one entry per distinct observed time (event or
 * censoring), as survfit reports them; NA (an interval that does not exist,
 * e.g. at S = 0) is NaN there. Scalars use null.
 *
 * survfit and survdiff first merge times that differ by less than about 1e-8
 * relative (aeqSurv); our times are whole days, for which that is a no-op.
 */
import { kaplanMeierFromCounts } from './km-counts.ts';
import { addLogRankTime, logRankResult, logRankSums } from './logrank-counts.ts';
import { sortedCopy } from './sort.ts';
import type { Values } from './descriptive.ts';

/**
 * Pointwise interval for S(t):
 *  'log'      exp(log S +- z se), upper capped at 1; R survfit's default.
 *  'log-log'  exp(-exp(log(-log S) -+ z se / log S)); stays in [0, 1] without
 *             capping and covers better in small samples and the tails
 *             (Borgan & Liestøl 1990); the product's default.
 *  'plain'    S +- z S se, clipped to [0, 1].
 * se is Greenwood's SE of -log S (survfit's std.err).
 */
export type KmConfType = 'log' | 'log-log' | 'plain';

/** The interval type the product shows; R users reproduce it with conf.type = "log-log". */
export const DEFAULT_KM_CONF_TYPE: KmConfType = 'log-log';

export interface MedianSurvival {
  /** Smallest time with S(t) <= 0.5 (midpoint rule on an exact 0.5 plateau); null if S stays above 0.5. */
  median: number | null;
  /** The same rule applied to the lower and upper confidence curves. */
  lower: number | null;
  upper: number | null;
}

export interface KaplanMeier {
  n: number;
  events: number;
  time: Float64Array;
  nRisk: Float64Array;
  nEvent: Float64Array;
  nCensor: Float64Array;
  surv: Float64Array;
  /** Greenwood SE of -log S(t): sqrt(sum d / (n (n - d))); survfit's std.err. Infinity once S = 0. */
  stdErr: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  confType: KmConfType;
  level: number;
  median: MedianSurvival;
}

export interface SurvivalAt {
  time: number;
  nRisk: number;
  surv: number;
  stdErr: number;
  lower: number;
  upper: number;
}

export interface LogRankGroup {
  group: number;
  n: number;
  observed: number;
  expected: number;
}

export interface LogRank {
  groups: LogRankGroup[];
  /** k x k row-major variance matrix of observed - expected. */
  variance: Float64Array;
  chiSquare: number;
  /** Number of groups with expected > 0, minus 1 (0 when fewer than two groups have any expected event). */
  df: number;
  /** null when df < 1 (nothing to compare). */
  p: number | null;
}

function checkSurvivalData(time: Values, event: Values): void {
  if (time.length !== event.length) throw new RangeError('time and event lengths differ');
  for (let i = 0; i < time.length; i++) {
    if (!Number.isFinite(time[i]!)) throw new RangeError(`time[${i}] is not finite`);
    const e = event[i]!;
    if (e !== 0 && e !== 1) throw new RangeError(`event[${i}] = ${e}: events must be 0 (censored) or 1`);
  }
}

/** Sorted event times and sorted censoring times. */
function splitSorted(time: Values, event: Values): { ev: Float64Array; ce: Float64Array } {
  let ne = 0;
  for (let i = 0; i < event.length; i++) ne += event[i]!;
  const ev = new Float64Array(ne);
  const ce = new Float64Array(time.length - ne);
  let a = 0;
  let b = 0;
  for (let i = 0; i < time.length; i++) {
    if (event[i] === 1) ev[a++] = time[i]!;
    else ce[b++] = time[i]!;
  }
  return { ev: sortedCopy(ev), ce: sortedCopy(ce) };
}

/**
 * Kaplan-Meier estimate of S(t) for right-censored data (event 1 = event,
 * 0 = censored at that time; an event and a censoring at the same time count
 * the censored subject as at risk for the event).
 * R 4.2 survival 3.5: survfit(Surv(time, event) ~ 1, conf.type = confType, conf.int = level);
 * median and its interval as print(fit) shows them.
 */
export function kaplanMeier(
  time: Values,
  event: Values,
  options: { confType?: KmConfType; level?: number } = {},
): KaplanMeier {
  const confType = options.confType ?? DEFAULT_KM_CONF_TYPE;
  const level = options.level ?? 0.95;
  checkSurvivalData(time, event);
  const n = time.length;
  const { ev, ce } = splitSorted(time, event);

  const times: number[] = [];
  const nRisk: number[] = [];
  const nEvent: number[] = [];
  const nCensor: number[] = [];
  let i = 0;
  let j = 0;
  let before = 0; // subjects with time < current t
  while (i < ev.length || j < ce.length) {
    const t = Math.min(i < ev.length ? ev[i]! : Infinity, j < ce.length ? ce[j]! : Infinity);
    let d = 0;
    let c = 0;
    while (i < ev.length && ev[i] === t) {
      d++;
      i++;
    }
    while (j < ce.length && ce[j] === t) {
      c++;
      j++;
    }
    times.push(t);
    nRisk.push(n - before);
    nEvent.push(d);
    nCensor.push(c);
    before += d + c;
  }

  return kaplanMeierFromCounts(
    n, ev.length, Float64Array.from(times), Float64Array.from(nRisk), Float64Array.from(nEvent), Float64Array.from(nCensor),
    confType, level,
  );
}

/**
 * Number at risk (time >= t) at each requested time, for the table under a
 * Kaplan-Meier plot. R: summary(fit, times = at, extend = TRUE)$n.risk.
 */
export function numberAtRisk(time: Values, at: readonly number[]): number[] {
  const s = sortedCopy(time);
  return at.map((t) => {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return s.length - lo;
  });
}

/**
 * The curve read at given times (the last step at or before each time), with
 * the number at risk. R: summary(fit, times = at, extend = TRUE) (surv, std.err,
 * lower, upper, n.risk). Before the first observed time S = 1 with limits 1,
 * whatever the interval type, as R's summary gives.
 */
export function survivalAt(km: KaplanMeier, at: readonly number[]): SurvivalAt[] {
  return at.map((t) => {
    let lo = 0;
    let hi = km.time.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (km.time[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    const k = lo - 1; // last index with time <= t
    // Number at risk at t: those with time >= t, read from the first step at or after t.
    let firstAtOrAfter = lo;
    if (k >= 0 && km.time[k] === t) firstAtOrAfter = k;
    const nRisk =
      firstAtOrAfter < km.time.length ? km.nRisk[firstAtOrAfter]! : 0;
    if (k < 0) return { time: t, nRisk, surv: 1, stdErr: 0, lower: 1, upper: 1 };
    return { time: t, nRisk, surv: km.surv[k]!, stdErr: km.stdErr[k]!, lower: km.lower[k]!, upper: km.upper[k]! };
  });
}

/**
 * Log-rank test for k groups (Mantel-Haenszel weights, rho = 0).
 * R: survdiff(Surv(time, event) ~ group): observed and expected events per
 * group, the variance matrix, chi-square = (O - E)' V^- (O - E) over the groups
 * with expected > 0 less the first, df = their number - 1.
 * `group` holds integer codes; groups are reported in ascending code order.
 */
export function logRankTest(time: Values, event: Values, group: Values): LogRank {
  checkSurvivalData(time, event);
  if (group.length !== time.length) throw new RangeError('group and time lengths differ');
  // Distinct group codes and each row's slot, through a lookup table over the
  // codes' range (group codes are small integers: paths, categories).
  let minCode = Infinity;
  let maxCode = -Infinity;
  for (let i = 0; i < group.length; i++) {
    const c = group[i]!;
    if (!Number.isInteger(c)) throw new RangeError(`group[${i}] = ${c}: group codes must be integers`);
    if (c < minCode) minCode = c;
    if (c > maxCode) maxCode = c;
  }
  const range = group.length > 0 ? maxCode - minCode + 1 : 0;
  if (range > 1_000_000) throw new RangeError('group codes must span fewer than 1,000,000 values');
  const table = new Int32Array(range).fill(-1);
  for (let i = 0; i < group.length; i++) table[group[i]! - minCode] = 0;
  const codes: number[] = [];
  for (let c = 0; c < range; c++) {
    if (table[c] === 0) {
      table[c] = codes.length;
      codes.push(c + minCode);
    }
  }
  const k = codes.length;
  const g8 = new Int32Array(time.length);
  const nEv = new Int32Array(k);
  const nCe = new Int32Array(k);
  for (let i = 0; i < time.length; i++) {
    const g = table[group[i]! - minCode]!;
    g8[i] = g;
    if (event[i] === 1) nEv[g] = nEv[g]! + 1;
    else nCe[g] = nCe[g]! + 1;
  }
  // Each group's event and censoring times, sorted.
  const perGroup = codes.map((_, g): { ev: Float64Array; ce: Float64Array } => ({ ev: new Float64Array(nEv[g]!), ce: new Float64Array(nCe[g]!) }));
  {
    const fe = new Int32Array(k);
    const fc = new Int32Array(k);
    for (let i = 0; i < time.length; i++) {
      const g = g8[i]!;
      const pg = perGroup[g]!;
      if (event[i] === 1) {
        pg.ev[fe[g]!] = time[i]!;
        fe[g] = fe[g]! + 1;
      } else {
        pg.ce[fc[g]!] = time[i]!;
        fc[g] = fc[g]! + 1;
      }
    }
    for (const pg of perGroup) {
      pg.ev = sortedCopy(pg.ev);
      pg.ce = sortedCopy(pg.ce);
    }
  }
  const nGroup = perGroup.map((g) => g.ev.length + g.ce.length);

  const sums = logRankSums(k);
  // Pointers: ev/ce positions below the current time, per group.
  const pe = new Int32Array(k);
  const pc = new Int32Array(k);
  const nj = new Float64Array(k);
  const dj = new Float64Array(k);
  for (;;) {
    // The next distinct event time: the smallest unvisited event time of any group.
    let t = Infinity;
    for (let g = 0; g < k; g++) {
      const { ev } = perGroup[g]!;
      if (pe[g]! < ev.length && ev[pe[g]!]! < t) t = ev[pe[g]!]!;
    }
    if (t === Infinity) break;
    let nTot = 0;
    let dTot = 0;
    for (let g = 0; g < k; g++) {
      const { ev, ce } = perGroup[g]!;
      const e = pe[g]!;
      let c = pc[g]!;
      while (c < ce.length && ce[c]! < t) c++;
      pc[g] = c;
      nj[g] = nGroup[g]! - e - c;
      let d = 0;
      while (e + d < ev.length && ev[e + d] === t) d++;
      dj[g] = d;
      pe[g] = e + d;
      nTot += nj[g]!;
      dTot += d;
    }
    addLogRankTime(sums, nj, dj, nTot, dTot);
  }
  return logRankResult(sums, codes.map((c, g) => ({ group: c, n: nGroup[g]! })));
}
