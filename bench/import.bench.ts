/**
 * `npm run bench -- import [--rows N] [--all-or-nothing] [--batch N] [--with-ids] [--reimport]`
 * `npm run bench -- import --schema-costs [--rows N]`
 *
 * Imports N observation rows (default 10,000,000) and the N/10 patients they
 * refer to from CSV files generated into .tmp/bench-import/ (kept between runs),
 * into a fresh database file with the production pragmas, through the same
 * service as the CLI. Prints rows per second end to end, where the time went,
 * and the peak resident memory.
 *
 * --schema-costs measures what SQLite alone spends per row on the observations
 * table: N pre-built rows (default 2,000,000; no CSV, no validation) inserted
 * with the store's statement shape into variants of the table, each constraint
 * alone and the migrated schema (docs/decisions/003-import-design.md); then
 * the same for alternative designs of the table that keep its guarantees
 * (measure and day as integers, the natural key as the clustered primary key),
 * to show what any design with those guarantees costs SQLite per row.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createDb, migrateDb } from '../db/index.ts';
import { runImport } from '../server/services/import/service.ts';
import type { ImportMode } from '../db/schema/imports.ts';
import { countFlag } from './common.ts';

/** CPU seconds of this process's main thread (Linux: /proc/self/task/<pid>/stat, utime + stime in ticks of 10 ms); null elsewhere. */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** A deterministic generator (mulberry32): the same files for the same N. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function writeFileInChunks(path: string, header: string, produce: (emit: (line: string) => void) => void): void {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  let buf: string[] = [header];
  const emit = (line: string) => {
    buf.push(line);
    if (buf.length >= 100_000) {
      writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
    }
  };
  produce(emit);
  if (buf.length > 0) writeSync(fd, `${buf.join('\n')}\n`);
  closeSync(fd);
  renameSync(tmp, path);
}

/** Patients P0000001.. and ten observations each (pain NRS, ODI, MME at baseline and follow-ups). */
function generate(dir: string, rows: number, withIds: boolean): { patients: string; observations: string } {
  mkdirSync(dir, { recursive: true });
  const patients = join(dir, 'patients.csv');
  const observations = join(dir, 'observations.csv');
  const nPatients = Math.max(1, Math.ceil(rows / 10));
  const mrn = (i: number) => `P${String(i + 1).padStart(7, '0')}`;
  if (!existsSync(patients)) {
    const r = rng(1);
    writeFileInChunks(patients, 'patient_id,birth_date,sex,zip', (emit) => {
      for (let i = 0; i < nPatients; i++) {
        const birth = iso(Date.UTC(1935, 0, 1) + Math.floor(r() * 60 * 365) * DAY);
        const sex = r() < 0.55 ? 'female' : 'male';
        emit(`${mrn(i)},${birth},${sex},${String(10000 + Math.floor(r() * 89999))}`);
      }
    });
  }
  if (!existsSync(observations)) {
    const r = rng(2);
    const plan: Array<[string, number]> = [
      ['pain_nrs', -3],
      ['odi', -3],
      ['pain_nrs', 14],
      ['pain_nrs', 42],
      ['odi', 42],
      ['pain_nrs', 91],
      ['odi', 91],
      ['pain_nrs', 182],
      ['mme', -3],
      ['mme', 91],
    ];
    writeFileInChunks(observations, withIds ? 'observation_id,patient_id,date,measure,value' : 'patient_id,date,measure,value', (emit) => {
      let written = 0;
      for (let p = 0; written < rows; p = (p + 1) % nPatients) {
        const start = Date.UTC(2022, 0, 1) + Math.floor(r() * 900) * DAY;
        for (let k = 0; k < plan.length && written < rows; k++, written++) {
          const [measure, day] = plan[k]!;
          const value = measure === 'pain_nrs' ? Math.floor(r() * 11) : measure === 'odi' ? Math.floor(r() * 101) : Math.floor(r() * 90);
          const line = `${mrn(p)},${iso(start + day * DAY)},${measure},${value}`;
          emit(withIds ? `O${written + 1},${line}` : line);
        }
      }
    });
  }
  return { patients, observations };
}

