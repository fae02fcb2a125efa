/**
 * generateDemoPractice: a deterministic demo pain practice written through the
 * RecordStore (the importer's write path), one transaction per batch of
 * patients. Patient n of seed s is generated from its own random stream
 * (Rng(s, n)), so the practice does not depend on the batch size, and memory
 * stays at one batch of rows and its keys (RecordStore.forgetKeys after each).
 *
 * The model (what is drawn from what) is model.ts; its exact expectations are
 * truth.ts; the clinical story and the planted figures are docs/demo-practice.md.
 */
import type { Db } from '../../../db/index.ts';
import type {
  CarePath,
  Complication,
  Laterality,
  Measure,
  Region,
  Sex,
  TreatmentCategory,
} from '../../../db/schema/vocabulary.ts';
import { daysToIso, parseIsoDate } from '../../domain/dates.ts';
import {
  RecordStore,
  type EpisodeRow,
  type ObservationRow,
  type PatientRow,
  type TreatmentRow,
  type WriteResult,
} from '../records/store.ts';
import {
  BASELINE_RECORDED,
  BASELINE_VALUES,
  COMPLETION,
  COMPLICATION_RATES,
  CONDITIONS,
  DEFAULT_END_DATE,
  DEFAULT_SEED,
  DEMO_CONDITIONS,
  DURATION_VALUES,
  EARLIER_BASELINE,
  EPISODES_PER_PATIENT,
  MIN_DAYS_BETWEEN_EPISODES,
  MME_FACTORS,
  MME_PMF,
  MME_TRANSITIONS,
  MME_VALUES,
  MONOTONE_DROPOUT,
  NOISE,
  ODI,
  ODI_COMPLETION,
  ODI_WINDOWS,
  PRACTICE_YEARS,
  PROMIS,
  PROMIS_COMPLETION,
  PROMIS_WINDOWS,
  SAME_CONDITION_AGAIN,
  STALE_INTAKE,
  VISITS,
  WINDOWS,
  expectedChange,
  mixOf,
  type DemoCondition,
  type Window,
} from './model.ts';
import {
  MISSING_ZIP_SHARE,
  PROVIDERS,
  PSYCHOLOGIST,
  RESTRICTED_ZIPS,
  RESTRICTED_ZIP_SHARE,
  SITES,
  completionFactors,
  episodeProviders,
  therapist,
  type DemoProvider,
  type DemoSite,
} from './practice.ts';
import { dropSecondaryIndexes, restoreIndexes } from './bulk.ts';
import { Rng, cumulative } from './random.ts';
import { baselinePmf, conditionPmf, durationPmf, noiseHalfWidth, opioidProbability, propensity } from './truth.ts';

export type DemoProgress = { phase: 'writing' | 'indexing'; patientsDone: number; patients: number; episodes: number; treatments: number; observations: number };

export type DemoOptions = {
  patients: number;
  seed?: number;
  /** Last day of the practice's records (YYYY-MM-DD); nothing is dated after it. The practice covers the 3 years before. */
  endDate?: string;
  /** Patients per transaction. */
  batchSize?: number;
  /** Drop and rebuild the big tables' secondary indexes around the load (default: from BULK_THRESHOLD patients into an empty database). */
  bulk?: boolean;
  onProgress?: (p: DemoProgress) => void;
};

export type DemoCounts = { sites: number; providers: number; patients: number; episodes: number; treatments: number; observations: number };

// ---- precomputed sampling tables ------------------------------------------------

type ConditionTables = {
  condition: DemoCondition;
  codes: string[];
  codeCum: Float64Array;
  baselineCum: Float64Array;
  durationCum: Float64Array;
  mix: Record<CarePath, { categories: TreatmentCategory[]; cum: Float64Array }>;
};

