import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { FOLLOW_UP_WINDOW_NAMES, carePathOfCategory, cptFamilyOf, type TreatmentCategory } from '../../../db/schema/vocabulary.ts';
import { ageOn, daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { generateDemoPractice, practiceSpan } from '../../../server/services/demo/index.ts';
import { restoreIndexes } from '../../../server/services/demo/bulk.ts';
import { COMPLETION } from '../../../server/services/demo/model.ts';
import { PROVIDERS } from '../../../server/services/demo/practice.ts';
import { contentHash } from './helpers.ts';

const RESTRICTED_PREFIXES = ['036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893'];

/** The codes each category may carry (null: no code, e.g. a prescription). */
const CODES: Record<TreatmentCategory, ReadonlyArray<string | null>> = {
  epidural_steroid_injection: ['62320', '62321', '62322', '62323', '64479', '64480', '64483', '64484'],
  facet_joint_injection: ['64490', '64491', '64492', '64493', '64494', '64495'],
  medial_branch_block: ['64490', '64491', '64492', '64493', '64494', '64495'],
  radiofrequency_ablation: ['64633', '64634', '64635', '64636', '64625'],
  sacroiliac_joint_injection: ['27096'],
  nerve_block: ['64510', '64520', '64450'],
  spinal_cord_stimulation: ['63650', '63655', '63685'],
  other_injection: ['20552', '20553'],
  medication: [null],
  physical_therapy: ['97110', '97140', '97161', '97162', '97163'],
  exercise_program: [null],
  psychological_therapy: ['96156', '96158'],
  heat_cold: ['97010'],
  usual_care: [null],
};
const CERVICAL_CODES = ['62320', '62321', '64479', '64480', '64490', '64491', '64492', '64633', '64634'];
const ADD_ON_CODES = ['64480', '64484', '64491', '64492', '64494', '64495', '64634', '64636', '63685'];

const END = '2026-10-31';
let db: Db;
const all = <T>(sql: string, ...params: unknown[]) => db.$client.prepare(sql).all(...params) as T[];
const one = <T>(sql: string, ...params: unknown[]) => db.$client.prepare(sql).pluck().get(...params) as T;

beforeAll(() => {
  db = createTestDb();
  generateDemoPractice(db, { patients: 4000, seed: 11, endDate: END });
}, 60_000);

describe('determinism', () => {
  it('the same seed gives identical content, whatever the batch size; another seed differs', () => {
    const a = createTestDb();
    const b = createTestDb();
    const c = createTestDb();
    generateDemoPractice(a, { patients: 300, seed: 5 });
    generateDemoPractice(b, { patients: 300, seed: 5, batchSize: 37 });
    generateDemoPractice(c, { patients: 300, seed: 6 });
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(contentHash(c));
  });

  it('running the same seed again changes nothing', () => {
    const a = createTestDb();
    generateDemoPractice(a, { patients: 200, seed: 3 });
    const before = contentHash(a);
    generateDemoPractice(a, { patients: 200, seed: 3 });
    expect(contentHash(a)).toBe(before);
  });

  it('a bulk load leaves the schema as migrated, and a broken bulk load is repaired on the next run', () => {
    const fresh = createTestDb();
    const indexes = (d: Db) =>
      d.$client.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
    const a = createTestDb();
    generateDemoPractice(a, { patients: 300, seed: 5, bulk: true });
    expect(indexes(a)).toEqual(indexes(fresh));
    const plain = createTestDb();
    generateDemoPractice(plain, { patients: 300, seed: 5 });
    expect(contentHash(a)).toBe(contentHash(plain));

    a.$client.exec('DROP INDEX treatments_date_idx; DROP INDEX episodes_start_idx');
    generateDemoPractice(a, { patients: 1, seed: 5 });
    expect(indexes(a)).toEqual(indexes(fresh));
    expect(restoreIndexes(a)).toEqual([]);
  });
});

describe('shape of the practice', () => {
  it('has 4 sites, 14 providers and about 2 episodes per patient', () => {
    expect(one<number>('SELECT count(*) FROM sites')).toBe(4);
    expect(one<number>('SELECT count(*) FROM providers')).toBe(PROVIDERS.length);
    const perPatient = one<number>('SELECT count(*) * 1.0 / (SELECT count(*) FROM patients) FROM episodes');
    expect(perPatient).toBeGreaterThan(1.85);
    expect(perPatient).toBeLessThan(2.15);
    const interventional = one<number>("SELECT avg(care_path = 'interventional') FROM episodes");
    expect(interventional).toBeGreaterThan(0.5);
    expect(interventional).toBeLessThan(0.62);
  });

  it('keeps referential integrity, and leads episodes by physicians of the path', () => {
    expect(all('PRAGMA foreign_key_check')).toEqual([]);
    expect(one<number>('SELECT count(*) FROM episodes e WHERE NOT EXISTS (SELECT 1 FROM treatments t WHERE t.episode_id = e.id)')).toBe(0);
    expect(
      one<number>('SELECT count(*) FROM observations o JOIN episodes e ON e.id = o.episode_id WHERE e.patient_id <> o.patient_id OR o.episode_id IS NULL'),
    ).toBe(0);
    const roles = new Map(PROVIDERS.map((p) => [p.key, p.role]));
    for (const r of all<{ key: string; path: string }>('SELECT DISTINCT p.key, e.care_path AS path FROM episodes e JOIN providers p ON p.id = e.provider_id')) {
      expect([r.path, 'both']).toContain(roles.get(r.key));
    }
  });

  it('has one index category per episode, of the episode path, and nothing before the index date', () => {
    const rows = all<{ path: string; categories: string }>(
      `SELECT e.care_path AS path, group_concat(DISTINCT t.category) AS categories
       FROM episodes e JOIN treatments t ON t.episode_id = e.id AND t.date = e.start_date GROUP BY e.id`,
    );
    expect(rows.length).toBe(one<number>('SELECT count(*) FROM episodes'));
    for (const r of rows) {
      expect(r.categories.split(',')).toHaveLength(1);
      expect(carePathOfCategory(r.categories as TreatmentCategory)).toBe(r.path);
    }
    expect(one<number>('SELECT count(*) FROM treatments t JOIN episodes e ON e.id = t.episode_id WHERE t.date < e.start_date')).toBe(0);
    // Conservative episodes have no procedures; interventional ones often add conservative care.
    expect(
      one<number>(`SELECT count(*) FROM treatments t JOIN episodes e ON e.id = t.episode_id
                   WHERE e.care_path = 'conservative' AND t.category IN ('epidural_steroid_injection','medial_branch_block','radiofrequency_ablation','spinal_cord_stimulation','nerve_block','facet_joint_injection','sacroiliac_joint_injection','other_injection')`),
    ).toBe(0);
    const withConservative = one<number>(
      `SELECT avg(EXISTS (SELECT 1 FROM treatments t WHERE t.episode_id = e.id AND t.category IN ('physical_therapy','medication','exercise_program','psychological_therapy')))
       FROM episodes e WHERE e.care_path = 'interventional'`,
    );
    expect(withConservative).toBeGreaterThan(0.4);
  });

  it('uses real CPT codes that fit each category and region', () => {
    for (const r of all<{ category: TreatmentCategory; code: string | null; n: number }>(
      'SELECT category, code, count(*) AS n FROM treatments GROUP BY category, code',
    )) {
      expect(CODES[r.category], `${r.category} ${r.code}`).toContain(r.code);
    }
    expect(cptFamilyOf('64483')).toBe('esi_transforaminal');
    const cervicalMismatch = all<{ code: string; region: string }>(
      `SELECT t.code, e.region FROM treatments t JOIN episodes e ON e.id = t.episode_id
       WHERE t.code IN (${CERVICAL_CODES.map(() => '?').join(',')}) AND e.region <> 'cervical'
       UNION ALL
       SELECT t.code, e.region FROM treatments t JOIN episodes e ON e.id = t.episode_id
       WHERE e.region = 'cervical' AND t.code IN ('62322','62323','64483','64484','64493','64494','64495','64635','64636')`,
      ...CERVICAL_CODES,
    );
    expect(cervicalMismatch).toEqual([]);
    // SCS mostly for post-laminectomy syndrome and CRPS.
    const scs = all<{ condition_group: string; n: number }>(
      `SELECT e.condition_group, count(DISTINCT e.id) AS n FROM episodes e JOIN treatments t ON t.episode_id = e.id
       WHERE t.category = 'spinal_cord_stimulation' GROUP BY e.condition_group ORDER BY n DESC`,
    );
    expect(scs[0]!.condition_group).toBe('post_laminectomy');
    // Interlaminar ESIs (midline) and conservative care carry no laterality; other procedures do.
    expect(one<number>("SELECT count(*) FROM treatments WHERE code LIKE '6232_' AND laterality IS NOT NULL")).toBe(0);
    expect(one<number>("SELECT count(*) FROM treatments WHERE category IN ('medication','physical_therapy','usual_care') AND laterality IS NOT NULL")).toBe(0);
    expect(one<number>("SELECT count(*) FROM treatments WHERE code IN ('64483','64493','27096','64635') AND laterality IS NULL")).toBe(0);
  });

  it('stays within the practice span, and nothing is dated after the end date', () => {
    const { startDay, endDay } = practiceSpan(END);
    expect(parseIsoDate(one<string>('SELECT min(start_date) FROM episodes'))!).toBeGreaterThanOrEqual(startDay);
    for (const table of ['treatments', 'observations']) expect(one<string>(`SELECT max(date) FROM ${table}`) <= END).toBe(true);
    expect(one<string>('SELECT max(start_date) FROM episodes') <= END).toBe(true);
    expect(parseIsoDate(one<string>('SELECT min(date) FROM observations'))!).toBeGreaterThanOrEqual(startDay - 80);
    // Index dates and procedures are on weekdays (strftime %w: 0 = Sunday, 6 = Saturday).
    expect(one<number>("SELECT count(*) FROM episodes WHERE strftime('%w', start_date) IN ('0','6')")).toBe(0);
    expect(one<number>("SELECT count(*) FROM treatments WHERE strftime('%w', date) IN ('0','6')")).toBe(0);
    expect(daysToIso(startDay)).toBe('2023-11-01');
    expect(daysToIso(endDay)).toBe(END);
  });

  it('keeps values in range and on the scales clinics use', () => {
    const ranges = all<{ measure: string; lo: number; hi: number; fractional: number }>(
      `SELECT measure, min(value) AS lo, max(value) AS hi,
         sum(CASE measure WHEN 'pain_nrs' THEN value <> round(value) WHEN 'odi' THEN value <> 2 * round(value / 2)
           WHEN 'mme' THEN 0 ELSE abs(value * 10 - round(value * 10)) > 1e-6 END) AS fractional
       FROM observations GROUP BY measure`,
    );
    const byMeasure = Object.fromEntries(ranges.map((r) => [r.measure, r]));
    expect(Object.keys(byMeasure).sort()).toEqual(['mme', 'odi', 'pain_nrs', 'promis_pf', 'promis_pi']);
    expect(byMeasure.pain_nrs).toMatchObject({ lo: 0, hi: 10, fractional: 0 });
    expect(byMeasure.odi!.lo).toBeGreaterThanOrEqual(0);
    expect(byMeasure.odi!.hi).toBeLessThanOrEqual(100);
    expect(byMeasure.odi!.fractional).toBe(0);
    for (const m of ['promis_pi', 'promis_pf']) {
      expect(byMeasure[m]!.lo).toBeGreaterThanOrEqual(20);
      expect(byMeasure[m]!.hi).toBeLessThanOrEqual(80);
      expect(byMeasure[m]!.fractional).toBe(0);
    }
    expect(byMeasure.mme!.lo).toBe(0); // some stopped
    const durations = all<{ lo: number; chronic: number }>('SELECT min(pain_duration_months) AS lo, avg(pain_duration_months > 3) AS chronic FROM episodes')[0]!;
    expect(durations.lo).toBeGreaterThanOrEqual(1);
    expect(durations.chronic).toBeGreaterThan(0.85);
    const baseline = one<number>(
      `SELECT avg(o.value) FROM observations o JOIN episodes e ON e.id = o.episode_id
       WHERE o.measure = 'pain_nrs' AND o.date = e.start_date`,
    );
    expect(baseline).toBeGreaterThan(6);
    expect(baseline).toBeLessThan(7.5);
  });

  it('has missing follow-up growing over time, episodes without a baseline, and stale intake scores', () => {
    // Episodes old enough to have every follow-up visit before the end date, with a baseline.
    const rows = all<{ start: string; days: string | null }>(
      `SELECT e.start_date AS start,
         (SELECT group_concat(CAST(julianday(o.date) - julianday(e.start_date) AS INTEGER)) FROM observations o
          WHERE o.episode_id = e.id AND o.measure = 'pain_nrs' AND o.date > e.start_date) AS days
       FROM episodes e
       WHERE julianday(e.start_date) <= julianday(?) - 460
         AND EXISTS (SELECT 1 FROM observations b WHERE b.episode_id = e.id AND b.measure = 'pain_nrs'
                     AND b.date BETWEEN date(e.start_date, '-30 days') AND e.start_date)`,
      END,
    );
    expect(rows.length).toBeGreaterThan(2000);
    const completeness = FOLLOW_UP_WINDOW_NAMES.map((w) => {
      const bounds = { w2: [7, 21], w6: [22, 63], m3: [64, 135], m6: [136, 272], m12: [273, 456] }[w];
      return rows.filter((r) => (r.days ?? '').split(',').some((d) => d !== '' && +d >= bounds[0]! && +d <= bounds[1]!)).length / rows.length;
    });
    for (let i = 1; i < completeness.length; i++) expect(completeness[i]!).toBeLessThan(completeness[i - 1]!);
    FOLLOW_UP_WINDOW_NAMES.forEach((w, i) => expect(Math.abs(completeness[i]! - COMPLETION[w])).toBeLessThan(0.04));

    const noBaseline = one<number>(
      `SELECT avg(NOT EXISTS (SELECT 1 FROM observations b WHERE b.episode_id = e.id AND b.measure = 'pain_nrs'
                              AND b.date BETWEEN date(e.start_date, '-30 days') AND e.start_date)) FROM episodes e`,
    );
    expect(noBaseline).toBeGreaterThan(0.05);
    expect(noBaseline).toBeLessThan(0.12);
    expect(
      one<number>(
        `SELECT count(*) FROM observations o JOIN episodes e ON e.id = o.episode_id
         WHERE o.measure = 'pain_nrs' AND o.date < date(e.start_date, '-30 days')`,
      ),
    ).toBeGreaterThan(50);
  });

  it('has repeat procedures: ESIs beyond 4 per region in 12 months, and medial branch blocks converted to RFA', () => {
    const flagged = one<number>(
      `SELECT count(*) FROM (
         SELECT DISTINCT e.patient_id, e.region FROM treatments t JOIN episodes e ON e.id = t.episode_id
         WHERE t.category = 'epidural_steroid_injection'
           AND (SELECT count(DISTINCT t2.date) FROM treatments t2 JOIN episodes e2 ON e2.id = t2.episode_id
                WHERE e2.patient_id = e.patient_id AND e2.region = e.region AND t2.category = 'epidural_steroid_injection'
                  AND t2.date BETWEEN t.date AND date(t.date, '+364 days')) > 4)`,
    );
    expect(flagged).toBeGreaterThan(20);
    const repeatShare = one<number>(
      `SELECT avg(n > 1) FROM (SELECT count(DISTINCT t.date) AS n FROM treatments t JOIN episodes e ON e.id = t.episode_id
       WHERE t.category = 'epidural_steroid_injection' GROUP BY e.id)`,
    );
    expect(repeatShare).toBeGreaterThan(0.3);
    expect(repeatShare).toBeLessThan(0.7);
    const conversion = one<number>(
      `SELECT avg(EXISTS (SELECT 1 FROM treatments r WHERE r.episode_id = e.id AND r.category = 'radiofrequency_ablation' AND r.date > e.start_date))
       FROM episodes e JOIN treatments t ON t.episode_id = e.id AND t.date = e.start_date AND t.category = 'medial_branch_block'`,
    );
    expect(conversion).toBeGreaterThan(0.5);
    expect(conversion).toBeLessThan(0.7);
  });

  it('has complications: minor ~2-3 % of procedures, major rare, adverse events of medication; none on add-on lines', () => {
    const procedures = all<{ minor: number; major: number; n: number }>(
      `SELECT avg(complication = 'minor') AS minor, avg(complication = 'major') AS major, count(*) AS n FROM treatments
       WHERE complication IS NOT NULL AND category IN ('epidural_steroid_injection','facet_joint_injection','medial_branch_block','radiofrequency_ablation','sacroiliac_joint_injection','nerve_block','spinal_cord_stimulation','other_injection')`,
    )[0]!;
    expect(procedures.minor).toBeGreaterThan(0.015);
    expect(procedures.minor).toBeLessThan(0.04);
    expect(procedures.major).toBeGreaterThan(0);
    expect(procedures.major).toBeLessThan(0.01);
    expect(one<number>("SELECT count(*) FROM treatments WHERE category = 'medication' AND complication = 'minor'")).toBeGreaterThan(20);
    expect(one<number>(`SELECT count(*) FROM treatments WHERE code IN (${ADD_ON_CODES.map(() => '?').join(',')}) AND complication IS NOT NULL`, ...ADD_ON_CODES)).toBe(0);
    expect(one<number>("SELECT count(*) FROM treatments WHERE code NOT IN ('64480','64484','64491','64492','64494','64495','64634','64636','63685') AND complication IS NULL AND code IS NOT NULL AND code <> '63650'")).toBe(0);
  });
});

describe('patients', () => {
  it('have 5-digit ZIPs, including every HIPAA-restricted prefix in a large enough practice, and some missing', () => {
    expect(one<number>("SELECT count(*) FROM patients WHERE zip IS NOT NULL AND zip NOT GLOB '[0-9][0-9][0-9][0-9][0-9]'")).toBe(0);
    const restricted = all<{ prefix: string; n: number }>(
      `SELECT substr(zip, 1, 3) AS prefix, count(*) AS n FROM patients WHERE substr(zip, 1, 3) IN (${RESTRICTED_PREFIXES.map(() => '?').join(',')}) GROUP BY prefix`,
      ...RESTRICTED_PREFIXES,
    );
    const share = restricted.reduce((s, r) => s + r.n, 0) / one<number>('SELECT count(*) FROM patients');
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.035);
    expect(restricted.length).toBeGreaterThanOrEqual(8);
    expect(one<number>('SELECT count(*) FROM patients WHERE zip IS NULL')).toBeGreaterThan(0);
  });

  it('are adults aged about 20-95 at their episodes, some over 89; all four sexes, women the majority', () => {
    const ages = all<{ birth: string; start: string }>('SELECT p.birth_date AS birth, e.start_date AS start FROM episodes e JOIN patients p ON p.id = e.patient_id').map(
      (r) => ageOn(r.birth, r.start),
    );
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(19);
    expect(Math.max(...ages)).toBeLessThanOrEqual(100);
    expect(ages.filter((a) => a > 89).length).toBeGreaterThan(5);
    const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
    expect(mean).toBeGreaterThan(50);
    expect(mean).toBeLessThan(62);
    const sexes = Object.fromEntries(all<{ sex: string; n: number }>('SELECT sex, count(*) AS n FROM patients GROUP BY sex').map((r) => [r.sex, r.n]));
    expect(Object.keys(sexes).sort()).toEqual(['female', 'male', 'other', 'unknown']);
    expect(sexes.female!).toBeGreaterThan(sexes.male!);
  });
});
