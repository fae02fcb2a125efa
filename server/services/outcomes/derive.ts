/**
 * Derives outcome_episodes and outcome_measures for a batch of episodes with
 * set-based SQL. The batch is the set of episode ids in temp.outcome_batch
 * (refresh.ts fills it from the queue); for each of them the derived rows are
 * deleted and, if the episode still exists, written again from the records.
 * An episode's derived rows depend only on its own records, its patient, and
 * the treatments of its patient's other episodes (prior and repeat
 * procedures): the triggers enqueue exactly those episodes.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { MEASURE_KEY_FACTOR } from '../../../db/schema/outcomes.ts';
import { FOLLOW_UP_WINDOW_NAMES, MEASURE_NAMES, type FollowUpWindow } from '../../../db/schema/vocabulary.ts';
import {
  CHRONIC_PAIN_MONTHS,
  DURABILITY_MEASURE,
  DURABILITY_RULE,
  INTERVENTIONAL_SQL,
  RESPONDER_FLAGS,
  RESPONDER_RULES,
  ageBandSql,
  changeSql,
  cptFamilySql,
  measureNumberSql,
  responderSql,
  ruleConditionSql,
  validateDefinitions,
  type OutcomeDefinitions,
} from './derive-rules.ts';

/** Columns repeated from outcome_episodes onto every outcome_measures row. */
const DIMENSION_COLUMNS = [
  'index_day',
  'index_month',
  'index_quarter',
  'index_year',
  'care_path',
  'category',
  'code',
  'cpt_family',
  'condition_group',
  'region',
  'provider_id',
  'site_id',
  'age_band',
  'sex',
] as const;

/**
 * Temporary tables of one connection. outcome_batch_obs holds the batch's
 * observations that fall in the baseline period (slot 0) or a follow-up
 * window (slot 1..5), in key order, so that every later step reads them by
 * key instead of sorting; outcome_batch_proc and _proc_day the
 * interventional procedures of the batch's patients.
 */
const SETUP = `
CREATE TEMP TABLE IF NOT EXISTS outcome_batch (
  episode_id INTEGER PRIMARY KEY,
  patient_id INTEGER,
  start_jd REAL
);
CREATE TEMP TABLE IF NOT EXISTS outcome_batch_obs (
  episode_id INTEGER NOT NULL,
  measure TEXT NOT NULL,
  slot INTEGER NOT NULL,
  day INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (episode_id, measure, slot, day)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS outcome_batch_pick (
  episode_id INTEGER NOT NULL,
  measure TEXT NOT NULL,
  slot INTEGER NOT NULL,
  day INTEGER NOT NULL,
  value REAL NOT NULL,
  rank INTEGER NOT NULL,
  PRIMARY KEY (episode_id, measure, slot)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS outcome_batch_proc (
  patient_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  episode_id INTEGER NOT NULL,
  region TEXT,
  PRIMARY KEY (patient_id, date, episode_id)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS outcome_batch_proc_day (
  patient_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  PRIMARY KEY (patient_id, date)
) WITHOUT ROWID;
`;
const TEMP_TABLES = ['outcome_batch_obs', 'outcome_batch_pick', 'outcome_batch_proc', 'outcome_batch_proc_day', 'outcome_batch'];

export type DerivationSql = {
  /** Creates the connection's temporary tables. */
  setup: string;
  /** Run in order inside one transaction, with the batch in temp.outcome_batch. */
  steps: { name: string; sql: string }[];
  /** Empties the temporary tables (the batch included). */
  cleanup: string;
  /** A hash of all of the above: derived rows made by other SQL are stale. */
  version: string;
};

