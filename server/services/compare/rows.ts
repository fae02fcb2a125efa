/**
 * The rows the care-path comparison reads: one per episode with a baseline of
 * the chosen measure, as typed arrays (columns), already filtered. Pure data:
 * load.ts fills it from the analytic store, tests build it by hand, and every
 * computation in this folder is a function of it. Codes are indices in the
 * vocabulary's order (db/schema/vocabulary.ts), as in the store.
 */

/** Code for "none recorded" in the Uint8 code columns. */
export const NONE = 255;

export interface CompareRows {
  n: number;
  /** 1 interventional, 0 conservative. */
  path: Uint8Array;
  baseline: Float64Array;
  /** The observation counted at the window; NaN when there is none (no follow-up). */
  value: Float64Array;
  /** Change from baseline at the window (positive = better, decision 005); NaN without a follow-up. */
  change: Float64Array;
  /** Index in CONDITION_GROUP_NAMES. */
  condition: Uint8Array;
  /** Index in REGIONS, NONE when unknown. */
  region: Uint8Array;
  /** Index in SEXES. */
  sex: Uint8Array;
  /** Whole years on the index date. */
  age: Float64Array;
  /** Months of pain before the index date; NaN when unknown. */
  duration: Float64Array;
  /** Interventional procedure sessions before the index date. */
  prior: Float64Array;
  /** Index in TREATMENT_CATEGORIES of the primary treatment, NONE when none. */
  category: Uint8Array;
  /**
   * Durability (pain NRS only; NaN otherwise or when null): first follow-up
   * with a >= 30 % reduction, the first later one without it, the first repeat
   * procedure of the same region, the last follow-up of the measure (days
   * after the index date).
   */
  responseDay: Float64Array;
  lossDay: Float64Array;
  repeatDay: Float64Array;
  lastFollowUpDay: Float64Array;
  /**
   * Optional: each row's covariate pattern (age, baseline, pain duration,
   * prior procedures, sex, condition group) in a grouping of all the store's
   * episodes with a baseline of the measure made beforehand (load.ts), -1 for
   * none; `count` patterns. The adjusted analysis then numbers its
   * population's patterns from it instead of grouping the covariates again
   * (the same groups). Absent: it groups them (tests build rows without it).
   */
  patterns?: { of: Int32Array; count: number };
}

/** Episode-level counts the comparison needs beyond the measure's rows: complications by path. */
export interface EpisodeCounts {
  /**
   * Episodes matching the filters with a complication status recorded for at
   * least one of their treatments, by path (index 1 interventional, 0
   * conservative): the complication rates' denominators. An episode none of
   * whose treatments has a status says nothing about complications (a
   * practice or a trial that records adverse events on one path only).
   */
  episodes: [number, number];
  /** Of those, episodes with at least one recorded complication (minor or major). */
  withComplication: [number, number];
  /** Of those, episodes with a major complication. */
  withMajor: [number, number];
}

/**
 * Empty columns of n rows (NaN / NONE where "none" is representable). With
 * `shared`, on SharedArrayBuffers: a helper thread can read them without a copy.
 */
export function allocateRows(n: number, shared = false): CompareRows {
  const f64 = () => (shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n));
  const u8 = () => (shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
  const nan = () => f64().fill(NaN);
  return {
    n,
    path: u8(),
    baseline: nan(),
    value: nan(),
    change: nan(),
    condition: u8(),
    region: u8().fill(NONE),
    sex: u8(),
    age: f64(),
    duration: nan(),
    prior: f64(),
    category: u8().fill(NONE),
    responseDay: nan(),
    lossDay: nan(),
    repeatDay: nan(),
    lastFollowUpDay: nan(),
  };
}