const TABLES: Record<DemoCondition, ConditionTables> = Object.fromEntries(
  DEMO_CONDITIONS.map((c) => {
    const spec = CONDITIONS[c];
    const mix = (path: CarePath) => {
      const entries = Object.entries(mixOf(path, c)) as Array<[TreatmentCategory, number]>;
      return { categories: entries.map((e) => e[0]), cum: cumulative(entries.map((e) => e[1])) };
    };
    return [
      c,
      {
        condition: c,
        codes: spec.codes.map((x) => x[0]),
        codeCum: cumulative(spec.codes.map((x) => x[1])),
        baselineCum: cumulative(baselinePmf(c)),
        durationCum: cumulative(durationPmf(c)),
        mix: { interventional: mix('interventional'), conservative: mix('conservative') },
      },
    ];
  }),
) as Record<DemoCondition, ConditionTables>;

const CONDITION_CUM = cumulative(conditionPmf());
const EPISODE_COUNT_CUM = cumulative([...EPISODES_PER_PATIENT]);
const SITE_CUM = cumulative(SITES.map((s) => s.weight));
const RESTRICTED_CUM = cumulative(RESTRICTED_ZIPS.map((z) => z[1]));
const MME_CUM = cumulative([...MME_PMF]);
const MME_TRANSITION_CUM = {
  interventional: Object.fromEntries(WINDOWS.map((w) => [w, cumulative([...MME_TRANSITIONS.interventional[w]])])),
  conservative: Object.fromEntries(WINDOWS.map((w) => [w, cumulative([...MME_TRANSITIONS.conservative[w]])])),
} as Record<CarePath, Record<Window, Float64Array>>;
const COMPLETION_FACTOR = completionFactors();
const EPISODE_PROVIDERS = new Map<string, DemoProvider[]>(
  SITES.flatMap((s) => (['interventional', 'conservative'] as const).map((p) => [`${s.key}|${p}`, episodeProviders(s.key, p)] as const)),
);
const THERAPIST = new Map(SITES.map((s) => [s.key, therapist(s.key)?.key ?? null]));
const NOISE_SHARED = NOISE.rho;
const NOISE_OWN = Math.sqrt(1 - NOISE.rho * NOISE.rho);

const MEASURE_INDEX: Record<Measure, number> = { pain_nrs: 0, odi: 1, promis_pi: 2, promis_pf: 3, mme: 4 };

const clip1 = (x: number) => (x < -1 ? -1 : x > 1 ? 1 : x);

/** 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday. */
const weekday = (day: number) => (((day + 4) % 7) + 7) % 7;
/** Clinic days: a weekend date moves to the next Monday. */
const nextWeekday = (day: number) => {
  const w = weekday(day);
  return w === 6 ? day + 2 : w === 0 ? day + 1 : day;
};
/** A follow-up visit on a weekend moves by one day (Saturday to Friday, Sunday to Monday): it stays in its window. */
const nearWeekday = (day: number) => {
  const w = weekday(day);
  return w === 6 ? day - 1 : w === 0 ? day + 1 : day;
};

// ---- one patient --------------------------------------------------------------------

type Session = { day: number; category: TreatmentCategory; codes: ReadonlyArray<string | null>; procedure: boolean; provider: string | null };

type Sink = {
  patients: PatientRow[];
  episodes: EpisodeRow[];
  treatments: TreatmentRow[];
  observations: ObservationRow[];
};

class PracticeGenerator {
  private readonly isoCache = new Map<number, string>();

  constructor(
    private readonly seed: number,
    private readonly startDay: number,
    private readonly endDay: number,
  ) {}

  private iso(day: number): string {
    let s = this.isoCache.get(day);
    if (s === undefined) {
      s = daysToIso(day);
      if (this.isoCache.size < 4096) this.isoCache.set(day, s);
    }
    return s;
  }

  mrn(n: number): string {
    return `P${this.seed}-${String(n).padStart(7, '0')}`;
  }

