/**
 * The demo practice's data-generating model: every distribution and effect the
 * generator samples from, in one place, as plain data. The generator
 * (generate.ts) samples it; the planted truth (truth.ts) computes its exact
 * expectations by enumerating the same tables. Change a number here and both
 * follow. What the numbers mean clinically: docs/demo-practice.md.
 *
 * The outcome model, per episode (X = condition c, baseline NRS B, pain
 * duration D months; k = index treatment category; w = follow-up window):
 *
 *   mu = M[k][c] * A[k][w] + BETA_BASELINE * (B - 7) + BETA_DURATION * (D/12 - 2)
 *   latent follow-up  Y = m + s * clip(Z_w / NOISE.clip, -1, 1),  m = B - mu,
 *                     s = min(NOISE.halfRange, m, 10 - m)
 *   stored follow-up  F = unbiased integer rounding of Y   (so E[F | X] = m)
 *
 * so E[B - F | X, k, w] = mu exactly: no clamping (Y stays in [0, 10] by
 * construction) and no rounding bias. Z_w = rho * z + sqrt(1 - rho^2) * e_w is
 * standard normal with an episode-level z, so responders stay responders.
 *
 * Path assignment (the planted confounding): P(interventional | X) =
 *   logistic(PATH_INTERCEPT[c] + PATH_BASELINE * (B - 7) + PATH_DURATION * (D/12 - 2));
 * B and D also enter mu, so the crude path difference is biased while the
 * effect conditional on X is mu(interventional k) - mu(conservative k'), the
 * covariate terms cancelling.
 */
import type { CarePath, ConditionGroup, Region, TreatmentCategory } from '../../../db/schema/vocabulary.ts';

export const WINDOWS = ['w2', 'w6', 'm3', 'm6', 'm12'] as const;
export type Window = (typeof WINDOWS)[number];

/** Demo conditions: every condition group except "other". */
export type DemoCondition = Exclude<ConditionGroup, 'other'>;

export type ConditionSpec = {
  /** Share of episodes. */
  weight: number;
  /** ICD-10-CM codes and their shares. */
  codes: ReadonlyArray<readonly [string, number]>;
  region: Region;
  /** Age (years) at the patient's first episode: mean and SD of a normal truncated to 20-96. */
  age: readonly [number, number];
  female: number;
  /** Exponential tilt of the baseline NRS distribution: p(b) ∝ BASELINE_PMF(b) * exp(tilt * (b - 7)). */
  severityTilt: number;
  /** Power tilt of the pain duration distribution: p(d) ∝ DURATION_PMF(d) * (d / 24)^tilt. */
  durationTilt: number;
  /** ODI is collected for low back and leg conditions (it is a lumbar instrument). */
  odi: boolean;
};

export const CONDITIONS: Record<DemoCondition, ConditionSpec> = {
  low_back_pain: {
    weight: 0.2,
    codes: [['M54.50', 0.6], ['M54.59', 0.25], ['M54.51', 0.15]],
    region: 'lumbar',
    age: [50, 14],
    female: 0.56,
    severityTilt: -0.1,
    durationTilt: 0,
    odi: true,
  },
  radiculopathy: {
    weight: 0.22,
    codes: [['M54.16', 0.35], ['M54.17', 0.15], ['M51.16', 0.35], ['M51.17', 0.15]],
    region: 'lumbar',
    age: [52, 13],
    female: 0.5,
    severityTilt: 0.1,
    durationTilt: -0.15,
    odi: true,
  },
  spinal_stenosis: {
    weight: 0.12,
    codes: [['M48.061', 0.45], ['M48.062', 0.55]],
    region: 'lumbar',
    age: [69, 10],
    female: 0.52,
    severityTilt: 0,
    durationTilt: 0.2,
    odi: true,
  },
  facet_arthropathy: {
    weight: 0.12,
    codes: [['M47.816', 1]],
    region: 'lumbar',
    age: [62, 12],
    female: 0.58,
    severityTilt: 0,
    durationTilt: 0.1,
    odi: true,
  },
  neck_pain: {
    weight: 0.1,
    codes: [['M54.2', 1]],
    region: 'cervical',
    age: [50, 14],
    female: 0.6,
    severityTilt: -0.15,
    durationTilt: 0,
    odi: false,
  },
  sacroiliac: {
    weight: 0.08,
    codes: [['M46.1', 0.4], ['M53.3', 0.6]],
    region: 'sacroiliac',
    age: [52, 14],
    female: 0.7,
    severityTilt: 0,
    durationTilt: 0,
    odi: true,
  },
  crps: {
    weight: 0.03,
    codes: [
      ['G90.511', 0.16],
      ['G90.512', 0.16],
      ['G90.513', 0.03],
      ['G90.521', 0.24],
      ['G90.522', 0.24],
      ['G90.523', 0.04],
      ['G90.50', 0.07],
      ['G90.59', 0.06],
    ],
    region: 'peripheral',
    age: [45, 13],
    female: 0.75,
    severityTilt: 0.25,
    durationTilt: -0.3,
    odi: false,
  },
  neuropathy: {
    weight: 0.06,
    codes: [['G62.9', 1]],
    region: 'peripheral',
    age: [64, 12],
    female: 0.48,
    severityTilt: -0.1,
    durationTilt: 0.1,
    odi: false,
  },
  post_laminectomy: {
    weight: 0.07,
    codes: [['M96.1', 1]],
    region: 'lumbar',
    age: [60, 11],
    female: 0.5,
    severityTilt: 0.15,
    durationTilt: 0.3,
    odi: true,
  },
};
export const DEMO_CONDITIONS = Object.keys(CONDITIONS) as DemoCondition[];

