/**
 * Patient-level outcome data: the patients of a group on the Outcomes page and
 * one episode's timeline. Physicians see the episodes where they are the
 * provider, administrators all, nobody else anything (server/auth/scope.ts);
 * every read is audited.
 */
import type { Db } from '../../../db/index.ts';
import { measureKey } from '../../../db/schema/outcomes.ts';
import { FOLLOW_UP_WINDOW_NAMES, MEASURE_NAMES, type FollowUpWindow, type Measure } from '../../../db/schema/vocabulary.ts';
import { assertEpisodeInScope, auditPatientRead, scopeSql } from '../../auth/scope.ts';
import type { ContextInner } from '../../context.ts';
import { daysToIso } from '../../domain/dates.ts';
import { notFound } from '../../errors.ts';
import { GROUPING_COLUMN, dayOf, whereOf, type Grouping, type OutcomeFilters } from './filters.ts';
import { categoryLabel, conditionLabel } from './labels.ts';
import { currentDefinitions, definitionApplies, type OutcomeMeasure, type ResponderDefinition } from './query.ts';

type PatientContext = Pick<ContextInner, 'db' | 'user' | 'ip' | 'now' | 'secrets'>;

/** The stored value of a group's API key (filters.ts groupKeyOf, inverted); undefined when it cannot be one. */
export function rawKeyOf(grouping: Grouping, key: string | null): string | number | null | undefined {
  if (key === null) return null;
  switch (grouping) {
    case 'month': {
      const m = /^(\d{4})-(\d{2})$/.exec(key);
      return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
    }
    case 'quarter': {
      const m = /^(\d{4})-Q([1-4])$/.exec(key);
      return m ? Number(m[1]) * 10 + Number(m[2]) : undefined;
    }
    case 'year':
    case 'provider':
    case 'site':
      return /^\d{1,10}$/.test(key) ? Number(key) : undefined;
    default:
      return key;
  }
}

export type PatientListQuery = {
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  definition: ResponderDefinition;
  filters: OutcomeFilters;
  /** The selected group (e.g. a category of the table); absent: every matching episode. */
  group?: { by: Grouping; key: string | null };
  limit: number;
  /** Keyset paging: the last row of the previous page. */
  after?: { indexDate: string; episodeId: number };
};

export type PatientRow = {
  episodeId: number;
  patientId: number;
  mrn: string;
  age: number;
  sex: string;
  indexDate: string;
  carePath: string;
  category: string;
  code: string | null;
  condition: string;
  provider: string;
  baseline: number | null;
  followUp: number | null;
  followUpDay: number | null;
  /** Whether the window had closed by today: a missing follow-up of an episode whose window is still open is not yet due. */
  followUpDue: boolean;
  change: number | null;
  /** By the definition; null without a baseline or a follow-up, or when it does not apply to the measure. */
  responder: boolean | null;
};

export type PatientList = { rows: PatientRow[]; next: { indexDate: string; episodeId: number } | null };

/** Episodes of the selection within the caller's scope, newest index date first. */
export function patientList(ctx: PatientContext, q: PatientListQuery): PatientList {
  const scope = scopeSql(ctx, 'e.provider_id');
  const w = whereOf(q.filters, 'oe');
  const where = [scope.where, w.sql];
  const params: Array<string | number> = [...scope.params, ...w.params];
  if (q.group) {
    const raw = rawKeyOf(q.group.by, q.group.key);
    if (raw === undefined) return { rows: [], next: null };
    where.push(raw === null ? `oe.${GROUPING_COLUMN[q.group.by]} IS NULL` : `oe.${GROUPING_COLUMN[q.group.by]} = ?`);
    if (raw !== null) params.push(raw);
  }
  // The same date bounds on episodes.start_date let SQLite walk its index in date order.
  if (q.filters.from) (where.push('e.start_date >= ?'), params.push(q.filters.from));
  if (q.filters.to) (where.push('e.start_date <= ?'), params.push(q.filters.to));
  if (q.after) {
    dayOf(q.after.indexDate);
    where.push('(e.start_date < ? OR (e.start_date = ? AND e.id < ?))');
    params.push(q.after.indexDate, q.after.indexDate, q.after.episodeId);
  }
  const x = q.window;
  const flag = definitionApplies(q.measure, q.definition) ? `m.${x}_${q.definition}` : 'NULL';
  const sql = `SELECT e.id AS episodeId, e.patient_id AS patientId, p.mrn, oe.age, oe.sex, e.start_date AS indexDate,
      oe.care_path AS carePath, oe.category, oe.code, oe.condition_group AS condition, pr.name AS provider,
      m.baseline_value AS baseline, m.${x}_value AS followUp, m.${x}_day AS followUpDay, oe.index_day + ? <= ? AS followUpDue,
      m.${x}_change AS change, ${flag} AS responder
    FROM episodes e
    JOIN outcome_episodes oe ON oe.episode_id = e.id
    JOIN patients p ON p.id = e.patient_id
    JOIN providers pr ON pr.id = e.provider_id
    LEFT JOIN outcome_measures m ON m.id = ? + e.id
    WHERE ${where.join(' AND ')}
    ORDER BY e.start_date DESC, e.id DESC
    LIMIT ?`;
  const today = Math.floor(ctx.now() / 86_400_000);
  const windowEnd = currentDefinitions(ctx.db).windows[x].to;
  const rows = ctx.db.$client.prepare(sql).all(windowEnd, today, measureKey(q.measure, 0), ...params, q.limit + 1) as Array<
    Omit<PatientRow, 'responder' | 'category' | 'condition' | 'followUpDue'> & {
      responder: number | null;
      category: string | null;
      condition: string;
      followUpDue: number;
    }
  >;
  const page = rows.slice(0, q.limit).map((r) => ({
    ...r,
    category: categoryLabel(r.category),
    condition: conditionLabel(r.condition),
    responder: r.responder === null ? null : r.responder === 1,
    followUpDue: r.followUpDue === 1,
  }));
  auditPatientRead(ctx, 'outcomes.patients', [...new Set(page.map((r) => r.patientId))]);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > q.limit && last ? { indexDate: last.indexDate, episodeId: last.episodeId } : null };
}

