import { describe, expect, it } from 'vitest';
import { createTestDb } from '../../../db/index.ts';
import { formatReport } from '../../../server/services/import/service.ts';
import { importFiles } from './helpers.ts';

describe('formatReport', () => {
  it('shows per-file counts, a table of the first errors and the counts by reason', async () => {
    const db = createTestDb();
    const rows = Array.from({ length: 30 }, (_, i) => `P${i},1956-03-${i % 2 ? '14' : '32'},${i % 3 ? 'female' : 'f'}`);
    const report = await importFiles(db, { 'patients.csv': `patient_id,birth_date,sex\n${rows.join('\n')}\n`, 'extra.csv': 'a,b\n1,2\n' });
    const text = formatReport(report, { maxErrors: 3 });
    expect(text.split('\n')[0]).toBe(`Import #${report.importId} (partial): completed with errors: valid rows stored, invalid rows listed below`);
    expect(text).toMatch(/\npatients\.csv +patients +30 +10 +0 +0 +20\n/);
    expect(text).toMatch(/\nextra\.csv +\? +0 +0 +0 +0 +file refused \(unknown file\)\n/);
    expect(text).toMatch(/Errors: 26 \(the first 3 are listed\)/);
    expect(text).toMatch(/extra\.csv\s+cannot tell which table/);
    expect(text).toMatch(/patients\.csv\s+2\s+birth_date\s+birth_date is not a valid date/);
    expect(text).toMatch(/Errors by reason:\nreason\s+count\n-+\s+-+\nmalformed date\s+15\nvalue not in the list\s+10\nunknown file\s+1/);
  });

  it('says so when everything was stored', async () => {
    const db = createTestDb();
    const report = await importFiles(db, { 'sites.csv': 'site_id,name\nS1,North\n' });
    const text = formatReport(report);
    expect(text).toMatch(/completed: every row stored/);
    expect(text).not.toMatch(/Errors/);
  });
});
