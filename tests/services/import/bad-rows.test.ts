import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import type { ErrorKind, ImportReport } from '../../../server/services/import/service.ts';
import { PRACTICE, count, importFiles, keys } from './helpers.ts';

let db: Db;
beforeEach(() => {
  db = createTestDb();
});

/** Reasons must not carry the row's identifiers, dates or ZIP codes. */
function expectNoPhi(report: ImportReport, row: string): void {
  const phi = row.match(/MRN\w*|\d{4}-\d{2}-\d{2}|\b\d{4,5}(?:-\d{4})?\b|E404|D9|S9|T9|E9/g) ?? [];
  for (const e of report.errors) for (const value of phi) expect(e.reason).not.toContain(value);
}

type Case = {
  name: string;
  kind: ErrorKind;
  table: 'sites' | 'providers' | 'patients' | 'episodes' | 'treatments' | 'observations';
  /** The bad row, written between two valid rows (it lands on line 3). */
  row: string;
  column: string | null;
  reason: RegExp;
};

// Each file: header, a valid row (line 2), the bad row (line 3), a valid row (line 4).
const FILES = {
  sites: { header: 'site_id,name', before: 'S1,North Clinic', after: 'S2,South Clinic', keys: ['S1', 'S2'] },
  providers: { header: 'provider_id,name,specialty,site_id', before: 'D1,Dr One,anesthesiology,S1', after: 'D2,Dr Two,,S2', keys: ['D1', 'D2'] },
  patients: {
    header: 'patient_id,birth_date,sex,zip',
    before: 'MRN001,1956-03-14,female,02139',
    after: 'MRN002,1971-11-02,male,10027',
    keys: ['MRN001', 'MRN002'],
  },
  episodes: {
    header: 'episode_id,patient_id,care_path,condition_code,region,provider_id,site_id,start_date,pain_duration_months',
    before: 'E1,MRN001,interventional,M54.16,lumbar,D1,S1,2024-01-10,8',
    after: 'E2,MRN002,conservative,M54.50,lumbar,D2,S2,2024-02-01,',
    keys: ['E1', 'E2'],
  },
  treatments: {
    header: 'treatment_id,episode_id,date,category,code,laterality,provider_id,complication',
    before: 'T1,E1,2024-01-10,epidural_steroid_injection,64483,left,D1,none',
    after: 'T2,E2,2024-02-01,physical_therapy,97110,,D2,',
    keys: ['T1', 'T2'],
  },
  observations: {
    header: 'observation_id,patient_id,episode_id,date,measure,value',
    before: 'O1,MRN001,E1,2024-01-08,pain_nrs,8',
    after: 'O2,MRN002,,2024-01-30,odi,40',
    keys: ['O1', 'O2'],
  },
} as const;

const ORDER = ['sites', 'providers', 'patients', 'episodes', 'treatments', 'observations'] as const;

