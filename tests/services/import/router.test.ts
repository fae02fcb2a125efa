import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { createContextInner, type SessionUser } from '../../../server/context.ts';
import { MAX_UPLOAD_CHARS } from '../../../server/routers/imports.ts';
import { appRouter } from '../../../server/routers/_app.ts';
import { createCallerFactory } from '../../../server/trpc.ts';
import { practice } from './helpers.ts';

const manager: SessionUser = { id: 7, role: 'practice_manager', providerId: null };
const physician: SessionUser = { id: 8, role: 'physician', providerId: 1 };

let db: Db;
const callerAs = (user: SessionUser | null) => createCallerFactory(appRouter)(createContextInner({ db, user }));
const upload = (files: Record<string, string>) => Object.entries(files).map(([name, content]) => ({ name, content }));

beforeEach(() => {
  db = createTestDb();
});

describe('imports router', () => {
  it('runs an upload and returns its report; list and byId read it back', async () => {
    const caller = callerAs(manager);
    const report = await caller.imports.run({ files: upload(practice()) });
    expect(report).toMatchObject({ status: 'completed', mode: 'partial', totals: { rows: 14, inserted: 14 } });

    const list = await caller.imports.list({});
    expect(list).toEqual([
      {
        id: report.importId,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        status: 'completed',
        mode: 'partial',
        source: 'sites.csv, providers.csv, patients.csv, episodes.csv, treatments.csv, observations.csv',
        batchesCommitted: 6,
        rowsInserted: 14,
        rowsUpdated: 0,
        rowsUnchanged: 0,
        rowsRejected: 0,
      },
    ]);
    expect(list[0]).not.toHaveProperty('report');
    expect(await caller.imports.byId({ id: report.importId })).toEqual({ ...list[0], report });
    expect(db.$client.prepare('SELECT user_id FROM imports').pluck().get()).toBe(manager.id);
  });

  it('audits each import with its counts and nothing of its rows', async () => {
    await callerAs(manager).imports.run({ files: upload({ 'patients.csv': 'patient_id,birth_date,sex\nMRN-77,1956-03-14,female\nMRN-78,1956-03-15,x\n' }) });
    const rows = db.$client.prepare("SELECT user_id, action, target, outcome, detail FROM audit_log WHERE action = 'import.run'").all();
    expect(rows).toEqual([
      {
        user_id: manager.id,
        action: 'import.run',
        target: 'import:1',
        outcome: 'success',
        detail: JSON.stringify({ status: 'completed_with_errors', mode: 'partial', files: 1, rows: 2, inserted: 1, updated: 0, unchanged: 0, rejected: 1 }),
      },
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/MRN|1956/);
  });

  it('stores nothing from an all-or-nothing upload with a bad row', async () => {
    const report = await callerAs(manager).imports.run({
      mode: 'all_or_nothing',
      files: upload(practice({ sites: 'site_id,name\nS1,North Clinic\nS2,\n' })),
    });
    expect(report.status).toBe('rejected');
    expect(db.$client.prepare('SELECT count(*) FROM sites').pluck().get()).toBe(0);
  });

  it('answers NOT_FOUND for an unknown import', async () => {
    await expect(callerAs(manager).imports.byId({ id: 99 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'import not found' });
  });

  it('refuses uploads over the size cap and calls without files', async () => {
    const caller = callerAs(manager);
    await expect(caller.imports.run({ files: [{ name: 'a.csv', content: 'x'.repeat(MAX_UPLOAD_CHARS + 1) }] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const half = 'x'.repeat(MAX_UPLOAD_CHARS / 2 + 1);
    await expect(caller.imports.run({ files: [{ name: 'a.csv', content: half }, { name: 'b.csv', content: half }] })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    await expect(caller.imports.run({ files: [] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(db.$client.prepare('SELECT count(*) FROM imports').pluck().get()).toBe(0);
  });

  it('is for practice managers and admins only (roles.md)', async () => {
    await expect(callerAs(physician).imports.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(callerAs(null).imports.run({ files: upload(practice()) })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(callerAs({ id: 1, role: 'admin', providerId: null }).imports.list({})).resolves.toEqual([]);
  });
});
