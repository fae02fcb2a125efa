/**
 * The cohort builder's work behind the router: the attrition funnel of a
 * definition (masked for the caller), saved cohorts (named, described,
 * revised, re-runnable against a recorded data state), and their
 * characterisation. See docs/decisions/011-cohorts-and-export.md.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../../db/index.ts';
import type { Privacy } from '../../auth/privacy.ts';
import { isShown, type Count } from '../../auth/suppression.ts';
import type { ContextInner } from '../../context.ts';
import { DomainError, notFound } from '../../errors.ts';
import { outcomesPending } from '../outcomes/refresh.ts';
import { carePathGroups, outcomeSummary, tableOne, type Group, type OutcomeSummary, type TableOne } from './characterise.ts';
import { cohortData, measureDetail, type CohortData, type DataState } from './data.ts';
import { parseCohortDefinition, type CohortDefinition } from './definition.ts';
import { memberIds, runFunnel, type Funnel } from './funnel.ts';
import type { Denominator, OutcomeMeasure, ResponderDefinition } from '../outcomes/query.ts';
import type { FollowUpWindow } from '../../../db/schema/vocabulary.ts';

export type CohortCtx = Pick<ContextInner, 'db' | 'user' | 'ip' | 'now' | 'secrets'> & { privacy: Privacy };

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

export function funnelView(f: Funnel, privacy: Privacy, dataState: DataState, updating: boolean): FunnelView {
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
export function fingerprint(ids: Int32Array): string {
  return createHash('sha256').update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength)).digest('hex').slice(0, 32);
}

export type CohortRun = { data: CohortData; funnel: Funnel; ids: Int32Array; fingerprint: string };

export function runCohort(db: Db, def: CohortDefinition): CohortRun {
  const data = cohortData(db);
  const funnel = runFunnel(data, def);
  const ids = memberIds(data, funnel.members);
  return { data, funnel, ids, fingerprint: fingerprint(ids) };
}

export function previewFunnel(ctx: CohortCtx, def: CohortDefinition): FunnelView {
  const run = runCohort(ctx.db, def);
  return funnelView(run.funnel, ctx.privacy, run.data.state, !outcomesPending(ctx.db).consistent);
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
  const f = run.funnel;
  const final = f.steps.length ? f.steps[f.steps.length - 1]! : f.start;
  return { dataState: run.data.state, episodes: final.episodes, patients: final.patients, fingerprint: run.fingerprint, at: new Date(now).toISOString() };
}

/** Saves a new cohort, or a new revision of one (its owner or an admin only). */
export function saveCohort(ctx: CohortCtx, input: { id?: number; name: string; description: string; definition: CohortDefinition }): SavedCohort {
  const sqlite = ctx.db.$client;
  const run = runCohort(ctx.db, input.definition);
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
    const existing = rowOf(ctx, input.id);
    if (existing.created_by !== ctx.user?.id && ctx.user?.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only the cohort’s author or an administrator can change it. Save it as a new cohort instead.');
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
export function rerunCohort(ctx: CohortCtx, id: number): Rerun {
  const cohort = rowOf(ctx, id);
  const def = parseCohortDefinition(JSON.parse(cohort.definition));
  const run = runCohort(ctx.db, def);
  const last = cohort.last_run ? (JSON.parse(cohort.last_run) as LastRun) : null;
  const s = run.data.state;
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
    funnel: funnelView(run.funnel, ctx.privacy, s, !outcomesPending(ctx.db).consistent),
    sameData,
    sameResult: last !== null && last.fingerprint === run.fingerprint,
    importsSince,
  };
}

// ---- characterisation -----------------------------------------------------------------

export type OutcomeQuery = { measure: OutcomeMeasure; window: FollowUpWindow; definition: ResponderDefinition; denominator: Denominator };

export type Characterisation = { table: TableOne; outcomes: OutcomeSummary; dataState: DataState };

/** Table 1 of the cohort by care path, and its outcome figures by care path. */
export function characteriseCohort(ctx: CohortCtx, def: CohortDefinition, q: OutcomeQuery): Characterisation {
  const run = runCohort(ctx.db, def);
  const groups = carePathGroups(run.data, run.funnel.members) as [Group, Group];
  const detail = measureDetail(ctx.db, run.data, q.measure);
  return { table: tableOne(run.data, groups, ctx.privacy), outcomes: outcomeSummary(run.data, detail, groups, q, ctx.privacy), dataState: run.data.state };
}

/** Two saved cohorts side by side: Table 1 (SMD of the first against the second) and both outcome summaries. */
export function compareCohorts(ctx: CohortCtx, ids: [number, number], q: OutcomeQuery): Characterisation & { cohorts: [SavedCohort, SavedCohort]; overlap: Count } {
  const saved = ids.map((id) => getCohort(ctx, id)) as [SavedCohort, SavedCohort];
  const data = cohortData(ctx.db);
  const runs = saved.map((c) => runFunnel(data, c.definition));
  const groups = saved.map((c, k) => ({ key: `cohort:${c.id}`, label: c.name, members: runs[k]!.members })) as [Group, Group];
  let overlap = 0;
  for (let i = 0; i < data.n; i++) overlap += groups[0].members[i]! & groups[1].members[i]!;
  const detail = measureDetail(ctx.db, data, q.measure);
  return {
    cohorts: saved,
    overlap: ctx.privacy.independent({ overlap }).overlap,
    table: tableOne(data, groups, ctx.privacy),
    outcomes: outcomeSummary(data, detail, groups, q, ctx.privacy),
    dataState: data.state,
  };
}
