/**
 * The canary: a practice where every identifying field carries a recognisable
 * marker (MRNs, record keys, names, birth dates, full ZIP codes, every date,
 * a free-text code), exported by a researcher through the real HTTP path
 * (cohorts.export, then GET /exports/:ticket) in every shape and format, and
 * scanned: the raw bytes of every file in the zip, and every value decoded
 * (Parquet pages are compressed, so their values are read back too). Zero
 * markers. The identified export of an admin, scanned the same way, does
 * carry dates and ZIP codes: the scan can find what it looks for.
 *
 * Also the boundaries: ages 89 and 90 and over, every restricted ZIP prefix
 * and its neighbours, and dates that would reveal a day (a leap day, the last
 * day of a year with a follow-up in the next one).
 */
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type Db } from '../../../db/index.ts';
import { SESSION_COOKIE } from '../../../server/auth/cookie.ts';
import { daysToIso, parseIsoDate } from '../../../server/domain/dates.ts';
import { RESTRICTED_ZIP3, safeHarborAge, zip3, randomStudyIds } from '../../../server/services/export/deid.ts';
import { refreshOutcomes } from '../../../server/services/outcomes/refresh.ts';
import { RecordStore } from '../../../server/services/records/store.ts';
import { PASSWORD, seedUsers } from '../../auth/helpers.ts';
import { startTestApp, type TestApp } from '../../auth/http-helpers.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const add = (iso: string, n: number) => daysToIso(parseIsoDate(iso)! + n);

/** Everything identifying the canary practice holds, as the text that must not appear. */
type Markers = { text: string[]; dates: string[]; zips: string[]; indexDays: number[] };

/**
 * 40 patients: MRNs, keys, names, specialties marked "CANARY"; birth dates
 * making some patients 89, 90 and 97 on their index date; ZIP codes in
 * restricted and ordinary areas; episodes on a leap day and on 31 December
 * with follow-ups into the next year.
 */
function seedCanary(db: Db): Markers {
  const store = new RecordStore(db);
  const m: Markers = { text: ['CANARY', 'Canary', 'canary', 'ZQXMARK'], dates: [], zips: [], indexDays: [] };
  db.$client.transaction(() => {
    store.writeSites([{ key: 'CANARY-SITE-1', name: 'Canary Site ZQXMARK' }], null);
    store.writeProviders(
      [
        { key: 'CANARY-PROV-1', name: 'Dr Canary ZQXMARK', specialty: 'CANARY specialty', siteKey: 'CANARY-SITE-1' },
        { key: 'CANARY-PROV-2', name: 'Dr Canary Two', specialty: null, siteKey: 'CANARY-SITE-1' },
      ],
      null,
    );
    const zips = ['03601', '05901', '89012', '97213', '10001', '60614', '55601', '02134'];
    for (let i = 0; i < 40; i++) {
      const mrn = `CANARY-MRN-${1000 + i}`;
      const start = i === 0 ? '2024-02-29' : i === 1 ? '2024-12-31' : add('2024-03-04', i * 7);
      // Ages on the index date: 89, 90, 97 for the first three, then 40-79.
      const age = i === 0 ? 89 : i === 1 ? 90 : i === 2 ? 97 : 40 + i;
      const birth = `${Number(start.slice(0, 4)) - age}-01-${String(10 + (i % 18)).padStart(2, '0')}`;
      const zip = zips[i % zips.length]!;
      store.writePatients([{ mrn, birthDate: birth, sex: i % 2 ? 'male' : 'female', zip }], null);
      m.dates.push(birth);
      m.zips.push(zip);
      const ep = `CANARY-EP-${i}`;
      store.writeEpisodes(
        [{ key: ep, patientMrn: mrn, carePath: i % 3 ? 'interventional' : 'conservative', conditionCode: 'M54.16', region: 'lumbar', providerKey: 'CANARY-PROV-1', siteKey: 'CANARY-SITE-1', startDate: start, painDurationMonths: 6 }],
        null,
      );
      m.dates.push(start);
      m.indexDays.push(parseIsoDate(start)!);
      const treatmentDays = [0, 45];
      treatmentDays.forEach((d, k) => {
        store.writeTreatments(
          [
            {
              key: `CANARY-TX-${i}-${k}`,
              episodeKey: ep,
              date: add(start, d),
              category: i % 3 ? 'epidural_steroid_injection' : 'physical_therapy',
              // A free-text "code" with a formula: must never reach a de-identified file.
              code: k === 1 && i === 5 ? '=CANARY()' : i % 3 ? '62323' : '97110',
              laterality: 'left',
              providerKey: 'CANARY-PROV-2',
              complication: 'none',
            },
          ],
          null,
        );
        m.dates.push(add(start, d));
      });
      for (const [d, v] of [
        [-3, 8],
        [1, 7],
        [14, 5],
        [40, 4],
        [91, 3],
        [182, 3],
        [365, 2],
      ] as const) {
        store.writeObservations([{ key: `CANARY-OB-${i}-${d}`, patientMrn: mrn, episodeKey: ep, date: add(start, d), measure: 'pain_nrs', value: v }], null);
        m.dates.push(add(start, d));
      }
    }
  })();
  refreshOutcomes(db);
  return m;
}

