import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { ARGON2_PARAMS, hashPassword, needsRehash, passwordProblems, verifyPassword } from '../../server/auth/password.ts';

describe('password rules', () => {
  it('accepts a long uncommon password', () => {
    expect(passwordProblems('correct-horse-battery-staple', 'alice')).toEqual([]);
  });

  it('refuses fewer than 8 characters', () => {
    expect(passwordProblems('Xk7#pQ2', 'alice')).toEqual(['Use at least 8 characters.']);
    expect(passwordProblems('Xk7#pQ2z', 'alice')).toEqual([]);
  });

  it('refuses common passwords, whatever their case', () => {
    for (const p of ['password', 'Password', '12345678', 'qwertyuiop', 'iloveyou', 'PASSWORD1']) {
      expect(passwordProblems(p, 'alice')).toContain('This password is on a list of commonly used passwords.');
    }
  });

  it('refuses the username, or a password containing it', () => {
    expect(passwordProblems('dr.morgan', 'dr.morgan')).toContain('The password must not contain the username.');
    expect(passwordProblems('DR.MORGAN2026!', 'dr.morgan')).toContain('The password must not contain the username.');
    // A very short username inside a longer word is not a weakness.
    expect(passwordProblems('annotation-table-42', 'ann')).toEqual([]);
  });

  it('refuses an absurdly long password (hashing it would be a denial of service)', () => {
    expect(passwordProblems('x'.repeat(257), 'alice')).toContain('Use at most 256 characters.');
  });
});

describe('Argon2id hashing', () => {
  it('uses Argon2id with at least 19 MiB and 2 passes', async () => {
    const h = await hashPassword('correct-horse-battery-staple');
    expect(h.startsWith('$argon2id$')).toBe(true);
    const o = parseOptions(h);
    expect(o.memoryCost).toBeGreaterThanOrEqual(19 * 1024);
    expect(o.timeCost).toBeGreaterThanOrEqual(2);
    expect(o.memoryCost).toBe(ARGON2_PARAMS.memoryCost);
    expect(await verifyPassword(h, 'correct-horse-battery-staple')).toBe(true);
    expect(await verifyPassword(h, 'correct-horse-battery-stapler')).toBe(false);
    expect(needsRehash(h)).toBe(false);
  });

  it('salts: the same password never hashes the same', async () => {
    expect(await hashPassword('correct-horse-battery-staple')).not.toBe(await hashPassword('correct-horse-battery-staple'));
  });

  it('a malformed stored hash fails verification instead of throwing', async () => {
    expect(await verifyPassword('not-a-hash', 'whatever')).toBe(false);
    expect(needsRehash('not-a-hash')).toBe(true);
  });

  it('asks to re-hash a hash made with weaker parameters', async () => {
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash('correct-horse-battery-staple', { memoryCost: 4096, timeCost: 1 });
    expect(needsRehash(weak)).toBe(true);
  });
});
