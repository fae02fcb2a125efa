/**
 * The cohort builder's analytic tasks (registered in
 * server/services/analytics/tasks.ts): pure functions of the shared store
 * and plain inputs, run in the analytics worker. Counts leave unmasked with
 * the caller's suppression setting applied inside (privacyFor needs only the
 * role's kind and the threshold), so no count a role may not see crosses
 * back to the request's thread in a form a bug could show.
 */
import { privacyFor } from '../../auth/privacy.ts';
import type { AnalyticStore } from '../analytics/store.ts';
import type { Denominator, OutcomeMeasure, ResponderDefinition } from '../outcomes/query.ts';
import type { FollowUpWindow } from '../../../db/schema/vocabulary.ts';
import { carePathGroups, outcomeSummary, tableOne, type Group, type OutcomeSummary, type TableOne } from './characterise.ts';
import type { Criterion } from './definition.ts';
import { maskCacheFor, memberRows, runFunnel, type FunnelStep } from './funnel.ts';
import { storeColumns } from './store-columns.ts';
import { fingerprintOf } from './fingerprint.ts';

export type PrivacyInput = { suppress: boolean; threshold: number };
export type OutcomeInput = { measure: OutcomeMeasure; window: FollowUpWindow; definition: ResponderDefinition; denominator: Denominator };

const privacyOf = (p: PrivacyInput) =>
  privacyFor({ user: p.suppress ? { id: 0, role: 'researcher', providerId: null } : { id: 0, role: 'admin', providerId: null }, privacy: { smallCellThreshold: p.threshold } });

const funnelOf = (store: AnalyticStore, criteria: readonly Criterion[]) => {
  const data = storeColumns(store);
  return { data, funnel: runFunnel(data, { criteria: [...criteria] }, maskCacheFor(data)) };
};

/** Episodes and patients at the start and after each criterion (unmasked: the service masks the sequence). */
export function funnelTask(store: AnalyticStore, q: { criteria: Criterion[] }): { start: FunnelStep; steps: FunnelStep[]; episodes: number } {
  const { data, funnel } = funnelOf(store, q.criteria);
  return { start: funnel.start, steps: funnel.steps, episodes: data.state.episodes };
}

export type Members = { start: FunnelStep; steps: FunnelStep[]; episodeIds: Int32Array; patientIds: Int32Array; indexDays: Int32Array; fingerprint: string };

/** The members themselves (episode ids ascending, their patients and index days): for saving, re-running and exporting. */
export function membersTask(store: AnalyticStore, q: { criteria: Criterion[] }): Members {
  const { data, funnel } = funnelOf(store, q.criteria);
  const rows = memberRows(data, funnel.members);
  return { start: funnel.start, steps: funnel.steps, ...rows, fingerprint: fingerprintOf(rows.episodeIds) };
}

export function characteriseTask(store: AnalyticStore, q: { criteria: Criterion[]; outcome: OutcomeInput; privacy: PrivacyInput }): { table: TableOne; outcomes: OutcomeSummary } {
  const { data, funnel } = funnelOf(store, q.criteria);
  const groups = carePathGroups(data, funnel.members) as [Group, Group];
  const privacy = privacyOf(q.privacy);
  return { table: tableOne(data, groups, privacy), outcomes: outcomeSummary(data, data.detailOf(q.outcome.measure), groups, q.outcome, privacy) };
}

export function compareTask(
  store: AnalyticStore,
  q: { a: { key: string; label: string; criteria: Criterion[] }; b: { key: string; label: string; criteria: Criterion[] }; outcome: OutcomeInput; privacy: PrivacyInput },
): { table: TableOne; outcomes: OutcomeSummary; overlap: number } {
  const data = storeColumns(store);
  const cache = maskCacheFor(data);
  const groups = [q.a, q.b].map((c) => ({ key: c.key, label: c.label, members: runFunnel(data, { criteria: c.criteria }, cache).members })) as [Group, Group];
  let overlap = 0;
  for (let i = 0; i < data.n; i++) overlap += groups[0].members[i]! & groups[1].members[i]!;
  const privacy = privacyOf(q.privacy);
  return { table: tableOne(data, groups, privacy), outcomes: outcomeSummary(data, data.detailOf(q.outcome.measure), groups, q.outcome, privacy), overlap };
}

export const cohortTasks = {
  'cohorts.funnel': funnelTask,
  'cohorts.members': membersTask,
  'cohorts.characterise': characteriseTask,
  'cohorts.compare': compareTask,
};
