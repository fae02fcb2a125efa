/**
 * The Cohorts page's state and pure mappers: the cohort definition kept in
 * the URL (shareable), the criteria's defaults, sentences and completeness,
 * the funnel rows, Table 1 cells, and the download's progress text. No React,
 * no I/O: tested in tests/client/cohorts.test.ts.
 */
import type { RouterInputs, RouterOutputs } from '../../../server/routers/_app.ts';
import {
  CARE_PATHS,
  FOLLOW_UP_WINDOWS,
  MEASURES,
  REGIONS,
  SEXES,
  TREATMENT_CATEGORIES,
  type FollowUpWindow,
  type Measure,
} from '../../../db/schema/vocabulary.ts';
import { formatDecimal, formatMaskedCount, formatPercent } from './format.ts';
import { defineFilters, idList, oneOf, type FilterField } from './url-filters.ts';

export type Definition = RouterInputs['cohorts']['funnel']['definition'];
export type Criterion = Definition['criteria'][number];
export type CriterionType = Criterion['type'];
export type Funnel = RouterOutputs['cohorts']['funnel'];
export type SavedCohort = RouterOutputs['cohorts']['list'][number];
export type Characterisation = RouterOutputs['cohorts']['characterise'];
export type TableOne = Characterisation['table'];
export type TableOneRow = TableOne['rows'][number];
export type Count = Funnel['start']['episodes'];

export const EMPTY_DEFINITION: Definition = { schemaVersion: 1, unit: 'episode', criteria: [] };

// ---- the definition in the URL ---------------------------------------------------------

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string | null {
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The definition as a URL value (base64url of its JSON). */
export function encodeDefinition(d: Definition): string {
  return toBase64Url(JSON.stringify({ v: d.schemaVersion, c: d.criteria }));
}

/** A definition from a URL value; undefined when it cannot be read (the page then starts empty). The server validates it fully. */
export function decodeDefinition(s: string): Definition | undefined {
  const text = fromBase64Url(s);
  if (text === null) return undefined;
  try {
    const doc = JSON.parse(text) as { v?: unknown; c?: unknown };
    if (doc.v !== 1 || !Array.isArray(doc.c) || doc.c.length > 30) return undefined;
    const criteria = doc.c.filter((c): c is Criterion => typeof c === 'object' && c !== null && typeof (c as { type?: unknown }).type === 'string' && (c as { type: string }).type in CRITERION_LABELS);
    return { schemaVersion: 1, unit: 'episode', criteria };
  } catch {
    return undefined;
  }
}

const definitionField: FilterField<Definition> = {
  defaultValue: EMPTY_DEFINITION,
  parse: (raw) => {
    const last = raw.at(-1);
    return last ? decodeDefinition(last) : undefined;
  },
  serialise: (d) => (d.criteria.length ? encodeDefinition(d) : ''),
  equals: (a, b) => JSON.stringify(a.criteria) === JSON.stringify(b.criteria),
};

export const OUTCOME_MEASURES = ['pain_nrs', 'odi', 'promis_pi', 'promis_pf'] as const;
export const WINDOWS = Object.keys(FOLLOW_UP_WINDOWS) as FollowUpWindow[];

/** The page's state in the URL: the draft definition, the saved cohort it came from, the one compared with, the outcome shown. */
export const COHORT_PAGE = defineFilters({
  def: definitionField,
  cohort: idList({ max: 1 }),
  compare: idList({ max: 1 }),
  measure: oneOf(OUTCOME_MEASURES, 'pain_nrs'),
  window: oneOf(WINDOWS as unknown as readonly ['w2', 'w6', 'm3', 'm6', 'm12'], 'm3'),
});

// ---- criteria --------------------------------------------------------------------------

export const CRITERION_LABELS: Record<CriterionType, string> = {
  condition: 'Condition (ICD-10-CM)',
  carePath: 'Care path',
  treatment: 'Treatment category or CPT code',
  indexDate: 'Index date',
  age: 'Age on the index date',
  sex: 'Sex',
  region: 'Region',
  baseline: 'Baseline score',
  painDuration: 'Pain duration',
  priorProcedures: 'Prior procedures',
  followUp: 'Follow-up present',
};
export const CRITERION_TYPES = Object.keys(CRITERION_LABELS) as CriterionType[];

/** A new criterion of a type, with defaults a user edits from. */
export function newCriterion(type: CriterionType): Criterion {
  switch (type) {
    case 'condition':
      return { type, exclude: false, codes: ['M54.1*'] };
    case 'carePath':
      return { type, exclude: false, paths: ['interventional'] };
    case 'treatment':
      return { type, exclude: false, categories: ['epidural_steroid_injection'], codes: [], scope: 'any' };
    case 'indexDate':
      return { type, exclude: false, from: null, to: null };
    case 'age':
      return { type, exclude: false, min: 18, max: null };
    case 'sex':
      return { type, exclude: false, sexes: ['female'] };
    case 'region':
      return { type, exclude: false, regions: ['lumbar'] };
    case 'baseline':
      return { type, exclude: false, measure: 'pain_nrs', min: 4, max: null };
    case 'painDuration':
      return { type, exclude: false, is: 'chronic' };
    case 'priorProcedures':
      return { type, exclude: false, min: 0, max: 0 };
    case 'followUp':
      return { type, exclude: false, measure: 'pain_nrs', window: 'm3' };
  }
}

const CONDITION_PATTERN = /^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{0,4})?\*?$/;
const CPT = /^(?:[0-9]{4}[0-9FTU]|[A-V][0-9]{4})$/;
const ISO = /^\d{4}-\d{2}-\d{2}$/;

