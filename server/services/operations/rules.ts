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

/**
 * Applies the rules to one patient's sessions, sorted by day. `esi`, `mbb`,
 * `rfa` are the category numbers of those procedure types.
 */
export function sessionFacts(sessions: readonly Session[], cats: { esi: number; mbb: number; rfa: number }): SessionFacts {
  const n = sessions.length;
  const out: SessionFacts = {
    nextGap: new Int32Array(n).fill(-1),
    esiInWindow: new Uint8Array(n),
    esiFlag: new Uint8Array(n),
    mbbStart: new Uint8Array(n),
    rfaGap: new Int32Array(n).fill(-1),
  };
  // Chains of the same category and region, in day order.
  const chains = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const s = sessions[i]!;
    const key = s.category * 64 + s.region;
    let c = chains.get(key);
    if (!c) chains.set(key, (c = []));
    c.push(i);
  }
  for (const chain of chains.values()) {
    for (let k = 0; k + 1 < chain.length; k++) out.nextGap[chain[k]!] = sessions[chain[k + 1]!]!.day - sessions[chain[k]!]!.day;
    const category = sessions[chain[0]!]!.category;
    if (category === cats.esi) {
      // Two pointers: the sessions of the chain within [day - 364, day].
      let lo = 0;
      for (let k = 0; k < chain.length; k++) {
        const d = sessions[chain[k]!]!.day;
        while (sessions[chain[lo]!]!.day < d - (ROLLING_DAYS - 1)) lo++;
        const inWindow = k - lo + 1;
        out.esiInWindow[chain[k]!] = Math.min(inWindow, 255);
        if (inWindow > ESI_SESSIONS_ALLOWED) out.esiFlag[chain[k]!] = 1;
      }
    }
    if (category === cats.mbb) {
      const region = sessions[chain[0]!]!.region;
      const rfa = chains.get(cats.rfa * 64 + region) ?? [];
      for (let k = 0; k < chain.length; k++) {
        const d = sessions[chain[k]!]!.day;
        const prev = k > 0 ? sessions[chain[k - 1]!]!.day : null;
        if (prev !== null && d - prev <= ROLLING_DAYS - 1) continue;
        out.mbbStart[chain[k]!] = 1;
        for (const r of rfa) {
          const gap = sessions[r]!.day - d;
          if (gap > 0 && gap <= ROLLING_DAYS - 1) {
            out.rfaGap[chain[k]!] = gap;
            break;
          }
        }
      }
    }
  }
  return out;
}