/** Baseline pain NRS 3..10 before tilting: a pain clinic's referrals (mean about 6.9). */
export const BASELINE_VALUES = [3, 4, 5, 6, 7, 8, 9, 10] as const;
export const BASELINE_PMF = [0.03, 0.07, 0.13, 0.19, 0.22, 0.19, 0.11, 0.06] as const;

/** Pain duration in months as patients report it (rounded), before tilting: 9 % under 3 months. */
export const DURATION_VALUES = [1, 2, 3, 4, 6, 9, 12, 18, 24, 36, 48, 60, 84, 120, 180] as const;
export const DURATION_PMF = [2, 3, 4, 5, 9, 8, 11, 10, 10, 10, 7, 6, 6, 5, 4] as const;

// ---- the planted confounding ---------------------------------------------

/** Logit of P(interventional) at B = 7, D = 24 months, by condition. */
export const PATH_INTERCEPT: Record<DemoCondition, number> = {
  low_back_pain: -0.6,
  radiculopathy: 0.9,
  spinal_stenosis: 0.6,
  facet_arthropathy: 1.2,
  neck_pain: -0.3,
  sacroiliac: 0.9,
  crps: 0,
  neuropathy: -1.3,
  post_laminectomy: 0.8,
};
/** Per NRS point of baseline above 7: sicker patients are sent for procedures. */
export const PATH_BASELINE = 0.55;
/** Per year of pain duration above 2: long-standing pain after failed conservative care. */
export const PATH_DURATION = 0.1;

/** Change (NRS points) per baseline point above 7: worse baselines improve more (and regress to the mean). */
export const BETA_BASELINE = 0.4;
/** Change per year of pain duration above 2: chronicity blunts improvement. */
export const BETA_DURATION = -0.08;

// ---- treatment choice within a path ---------------------------------------

export type Mix = Partial<Record<TreatmentCategory, number>>;

/** Index procedure category of interventional episodes, by condition. */
export const INTERVENTIONAL_MIX: Record<DemoCondition, Mix> = {
  low_back_pain: {
    medial_branch_block: 0.4,
    radiofrequency_ablation: 0.1,
    epidural_steroid_injection: 0.25,
    sacroiliac_joint_injection: 0.1,
    facet_joint_injection: 0.05,
    other_injection: 0.1,
  },
  radiculopathy: { epidural_steroid_injection: 0.97, spinal_cord_stimulation: 0.03 },
  spinal_stenosis: { epidural_steroid_injection: 0.95, spinal_cord_stimulation: 0.05 },
  facet_arthropathy: { medial_branch_block: 0.55, radiofrequency_ablation: 0.25, facet_joint_injection: 0.2 },
  neck_pain: {
    epidural_steroid_injection: 0.45,
    medial_branch_block: 0.3,
    radiofrequency_ablation: 0.1,
    facet_joint_injection: 0.1,
    other_injection: 0.05,
  },
  sacroiliac: { sacroiliac_joint_injection: 0.9, radiofrequency_ablation: 0.1 },
  crps: { nerve_block: 0.6, spinal_cord_stimulation: 0.4 },
  neuropathy: { nerve_block: 0.8, spinal_cord_stimulation: 0.2 },
  post_laminectomy: {
    spinal_cord_stimulation: 0.45,
    epidural_steroid_injection: 0.35,
    medial_branch_block: 0.1,
    radiofrequency_ablation: 0.1,
  },
};

