/**
 * The Operations page's data in memory, as typed columns, derived from the
 * shared analytic store (server/services/analytics/, decision 008) once per
 * state of it (docs/decisions/010-operations.md).
 *
 * - Procedure lines: every interventional treatment row, with its episode's
 *   facts copied on (care path, condition, region, site) so a scan needs no
 *   indirection. Grouped by patient, contiguous, in (day, category, region,
 *   code) order; the first line of each session (patient, day, category,
 *   region) carries the session's repeat and payer-rule facts (rules.ts).
 * - Episodes: dense by episode id, and per outcome measure a bit field of
 *   which figures exist (baseline, a score in each window, responder flags).
 * - Profiles and the day cube (below): what makes a request read a few
 *   columns per line, or a few hundred thousand cube entries instead of
 *   millions of lines.
 *
 * Staying exact: the analytic store applies the refresh's change log before
 * every task; `operationsStoreOf` rebuilds this derivation when the store's
 * version moved (payer rules need each patient's whole history, across
 * episodes), in memory, without SQL.
 */
import { CPT_FAMILIES, FOLLOW_UP_WINDOW_NAMES, INTERVENTIONAL_CATEGORIES, TREATMENT_CATEGORIES, cptFamilyOf, type Measure } from '../../../db/schema/vocabulary.ts';
import type { AnalyticStore } from '../analytics/store.ts';
import { AGE_BANDS } from '../outcomes/derive-rules.ts';
import { applyRules, ESI_CATEGORY, MBB_CATEGORY, RFA_CATEGORY, ROLLING_DAYS } from './rules.ts';

