/**
 * Row validation, exactly as ../shared/spec/import-format.md says: required
 * values, enumerations (any case, stored lower-case), ranges, strict dates,
 * numbers, ZIP codes, ICD-10-CM and CPT/HCPCS shapes, references (to stored
 * rows or valid rows of this import) and duplicates within the import.
 *
 * Reasons never quote a value from the row (ids, dates and ZIP codes are PHI)
 * except an enumeration value that cannot be one: letters only, truncated.
 */
import {
  CARE_PATHS,
  COMPLICATIONS,
  LATERALITIES,
  MEASURES,
  MEASURE_NAMES,
  PROCEDURE_CODE_SHAPE,
  REGIONS,
  RETIRED_ICD10,
  SEXES,
  TREATMENT_CATEGORIES,
  normaliseIcd10,
  type Measure,
} from '../../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../../domain/dates.ts';
import type { EpisodeRow, ObservationRow, PatientRow, ProviderRow, SiteRow, TreatmentRow } from '../records/store.ts';
import { LineByKey, LineByNumber } from './keys.ts';
import { MAX_FIELD_CHARS, type ErrorKind, type Table } from './types.ts';

export type RowProblem = { column: string | null; kind: ErrorKind; reason: string };

/** What references resolve against: the store knows stored rows and the rows this import has written. */
export interface References {
  siteId(key: string): number | undefined;
  providerId(key: string): number | undefined;
  patientId(mrn: string): number | undefined;
  episode(key: string): { id: number; patientId: number } | undefined;
}

/** Ids seen so far in this import, with the line of their first occurrence. */
export class SeenKeys {
  readonly byTable: Record<Exclude<Table, 'observations'>, LineByKey> = {
    sites: new LineByKey(),
    providers: new LineByKey(),
    patients: new LineByKey(),
    episodes: new LineByKey(),
    treatments: new LineByKey(),
  };
  readonly observationIds = new LineByKey();
  readonly observationNaturalKeys = new LineByNumber();
}

// Free text may hold tabs and line breaks; nothing else below U+0020.
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// Ids, codes, dates and numbers: no control character at all.
const CONTROL_IN_TOKEN = /[\u0000-\u001f\u007f]/;
const NUMBER_SHAPE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const ZIP_SHAPE = /^[0-9]{5}$/;
/** How statistics packages and spreadsheets write a missing value; the format wants an empty field. */
const MISSING_MARKER = /^(?:n\/?a|na|null|none|nan|missing|-|\.)$/i;
function missingHint(v: string): string {
  return MISSING_MARKER.test(v) ? ' (for a missing value, leave the field empty)' : '';
}
/** An enumeration value may be quoted back in a reason only if it cannot be an identifier, date or ZIP code. */
const QUOTABLE = /^[A-Za-z][A-Za-z _-]{0,23}$/;

const DAYS_1900 = parseIsoDate('1900-01-01')!;
const MEASURE_INDEX = new Map<string, number>(MEASURE_NAMES.map((m, i) => [m, i]));

function lookupOf<T extends string>(values: readonly T[]): Map<string, T> {
  return new Map(values.map((v) => [v, v]));
}
const SEX = lookupOf(SEXES);
const CARE_PATH = lookupOf(CARE_PATHS);
const REGION = lookupOf(REGIONS);
const CATEGORY = lookupOf(TREATMENT_CATEGORIES);
const LATERALITY = lookupOf(LATERALITIES);
const COMPLICATION = lookupOf(COMPLICATIONS);
const MEASURE = lookupOf(MEASURE_NAMES);

/**
 * Reads the fields of one row by column name, recording a problem for each
 * bad value. One reader per file, reused for every row.
 */
export class RowReader {
  fields: string[] = [];
  problems: RowProblem[] = [];
  /** Days since 1970 of the last date read successfully. */
  lastDays = 0;

  constructor(private readonly index: Record<string, number>) {}

