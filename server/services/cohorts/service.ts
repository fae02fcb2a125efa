/**
 * The cohort builder's work behind the router: the attrition funnel of a
 * definition (masked for the caller), saved cohorts (named, described,
 * revised, re-runnable against a recorded data state), and their
 * characterisation. See docs/decisions/011-cohorts-and-export.md.
 */
import type { Db } from '../../../db/index.ts';
import type { Analytics } from '../analytics/runtime.ts';
import type { Privacy } from '../../auth/privacy.ts';
import { isShown, type Count } from '../../auth/suppression.ts';
import type { ContextInner } from '../../context.ts';
import { DomainError, notFound } from '../../errors.ts';
import { outcomesPending } from '../outcomes/refresh.ts';
import type { OutcomeSummary, TableOne } from './characterise.ts';
import { currentDataState, type DataState } from './data.ts';
import { parseCohortDefinition, type CohortDefinition } from './definition.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { FunnelStep } from './funnel.ts';
import type { Members } from './tasks.ts';
import type { Denominator, OutcomeMeasure, ResponderDefinition } from '../outcomes/query.ts';
import type { FollowUpWindow } from '../../../db/schema/vocabulary.ts';

export type CohortCtx = Pick<ContextInner, 'db' | 'user' | 'ip' | 'now' | 'secrets'> & { privacy: Privacy; analytics: Analytics };

/** A funnel count as published: the number, or why it is withheld. */
export type FunnelView = {
  start: { episodes: Count; patients: Count };
  steps: Array<{ episodes: Count; patients: Count; removed: Count }>;
  final: { episodes: Count; patients: Count };
  dataState: DataState;
  /** The derived tables are still catching up with the records. */
  updating: boolean;
};

/**
 * Masks a non-increasing sequence of counts for roles with small-cell
 * suppression: a count is shown when it is 0 or at least the threshold and it
 * differs from every count shown before it by 0 or at least the threshold
 * (checking the last shown one suffices: the sequence only decreases). So no
 * count and no difference a reader can take between two shown counts is 1 to
 * threshold − 1.
 */
export function maskSequence(counts: readonly number[], privacy: Pick<Privacy, 'suppress' | 'threshold'>): Count[] {
  if (!privacy.suppress) return [...counts];
  const t = privacy.threshold;
  const ok = (v: number) => v === 0 || v >= t;
  let last: number | null = null;
  return counts.map((v) => {
    if (ok(v) && (last === null || ok(last - v))) {
      last = v;
      return v;
    }
    return v >= 1 && v < t ? { suppressed: 'small', display: `<${t}` } : { suppressed: 'complementary', display: '—' };
  });
}

export function funnelView(f: { start: FunnelStep; steps: FunnelStep[] }, privacy: Privacy, dataState: DataState, updating: boolean): FunnelView {
  const e = maskSequence([f.start.episodes, ...f.steps.map((s) => s.episodes)], privacy);
  const p = maskSequence([f.start.patients, ...f.steps.map((s) => s.patients)], privacy);
  const steps = f.steps.map((_, k) => {
    const before = e[k]!;
    const after = e[k + 1]!;
    const removed: Count = isShown(before) && isShown(after) ? before - after : { suppressed: 'complementary', display: '—' };
    return { episodes: after, patients: p[k + 1]!, removed };
  });
  return {
    start: { episodes: e[0]!, patients: p[0]! },
    steps,
    final: { episodes: e[e.length - 1]!, patients: p[p.length - 1]! },
    dataState,
    updating,
  };
}

/** The cohort's episode set: a hash of its sorted episode ids (what "the same result" means). */
export const fingerprint = fingerprintOf;

/** The state of the data a run saw: the store's change-log position, with the import and derivation of the database. */
function stateOf(db: Db, version: number, episodes: number): DataState {
  return { ...currentDataState(db), outcomeSeq: version, episodes };
}

export type CohortRun = Members & { dataState: DataState };

/** Runs a definition on the analytic store: its funnel and members, and the data state they come from. */
export async function runCohort(ctx: Pick<CohortCtx, 'db' | 'analytics'>, def: CohortDefinition): Promise<CohortRun> {
  const { version, results } = await ctx.analytics.runTasks([['cohorts.members', { criteria: def.criteria }]] as const);
  const m = results[0];
  return { ...m, dataState: stateOf(ctx.db, version, m.start.episodes) };
}

