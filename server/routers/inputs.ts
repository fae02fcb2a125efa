import { z } from 'zod';
import { CARE_PATHS, CONDITION_GROUP_NAMES, PROCEDURE_CODE_SHAPE, SEXES, TREATMENT_CATEGORIES } from '../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../domain/dates.ts';
import { AGE_BAND_LABELS } from '../services/outcomes/filters.ts';

/**
 * Inputs shared by the analytic routers (outcomes, compare, operations): the
 * practice filters every page sends, bounded as the house style asks.
 */

/** Longest date range a query may ask for. */
export const MAX_RANGE_YEARS = 20;

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => parseIsoDate(s) !== null, 'not a calendar date');

const FILTER_FIELDS = {
  carePath: z.enum(CARE_PATHS).nullable().default(null),
  conditions: z.array(z.enum(CONDITION_GROUP_NAMES)).max(CONDITION_GROUP_NAMES.length).default([]),
  categories: z.array(z.enum(TREATMENT_CATEGORIES)).max(TREATMENT_CATEGORIES.length).default([]),
  codes: z.array(z.string().regex(PROCEDURE_CODE_SHAPE, 'a CPT or HCPCS code')).max(50).default([]),
  providers: z.array(z.number().int().positive().max(2 ** 31)).max(100).default([]),
  sites: z.array(z.number().int().positive().max(2 ** 31)).max(100).default([]),
  ageBands: z.array(z.enum(AGE_BAND_LABELS as [string, ...string[]])).max(AGE_BAND_LABELS.length).default([]),
  sexes: z.array(z.enum(SEXES)).max(SEXES.length).default([]),
  from: IsoDate.nullable().default(null),
  to: IsoDate.nullable().default(null),
};

/** A from/to range that ends after it starts and spans at most MAX_RANGE_YEARS; `what` names the dates in the message. */
function checkRange(what: string) {
  return (f: { from: string | null; to: string | null }, ctx: z.RefinementCtx) => {
    if (!f.from || !f.to) return;
    if (f.from > f.to) ctx.addIssue({ code: 'custom', message: 'the range ends before it starts', path: ['to'] });
    else if (parseIsoDate(f.to)! - parseIsoDate(f.from)! > MAX_RANGE_YEARS * 366) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_RANGE_YEARS} years${what}`, path: ['to'] });
    }
  };
}

/** No filter at all, as the inputs' defaults (for the `.default` of an input that holds filters). */
export const NO_FILTERS = { conditions: [], categories: [], codes: [], providers: [], sites: [], ageBands: [], sexes: [], from: null, to: null };
export const NO_PRACTICE_FILTERS = { carePath: null, ...NO_FILTERS };

/** The practice filters of the Outcomes and Operations pages; `what` is how the date range is described in its error. */
export function practiceFilters(what = ' of index dates') {
  return z
    .object(FILTER_FIELDS)
    .superRefine(checkRange(what))
    .default(NO_PRACTICE_FILTERS);
}

/** The same filters without a care path: for comparing the two paths. */
export function bothPathFilters() {
  const { carePath: _carePath, ...fields } = FILTER_FIELDS;
  return z.object(fields).superRefine(checkRange(' of index dates')).default(NO_FILTERS);
}
