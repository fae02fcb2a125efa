/**
 * The outcomes router through createCaller, as each role, on rows written
 * through the record store and derived by refreshOutcomes: who sees what
 * (roles.md), small-cell suppression for managers and researchers, the
 * physician's patient scope, the audit of patient-level reads, and input bounds.
 */
import { TRPCError } from '@trpc/server';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../db/index.ts';
import type { Role } from '../../db/schema/auth.ts';
import { createContextInner, type SessionUser } from '../../server/context.ts';
import { daysToIso, parseIsoDate } from '../../server/domain/dates.ts';
import { appRouter } from '../../server/routers/_app.ts';
import { refreshOutcomes } from '../../server/services/outcomes/refresh.ts';
import { RecordStore } from '../../server/services/records/store.ts';
import { createCallerFactory } from '../../server/trpc.ts';

let db: Db;
let ids: { d1: number; d2: number };

const users: Record<Role | 'physician2', SessionUser> = {
  physician: { id: 1, role: 'physician', providerId: 0, username: 'dr.one' },
  physician2: { id: 2, role: 'physician', providerId: 0, username: 'dr.two' },
  practice_manager: { id: 3, role: 'practice_manager', providerId: null, username: 'manager' },
  researcher: { id: 4, role: 'researcher', providerId: null, username: 'researcher' },
  admin: { id: 5, role: 'admin', providerId: null, username: 'admin' },
};
const as = (who: keyof typeof users) => createCallerFactory(appRouter)(createContextInner({ db, user: users[who] }));

const addDays = (iso: string, n: number) => daysToIso(parseIsoDate(iso)! + n);

/**
 * 14 interventional episodes (ESI) of Dr One, baseline pain 8 and pain 8 - k at
 * 3 months for k = 0..13 capped at 0 (so changes 0..8), and 5 conservative
 * episodes (physical therapy) of Dr Two, baseline 6, pain 4 at 3 months.
 */
function seed(): void {
  const store = new RecordStore(db);
  db.$client.transaction(() => {
    store.writeSites([{ key: 'S1', name: 'North clinic' }, { key: 'S2', name: 'South clinic' }], null);
    store.writeProviders(
      [
        { key: 'D1', name: 'Dr One', specialty: null, siteKey: 'S1' },
        { key: 'D2', name: 'Dr Two', specialty: null, siteKey: 'S2' },
      ],
      null,
    );
    const episodes = [
      ...Array.from({ length: 14 }, (_, k) => ({ k, path: 'interventional' as const, provider: 'D1', site: 'S1' })),
      ...Array.from({ length: 5 }, (_, k) => ({ k: 100 + k, path: 'conservative' as const, provider: 'D2', site: 'S2' })),
    ];
    for (const e of episodes) {
      const start = addDays('2024-01-01', e.k * 3);
      const mrn = `MRN-${e.k}`;
      store.writePatients([{ mrn, birthDate: '1960-05-05', sex: e.k % 2 ? 'male' : 'female', zip: null }], null);
      store.writeEpisodes(
        [{ key: `E${e.k}`, patientMrn: mrn, carePath: e.path, conditionCode: 'M54.16', region: 'lumbar', providerKey: e.provider, siteKey: e.site, startDate: start, painDurationMonths: 6 }],
        null,
      );
      const interventional = e.path === 'interventional';
      store.writeTreatments(
        [
          {
            key: `T${e.k}`,
            episodeKey: `E${e.k}`,
            date: start,
            category: interventional ? 'epidural_steroid_injection' : 'physical_therapy',
            code: interventional ? '62323' : '97110',
            laterality: null,
            providerKey: e.provider,
            complication: 'none',
          },
        ],
        null,
      );
      const follow = interventional ? Math.max(0, 8 - e.k) : 4;
      store.writeObservations(
        [
          { key: null, patientMrn: mrn, episodeKey: `E${e.k}`, date: start, measure: 'pain_nrs', value: interventional ? 8 : 6 },
          { key: null, patientMrn: mrn, episodeKey: `E${e.k}`, date: addDays(start, 91), measure: 'pain_nrs', value: follow },
        ],
        null,
      );
    }
  })();
  refreshOutcomes(db);
  const id = (key: string) => db.$client.prepare('SELECT id FROM providers WHERE key = ?').pluck().get(key) as number;
  ids = { d1: id('D1'), d2: id('D2') };
  users.physician = { ...users.physician, providerId: ids.d1 };
  users.physician2 = { ...users.physician2, providerId: ids.d2 };
}