const OBS_COLUMNS = ['key', 'patient_id', 'episode_id', 'episode_by_date', 'date', 'measure', 'value', 'import_id'];
const BARE = `CREATE TABLE observations (id INTEGER PRIMARY KEY, key TEXT, patient_id INTEGER NOT NULL, episode_id INTEGER,
  episode_by_date INTEGER NOT NULL DEFAULT 0, date TEXT NOT NULL, measure TEXT NOT NULL, value REAL NOT NULL, import_id INTEGER`;
const IN_LIST = `measure IN ('pain_nrs', 'odi', 'promis_pi', 'promis_pf', 'mme')`;
const OR_CHAIN = `(measure = 'pain_nrs' OR measure = 'odi' OR measure = 'promis_pi' OR measure = 'promis_pf' OR measure = 'mme')`;
const GLOB = `date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'`;
const RANGE = `CASE measure WHEN 'pain_nrs' THEN value BETWEEN 0 AND 10 WHEN 'odi' THEN value BETWEEN 0 AND 100
  WHEN 'promis_pi' THEN value BETWEEN 20 AND 80 WHEN 'promis_pf' THEN value BETWEEN 20 AND 80 WHEN 'mme' THEN value >= 0 ELSE 0 END`;
const FKS = ', FOREIGN KEY (patient_id) REFERENCES patients(id), FOREIGN KEY (episode_id) REFERENCES episodes(id), FOREIGN KEY (import_id) REFERENCES imports(id)';

/**
 * Runs `insert` (R rows a statement) over `rows` rows, ten observations per
 * patient, committing every 50,000 as the importer does; `push(patient, k,
 * params)` adds the parameters of the patient's k-th row. Wall-clock and CPU.
 */
function timedInserts(
  s: Database.Database,
  insert: Database.Statement,
  rows: number,
  R: number,
  push: (patient: number, k: number, params: unknown[]) => void,
): { seconds: number; cpuSeconds: number; n: number } {
  const params: unknown[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  s.exec('BEGIN IMMEDIATE');
  let inBatch = 0;
  for (let i = 0; i < rows; i += R) {
    params.length = 0;
    for (let j = i; j < i + R; j++) push(Math.floor(j / 10), j % 10, params);
    insert.run(params);
    inBatch += R;
    if (inBatch >= 50_000) {
      s.exec('COMMIT');
      s.exec('BEGIN IMMEDIATE');
      inBatch = 0;
    }
  }
  s.exec('COMMIT');
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, n: Math.ceil(rows / R) * R };
}

/** Each variant: how the observations table is made (null: as migrated), and extra SQL after it. */
const VARIANTS: Array<{ name: string; table: string | null; after?: string; upsert?: boolean; buildAfter?: string }> = [
  { name: 'bare: no CHECK, foreign key or index', table: `${BARE})` },
  { name: 'bare + measure IN (...) only', table: `${BARE}, CHECK (${IN_LIST}))` },
  { name: 'bare + measure = ... OR ... only', table: `${BARE}, CHECK ${OR_CHAIN})` },
  { name: 'bare + date GLOB only', table: `${BARE}, CHECK (${GLOB}))` },
  { name: 'bare + value range CASE only', table: `${BARE}, CHECK (${RANGE}))` },
  { name: 'bare + the 3 foreign keys only', table: `${BARE}${FKS})` },
  { name: 'bare + unique natural key only', table: `${BARE})`, after: 'CREATE UNIQUE INDEX nk ON observations (patient_id, measure, date)' },
  { name: 'bare + episode index only', table: `${BARE})`, after: 'CREATE INDEX ep ON observations (episode_id)' },
  { name: 'bare, then the natural key built after the load', table: `${BARE})`, buildAfter: 'CREATE UNIQUE INDEX nk ON observations (patient_id, measure, date)' },
  { name: 'bare, then the episode index built after the load', table: `${BARE})`, buildAfter: 'CREATE INDEX ep ON observations (episode_id)' },
  { name: 'migrated schema, upsert (the store)', table: null, upsert: true },
  { name: 'migrated schema with the IN list of 0000, upsert', table: 'IN_LIST', upsert: true },
];

