import type { Role } from '../../../db/schema/auth.ts';

/**
 * What the interface offers each role (../shared/spec/roles.md). The server
 * enforces the same rules on every request; this only keeps the interface
 * from offering what would be refused.
 */
export const ROLE_LABELS: Record<Role, string> = {
  physician: 'Physician',
  practice_manager: 'Practice manager',
  researcher: 'Researcher',
  admin: 'Administrator',
};

/** The roles in roles.md's order (a value list here: the client imports only types from db/ and server/). */
export const ROLE_ORDER = Object.keys(ROLE_LABELS) as Role[];

/** Sections a role does not see at all (the cohort builder is not for practice managers). */
const HIDDEN_SECTIONS: Partial<Record<Role, readonly string[]>> = {
  practice_manager: ['/cohorts'],
};

export function sectionVisible(path: string, role: Role): boolean {
  return !(HIDDEN_SECTIONS[role] ?? []).includes(path);
}

/** Import data: practice managers and admins. */
export function canImport(role: Role): boolean {
  return role === 'practice_manager' || role === 'admin';
}

/** Manage users, read the audit log. */
export function isAdmin(role: Role): boolean {
  return role === 'admin';
}

/** Whether the role's aggregates have small counts withheld. */
export function seesSuppressedCounts(role: Role): boolean {
  return role === 'practice_manager' || role === 'researcher';
}

/**
 * Where to go after signing in: a path of this site only (never another
 * origin: "//evil.example" and "https://…" are refused), else Outcomes.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/outcomes';
  return next;
}