  patient(n: number, out: Sink): void {
    const rng = new Rng(this.seed, n);
    const mrn = this.mrn(n);
    const first = DEMO_CONDITIONS[rng.pickCumulative(CONDITION_CUM)]!;
    const spec = CONDITIONS[first];

    let age: number;
    do age = spec.age[0] + spec.age[1] * rng.normal();
    while (age < 20 || age > 96);
    const u = rng.float();
    const sex: Sex = u < 0.003 ? 'other' : u < 0.008 ? 'unknown' : u < 0.008 + 0.992 * spec.female ? 'female' : 'male';
    const site = SITES[rng.pickCumulative(SITE_CUM)]!;
    const zu = rng.float();
    const zip =
      zu < MISSING_ZIP_SHARE
        ? null
        : zu < MISSING_ZIP_SHARE + RESTRICTED_ZIP_SHARE
          ? RESTRICTED_ZIPS[rng.pickCumulative(RESTRICTED_CUM)]![0]
          : rng.pick(site.zips);

    // Index dates: uniform over the practice's span with a minimum gap (uniform spacings).
    const count = 1 + rng.pickCumulative(EPISODE_COUNT_CUM);
    const span = this.endDay - this.startDay - (count - 1) * MIN_DAYS_BETWEEN_EPISODES;
    const offsets: number[] = [];
    for (let j = 0; j < count; j++) offsets.push(Math.floor(rng.float() * (span + 1)));
    offsets.sort((a, b) => a - b);
    const starts = offsets.map((o, j) => {
      let d = this.startDay + o + j * MIN_DAYS_BETWEEN_EPISODES;
      d = nextWeekday(d);
      if (d > this.endDay) d -= weekday(d) === 1 ? 3 : 1; // past the end: back to Friday
      return d;
    });
    const birthDay = starts[0]! - Math.round(age * 365.2425);
    out.patients.push({ mrn, birthDate: daysToIso(birthDay), sex, zip });

    const used = new Set<number>(); // (day, measure) already holding an observation of this patient
    let condition = first;
    for (let j = 0; j < count; j++) {
      if (j > 0) {
        const gap = starts[j]! - starts[j - 1]!;
        if (!(gap >= 365 && rng.chance(SAME_CONDITION_AGAIN))) condition = DEMO_CONDITIONS[rng.pickCumulative(CONDITION_CUM)]!;
      }
      this.episode(rng, mrn, `${mrn}-E${j + 1}`, condition, site, starts[j]!, used, out);
    }
  }

