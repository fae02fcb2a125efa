/**
 * The operations router through createCaller, as each role (roles.md):
 * procedure volume shown to managers and admins, suppressed for researchers,
 * a physician's own figures and practice totals; follow-up and responder
 * figures suppressed for managers and researchers; the flagged-episode list
 * for physicians (their own episodes) and admins, audited; input bounds.
 */
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { createContextInner, type SessionUser } from '../../server/context.ts';
import { daysToIso, parseIsoDate } from '../../server/domain/dates.ts';
import { appRouter } from '../../server/routers/_app.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { RecordStore } from '../../server/services/records/store.ts';
import { createCallerFactory } from '../../server/trpc.ts';

let db: Db;
let d1: number;
let d2: number;
const NOW = Date.parse('2025-12-01T12:00:00Z');
const addDays = (iso: string, n: number) => daysToIso(parseIsoDate(iso)! + n);

type Who = Role | 'physician2';
let users: Record<Who, SessionUser>;
const as = (who: Who) => createCallerFactory(appRouter)(createContextInner({ db, user: users[who], now: () => NOW }));

/**
 * Dr One (North clinic): 30 ESI episodes in 2024, 24 with a baseline pain
 * score, 18 of those scored at 3 months, 12 of them responders (>= 30 %).
 * Dr Two (South clinic, its name formula-like): 4 MBB episodes, and one patient with five lumbar ESI
 * sessions within a year (the fifth flagged).
 */
beforeAll(() => {
  db = createTestDb();
  const store = new RecordStore(db);
  db.$client.transaction(() => {
    store.writeSites([{ key: 'S1', name: 'North clinic' }, { key: 'S2', name: '@South clinic' }], null);
    store.writeProviders(
      [
        { key: 'D1', name: 'Dr One', specialty: null, siteKey: 'S1' },
        { key: 'D2', name: 'Dr Two', specialty: null, siteKey: 'S2' },
      ],
      null,
    );
    for (let k = 0; k < 30; k++) {
      const start = addDays('2024-01-08', k * 7);
      const mrn = `MRN-${k}`;
      store.writePatients([{ mrn, birthDate: '1960-05-05', sex: 'female', zip: null }], null);
      store.writeEpisodes(
        [{ key: `E${k}`, patientMrn: mrn, carePath: 'interventional', conditionCode: 'M54.16', region: 'lumbar', providerKey: 'D1', siteKey: 'S1', startDate: start, painDurationMonths: 6 }],
        null,
      );
      store.writeTreatments(
        [{ key: `T${k}`, episodeKey: `E${k}`, date: start, category: 'epidural_steroid_injection', code: '62323', laterality: null, providerKey: 'D1', complication: 'none' }],
        null,
      );
      const obs = [];
      if (k < 24) obs.push({ key: null, patientMrn: mrn, episodeKey: `E${k}`, date: start, measure: 'pain_nrs' as const, value: 8 });
      if (k < 18) obs.push({ key: null, patientMrn: mrn, episodeKey: `E${k}`, date: addDays(start, 91), measure: 'pain_nrs' as const, value: k < 12 ? 3 : 7 });
      if (obs.length) store.writeObservations(obs, null);
    }
    for (let k = 0; k < 4; k++) {
      const mrn = `MBB-${k}`;
      store.writePatients([{ mrn, birthDate: '1970-05-05', sex: 'male', zip: null }], null);
      store.writeEpisodes(
        [{ key: `M${k}`, patientMrn: mrn, carePath: 'interventional', conditionCode: 'M47.816', region: 'lumbar', providerKey: 'D2', siteKey: 'S2', startDate: '2024-03-04', painDurationMonths: 12 }],
        null,
      );
      store.writeTreatments(
        [{ key: `MT${k}`, episodeKey: `M${k}`, date: '2024-03-04', category: 'medial_branch_block', code: '64493', laterality: 'bilateral', providerKey: 'D2', complication: 'none' }],
        null,
      );
    }
    store.writePatients([{ mrn: 'FLAG', birthDate: '1950-01-01', sex: 'male', zip: null }], null);
    store.writeEpisodes(
      [{ key: 'F1', patientMrn: 'FLAG', carePath: 'interventional', conditionCode: 'M54.16', region: 'lumbar', providerKey: 'D2', siteKey: 'S2', startDate: '2024-02-05', painDurationMonths: 12 }],
      null,
    );
    store.writeTreatments(
      [0, 60, 120, 180, 240].map((o) => ({
        key: `FT${o}`,
        episodeKey: 'F1',
        date: addDays('2024-02-05', o),
        category: 'epidural_steroid_injection' as const,
        code: '64483',
        laterality: 'left' as const,
        providerKey: 'D2',
        complication: 'none' as const,
      })),
      null,
    );
    // An add-on code (an additional level) in the first session: a CPT line, not a session of its own.
    store.writeTreatments(
      [{ key: 'FT0b', episodeKey: 'F1', date: '2024-02-05', category: 'epidural_steroid_injection', code: '64484', laterality: 'left', providerKey: 'D2', complication: 'none' }],
      null,
    );
  })();
  refreshOutcomes(db);
  d1 = db.$client.prepare("SELECT id FROM providers WHERE key = 'D1'").pluck().get() as number;
  d2 = db.$client.prepare("SELECT id FROM providers WHERE key = 'D2'").pluck().get() as number;
  users = {
    physician: { id: 1, role: 'physician', providerId: d1, username: 'dr.one' },
    physician2: { id: 2, role: 'physician', providerId: d2, username: 'dr.two' },
    practice_manager: { id: 3, role: 'practice_manager', providerId: null, username: 'manager' },
    researcher: { id: 4, role: 'researcher', providerId: null, username: 'researcher' },
    admin: { id: 5, role: 'admin', providerId: null, username: 'admin' },
  };
});

