/**
 * The clinical vocabulary shared by the schema, the importer, the generator and
 * the client: enumerations from ../shared/spec/import-format.md and the code
 * groupings of ../shared/spec/domain.md. Pure values, no I/O, so that the
 * client may import them too.
 */

export const SEXES = ['female', 'male', 'other', 'unknown'] as const;
export type Sex = (typeof SEXES)[number];

export const CARE_PATHS = ['interventional', 'conservative'] as const;
export type CarePath = (typeof CARE_PATHS)[number];

export const REGIONS = ['cervical', 'thoracic', 'lumbar', 'sacroiliac', 'peripheral', 'other'] as const;
export type Region = (typeof REGIONS)[number];

export const INTERVENTIONAL_CATEGORIES = [
  'epidural_steroid_injection',
  'facet_joint_injection',
  'medial_branch_block',
  'radiofrequency_ablation',
  'sacroiliac_joint_injection',
  'nerve_block',
  'spinal_cord_stimulation',
  'other_injection',
] as const;
export const CONSERVATIVE_CATEGORIES = [
  'medication',
  'physical_therapy',
  'exercise_program',
  'heat_cold',
  'psychological_therapy',
  'usual_care',
] as const;
export const TREATMENT_CATEGORIES = [...INTERVENTIONAL_CATEGORIES, ...CONSERVATIVE_CATEGORIES] as const;
export type TreatmentCategory = (typeof TREATMENT_CATEGORIES)[number];

export function carePathOfCategory(category: TreatmentCategory): CarePath {
  return (INTERVENTIONAL_CATEGORIES as readonly string[]).includes(category) ? 'interventional' : 'conservative';
}

export const LATERALITIES = ['left', 'right', 'bilateral'] as const;
export type Laterality = (typeof LATERALITIES)[number];

export const COMPLICATIONS = ['none', 'minor', 'major'] as const;
export type Complication = (typeof COMPLICATIONS)[number];

/** Outcome measures with their valid range, unit and LOINC code (domain.md, "Codes"). */
export const MEASURES = {
  pain_nrs: { label: 'Pain (NRS 0-10)', min: 0, max: 10, loinc: '72514-3', unit: 'points' },
  odi: { label: 'Oswestry Disability Index', min: 0, max: 100, loinc: '97909-6', unit: 'points' },
  promis_pi: { label: 'PROMIS pain interference', min: 20, max: 80, loinc: '71961-7', unit: 'T-score' },
  promis_pf: { label: 'PROMIS physical function', min: 20, max: 80, loinc: '71959-1', unit: 'T-score' },
  mme: { label: 'Opioid use (daily MME)', min: 0, max: Number.POSITIVE_INFINITY, loinc: null, unit: 'mg/day' },
} as const;
export type Measure = keyof typeof MEASURES;
export const MEASURE_NAMES = Object.keys(MEASURES) as Measure[];

/**
 * Condition groups: the clinical grouping of ICD-10-CM codes the product reports
 * by. Matched by code prefix, longest prefix first.
 */
export const CONDITION_GROUPS = {
  low_back_pain: { label: 'Low back pain', prefixes: ['M54.5'] },
  radiculopathy: { label: 'Radiculopathy', prefixes: ['M54.1', 'M51.1'] },
  spinal_stenosis: { label: 'Spinal stenosis', prefixes: ['M48.0'] },
  facet_arthropathy: { label: 'Facet arthropathy', prefixes: ['M47.81', 'M47.89'] },
  neck_pain: { label: 'Neck pain', prefixes: ['M54.2'] },
  sacroiliac: { label: 'Sacroiliac joint pain', prefixes: ['M46.1', 'M53.3'] },
  crps: { label: 'CRPS', prefixes: ['G90.5'] },
  neuropathy: { label: 'Peripheral neuropathy', prefixes: ['G62', 'G57', 'G58'] },
  post_laminectomy: { label: 'Post-laminectomy syndrome', prefixes: ['M96.1'] },
  other: { label: 'Other', prefixes: [] },
} as const satisfies Record<string, { label: string; prefixes: readonly string[] }>;
export type ConditionGroup = keyof typeof CONDITION_GROUPS;
export const CONDITION_GROUP_NAMES = Object.keys(CONDITION_GROUPS) as ConditionGroup[];