  private episode(
    rng: Rng,
    mrn: string,
    key: string,
    c: DemoCondition,
    site: DemoSite,
    index: number,
    used: Set<number>,
    out: Sink,
  ): void {
    const t = TABLES[c];
    const spec = CONDITIONS[c];
    const code = t.codes[rng.pickCumulative(t.codeCum)]!;
    const b: number = BASELINE_VALUES[rng.pickCumulative(t.baselineCum)]!;
    const d: number = DURATION_VALUES[rng.pickCumulative(t.durationCum)]!;
    const path: CarePath = rng.chance(propensity(c, b, d)) ? 'interventional' : 'conservative';
    const mix = t.mix[path];
    const k = mix.categories[rng.pickCumulative(mix.cum)]!;
    const provider = rng.pick(EPISODE_PROVIDERS.get(`${site.key}|${path}`)!);
    out.episodes.push({
      key,
      patientMrn: mrn,
      carePath: path,
      conditionCode: code,
      region: spec.region,
      providerKey: provider.key,
      siteKey: site.key,
      startDate: this.iso(index),
      painDurationMonths: d,
    });

    // The episode's latent response: z < 0 does better than expected at every window.
    const z = rng.normal();

    // ---- treatments
    const sessions: Session[] = [];
    if (path === 'interventional') {
      this.procedures(rng, k, c, code, spec.region, z, index, provider.key, sessions);
      this.addConservative(rng, null, index, site, provider.key, 0.35, 0.3, 0.08, 0.05, sessions);
    } else {
      this.conservativeCourse(rng, k, index, site, provider.key, sessions);
      this.addConservative(rng, k, index, site, provider.key, 0.25, 0.3, 0.1, 0.06, sessions);
    }
    const laterality = this.laterality(rng, k, c, code);
    let tn = 0;
    for (const s of sessions) {
      if (s.day > this.endDay) continue;
      const [pMinor, pMajor] = COMPLICATION_RATES[s.category];
      s.codes.forEach((cpt, i) => {
        let complication: Complication | null = null;
        if (i === 0 || !s.procedure) {
          const u = rng.float();
          complication = u < pMajor ? 'major' : u < pMajor + pMinor ? 'minor' : 'none';
        }
        out.treatments.push({
          key: `${key}-T${++tn}`,
          episodeKey: key,
          date: this.iso(s.day),
          category: s.category,
          code: cpt,
          // Interlaminar ESI is a midline approach: no side.
          laterality: s.procedure && !s.codes[0]!.startsWith('6232') ? laterality : null,
          providerKey: s.provider,
          complication,
        });
      });
    }

    // ---- observations
    const add = (day: number, measure: Measure, value: number) => {
      if (day > this.endDay) return;
      const slot = day * 8 + MEASURE_INDEX[measure];
      if (used.has(slot)) return; // the patient already has this measure that day (another episode's visit)
      used.add(slot);
      out.observations.push({ key: null, patientMrn: mrn, episodeKey: key, date: this.iso(day), measure, value });
    };
    const odi = spec.odi && site.collectsOdi;
    const promis = site.collectsPromis;
    const onOpioids = rng.chance(opioidProbability(c, b, d));
    const mmeBaseline = onOpioids ? MME_VALUES[rng.pickCumulative(MME_CUM)]! : 0;
    const uOpioid = rng.float();

    const odiBaseline = rng.roundUnbiased(ODI.intercept + ODI.slope * b + ODI.spread * (2 * rng.float() - 1), 0.5);
    const piBaseline = rng.roundUnbiased(PROMIS.pi.intercept + PROMIS.pi.slope * b + PROMIS.spread * (2 * rng.float() - 1), 10);
    const pfBaseline = rng.roundUnbiased(PROMIS.pf.intercept + PROMIS.pf.slope * b + PROMIS.spread * (2 * rng.float() - 1), 10);

    if (rng.chance(BASELINE_RECORDED)) {
      let day = index;
      if (!rng.chance(0.55)) {
        day = index - rng.int(1, 28);
        const w = weekday(day);
        if (w === 6) day -= 1;
        else if (w === 0) day -= 2;
      }
      if (rng.chance(EARLIER_BASELINE)) {
        const early = day - rng.int(3, 14);
        if (early >= index - 30) add(early, 'pain_nrs', Math.min(10, Math.max(0, b + rng.int(-1, 1))));
      }
      add(day, 'pain_nrs', b);
      if (odi && rng.chance(ODI_COMPLETION)) add(day, 'odi', odiBaseline);
      if (promis && rng.chance(PROMIS_COMPLETION)) {
        add(day, 'promis_pi', piBaseline);
        add(day, 'promis_pf', pfBaseline);
      }
      if (onOpioids) add(day, 'mme', mmeBaseline);
    } else if (rng.chance(STALE_INTAKE)) {
      add(index - rng.int(35, 75), 'pain_nrs', Math.min(10, Math.max(0, b + rng.int(-1, 1))));
    }

    const factor = COMPLETION_FACTOR.get(`${provider.key}|${path}`)!;
    const monotone = rng.chance(MONOTONE_DROPOUT);
    const uDropout = rng.float();
    for (const w of WINDOWS) {
      const v = VISITS[w];
      const day = nearWeekday(index + v.target + rng.int(-v.jitter, v.jitter));
      const zw = NOISE_SHARED * z + NOISE_OWN * rng.normal();
      const zOther = 0.8 * zw + 0.6 * rng.normal();
      const attend = (monotone ? uDropout : rng.float()) < COMPLETION[w] * factor;
      const uOdi = rng.float();
      const uPromis = rng.float();
      if (!attend || day > this.endDay) continue;
      const mu = expectedChange(k, c, b, d, w);
      const m = b - mu;
      add(day, 'pain_nrs', rng.roundUnbiased(m + noiseHalfWidth(m) * clip1(zw / NOISE.clip)));
      if (odi && ODI_WINDOWS.includes(w) && uOdi < ODI_COMPLETION) {
        const mo = odiBaseline * (1 - (ODI.relative * mu) / b);
        add(day, 'odi', rng.roundUnbiased(mo + noiseHalfWidth(mo, ODI.halfRange, 100) * clip1(zOther / NOISE.clip), 0.5));
      }
      if (promis && PROMIS_WINDOWS.includes(w) && uPromis < PROMIS_COMPLETION) {
        const mi = piBaseline + PROMIS.pi.perNrsChange * mu;
        const mf = pfBaseline + PROMIS.pf.perNrsChange * mu;
        add(day, 'promis_pi', rng.roundUnbiased(mi + noiseHalfWidth(mi, PROMIS.halfRange, 80, 20) * clip1(zOther / NOISE.clip), 10));
        add(day, 'promis_pf', rng.roundUnbiased(mf - noiseHalfWidth(mf, PROMIS.halfRange, 80, 20) * clip1(zOther / NOISE.clip), 10));
      }
      if (onOpioids) {
        const state = pickAt(MME_TRANSITION_CUM[path][w], uOpioid);
        add(day, 'mme', mmeBaseline * MME_FACTORS[state]!);
      }
    }
  }