const CONSERVATIVE_DEFAULT: Mix = {
  medication: 0.3,
  physical_therapy: 0.35,
  exercise_program: 0.12,
  psychological_therapy: 0.07,
  heat_cold: 0.05,
  usual_care: 0.11,
};
const CONSERVATIVE_AXIAL: Mix = {
  medication: 0.25,
  physical_therapy: 0.4,
  exercise_program: 0.15,
  psychological_therapy: 0.06,
  heat_cold: 0.06,
  usual_care: 0.08,
};
/** Index treatment category of conservative episodes, by condition. */
export const CONSERVATIVE_MIX: Record<DemoCondition, Mix> = {
  low_back_pain: CONSERVATIVE_AXIAL,
  radiculopathy: CONSERVATIVE_DEFAULT,
  spinal_stenosis: CONSERVATIVE_DEFAULT,
  facet_arthropathy: CONSERVATIVE_DEFAULT,
  neck_pain: CONSERVATIVE_AXIAL,
  sacroiliac: CONSERVATIVE_DEFAULT,
  crps: {
    medication: 0.35,
    physical_therapy: 0.35,
    psychological_therapy: 0.15,
    exercise_program: 0.05,
    heat_cold: 0.02,
    usual_care: 0.08,
  },
  neuropathy: {
    medication: 0.6,
    physical_therapy: 0.1,
    exercise_program: 0.08,
    psychological_therapy: 0.07,
    heat_cold: 0.03,
    usual_care: 0.12,
  },
  post_laminectomy: {
    medication: 0.4,
    physical_therapy: 0.25,
    psychological_therapy: 0.12,
    exercise_program: 0.08,
    heat_cold: 0.03,
    usual_care: 0.12,
  },
};

export function mixOf(path: CarePath, c: DemoCondition): Mix {
  return path === 'interventional' ? INTERVENTIONAL_MIX[c] : CONSERVATIVE_MIX[c];
}

// ---- effects ---------------------------------------------------------------

/**
 * Expected NRS change (baseline - follow-up) by index category and window for
 * the reference condition (multiplier 1), B = 7 and D = 24 months: the
 * treatment-policy effect as delivered, repeats and conversions included
 * (a medial branch block episode's later months are mostly its RFA's).
 */
export const CATEGORY_EFFECT: Record<TreatmentCategory, Record<Window, number>> = {
  epidural_steroid_injection: { w2: 2.6, w6: 3.0, m3: 2.1, m6: 1.4, m12: 1.1 },
  facet_joint_injection: { w2: 2.2, w6: 2.0, m3: 1.4, m6: 1.0, m12: 0.8 },
  medial_branch_block: { w2: 1.6, w6: 2.2, m3: 2.7, m6: 2.6, m12: 1.9 },
  radiofrequency_ablation: { w2: 1.8, w6: 3.0, m3: 3.2, m6: 3.0, m12: 2.2 },
  sacroiliac_joint_injection: { w2: 2.8, w6: 2.5, m3: 1.7, m6: 1.1, m12: 0.9 },
  nerve_block: { w2: 2.0, w6: 1.7, m3: 1.2, m6: 1.0, m12: 0.9 },
  spinal_cord_stimulation: { w2: 2.4, w6: 3.2, m3: 3.4, m6: 3.4, m12: 3.1 },
  other_injection: { w2: 1.5, w6: 1.1, m3: 0.8, m6: 0.7, m12: 0.6 },
  medication: { w2: 0.8, w6: 1.3, m3: 1.5, m6: 1.5, m12: 1.4 },
  physical_therapy: { w2: 0.5, w6: 1.2, m3: 1.8, m6: 1.9, m12: 1.8 },
  exercise_program: { w2: 0.4, w6: 1.0, m3: 1.5, m6: 1.7, m12: 1.7 },
  psychological_therapy: { w2: 0.4, w6: 0.9, m3: 1.4, m6: 1.7, m12: 1.8 },
  heat_cold: { w2: 0.7, w6: 0.8, m3: 0.8, m6: 0.8, m12: 0.8 },
  usual_care: { w2: 0.5, w6: 0.7, m3: 0.9, m6: 1.0, m12: 1.0 },
};