export function derivationSql(defs: OutcomeDefinitions): DerivationSql {
  validateDefinitions(defs);
  const windows = FOLLOW_UP_WINDOW_NAMES.map((name, i) => ({ name, slot: i + 1, ...defs.windows[name] }));

  const slotOfDay = `CASE WHEN day BETWEEN ${-defs.baselineDays} AND 0 THEN 0 ${windows
    .map((w) => `WHEN day BETWEEN ${w.from} AND ${w.to} THEN ${w.slot}`)
    .join(' ')} END`;
  // Smallest rank wins: the baseline is the latest day; in a window the day
  // nearest the target, the earlier of two equally near (2|d-t| + (d > t)).
  const rankInSlot = `CASE slot WHEN 0 THEN -day ${windows
    .map((w) => `WHEN ${w.slot} THEN 2 * abs(day - ${w.target}) + (day > ${w.target})`)
    .join(' ')} END`;

  const collectObservations = `
WITH d AS MATERIALIZED (
  SELECT o.episode_id, o.measure, o.value, CAST(julianday(o.date) - b.start_jd AS INTEGER) AS day
  FROM temp.outcome_batch b
  CROSS JOIN observations o ON o.episode_id = b.episode_id AND o.patient_id = b.patient_id
)
INSERT INTO temp.outcome_batch_obs (episode_id, measure, slot, day, value)
SELECT episode_id, measure, ${slotOfDay} AS slot, day, value FROM d WHERE slot IS NOT NULL`;

  const deleteDerived = [
    `DELETE FROM outcome_measures WHERE id IN (
  SELECT m.n * ${MEASURE_KEY_FACTOR} + b.episode_id
  FROM temp.outcome_batch b CROSS JOIN (${MEASURE_NAMES.map((_, i) => `SELECT ${i + 1} AS n`).join(' UNION ALL ')}) m)`,
    `DELETE FROM outcome_episodes WHERE episode_id IN (SELECT episode_id FROM temp.outcome_batch)`,
  ];

  const startYear = `CAST(substr(pr.start_date, 1, 4) AS INTEGER)`;
  const startMonth = `CAST(substr(pr.start_date, 6, 2) AS INTEGER)`;
  const interventional = (col: string) => `${col} IN ${INTERVENTIONAL_SQL}`;
  const daysFromIndex = (date: string) => `CAST(julianday(${date}) - julianday(pr.start_date) AS INTEGER)`;

  // The interventional procedures of the batch's patients, all their
  // episodes: one row per patient, day and episode (sessions), and one per
  // patient and day (prior procedures).
  const collectProcedures = `
INSERT OR IGNORE INTO temp.outcome_batch_proc (patient_id, date, episode_id, region)
SELECT e.patient_id, t.date, e.id, e.region
FROM (SELECT DISTINCT patient_id FROM temp.outcome_batch WHERE patient_id IS NOT NULL) bp
CROSS JOIN episodes e ON e.patient_id = bp.patient_id
CROSS JOIN treatments t ON t.episode_id = e.id
WHERE ${interventional('t.category')}`;
  const collectProcedureDays = `
INSERT OR IGNORE INTO temp.outcome_batch_proc_day (patient_id, date)
SELECT patient_id, date FROM temp.outcome_batch_proc`;

  const insertEpisodes = `
WITH tb AS MATERIALIZED (
  SELECT t.episode_id, t.id, t.category, t.complication,
    row_number() OVER (PARTITION BY t.episode_id
      ORDER BY CASE WHEN e.care_path = 'interventional' AND ${interventional('t.category')} THEN 0 ELSE 1 END,
        t.date, t.code IS NULL, t.code, t.id) AS rn
  FROM temp.outcome_batch b
  CROSS JOIN episodes e ON e.id = b.episode_id
  CROSS JOIN treatments t ON t.episode_id = b.episode_id
),
ta AS MATERIALIZED (
  SELECT episode_id, count(*) AS treatments,
    sum(${interventional('category')}) AS procedures,
    sum(complication = 'minor') AS minor,
    sum(complication = 'major') AS major,
    max(CASE WHEN rn = 1 THEN id END) AS primary_id
  FROM tb GROUP BY episode_id
),
pr AS MATERIALIZED (
  SELECT e.id, e.patient_id, e.start_date, e.care_path, e.condition_code, e.condition_group, e.region,
    e.provider_id, e.site_id, e.pain_duration_months, p.sex,
    CAST(substr(e.start_date, 1, 4) AS INTEGER) - CAST(substr(p.birth_date, 1, 4) AS INTEGER)
      - (substr(e.start_date, 6) < substr(p.birth_date, 6)) AS age,
    pt.category, pt.code, pt.date AS primary_date,
    CASE WHEN ${interventional('pt.category')} AND pt.date > e.start_date THEN pt.date ELSE e.start_date END AS repeat_after,
    ta.treatments, ta.procedures, ta.minor, ta.major
  FROM temp.outcome_batch b
  CROSS JOIN episodes e ON e.id = b.episode_id
  CROSS JOIN patients p ON p.id = e.patient_id
  LEFT JOIN ta ON ta.episode_id = e.id
  LEFT JOIN treatments pt ON pt.id = ta.primary_id
)
INSERT INTO outcome_episodes (
  episode_id, patient_id, index_date, ${DIMENSION_COLUMNS.join(', ')},
  condition_code, age, pain_duration_months, chronic, primary_day, prior_procedures,
  treatments, procedures, procedure_sessions, repeat_day, complications_minor, complications_major, last_follow_up_day
)
SELECT pr.id, pr.patient_id, pr.start_date,
  CAST(julianday(pr.start_date) - 2440587.5 AS INTEGER),
  ${startYear} * 100 + ${startMonth},
  ${startYear} * 10 + (${startMonth} + 2) / 3,
  ${startYear},
  pr.care_path, pr.category, pr.code, ${cptFamilySql('pr.code')}, pr.condition_group, pr.region,
  pr.provider_id, pr.site_id, ${ageBandSql('pr.age')}, pr.sex,
  pr.condition_code, pr.age, pr.pain_duration_months,
  CASE WHEN pr.pain_duration_months IS NULL THEN NULL WHEN pr.pain_duration_months > ${CHRONIC_PAIN_MONTHS} THEN 1 ELSE 0 END,
  ${daysFromIndex('pr.primary_date')},
  (SELECT count(*) FROM temp.outcome_batch_proc_day d WHERE d.patient_id = pr.patient_id AND d.date < pr.start_date),
  coalesce(pr.treatments, 0), coalesce(pr.procedures, 0),
  (SELECT count(*) FROM temp.outcome_batch_proc x WHERE x.patient_id = pr.patient_id AND x.episode_id = pr.id),
  ${daysFromIndex(`(SELECT min(x.date) FROM temp.outcome_batch_proc x
    WHERE x.patient_id = pr.patient_id AND x.date > pr.repeat_after AND (x.episode_id = pr.id OR x.region = pr.region))`)},
  coalesce(pr.minor, 0), coalesce(pr.major, 0),
  (SELECT max(o.day) FROM temp.outcome_batch_obs o WHERE o.episode_id = pr.id AND o.slot >= 1)
FROM pr`;

  const pickObservations = `
INSERT INTO temp.outcome_batch_pick (episode_id, measure, slot, day, value, rank)
SELECT episode_id, measure, slot, day, value, min(${rankInSlot})
FROM temp.outcome_batch_obs
GROUP BY episode_id, measure, slot`;
  // SQLite takes the bare columns day and value from the row holding the
  // min(): https://sqlite.org/lang_select.html#bareagg. Ranks are unique
  // within a slot because an episode has one observation per measure and day.

  const v = (w: { slot: number }) => `v${w.slot}`;
  const c = (w: { slot: number }) => `c${w.slot}`;
  const flagSql = (flag: (typeof RESPONDER_FLAGS)[number], w: { slot: number }) => {
    const whens = MEASURE_NAMES.flatMap((m) => {
      const rule = RESPONDER_RULES[m][flag];
      return rule ? [`WHEN '${m}' THEN ${responderSql(rule, { b: 'x.b', v: `x.${v(w)}`, c: `x.${c(w)}` })}`] : [];
    });
    return whens.length ? `CASE x.measure ${whens.join(' ')} END` : 'NULL';
  };
  const followUpsOf = (x: string) => `temp.outcome_batch_obs o WHERE o.episode_id = ${x}.episode_id AND o.measure = ${x}.measure AND o.slot >= 1`;
  const durable = (value: string, base: string) =>
    ruleConditionSql(DURABILITY_RULE, base, value, changeSql(`'${DURABILITY_MEASURE}'`, base, value));
  const windowColumns = (w: FollowUpWindow) => [`${w}_value`, `${w}_day`, `${w}_change`, ...RESPONDER_FLAGS.map((f) => `${w}_${f}`)];

  const insertMeasures = `
WITH s AS MATERIALIZED (
  SELECT episode_id, measure,
    max(CASE WHEN slot = 0 THEN value END) AS b, max(CASE WHEN slot = 0 THEN day END) AS bd,
    ${windows.map((w) => `max(CASE WHEN slot = ${w.slot} THEN value END) AS ${v(w)}, max(CASE WHEN slot = ${w.slot} THEN day END) AS d${w.slot}`).join(',\n    ')}
  FROM temp.outcome_batch_pick
  GROUP BY episode_id, measure
),
x AS MATERIALIZED (
  SELECT s.*,
    ${windows.map((w) => `${changeSql('s.measure', 's.b', `s.${v(w)}`)} AS ${c(w)}`).join(',\n    ')},
    (SELECT max(o.day) FROM ${followUpsOf('s')}) AS last_day,
    CASE WHEN s.measure = '${DURABILITY_MEASURE}' AND s.b > 0
      THEN (SELECT min(o.day) FROM ${followUpsOf('s')} AND ${durable('o.value', 's.b')}) END AS response_day
  FROM s
)
INSERT INTO outcome_measures (
  id, measure, episode_id, ${DIMENSION_COLUMNS.join(', ')}, baseline_value, baseline_day,
  ${FOLLOW_UP_WINDOW_NAMES.map((w) => windowColumns(w).join(', ')).join(',\n  ')},
  response_day, loss_day, last_follow_up_day
)
SELECT ${measureNumberSql('x.measure')} * ${MEASURE_KEY_FACTOR} + x.episode_id, x.measure, x.episode_id,
  ${DIMENSION_COLUMNS.map((d) => `oe.${d}`).join(', ')}, x.b, x.bd,
  ${windows.map((w) => [`x.${v(w)}`, `x.d${w.slot}`, `x.${c(w)}`, ...RESPONDER_FLAGS.map((f) => flagSql(f, w))].join(', ')).join(',\n  ')},
  x.response_day,
  CASE WHEN x.response_day IS NOT NULL
    THEN (SELECT min(o.day) FROM ${followUpsOf('x')} AND o.day > x.response_day AND NOT (${durable('o.value', 'x.b')})) END,
  x.last_day
FROM x JOIN outcome_episodes oe ON oe.episode_id = x.episode_id`;

  const steps = [
    { name: 'delete', sql: deleteDerived[0]! },
    { name: 'delete episodes', sql: deleteDerived[1]! },
    { name: 'collect observations', sql: collectObservations },
    { name: 'collect procedures', sql: collectProcedures },
    { name: 'collect procedure days', sql: collectProcedureDays },
    { name: 'episodes', sql: insertEpisodes },
    { name: 'pick observations', sql: pickObservations },
    { name: 'measures', sql: insertMeasures },
  ];
  const cleanup = TEMP_TABLES.map((t) => `DELETE FROM temp.${t};`).join(' ');
  const version = createHash('sha256')
    .update([SETUP, ...steps.map((s) => s.sql), cleanup].join('\n;\n'))
    .digest('hex')
    .slice(0, 16);
  return { setup: SETUP, steps, cleanup, version };
}

/** The prepared derivation for one connection and one set of definitions. */
export class Deriver {
  readonly version: string;
  private readonly steps: { name: string; stmt: Database.Statement }[];
  private readonly cleanupSql: string;

  constructor(
    private readonly sqlite: Database.Database,
    readonly definitions: OutcomeDefinitions,
  ) {
    const d = derivationSql(definitions);
    sqlite.exec(d.setup);
    this.version = d.version;
    this.steps = d.steps.map((s) => ({ name: s.name, stmt: sqlite.prepare(s.sql) }));
    this.cleanupSql = d.cleanup;
  }

  /**
   * Re-derives the episodes in temp.outcome_batch. Call inside the caller's
   * transaction, then cleanup(). Returns the rows written.
   */
  deriveBatch(): { episodes: number; measures: number } {
    let episodes = 0;
    let measures = 0;
    for (const s of this.steps) {
      const changes = s.stmt.run().changes;
      if (s.name === 'episodes') episodes = changes;
      if (s.name === 'measures') measures = changes;
    }
    return { episodes, measures };
  }

  /** Empties the temporary tables, the batch included. */
  cleanup(): void {
    this.sqlite.exec(this.cleanupSql);
  }
}