  // ---- procedures ------------------------------------------------------------------

  private procedures(
    rng: Rng,
    k: TreatmentCategory,
    c: DemoCondition,
    icd: string,
    region: Region,
    z: number,
    index: number,
    provider: string,
    out: Session[],
  ): void {
    const at = (day: number, category: TreatmentCategory, codes: Array<string | null>) => {
      if (day - index <= 456) out.push({ day: nextWeekday(day), category, codes, procedure: true, provider });
    };
    const cervical = region === 'cervical';
    const facetCodes = () => {
      const [first, second, third] = cervical ? ['64490', '64491', '64492'] : ['64493', '64494', '64495'];
      const codes = [first];
      if (rng.chance(0.7)) {
        codes.push(second);
        if (rng.chance(0.15)) codes.push(third);
      }
      return codes;
    };
    const rfaCodes = () => {
      if (region === 'sacroiliac') return ['64625'];
      const codes = cervical ? ['64633'] : ['64635'];
      if (rng.chance(0.6)) codes.push(cervical ? '64634' : '64636');
      return codes;
    };
    switch (k) {
      case 'epidural_steroid_injection': {
        const tfShare = cervical ? 0.05 : c === 'radiculopathy' ? 0.6 : c === 'post_laminectomy' ? 0.4 : c === 'spinal_stenosis' ? 0.3 : 0.2;
        const transforaminal = rng.chance(tfShare);
        const esiCodes = () =>
          transforaminal
            ? cervical
              ? rng.chance(0.2) ? ['64479', '64480'] : ['64479']
              : rng.chance(0.25) ? ['64483', '64484'] : ['64483']
            : cervical
              ? [rng.chance(0.85) ? '62321' : '62320']
              : [rng.chance(0.88) ? '62323' : '62322'];
        at(index, k, esiCodes());
        // Relief wears off; those whose pain returns come back. A few come back every 5-10 weeks
        // (more than 4 sessions a year: the payer rule's flag).
        if ((z > 1 && rng.chance(0.55)) || rng.chance(0.03)) {
          for (let day = index + rng.int(35, 75); day - index <= 456; day += rng.int(35, 75)) at(day, k, esiCodes());
        } else if (rng.chance(z > 0 ? 0.55 : 0.3)) {
          const day = index + rng.int(42, 150);
          at(day, k, esiCodes());
          if (rng.chance(0.35)) at(day + rng.int(60, 150), k, esiCodes());
        }
        break;
      }
      case 'medial_branch_block':
      case 'facet_joint_injection': {
        at(index, k, facetCodes());
        let last = index;
        if (k === 'medial_branch_block') {
          if (rng.chance(0.55)) at((last = index + rng.int(14, 35)), k, facetCodes()); // confirmatory block
          if (rng.chance(z < 0 ? 0.75 : 0.45)) {
            const rfa = last + rng.int(21, 56);
            at(rfa, 'radiofrequency_ablation', rfaCodes());
            if (rng.chance(0.2)) at(rfa + rng.int(300, 420), 'radiofrequency_ablation', rfaCodes());
          }
        } else if (rng.chance(z > 0 ? 0.4 : 0.2)) {
          at(index + rng.int(60, 180), k, facetCodes());
        }
        break;
      }
      case 'radiofrequency_ablation':
        at(index, k, rfaCodes());
        if (rng.chance(0.3)) at(index + rng.int(270, 420), k, rfaCodes());
        break;
      case 'sacroiliac_joint_injection':
        at(index, k, ['27096']);
        if (rng.chance(0.35)) {
          const day = index + rng.int(60, 150);
          at(day, k, ['27096']);
          if (rng.chance(0.35)) at(day + rng.int(60, 150), k, ['27096']);
        }
        break;
      case 'nerve_block': {
        if (c === 'crps') {
          const upper = icd.startsWith('G90.51') || (!icd.startsWith('G90.52') && rng.chance(0.4));
          const cpt = upper ? '64510' : '64520'; // stellate ganglion / lumbar sympathetic
          at(index, k, [cpt]);
          if (rng.chance(0.6)) {
            const day = index + rng.int(7, 21);
            at(day, k, [cpt]);
            if (rng.chance(0.5)) at(day + rng.int(7, 21), k, [cpt]);
          }
        } else {
          at(index, k, ['64450']);
          if (rng.chance(0.4)) at(index + rng.int(30, 90), k, ['64450']);
        }
        break;
      }
      case 'spinal_cord_stimulation':
        at(index, k, ['63650', '63650']); // trial: two percutaneous leads
        if (rng.chance(z < 0.5 ? 0.8 : 0.45)) at(index + rng.int(21, 45), k, rng.chance(0.3) ? ['63655', '63685'] : ['63650', '63650', '63685']);
        break;
      case 'other_injection':
        at(index, k, [rng.chance(0.7) ? '20552' : '20553']); // trigger points
        if (rng.chance(0.35)) at(index + rng.int(30, 90), k, [rng.chance(0.7) ? '20552' : '20553']);
        break;
      default:
        throw new Error(`not a procedure: ${k}`);
    }
  }