beforeEach(() => {
  db = createTestDb();
  seed();
});

const auditRows = () =>
  db.$client.prepare("SELECT username, action, target, detail FROM audit_log WHERE action = 'patient.read' ORDER BY id").all() as Array<{
    username: string;
    action: string;
    target: string;
    detail: string;
  }>;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe('outcome aggregates', () => {
  // Interventional changes: 0..8 then 8 (k = 8..13): 0+1+...+8 + 5*8 = 76 over 14.
  const interventionalMean = 76 / 14;

  it('physicians and admins see every figure of the whole practice', async () => {
    for (const who of ['physician', 'admin'] as const) {
      const s = await as(who).outcomes.summary();
      expect(s.groups.map((g) => [g.key, g.episodes, g.complete])).toEqual([
        ['interventional', 14, 14],
        ['conservative', 5, 5],
      ]);
      const c = s.groups[1]!;
      expect(c.change).toMatchObject({ n: 5, mean: 2, sd: 0, median: 2 });
    }
  });

  it('responders follow the definition: 2 of 6 points is a 33 % reduction', async () => {
    const s = await as('admin').outcomes.summary();
    expect(s.groups[1]!.responders).toMatchObject({ x: 5, n: 5, p: 1 });
    expect(s.groups[0]!.change.mean).toBeCloseTo(interventionalMean, 12);
    // >= 30 % of 8 is 2.4 points: changes 3..8 respond (k = 3..13): 11 of 14.
    expect(s.groups[0]!.responders).toMatchObject({ x: 11, n: 14 });
  });

  it('practice managers and researchers get small cells as "<11" and no statistic of a group under 11', async () => {
    for (const who of ['practice_manager', 'researcher'] as const) {
      const s = await as(who).outcomes.summary();
      const [i, c] = s.groups;
      expect(c!.episodes).toEqual({ suppressed: 'small', display: '<11' });
      expect(c!.change).toEqual({ n: { suppressed: 'small', display: '<11' }, mean: null, sd: null, lower: null, upper: null, median: null, q1: null, q3: null });
      expect(c!.responders!.p).toBeNull();
      expect(c!.followUp.p).toBeNull();
      // The total is 19: showing it and the 14 of the other path would give the 5 back.
      expect(typeof s.overall.episodes === 'number' && typeof i!.episodes === 'number').toBe(false);
      // A statistic is shown only with its n, and only from 11 up.
      for (const g of [i!, c!, s.overall]) {
        if (g.change.mean !== null) expect(typeof g.change.n === 'number' && g.change.n >= 11).toBe(true);
        if (g.responders!.p !== null) expect([g.responders!.x, g.responders!.n].every((x) => typeof x === 'number')).toBe(true);
      }
      // Nothing in the response is a count of 1 to 10.
      const counts: number[] = [];
      JSON.stringify(s, (k, v) => (['episodes', 'withBaseline', 'noBaseline', 'complete', 'missingFollowUp', 'x', 'n'].includes(k) && typeof v === 'number' ? (counts.push(v), v) : v));
      expect(counts.filter((x) => x >= 1 && x <= 10)).toEqual([]);
    }
  });

  it('a threshold from the settings applies', async () => {
    const caller = createCallerFactory(appRouter)(createContextInner({ db, user: users.researcher, privacy: { smallCellThreshold: 5 } }));
    const s = await caller.outcomes.summary();
    expect(s.groups.map((g) => g.episodes)).toEqual([14, 5]);
    expect(s.groups[1]!.change.mean).toBe(2);
  });

  it('every aggregate procedure answers every role, with the same shapes', async () => {
    for (const who of ['physician', 'practice_manager', 'researcher', 'admin'] as const) {
      const c = as(who).outcomes;
      const t = await c.trajectory();
      expect(t.series.map((x) => x.key)).toEqual(['interventional', 'conservative']);
      expect(t.series[0]!.points.map((p) => p.window)).toEqual(['w2', 'w6', 'm3', 'm6', 'm12']);
      const table = await c.table({ query: undefined as never, by: 'condition' });
      expect(table.groups.map((g) => g.label)).toEqual(['Radiculopathy']);
      const r = await c.responders();
      expect(r.groups.map((g) => g.key)).toEqual(['epidural_steroid_injection', 'physical_therapy']);
      const d = await c.distribution();
      expect(d.series.length).toBe(2);
      const o = await c.opioids();
      expect(o.overall.onOpioidsAtBaseline.x).toBe(0);
      const comp = await c.complications();
      expect(comp.byCarePath.map((x) => x.key)).toEqual(['interventional', 'conservative']);
      const f = await c.filterOptions();
      expect(f).toMatchObject({ firstIndexDate: '2024-01-01', lastIndexDate: daysToIso(parseIsoDate('2024-01-01')! + 104 * 3) });
      expect(f.providers.map((p) => p.name)).toEqual(['Dr One', 'Dr Two']);
    }
    // Aggregates are not patient-level reads.
    expect(auditRows()).toEqual([]);
  });

  it('every response shows (or withholds) the same complete count for a path and window', async () => {
    for (const who of ['practice_manager', 'researcher', 'admin'] as const) {
      const c = as(who).outcomes;
      for (const window of ['m3', 'm6'] as const) {
        const s = await c.summary({ measure: 'pain_nrs', window, definition: 'pct50', denominator: 'complete_case', filters: undefined as never });
        const t = await c.trajectory({ measure: 'pain_nrs', definition: 'pct50', filters: undefined as never });
        const d = await c.distribution({ measure: 'pain_nrs', window, definition: 'pct50', filters: undefined as never });
        for (const g of s.groups) {
          expect(t.series.find((x) => x.key === g.key)!.points.find((p) => p.window === window)!.change.n, `${who} ${window} ${g.key}`).toEqual(g.complete);
          const series = d.series.find((x) => x.key === g.key);
          if (series) expect(series.n).toEqual(g.complete);
        }
      }
    }
  });

  it('says whether the practice records opioid doses at all: without any MME, "not on opioids" is unknown, not zero', async () => {
    const before = await as('admin').outcomes.opioids();
    expect(before.recorded).toBe(false);
    expect(before.overall.onOpioidsAtBaseline.x).toBe(0);
    // One recorded dose of 0 mg/day at baseline (a value, not an absence) in one episode.
    new RecordStore(db).writeObservations([{ key: null, patientMrn: 'MRN-0', episodeKey: 'E0', date: '2024-01-01', measure: 'mme', value: 0 }], null);
    refreshOutcomes(db);
    for (const who of ['admin', 'researcher'] as const) expect((await as(who).outcomes.opioids()).recorded).toBe(true);
    db.$client.exec("DELETE FROM observations WHERE measure = 'mme'");
    refreshOutcomes(db);
    expect((await as('admin').outcomes.opioids()).recorded).toBe(false);
  });

  it('the trajectory hides a window mean of fewer than 11 episodes from suppressed roles only', async () => {
    const m3 = async (who: 'researcher' | 'admin') => (await as(who).outcomes.trajectory()).series[1]!.points.find((p) => p.window === 'm3')!.change;
    expect(await m3('admin')).toMatchObject({ n: 5, mean: 2 });
    expect(await m3('researcher')).toMatchObject({ n: { display: '<11' }, mean: null });
  });
});

