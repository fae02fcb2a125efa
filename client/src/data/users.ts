import type { Role } from '../../../db/schema/auth.ts';
import type { RouterInputs, RouterOutputs } from '../../../server/routers/_app.ts';

export type UserRow = RouterOutputs['users']['list'][number];
export type UserUpdate = RouterInputs['users']['update'];
export type NewUserInput = RouterInputs['users']['create'];

/** What the admin's form holds for a user (strings, as inputs give them). */
export type UserDraft = {
  role: Role;
  providerId: string;
  displayName: string;
  disabled: boolean;
  duaReference: string;
  duaExpiresOn: string;
};

export function draftOf(u: UserRow): UserDraft {
  return {
    role: u.role,
    providerId: u.providerId === null ? '' : String(u.providerId),
    displayName: u.displayName ?? '',
    disabled: u.disabled,
    duaReference: u.duaReference ?? '',
    duaExpiresOn: u.duaExpiresOn ?? '',
  };
}

/**
 * The update to send: only what changed, with the links a role implies
 * (a physician's provider, a researcher's agreement; other roles have neither).
 * Null when nothing changed.
 */
export function changesOf(u: UserRow, d: UserDraft): UserUpdate | null {
  const out: UserUpdate = { id: u.id };
  let changed = false;
  if (d.role !== u.role) ((out.role = d.role), (changed = true));
  const providerId = d.role === 'physician' && d.providerId !== '' ? Number(d.providerId) : null;
  if (providerId !== u.providerId) ((out.providerId = providerId), (changed = true));
  const name = d.displayName.trim() || null;
  if (name !== u.displayName) ((out.displayName = name), (changed = true));
  if (d.disabled !== u.disabled) ((out.disabled = d.disabled), (changed = true));
  const ref = d.role === 'researcher' ? d.duaReference.trim() : '';
  const expires = ref ? d.duaExpiresOn || null : null;
  if ((ref || null) !== u.duaReference || (ref && expires !== u.duaExpiresOn)) {
    out.dua = ref ? { reference: ref, expiresOn: expires } : null;
    changed = true;
  }
  return changed ? out : null;
}

/** A new user from the form's fields. */
export function newUserOf(f: {
  username: string;
  displayName: string;
  role: Role;
  providerId: string;
  password: string;
  duaReference: string;
  duaExpiresOn: string;
}): NewUserInput {
  const ref = f.role === 'researcher' ? f.duaReference.trim() : '';
  return {
    username: f.username.trim(),
    displayName: f.displayName.trim() || null,
    role: f.role,
    password: f.password,
    providerId: f.role === 'physician' && f.providerId ? Number(f.providerId) : null,
    dua: ref ? { reference: ref, expiresOn: f.duaExpiresOn || null } : null,
  };
}
