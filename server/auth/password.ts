import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-rules.ts';

/**
 * Argon2id with OWASP's minimum: 19 MiB of memory, 2 passes, 1 lane
 * (roles.md: "at least 19 MiB, 2 passes"). A stored hash made with weaker
 * parameters is re-hashed at the next successful sign-in.
 */
export const ARGON2_PARAMS = {
  algorithm: 2 as Algorithm, // Algorithm.Argon2id (an ambient const enum: not usable with isolatedModules)
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH };

let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  return common;
}

/**
 * The reasons a password is refused, worded for the person choosing it;
 * empty when acceptable. Rules: at least 8 characters, not one of ~49,000
 * common passwords (case-insensitive), not the username (nor containing it).
 */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  if ([...password].length < PASSWORD_MIN_LENGTH) problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`Use at most ${PASSWORD_MAX_LENGTH} characters.`);
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) problems.push('This password is on a list of commonly used passwords.');
  const name = username.trim().toLowerCase();
  // Equal to the username, or containing it when it is long enough to matter ("ann" in "annotation" is not a weakness).
  if (name && (lower === name || (name.length >= 4 && lower.includes(name)))) problems.push('The password must not contain the username.');
  return problems;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS);
}

/** False (never an exception) for a wrong password or a malformed hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** True when `stored` was made with weaker parameters than ARGON2_PARAMS. */
export function needsRehash(stored: string): boolean {
  try {
    const o = parseOptions(stored);
    return (
      (o.algorithm as number) !== (ARGON2_PARAMS.algorithm as number) ||
      o.memoryCost < ARGON2_PARAMS.memoryCost ||
      o.timeCost < ARGON2_PARAMS.timeCost
    );
  } catch {
    return true;
  }
}

let dummy: Promise<string> | null = null;
/**
 * A hash of a random password with the production parameters. Sign-in for an
 * unknown or disabled user verifies against it, so the answer takes as long
 * as for a real user and does not tell whether the user exists.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomUUID());
  return dummy;
}
