/**
 * The Cohorts page's pure mappers (client/src/data/cohorts.ts): the
 * definition in the URL, criteria completeness and sentences, funnel rows
 * with withheld counts, Table 1 cells, download progress.
 */
import { describe, expect, it } from 'vitest';
import {
  applicable,
  COHORT_PAGE,
  criterionSentence,
  CRITERION_TYPES,
  decodeDefinition,
  encodeDefinition,
  fileNameOf,
  funnelRows,
  incompleteReason,
  newCriterion,
  parseCodes,
  progressText,
  tableOneCells,
  type Definition,
  type Funnel,
  type TableOneRow,
} from '../../client/src/data/cohorts.ts';
import { filterSearch, parseFilters } from '../../client/src/data/url-filters.ts';
import { CohortDefinition } from '../../server/services/cohorts/definition.ts';

const def = (criteria: Definition['criteria']): Definition => ({ schemaVersion: 1, unit: 'episode', criteria });

describe('the definition in the URL', () => {
  it('round-trips every criterion type, and the server accepts what the page builds', () => {
    const d = def(CRITERION_TYPES.map(newCriterion));
    const back = decodeDefinition(encodeDefinition(d))!;
    expect(back).toEqual(d);
    expect(CohortDefinition.parse(back).criteria).toHaveLength(CRITERION_TYPES.length);
    expect(encodeDefinition(d)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('keeps non-ASCII text and reads through the page filters', () => {
    const d = def([{ type: 'condition', exclude: true, codes: ['M54.1*'] }]);
    const search = filterSearch(COHORT_PAGE, { ...parseFilters(COHORT_PAGE, new URLSearchParams()), def: d, cohort: [12] });
    const parsed = parseFilters(COHORT_PAGE, new URLSearchParams(search));
    expect(parsed.def).toEqual(d);
    expect(parsed.cohort).toEqual([12]);
  });

  it('falls back to an empty cohort for a damaged or foreign link', () => {
    expect(decodeDefinition('%%%')).toBeUndefined();
    expect(decodeDefinition(btoa(JSON.stringify({ v: 2, c: [] })))).toBeUndefined();
    expect(decodeDefinition(btoa('not json'))).toBeUndefined();
    expect(decodeDefinition(btoa(JSON.stringify({ v: 1, c: [{ type: 'nonsense' }, { type: 'sex', exclude: false, sexes: ['male'] }] })))!.criteria).toEqual([
      { type: 'sex', exclude: false, sexes: ['male'] },
    ]);
    expect(parseFilters(COHORT_PAGE, new URLSearchParams('def=%%%')).def.criteria).toEqual([]);
  });
});

describe('criteria', () => {
  it('says why a criterion is not applied yet', () => {
    expect(incompleteReason({ type: 'condition', exclude: false, codes: [] })).toMatch(/at least one code/);
    expect(incompleteReason({ type: 'condition', exclude: false, codes: ['M54.1*', 'BACK'] })).toMatch(/not an ICD-10-CM/);
    expect(incompleteReason({ type: 'age', exclude: false, min: 70, max: 40 })).toMatch(/minimum is above/);
    expect(incompleteReason({ type: 'treatment', exclude: false, categories: [], codes: ['6448'], scope: 'any' })).toMatch(/choose a category|not a CPT/);
    expect(incompleteReason({ type: 'indexDate', exclude: false, from: '2025-01-01', to: '2024-01-01' })).toMatch(/ends before/);
    for (const t of CRITERION_TYPES) expect(incompleteReason(newCriterion(t))).toBeNull();
  });

  it('sends only the complete criteria and maps each row to its funnel step', () => {
    const d = def([newCriterion('condition'), { type: 'sex', exclude: false, sexes: [] }, newCriterion('painDuration')]);
    const a = applicable(d);
    expect(a.definition.criteria.map((c) => c.type)).toEqual(['condition', 'painDuration']);
    expect(a.stepOf).toEqual([0, null, 1]);
  });

  it('parses typed codes', () => {
    expect(parseCodes(' m54.1*, M51.16;g90.5*\nM96.1 ')).toEqual(['M54.1*', 'M51.16', 'G90.5*', 'M96.1']);
  });

  it('writes each criterion as a sentence', () => {
    expect(criterionSentence({ type: 'condition', exclude: false, codes: ['M54.1*', 'M51.1*'] })).toBe('Include episodes with condition code M54.1* or M51.1*');
    expect(criterionSentence({ type: 'age', exclude: true, min: 90, max: null })).toBe('Exclude patients aged 90 years or more on the index date');
    expect(criterionSentence({ type: 'followUp', exclude: false, measure: 'odi', window: 'm6' })).toBe('Include episodes with a Oswestry Disability Index follow-up at 6 months (days 136-272)');
    expect(criterionSentence({ type: 'treatment', exclude: false, categories: ['medial_branch_block'], codes: ['64635'], scope: 'primary' })).toBe(
      'Include episodes whose primary treatment is medial branch block or CPT 64635',
    );
  });
});

describe('funnel rows', () => {
  const state = { outcomeSeq: 1, lastImportId: null, derivation: 'x', episodes: 1000 };
  it('puts each applied step’s counts on its row, withheld counts as shown, and nothing on an incomplete row', () => {
    const d = def([newCriterion('condition'), { type: 'sex', exclude: false, sexes: [] }, newCriterion('painDuration')]);
    const funnel: Funnel = {
      start: { episodes: 1000, patients: 600 },
      steps: [
        { episodes: 200, patients: 150, removed: 800 },
        { episodes: { suppressed: 'small', display: '<11' }, patients: { suppressed: 'small', display: '<11' }, removed: { suppressed: 'complementary', display: '—' } },
      ],
      final: { episodes: { suppressed: 'small', display: '<11' }, patients: { suppressed: 'small', display: '<11' } },
      dataState: state,
      updating: false,
    };
    const rows = funnelRows(d, funnel);
    expect(rows.map((r) => [r.step, r.episodes, r.patients, r.removed, r.share])).toEqual([
      [1, '200', '150', '800', 0.2],
      [null, '—', '—', '—', null],
      [2, '<11', '<11', '—', null],
    ]);
    expect(rows[1]!.incomplete).toMatch(/choose a sex/);
  });
});

describe('Table 1 cells', () => {
  it('formats levels and means, withheld counts, and flags an SMD of 0.1 or more', () => {
    const level: TableOneRow = {
      kind: 'level',
      variable: 'sex',
      label: 'Sex',
      level: 'female',
      definition: '',
      cells: [
        { count: 223, percent: 0.5348 },
        { count: { suppressed: 'small', display: '<11' }, percent: null },
      ],
      smd: null,
    };
    expect(tableOneCells(level)).toMatchObject({ label: 'Sex: female', cells: [{ text: '223 (53.5%)' }, { text: '<11 (—)' }], smd: '—', imbalanced: false });
    const mean: TableOneRow = {
      kind: 'continuous',
      variable: 'age',
      label: 'Age',
      unit: 'years',
      definition: '',
      cells: [
        { n: 417, missing: 0, mean: 54.12, sd: 14.04 },
        { n: 156, missing: 0, mean: 55.4, sd: 14.8 },
      ],
      smd: -0.0889,
    };
    expect(tableOneCells(mean)).toMatchObject({ label: 'Age (years), mean (SD)', cells: [{ text: '54.1 (14.0)' }, { text: '55.4 (14.8)' }], imbalanced: false });
    expect(tableOneCells({ ...mean, smd: 0.1 }).imbalanced).toBe(true);
    expect(tableOneCells({ ...mean, smd: -0.25 }).smd).toBe('\u22120.25');
  });
});

describe('download', () => {
  it('reports progress and takes the server’s file name', () => {
    expect(progressText(512_000, 0.2)).toBe('512 kB received');
    expect(progressText(12_400_000, 2)).toBe('12.4 MB received (6.2 MB/s)');
    expect(fileNameOf('attachment; filename="radicular-wide-csv.zip"', 'x.zip')).toBe('radicular-wide-csv.zip');
    expect(fileNameOf(null, 'x.zip')).toBe('x.zip');
  });
});
