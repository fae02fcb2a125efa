import { ROLES, type Role } from '../../db/schema/auth.ts';
import type { SessionUser } from '../context.ts';

/**
 * Who may call a procedure (../shared/spec/roles.md). Every procedure is
 * built with `procedure(policy)` (server/trpc.ts), which records the policy
 * in the procedure's meta; a procedure without one is refused for everyone,
 * and tests/auth/matrix.test.ts checks every procedure of the router against
 * an independent copy of the roles.md matrix.
 */
export type Policy = {
  /** Callable without signing in (only sign-in itself and "who am I"). */
  readonly anonymous: boolean;
  /** Roles that may call it once signed in. */
  readonly roles: readonly Role[];
};

export const allow = {
  /** Anyone, signed in or not. */
  anyone: { anonymous: true, roles: ROLES } as const satisfies Policy,
  /** Any signed-in user. */
  signedIn: { anonymous: false, roles: ROLES } as const satisfies Policy,
  /** Only these roles. */
  roles: (...roles: [Role, ...Role[]]): Policy & { readonly anonymous: false } => ({ anonymous: false, roles: Object.freeze([...roles]) }),
};

export type Verdict = 'allowed' | 'unauthenticated' | 'forbidden';

/** The decision for a caller; `undefined` (no policy) is refused for everyone. */
export function decide(policy: Policy | undefined, user: SessionUser | null): Verdict {
  if (!policy || !Array.isArray(policy.roles)) return user ? 'forbidden' : 'unauthenticated';
  if (!user) return policy.anonymous ? 'allowed' : 'unauthenticated';
  return policy.roles.includes(user.role) ? 'allowed' : 'forbidden';
}

/** Roles that see patient-level data (their own patients for physicians); the others see suppressed aggregates only. */
export function seesPatientLevel(user: SessionUser | null): boolean {
  return user?.role === 'physician' || user?.role === 'admin';
}
