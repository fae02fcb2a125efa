import type { Count } from '../../../server/auth/suppression.ts';
import type { RouterOutputs } from '../../../server/routers/_app.ts';

export type RecordsSummary = RouterOutputs['records']['summary'];

export type RecordCount = {
  key: 'patients' | 'episodes' | 'treatments' | 'observations' | 'providers' | 'sites';
  label: string;
  /** A number, or a withheld small count ("<11") for roles that may not see patient-level data. */
  value: Count;
  definition: string;
};

/** The Data page's tiles, in the order a physician thinks of a practice: patients, their episodes, what was done, what was measured. */
export function recordCounts(s: RecordsSummary): RecordCount[] {
  return [
    { key: 'patients', label: 'Patients', value: s.patients, definition: 'People with at least one stored record, counted once each.' },
    {
      key: 'episodes',
      label: 'Episodes of care',
      value: s.episodes,
      definition:
        'One course of treatment for one condition, starting on its index date (the first treatment). A patient may have several.',
    },
    {
      key: 'treatments',
      label: 'Treatments',
      value: s.treatments,
      definition: 'Procedures (CPT-coded injections, ablations, stimulator trials and implants) and conservative treatments, each on its date.',
    },
    {
      key: 'observations',
      label: 'Observations',
      value: s.observations,
      definition:
        'Outcome observations: patient-reported scores (pain NRS, Oswestry Disability Index, PROMIS) and daily opioid dose (MME), each on its date.',
    },
    { key: 'providers', label: 'Providers', value: s.providers, definition: 'Clinicians named as the provider of an episode or a treatment.' },
    { key: 'sites', label: 'Sites', value: s.sites, definition: 'Clinic locations of the practice.' },
  ];
}

/** Nothing stored at all: the practice has not imported anything yet. */
export function isEmptyPractice(s: RecordsSummary): boolean {
  // A withheld count ("<11") is not zero.
  return s.patients === 0 && s.episodes === 0 && s.treatments === 0 && s.observations === 0 && s.providers === 0 && s.sites === 0;
}