/** Condition codes typed by a user: "m54.1*, M51.16" -> ["M54.1*", "M51.16"]. */
export function parseCodes(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
}

/** Why a criterion cannot be applied yet (shown on its row), or null when it is complete. */
export function incompleteReason(c: Criterion): string | null {
  const range = (min: number | null | undefined, max: number | null | undefined) => (min != null && max != null && min > max ? 'the minimum is above the maximum' : null);
  switch (c.type) {
    case 'condition':
      if (!c.codes.length) return 'enter at least one code';
      return c.codes.every((x) => CONDITION_PATTERN.test(x)) ? null : 'a code is not an ICD-10-CM code or prefix (like M54.1*)';
    case 'carePath':
      return c.paths.length ? null : 'choose a care path';
    case 'treatment': {
      const codes = c.codes ?? [];
      if (!(c.categories ?? []).length && !codes.length) return 'choose a category or enter a code';
      return codes.every((x) => CPT.test(x)) ? null : 'a code is not a CPT or HCPCS code';
    }
    case 'indexDate':
      if ((c.from && !ISO.test(c.from)) || (c.to && !ISO.test(c.to))) return 'enter dates as YYYY-MM-DD';
      return c.from && c.to && c.from > c.to ? 'the range ends before it starts' : null;
    case 'age':
    case 'priorProcedures':
    case 'baseline':
      return range(c.min, c.max);
    case 'sex':
      return c.sexes.length ? null : 'choose a sex';
    case 'region':
      return c.regions.length ? null : 'choose a region';
    default:
      return null;
  }
}

/** The criteria that can be sent, and for each row the index of its funnel step (null: not applied yet). */
export function applicable(d: Definition): { definition: Definition; stepOf: Array<number | null> } {
  const criteria: Criterion[] = [];
  const stepOf = d.criteria.map((c) => {
    if (incompleteReason(c) !== null) return null;
    criteria.push(c);
    return criteria.length - 1;
  });
  return { definition: { schemaVersion: 1, unit: 'episode', criteria }, stepOf };
}