  private laterality(rng: Rng, k: TreatmentCategory, c: DemoCondition, icd: string): Laterality | null {
    const side = (bilateral: number): Laterality => (rng.chance(bilateral) ? 'bilateral' : rng.chance(0.5) ? 'left' : 'right');
    switch (k) {
      case 'epidural_steroid_injection':
        return side(0.15); // transforaminal sessions only; interlaminar is midline
      case 'medial_branch_block':
      case 'facet_joint_injection':
      case 'radiofrequency_ablation':
        return side(0.55);
      case 'sacroiliac_joint_injection':
        return side(0.25);
      case 'nerve_block':
        if (c === 'crps') {
          const last = icd.slice(-1);
          return icd.length === 7 ? (last === '1' ? 'right' : last === '2' ? 'left' : last === '3' ? 'bilateral' : side(0)) : side(0);
        }
        return side(0.5);
      case 'other_injection':
        return side(0.4);
      default:
        return null;
    }
  }

  // ---- conservative care -------------------------------------------------------------

  private conservativeCourse(rng: Rng, k: TreatmentCategory, start: number, site: DemoSite, provider: string, out: Session[]): void {
    const at = (day: number, category: TreatmentCategory, code: string | null, by: string | null) =>
      out.push({ day: nextWeekday(day), category, codes: [code], procedure: false, provider: by });
    switch (k) {
      case 'physical_therapy': {
        const u = rng.float();
        const by = THERAPIST.get(site.key)!;
        at(start, k, u < 0.3 ? '97161' : u < 0.8 ? '97162' : '97163', by);
        let day = start;
        for (let i = rng.int(1, 4); i > 0; i--) at((day += rng.int(3, 10)), k, rng.chance(0.6) ? '97110' : '97140', by);
        break;
      }
      case 'medication':
        at(start, k, null, provider);
        if (rng.chance(0.4)) at(start + rng.int(21, 60), k, null, provider); // dose change or switch
        break;
      case 'exercise_program':
        at(start, k, null, provider);
        if (rng.chance(0.3)) at(start + rng.int(28, 60), k, null, provider);
        break;
      case 'psychological_therapy': {
        at(start, k, '96156', PSYCHOLOGIST.key);
        let day = start;
        for (let i = rng.int(2, 5); i > 0; i--) at((day += rng.int(7, 14)), k, '96158', PSYCHOLOGIST.key);
        break;
      }
      case 'heat_cold':
        at(start, k, '97010', provider);
        break;
      case 'usual_care':
        at(start, k, null, provider);
        break;
      default:
        throw new Error(`not conservative care: ${k}`);
    }
  }