export async function previewFunnel(ctx: CohortCtx, def: CohortDefinition): Promise<FunnelView> {
  const { version, results } = await ctx.analytics.runTasks([['cohorts.funnel', { criteria: def.criteria }]] as const);
  const f = results[0];
  return funnelView(f, ctx.privacy, stateOf(ctx.db, version, f.episodes), !outcomesPending(ctx.db).consistent);
}

// ---- saved cohorts ------------------------------------------------------------------

export type LastRun = { dataState: DataState; episodes: number; patients: number; fingerprint: string; at: string };

type CohortRow = {
  id: number;
  name: string;
  description: string;
  definition: string;
  revision: number;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  last_run: string | null;
  owner: string | null;
};

export type SavedCohort = {
  id: number;
  name: string;
  description: string;
  definition: CohortDefinition;
  revision: number;
  owner: string | null;
  mine: boolean;
  createdAt: string;
  updatedAt: string;
  lastRun: { dataState: DataState; episodes: Count; patients: Count; at: string } | null;
};

const SELECT = `SELECT c.*, u.username AS owner FROM cohorts c LEFT JOIN users u ON u.id = c.created_by`;

function toSaved(ctx: CohortCtx, r: CohortRow): SavedCohort {
  const last = r.last_run ? (JSON.parse(r.last_run) as LastRun) : null;
  const masked = last ? ctx.privacy.independent({ episodes: last.episodes, patients: last.patients }) : null;
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    definition: parseCohortDefinition(JSON.parse(r.definition)),
    revision: r.revision,
    owner: r.owner,
    mine: r.created_by === ctx.user?.id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastRun: last && masked ? { dataState: last.dataState, episodes: masked.episodes, patients: masked.patients, at: last.at } : null,
  };
}

function rowOf(ctx: CohortCtx, id: number): CohortRow {
  const r = ctx.db.$client.prepare(`${SELECT} WHERE c.id = ?`).get(id) as CohortRow | undefined;
  if (!r) throw notFound('Cohort');
  return r;
}

/** Saved cohorts are shared within the practice: everyone who may build cohorts sees them (shared by link). */
export function listCohorts(ctx: CohortCtx): SavedCohort[] {
  const rows = ctx.db.$client.prepare(`${SELECT} ORDER BY c.updated_at DESC, c.id DESC LIMIT 500`).all() as CohortRow[];
  return rows.map((r) => toSaved(ctx, r));
}

export function getCohort(ctx: CohortCtx, id: number): SavedCohort {
  return toSaved(ctx, rowOf(ctx, id));
}

function lastRunOf(run: CohortRun, now: number): LastRun {
  const final = run.steps.at(-1) ?? run.start;
  return { dataState: run.dataState, episodes: final.episodes, patients: final.patients, fingerprint: run.fingerprint, at: new Date(now).toISOString() };
}