const CASES: Case[] = [
  // required values
  { name: 'a missing required value', kind: 'missing_value', table: 'patients', row: 'MRN009,1956-03-14,,02139', column: 'sex', reason: /^sex is required$/ },
  { name: 'a missing id', kind: 'missing_value', table: 'patients', row: ',1956-03-14,female,', column: 'patient_id', reason: /patient_id is required/ },
  { name: 'a missing site name', kind: 'missing_value', table: 'sites', row: 'S9,  ', column: 'name', reason: /name is required/ },
  // enumerations
  { name: 'a value not in the list', kind: 'invalid_enum', table: 'patients', row: 'MRN009,1956-03-14,femal,', column: 'sex', reason: /sex must be one of female, male, other, unknown \(got "femal"\)/ },
  { name: 'a care path not in the list', kind: 'invalid_enum', table: 'episodes', row: 'E9,MRN001,surgical,M54.16,lumbar,D1,S1,2024-01-10,', column: 'care_path', reason: /interventional, conservative/ },
  { name: 'a region not in the list', kind: 'invalid_enum', table: 'episodes', row: 'E9,MRN001,interventional,M54.16,hip,D1,S1,2024-01-10,', column: 'region', reason: /region must be one of/ },
  { name: 'a category not in the list', kind: 'invalid_enum', table: 'treatments', row: 'T9,E1,2024-01-10,acupuncture,,,,', column: 'category', reason: /category must be one of epidural_steroid_injection/ },
  { name: 'a laterality not in the list', kind: 'invalid_enum', table: 'treatments', row: 'T9,E1,2024-01-10,nerve_block,,both,,', column: 'laterality', reason: /left, right, bilateral/ },
  { name: 'a complication not in the list', kind: 'invalid_enum', table: 'treatments', row: 'T9,E1,2024-01-10,nerve_block,,,,severe', column: 'complication', reason: /none, minor, major/ },
  { name: 'a measure not in the list', kind: 'invalid_enum', table: 'observations', row: ',MRN001,,2024-01-09,vas,5', column: 'measure', reason: /pain_nrs, odi, promis_pi, promis_pf, mme \(got "vas"\)/ },
  // ranges
  { name: 'a pain score above 10', kind: 'out_of_range', table: 'observations', row: ',MRN001,,2024-01-09,pain_nrs,11', column: 'value', reason: /between 0 and 10 for pain_nrs/ },
  { name: 'a PROMIS T-score below 20', kind: 'out_of_range', table: 'observations', row: ',MRN001,,2024-01-09,promis_pi,15', column: 'value', reason: /between 20 and 80 for promis_pi/ },
  { name: 'a negative MME', kind: 'out_of_range', table: 'observations', row: ',MRN001,,2024-01-09,mme,-5', column: 'value', reason: /0 or more for mme/ },
  { name: 'a negative pain duration', kind: 'out_of_range', table: 'episodes', row: 'E9,MRN001,interventional,M54.16,,D1,S1,2024-01-10,-1', column: 'pain_duration_months', reason: /0 or more/ },
  // dates
  { name: 'an impossible date', kind: 'invalid_date', table: 'patients', row: 'MRN009,2023-02-29,female,', column: 'birth_date', reason: /birth_date is not a valid date/ },
  { name: 'a US-style date', kind: 'invalid_date', table: 'observations', row: ',MRN001,,01/09/2024,pain_nrs,5', column: 'date', reason: /YYYY-MM-DD/ },
  { name: 'a date with a time', kind: 'invalid_date', table: 'treatments', row: 'T9,E1,2024-01-10T10:00,nerve_block,,,,', column: 'date', reason: /date is not a valid date/ },
  { name: 'a date without leading zeros', kind: 'invalid_date', table: 'episodes', row: 'E9,MRN001,interventional,M54.16,,D1,S1,2024-1-5,', column: 'start_date', reason: /start_date is not a valid date/ },
  // numbers
  { name: 'a word for a number', kind: 'invalid_number', table: 'observations', row: ',MRN001,,2024-01-09,pain_nrs,seven', column: 'value', reason: /^value is not a number$/ },
  { name: 'a decimal comma', kind: 'invalid_number', table: 'observations', row: ',MRN001,,2024-01-09,pain_nrs,"7,5"', column: 'value', reason: /decimal separator/ },
  { name: 'a hexadecimal number', kind: 'invalid_number', table: 'episodes', row: 'E9,MRN001,interventional,M54.16,,D1,S1,2024-01-10,0x10', column: 'pain_duration_months', reason: /not a number/ },
  { name: 'Infinity', kind: 'invalid_number', table: 'observations', row: ',MRN001,,2024-01-09,mme,Infinity', column: 'value', reason: /not a number/ },
  // codes
  { name: 'a 4-digit ZIP code', kind: 'invalid_zip', table: 'patients', row: 'MRN009,1956-03-14,female,0213', column: 'zip', reason: /^zip must be 5 digits$/ },
  { name: 'a ZIP+4 code', kind: 'invalid_zip', table: 'patients', row: 'MRN009,1956-03-14,female,02139-1234', column: 'zip', reason: /5 digits/ },
  { name: 'a malformed ICD-10 code', kind: 'invalid_icd10', table: 'episodes', row: 'E9,MRN001,interventional,724.2,,D1,S1,2024-01-10,', column: 'condition_code', reason: /not an ICD-10-CM code/ },
  {
    name: 'M54.5 after its retirement',
    kind: 'retired_icd10',
    table: 'episodes',
    row: 'E9,MRN001,interventional,M54.5,,D1,S1,2022-05-01,',
    column: 'condition_code',
    reason: /M54\.5 was retired on 2021-10-01: use M54\.50, M54\.51 or M54\.59/,
  },
  { name: 'M54.5 written m545 after its retirement', kind: 'retired_icd10', table: 'episodes', row: 'E9,MRN001,interventional,m545,,D1,S1,2023-03-01,', column: 'condition_code', reason: /M54\.50, M54\.51 or M54\.59/ },
  { name: 'a malformed CPT code', kind: 'invalid_procedure_code', table: 'treatments', row: 'T9,E1,2024-01-10,nerve_block,644831,,,', column: 'code', reason: /CPT or HCPCS/ },
  // references
  { name: 'an unknown patient', kind: 'unknown_reference', table: 'observations', row: ',MRN404,,2024-01-09,pain_nrs,5', column: 'patient_id', reason: /patient_id refers to no patient/ },
  { name: 'an unknown episode', kind: 'unknown_reference', table: 'observations', row: ',MRN001,E404,2024-01-09,pain_nrs,5', column: 'episode_id', reason: /episode_id refers to no episode/ },
  { name: "another patient's episode", kind: 'unknown_reference', table: 'observations', row: ',MRN002,E1,2024-01-09,pain_nrs,5', column: 'episode_id', reason: /an episode of another patient/ },
  { name: 'an unknown provider', kind: 'unknown_reference', table: 'episodes', row: 'E9,MRN001,interventional,M54.16,,D9,S1,2024-01-10,', column: 'provider_id', reason: /provider_id refers to no provider/ },
  { name: 'an unknown site', kind: 'unknown_reference', table: 'providers', row: 'D9,Dr Nine,,S9', column: 'site_id', reason: /site_id refers to no site/ },
  { name: 'an unknown episode of a treatment', kind: 'unknown_reference', table: 'treatments', row: 'T9,E404,2024-01-10,nerve_block,,,,', column: 'episode_id', reason: /episode_id refers to no episode/ },
  // duplicates
  { name: 'a duplicate id', kind: 'duplicate_id', table: 'patients', row: 'MRN001,1960-01-01,male,', column: 'patient_id', reason: /duplicate patient_id: the same id is on line 2/ },
  { name: 'a duplicate observation id', kind: 'duplicate_id', table: 'observations', row: 'O1,MRN001,,2024-01-09,pain_nrs,5', column: 'observation_id', reason: /line 2/ },
  {
    name: 'a duplicate observation (same patient, measure, date)',
    kind: 'duplicate_observation',
    table: 'observations',
    row: ',MRN001,,2024-01-08,PAIN_NRS,7',
    column: null,
    reason: /same patient, measure and date are on line 2/,
  },
  // shape of the row
  { name: 'an extra field', kind: 'wrong_field_count', table: 'patients', row: 'MRN009,1956-03-14,female,02139,extra', column: null, reason: /expected 4 fields as in the header, found 5/ },
  { name: 'a missing field', kind: 'wrong_field_count', table: 'sites', row: 'S9', column: null, reason: /expected 2 fields as in the header, found 1/ },
  { name: 'an over-long field', kind: 'field_too_long', table: 'sites', row: `S9,${'x'.repeat(1001)}`, column: 'name', reason: /name is longer than 1,000 characters/ },
  { name: 'an over-long quoted field', kind: 'field_too_long', table: 'sites', row: `S9,"${'x'.repeat(5000)}"`, column: 'name', reason: /longer than 1,000/ },
  { name: 'text after a closing quote', kind: 'malformed_quotes', table: 'patients', row: 'MRN009,"1956-03-14"x,female,', column: 'birth_date', reason: /after a closing quote/ },
  { name: 'a quote inside an unquoted value', kind: 'malformed_quotes', table: 'sites', row: 'S9,North "Annex"', column: 'name', reason: /quote inside an unquoted value/ },
  { name: 'a NUL in an id', kind: 'control_character', table: 'patients', row: 'MRN\u0000009,1956-03-14,female,', column: 'patient_id', reason: /control character/ },
  { name: 'a tab in an id', kind: 'control_character', table: 'sites', row: 'S\t9,Annex', column: 'site_id', reason: /control character/ },
];

