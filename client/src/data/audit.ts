import type { RouterInputs } from '../../../server/routers/_app.ts';

/** The audit search form, as its inputs hold it (datetime-local strings are the user's local time). */
export type AuditFilterForm = { username: string; action: string; outcome: '' | 'success' | 'failure' | 'denied' | string; from: string; to: string };

type SearchInput = RouterInputs['audit']['search'];

/** The search the server understands: empty fields left out, local times as UTC instants. */
export function auditFilterInput(f: AuditFilterForm): Omit<SearchInput, 'beforeId' | 'limit'> {
  const out: Omit<SearchInput, 'beforeId' | 'limit'> = {};
  if (f.username.trim()) out.username = f.username.trim();
  if (f.action) out.action = f.action;
  if (f.outcome === 'success' || f.outcome === 'failure' || f.outcome === 'denied') out.outcome = f.outcome;
  const from = localToIso(f.from);
  const to = localToIso(f.to, true);
  if (from) out.from = from;
  if (to) out.to = to;
  return out;
}

/** "2026-11-24T09:30" (local) -> ISO UTC; `end` includes the whole minute. Null when empty or invalid. */
export function localToIso(local: string, end = false): string | null {
  if (!local) return null;
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return null;
  return new Date(d.getTime() + (end ? 59_999 : 0)).toISOString();
}

/** "2026-11-24T19:20:02.123Z" -> "2026-11-24 19:20:02". */
export function formatUtc(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

const ACTION_LABELS: Record<string, string> = {
  'auth.login': 'Sign-in',
  'auth.logout': 'Sign-out',
  'auth.session_expired': 'Session expired',
  'auth.password_change': 'Own password changed',
  'access.denied': 'Access refused',
  'patient.read': 'Patient data read',
  'import.run': 'Import',
  'export.deidentified': 'De-identified export',
  'export.identified': 'Identified export',
  'user.create': 'User created',
  'user.update': 'User changed',
  'user.password_reset': 'Password reset',
  'audit.read': 'Audit log read',
};

export function describeAction(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

/** Details as "key: value" pairs, lists shortened. */
export function formatDetail(detail: Record<string, unknown> | null): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => {
      if (Array.isArray(v)) return `${k}: ${v.slice(0, 10).join(', ')}${v.length > 10 ? `, … (${v.length})` : ''}`;
      return `${k}: ${v === null ? '—' : String(v)}`;
    })
    .join(' · ');
}