  reset(fields: string[]): void {
    this.fields = fields;
    if (this.problems.length > 0) this.problems = [];
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  problem(column: string | null, kind: ErrorKind, reason: string): void {
    this.problems.push({ column, kind, reason });
  }

  /** The trimmed value, '' when the column is absent or empty; null when it is too long. */
  private raw(column: string): string | null {
    const i = this.index[column]!;
    if (i < 0) return '';
    const v = this.fields[i]!;
    if (v.length > MAX_FIELD_CHARS) {
      this.problem(column, 'field_too_long', `${column} is longer than ${MAX_FIELD_CHARS.toLocaleString('en-US')} characters`);
      return null;
    }
    const c0 = v.charCodeAt(0);
    const c1 = v.charCodeAt(v.length - 1);
    return c0 <= 32 || c1 <= 32 ? v.trim() : v;
  }

  private missing(column: string, required: boolean, v: string): boolean {
    if (v !== '') return false;
    if (required) this.problem(column, 'missing_value', `${column} is required`);
    return true;
  }

  /** An identifier or reference key. */
  id(column: string, required: boolean): string | null {
    const v = this.raw(column);
    if (v === null || this.missing(column, required, v)) return null;
    if (CONTROL_IN_TOKEN.test(v)) {
      this.problem(column, 'control_character', `${column} contains a control character (a line break, tab or NUL)`);
      return null;
    }
    return v;
  }

  text(column: string, required: boolean): string | null {
    const v = this.raw(column);
    if (v === null || this.missing(column, required, v)) return null;
    if (CONTROL_IN_TEXT.test(v)) {
      this.problem(column, 'control_character', `${column} contains a control character`);
      return null;
    }
    return v;
  }

  date(column: string, required: boolean): string | null {
    const v = this.raw(column);
    if (v === null || this.missing(column, required, v)) return null;
    const days = parseIsoDate(v);
    if (days === null) {
      this.problem(column, 'invalid_date', `${column} is not a valid date: write YYYY-MM-DD, a real calendar day in 1900-2199${missingHint(v)}`);
      return null;
    }
    this.lastDays = days;
    return v;
  }

  choice<T extends string>(column: string, values: Map<string, T>, required: boolean): T | null {
    const v = this.raw(column);
    if (v === null || this.missing(column, required, v)) return null;
    const hit = values.get(v) ?? values.get(v.toLowerCase());
    if (hit !== undefined) return hit;
    const got = QUOTABLE.test(v) ? ` (got "${v.length > 20 ? `${v.slice(0, 20)}…` : v}")` : '';
    this.problem(column, 'invalid_enum', `${column} must be one of ${[...values.keys()].join(', ')}${got}${missingHint(v)}`);
    return null;
  }

  number(column: string, required: boolean): number | null {
    const v = this.raw(column);
    if (v === null || this.missing(column, required, v)) return null;
    if (!NUMBER_SHAPE.test(v)) {
      const hint = /^[+-]?[0-9]+,[0-9]+$/.test(v) ? ' (use a dot as the decimal separator)' : missingHint(v);
      this.problem(column, 'invalid_number', `${column} is not a number${hint}`);
      return null;
    }
    const n = Number(v);
    if (!Number.isFinite(n)) {
      this.problem(column, 'invalid_number', `${column} is not a finite number`);
      return null;
    }
    return n;
  }

  zip(column: string): string | null {
    const v = this.raw(column);
    if (v === null || v === '') return null;
    if (!ZIP_SHAPE.test(v)) {
      this.problem(column, 'invalid_zip', `${column} must be 5 digits${missingHint(v)}`);
      return null;
    }
    return v;
  }

  icd10(column: string): string | null {
    const v = this.raw(column);
    if (v === null || this.missing(column, true, v)) return null;
    const code = normaliseIcd10(v);
    if (code === null) {
      this.problem(column, 'invalid_icd10', `${column} is not an ICD-10-CM code (a letter, two characters, then up to four after the dot, e.g. M54.16)${missingHint(v)}`);
      return null;
    }
    return code;
  }

  procedureCode(column: string): string | null {
    const v = this.raw(column);
    if (v === null || v === '') return null;
    const code = v.toUpperCase();
    if (!PROCEDURE_CODE_SHAPE.test(code)) {
      this.problem(column, 'invalid_procedure_code', `${column} is not a CPT or HCPCS code (5 characters, e.g. 64483 or J1040)${missingHint(v)}`);
      return null;
    }
    return code;
  }
}

function duplicate(reader: RowReader, column: string, seen: LineByKey, key: string | null, line: number): void {
  if (key === null) return;
  const first = seen.addIfAbsent(key, line);
  if (first !== undefined) reader.problem(column, 'duplicate_id', `duplicate ${column}: the same id is on line ${first}`);
}

function unknown(reader: RowReader, column: string, what: string): void {
  reader.problem(column, 'unknown_reference', `${column} refers to no ${what} stored or valid in this import`);
}

export type Validator<R> = (reader: RowReader, line: number) => R | null;

export type Validators = {
  sites: Validator<SiteRow>;
  providers: Validator<ProviderRow>;
  patients: Validator<PatientRow>;
  episodes: Validator<EpisodeRow>;
  treatments: Validator<TreatmentRow>;
  observations: Validator<ObservationRow>;
};

export function validators(refs: References, seen: SeenKeys): Validators {
  return {
    sites(r, line) {
      const key = r.id('site_id', true);
      const name = r.text('name', true);
      duplicate(r, 'site_id', seen.byTable.sites, key, line);
      return r.ok ? { key: key!, name: name! } : null;
    },

    providers(r, line) {
      const key = r.id('provider_id', true);
      const name = r.text('name', true);
      const specialty = r.text('specialty', false);
      const siteKey = r.id('site_id', false);
      duplicate(r, 'provider_id', seen.byTable.providers, key, line);
      if (siteKey !== null && refs.siteId(siteKey) === undefined) unknown(r, 'site_id', 'site');
      return r.ok ? { key: key!, name: name!, specialty, siteKey } : null;
    },

    patients(r, line) {
      const mrn = r.id('patient_id', true);
      const birthDate = r.date('birth_date', true);
      const sex = r.choice('sex', SEX, true);
      const zip = r.zip('zip');
      duplicate(r, 'patient_id', seen.byTable.patients, mrn, line);
      return r.ok ? { mrn: mrn!, birthDate: birthDate!, sex: sex!, zip } : null;
    },

    episodes(r, line) {
      const key = r.id('episode_id', true);
      const patientMrn = r.id('patient_id', true);
      const carePath = r.choice('care_path', CARE_PATH, true);
      const conditionCode = r.icd10('condition_code');
      const region = r.choice('region', REGION, false);
      const providerKey = r.id('provider_id', true);
      const siteKey = r.id('site_id', true);
      const startDate = r.date('start_date', true);
      const painDurationMonths = r.number('pain_duration_months', false);
      if (painDurationMonths !== null && painDurationMonths < 0) {
        r.problem('pain_duration_months', 'out_of_range', 'pain_duration_months must be 0 or more');
      }
      if (conditionCode !== null && startDate !== null) {
        const retired = RETIRED_ICD10[conditionCode];
        if (retired && startDate >= retired.retiredOn) {
          r.problem(
            'condition_code',
            'retired_icd10',
            `condition_code ${conditionCode} was retired on ${retired.retiredOn}: use ${retired.use} for episodes starting on or after that day`,
          );
        }
      }
      duplicate(r, 'episode_id', seen.byTable.episodes, key, line);
      if (patientMrn !== null && refs.patientId(patientMrn) === undefined) unknown(r, 'patient_id', 'patient');
      if (providerKey !== null && refs.providerId(providerKey) === undefined) unknown(r, 'provider_id', 'provider');
      if (siteKey !== null && refs.siteId(siteKey) === undefined) unknown(r, 'site_id', 'site');
      if (!r.ok) return null;
      return {
        key: key!,
        patientMrn: patientMrn!,
        carePath: carePath!,
        conditionCode: conditionCode!,
        region,
        providerKey: providerKey!,
        siteKey: siteKey!,
        startDate: startDate!,
        painDurationMonths,
      };
    },

    treatments(r, line) {
      const key = r.id('treatment_id', true);
      const episodeKey = r.id('episode_id', true);
      const date = r.date('date', true);
      const category = r.choice('category', CATEGORY, true);
      const code = r.procedureCode('code');
      const laterality = r.choice('laterality', LATERALITY, false);
      const providerKey = r.id('provider_id', false);
      const complication = r.choice('complication', COMPLICATION, false);
      duplicate(r, 'treatment_id', seen.byTable.treatments, key, line);
      if (episodeKey !== null && refs.episode(episodeKey) === undefined) unknown(r, 'episode_id', 'episode');
      if (providerKey !== null && refs.providerId(providerKey) === undefined) unknown(r, 'provider_id', 'provider');
      if (!r.ok) return null;
      return { key: key!, episodeKey: episodeKey!, date: date!, category: category!, code, laterality, providerKey, complication };
    },

    observations(r, line) {
      const key = r.id('observation_id', false);
      const patientMrn = r.id('patient_id', true);
      const episodeKey = r.id('episode_id', false);
      const date = r.date('date', true);
      const days = r.lastDays;
      const measure = r.choice('measure', MEASURE, true);
      const value = r.number('value', true);
      if (measure !== null && value !== null) {
        const range = MEASURES[measure as Measure];
        if (value < range.min || value > range.max) {
          r.problem(
            'value',
            'out_of_range',
            range.max === Number.POSITIVE_INFINITY
              ? `value must be ${range.min} or more for ${measure}`
              : `value must be between ${range.min} and ${range.max} for ${measure}`,
          );
        }
      }
      duplicate(r, 'observation_id', seen.observationIds, key, line);
      let patientId: number | undefined;
      if (patientMrn !== null) {
        patientId = refs.patientId(patientMrn);
        if (patientId === undefined) unknown(r, 'patient_id', 'patient');
      }
      if (episodeKey !== null) {
        const e = refs.episode(episodeKey);
        if (e === undefined) unknown(r, 'episode_id', 'episode');
        else if (patientId !== undefined && e.patientId !== patientId) {
          r.problem('episode_id', 'unknown_reference', 'episode_id refers to an episode of another patient');
        }
      }
      if (patientId !== undefined && date !== null && measure !== null) {
        // (patient, measure, day) as one exact integer below 2^53.
        const natural = (patientId * MEASURE_NAMES.length + MEASURE_INDEX.get(measure)!) * 131072 + (days - DAYS_1900);
        const first = seen.observationNaturalKeys.addIfAbsent(natural, line);
        if (first !== undefined) {
          r.problem(null, 'duplicate_observation', `duplicate observation: the same patient, measure and date are on line ${first}`);
        }
      }
      if (!r.ok) return null;
      return { key, patientMrn: patientMrn!, episodeKey, date: date!, measure: measure!, value: value! };
    },
  };
}
