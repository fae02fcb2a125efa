/**
 * Kaplan-Meier and the log-rank test from a table of counts per distinct
 * time: what `kaplanMeier` and `logRankTest` (survival.ts) compute after
 * sorting, without the sort. The Compare page's times are whole days after
 * the index date (0..~500), so a million episodes tabulate in one pass into a
 * few hundred rows; the estimates are the same numbers (the same arithmetic in
 * the same order), checked against those functions, and through them against
 * R's survfit and survdiff, in tests/stats/survival-table.test.ts.
 */
import { kaplanMeierFromCounts } from './km-counts.ts';
import { addLogRankTime, logRankResult, logRankSums } from './logrank-counts.ts';
import { DEFAULT_KM_CONF_TYPE, type KaplanMeier, type KmConfType, type LogRank } from './survival.ts';

/** Events and censorings per distinct time, ascending; one table per group. */
export interface SurvivalTable {
  /** Distinct times, ascending. */
  time: Float64Array;
  /** Per group g (rows) and time index t: events d[g][t] and censorings c[g][t]. */
  events: Float64Array[];
  censored: Float64Array[];
}

/**
 * Tabulates (time, event, group) rows whose times are integers in [0, maxTime]
 * by counting (O(n + maxTime)); groups are codes 0..groups - 1. Times that are
 * not such integers throw: use kaplanMeier / logRankTest on the rows instead.
 */
export function tabulateSurvival(time: ArrayLike<number>, event: ArrayLike<number>, group: ArrayLike<number> | null, groups: number, maxTime: number): SurvivalTable {
  const n = time.length;
  if (event.length !== n || (group && group.length !== n)) throw new RangeError('time, event and group lengths differ');
  if (!(Number.isInteger(maxTime) && maxTime >= 0 && maxTime <= 10_000_000)) throw new RangeError('maxTime must be an integer in [0, 1e7]');
  const span = maxTime + 1;
  const d = new Float64Array(groups * span);
  const c = new Float64Array(groups * span);
  for (let i = 0; i < n; i++) {
    const t = time[i]!;
    if (!(Number.isInteger(t) && t >= 0 && t <= maxTime)) throw new RangeError(`time[${i}] = ${t} is not an integer in [0, ${maxTime}]`);
    const g = group ? group[i]! : 0;
    if (!(Number.isInteger(g) && g >= 0 && g < groups)) throw new RangeError(`group[${i}] = ${g} is not a code below ${groups}`);
    const e = event[i]!;
    const at = g * span + t;
    if (e === 1) d[at] = d[at]! + 1;
    else if (e === 0) c[at] = c[at]! + 1;
    else throw new RangeError(`event[${i}] = ${e}: events must be 0 (censored) or 1`);
  }
  const used: number[] = [];
  for (let t = 0; t < span; t++) {
    for (let g = 0; g < groups; g++) {
      if (d[g * span + t]! > 0 || c[g * span + t]! > 0) {
        used.push(t);
        break;
      }
    }
  }
  const time2 = Float64Array.from(used);
  const events: Float64Array[] = [];
  const censored: Float64Array[] = [];
  for (let g = 0; g < groups; g++) {
    const eg = new Float64Array(used.length);
    const cg = new Float64Array(used.length);
    used.forEach((t, k) => {
      eg[k] = d[g * span + t]!;
      cg[k] = c[g * span + t]!;
    });
    events.push(eg);
    censored.push(cg);
  }
  return { time: time2, events, censored };
}

/**
 * The Kaplan-Meier estimate of one group of a table (or of the sum of the
 * given groups): the output of `kaplanMeier` on the rows it counts.
 * R: survfit(Surv(time, event) ~ 1, conf.type = confType).
 */
export function kaplanMeierFromTable(table: SurvivalTable, groups: readonly number[], options: { confType?: KmConfType; level?: number } = {}): KaplanMeier {
  const confType = options.confType ?? DEFAULT_KM_CONF_TYPE;
  const level = options.level ?? 0.95;
  const T = table.time.length;
  const dAll = new Float64Array(T);
  const cAll = new Float64Array(T);
  for (const g of groups) {
    const e = table.events[g]!;
    const c = table.censored[g]!;
    for (let t = 0; t < T; t++) {
      dAll[t] = dAll[t]! + e[t]!;
      cAll[t] = cAll[t]! + c[t]!;
    }
  }
  let n = 0;
  let events = 0;
  const keep: number[] = [];
  for (let t = 0; t < T; t++) {
    n += dAll[t]! + cAll[t]!;
    events += dAll[t]!;
    if (dAll[t]! > 0 || cAll[t]! > 0) keep.push(t);
  }
  const m = keep.length;
  const time = new Float64Array(m);
  const nRisk = new Float64Array(m);
  const nEvent = new Float64Array(m);
  const nCensor = new Float64Array(m);
  let before = 0;
  for (let k = 0; k < m; k++) {
    const t = keep[k]!;
    const d = dAll[t]!;
    const c = cAll[t]!;
    time[k] = table.time[t]!;
    nRisk[k] = n - before;
    nEvent[k] = d;
    nCensor[k] = c;
    before += d + c;
  }
  return kaplanMeierFromCounts(n, events, time, nRisk, nEvent, nCensor, confType, level);
}

/** Number at risk (time >= t) at each requested time, from the table's groups. */
export function numberAtRiskFromTable(table: SurvivalTable, groups: readonly number[], at: readonly number[]): number[] {
  return at.map((a) => {
    let r = 0;
    for (let t = 0; t < table.time.length; t++) {
      if (table.time[t]! < a) continue;
      for (const g of groups) r += table.events[g]![t]! + table.censored[g]![t]!;
    }
    return r;
  });
}

/**
 * Log-rank test across the groups of a table (Mantel-Haenszel weights): the
 * output of `logRankTest` on the rows it counts, groups reported in code order
 * (only those with at least one row, as logRankTest reports the codes present).
 * R: survdiff(Surv(time, event) ~ group).
 */
export function logRankFromTable(table: SurvivalTable): LogRank {
  const T = table.time.length;
  const all = table.events.map((_, g) => g);
  const present = all.filter((g) => {
    for (let t = 0; t < T; t++) if (table.events[g]![t]! > 0 || table.censored[g]![t]! > 0) return true;
    return false;
  });
  const k = present.length;
  const nGroup = present.map((g) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += table.events[g]![t]! + table.censored[g]![t]!;
    return s;
  });
  const sums = logRankSums(k);
  const atRisk = Float64Array.from(nGroup);
  const nj = new Float64Array(k);
  const dj = new Float64Array(k);
  for (let t = 0; t < T; t++) {
    let nTot = 0;
    let dTot = 0;
    for (let j = 0; j < k; j++) {
      const g = present[j]!;
      nj[j] = atRisk[j]!;
      dj[j] = table.events[g]![t]!;
      nTot += nj[j]!;
      dTot += dj[j]!;
    }
    if (dTot > 0) addLogRankTime(sums, nj, dj, nTot, dTot);
    for (let j = 0; j < k; j++) {
      const g = present[j]!;
      atRisk[j] = atRisk[j]! - table.events[g]![t]! - table.censored[g]![t]!;
    }
  }
  return logRankResult(sums, present.map((code, j) => ({ group: code, n: nGroup[j]! })));
}