export const FAMILY_NAMES = [...Object.keys(CPT_FAMILIES), 'other', 'none'] as const;
export const AGE_BAND_NAMES = AGE_BANDS.map((b) => b.label);
/** Responder flags stored per window in the measure bit fields (bits 6 + 5 * flag + window). */
export const FLAG_NAMES = ['pct30', 'pct50', 'mcid', 'pain_free'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export const BIT_BASELINE = 1;
export const windowBit = (w: number): number => 1 << (1 + w);
export const flagBit = (flag: number, w: number): number => 1 << (6 + 5 * flag + w);

const FAMILY_INDEX = new Map<string, number>(FAMILY_NAMES.map((v, i) => [v, i]));
const CATEGORY_INDEX = new Map<string, number>(TREATMENT_CATEGORIES.map((v, i) => [v, i]));
export const CATS = { esi: CATEGORY_INDEX.get(ESI_CATEGORY)!, mbb: CATEGORY_INDEX.get(MBB_CATEGORY)!, rfa: CATEGORY_INDEX.get(RFA_CATEGORY)! };
const IS_PROCEDURE = new Uint8Array(256);
for (const c of INTERVENTIONAL_CATEGORIES) IS_PROCEDURE[CATEGORY_INDEX.get(c)!] = 1;
/** The analytic store's null markers (server/services/analytics/store.ts). */
const NULL_INT = -2147483648;
const NONE = 255;

const grow = <A extends Int32Array | Uint8Array | Uint16Array>(a: A, size: number): A => {
  if (a.length >= size) return a;
  const b = new (a.constructor as new (n: number) => A)(Math.max(size, Math.ceil(a.length * 1.5) + 1024));
  b.set(a);
  return b;
};

/** src[idx[k]] for every k, as a new typed array of src's kind (a plain loop: typed-array `from` with a mapping function is several times slower). */
function gather<A extends Int32Array | Uint8Array>(src: A, idx: Int32Array | readonly number[]): A {
  const out = new (src.constructor as new (n: number) => A)(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = src[idx[k]!]!;
  return out;
}

/**
 * Lines `ids[0..n)` (`ids` null: the lines 0..n-1) in (profile, day) order:
 * a stable counting sort by day, then one by profile. `start[p]` is where
 * profile p's lines begin in `order` (P + 1 entries).
 */
function profileDayOrder(ids: readonly number[] | null, n: number, day: Int32Array, profile: Int32Array, P: number): { start: Int32Array<ArrayBuffer>; order: Int32Array<ArrayBuffer> } {
  const start = new Int32Array(P + 1);
  const order = new Int32Array(n);
  if (n === 0) return { start, order };
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < n; k++) {
    const d = day[ids === null ? k : ids[k]!]!;
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  const byDay = new Int32Array(hi - lo + 2);
  for (let k = 0; k < n; k++) byDay[day[ids === null ? k : ids[k]!]! - lo + 1]!++;
  for (let k = 1; k < byDay.length; k++) byDay[k]! += byDay[k - 1]!;
  const dayOrdered = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = ids === null ? k : ids[k]!;
    dayOrdered[byDay[day[i]! - lo]!++] = i;
  }
  for (let k = 0; k < n; k++) start[profile[dayOrdered[k]!]! + 1]!++;
  for (let p = 1; p <= P; p++) start[p]! += start[p - 1]!;
  const fill = start.slice();
  for (let k = 0; k < n; k++) {
    const i = dayOrdered[k]!;
    order[fill[profile[i]!]!++] = i;
  }
  return { start, order };
}

export class OperationsStore {
  // ---- procedure lines ----
  n = 0;
  day = new Int32Array(0);
  /** Calendar month index: year * 12 + month - 1. */
  month = new Int32Array(0);
  patient = new Int32Array(0);
  episode = new Int32Array(0);
  code = new Uint16Array(0);
  family = new Uint8Array(0);
  category = new Uint8Array(0);
  provider = new Int32Array(0);
  site = new Int32Array(0);
  path = new Uint8Array(0);
  condition = new Uint8Array(0);
  region = new Uint8Array(0);
  laterality = new Uint8Array(0);
  /** 1 on the first line of a session (patient, day, category, region). */
  head = new Uint8Array(0);
  nextGap = new Int32Array(0);
  esiInWindow = new Uint8Array(0);
  esiFlag = new Uint8Array(0);
  mbbStart = new Uint8Array(0);
  rfaGap = new Int32Array(0);
  /**
   * Each line's profile: its combination of every filter and grouping value
   * (code, family, category, provider, site, care path, condition, region,
   * age band, sex, first line of a session). A few thousand profiles cover
   * millions of lines, so a request decides its filters once per profile and
   * the scan reads two columns per line (profile, day).
   */
  profile = new Int32Array(0);
  profiles = new ProfileTable(['code', 'family', 'category', 'provider', 'site', 'path', 'condition', 'region', 'age', 'sex', 'head'] as const);
  /**
   * The day cube: per (day, coarse profile) the lines, and for first lines of
   * sessions their repeat and payer-rule facts. Coarse profiles leave out the
   * episode's condition, age band and sex, so the cube has about a quarter of
   * the lines' entries; a request without those filters reads the cube
   * instead of the lines. Kept exact with the lines (add / remove).
   */
  coarse = new ProfileTable(['code', 'family', 'category', 'provider', 'site', 'path', 'region', 'head'] as const);
  lineCoarse = new Int32Array(0);
  cube = new Cube();
  /** Compact lists built with the lines: sessions followed by another of their type and region (day, days to the next), flagged ESI sessions newest first (their lines). */
  gapDay = new Int32Array(0);
  gapValue = new Int32Array(0);
  flaggedOrder = new Int32Array(0);
  /** Per patient id: where its lines start, and how many. */
  patientStart = new Int32Array(0);
  patientCount = new Int32Array(0);
  /** Procedure codes seen (code number -> code); '' = none recorded. */
  codes: string[] = [''];
  private codeIndex = new Map<string, number>([['', 0]]);

  // ---- episodes, dense by id ----
  epMax = 0;
  epAlive = new Uint8Array(0);
  /** The episode's row in the analytic store. */
  epRow = new Int32Array(0);
  epPatient = new Int32Array(0);
  epDay = new Int32Array(0);
  epMonth = new Int32Array(0);
  epPath = new Uint8Array(0);
  /** Primary treatment category + 1 (0: none), code number. */
  epCategory = new Uint8Array(0);
  epCode = new Uint16Array(0);
  epCondition = new Uint8Array(0);
  epProvider = new Int32Array(0);
  epSite = new Int32Array(0);
  epAge = new Uint8Array(0);
  epSex = new Uint8Array(0);
  /** Episode profiles: care path, primary category + 1, primary code, condition, provider, site, age band, sex. */
  epProfile = new Int32Array(0);
  epProfiles = new ProfileTable(['path', 'category', 'code', 'condition', 'provider', 'site', 'age', 'sex'] as const);
  /** Per episode: its provider's and site's dense number (providerIds / siteIds give the ids back). */
  epProviderIdx = new Int32Array(0);
  epSiteIdx = new Int32Array(0);
  providerIds: number[] = [];
  siteIds: number[] = [];
  /**
   * The episode rollup (decision 010): live episodes ordered by index month
   * (`epByMonth`, the month's ids from `epMonthStart[m - epFirstMonth]`), and
   * per month the count of episodes of each episode profile (entries from
   * `rollStart[m - epFirstMonth]`: `rollProfile`, `rollCount`; `epEntry` is
   * an episode's entry). A whole month inside a request's dates is read from
   * its entries (a few thousand instead of tens of thousands of episodes);
   * a month cut by the dates (or by a window's due day) is scanned episode
   * by episode. Exact for every filter: the profile holds every episode filter.
   */
  epFirstDay = 0;
  epLastDay = -1;
  epFirstMonth = 0;
  epLastMonth = -1;
  /** First day of each month from epFirstMonth to epLastMonth + 1. */
  monthFirstDay = new Int32Array(0);
  epByMonth = new Int32Array(0);
  epMonthStart = new Int32Array(0);
  rollStart = new Int32Array(0);
  rollProfile = new Int32Array(0);
  rollCount = new Int32Array(0);
  epEntry = new Int32Array(0);
  /** The profile and index day of the episodes in epByMonth order (a cut month is scanned in sequence). */
  byMonthProfile = new Int32Array(0);
  byMonthDay = new Int32Array(0);
  /** Per measure: its bit fields in epByMonth order. */
  private bitsByMonth = new Map<Measure, Int32Array>();
  /** Per (measure, window, flag): per rollup entry, episodes by class (no baseline; baseline, no score; scored, not a responder; responder). */
  private rollParts = new Map<string, Int32Array>();
  /**
   * Sessions followed by another of their type and region (the gap list) in
   * (line profile, day) order: profile p's from `gapProfileStart[p]`. A
   * request reads only the profiles its filters admit, and within each the
   * days of its range (binary search).
   */
  gapProfileStart = new Int32Array(0);
  /**
   * Flagged ESI sessions (flaggedOrder, newest first) as parallel columns: line
   * profile, day, and their patients and episodes numbered densely in order
   * of appearance (flaggedPatients / flaggedEpisodes distinct), so that
   * counting distinct ones marks a small array read in sequence.
   */
  flaggedProfile = new Int32Array(0);
  flaggedDay = new Int32Array(0);
  flaggedPatientN = new Int32Array(0);
  flaggedEpisodeN = new Int32Array(0);
  flaggedPatients = 0;
  flaggedEpisodes = 0;
  /**
   * Every line in (line profile, day) order: profile p's lines are
   * `lineOrder[lineProfileStart[p] ..]`, with their day and month alongside.
   * A request the day cube cannot answer (a condition, age band or sex
   * filter) reads only the profiles its filters admit, and in each only the
   * days of its range.
   */
  lineProfileStart = new Int32Array(0);
  lineOrder = new Int32Array(0);
  orderedDay = new Int32Array(0);
  orderedMonth = new Int32Array(0);
  /** The session facts in lineOrder too: days to the next session, flags (1 ESI flag, 2 MBB series start), days to RFA. */
  orderedGap = new Int32Array(0);
  orderedFacts = new Uint8Array(0);
  orderedRfa = new Int32Array(0);
  /** MBB series starts as parallel columns: line profile, day, days to RFA (-1 none). */
  mbbProfile = new Int32Array(0);
  mbbDay = new Int32Array(0);
  mbbRfa = new Int32Array(0);
  /** Per measure: bit fields of present figures (BIT_BASELINE, windowBit, flagBit); loaded when first asked for. */
  private measureBits = new Map<Measure, Int32Array>();

  /** The analytic store's version this was derived from. */
  version = -1;
  loadMs = 0;
  /** The derivation's time per stage (bench). */
  readonly stageMs: Record<string, number> = {};

  private constructor(private readonly source: AnalyticStore) {}

  codeNumber(code: string | null): number {
    const c = code ?? '';
    let i = this.codeIndex.get(c);
    if (i === undefined) {
      i = this.codes.length;
      this.codes.push(c);
      this.codeIndex.set(c, i);
    }
    return i;
  }

  /** Derives everything from the analytic store's current state. */
  static from(a: AnalyticStore): OperationsStore {
    // The treatments are the analytic store's (loaded once, outside this timing): loadMs is the derivation alone.
    a.treatments();
    const t0 = performance.now();
    const s = new OperationsStore(a);
    s.version = a.version;
    let at = t0;
    const stage = (name: string) => {
      const now = performance.now();
      s.stageMs[name] = now - at;
      at = now;
    };
    s.loadEpisodes();
    stage('episodes');
    s.buildEpisodeRollup();
    stage('episode rollup');
    s.loadLines(stage);
    s.loadMs = performance.now() - t0;
    return s;
  }

  // ---- lines -------------------------------------------------------------------------

  /**
   * Procedure lines grouped by patient (a counting sort by patient id), each
   * patient's in (day, category, region, code) order (an insertion sort of a
   * handful of lines), then the session rules per patient.
   */
  private loadLines(stage: (name: string) => void): void {
    const a = this.source;
    const t = a.treatments();
    const ep = a.episodes;
    const codeOf = new Int32Array(a.dicts.code.length).fill(-1);
    let maxPatient = 0;
    let total = 0;
    for (let i = 0; i < t.length; i++) {
      const er = t.episodeRow[i]!;
      if (er < 0 || !ep.alive[er] || !IS_PROCEDURE[t.category[i]!]) continue;
      total++;
      const p = ep.patientId[er]!;
      if (p > maxPatient) maxPatient = p;
    }
    const start = new Int32Array(maxPatient + 2);
    for (let i = 0; i < t.length; i++) {
      const er = t.episodeRow[i]!;
      if (er < 0 || !ep.alive[er] || !IS_PROCEDURE[t.category[i]!]) continue;
      start[ep.patientId[er]! + 1]!++;
    }
    for (let p = 1; p < start.length; p++) start[p]! += start[p - 1]!;
    const fill = start.slice();
    const order = new Int32Array(total);
    for (let i = 0; i < t.length; i++) {
      const er = t.episodeRow[i]!;
      if (er < 0 || !ep.alive[er] || !IS_PROCEDURE[t.category[i]!]) continue;
      order[fill[ep.patientId[er]!]!++] = i;
    }
    this.ensureLines(total);
    this.patientStart = new Int32Array(maxPatient + 1);
    this.patientCount = new Int32Array(maxPatient + 1);
    // One number per line orders it within its patient: day, category, region, then the code (a primary code
    // sorts before its add-on codes, and no code first, as in SQL).
    const dictCodes = a.dicts.code;
    const ranked = dictCodes.map((c, k) => [c ?? '', k] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const rank = new Float64Array(dictCodes.length);
    ranked.forEach(([, k], r) => (rank[k] = r));
    const sortKey = new Float64Array(t.length);
    for (let j = 0; j < total; j++) {
      const i = order[j]!;
      const er = t.episodeRow[i]!;
      const region = ep.region[er] === NONE ? 0 : ep.region[er]! + 1;
      sortKey[i] = ((t.day[i]! * 32 + t.category[i]!) * 8 + region) * 65536 + rank[t.code[i]!]!;
    }
    const monthOf = new Map<number, number>();
    // Per code number: its CPT family's index (made once per code).
    const familyOf: number[] = [];
    let n = 0;
    for (let p = 0; p <= maxPatient; p++) {
      const from = start[p]!;
      const to = start[p + 1]!;
      if (from === to) continue;
      // Insertion sort: a patient has a few procedure lines.
      for (let j = from + 1; j < to; j++) {
        const v = order[j]!;
        let k = j - 1;
        while (k >= from && sortKey[v]! < sortKey[order[k]!]!) {
          order[k + 1] = order[k]!;
          k--;
        }
        order[k + 1] = v;
      }
      const first = n;
      for (let j = from; j < to; j++) {
        const i = order[j]!;
        const er = t.episodeRow[i]!;
        const c = t.code[i]!;
        let cn = codeOf[c]!;
        if (cn < 0) codeOf[c] = cn = this.codeNumber(a.dicts.code[c] ?? null);
        let fam = familyOf[cn];
        if (fam === undefined) familyOf[cn] = fam = FAMILY_INDEX.get(cptFamilyOf(this.codes[cn] || null) ?? 'none')!;
        this.day[n] = t.day[i]!;
        let mo = monthOf.get(t.day[i]!);
        if (mo === undefined) monthOf.set(t.day[i]!, (mo = monthIndexOfDay(t.day[i]!)));
        this.month[n] = mo;
        this.patient[n] = p;
        this.episode[n] = ep.episodeId[er]!;
        this.code[n] = cn;
        this.family[n] = fam;
        this.category[n] = t.category[i]!;
        this.laterality[n] = t.laterality[i] === NONE ? 0 : t.laterality[i]! + 1;
        this.provider[n] = t.providerId[i] === NULL_INT ? ep.providerId[er]! : t.providerId[i]!;
        this.site[n] = ep.siteId[er]!;
        this.path[n] = ep.carePath[er]!;
        this.condition[n] = ep.conditionGroup[er]!;
        this.region[n] = ep.region[er] === NONE ? 0 : ep.region[er]! + 1;
        n++;
      }
      this.closePatient(p, first, n);
    }
    this.n = n;
    stage('lines and session rules');
    this.buildCube();
    stage('day cube');
    this.buildLists();
    stage('lists');
    this.buildLineOrder();
    stage('line order');
  }

  /** lineOrder: a stable counting sort of the lines by day, then one by profile. */
  private buildLineOrder(): void {
    const n = this.n;
    const { start, order } = profileDayOrder(null, n, this.day, this.profile, this.profiles.size);
    this.lineProfileStart = start;
    this.lineOrder = order;
    this.orderedDay = gather(this.day, order);
    this.orderedMonth = gather(this.month, order);
    this.orderedGap = gather(this.nextGap, order);
    this.orderedFacts = gather(this.esiFlag, order);
    for (let k = 0; k < n; k++) this.orderedFacts[k]! |= this.mbbStart[order[k]!]! << 1;
    this.orderedRfa = gather(this.rfaGap, order);
  }

  private buildLists(): void {
    const gaps: number[] = [];
    const flagged: number[] = [];
    const mbb: number[] = [];
    for (let i = 0; i < this.n; i++) {
      if (!this.head[i]) continue;
      if (this.nextGap[i]! > 0) gaps.push(i);
      if (this.esiFlag[i]) flagged.push(i);
      if (this.mbbStart[i]) mbb.push(i);
    }
    flagged.sort((a, b) => this.day[b]! - this.day[a]! || this.episode[b]! - this.episode[a]!);
    // The gap list by (line profile, day).
    const gapOrder = profileDayOrder(gaps, gaps.length, this.day, this.profile, this.profiles.size);
    this.gapProfileStart = gapOrder.start;
    this.flaggedProfile = gather(this.profile, flagged);
    this.flaggedDay = gather(this.day, flagged);
    const patientN = new Map<number, number>();
    const episodeN = new Map<number, number>();
    const denseIn = (m: Map<number, number>, v: number) => {
      let k = m.get(v);
      if (k === undefined) m.set(v, (k = m.size));
      return k;
    };
    this.flaggedPatientN = Int32Array.from(flagged, (i) => denseIn(patientN, this.patient[i]!));
    this.flaggedEpisodeN = Int32Array.from(flagged, (i) => denseIn(episodeN, this.episode[i]!));
    this.flaggedPatients = patientN.size;
    this.flaggedEpisodes = episodeN.size;
    this.mbbProfile = gather(this.profile, mbb);
    this.mbbDay = gather(this.day, mbb);
    this.mbbRfa = gather(this.rfaGap, mbb);
    this.gapDay = gather(this.day, gapOrder.order);
    this.gapValue = gather(this.nextGap, gapOrder.order);
    this.flaggedOrder = Int32Array.from(flagged);
  }

  private ensureLines(size: number): void {
    this.day = grow(this.day, size);
    this.month = grow(this.month, size);
    this.patient = grow(this.patient, size);
    this.episode = grow(this.episode, size);
    this.code = grow(this.code, size);
    this.family = grow(this.family, size);
    this.category = grow(this.category, size);
    this.provider = grow(this.provider, size);
    this.site = grow(this.site, size);
    this.path = grow(this.path, size);
    this.condition = grow(this.condition, size);
    this.region = grow(this.region, size);
    this.laterality = grow(this.laterality, size);
    this.head = grow(this.head, size);
    this.nextGap = grow(this.nextGap, size);
    this.esiInWindow = grow(this.esiInWindow, size);
    this.esiFlag = grow(this.esiFlag, size);
    this.mbbStart = grow(this.mbbStart, size);
    this.rfaGap = grow(this.rfaGap, size);
    this.profile = grow(this.profile, size);
    this.lineCoarse = grow(this.lineCoarse, size);
  }

  /** The coarse profile's fields packed into one exact number (codes < 4096, providers < 4096, sites < 256). */
  private profileCoarseKey(i: number): number {
    let k = this.code[i]!;
    k = k * 16 + this.category[i]!;
    k = k * 4096 + this.denseOf('provider', this.provider[i]!);
    k = k * 256 + this.denseOf('site', this.site[i]!);
    k = k * 2 + this.path[i]!;
    k = k * 8 + this.region[i]!;
    return k * 2 + this.head[i]!;
  }

  /** Small dense numbers for provider and site ids, so that a profile's key packs into one number. */
  private readonly dense = { provider: new Map<number, number>(), site: new Map<number, number>() };
  private denseOf(kind: 'provider' | 'site', id: number): number {
    const m = this.dense[kind];
    let v = m.get(id);
    if (v === undefined) {
      m.set(id, (v = m.size));
      (kind === 'provider' ? this.providerIds : this.siteIds).push(id);
    }
    return v;
  }

  private lineProfile(i: number, coarseKey: number): number {
    const e = this.episode[i]!;
    const known = e < this.epAlive.length && this.epAlive[e] === 1;
    const age = known ? this.epAge[e]! : 255;
    const sex = known ? this.epSex[e]! : 255;
    // The coarse key with condition, age band and sex: one exact number under 2^53.
    let key = coarseKey;
    key = key * 16 + this.condition[i]!;
    key = key * 8 + Math.min(age, 7);
    key = key * 8 + Math.min(sex, 7);
    return this.profiles.idOf(key, () => [
      this.code[i]!,
      this.family[i]!,
      this.category[i]!,
      this.provider[i]!,
      this.site[i]!,
      this.path[i]!,
      this.condition[i]!,
      this.region[i]!,
      age,
      sex,
      this.head[i]!,
    ]);
  }

  /** Records where a patient's lines are and runs the session rules over them. */
  private closePatient(p: number, start: number, end: number): void {
    this.patientStart[p] = start;
    this.patientCount[p] = end - start;
    let count = 0;
    for (let i = start; i < end; i++) {
      const isHead = i === start || this.day[i] !== this.day[i - 1] || this.category[i] !== this.category[i - 1] || this.region[i] !== this.region[i - 1];
      this.head[i] = isHead ? 1 : 0;
      this.nextGap[i] = -1;
      this.esiInWindow[i] = 0;
      this.esiFlag[i] = 0;
      this.mbbStart[i] = 0;
      this.rfaGap[i] = -1;
      const coarseKey = this.profileCoarseKey(i);
      this.profile[i] = this.lineProfile(i, coarseKey);
      this.lineCoarse[i] = this.coarse.idOf(coarseKey, () => [
        this.code[i]!,
        this.family[i]!,
        this.category[i]!,
        this.provider[i]!,
        this.site[i]!,
        this.path[i]!,
        this.region[i]!,
        this.head[i]!,
      ]);
      if (isHead) {
        if (count === this.headScratch.length) this.headScratch = grow(this.headScratch, count * 2 + 16);
        this.headScratch[count++] = i;
      }
    }
    applyRules(this, this.headScratch, count, CATS);
  }
  private headScratch = new Int32Array(64);

  /** The day cube, in one pass after the lines: dense over (day, coarse profile), keeping the cells with lines. */
  private buildCube(): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.n; i++) {
      const d = this.day[i]!;
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
    this.cube = new Cube();
    if (!Number.isFinite(lo)) return;
    const P = this.coarse.size;
    const cell = new Int32Array((hi - lo + 1) * P).fill(-1);
    for (let i = 0; i < this.n; i++) {
      const at = (this.day[i]! - lo) * P + this.lineCoarse[i]!;
      let e = cell[at]!;
      if (e < 0) cell[at] = e = this.cube.append(this.day[i]!, this.lineCoarse[i]!);
      const gap = this.nextGap[i]!;
      this.cube.lines[e]!++;
      if (gap > 0 && gap <= ROLLING_DAYS - 1) this.cube.repeated[e]!++;
      this.cube.flagged[e]! += this.esiFlag[i]!;
      this.cube.mbbStart[e]! += this.mbbStart[i]!;
      if (this.mbbStart[i] && this.rfaGap[i]! > 0) this.cube.converted[e]!++;
    }
  }


  // ---- episodes ----------------------------------------------------------------------

  private ensureEpisodes(size: number): void {
    this.epAlive = grow(this.epAlive, size);
    this.epPatient = grow(this.epPatient, size);
    this.epDay = grow(this.epDay, size);
    this.epMonth = grow(this.epMonth, size);
    this.epPath = grow(this.epPath, size);
    this.epCategory = grow(this.epCategory, size);
    this.epCode = grow(this.epCode, size);
    this.epCondition = grow(this.epCondition, size);
    this.epProvider = grow(this.epProvider, size);
    this.epSite = grow(this.epSite, size);
    this.epAge = grow(this.epAge, size);
    this.epSex = grow(this.epSex, size);
    this.epProfile = grow(this.epProfile, size);
    this.epRow = grow(this.epRow, size);
    this.epProviderIdx = grow(this.epProviderIdx, size);
    this.epSiteIdx = grow(this.epSiteIdx, size);
  }

  private loadEpisodes(): void {
    const ep = this.source.episodes;
    const rows = this.source.rows;
    let max = 0;
    for (let r = 0; r < rows; r++) if (ep.alive[r] && ep.episodeId[r]! > max) max = ep.episodeId[r]!;
    this.ensureEpisodes(max + 1);
    this.epMax = max;
    const codeOf = new Int32Array(this.source.dicts.code.length).fill(-1);
    for (let r = 0; r < rows; r++) {
      if (!ep.alive[r]) continue;
      const id = ep.episodeId[r]!;
      const c = ep.code[r]!;
      let cn = codeOf[c]!;
      if (cn < 0) codeOf[c] = cn = this.codeNumber(this.source.dicts.code[c] ?? null);
      const m = ep.indexMonth[r]!;
      this.epAlive[id] = 1;
      this.epRow[id] = r;
      this.epPatient[id] = ep.patientId[r]!;
      this.epDay[id] = ep.indexDay[r]!;
      this.epMonth[id] = Math.floor(m / 100) * 12 + (m % 100) - 1;
      this.epPath[id] = ep.carePath[r]!;
      this.epCategory[id] = ep.category[r] === NONE ? 0 : ep.category[r]! + 1;
      this.epCode[id] = cn;
      this.epCondition[id] = ep.conditionGroup[r]!;
      this.epProvider[id] = ep.providerId[r]!;
      this.epSite[id] = ep.siteId[r]!;
      this.epAge[id] = ep.ageBand[r] === NONE ? 0 : ep.ageBand[r]!;
      this.epSex[id] = ep.sex[r] === NONE ? 0 : ep.sex[r]!;
      this.epProviderIdx[id] = this.denseOf('provider', this.epProvider[id]!);
      this.epSiteIdx[id] = this.denseOf('site', this.epSite[id]!);
      let key = this.epPath[id]!;
      key = key * 16 + this.epCategory[id]!;
      key = key * 4096 + cn;
      key = key * 16 + this.epCondition[id]!;
      key = key * 4096 + this.denseOf('provider', this.epProvider[id]!);
      key = key * 256 + this.denseOf('site', this.epSite[id]!);
      key = key * 8 + this.epAge[id]!;
      key = key * 8 + this.epSex[id]!;
      this.epProfile[id] = this.epProfiles.idOf(key, () => [
        this.epPath[id]!,
        this.epCategory[id]!,
        this.epCode[id]!,
        this.epCondition[id]!,
        this.epProvider[id]!,
        this.epSite[id]!,
        this.epAge[id]!,
        this.epSex[id]!,
      ]);
    }
  }

  /** The episode rollup (see epByMonth): a counting sort of the live episodes by month, then per month its profiles' counts. */
  private buildEpisodeRollup(): void {
    let firstDay = Infinity;
    let lastDay = -Infinity;
    let first = Infinity;
    let last = -Infinity;
    for (let id = 1; id <= this.epMax; id++) {
      if (!this.epAlive[id]) continue;
      const d = this.epDay[id]!;
      const m = this.epMonth[id]!;
      if (d < firstDay) firstDay = d;
      if (d > lastDay) lastDay = d;
      if (m < first) first = m;
      if (m > last) last = m;
    }
    this.epEntry = new Int32Array(this.epAlive.length).fill(-1);
    if (!Number.isFinite(first)) {
      this.epFirstMonth = 0;
      this.epLastMonth = -1;
      this.epByMonth = new Int32Array(0);
      this.epMonthStart = new Int32Array(1);
      this.rollStart = new Int32Array(1);
      return;
    }
    this.epFirstDay = firstDay;
    this.epLastDay = lastDay;
    this.epFirstMonth = first;
    this.epLastMonth = last;
    const M = last - first + 1;
    this.monthFirstDay = Int32Array.from({ length: M + 1 }, (_, k) => Math.floor(Date.UTC(Math.floor((first + k) / 12), (first + k) % 12, 1) / 86_400_000));
    const start = new Int32Array(M + 1);
    for (let id = 1; id <= this.epMax; id++) if (this.epAlive[id]) start[this.epMonth[id]! - first + 1]!++;
    for (let k = 1; k <= M; k++) start[k]! += start[k - 1]!;
    this.epMonthStart = start.slice();
    const byMonth = new Int32Array(start[M]!);
    for (let id = 1; id <= this.epMax; id++) if (this.epAlive[id]) byMonth[start[this.epMonth[id]! - first]!++] = id;
    this.epByMonth = byMonth;
    this.byMonthProfile = gather(this.epProfile, byMonth);
    this.byMonthDay = gather(this.epDay, byMonth);
    const at = new Int32Array(this.epProfiles.size).fill(-1);
    const rollStart = new Int32Array(M + 1);
    const profile: number[] = [];
    const count: number[] = [];
    for (let k = 0; k < M; k++) {
      rollStart[k] = profile.length;
      for (let j = this.epMonthStart[k]!; j < this.epMonthStart[k + 1]!; j++) {
        const id = byMonth[j]!;
        const p = this.epProfile[id]!;
        let e = at[p]!;
        if (e < rollStart[k]! || profile[e] !== p) {
          at[p] = e = profile.length;
          profile.push(p);
          count.push(0);
        }
        count[e]!++;
        this.epEntry[id] = e;
      }
    }
    rollStart[M] = profile.length;
    this.rollStart = rollStart;
    this.rollProfile = Int32Array.from(profile);
    this.rollCount = Int32Array.from(count);
  }

  /** A measure's bit fields in epByMonth order. */
  bitsInMonthOrder(measure: Measure): Int32Array {
    let out = this.bitsByMonth.get(measure);
    if (!out) {
      const bits = this.bitsOf(measure);
      this.bitsByMonth.set(measure, (out = gather(bits, this.epByMonth)));
    }
    return out;
  }

  /** Per rollup entry, its episodes by class at window `w` and responder flag `f` of a measure (4 counts per entry); made on first use. */
  rollPartsOf(measure: Measure, w: number, f: number): Int32Array {
    const key = `${measure}|${w}|${f}`;
    let out = this.rollParts.get(key);
    if (out) return out;
    const bits = this.bitsOf(measure);
    const wb = windowBit(w);
    const fb = flagBit(f, w);
    out = new Int32Array(this.rollProfile.length * 4);
    for (let id = 1; id <= this.epMax; id++) {
      const e = this.epEntry[id]!;
      if (e < 0) continue;
      const b = bits[id]!;
      out[e * 4 + ((b & BIT_BASELINE) === 0 ? 0 : (b & wb) === 0 ? 1 : (b & fb) === 0 ? 2 : 3)]!++;
    }
    this.rollParts.set(key, out);
    return out;
  }

  /** The measure's bit fields, dense by episode id (made on first use from the analytic store's columns). */
  bitsOf(measure: Measure): Int32Array {
    let bits = this.measureBits.get(measure);
    if (bits) return bits;
    bits = new Int32Array(this.epAlive.length);
    const m = this.source.measure(measure);
    const windows = FOLLOW_UP_WINDOW_NAMES.map((w) => m.windows[w]);
    for (let id = 1; id <= this.epMax; id++) {
      if (!this.epAlive[id]) continue;
      const r = this.epRow[id]!;
      if (!m.present[r]) continue;
      const base = m.baselineValue[r]!;
      let b = base === base ? BIT_BASELINE : 0;
      for (let w = 0; w < windows.length; w++) {
        const win = windows[w]!;
        const v = win.value[r]!;
        if (v === v) b |= windowBit(w);
        for (let f = 0; f < FLAG_NAMES.length; f++) if (win.flags[FLAG_NAMES[f]!]?.[r] === 1) b |= flagBit(f, w);
      }
      bits[id] = b;
    }
    this.measureBits.set(measure, bits);
    return bits;
  }
}

/**
 * Counts per (day, coarse profile): lines, and the session facts of first
 * lines. Entries are never removed (a count may drop to 0), so their numbers
 * stay valid while the store lives.
 */
export class Cube {
  size = 0;
  day = new Int32Array(1024);
  profile = new Int32Array(1024);
  lines = new Int32Array(1024);
  repeated = new Int32Array(1024);
  flagged = new Int32Array(1024);
  mbbStart = new Int32Array(1024);
  converted = new Int32Array(1024);
  /** A new cell of the cube (counts 0); its number. */
  append(day: number, profile: number): number {
    const e = this.size++;
    if (e >= this.day.length) {
      const n = this.day.length * 2;
      this.day = grow(this.day, n);
      this.profile = grow(this.profile, n);
      this.lines = grow(this.lines, n);
      this.repeated = grow(this.repeated, n);
      this.flagged = grow(this.flagged, n);
      this.mbbStart = grow(this.mbbStart, n);
      this.converted = grow(this.converted, n);
    }
    this.day[e] = day;
    this.profile[e] = profile;
    return e;
  }

}

/** Distinct combinations of small integer values, numbered from 0, with each field's value per number. */
export class ProfileTable<F extends string = string> {
  readonly values: Record<F, number[]>;
  private readonly index = new Map<string, number>();
  size = 0;
  constructor(readonly fields: readonly F[]) {
    this.values = Object.fromEntries(fields.map((f) => [f, [] as number[]])) as unknown as Record<F, number[]>;
  }
  /** The number of the combination whose packed key is `key` (`vals` made only for a new one). */
  idOf(key: number, vals: () => readonly number[]): number {
    let i = this.numeric.get(key);
    if (i === undefined) {
      i = this.id(vals());
      this.numeric.set(key, i);
    }
    return i;
  }
  private readonly numeric = new Map<number, number>();

  id(vals: readonly number[]): number {
    const key = vals.join(',');
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.size++;
      this.index.set(key, i);
      this.fields.forEach((f, k) => this.values[f].push(vals[k]!));
    }
    return i;
  }
}

const derived = new WeakMap<AnalyticStore, OperationsStore>();

/** The Operations derivation of an analytic store, made again when the store's version moved. */
export function operationsStoreOf(a: AnalyticStore): OperationsStore {
  let s = derived.get(a);
  if (!s || s.version !== a.version) derived.set(a, (s = OperationsStore.from(a)));
  return s;
}

/** Month index (year * 12 + month - 1) of a day since 1970-01-01. */
export function monthIndexOfDay(day: number): number {
  const d = new Date(day * 86_400_000);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}