/** Every way a date could be written. */
function dateForms(iso: string): string[] {
  const [y, mo, d] = iso.split('-');
  return [iso, `${y}${mo}${d}`, `${mo}/${d}/${y}`, `${d}/${mo}/${y}`, `${y}/${mo}/${d}`];
}

let t: TestApp;
let markers: Markers;
let researcherCookie: string;
let adminCookie: string;

beforeAll(async () => {
  const db = createTestDb();
  t = await startTestApp({
    db,
    seed: async (d, secrets) => {
      markers = seedCanary(d);
      await seedUsers(d, secrets);
    },
  });
  researcherCookie = (await t.login('researcher', PASSWORD)).cookie!;
  adminCookie = (await t.login('admin', PASSWORD)).cookie!;
});
afterAll(async () => t.close());

const EVERYONE = { schemaVersion: 1, criteria: [] };

/** Exports through the HTTP API and unpacks the zip with `unzip`: file name -> bytes. */
async function download(cookie: string, input: Record<string, unknown>, procedure = 'cohorts.export'): Promise<Record<string, Buffer>> {
  const res = await t.mutate(procedure, input, { cookie });
  expect(res.statusCode).toBe(200);
  const url = (res.json() as { result: { data: { url: string } } }).result.data.url;
  const file = await t.app.inject({ method: 'GET', url, headers: { host: 'localhost', cookie: `${SESSION_COOKIE}=${cookie}` } });
  expect(file.statusCode).toBe(200);
  expect(file.headers['content-type']).toBe('application/zip');
  const dir = mkdtempSync(join(tmpdir(), 'canary-'));
  writeFileSync(join(dir, 'x.zip'), file.rawPayload);
  execFileSync('unzip', ['-q', join(dir, 'x.zip'), '-d', join(dir, 'x')]);
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(join(dir, 'x'))) out[f] = readFileSync(join(dir, 'x', f));
  // The same download must not be served twice.
  const again = await t.app.inject({ method: 'GET', url, headers: { host: 'localhost', cookie: `${SESSION_COOKIE}=${cookie}` } });
  expect(again.statusCode).toBe(404);
  return out;
}

