/**
 * A cohort definition: a versioned JSON document (issue 7). Criteria are
 * applied in order to the practice's episodes of care; each keeps (include)
 * or removes (exclude) the episodes it matches, and the attrition funnel
 * counts what remains after each. Pure: the same zod schema validates the
 * router's input, a saved cohort read back from the database, a definition
 * shared in a URL, and the copy inside every export.
 *
 * `schemaVersion` is the document's format. A later format must come with a
 * migration from every earlier one in `parseCohortDefinition`, so a saved
 * cohort and an old link keep their meaning.
 */
import { z } from 'zod';
import {
  CARE_PATHS,
  FOLLOW_UP_WINDOW_NAMES,
  MEASURE_NAMES,
  PROCEDURE_CODE_SHAPE,
  REGIONS,
  SEXES,
  TREATMENT_CATEGORIES,
  type FollowUpWindow,
  type Measure,
} from '../../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../../domain/dates.ts';

export const COHORT_SCHEMA_VERSION = 1 as const;
export const MAX_CRITERIA = 30;

/**
 * An ICD-10-CM code or prefix pattern: `M54.16` (exactly that code) or
 * `M54.1*` (every code starting with M54.1). Upper-case, dotted as stored.
 */
export const CONDITION_PATTERN = /^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{0,4})?\*?$/;

const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => parseIsoDate(s) !== null, 'not a calendar date');

const Measures = z.enum(MEASURE_NAMES as [Measure, ...Measure[]]);
const Windows = z.enum(FOLLOW_UP_WINDOW_NAMES as [FollowUpWindow, ...FollowUpWindow[]]);
const nullableNumber = (min: number, max: number) => z.number().min(min).max(max).nullable().default(null);
const nullableInt = (min: number, max: number) => z.number().int().min(min).max(max).nullable().default(null);
const range = <T extends z.ZodRawShape>(shape: T) =>
  z
    .object(shape)
    .refine((r: Record<string, unknown>) => r.min === null || r.max === null || (r.min as number) <= (r.max as number), {
      message: 'the minimum is above the maximum',
      path: ['max'],
    });

const base = { exclude: z.boolean().default(false) };

export const Criterion = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('condition'),
    ...base,
    /** Codes or prefixes (`M54.1*`); an episode matches when its condition code matches any of them. */
    codes: z
      .array(z.string().trim().toUpperCase().regex(CONDITION_PATTERN, 'an ICD-10-CM code, or a prefix ending in *'))
      .min(1)
      .max(50),
  }),
  z.object({ type: z.literal('carePath'), ...base, paths: z.array(z.enum(CARE_PATHS)).min(1).max(CARE_PATHS.length) }),
  z
    .object({
      type: z.literal('treatment'),
      ...base,
      /** Treatment categories and CPT / HCPCS codes; an episode matches when one treatment has any of the categories or any of the codes. */
      categories: z.array(z.enum(TREATMENT_CATEGORIES)).max(TREATMENT_CATEGORIES.length).default([]),
      codes: z.array(z.string().trim().toUpperCase().regex(PROCEDURE_CODE_SHAPE, 'a CPT or HCPCS code')).max(50).default([]),
      /** `any`: any treatment of the episode; `primary`: the primary treatment (its first procedure, decision 005). */
      scope: z.enum(['any', 'primary']).default('any'),
    })
    .refine((c) => c.categories.length + c.codes.length > 0, { message: 'choose a category or a code', path: ['categories'] }),
  z
    .object({ type: z.literal('indexDate'), ...base, from: IsoDate.nullable().default(null), to: IsoDate.nullable().default(null) })
    .refine((c) => !c.from || !c.to || c.from <= c.to, { message: 'the range ends before it starts', path: ['to'] }),
  range({ type: z.literal('age'), ...base, min: nullableInt(0, 130), max: nullableInt(0, 130) }),
  z.object({ type: z.literal('sex'), ...base, sexes: z.array(z.enum(SEXES)).min(1).max(SEXES.length) }),
  z.object({
    type: z.literal('region'),
    ...base,
    /** `unrecorded`: episodes without a region. */
    regions: z.array(z.enum([...REGIONS, 'unrecorded'])).min(1).max(REGIONS.length + 1),
  }),
  range({ type: z.literal('baseline'), ...base, measure: Measures.default('pain_nrs'), min: nullableNumber(0, 10_000), max: nullableNumber(0, 10_000) }),
  z.object({
    type: z.literal('painDuration'),
    ...base,
    /** `chronic`: more than 3 months before the index date (domain.md); `not_chronic`: 3 months or less; `unrecorded`: unknown. */
    is: z.enum(['chronic', 'not_chronic', 'unrecorded']),
  }),
  range({ type: z.literal('priorProcedures'), ...base, min: nullableInt(0, 10_000), max: nullableInt(0, 10_000) }),
  z.object({ type: z.literal('followUp'), ...base, measure: Measures.default('pain_nrs'), window: Windows.default('m3') }),
]);
export type Criterion = z.infer<typeof Criterion>;
export type CriterionType = Criterion['type'];
export const CRITERION_TYPES = [
  'condition',
  'carePath',
  'treatment',
  'indexDate',
  'age',
  'sex',
  'region',
  'baseline',
  'painDuration',
  'priorProcedures',
  'followUp',
] as const satisfies readonly CriterionType[];

export const CohortDefinition = z.object({
  schemaVersion: z.literal(COHORT_SCHEMA_VERSION),
  /** What a row of the cohort is: an episode of care (patients are counted alongside). */
  unit: z.literal('episode').default('episode'),
  criteria: z.array(Criterion).max(MAX_CRITERIA),
});
export type CohortDefinition = z.infer<typeof CohortDefinition>;
export type CohortDefinitionInput = z.input<typeof CohortDefinition>;

export const EMPTY_DEFINITION: CohortDefinition = { schemaVersion: COHORT_SCHEMA_VERSION, unit: 'episode', criteria: [] };

/** Parses a stored or shared document (any supported version) into the current format; throws a ZodError when invalid. */
export function parseCohortDefinition(doc: unknown): CohortDefinition {
  return CohortDefinition.parse(doc);
}

/** A criterion's canonical text: the cache key of its mask, and what makes two definitions comparable. */
export function criterionKey(c: Criterion): string {
  const { exclude: _exclude, ...rest } = c;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

/** Does an ICD-10-CM code match a pattern (`M54.16`, or the prefix `M54.1*`)? */
export function conditionMatches(code: string, pattern: string): boolean {
  return pattern.endsWith('*') ? code.startsWith(pattern.slice(0, -1)) : code === pattern;
}
