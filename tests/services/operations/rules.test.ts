/**
 * The payer rules of ../shared/spec/domain.md ("Operations") on hand-built
 * edge cases, through the records, the outcome refresh and the column store,
 * the way the page reads them: ESI sessions beyond 4 per region in a rolling
 * 12 months (365 days counting both ends), sessions by day (left, right and
 * bilateral on one day are one session), regions apart, and the MBB -> RFA
 * conversion. Definitions: docs/decisions/010-operations.md.
 */
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../../../db/index.ts';
import { createContextInner } from '../../../server/context.ts';
import { flaggedEpisodes, repeats } from '../../../server/services/operations/service.ts';
import { sessionFacts } from '../../../server/services/operations/rules.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { parseIsoDate, daysToIso } from '../../../server/domain/dates.ts';
import { Practice } from '../outcomes/practice.ts';

const NOW = Date.parse('2027-06-01T12:00:00Z');
const day = (iso: string) => parseIsoDate(iso)!;
const plus = (iso: string, days: number) => daysToIso(day(iso) + days);

function practice() {
  const db = createTestDb();
  const p = new Practice(db);
  const admin = createContextInner({ db, user: { id: 1, role: 'admin', providerId: null }, now: () => NOW });
  return { db, p, admin };
}

/** ESI sessions on the given day offsets from 2025-01-06, one episode per region. */
function esiAt(p: Practice, patient: string, offsets: number[], region: 'lumbar' | 'cervical' = 'lumbar', laterality: 'left' | 'right' | 'bilateral' | null = null, episode = `${patient}-${region}`) {
  if (!p.db.$client.prepare('SELECT 1 FROM patients WHERE mrn = ?').get(patient)) p.patient(patient);
  if (!p.db.$client.prepare('SELECT 1 FROM episodes WHERE key = ?').get(episode)) p.episode(episode, patient, '2025-01-06', { region });
  offsets.forEach((o, k) => p.treatment(`${episode}-t${o}-${k}-${laterality ?? 'none'}`, episode, plus('2025-01-06', o), { laterality, code: region === 'lumbar' ? '64483' : '64479' }));
}

describe('ESI sessions beyond 4 per region in a rolling 12 months', () => {
  it('flags a 5th session within 365 days (first to fifth 364 days apart), not one spread over 366 days', async () => {
    const { db, p, admin } = practice();
    esiAt(p, 'A', [0, 90, 180, 270, 364]); // five sessions within 365 calendar days: the fifth is flagged
    esiAt(p, 'B', [0, 90, 180, 270, 365]); // five sessions over 366 days: no window holds five
    esiAt(p, 'C', [0, 30, 60, 90]); // exactly four: allowed
    refreshOutcomes(db);
    const r = await repeats(admin, { filters: {} });
    expect(r.esi.sessions).toBe(14);
    expect(r.esi.flagged).toBe(1);
    expect(r.esi.patients).toBe(1);
    const list = await flaggedEpisodes(admin, { filters: {}, limit: 10 });
    expect(list.rows.map((x) => [x.flaggedOn, x.sessionsInWindow])).toEqual([[plus('2025-01-06', 364), 5]]);
    expect(list.rows[0]!.windowDates).toHaveLength(5);
    expect(list.rows[0]!.episodeId).toBe(p.episodeId('A-lumbar'));
  });

  it('counts left, right and bilateral injections on one day as one session, and on different days as separate sessions of the region', async () => {
    const { db, p, admin } = practice();
    // Patient D: four days with left + right (one session each), then a bilateral one: five sessions, flagged.
    for (const o of [0, 60, 120, 180]) {
      esiAt(p, 'D', [o], 'lumbar', 'left');
      esiAt(p, 'D', [o], 'lumbar', 'right');
    }
    esiAt(p, 'D', [240], 'lumbar', 'bilateral');
    // Patient E: left, right, left, right on four days: four sessions of the lumbar region, allowed ...
    esiAt(p, 'E', [0, 50], 'lumbar', 'left');
    esiAt(p, 'E', [100, 150], 'lumbar', 'right');
    refreshOutcomes(db);
    let r = await repeats(admin, { filters: {} });
    expect(r.esi.sessions).toBe(5 + 4);
    expect(r.esi.flagged).toBe(1);
    // ... until a fifth on the other side: laterality does not make another region.
    esiAt(p, 'E', [200], 'lumbar', 'left');
    refreshOutcomes(db);
    r = await repeats(admin, { filters: {} });
    expect(r.esi.flagged).toBe(2);
    expect(r.esi.patients).toBe(2);
  });

  it('counts each region on its own: four lumbar and four cervical sessions are not flagged', async () => {
    const { db, p, admin } = practice();
    esiAt(p, 'F', [0, 40, 80, 120], 'lumbar');
    esiAt(p, 'F', [10, 50, 90, 130], 'cervical');
    refreshOutcomes(db);
    const r = await repeats(admin, { filters: {} });
    expect(r.esi.sessions).toBe(8);
    expect(r.esi.flagged).toBe(0);
    expect(r.esi.byRegion.map((x) => [x.key, x.sessions, x.flagged])).toEqual([
      ['cervical', 4, 0],
      ['lumbar', 4, 0],
    ]);
    // A fifth lumbar one is flagged, in the lumbar row only.
    esiAt(p, 'F', [160], 'lumbar');
    refreshOutcomes(db);
    const again = await repeats(admin, { filters: {} });
    expect(again.esi.byRegion.map((x) => [x.key, x.sessions, x.flagged])).toEqual([
      ['cervical', 4, 0],
      ['lumbar', 5, 1],
    ]);
  });

  it('counts sessions across episodes of the same region, and flags every session beyond the 4th while the window holds more than 4', async () => {
    const { db, p, admin } = practice();
    esiAt(p, 'G', [0, 30, 60], 'lumbar', null, 'G-first');
    esiAt(p, 'G', [90, 120, 150], 'lumbar', null, 'G-second');
    refreshOutcomes(db);
    const r = await repeats(admin, { filters: {} });
    expect(r.esi.flagged).toBe(2);
    expect(r.esi.episodes).toBe(1);
    expect((await flaggedEpisodes(admin, { filters: {}, limit: 10 })).rows.map((x) => x.sessionsInWindow)).toEqual([6]);
  });
});