const list = (xs: readonly string[]) => (xs.length <= 2 ? xs.join(' or ') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`);
const human = (s: string) => s.replace(/_/g, ' ');
const rangeText = (min: number | null | undefined, max: number | null | undefined, unit: string) =>
  min != null && max != null ? (min === max ? `${min} ${unit}` : `${min} to ${max} ${unit}`) : min != null ? `${min} ${unit} or more` : max != null ? `${max} ${unit} or fewer` : `any ${unit}`;

/** The criterion as a sentence: "Include episodes with a condition code M54.1* or M51.1*". */
export function criterionSentence(c: Criterion): string {
  const verb = c.exclude ? 'Exclude' : 'Include';
  switch (c.type) {
    case 'condition':
      return `${verb} episodes with condition code ${list(c.codes)}`;
    case 'carePath':
      return `${verb} ${list(c.paths)} episodes`;
    case 'treatment': {
      const what = [...(c.categories ?? []).map(human), ...(c.codes ?? []).map((x) => `CPT ${x}`)];
      return `${verb} episodes whose ${c.scope === 'primary' ? 'primary treatment is' : 'treatments include'} ${list(what)}`;
    }
    case 'indexDate':
      return `${verb} episodes with an index date ${c.from && c.to ? `from ${c.from} to ${c.to}` : c.from ? `on or after ${c.from}` : c.to ? `on or before ${c.to}` : 'at any time'}`;
    case 'age':
      return `${verb} patients aged ${rangeText(c.min, c.max, 'years')} on the index date`;
    case 'sex':
      return `${verb} ${list(c.sexes)} patients`;
    case 'region':
      return `${verb} episodes in the ${list(c.regions.map((r) => (r === 'unrecorded' ? 'unrecorded' : r)))} region`;
    case 'baseline':
      return `${verb} episodes with a baseline ${MEASURES[c.measure as Measure].label} of ${rangeText(c.min, c.max, MEASURES[c.measure as Measure].unit)}`;
    case 'painDuration':
      return `${verb} episodes with ${c.is === 'chronic' ? 'chronic pain (more than 3 months)' : c.is === 'not_chronic' ? 'pain of 3 months or less' : 'no recorded pain duration'}`;
    case 'priorProcedures':
      return `${verb} episodes with ${rangeText(c.min, c.max, 'prior procedure sessions')}`;
    case 'followUp':
      return `${verb} episodes with a ${MEASURES[c.measure as Measure].label} follow-up at ${FOLLOW_UP_WINDOWS[c.window as FollowUpWindow].label} (days ${FOLLOW_UP_WINDOWS[c.window as FollowUpWindow].from}-${FOLLOW_UP_WINDOWS[c.window as FollowUpWindow].to})`;
  }
}

export const VOCABULARY = { CARE_PATHS, SEXES, REGIONS, TREATMENT_CATEGORIES, MEASURES, FOLLOW_UP_WINDOWS };

// ---- funnel ----------------------------------------------------------------------------

export type FunnelRow = {
  /** The row's step number among applied criteria (1-based), or null when not applied. */
  step: number | null;
  sentence: string;
  incomplete: string | null;
  episodes: string;
  patients: string;
  removed: string;
  /** Share of the practice's episodes remaining (bar width), null when withheld or not applied. */
  share: number | null;
};

export const countText = (c: Count | null | undefined): string => (c === null || c === undefined ? '—' : formatMaskedCount(c));

/** One row per criterion, with the counts after it (from the funnel of the applicable criteria). */
export function funnelRows(d: Definition, funnel: Funnel | undefined): FunnelRow[] {
  const { stepOf } = applicable(d);
  const start = funnel && typeof funnel.start.episodes === 'number' ? funnel.start.episodes : null;
  return d.criteria.map((c, i) => {
    const k = stepOf[i] ?? null;
    const s = k !== null && funnel ? funnel.steps[k] : undefined;
    const e = s?.episodes;
    return {
      step: k === null ? null : k + 1,
      sentence: criterionSentence(c),
      incomplete: incompleteReason(c),
      episodes: s ? countText(s.episodes) : '—',
      patients: s ? countText(s.patients) : '—',
      removed: s ? countText(s.removed) : '—',
      share: typeof e === 'number' && start ? e / start : null,
    };
  });
}

// ---- Table 1 ---------------------------------------------------------------------------

export type TableOneCell = { text: string; title: string };

export function tableOneCells(row: TableOneRow): { label: string; cells: TableOneCell[]; smd: string; imbalanced: boolean } {
  const label = row.kind === 'level' ? `${row.label}: ${row.level}` : `${row.label} (${row.unit}), mean (SD)`;
  const cells =
    row.kind === 'level'
      ? row.cells.map((c) => ({ text: `${countText(c.count)} (${c.percent === null ? '—' : formatPercent(c.percent, 1)})`, title: 'episodes (share of the group)' }))
      : row.cells.map((c) => ({
          text: c.mean === null ? `— (n ${countText(c.n)})` : `${formatDecimal(c.mean, 1)} (${formatDecimal(c.sd, 1)})`,
          title: `n ${countText(c.n)} with a value, ${countText(c.missing)} missing`,
        }));
  return { label, cells, smd: row.smd === null ? '—' : formatDecimal(row.smd, 2), imbalanced: row.smd !== null && Math.abs(row.smd) >= 0.1 };
}

// ---- download --------------------------------------------------------------------------

/** "12.4 MB received" while the export streams. */
export function progressText(bytes: number, seconds: number): string {
  const mb = bytes / 1_000_000;
  const size = mb >= 1 ? `${formatDecimal(mb, 1)} MB` : `${formatDecimal(bytes / 1000, 0)} kB`;
  return seconds > 0.5 ? `${size} received (${formatDecimal(mb / seconds, 1)} MB/s)` : `${size} received`;
}

/** The file name the server suggests (Content-Disposition), else a default. */
export function fileNameOf(contentDisposition: string | null, fallback: string): string {
  const m = /filename="([^"]+)"/.exec(contentDisposition ?? '');
  return m?.[1] ?? fallback;
}
