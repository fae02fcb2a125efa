/**
 * How groups are named in responses: the client shows these labels and never
 * spells out a snake_case value. Providers and sites are named from their
 * tables (one small query per response).
 */
import type { Db } from '../../../db/index.ts';
import { CONDITION_GROUPS, CPT_FAMILIES, cptFamilyOf, type ConditionGroup } from '../../../db/schema/vocabulary.ts';
import { groupKeyOf, type Grouping } from './filters.ts';
import type { RawKey } from './query.ts';

const CATEGORY_LABELS: Record<string, string> = {
  epidural_steroid_injection: 'Epidural steroid injection',
  facet_joint_injection: 'Facet joint injection',
  medial_branch_block: 'Medial branch block',
  radiofrequency_ablation: 'Radiofrequency ablation',
  sacroiliac_joint_injection: 'Sacroiliac joint injection',
  nerve_block: 'Nerve block',
  spinal_cord_stimulation: 'Spinal cord stimulation',
  other_injection: 'Other injection',
  medication: 'Medication',
  physical_therapy: 'Physical therapy',
  exercise_program: 'Exercise programme',
  heat_cold: 'Heat / cold',
  psychological_therapy: 'Psychological therapy',
  usual_care: 'Usual care',
};

export function categoryLabel(category: string | null): string {
  return category === null ? 'No treatment recorded' : (CATEGORY_LABELS[category] ?? category);
}

export function conditionLabel(group: string): string {
  return CONDITION_GROUPS[group as ConditionGroup]?.label ?? group;
}

export function codeLabel(code: string | null): string {
  if (code === null) return 'No code';
  const family = cptFamilyOf(code);
  return family && family !== 'other' ? `${code} (${CPT_FAMILIES[family].label})` : code;
}

const SEX_LABELS: Record<string, string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown' };
const PATH_LABELS: Record<string, string> = { interventional: 'Interventional', conservative: 'Conservative' };

export type Names = { providers: Map<number, string>; sites: Map<number, string> };

export function loadNames(db: Db): Names {
  const rows = (table: string) => db.$client.prepare(`SELECT id, name FROM ${table}`).raw().all() as Array<[number, string]>;
  return { providers: new Map(rows('providers')), sites: new Map(rows('sites')) };
}

/** The API key and the label of a group. */
export function groupLabel(grouping: Grouping | null, raw: RawKey, names: Names | null): { key: string | null; label: string } {
  if (grouping === null) return { key: null, label: 'All episodes' };
  const key = groupKeyOf(grouping, raw);
  switch (grouping) {
    case 'care_path':
      return { key, label: PATH_LABELS[String(raw)] ?? String(raw) };
    case 'category':
      return { key, label: categoryLabel(raw as string | null) };
    case 'code':
      return { key, label: codeLabel(raw as string | null) };
    case 'condition':
      return { key, label: conditionLabel(String(raw)) };
    case 'provider':
      return { key, label: names?.providers.get(Number(raw)) ?? `Provider ${raw}` };
    case 'site':
      return { key, label: names?.sites.get(Number(raw)) ?? `Site ${raw}` };
    case 'sex':
      return { key, label: SEX_LABELS[String(raw)] ?? String(raw) };
    case 'age_band':
      return { key, label: `Age ${raw}` };
    case 'month':
    case 'quarter':
    case 'year':
      return { key, label: key ?? '' };
  }
}