async function importWithBadRow(c: Case): Promise<ImportReport> {
  const files: Record<string, string> = {};
  for (const table of ORDER) {
    const f = FILES[table];
    files[`${table}.csv`] = table === c.table ? `${f.header}\n${f.before}\n${c.row}\n${f.after}\n` : `${f.header}\n${f.before}\n${f.after}\n`;
  }
  return importFiles(db, files);
}

describe('every kind of bad row is reported with file, line, column and reason, and the rows around it are stored', () => {
  it.each(CASES)('$name', async (c) => {
    const report = await importWithBadRow(c);
    expect(report.errors).toEqual([{ file: `${c.table}.csv`, line: 3, column: c.column, kind: c.kind, reason: expect.stringMatching(c.reason) }]);
    expect(report.errorCountsByKind).toEqual({ [c.kind]: 1 });
    expect(report.status).toBe('completed_with_errors');
    const file = report.files.find((f) => f.table === c.table)!;
    expect(file).toMatchObject({ rows: 3, valid: 2, inserted: 2, rejected: 1 });
    const keyColumn = c.table === 'patients' ? 'mrn' : 'key';
    expect(keys(db, c.table, keyColumn)).toEqual([...FILES[c.table].keys]);
    expectNoPhi(report, c.row);
  });

  it('never quotes a bad enumeration value that could be an identifier, a date or a ZIP code', async () => {
    for (const value of ['12345', 'MRN-77', '1956-03-14', 'a'.repeat(30)]) {
      const report = await importFiles(db, { 'patients.csv': `patient_id,birth_date,sex\nP1,1956-03-14,${value}\n` });
      expect(report.errors[0]).toMatchObject({ column: 'sex', kind: 'invalid_enum' });
      expect(report.errors[0]!.reason).not.toContain(value);
      expect(report.errors[0]!.reason).not.toContain('got');
    }
  });

  it('says how to write a missing value when a file uses NA, N/A, null or a dot', async () => {
    const report = await importFiles(db, {
      'patients.csv': 'patient_id,birth_date,sex,zip\nP1,1956-03-14,female,NA\nP2,N/A,male,\nP3,1956-03-14,null,\n',
      'observations.csv': 'patient_id,date,measure,value\nP1,2024-01-01,pain_nrs,.\n',
    });
    expect(report.errors.map((e) => [e.line, e.column, e.kind])).toEqual([
      [2, 'zip', 'invalid_zip'],
      [3, 'birth_date', 'invalid_date'],
      [4, 'sex', 'invalid_enum'],
      [2, 'value', 'invalid_number'],
      [2, 'patient_id', 'unknown_reference'],
    ]);
    for (const e of report.errors.slice(0, 4)) expect(e.reason).toMatch(/\(for a missing value, leave the field empty\)$/);
  });

  it('reports every problem of a row, once per column, and counts the row once', async () => {
    const report = await importFiles(db, { 'patients.csv': 'patient_id,birth_date,sex,zip\n,1956-02-30,x1,123\n' });
    expect(report.errors.map((e) => [e.line, e.column, e.kind])).toEqual([
      [2, 'patient_id', 'missing_value'],
      [2, 'birth_date', 'invalid_date'],
      [2, 'sex', 'invalid_enum'],
      [2, 'zip', 'invalid_zip'],
    ]);
    expect(report.totals).toMatchObject({ rows: 1, rejected: 1 });
    expect(report.status).toBe('rejected');
  });

  it('reports a row the database refuses although it passed validation', async () => {
    await importFiles(db, {
      ...Object.fromEntries(ORDER.slice(0, 5).map((t) => [`${t}.csv`, PRACTICE[t]])),
      'observations.csv': 'observation_id,patient_id,date,measure,value\nO1,MRN001,2024-01-08,pain_nrs,8\nO2,MRN001,2024-01-08,odi,40\n',
    });
    // O1 moved onto O2's (patient, measure, date): the unique natural key refuses it.
    const report = await importFiles(db, {
      'observations.csv': 'observation_id,patient_id,date,measure,value\nO3,MRN001,2024-01-09,pain_nrs,5\nO1,MRN001,2024-01-08,odi,41\nO4,MRN001,2024-01-10,pain_nrs,4\n',
    });
    expect(report.errors).toEqual([
      { file: 'observations.csv', line: 3, column: null, kind: 'db_refused', reason: expect.stringContaining('observations.patient_id, observations.measure, observations.date') },
    ]);
    expect(report.files[0]).toMatchObject({ rows: 3, valid: 2, inserted: 2, rejected: 1 });
    expect(keys(db, 'observations')).toEqual(['O1', 'O2', 'O3', 'O4']);
    expect(db.$client.prepare("SELECT measure FROM observations WHERE key = 'O1'").pluck().get()).toBe('pain_nrs');
  });
});

