/**
 * The repeat-procedure and payer rules of ../shared/spec/domain.md
 * ("Operations"), as pure functions over one patient's procedure sessions.
 * Definitions the spec leaves open are in docs/decisions/010-operations.md.
 * No I/O: the column store (store.ts) runs these once per patient whenever
 * that patient's records change, never per request.
 */

/** "Rolling 12 months": a window of 365 calendar days counting both ends (day d back to d - 364). */
export const ROLLING_DAYS = 365;
/** ESI sessions per region allowed in a rolling 12 months (Medicare LCD L39242 / L33906 rule of thumb); the next one is flagged. */
export const ESI_SESSIONS_ALLOWED = 4;

export const ESI_CATEGORY = 'epidural_steroid_injection';
export const MBB_CATEGORY = 'medial_branch_block';
export const RFA_CATEGORY = 'radiofrequency_ablation';

/** One procedure session of a patient: a day, a procedure type (treatment category) and a region (0 = not recorded). */
export type Session = { day: number; category: number; region: number };

/** What the rules say about each session (same order as the input). */
export type SessionFacts = {
  /** Days to the next session of the same category and region; -1 when there is none. */
  nextGap: Int32Array;
  /** ESI sessions of the same region within the 365 days ending on this one, this one included (0 for other categories). */
  esiInWindow: Uint8Array;
  /** 1 when this is an ESI session beyond the 4th in its rolling window. */
  esiFlag: Uint8Array;
  /** 1 for an MBB session that starts a diagnostic series: no MBB of the same region in the 364 days before. */
  mbbStart: Uint8Array;
  /** For a series start: days to the first RFA of the same region within the rolling window after it; -1 when none. */
  rfaGap: Int32Array;
};

/** Where `applyRules` reads a patient's sessions and writes their facts: arrays indexed by the entries of `at`. */
export type RuleColumns = {
  day: ArrayLike<number>;
  category: ArrayLike<number>;
  region: ArrayLike<number>;
  nextGap: { [i: number]: number };
  esiInWindow: { [i: number]: number };
  esiFlag: { [i: number]: number };
  mbbStart: { [i: number]: number };
  rfaGap: { [i: number]: number };
};

/**
 * Applies the rules to one patient's sessions: `at[0..count-1]` index them in
 * `cols`, in day order. No allocation: a patient has a handful of sessions,
 * so each fact is a scan of the others (the column store runs this for a
 * million patients). Facts of sessions are reset first.
 */
export function applyRules(cols: RuleColumns, at: ArrayLike<number>, count: number, cats: { esi: number; mbb: number; rfa: number }): void {
  const { day, category, region } = cols;
  for (let k = 0; k < count; k++) {
    const i = at[k]!;
    cols.nextGap[i] = -1;
    cols.esiInWindow[i] = 0;
    cols.esiFlag[i] = 0;
    cols.mbbStart[i] = 0;
    cols.rfaGap[i] = -1;
  }
  for (let k = 0; k < count; k++) {
    const i = at[k]!;
    const c = category[i]!;
    const r = region[i]!;
    const d = day[i]!;
    // The next session of the same type and region.
    for (let j = k + 1; j < count; j++) {
      const x = at[j]!;
      if (category[x] === c && region[x] === r) {
        cols.nextGap[i] = day[x]! - d;
        break;
      }
    }
    if (c === cats.esi) {
      // ESI sessions of the region within [d - 364, d], this one included.
      let inWindow = 1;
      for (let j = k - 1; j >= 0; j--) {
        const x = at[j]!;
        if (day[x]! < d - (ROLLING_DAYS - 1)) break;
        if (category[x] === c && region[x] === r) inWindow++;
      }
      cols.esiInWindow[i] = Math.min(inWindow, 255);
      if (inWindow > ESI_SESSIONS_ALLOWED) cols.esiFlag[i] = 1;
    } else if (c === cats.mbb) {
      // A series starts without a block of the region in the 364 days before.
      let start = true;
      for (let j = k - 1; j >= 0; j--) {
        const x = at[j]!;
        if (day[x]! < d - (ROLLING_DAYS - 1)) break;
        if (category[x] === c && region[x] === r) {
          start = false;
          break;
        }
      }
      if (!start) continue;
      cols.mbbStart[i] = 1;
      for (let j = k + 1; j < count; j++) {
        const x = at[j]!;
        const gap = day[x]! - d;
        if (gap > ROLLING_DAYS - 1) break;
        if (gap > 0 && category[x] === cats.rfa && region[x] === r) {
          cols.rfaGap[i] = gap;
          break;
        }
      }
    }
  }
}

/** The rules over one patient's sessions sorted by day, as plain arrays (the pure form of applyRules, for tests and callers without columns). */
export function sessionFacts(sessions: readonly Session[], cats: { esi: number; mbb: number; rfa: number }): SessionFacts {
  const n = sessions.length;
  const out: SessionFacts = {
    nextGap: new Int32Array(n),
    esiInWindow: new Uint8Array(n),
    esiFlag: new Uint8Array(n),
    mbbStart: new Uint8Array(n),
    rfaGap: new Int32Array(n),
  };
  applyRules(
    { day: sessions.map((x) => x.day), category: sessions.map((x) => x.category), region: sessions.map((x) => x.region), ...out },
    Array.from({ length: n }, (_, k) => k),
    n,
    cats,
  );
  return out;
}