/** SQLite's own cost per observation row for each variant of the table. */
function schemaCosts(rows: number): void {
  const dir = join('.tmp', 'bench-import');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'schema-costs.db');
  const R = 256;
  const measures = ['pain_nrs', 'odi', 'pain_nrs', 'pain_nrs', 'odi', 'pain_nrs', 'odi', 'pain_nrs', 'mme', 'mme'];
  const offsets = [0, 1, 14, 42, 43, 91, 92, 182, 3, 91];
  const dates = Array.from({ length: 1200 }, (_, d) => iso(Date.UTC(2022, 0, 1) + d * DAY));
  const patients = Math.ceil(rows / 10) + R;
  console.log(`schema costs: ${rows.toLocaleString('en-US')} pre-built rows per variant, ${R} rows per statement, a commit per 50,000 (load average ${loadavg()[0]!.toFixed(1)})`);
  for (const v of VARIANTS) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    const db = createDb(path);
    migrateDb(db);
    const s = db.$client;
    s.exec("INSERT INTO imports (id, started_at, status, mode, source) VALUES (1, 'x', 'completed', 'partial', 'bench')");
    const addPatient = s.prepare("INSERT INTO patients (id, mrn, birth_date, sex) VALUES (?, ?, '1960-01-01', 'female')");
    s.transaction(() => {
      for (let i = 1; i <= patients; i++) addPatient.run(i, `P${i}`);
    })();
    if (v.table !== null) {
      const migrated = s.prepare("SELECT sql FROM sqlite_master WHERE name = 'observations'").pluck().get() as string;
      s.exec('DROP TABLE observations');
      const withInList = migrated.replace(/CHECK\(\("observations"\."measure" = [^)]*\)\)/, `CHECK (${IN_LIST})`);
      if (v.table === 'IN_LIST' && withInList === migrated) throw new Error('the measure check of the migrated table was not found');
      s.exec(v.table === 'IN_LIST' ? withInList : v.table);
      if (v.table === 'IN_LIST') {
        s.exec('CREATE UNIQUE INDEX nk ON observations (patient_id, measure, date)');
        s.exec('CREATE UNIQUE INDEX ku ON observations (key) WHERE key IS NOT NULL');
        s.exec('CREATE INDEX ep ON observations (episode_id)');
      }
      if (v.after) s.exec(v.after);
    }
    const one = `(${OBS_COLUMNS.map(() => '?').join(', ')})`;
    let sql = `INSERT INTO observations (${OBS_COLUMNS.join(', ')}) VALUES ${new Array(R).fill(one).join(', ')}`;
    if (v.upsert) {
      sql +=
        ' ON CONFLICT(patient_id, measure, date) DO UPDATE SET episode_id = excluded.episode_id, episode_by_date = excluded.episode_by_date,' +
        ' value = excluded.value, import_id = excluded.import_id WHERE observations.episode_id IS NOT excluded.episode_id' +
        ' OR observations.episode_by_date IS NOT excluded.episode_by_date OR observations.value IS NOT excluded.value';
    }
    const { seconds, cpuSeconds, n } = timedInserts(s, s.prepare(sql), rows, R, (p, k, params) => {
      params.push(null, p + 1, null, 1, dates[(p % 900) + offsets[k]!], measures[k], k, 1);
    });
    let built = '';
    if (v.buildAfter) {
      const b0 = process.cpuUsage();
      s.exec(v.buildAfter);
      const b = process.cpuUsage(b0);
      built = `; the index build afterwards ${((((b.user + b.system) / 1e6) / n) * 1e6).toFixed(2)} us CPU per row`;
    }
    console.log(
      `  ${v.name.padEnd(52)} ${Math.round(n / seconds).toLocaleString('en-US').padStart(10)} rows/s, ` +
        `${((cpuSeconds / n) * 1e6).toFixed(2)} us CPU per row${built}`,
    );
    s.close();
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  alternativeDesignCosts(rows, path);
}