describe('input bounds', () => {
  it('refuses a range that runs backwards or spans more than 20 years, unknown values and non-integer ids', async () => {
    const c = as('admin').outcomes;
    const q = (filters: Record<string, unknown>) => c.summary({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', denominator: 'complete_case', filters } as never);
    expect(await codeOf(q({ from: '2024-05-01', to: '2024-01-01' }))).toBe('BAD_REQUEST');
    expect(await codeOf(q({ from: '1990-01-01', to: '2024-01-01' }))).toBe('BAD_REQUEST');
    expect(await codeOf(q({ from: '2024-02-30' }))).toBe('BAD_REQUEST');
    expect(await codeOf(q({ providers: [1.5] }))).toBe('BAD_REQUEST');
    expect(await codeOf(q({ conditions: ['headache'] }))).toBe('BAD_REQUEST');
    expect(await codeOf(c.summary({ measure: 'mme' } as never))).toBe('BAD_REQUEST');
    expect(await codeOf(c.table({ query: undefined as never, by: 'zip' as never }))).toBe('BAD_REQUEST');
    expect(await codeOf(q({ from: '2005-01-01', to: '2024-12-31' }))).toBe('OK');
  });
});

describe('patient-level data', () => {
  it('a physician lists only the episodes where they are the provider; an admin all; the read is audited', async () => {
    const mine = await as('physician').outcomes.patients({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: undefined as never });
    expect(mine.rows.length).toBe(14);
    expect(new Set(mine.rows.map((r) => r.provider))).toEqual(new Set(['Dr One']));
    expect(mine.rows[0]).toMatchObject({ indexDate: daysToIso(parseIsoDate('2024-01-01')! + 13 * 3), baseline: 8, followUp: 0, change: 8, responder: true });
    const theirs = await as('physician2').outcomes.patients({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: undefined as never });
    expect(theirs.rows.map((r) => r.mrn).sort()).toEqual(['MRN-100', 'MRN-101', 'MRN-102', 'MRN-103', 'MRN-104']);
    const all = await as('admin').outcomes.patients({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: undefined as never, limit: 10 });
    expect(all.rows.length).toBe(10);
    expect(all.next).not.toBeNull();
    const rest = await as('admin').outcomes.patients({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: undefined as never, limit: 10, after: all.next! });
    expect(rest.rows.length).toBe(9);
    expect(rest.next).toBeNull();
    expect(new Set([...all.rows, ...rest.rows].map((r) => r.episodeId)).size).toBe(19);

    const log = auditRows();
    expect(log.map((r) => [r.username, r.target])).toEqual([
      ['dr.one', 'outcomes.patients'],
      ['dr.two', 'outcomes.patients'],
      ['admin', 'outcomes.patients'],
      ['admin', 'outcomes.patients'],
    ]);
    expect(JSON.parse(log[0]!.detail)).toMatchObject({ view: 'outcomes.patients', count: 14 });
    // No PHI in the log: ids and counts only.
    expect(log.map((r) => r.detail).join()).not.toContain('MRN');
  });

  it('lists a selected group of a table', async () => {
    const g = await as('admin').outcomes.patients({
      measure: 'pain_nrs',
      window: 'm3',
      definition: 'pct30',
      filters: undefined as never,
      group: { by: 'category', key: 'physical_therapy' },
    });
    expect(g.rows.map((r) => r.category)).toEqual(Array(5).fill('Physical therapy'));
    const month = await as('admin').outcomes.patients({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: undefined as never, group: { by: 'month', key: '2024-01' } });
    expect(month.rows.length).toBe(11); // days 0..30 of January: k = 0..10
  });

  it('practice managers and researchers may not list patients or open a timeline', async () => {
    for (const who of ['practice_manager', 'researcher'] as const) {
      expect(await codeOf(as(who).outcomes.patients({ measure: 'pain_nrs', window: 'm3', definition: 'pct30', filters: undefined as never }))).toBe('FORBIDDEN');
      expect(await codeOf(as(who).outcomes.patientTimeline({ episodeId: 1 }))).toBe('FORBIDDEN');
    }
    expect(auditRows()).toEqual([]);
  });

  it("a timeline outside the physician's scope is NOT_FOUND, like one that does not exist; inside it, scores and treatments with what counted", async () => {
    const episodeOf = (key: string) => db.$client.prepare('SELECT id FROM episodes WHERE key = ?').pluck().get(key) as number;
    const other = episodeOf('E100');
    expect(await codeOf(as('physician').outcomes.patientTimeline({ episodeId: other }))).toBe('NOT_FOUND');
    expect(await codeOf(as('physician').outcomes.patientTimeline({ episodeId: 999_999 }))).toBe('NOT_FOUND');
    expect(auditRows()).toEqual([]);

    const t = await as('physician').outcomes.patientTimeline({ episodeId: episodeOf('E3') });
    expect(t.episode).toMatchObject({ mrn: 'MRN-3', indexDate: '2024-01-10', carePath: 'interventional', category: 'Epidural steroid injection', provider: 'Dr One' });
    expect(t.treatments).toEqual([{ date: '2024-01-10', day: 0, category: 'Epidural steroid injection', code: '62323', laterality: null, complication: 'none' }]);
    expect(t.observations).toEqual([
      { date: '2024-01-10', day: 0, measure: 'pain_nrs', value: 8, counted: 'baseline' },
      { date: '2024-04-10', day: 91, measure: 'pain_nrs', value: 5, counted: 'm3' },
    ]);
    expect(t.windows.find((w) => w.window === 'm3')).toEqual({ window: 'm3', target: 91, from: 64, to: 135 });
    expect(await codeOf(as('admin').outcomes.patientTimeline({ episodeId: other }))).toBe('OK');
    const patientOf = (key: string) => db.$client.prepare('SELECT patient_id FROM episodes WHERE key = ?').pluck().get(key) as number;
    expect(auditRows().map((r) => [r.username, r.target])).toEqual([
      ['dr.one', `patient:${patientOf('E3')}`],
      ['admin', `patient:${patientOf('E100')}`],
    ]);
  });
});