  /** Conservative care added after the index date (never on it, so the index category stays unambiguous). */
  private addConservative(
    rng: Rng,
    index: TreatmentCategory | null,
    start: number,
    site: DemoSite,
    provider: string,
    pPt: number,
    pMedication: number,
    pExercise: number,
    pPsychology: number,
    out: Session[],
  ): void {
    if (index !== 'physical_therapy' && rng.chance(pPt)) this.conservativeCourse(rng, 'physical_therapy', start + rng.int(3, 21), site, provider, out);
    if (index !== 'medication' && rng.chance(pMedication)) this.conservativeCourse(rng, 'medication', start + rng.int(1, 14), site, provider, out);
    if (index !== 'exercise_program' && rng.chance(pExercise)) this.conservativeCourse(rng, 'exercise_program', start + rng.int(14, 60), site, provider, out);
    if (index !== 'psychological_therapy' && rng.chance(pPsychology)) this.conservativeCourse(rng, 'psychological_therapy', start + rng.int(14, 60), site, provider, out);
  }
}

function pickAt(cum: Float64Array, u: number): number {
  const x = u * cum[cum.length - 1]!;
  for (let i = 0; i < cum.length - 1; i++) if (x < cum[i]!) return i;
  return cum.length - 1;
}

// ---- the entry point -----------------------------------------------------------------

export function practiceSpan(endDate: string = DEFAULT_END_DATE): { startDay: number; endDay: number } {
  const endDay = parseIsoDate(endDate);
  if (endDay === null) throw new Error(`not a date: ${endDate}`);
  const y = Number(endDate.slice(0, 4)) - PRACTICE_YEARS;
  const sameDayYearsBefore = parseIsoDate(`${y}${endDate.slice(4)}`) ?? parseIsoDate(`${y}-02-28`)!;
  return { startDay: sameDayYearsBefore + 1, endDay };
}

function check(table: string, r: WriteResult): void {
  if (r.failed.length > 0) throw new Error(`demo practice: ${r.failed.length} ${table} rows refused (first: ${r.failed[0]!.reason})`);
}

/**
 * Generates `patients` patients of the demo practice into `db` (sites and
 * providers first), deterministically for `seed`. Keys are derived from the
 * seed and the patient number, so running the same seed again changes nothing.
 * A large practice into an empty database is bulk loaded (bulk.ts).
 */
