import { describe, expect, it } from 'vitest';
import { canImport, isAdmin, safeNext, sectionVisible, seesSuppressedCounts } from '../../client/src/data/access.ts';
import { auditFilterInput, formatDetail, formatUtc, localToIso } from '../../client/src/data/audit.ts';
import { uploadProblem } from '../../client/src/data/imports.ts';
import { changesOf, draftOf, newUserOf, type UserRow } from '../../client/src/data/users.ts';

describe('what the interface offers each role (the server enforces the same)', () => {
  it('mirrors roles.md', () => {
    expect(sectionVisible('/cohorts', 'practice_manager')).toBe(false);
    expect(sectionVisible('/cohorts', 'researcher')).toBe(true);
    expect(sectionVisible('/data', 'practice_manager')).toBe(true);
    expect(['physician', 'practice_manager', 'researcher', 'admin'].filter((r) => canImport(r as never))).toEqual(['practice_manager', 'admin']);
    expect(['physician', 'practice_manager', 'researcher', 'admin'].filter((r) => isAdmin(r as never))).toEqual(['admin']);
    expect(['physician', 'practice_manager', 'researcher', 'admin'].filter((r) => seesSuppressedCounts(r as never))).toEqual(['practice_manager', 'researcher']);
  });

  it('returns after sign-in only to a path of this site', () => {
    expect(safeNext('/data?x=1')).toBe('/data?x=1');
    for (const bad of [null, '', 'https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/login?next=/x']) {
      expect(safeNext(bad)).toBe('/outcomes');
    }
  });
});

describe('user form mappers', () => {
  const user: UserRow = {
    id: 5,
    username: 'res',
    displayName: null,
    role: 'researcher',
    providerId: null,
    providerName: null,
    duaReference: 'DUA-1',
    duaRecordedAt: '2026-01-01T00:00:00.000Z',
    duaExpiresOn: null,
    disabled: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };

  it('sends nothing when nothing changed, and only what changed otherwise', () => {
    expect(changesOf(user, draftOf(user))).toBeNull();
    expect(changesOf(user, { ...draftOf(user), disabled: true })).toEqual({ id: 5, disabled: true });
    expect(changesOf(user, { ...draftOf(user), duaExpiresOn: '2027-06-30' })).toEqual({ id: 5, dua: { reference: 'DUA-1', expiresOn: '2027-06-30' } });
  });

  it('a new role brings its links: a provider for a physician, no agreement for anyone but a researcher', () => {
    expect(changesOf(user, { ...draftOf(user), role: 'physician', providerId: '3' })).toEqual({ id: 5, role: 'physician', providerId: 3, dua: null });
    expect(newUserOf({ username: ' a ', displayName: '', role: 'admin', providerId: '2', password: 'p', duaReference: 'X', duaExpiresOn: '' })).toEqual({
      username: 'a',
      displayName: null,
      role: 'admin',
      password: 'p',
      providerId: null,
      dua: null,
    });
  });
});

describe('audit search mappers', () => {
  it('leaves empty fields out and sends instants in UTC', () => {
    expect(auditFilterInput({ username: ' ', action: '', outcome: '', from: '', to: '' })).toEqual({});
    const q = auditFilterInput({ username: 'dr.a', action: 'auth', outcome: 'failure', from: '2026-11-24T09:00', to: '2026-11-24T10:00' });
    expect(q).toMatchObject({ username: 'dr.a', action: 'auth', outcome: 'failure' });
    expect(q.from).toBe(new Date('2026-11-24T09:00').toISOString());
    expect(new Date(q.to!).getTime() - new Date('2026-11-24T10:00').getTime()).toBe(59_999);
    expect(localToIso('not a date')).toBeNull();
  });

  it('shows times and details plainly', () => {
    expect(formatUtc('2026-11-24T19:20:02.123Z')).toBe('2026-11-24 19:20:02');
    expect(formatDetail({ reason: 'bad_password', count: 3, ids: [1, 2], none: null })).toBe('reason: bad_password · count: 3 · ids: 1, 2 · none: —');
  });
});

describe('upload checks', () => {
  it('refuses what the server would refuse before sending it', () => {
    expect(uploadProblem([])).toMatch(/Choose/);
    expect(uploadProblem(Array.from({ length: 13 }, (_, i) => ({ name: `${i}.csv`, size: 1 })))).toMatch(/At most 12/);
    expect(uploadProblem([{ name: 'a.csv', size: 49 * 1024 * 1024 }])).toMatch(/npm run import/);
    expect(uploadProblem([{ name: 'a.csv', size: 1000 }])).toBeNull();
  });
});