/** How well a category suits a condition: a multiplier of CATEGORY_EFFECT (1 where not listed). */
export const CONDITION_MULTIPLIER: Partial<Record<TreatmentCategory, Partial<Record<DemoCondition, number>>>> = {
  epidural_steroid_injection: { spinal_stenosis: 0.8, low_back_pain: 0.65, neck_pain: 0.85, post_laminectomy: 0.6 },
  medial_branch_block: { low_back_pain: 0.85, neck_pain: 0.95, post_laminectomy: 0.75 },
  radiofrequency_ablation: { low_back_pain: 0.85, neck_pain: 0.95, post_laminectomy: 0.75, sacroiliac: 0.8 },
  facet_joint_injection: { low_back_pain: 0.85, neck_pain: 0.95 },
  sacroiliac_joint_injection: { low_back_pain: 0.8 },
  nerve_block: { neuropathy: 0.9 },
  spinal_cord_stimulation: { crps: 1.05, neuropathy: 0.95, radiculopathy: 0.9, spinal_stenosis: 0.85 },
  medication: { neuropathy: 1.2, crps: 0.8 },
  physical_therapy: { low_back_pain: 1.1, neck_pain: 1.1, spinal_stenosis: 0.9, crps: 1.0 },
  psychological_therapy: { crps: 1.1, post_laminectomy: 1.1 },
};

export function multiplier(k: TreatmentCategory, c: DemoCondition): number {
  return CONDITION_MULTIPLIER[k]?.[c] ?? 1;
}

/** The expected NRS change mu(X, k, w) of the header comment. */
export function expectedChange(k: TreatmentCategory, c: DemoCondition, b: number, d: number, w: Window): number {
  return multiplier(k, c) * CATEGORY_EFFECT[k][w] + BETA_BASELINE * (b - 7) + BETA_DURATION * (d / 12 - 2);
}

/** Individual variation around the expected follow-up (header comment). */
export const NOISE = { halfRange: 4.5, clip: 1.5, rho: 0.7 } as const;

// ---- other measures (their expected changes follow the NRS's) --------------

/** ODI baseline = even-rounded(6 + 4.5 B + U(-10, 10)); expected follow-up = baseline * (1 - ODI_RELATIVE * mu / B). */
export const ODI = { intercept: 6, slope: 4.5, spread: 10, relative: 0.8, halfRange: 14 } as const;
/** PROMIS T-scores (one decimal): PI baseline 52 + 1.8 B + U(-4, 4), follows -2.2 mu; PF 48 - 1.4 B + U(-4, 4), follows +1.6 mu. */
export const PROMIS = {
  pi: { intercept: 52, slope: 1.8, perNrsChange: -2.2 },
  pf: { intercept: 48, slope: -1.4, perNrsChange: 1.6 },
  spread: 4,
  halfRange: 6,
} as const;

// ---- opioids ---------------------------------------------------------------

/** Logit of P(on opioids at baseline) at B = 7, D = 24 months. */
export const OPIOID_INTERCEPT: Record<DemoCondition, number> = {
  low_back_pain: -1.4,
  radiculopathy: -1.3,
  spinal_stenosis: -1.2,
  facet_arthropathy: -1.4,
  neck_pain: -1.6,
  sacroiliac: -1.6,
  crps: -0.9,
  neuropathy: -1.1,
  post_laminectomy: -0.5,
};
export const OPIOID_BASELINE = 0.25;
export const OPIOID_DURATION = 0.15;

/** Baseline daily MME of patients on opioids (independent of everything else). */
export const MME_VALUES = [10, 15, 20, 30, 40, 45, 60, 80, 90, 120, 150] as const;
export const MME_PMF = [0.1, 0.12, 0.15, 0.18, 0.12, 0.08, 0.1, 0.05, 0.05, 0.04, 0.01] as const;

/** Follow-up dose as a multiple of baseline, best first. */
export const MME_FACTORS = [0, 0.5, 0.75, 1, 1.25] as const;
/**
 * P(dose factor) by path and window for patients on opioids at baseline; it
 * depends on nothing else, so these are the planted opioid effects exactly.
 * Drawn comonotonically across windows (one uniform per episode), so a patient
 * who stopped stays stopped.
 */
