/**
 * The filters and groupings of the outcome queries, and the SQL they become.
 * Both derived tables (outcome_episodes, outcome_measures) carry the same
 * dimension columns, so one WHERE clause serves both; `alias` prefixes the
 * columns when a query joins.
 *
 * Values reach SQL only as bound parameters; column names come from the
 * closed maps below, never from input.
 */
import type { CarePath, ConditionGroup, Sex, TreatmentCategory } from '../../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../../domain/dates.ts';
import { AGE_BANDS, type AgeBand } from './derive-rules.ts';

export type OutcomeFilters = {
  /** null or absent: both care paths. */
  carePath?: CarePath | null;
  conditions?: readonly ConditionGroup[];
  /** The episode's primary treatment category (derive-rules.ts, PRIMARY_TREATMENT). */
  categories?: readonly TreatmentCategory[];
  /** The primary treatment's procedure code (CPT / HCPCS). */
  codes?: readonly string[];
  providers?: readonly number[];
  sites?: readonly number[];
  ageBands?: readonly AgeBand[];
  sexes?: readonly Sex[];
  /** Index-date range, inclusive, YYYY-MM-DD; null or absent: open. */
  from?: string | null;
  to?: string | null;
};

/** What a figure can be broken down by. */
export const GROUPINGS = ['care_path', 'category', 'code', 'condition', 'provider', 'site', 'age_band', 'sex', 'month', 'quarter', 'year'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** The column (on either derived table) each grouping reads. */
export const GROUPING_COLUMN: Record<Grouping, string> = {
  care_path: 'care_path',
  category: 'category',
  code: 'code',
  condition: 'condition_group',
  provider: 'provider_id',
  site: 'site_id',
  age_band: 'age_band',
  sex: 'sex',
  month: 'index_month',
  quarter: 'index_quarter',
  year: 'index_year',
};

export const AGE_BAND_LABELS = AGE_BANDS.map((b) => b.label) as AgeBand[];

export type WhereClause = { sql: string; params: Array<string | number> };

const inList = (column: string, values: readonly (string | number)[], params: Array<string | number>): string => {
  params.push(...values);
  return `${column} IN (${values.map(() => '?').join(', ')})`;
};

/** Days since 1970-01-01 of an ISO date; throws on anything else (the router validates first). */
export function dayOf(iso: string): number {
  const d = parseIsoDate(iso);
  if (d === null) throw new RangeError(`not a date: ${iso}`);
  return d;
}

/**
 * The WHERE conditions of the filters (without "WHERE"), on columns prefixed
 * with `alias.` when given. Always a valid expression ("1" for no filter).
 */
export function whereOf(f: OutcomeFilters, alias?: string): WhereClause {
  const c = (name: string) => (alias ? `${alias}.${name}` : name);
  const parts: string[] = [];
  const params: Array<string | number> = [];
  if (f.carePath) {
    parts.push(`${c('care_path')} = ?`);
    params.push(f.carePath);
  }
  if (f.conditions?.length) parts.push(inList(c('condition_group'), f.conditions, params));
  if (f.categories?.length) parts.push(inList(c('category'), f.categories, params));
  if (f.codes?.length) parts.push(inList(c('code'), f.codes, params));
  if (f.providers?.length) parts.push(inList(c('provider_id'), f.providers, params));
  if (f.sites?.length) parts.push(inList(c('site_id'), f.sites, params));
  if (f.ageBands?.length) parts.push(inList(c('age_band'), f.ageBands, params));
  if (f.sexes?.length) parts.push(inList(c('sex'), f.sexes, params));
  if (f.from) {
    parts.push(`${c('index_day')} >= ?`);
    params.push(dayOf(f.from));
  }
  if (f.to) {
    parts.push(`${c('index_day')} <= ?`);
    params.push(dayOf(f.to));
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

/** A group's key as the API returns it: '2024-03', '2024-Q1', '2024', an id or an enumeration value; null for "none recorded". */
export function groupKeyOf(grouping: Grouping, raw: string | number | null): string | null {
  if (raw === null) return null;
  switch (grouping) {
    case 'month': {
      const n = Number(raw);
      return `${Math.floor(n / 100)}-${String(n % 100).padStart(2, '0')}`;
    }
    case 'quarter': {
      const n = Number(raw);
      return `${Math.floor(n / 10)}-Q${n % 10}`;
    }
    default:
      return String(raw);
  }
}