const conditionPrefixes: Array<[string, ConditionGroup]> = (
  Object.entries(CONDITION_GROUPS) as Array<[ConditionGroup, { prefixes: readonly string[] }]>
)
  .flatMap(([group, g]) => g.prefixes.map((p) => [p, group] as [string, ConditionGroup]))
  .sort((a, b) => b[0].length - a[0].length);

export function conditionGroupOf(icd10: string): ConditionGroup {
  for (const [prefix, group] of conditionPrefixes) if (icd10.startsWith(prefix)) return group;
  return 'other';
}

const ICD10_SHAPE = /^([A-TV-Z][0-9][0-9A-Z])\.?([0-9A-Z]{1,4})?$/;

/**
 * Normalises an ICD-10-CM code to its dotted upper-case form ("m5416" ->
 * "M54.16"); null when it does not have the shape of one.
 */
export function normaliseIcd10(raw: string): string | null {
  const m = ICD10_SHAPE.exec(raw.trim().toUpperCase());
  if (!m) return null;
  return m[2] ? `${m[1]}.${m[2]}` : m[1]!;
}

/** M54.5 "low back pain" was replaced by M54.50/M54.51/M54.59 on 2021-10-01. */
export const RETIRED_ICD10: Record<string, { retiredOn: string; use: string }> = {
  'M54.5': { retiredOn: '2021-10-01', use: 'M54.50, M54.51 or M54.59' },
};

/** CPT families used for volume and repeat-procedure reporting (domain.md, "Codes"). */
export const CPT_FAMILIES = {
  esi_interlaminar: { label: 'Interlaminar ESI', codes: ['62320', '62321', '62322', '62323'] },
  esi_transforaminal: { label: 'Transforaminal ESI', codes: ['64479', '64480', '64483', '64484'] },
  facet_mbb: { label: 'Facet injection / MBB', codes: ['64490', '64491', '64492', '64493', '64494', '64495'] },
  facet_rfa: { label: 'Facet RFA', codes: ['64633', '64634', '64635', '64636'] },
  si_joint: { label: 'SI joint injection', codes: ['27096'] },
  scs: { label: 'Spinal cord stimulation', codes: ['63650', '63655', '63685'] },
  physical_therapy: { label: 'Physical therapy', codes: ['97110', '97140', '97161', '97162', '97163'] },
} as const;
export type CptFamily = keyof typeof CPT_FAMILIES | 'other';

const familyByCode = new Map<string, CptFamily>(
  (Object.entries(CPT_FAMILIES) as Array<[CptFamily, { codes: readonly string[] }]>).flatMap(([family, f]) =>
    f.codes.map((c) => [c, family] as [string, CptFamily]),
  ),
);
export function cptFamilyOf(code: string | null | undefined): CptFamily | null {
  if (!code) return null;
  return familyByCode.get(code) ?? 'other';
}

/** CPT (5 digits) or HCPCS level II (a letter and 4 digits). */
export const PROCEDURE_CODE_SHAPE = /^(?:[0-9]{4}[0-9FTU]|[A-V][0-9]{4})$/;

/** Follow-up windows of domain.md: days after the index date. */
export const FOLLOW_UP_WINDOWS = {
  w2: { label: '2 weeks', target: 14, from: 7, to: 21 },
  w6: { label: '6 weeks', target: 42, from: 22, to: 63 },
  m3: { label: '3 months', target: 91, from: 64, to: 135 },
  m6: { label: '6 months', target: 182, from: 136, to: 272 },
  m12: { label: '12 months', target: 365, from: 273, to: 456 },
} as const;
export type FollowUpWindow = keyof typeof FOLLOW_UP_WINDOWS;
export const FOLLOW_UP_WINDOW_NAMES = Object.keys(FOLLOW_UP_WINDOWS) as FollowUpWindow[];

/** Baseline: the last observation in the 30 days up to and including the index date. */
export const BASELINE_DAYS = 30;
