/**
 * The Kaplan-Meier core shared by `kaplanMeier` (survival.ts, from rows) and
 * `kaplanMeierFromTable` (survival-table.ts, from counts per time): given the
 * distinct times with their numbers at risk, events and censorings, the
 * product-limit estimate, Greenwood's variance (of log S), the pointwise
 * confidence limits and print.survfit's median with its interval.
 */
import { zCrit } from './distributions.ts';
import type { KaplanMeier, KmConfType } from './survival.ts';

export function confidenceLimits(s: number, se: number, z: number, type: KmConfType): [number, number] {
  switch (type) {
    case 'log': {
      if (s === 0) return [NaN, NaN];
      return [Math.exp(Math.log(s) - z * se), Math.min(1, Math.exp(Math.log(s) + z * se))];
    }
    case 'log-log': {
      if (s === 0 || s === 1) return [NaN, NaN];
      const ll = Math.log(-Math.log(s));
      const h = (z * se) / Math.log(s);
      return [Math.exp(-Math.exp(ll - h)), Math.exp(-Math.exp(ll + h))];
    }
    case 'plain': {
      const h = se * s * z;
      return [Math.max(s - h, 0), Math.min(s + h, 1)];
    }
  }
}

/**
 * print.survfit's median rule (survival:::survmean, minmin): among the points
 * with y < 0.5 + tol, the first time; if its y is 0.5 within tol and the
 * curve later drops below it, the midpoint between that time and the time
 * of the drop. NaN values are skipped.
 */
export function medianOf(y: Float64Array, x: Float64Array): number | null {
  const tol = Math.sqrt(2.220446049250313e-16);
  let first = -1;
  for (let i = 0; i < y.length; i++) {
    if (!Number.isNaN(y[i]!) && y[i]! < 0.5 + tol) {
      first = i;
      break;
    }
  }
  if (first < 0) return null;
  const y1 = y[first]!;
  if (Math.abs(y1 - 0.5) < tol) {
    for (let i = first + 1; i < y.length; i++) {
      if (!Number.isNaN(y[i]!) && y[i]! < y1) return (x[first]! + x[i]!) / 2;
    }
  }
  return x[first]!;
}

/**
 * The estimate from counts per distinct time (ascending): n subjects, `events`
 * events in all, and at each time the number at risk, events and censorings.
 */
export function kaplanMeierFromCounts(
  n: number,
  events: number,
  time: Float64Array,
  nRisk: Float64Array,
  nEvent: Float64Array,
  nCensor: Float64Array,
  confType: KmConfType,
  level: number,
): KaplanMeier {
  const z = zCrit(level);
  const m = time.length;
  const surv = new Float64Array(m);
  const stdErr = new Float64Array(m);
  const lower = new Float64Array(m);
  const upper = new Float64Array(m);
  let s = 1;
  let v = 0;
  for (let k = 0; k < m; k++) {
    const r = nRisk[k]!;
    const d = nEvent[k]!;
    if (d > 0) {
      s *= 1 - d / r;
      v += r === d ? Infinity : d / (r * (r - d));
    }
    surv[k] = s;
    stdErr[k] = Math.sqrt(v);
    const [lo, hi] = confidenceLimits(s, stdErr[k]!, z, confType);
    lower[k] = lo;
    upper[k] = hi;
  }
  return {
    n, events, time, nRisk, nEvent, nCensor, surv, stdErr, lower, upper, confType, level,
    median: { median: medianOf(surv, time), lower: medianOf(lower, time), upper: medianOf(upper, time) },
  };
}