describe('medial branch block -> radiofrequency ablation conversion', () => {
  it('counts a series once, converted when an RFA of the same region follows within 365 days, and leaves out series younger than 12 months', async () => {
    const { db, p, admin } = practice();
    p.patient('M1');
    p.episode('M1-e', 'M1', '2025-01-06', { region: 'lumbar' });
    p.treatment('M1-mbb1', 'M1-e', '2025-01-06', { category: 'medial_branch_block', code: '64493' });
    p.treatment('M1-mbb2', 'M1-e', '2025-01-20', { category: 'medial_branch_block', code: '64493' }); // second block: same series
    p.treatment('M1-rfa', 'M1-e', plus('2025-01-06', 364), { category: 'radiofrequency_ablation', code: '64635' });
    p.patient('M2');
    p.episode('M2-e', 'M2', '2025-01-06', { region: 'lumbar' });
    p.treatment('M2-mbb', 'M2-e', '2025-01-06', { category: 'medial_branch_block', code: '64493' });
    p.treatment('M2-rfa', 'M2-e', plus('2025-01-06', 365), { category: 'radiofrequency_ablation', code: '64635' }); // a day late
    p.patient('M3');
    p.episode('M3-e', 'M3', '2025-01-06', { region: 'lumbar' });
    p.episode('M3-c', 'M3', '2025-01-06', { region: 'cervical' });
    p.treatment('M3-mbb', 'M3-e', '2025-01-06', { category: 'medial_branch_block', code: '64493' });
    p.treatment('M3-rfa', 'M3-c', '2025-03-06', { category: 'radiofrequency_ablation', code: '64633' }); // another region
    p.patient('M4');
    p.episode('M4-e', 'M4', '2027-01-06', { region: 'lumbar' });
    p.treatment('M4-mbb', 'M4-e', '2027-01-06', { category: 'medial_branch_block', code: '64493' }); // under 12 months before NOW
    refreshOutcomes(db);
    const r = await repeats(admin, { filters: {} });
    expect(r.mbb.series).toBe(3);
    expect(r.mbb.converted).toBe(1);
    expect(r.mbb.rate.p).toBeCloseTo(1 / 3, 12);
    expect(r.mbb.medianDays).toBe(364);
    expect(r.mbb.recent).toBe(1);
  });
});

describe('sessionFacts (pure)', () => {
  const cats = { esi: 0, mbb: 2, rfa: 3 };
  it('gives the gap to the next session of the same type and region only', async () => {
    const f = sessionFacts(
      [
        { day: 0, category: 0, region: 3 },
        { day: 5, category: 1, region: 3 },
        { day: 10, category: 0, region: 1 },
        { day: 40, category: 0, region: 3 },
      ],
      cats,
    );
    expect([...f.nextGap]).toEqual([40, -1, -1, -1]);
    expect([...f.esiInWindow]).toEqual([1, 0, 1, 2]);
  });
  it('starts a new MBB series after 365 days without a block', async () => {
    const f = sessionFacts(
      [
        { day: 0, category: 2, region: 3 },
        { day: 364, category: 2, region: 3 },
        { day: 729, category: 2, region: 3 },
        { day: 800, category: 3, region: 3 },
      ],
      cats,
    );
    expect([...f.mbbStart]).toEqual([1, 0, 1, 0]);
    expect([...f.rfaGap]).toEqual([-1, -1, 71, -1]);
  });
});
