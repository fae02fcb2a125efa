import {
  CARE_PATHS,
  CONDITION_GROUP_NAMES,
  FOLLOW_UP_WINDOW_NAMES,
  MEASURE_NAMES,
  TREATMENT_CATEGORIES,
} from '../../../db/schema/vocabulary.ts';
import { defineFilters, idList, isoDate, manyOf, oneOf, optionalOneOf, type FilterValues } from './url-filters.ts';

/**
 * The filters every analytic page shares (Outcomes, Compare, Operations,
 * Cohorts). They travel with the navigation from one of these pages to the
 * next, so "radiculopathy, last year, at the north clinic" stays selected while
 * the user moves between views. A page adds its own fields by spreading
 * `PRACTICE_FILTERS.fields` into a new schema; those stay on that page.
 */
export const PRACTICE_FILTERS = defineFilters(
  {
    /** null: both care paths. */
    carePath: optionalOneOf(CARE_PATHS),
    condition: manyOf(CONDITION_GROUP_NAMES),
    category: manyOf(TREATMENT_CATEGORIES),
    provider: idList(),
    site: idList(),
    /** Index-date range, inclusive; null: open-ended. */
    from: isoDate(),
    to: isoDate(),
    /** 3 months: the usual primary end point of the interventional pain literature; the user picks another. */
    window: oneOf(FOLLOW_UP_WINDOW_NAMES, 'm3'),
    measure: oneOf(MEASURE_NAMES, 'pain_nrs'),
  },
  {
    // A range typed backwards is read as the range the user meant.
    normalise: (v) => (v.from !== null && v.to !== null && v.from > v.to ? { ...v, from: v.to, to: v.from } : v),
  },
);

export type PracticeFilters = FilterValues<typeof PRACTICE_FILTERS.fields>;