describe('accepted variations', () => {
  it('accepts enumerations in any case and stores them lower-case; normalises ICD-10 and HCPCS codes', async () => {
    const report = await importFiles(db, {
      ...Object.fromEntries(ORDER.slice(0, 3).map((t) => [`${t}.csv`, PRACTICE[t]])),
      'episodes.csv':
        'episode_id,patient_id,care_path,condition_code,region,provider_id,site_id,start_date\nE1,MRN001,Interventional,m5416,LUMBAR,D1,S1,2024-01-10\n',
      'treatments.csv': 'treatment_id,episode_id,date,category,code,laterality\nT1,E1,2024-01-10,Epidural_Steroid_Injection,j1040,Left\n',
      'observations.csv': 'patient_id,date,measure,value\nMRN001,2024-01-08,Pain_NRS,8\n',
    });
    expect(report.status).toBe('completed');
    expect(db.$client.prepare('SELECT care_path, condition_code, condition_group, region FROM episodes').raw().get()).toEqual([
      'interventional',
      'M54.16',
      'radiculopathy',
      'lumbar',
    ]);
    expect(db.$client.prepare('SELECT category, code, laterality FROM treatments').raw().get()).toEqual(['epidural_steroid_injection', 'J1040', 'left']);
    expect(db.$client.prepare('SELECT measure FROM observations').pluck().get()).toBe('pain_nrs');
  });

  it('accepts M54.5 for an episode that started before its retirement on 2021-10-01, not on or after that day', async () => {
    const report = await importFiles(db, {
      ...Object.fromEntries(ORDER.slice(0, 3).map((t) => [`${t}.csv`, PRACTICE[t]])),
      'episodes.csv':
        'episode_id,patient_id,care_path,condition_code,provider_id,site_id,start_date\n' +
        'E1,MRN001,conservative,M54.5,D1,S1,2021-09-30\nE2,MRN001,conservative,M54.5,D1,S1,2021-10-01\n',
    });
    expect(report.errors).toEqual([expect.objectContaining({ line: 3, column: 'condition_code', kind: 'retired_icd10' })]);
    expect(db.$client.prepare('SELECT key, condition_code FROM episodes').raw().all()).toEqual([['E1', 'M54.5']]);
  });

  it('stores formula-like cells as text, unchanged', async () => {
    const report = await importFiles(db, {
      'sites.csv': 'site_id,name\n=1+1,"=HYPERLINK(""http://x"")"\n+S2,@SUM(A1)\n-S3,-cmd\n',
    });
    expect(report.status).toBe('completed');
    expect(db.$client.prepare('SELECT key, name FROM sites ORDER BY id').raw().all()).toEqual([
      ['=1+1', '=HYPERLINK("http://x")'],
      ['+S2', '@SUM(A1)'],
      ['-S3', '-cmd'],
    ]);
  });

  it('trims the spaces around values and accepts numbers with a sign, decimals or an exponent', async () => {
    const report = await importFiles(db, {
      'patients.csv': 'patient_id,birth_date,sex\n MRN001 , 1956-03-14 , female \n',
      'observations.csv': 'patient_id,date,measure,value\nMRN001,2024-01-08,pain_nrs,+7.5\nMRN001,2024-01-09,pain_nrs,.5\nMRN001,2024-01-10,mme,1e2\n',
    });
    expect(report.status).toBe('completed');
    expect(keys(db, 'patients', 'mrn')).toEqual(['MRN001']);
    expect(db.$client.prepare('SELECT value FROM observations ORDER BY date').pluck().all()).toEqual([7.5, 0.5, 100]);
  });

  it('keeps line breaks and tabs inside quoted free text', async () => {
    const report = await importFiles(db, { 'providers.csv': 'provider_id,name,specialty\nD1,"Dr One\nand Partners","pain\tmedicine"\n' });
    expect(report.status).toBe('completed');
    expect(db.$client.prepare('SELECT name, specialty FROM providers').raw().get()).toEqual(['Dr One\nand Partners', 'pain\tmedicine']);
  });

  it('counts every stored row once whatever the number of rows and batches', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `S${i},Site ${i}`).join('\n');
    const report = await importFiles(db, { 'sites.csv': `site_id,name\n${rows}\n` }, { batchRows: 4 });
    expect(report).toMatchObject({ status: 'completed', batchesCommitted: 7, totals: { rows: 25, inserted: 25 } });
    expect(count(db, 'sites')).toBe(25);
  });
});
