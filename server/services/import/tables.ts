/**
 * The columns of each file of ../shared/spec/import-format.md, and how a file
 * is recognised: by its name (`observations.csv`), else by its header.
 */
import { TABLES, type Table } from './types.ts';

export type TableSpec = { columns: readonly string[]; required: readonly string[]; idColumn: string | null };

export const TABLE_SPECS: Record<Table, TableSpec> = {
  sites: { columns: ['site_id', 'name'], required: ['site_id', 'name'], idColumn: 'site_id' },
  providers: { columns: ['provider_id', 'name', 'specialty', 'site_id'], required: ['provider_id', 'name'], idColumn: 'provider_id' },
  patients: { columns: ['patient_id', 'birth_date', 'sex', 'zip'], required: ['patient_id', 'birth_date', 'sex'], idColumn: 'patient_id' },
  episodes: {
    columns: [
      'episode_id',
      'patient_id',
      'care_path',
      'condition_code',
      'region',
      'provider_id',
      'site_id',
      'start_date',
      'pain_duration_months',
    ],
    required: ['episode_id', 'patient_id', 'care_path', 'condition_code', 'provider_id', 'site_id', 'start_date'],
    idColumn: 'episode_id',
  },
  treatments: {
    columns: ['treatment_id', 'episode_id', 'date', 'category', 'code', 'laterality', 'provider_id', 'complication'],
    required: ['treatment_id', 'episode_id', 'date', 'category'],
    idColumn: 'treatment_id',
  },
  observations: {
    columns: ['observation_id', 'patient_id', 'episode_id', 'date', 'measure', 'value'],
    required: ['patient_id', 'date', 'measure', 'value'],
    idColumn: 'observation_id',
  },
};

/** Header names are matched without regard to case and surrounding spaces. */
export function normaliseHeader(name: string): string {
  return name.trim().toLowerCase();
}

/** The table a file name stands for (`Patients.CSV` -> patients), or null. */
export function tableOfFileName(name: string): Table | null {
  const base = name.replace(/^.*[\\/]/, '').trim().toLowerCase();
  const m = /^([a-z]+)\.csv$/.exec(base);
  if (!m) return null;
  return (TABLES as readonly string[]).includes(m[1]!) ? (m[1] as Table) : null;
}

/**
 * The table a header belongs to when the name does not tell: the table all of
 * whose required columns are present and which explains the most columns;
 * null when none fits or two fit equally well.
 */
export function tableOfHeader(header: readonly string[]): Table | null {
  const names = new Set(header.map(normaliseHeader));
  let best: Table | null = null;
  let bestScore = -1;
  let tie = false;
  for (const table of TABLES) {
    const spec = TABLE_SPECS[table];
    if (!spec.required.every((c) => names.has(c))) continue;
    const score = spec.columns.filter((c) => names.has(c)).length;
    if (score > bestScore) {
      best = table;
      bestScore = score;
      tie = false;
    } else if (score === bestScore) tie = true;
  }
  return tie ? null : best;
}

export type HeaderMap = {
  /** Field index of each known column, -1 when the file does not have it. */
  index: Record<string, number>;
  ignored: string[];
  problem: string | null;
};

/** Maps a header to column positions, or says why the header is wrong. */
export function mapHeader(table: Table, header: readonly string[]): HeaderMap {
  const spec = TABLE_SPECS[table];
  const index: Record<string, number> = {};
  for (const c of spec.columns) index[c] = -1;
  const ignored: string[] = [];
  const twice: string[] = [];
  header.forEach((raw, i) => {
    const name = normaliseHeader(raw);
    if (name in index) {
      if (index[name] !== -1) twice.push(name);
      else index[name] = i;
    } else if (name !== '') ignored.push(truncate(name, 40));
  });
  const missing = spec.required.filter((c) => index[c] === -1);
  let problem: string | null = null;
  if (missing.length > 0) {
    problem = `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (a ${table} file needs ${spec.required.join(', ')})`;
    if (header.length === 1 && /[;\t|]/.test(header[0]!)) problem += `; the header seems to use "${/[;\t|]/.exec(header[0]!)![0] === '\t' ? 'tab' : /[;\t|]/.exec(header[0]!)![0]}" as separator: use commas`;
  } else if (twice.length > 0) problem = `column${twice.length > 1 ? 's' : ''} ${twice.join(', ')} appear${twice.length > 1 ? '' : 's'} twice`;
  return { index, ignored, problem };
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