/** Integer measure code (0-4) and day number instead of text: every check, foreign key and index of the migrated table, expressed on integers. */
const INT_CHECKS = `CHECK (measure BETWEEN 0 AND 4), CHECK (day BETWEEN -36500 AND 73000), CHECK (CASE measure WHEN 0 THEN value BETWEEN 0 AND 10
  WHEN 1 THEN value BETWEEN 0 AND 100 WHEN 2 THEN value BETWEEN 20 AND 80 WHEN 3 THEN value BETWEEN 20 AND 80 WHEN 4 THEN value >= 0 ELSE 0 END)`;
const INT_FKS = 'FOREIGN KEY (patient_id) REFERENCES patients(id), FOREIGN KEY (episode_id) REFERENCES episodes(id), FOREIGN KEY (import_id) REFERENCES imports(id)';
const INT_COLUMNS = `patient_id INTEGER NOT NULL, measure INTEGER NOT NULL, day INTEGER NOT NULL, value REAL NOT NULL, episode_id INTEGER,
  episode_by_date INTEGER NOT NULL DEFAULT 0, import_id INTEGER, key TEXT`;
const EPISODE_INDEX = 'CREATE INDEX ep ON observations (episode_id)';
const DESIGNS: Array<{ name: string; ddl: string[] }> = [
  {
    name: 'integers, rowid + natural key + episode index',
    ddl: [`CREATE TABLE observations (id INTEGER PRIMARY KEY, ${INT_COLUMNS}, ${INT_CHECKS}, ${INT_FKS})`, 'CREATE UNIQUE INDEX nk ON observations (patient_id, measure, day)', EPISODE_INDEX],
  },
  {
    name: 'integers, natural key clustered + episode index',
    ddl: [`CREATE TABLE observations (${INT_COLUMNS}, PRIMARY KEY (patient_id, measure, day), ${INT_CHECKS}, ${INT_FKS}) WITHOUT ROWID`, EPISODE_INDEX],
  },
  {
    name: 'integers, natural key clustered, no episode index',
    ddl: [`CREATE TABLE observations (${INT_COLUMNS}, PRIMARY KEY (patient_id, measure, day), ${INT_CHECKS}, ${INT_FKS}) WITHOUT ROWID`],
  },
];

/**
 * SQLite's cost per row for leaner designs of the observations table with the
 * same guarantees (each row's episode set, so its foreign key is checked as in
 * a real import). A single writer must stay under 1 us a row, commits included,
 * for 1,000,000 rows/s end to end even with parsing on the other core.
 */
