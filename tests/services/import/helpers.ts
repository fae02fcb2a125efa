import type { Db } from '../../../db/index.ts';
import { runImport, type ImportOptions, type ImportReport } from '../../../server/services/import/service.ts';

/** A small valid practice: every file, by table. */
export const PRACTICE = {
  sites: 'site_id,name\nS1,North Clinic\nS2,South Clinic\n',
  providers: 'provider_id,name,specialty,site_id\nD1,Dr One,anesthesiology,S1\nD2,Dr Two,physiatry,S2\n',
  patients: 'patient_id,birth_date,sex,zip\nMRN001,1956-03-14,female,02139\nMRN002,1971-11-02,male,10027\nMRN003,1948-07-30,other,\n',
  episodes:
    'episode_id,patient_id,care_path,condition_code,region,provider_id,site_id,start_date,pain_duration_months\n' +
    'E1,MRN001,interventional,M54.16,lumbar,D1,S1,2024-01-10,8\n' +
    'E2,MRN002,conservative,M54.50,lumbar,D2,S2,2024-02-01,\n',
  treatments:
    'treatment_id,episode_id,date,category,code,laterality,provider_id,complication\n' +
    'T1,E1,2024-01-10,epidural_steroid_injection,64483,left,D1,none\n' +
    'T2,E2,2024-02-01,physical_therapy,97110,,D2,\n',
  observations:
    'observation_id,patient_id,episode_id,date,measure,value\n' +
    'O1,MRN001,E1,2024-01-08,pain_nrs,8\n' +
    'O2,MRN001,,2024-02-21,pain_nrs,4\n' +
    ',MRN002,,2024-01-30,odi,40\n',
} as const;

export type Files = Record<string, string>;

/** The practice as uploaded files, with some replaced or added. */
export function practice(overrides: Partial<Record<keyof typeof PRACTICE, string>> = {}): Files {
  const files: Files = {};
  for (const [table, content] of Object.entries({ ...PRACTICE, ...overrides })) files[`${table}.csv`] = content;
  return files;
}

export async function importFiles(db: Db, files: Files, options: ImportOptions = {}): Promise<ImportReport> {
  const { report } = await runImport(
    db,
    Object.entries(files).map(([name, content]) => ({ name, content })),
    options,
  );
  return report;
}

export function count(db: Db, table: string): number {
  return db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

export function keys(db: Db, table: string, column = 'key'): string[] {
  return db.$client.prepare(`SELECT ${column} FROM ${table} ORDER BY ${column}`).pluck().all() as string[];
}