export const MME_TRANSITIONS: Record<CarePath, Record<Window, readonly [number, number, number, number, number]>> = {
  interventional: {
    w2: [0.02, 0.05, 0.1, 0.78, 0.05],
    w6: [0.06, 0.12, 0.14, 0.63, 0.05],
    m3: [0.11, 0.17, 0.15, 0.52, 0.05],
    m6: [0.15, 0.18, 0.14, 0.47, 0.06],
    m12: [0.19, 0.17, 0.13, 0.44, 0.07],
  },
  conservative: {
    w2: [0.01, 0.03, 0.08, 0.83, 0.05],
    w6: [0.03, 0.05, 0.1, 0.74, 0.08],
    m3: [0.05, 0.07, 0.11, 0.68, 0.09],
    m6: [0.07, 0.08, 0.11, 0.64, 0.1],
    m12: [0.09, 0.08, 0.1, 0.62, 0.11],
  },
};

// ---- follow-up and missingness ----------------------------------------------

/**
 * Scheduled visit day: target plus a uniform integer jitter, then moved off a
 * weekend by one day; every visit falls inside its own window (vocabulary
 * FOLLOW_UP_WINDOWS) and no other, so each window holds exactly one visit.
 */
export const VISITS: Record<Window, { target: number; jitter: number }> = {
  w2: { target: 14, jitter: 5 },
  w6: { target: 42, jitter: 12 },
  m3: { target: 91, jitter: 18 },
  m6: { target: 182, jitter: 30 },
  m12: { target: 365, jitter: 45 },
};
/** P(the visit happens | not censored), before the provider's factor. Independent of outcomes (MCAR). */
export const COMPLETION: Record<Window, number> = { w2: 0.88, w6: 0.78, m3: 0.68, m6: 0.56, m12: 0.45 };
/** Share of episodes whose visits drop out monotonically (the rest miss visits at random). */
export const MONOTONE_DROPOUT = 0.6;
/** P(a baseline pain score in the 30 days up to the index date). */
export const BASELINE_RECORDED = 0.92;
/** Of episodes without a baseline, the share with an intake score 35-75 days before the index date (outside the baseline window). */
export const STALE_INTAKE = 0.5;
/** Of episodes with a baseline, the share with an earlier score in the window too (the baseline is the last). */
export const EARLIER_BASELINE = 0.15;
/** Completion of the ODI form / PROMIS forms at a visit where pain was recorded. */
export const ODI_COMPLETION = 0.9;
export const PROMIS_COMPLETION = 0.85;
export const ODI_WINDOWS: readonly Window[] = ['m3', 'm6', 'm12'];
export const PROMIS_WINDOWS: readonly Window[] = ['m3', 'm12'];

// ---- complications -----------------------------------------------------------

/** P(minor), P(major) per session (the primary line of a procedure; add-on lines carry none) or per conservative treatment row. */
export const COMPLICATION_RATES: Record<TreatmentCategory, readonly [number, number]> = {
  epidural_steroid_injection: [0.025, 0.001],
  facet_joint_injection: [0.015, 0.0005],
  medial_branch_block: [0.015, 0.0005],
  radiofrequency_ablation: [0.03, 0.001],
  sacroiliac_joint_injection: [0.015, 0.0005],
  nerve_block: [0.025, 0.002],
  spinal_cord_stimulation: [0.06, 0.03],
  other_injection: [0.01, 0],
  medication: [0.04, 0.003],
  physical_therapy: [0.008, 0.0005],
  exercise_program: [0.006, 0],
  psychological_therapy: [0, 0],
  heat_cold: [0.004, 0],
  usual_care: [0, 0],
};

// ---- practice shape ------------------------------------------------------------

/** Episodes per patient (1..5): mean 2.0. */
export const EPISODES_PER_PATIENT = [0.4, 0.33, 0.17, 0.07, 0.03] as const;
/** P(a later episode has the previous episode's condition) when it starts a year or more later; otherwise a fresh draw. */
export const SAME_CONDITION_AGAIN = 0.45;
export const MIN_DAYS_BETWEEN_EPISODES = 28;
export const PRACTICE_YEARS = 3;
export const DEFAULT_END_DATE = '2026-10-31';
export const DEFAULT_SEED = 1;
