/**
 * The cohort columns (data.ts, CohortData) read from the shared analytic
 * store (server/services/analytics/store.ts): the store's arrays as they
 * are, plus what only the cohort builder needs (each episode's treatment
 * categories as a bit mask and its distinct codes, each measure's windows
 * with a follow-up as bits, responder flags as bits), memoized per store
 * version. Runs inside the analytics worker.
 */
import { FOLLOW_UP_WINDOW_NAMES, type Measure } from '../../../db/schema/vocabulary.ts';
import { NONE, type AnalyticStore } from '../analytics/store.ts';
import { RESPONDER_BIT, type CohortData, type MeasureDetail } from './data.ts';

export function storeColumns(store: AnalyticStore): CohortData {
  return store.memoize('cohorts:columns', () => build(store));
}

function build(store: AnalyticStore): CohortData {
  const ep = store.episodes;
  const n = store.rows;
  let maxPatient = 0;
  for (let i = 0; i < n; i++) if (ep.alive[i] && ep.patientId[i]! > maxPatient) maxPatient = ep.patientId[i]!;

  const t = store.treatments();
  const categoryMask = new Uint32Array(n);
  const codeStart = new Int32Array(n + 1);
  const scratch: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) total += t.tCount[i]!;
  const codeList = new Uint32Array(total);
  let out = 0;
  for (let i = 0; i < n; i++) {
    codeStart[i] = out;
    if (!ep.alive[i]) continue;
    let mask = 0;
    scratch.length = 0;
    for (let r = t.tStart[i]!, e = r + t.tCount[i]!; r < e; r++) {
      if (t.episodeRow[r] !== i) continue;
      const cat = t.category[r]!;
      if (cat !== NONE) mask |= 1 << cat;
      const code = t.code[r]!;
      if (code !== 0 && !scratch.includes(code)) scratch.push(code);
    }
    categoryMask[i] = mask;
    for (const c of scratch) codeList[out++] = c;
  }
  codeStart[n] = out;

  const painDuration = ep.painDurationMonths;
  const priorProcedures = ep.priorProcedures;
  const followUpOf = (m: Measure) =>
    store.memoize(`cohorts:followUp:${m}`, () => {
      const mc = store.measure(m);
      const bits = new Uint8Array(n);
      FOLLOW_UP_WINDOW_NAMES.forEach((w, k) => {
        const v = mc.windows[w].value;
        for (let i = 0; i < n; i++) if (!Number.isNaN(v[i]!)) bits[i]! |= 1 << k;
      });
      return bits;
    });
  const detailOf = (m: Measure): MeasureDetail =>
    store.memoize(`cohorts:detail:${m}`, () => {
      const mc = store.measure(m);
      return {
        change: FOLLOW_UP_WINDOW_NAMES.map((w) => mc.windows[w].change),
        flags: FOLLOW_UP_WINDOW_NAMES.map((w) => {
          const f = mc.windows[w].flags;
          const bits = new Uint8Array(n);
          for (const [name, bit] of Object.entries(RESPONDER_BIT) as Array<[keyof typeof RESPONDER_BIT, number]>) {
            const col = f[name];
            if (col) for (let i = 0; i < n; i++) if (col[i] === 1) bits[i]! |= bit;
          }
          return bits;
        }),
      };
    });

  return {
    // The data state's other fields (last import, derivation) are read by the caller on the database.
    state: { outcomeSeq: store.version, lastImportId: null, derivation: null, episodes: countAlive(ep.alive, n) },
    n,
    alive: ep.alive.subarray(0, n),
    episodeId: ep.episodeId,
    patientId: ep.patientId,
    patientIdLimit: maxPatient + 1,
    carePath: ep.carePath,
    conditionCode: ep.conditionCode,
    conditionCodes: store.dicts.conditionCode,
    conditionGroup: ep.conditionGroup,
    region: ep.region,
    sex: ep.sex,
    age: ep.age,
    indexDay: ep.indexDay,
    painDuration,
    priorProcedures,
    primaryCategory: ep.category,
    primaryCode: ep.code,
    categoryMask,
    codeStart,
    codeList,
    codes: store.dicts.code,
    baselineOf: (m) => store.measure(m).baselineValue,
    followUpOf,
    detailOf,
    rowOfEpisode: (e) => store.rowOf(e),
  };
}

function countAlive(alive: Uint8Array, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) k += alive[i]!;
  return k;
}
