import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Keys derived from one master secret kept outside the database: the cookie
 * signing key and the audit chain's HMAC key. Someone who copies or edits the
 * database file alone can neither forge a session cookie nor re-compute the
 * audit chain after editing a row.
 */
export type Secrets = { readonly cookie: Buffer; readonly audit: Buffer };

export function deriveSecrets(master: Buffer): Secrets {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return { cookie: derive('pain-outcomes session cookie v1'), audit: derive('pain-outcomes audit chain v1') };
}

/** Random keys for a process that keeps nothing (tests, in-memory databases). */
export function ephemeralSecrets(): Secrets {
  return deriveSecrets(randomBytes(32));
}

export type SecretSource = { SECRET_KEY?: string | undefined; SECRET_KEY_PATH?: string | undefined; DATABASE_PATH: string };

/** Where the master key file lives: SECRET_KEY_PATH, else `secret.key` next to the database. */
export function secretKeyPath(env: SecretSource): string | null {
  if (env.SECRET_KEY_PATH) return env.SECRET_KEY_PATH;
  if (env.DATABASE_PATH === ':memory:') return null;
  return join(dirname(env.DATABASE_PATH), 'secret.key');
}

/**
 * The master secret: SECRET_KEY if set (e.g. from the host's secret store),
 * else the key file, created (mode 0600) with 32 random bytes on first use.
 * `create: false` (audit:verify) refuses to invent a key for an existing log.
 */
export function loadSecrets(env: SecretSource, opts: { create?: boolean } = {}): Secrets {
  if (env.SECRET_KEY) return deriveSecrets(Buffer.from(env.SECRET_KEY, 'utf8'));
  const path = secretKeyPath(env);
  if (!path) return ephemeralSecrets();
  try {
    const master = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (master.length < 32) throw new Error(`The secret key file ${path} is not 64 hexadecimal characters`);
    return deriveSecrets(master);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || opts.create === false) throw err;
  }
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadSecrets(env, { create: false });
    throw err;
  }
  chmodSync(path, 0o600);
  return deriveSecrets(Buffer.from(key, 'hex'));
}