/** All text of a file: its bytes, and for Parquet every decoded value. */
async function textsOf(name: string, bytes: Buffer): Promise<string> {
  if (!name.endsWith('.parquet')) return bytes.toString('utf8');
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Array<Record<string, unknown>>;
  return bytes.toString('latin1') + '\n' + JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

function findMarkers(text: string): string[] {
  const found: string[] = [];
  for (const s of markers.text) if (text.includes(s)) found.push(s);
  for (const d of new Set(markers.dates)) for (const f of dateForms(d)) if (text.includes(f)) found.push(f);
  for (const z of new Set(markers.zips)) if (text.includes(z)) found.push(z);
  for (const day of new Set(markers.indexDays)) if (new RegExp(`(^|[^0-9])${day}([^0-9]|$)`).test(text)) found.push(`index day ${day}`);
  return found;
}

const SHAPES = ['wide', 'long'] as const;
const FORMATS = ['csv', 'json', 'parquet'] as const;

describe('canary: a researcher’s export carries no identifying marker', () => {
  for (const shape of SHAPES)
    for (const format of FORMATS)
      it(`${shape} ${format}`, async () => {
        const files = await download(researcherCookie, { definition: EVERYONE, shape, format });
        const dataFiles = Object.keys(files).filter((f) => f.endsWith(`.${format}`) && !/^(data_dictionary|cohort_definition)\./.test(f));
        expect(dataFiles.length).toBe(shape === 'wide' ? 2 : 3);
        for (const [name, bytes] of Object.entries(files)) expect({ name, markers: findMarkers(await textsOf(name, bytes)) }).toEqual({ name, markers: [] });
        // Ages: 89 stays 89, 90 and 97 become 90; index years only.
        const episodes = files[`episodes.${format}`]!;
        const rows =
          format === 'parquet'
            ? ((await parquetReadObjects({ file: episodes.buffer.slice(episodes.byteOffset, episodes.byteOffset + episodes.byteLength) as ArrayBuffer })) as Array<Record<string, unknown>>)
            : format === 'json'
              ? (JSON.parse(episodes.toString('utf8')) as Array<Record<string, unknown>>)
              : csvObjects(episodes.toString('utf8'));
        const ages = rows.map((r) => Number(r.age)).sort((a, b) => a - b);
        expect(Math.max(...ages)).toBe(90);
        expect(ages.filter((a) => a === 90).length).toBe(2);
        expect(ages).toContain(89);
        // 03601, 05901, 89012 and 55601 are in restricted areas.
        expect(new Set(rows.map((r) => String(r.zip3)))).toEqual(new Set(['000', '972', '100', '606', '021']));
        expect(Object.keys(rows[0]!).some((k) => /date|mrn|key|name|zip$/.test(k))).toBe(false);
      });

  it('the scan finds the markers in an identified export (an admin’s limited data set)', async () => {
    const files = await download(adminCookie, { definition: EVERYONE, shape: 'long', format: 'csv' }, 'cohorts.exportIdentified');
    const found = findMarkers(Object.values(files).map((b) => b.toString('utf8')).join('\n'));
    expect(found).toContain(markers.dates[0]);
    expect(found).toContain('97213');
    // Still no MRNs, keys or names: a limited data set has none.
    expect(found.filter((f) => /canary/i.test(f))).toEqual([]);
  });

  it('the zip stores the CSV compressed (the scan reads the unpacked bytes, not the compressed ones)', async () => {
    const res = await t.mutate('cohorts.export', { definition: EVERYONE, shape: 'wide', format: 'csv' }, { cookie: researcherCookie });
    const url = (res.json() as { result: { data: { url: string } } }).result.data.url;
    const file = await t.app.inject({ method: 'GET', url, headers: { host: 'localhost', cookie: `${SESSION_COOKIE}=${researcherCookie}` } });
    // Local file header of the first entry: method 8 (deflate); inflating it gives the README.
    const buf = file.rawPayload;
    expect(buf.readUInt32LE(0)).toBe(0x04034b50);
    expect(buf.readUInt16LE(8)).toBe(8);
    const nameLen = buf.readUInt16LE(26);
    const extraLen = buf.readUInt16LE(28);
    const size = buf.readUInt32LE(18);
    expect(inflateRawSync(buf.subarray(30 + nameLen + extraLen, 30 + nameLen + extraLen + size)).toString('utf8')).toContain('Safe Harbor');
  });
});

function csvObjects(text: string): Array<Record<string, unknown>> {
  const lines = text.trim().split('\r\n');
  const head = lines[0]!.split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, k) => [head[k]!, v])));
}

describe('Safe Harbor boundaries', () => {
  it('ages: 89 is 89; 90 and over are 90', () => {
    expect([0, 45, 89, 90, 91, 104, null].map(safeHarborAge)).toEqual([0, 45, 89, 90, 90, 90, null]);
  });

  it('ZIP: every restricted prefix becomes 000, its neighbours keep their digits; malformed or missing is empty', () => {
    for (const p of RESTRICTED_ZIP3) expect(zip3(`${p}42`)).toBe('000');
    expect(RESTRICTED_ZIP3.length).toBe(17);
    expect(zip3('03701')).toBe('037');
    expect(zip3('03599')).toBe('035');
    expect(zip3('00601')).toBe('006');
    expect(zip3('8230')).toBeNull();
    expect(zip3('823011')).toBeNull();
    expect(zip3(null)).toBeNull();
  });

  it('dates that would reveal a day: a leap-day index and a 31 December index with next-year follow-up give the index year and days only', async () => {
    const files = await download(researcherCookie, { definition: EVERYONE, shape: 'long', format: 'json' });
    const eps = JSON.parse(files['episodes.json']!.toString('utf8')) as Array<Record<string, number>>;
    const obs = JSON.parse(files['observations.json']!.toString('utf8')) as Array<Record<string, number | string>>;
    // Every index year is the year of some index date; no month or day anywhere.
    expect(new Set(eps.map((e) => e.index_year))).toEqual(new Set(markers.indexDays.map((d) => Number(daysToIso(d).slice(0, 4)))));
    for (const e of eps) expect(Object.keys(e).filter((k) => /(^|_)(month|quarter|week|date)$|day$/.test(k) && k !== 'repeat_day')).toEqual([]);
    // Days relative to the index date: exactly the offsets written, whatever the calendar.
    expect(new Set(obs.map((o) => o.day))).toEqual(new Set([-3, 1, 14, 40, 91, 182, 365]));
    const text = JSON.stringify({ eps, obs });
    for (const leaked of ['02-29', '12-31', '2025-01-01', '2024-02-29']) expect({ leaked, found: text.includes(leaked) }).toEqual({ leaked, found: false });
  });

  it('study ids are a random permutation, new every time', () => {
    const a = randomStudyIds(1000);
    const b = randomStudyIds(1000);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect([...a]).not.toEqual([...b]);
    // Not the identity, and not close to it: fewer than 1 % of ids in place.
    expect(a.filter((v, i) => v === i + 1).length).toBeLessThan(10);
  });
});