export function generateDemoPractice(db: Db, options: DemoOptions): DemoCounts {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  if (!Number.isSafeInteger(options.patients) || options.patients < 0) throw new Error(`patients must be a non-negative integer`);
  const { startDay, endDay } = practiceSpan(options.endDate);
  const store = new RecordStore(db);
  const tx = <T>(f: () => T): T => db.$client.transaction(f)();

  restoreIndexes(db); // repairs an interrupted bulk load
  const empty = db.$client.prepare('SELECT NOT EXISTS (SELECT 1 FROM episodes)').pluck().get() === 1;
  const bulk = options.bulk ?? (empty && options.patients >= BULK_THRESHOLD);
  const batchSize = options.batchSize ?? 2000;

  tx(() => {
    check('sites', store.writeSites(SITES.map((s) => ({ key: s.key, name: s.name })), null));
    check(
      'providers',
      store.writeProviders(PROVIDERS.map((p) => ({ key: p.key, name: p.name, specialty: p.specialty, siteKey: p.siteKey })), null),
    );
  });

  store.forgetKeys(); // patients and episodes by lookup, not by maps of every stored key (the database may hold a million)
  const gen = new PracticeGenerator(seed, startDay, endDay);
  const counts: DemoCounts = { sites: SITES.length, providers: PROVIDERS.length, patients: 0, episodes: 0, treatments: 0, observations: 0 };
  const progress = (phase: DemoProgress['phase']) =>
    options.onProgress?.({ phase, patientsDone: counts.patients, patients: options.patients, episodes: counts.episodes, treatments: counts.treatments, observations: counts.observations });
  const sink: Sink = { patients: [], episodes: [], treatments: [], observations: [] };
  if (bulk) dropSecondaryIndexes(db);
  try {
    for (let from = 1; from <= options.patients; from += batchSize) {
      const to = Math.min(options.patients, from + batchSize - 1);
      for (let n = from; n <= to; n++) gen.patient(n, sink);
      tx(() => {
        check('patients', store.writePatients(sink.patients, null));
        check('episodes', store.writeEpisodes(sink.episodes, null));
        check('treatments', store.writeTreatments(sink.treatments, null));
        check('observations', store.writeObservations(sink.observations, null));
      });
      // A batch refers only to its own patients and episodes: the store keeps no
      // keys of earlier batches (memory stays at one batch at any scale).
      store.forgetKeys();
      counts.patients += sink.patients.length;
      counts.episodes += sink.episodes.length;
      counts.treatments += sink.treatments.length;
      counts.observations += sink.observations.length;
      sink.patients = [];
      sink.episodes = [];
      sink.treatments = [];
      sink.observations = [];
      progress('writing');
    }
  } finally {
    if (bulk) {
      progress('indexing');
      restoreIndexes(db);
    }
  }
  return counts;
}

/** From this many patients into an empty database, the generator bulk loads (bulk.ts). */
export const BULK_THRESHOLD = 20_000;

/**
 * `npm start` on an empty database: seeds the demo practice (`patients`
 * patients, the default seed and end date) when there are no episodes yet.
 * Returns a one-line summary to print, or null when nothing was seeded.
 */
export function seedDemoIfEmpty(db: Db, patients: number): string | null {
  if (patients <= 0) return null;
  if (db.$client.prepare('SELECT EXISTS (SELECT 1 FROM episodes)').pluck().get() === 1) return null;
  const t0 = performance.now();
  const c = generateDemoPractice(db, { patients });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  return (
    `Seeded the demo practice in ${seconds} s: ${c.patients.toLocaleString('en-US')} patients, ` +
    `${c.episodes.toLocaleString('en-US')} episodes, ${c.treatments.toLocaleString('en-US')} treatments, ` +
    `${c.observations.toLocaleString('en-US')} observations (seed ${DEFAULT_SEED}, records up to ${DEFAULT_END_DATE}).`
  );
}