// ---- one episode's timeline ----------------------------------------------------------

export type TimelineObservation = {
  date: string;
  /** Days from the index date. */
  day: number;
  measure: Measure;
  value: number;
  /** Whether this observation is the episode's baseline or the one counted in a window. */
  counted: 'baseline' | FollowUpWindow | null;
};

export type Timeline = {
  episode: {
    episodeId: number;
    patientId: number;
    mrn: string;
    age: number | null;
    sex: string | null;
    indexDate: string;
    carePath: string;
    category: string;
    code: string | null;
    conditionCode: string;
    condition: string;
    region: string | null;
    provider: string;
    site: string;
    painDurationMonths: number | null;
  };
  treatments: Array<{ date: string; day: number; category: string; code: string | null; laterality: string | null; complication: string | null }>;
  observations: TimelineObservation[];
  /** The windows the episode's figures use, in days from the index date. */
  windows: Array<{ window: FollowUpWindow; target: number; from: number; to: number }>;
  baselineDays: number;
};

/**
 * One episode's scores (those recorded for the episode, from the baseline period to the end of the last window: what its figures
 * are computed from) and treatments. NOT_FOUND outside the caller's scope.
 */
export function patientTimeline(ctx: PatientContext, episodeId: number): Timeline {
  assertEpisodeInScope(ctx, episodeId);
  const db: Db = ctx.db;
  const episode = db.$client
    .prepare(
      `SELECT e.id AS episodeId, e.patient_id AS patientId, p.mrn, oe.age, oe.sex, e.start_date AS indexDate, e.care_path AS carePath,
         oe.category, oe.code, e.condition_code AS conditionCode, e.condition_group AS condition, e.region, pr.name AS provider,
         s.name AS site, e.pain_duration_months AS painDurationMonths, oe.index_day AS indexDay
       FROM episodes e
       JOIN patients p ON p.id = e.patient_id
       JOIN providers pr ON pr.id = e.provider_id
       JOIN sites s ON s.id = e.site_id
       LEFT JOIN outcome_episodes oe ON oe.episode_id = e.id
       WHERE e.id = ?`,
    )
    .get(episodeId) as (Timeline['episode'] & { indexDay: number | null; category: string | null }) | undefined;
  if (!episode) throw notFound('Episode');
  const defs = currentDefinitions(db);
  const index = dayOf(episode.indexDate);
  const lastDay = Math.max(...FOLLOW_UP_WINDOW_NAMES.map((w) => defs.windows[w].to));
  const treatments = (
    db.$client
      .prepare('SELECT date, category, code, laterality, complication FROM treatments WHERE episode_id = ? ORDER BY date, id')
      .all(episodeId) as Array<{ date: string; category: string; code: string | null; laterality: string | null; complication: string | null }>
  ).map((t) => ({ ...t, day: dayOf(t.date) - index, category: categoryLabel(t.category) }));

  // Which observation each derived figure used: the baseline day and the day counted in each window.
  const picks = new Map<string, 'baseline' | FollowUpWindow>();
  const derived = db.$client
    .prepare(`SELECT measure, baseline_day, ${FOLLOW_UP_WINDOW_NAMES.map((w) => `${w}_day`).join(', ')} FROM outcome_measures WHERE id IN (${MEASURE_NAMES.map(() => '?').join(', ')})`)
    .raw()
    .all(...MEASURE_NAMES.map((m) => measureKey(m, episodeId))) as Array<[Measure, ...Array<number | null>]>;
  for (const [measure, baselineDay, ...windowDays] of derived) {
    if (baselineDay !== null) picks.set(`${measure}|${baselineDay}`, 'baseline');
    windowDays.forEach((d, i) => d !== null && picks.set(`${measure}|${d}`, FOLLOW_UP_WINDOW_NAMES[i]!));
  }
  const observations = (
    db.$client
      .prepare(
        `SELECT date, measure, value FROM observations
         WHERE patient_id = ? AND date BETWEEN ? AND ? AND episode_id = ?
         ORDER BY date, measure`,
      )
      .all(episode.patientId, daysToIso(index - defs.baselineDays), daysToIso(index + lastDay), episodeId) as Array<{ date: string; measure: Measure; value: number }>
  ).map((o) => {
    const day = dayOf(o.date) - index;
    return { ...o, day, counted: picks.get(`${o.measure}|${day}`) ?? null };
  });
  auditPatientRead(ctx, 'outcomes.patientTimeline', [episode.patientId]);
  const { indexDay: _d, ...rest } = episode;
  return {
    episode: { ...rest, category: categoryLabel(episode.category), condition: conditionLabel(episode.condition) },
    treatments,
    observations,
    windows: FOLLOW_UP_WINDOW_NAMES.map((w) => ({ window: w, ...defs.windows[w] })),
    baselineDays: defs.baselineDays,
  };
}