function alternativeDesignCosts(rows: number, path: string): void {
  const R = 256;
  const offsets = [-3, -3, 14, 42, 42, 91, 91, 182, -3, 91];
  const codes = [0, 1, 0, 0, 1, 0, 1, 0, 4, 4];
  const patients = Math.ceil(rows / 10) + R;
  console.log('alternative designs with the same guarantees (measure and day as integers):');
  for (const design of DESIGNS) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    const db = createDb(path);
    const s = db.$client;
    s.exec('CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT NOT NULL UNIQUE); CREATE TABLE episodes (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL);');
    s.exec('CREATE TABLE imports (id INTEGER PRIMARY KEY); INSERT INTO imports VALUES (1);');
    for (const statement of design.ddl) s.exec(statement);
    const addPatient = s.prepare('INSERT INTO patients (id, mrn) VALUES (?, ?)');
    const addEpisode = s.prepare('INSERT INTO episodes (id, patient_id) VALUES (?, ?)');
    s.transaction(() => {
      for (let i = 1; i <= patients; i++) {
        addPatient.run(i, `P${i}`);
        addEpisode.run(i, i);
      }
    })();
    const columns = ['patient_id', 'measure', 'day', 'value', 'episode_id', 'episode_by_date', 'import_id'];
    const one = `(${columns.map(() => '?').join(', ')})`;
    const insert = s.prepare(`INSERT INTO observations (${columns.join(', ')}) VALUES ${new Array(R).fill(one).join(', ')}`);
    const { seconds, cpuSeconds, n } = timedInserts(s, insert, rows, R, (p, k, params) => {
      params.push(p + 1, codes[k]!, 19_000 + (p % 900) + offsets[k]!, k, p + 1, 1, 1);
    });
    console.log(
      `  ${design.name.padEnd(52)} ${Math.round(n / seconds).toLocaleString('en-US').padStart(10)} rows/s, ` +
        `${((cpuSeconds / n) * 1e6).toFixed(2)} us CPU per row`,
    );
    s.close();
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--schema-costs')) {
    schemaCosts(countFlag(args, 'rows', 2_000_000));
    return;
  }
  const rows = countFlag(args, 'rows', 10_000_000);
  const batchRows = countFlag(args, 'batch', 50_000);
  const mode: ImportMode = args.includes('--all-or-nothing') ? 'all_or_nothing' : 'partial';
  const withIds = args.includes('--with-ids');
  const dir = join('.tmp', 'bench-import', `${rows}${withIds ? '-ids' : ''}`);

  let t = performance.now();
  const files = generate(dir, rows, withIds);
  const mb = (statSync(files.patients).size + statSync(files.observations).size) / 1e6;
  console.log(`files: ${dir} (${mb.toFixed(0)} MB; generated or reused in ${((performance.now() - t) / 1000).toFixed(1)} s)`);

  const dbPath = join(dir, 'bench.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  const db = createDb(dbPath);
  migrateDb(db);

  const runs = args.includes('--reimport') ? 2 : 1;
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuSeconds();
    const { report, timings, outcomes } = await runImport(db, [{ path: files.observations }, { path: files.patients }], { mode, batchRows });
    const seconds = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const main1 = mainThreadCpuSeconds();
    const mainSeconds = main0 === null || main1 === null ? null : main1 - main0;
    const total = report.totals.rows;
    const obs = report.files.find((f) => f.table === 'observations')!;
    console.log(
      `${i === 0 ? 'import' : 're-import'} (${mode}, batches of ${batchRows.toLocaleString('en-US')}): ${report.status}, ` +
        `${total.toLocaleString('en-US')} rows (${obs.rows.toLocaleString('en-US')} observations) in ${seconds.toFixed(1)} s`,
    );
    console.log(`  end to end: ${Math.round(total / seconds).toLocaleString('en-US')} rows/s`);
    console.log(
      `  CPU: ${cpuSeconds.toFixed(1)} s (${Math.round(total / cpuSeconds).toLocaleString('en-US')} rows per CPU-second; ` +
        `wall-clock is slower when other processes share the 2 cores; load average now ${loadavg()[0]!.toFixed(1)})`,
    );
    if (mainSeconds !== null) {
      // The import runs on the main thread; the rest is V8's collector and the tsx loader. Unlike wall-clock, this does not depend on the load.
      console.log(
        `  main thread CPU ${mainSeconds.toFixed(1)} s (${Math.round(total / mainSeconds).toLocaleString('en-US')} rows per main-thread CPU-second), ` +
          `other threads ${(cpuSeconds - mainSeconds).toFixed(1)} s`,
      );
    }
    console.log(
      `  inserted ${report.totals.inserted.toLocaleString('en-US')}, updated ${report.totals.updated.toLocaleString('en-US')}, ` +
        `unchanged ${report.totals.unchanged.toLocaleString('en-US')}, rejected ${report.totals.rejected.toLocaleString('en-US')}, ` +
        `${report.batchesCommitted} batches`,
    );
    const parseMs = timings.totalMs - timings.writeMs - timings.inspectMs - timings.refreshMs;
    console.log(
      `  time: encoding check + headers ${(timings.inspectMs / 1000).toFixed(1)} s, read + parse + validate ${(parseMs / 1000).toFixed(1)} s, ` +
        `store writes + commits ${(timings.writeMs / 1000).toFixed(1)} s, outcome tables refresh ${(timings.refreshMs / 1000).toFixed(1)} s ` +
        `(${outcomes?.episodesDerived ?? 0} episodes)`,
    );
  }
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  console.log(`  database: ${(statSync(dbPath).size / 1e6).toFixed(0)} MB`);
  console.log(`  peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
