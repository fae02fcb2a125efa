import { eq, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { ContextInner, SessionUser } from '../context.ts';
import { DomainError, notFound } from '../errors.ts';
import { audit } from './log.ts';

/**
 * Which patient-level records a caller may see (roles.md): a physician the
 * episodes where they are the provider (and those episodes' patients,
 * treatments and observations), an admin everything, nobody else anything.
 * A record outside the scope is answered NOT_FOUND, exactly as a record that
 * does not exist, so that ids cannot be probed.
 *
 * Every procedure returning patient-level data:
 *   1. is allowed to physicians and admins only (`allow.roles('physician', 'admin')`),
 *   2. filters its query with `scopeFilter(ctx, episodes.providerId)` (drizzle) or
 *      `scopeSql(ctx, 'e.provider_id')` (raw SQL), or checks one patient with
 *      `assertPatientInScope`,
 *   3. records the read with `auditPatientRead`.
 */
export type PatientScope = { kind: 'all' } | { kind: 'provider'; providerId: number };

export function patientScope(ctx: Pick<ContextInner, 'user'>): PatientScope {
  const user = ctx.user;
  if (user?.role === 'admin') return { kind: 'all' };
  if (user?.role === 'physician' && user.providerId !== null) return { kind: 'provider', providerId: user.providerId };
  // Unreachable when the procedure's policy is right: fail closed.
  throw new DomainError('FORBIDDEN', 'You do not have access to patient records.');
}

/** A drizzle condition restricting episodes (or rows carrying their provider) to the scope; undefined for all. */
export function scopeFilter(ctx: Pick<ContextInner, 'user'>, providerColumn: SQLiteColumn): SQL | undefined {
  const scope = patientScope(ctx);
  return scope.kind === 'all' ? undefined : eq(providerColumn, scope.providerId);
}

/** The same for raw SQL: a condition on the named provider column and its parameters. */
export function scopeSql(ctx: Pick<ContextInner, 'user'>, providerColumn: string): { where: string; params: number[] } {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(providerColumn)) throw new Error('scopeSql: bad column name');
  const scope = patientScope(ctx);
  return scope.kind === 'all' ? { where: '1 = 1', params: [] } : { where: `${providerColumn} = ?`, params: [scope.providerId] };
}

/** Is the patient (surrogate id) within the caller's scope? Throws NOT_FOUND when not, or when there is no such patient. */
export function assertPatientInScope(ctx: Pick<ContextInner, 'user' | 'db'>, patientId: number): void {
  const scope = patientScope(ctx);
  const found =
    scope.kind === 'all'
      ? ctx.db.$client.prepare('SELECT 1 FROM patients WHERE id = ?').get(patientId)
      : ctx.db.$client.prepare('SELECT 1 FROM episodes WHERE patient_id = ? AND provider_id = ? LIMIT 1').get(patientId, scope.providerId);
  if (!found) throw notFound('Patient');
}

/** Is the episode within the caller's scope? NOT_FOUND otherwise. */
export function assertEpisodeInScope(ctx: Pick<ContextInner, 'user' | 'db'>, episodeId: number): void {
  const scope = patientScope(ctx);
  const found =
    scope.kind === 'all'
      ? ctx.db.$client.prepare('SELECT 1 FROM episodes WHERE id = ?').get(episodeId)
      : ctx.db.$client.prepare('SELECT 1 FROM episodes WHERE id = ? AND provider_id = ?').get(episodeId, scope.providerId);
  if (!found) throw notFound('Episode');
}

/**
 * Records a read of patient-level data: `what` names the view (e.g.
 * 'patients.timeline'), `patientIds` the surrogate ids shown (a list view
 * records how many and, up to 500, which).
 */
export function auditPatientRead(
  ctx: Pick<ContextInner, 'db' | 'user' | 'ip' | 'now' | 'secrets'>,
  what: string,
  patientIds: readonly number[],
): void {
  const single = patientIds.length === 1;
  audit(ctx, {
    action: 'patient.read',
    outcome: 'success',
    target: single ? `patient:${patientIds[0]}` : what,
    detail: single ? { view: what } : { view: what, count: patientIds.length, patientIds: patientIds.slice(0, 500) as number[] },
  });
}

export function isPhysician(user: SessionUser | null): user is SessionUser & { role: 'physician'; providerId: number } {
  return user?.role === 'physician' && user.providerId !== null;
}

/**
 * An identified export (a limited data set) is for admins, and for
 * researchers with a current data-use agreement on record (roles.md).
 * The procedure's policy admits researchers and admins; this checks the
 * agreement, which is part of the session's user (refreshed at every request).
 */
export function assertIdentifiedExportAllowed(ctx: Pick<ContextInner, 'user'>): void {
  const user = ctx.user;
  if (user?.role === 'admin') return;
  if (user?.role === 'researcher' && user.dataUseAgreement === true) return;
  throw new DomainError('FORBIDDEN', 'An identified export needs a data-use agreement on record. Ask an administrator to record yours.');
}