/** Saves a new cohort, or a new revision of one (its owner or an admin only). */
export async function saveCohort(ctx: CohortCtx, input: { id?: number; name: string; description: string; definition: CohortDefinition }): Promise<SavedCohort> {
  const sqlite = ctx.db.$client;
  if (input.id !== undefined) {
    const existing = rowOf(ctx, input.id);
    if (existing.created_by !== ctx.user?.id && ctx.user?.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only the cohort’s author or an administrator can change it. Save it as a new cohort instead.');
  }
  const run = await runCohort(ctx, input.definition);
  const at = new Date(ctx.now()).toISOString();
  const last = JSON.stringify(lastRunOf(run, ctx.now()));
  const doc = JSON.stringify(input.definition);
  let id: number;
  if (input.id === undefined) {
    id = Number(
      sqlite
        .prepare(`INSERT INTO cohorts (name, description, definition, created_by, created_at, updated_at, last_run) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(input.name, input.description, doc, ctx.user?.id ?? null, at, at, last).lastInsertRowid,
    );
  } else {
    sqlite
      .prepare(`UPDATE cohorts SET name = ?, description = ?, definition = ?, revision = revision + 1, updated_at = ?, last_run = ? WHERE id = ?`)
      .run(input.name, input.description, doc, at, last, input.id);
    id = input.id;
  }
  return getCohort(ctx, id);
}

export function deleteCohort(ctx: CohortCtx, id: number): { deleted: number } {
  const existing = rowOf(ctx, id);
  if (existing.created_by !== ctx.user?.id && ctx.user?.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only the cohort’s author or an administrator can delete it.');
  ctx.db.$client.prepare('DELETE FROM cohorts WHERE id = ?').run(id);
  return { deleted: id };
}

export type Rerun = {
  cohort: SavedCohort;
  funnel: FunnelView;
  /** The data state equals the one recorded at the last run. */
  sameData: boolean;
  /** The same episodes as the last run (by fingerprint). */
  sameResult: boolean;
  /** Imports stored since the last run (ids), when the data changed. */
  importsSince: number[];
};

/** Runs a saved cohort again and says whether the data and the result are what they were at its last run. */
export async function rerunCohort(ctx: CohortCtx, id: number): Promise<Rerun> {
  const cohort = rowOf(ctx, id);
  const def = parseCohortDefinition(JSON.parse(cohort.definition));
  const run = await runCohort(ctx, def);
  const last = cohort.last_run ? (JSON.parse(cohort.last_run) as LastRun) : null;
  const s = run.dataState;
  const sameData =
    last !== null &&
    last.dataState.outcomeSeq === s.outcomeSeq &&
    last.dataState.lastImportId === s.lastImportId &&
    last.dataState.derivation === s.derivation &&
    last.dataState.episodes === s.episodes;
  const importsSince = last
    ? (ctx.db.$client.prepare('SELECT id FROM imports WHERE id > ? ORDER BY id LIMIT 100').pluck().all(last.dataState.lastImportId ?? 0) as number[])
    : [];
  return {
    cohort: toSaved(ctx, cohort),
    funnel: funnelView(run, ctx.privacy, s, !outcomesPending(ctx.db).consistent),
    sameData,
    sameResult: last !== null && last.fingerprint === run.fingerprint,
    importsSince,
  };
}

// ---- characterisation -----------------------------------------------------------------

export type OutcomeQuery = { measure: OutcomeMeasure; window: FollowUpWindow; definition: ResponderDefinition; denominator: Denominator };

export type Characterisation = { table: TableOne; outcomes: OutcomeSummary; dataState: DataState };

const privacyInput = (ctx: CohortCtx) => ({ suppress: ctx.privacy.suppress, threshold: ctx.privacy.threshold });

/** Table 1 of the cohort by care path, and its outcome figures by care path. */
export async function characteriseCohort(ctx: CohortCtx, def: CohortDefinition, q: OutcomeQuery): Promise<Characterisation> {
  const { version, results } = await ctx.analytics.runTasks([
    ['cohorts.characterise', { criteria: def.criteria, outcome: q, privacy: privacyInput(ctx) }],
    ['cohorts.funnel', { criteria: [] }],
  ] as const);
  return { table: results[0].table, outcomes: results[0].outcomes, dataState: stateOf(ctx.db, version, results[1].episodes) };
}

/** Two saved cohorts side by side: Table 1 (SMD of the first against the second) and both outcome summaries. */
export async function compareCohorts(ctx: CohortCtx, ids: [number, number], q: OutcomeQuery): Promise<Characterisation & { cohorts: [SavedCohort, SavedCohort]; overlap: Count }> {
  const saved = ids.map((id) => getCohort(ctx, id)) as [SavedCohort, SavedCohort];
  const side = (c: SavedCohort) => ({ key: `cohort:${c.id}`, label: c.name, criteria: c.definition.criteria });
  const { version, results } = await ctx.analytics.runTasks([
    ['cohorts.compare', { a: side(saved[0]), b: side(saved[1]), outcome: q, privacy: privacyInput(ctx) }],
    ['cohorts.funnel', { criteria: [] }],
  ] as const);
  const r = results[0];
  return {
    cohorts: saved,
    overlap: ctx.privacy.independent({ overlap: r.overlap }).overlap,
    table: r.table,
    outcomes: r.outcomes,
    dataState: stateOf(ctx.db, version, results[1].episodes),
  };
}