const small = (c: unknown) => typeof c === 'number' && c >= 1 && c <= 10;
/** Every number in a response that is a count (x, n, sessions, episodes ... fields), collected with its path. */
function counts(value: unknown, path = ''): Array<[string, number]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => counts(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => counts(v, `${path}.${k}`));
  return typeof value === 'number' && /\.(x|n|episodes|sessions|converted|series|flagged|count|interventional|conservative|total|totals\[\d+\])$/.test(path) ? [[path, value]] : [];
}

describe('procedure volume', () => {
  it('managers and admins see every count; researchers get small cells suppressed', async () => {
    const input = { period: 'quarter' as const, by: 'provider' as const, unit: 'sessions' as const };
    const admin = await as('admin').operations.volume(input);
    const manager = await as('practice_manager').operations.volume(input);
    expect(manager).toEqual(admin);
    const two = admin.groups.find((g) => g.label === 'Dr Two')!;
    expect(two.total).toBe(9); // 4 MBB + 5 ESI sessions
    const researcher = await as('researcher').operations.volume(input);
    const r2 = researcher.groups.find((g) => g.label === 'Dr Two')!;
    expect(r2.total).toEqual({ suppressed: 'small', display: '<11' });
    expect(counts(researcher).filter(([, v]) => small(v))).toEqual([]);
  });

  it('a physician sees their own figures by name and the other providers combined, and may not filter on another provider', async () => {
    const v = await as('physician').operations.volume({ period: 'month', by: 'provider', unit: 'sessions' });
    expect(v.groups.map((g) => [g.label, g.total])).toEqual([
      ['Dr One', 30],
      ['Other providers (combined)', 9],
    ]);
    expect(v.total).toBe(39);
    await expect(as('physician').operations.volume({ period: 'month', by: 'family', unit: 'sessions', filters: { providers: [d2] } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const own = await as('physician').operations.volume({ period: 'month', by: 'family', unit: 'sessions', filters: { providers: [d1] } });
    expect(own.total).toBe(30);
  });
});

describe('repeats and payer-rule flags', () => {
  it('counts for every role; the list of flagged episodes only for admins and the episode’s own physician, audited', async () => {
    const admin = await as('admin').operations.repeats();
    expect([admin.esi.sessions, admin.esi.flagged, admin.esi.patients]).toEqual([35, 1, 1]);
    expect(admin.canList).toBe(true);
    const manager = await as('practice_manager').operations.repeats();
    expect(manager.esi.flagged).toBe(1);
    expect(manager.canList).toBe(false);
    await expect(as('practice_manager').operations.flaggedEpisodes({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const researcher = await as('researcher').operations.repeats();
    expect(researcher.esi.flagged).toEqual({ suppressed: 'small', display: '<11' });

    const list = await as('admin').operations.flaggedEpisodes({});
    expect(list.rows).toHaveLength(1);
    expect(list.rows[0]).toMatchObject({ provider: 'Dr Two', region: 'Lumbar', flaggedOn: '2024-10-02', sessionsInWindow: 5 });
    expect((await as('physician2').operations.flaggedEpisodes({})).rows).toHaveLength(1);
    expect((await as('physician').operations.flaggedEpisodes({})).rows).toHaveLength(0);
    const audited = db.$client.prepare(`SELECT detail FROM audit_log WHERE action = 'patient.read' AND user_id = 5`).pluck().all() as string[];
    expect(audited.some((d) => d.includes('operations.flaggedEpisodes'))).toBe(true);
  });

  it('the CSV download carries the whole list the caller may see, formula-safe, audited as an identified export without values', async () => {
    const list = await as('admin').operations.flaggedEpisodes({});
    const file = await as('admin').operations.flaggedEpisodesCsv({});
    expect([file.rows, file.total]).toEqual([1, 1]);
    const lines = file.csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Episode id,Patient id,Index date,Provider,Site,Region,Flagged session,ESI sessions in the 365 days ending on it,Session dates');
    const r = list.rows[0]!;
    expect(lines.slice(1)).toEqual([[r.episodeId, r.patientId, r.indexDate, 'Dr Two', "'@South clinic", 'Lumbar', '2024-10-02', 5, r.windowDates.join(' ')].join(',')]);
    expect(r.windowDates).toHaveLength(5);

    expect((await as('physician2').operations.flaggedEpisodesCsv({})).rows).toBe(1);
    const none = await as('physician').operations.flaggedEpisodesCsv({});
    expect([none.rows, none.csv.trimEnd().split('\r\n').length]).toEqual([0, 1]);
    await expect(as('practice_manager').operations.flaggedEpisodesCsv({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(as('researcher').operations.flaggedEpisodesCsv({})).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const entries = db.$client
      .prepare(`SELECT user_id AS userId, target, detail FROM audit_log WHERE action = 'export.identified' ORDER BY id`)
      .all() as Array<{ userId: number; target: string; detail: string }>;
    expect(entries.map((e) => [e.userId, e.target])).toEqual([
      [5, 'operations.flaggedEpisodes'],
      [2, 'operations.flaggedEpisodes'],
      [1, 'operations.flaggedEpisodes'],
    ]);
    expect(JSON.parse(entries[0]!.detail)).toEqual({ format: 'csv', rows: 1, total: 1, patients: 1, patientIds: [r.patientId] });
    for (const e of entries) expect(e.detail).not.toMatch(/\d{4}-\d{2}-\d{2}|South|Dr /);
  });
});

describe('follow-up completion and the comparison table', () => {
  const input = { measure: 'pain_nrs' as const, window: 'm3' as const, definition: 'pct30' as const, by: 'provider' as const, period: 'quarter' as const };

  it('admins see exact counts and rates', async () => {
    const c = await as('admin').operations.comparison(input);
    const one = c.rows.find((r) => r.label === 'Dr One')!;
    expect([one.sessions, one.episodes, one.baseline.x, one.completion.x, one.completion.n, one.responders.x, one.responders.n]).toEqual([30, 30, 24, 18, 24, 12, 18]);
    expect(one.responders.p).toBeCloseTo(12 / 18, 12);
    expect(one.responders.lower).toBeLessThan(12 / 18);
  });

  it('managers get small cells suppressed, nothing from which one can be worked out, and volume unsuppressed', async () => {
    const c = await as('practice_manager').operations.comparison(input);
    const f = await as('practice_manager').operations.followUp(input);
    for (const response of [c, f]) {
      const outcomeCounts = counts(response).filter(([p]) => !/\.sessions$|\.mix\[/.test(p));
      expect(outcomeCounts.filter(([, v]) => small(v))).toEqual([]);
    }
    // Some counts are shown (the practice's 30 ESI episodes of Dr One are 11 or more in every part but one), so the check above bites.
    expect(counts(c).filter(([p, v]) => !/\.sessions$|\.mix\[/.test(p) && v >= 11).length).toBeGreaterThan(0);
    const two = c.rows.find((r) => r.label === 'Dr Two')!;
    expect(two.sessions).toBe(9);
    expect(two.episodes).toEqual({ suppressed: 'small', display: '<11' });
    expect(two.responders.p).toBeNull();
    // A rate is published only with its numerator and denominator.
    for (const r of [...c.rows, c.practice]) if (r.completion.p !== null) expect(typeof r.completion.x === 'number' && typeof r.completion.n === 'number').toBe(true);
    const researcher = await as('researcher').operations.comparison(input);
    expect(researcher.rows.find((r) => r.label === 'Dr Two')!.sessions).toEqual({ suppressed: 'small', display: '<11' });
  });
});

describe('CPT code choices', () => {
  it('offer add-on codes, which no episode has as its primary code, and filtering by one counts its lines', async () => {
    const primary = (await as('practice_manager').outcomes.filterOptions()).codes.map((c) => c.value);
    const offered = await as('practice_manager').operations.codeOptions();
    expect(primary).not.toContain('64484');
    expect(offered.map((c) => c.value)).toEqual(['62323', '64483', '64484', '64493']);
    expect(offered.find((c) => c.value === '64484')!.label).toMatch(/64484/);
    for (const role of ['physician', 'researcher', 'admin'] as const) expect(await as(role).operations.codeOptions()).toEqual(offered);
    const lines = await as('admin').operations.volume({ period: 'quarter', by: 'code', unit: 'lines', filters: { codes: ['64484'] } });
    expect(lines.total).toBe(1);
    expect(lines.groups.map((g) => [g.key, g.total])).toEqual([['64484', 1]]);
  });
});

describe('inputs', () => {
  it('refuses unknown periods, groupings, oversized pages and backwards ranges', async () => {
    const bad = [
      () => as('admin').operations.volume({ period: 'year' as never }),
      () => as('admin').operations.volume({ by: 'patient' as never }),
      () => as('admin').operations.flaggedEpisodes({ limit: 1000 }),
      () => as('admin').operations.repeats({ filters: { from: '2025-01-01', to: '2024-01-01' } }),
      () => as('admin').operations.calendar({ year: 3000 }),
    ];
    for (const call of bad) await expect(call()).rejects.toSatisfy((e: unknown) => e instanceof TRPCError && e.code === 'BAD_REQUEST');
  });
});
