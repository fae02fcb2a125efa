/**
 * `npm run user -- <command>`: manage users from the server's command line
 * (the first admin is created this way).
 *
 *   create --username NAME --role physician|practice_manager|researcher|admin
 *          [--provider PROVIDER_KEY_OR_ID] [--name "Display name"] [--dua REFERENCE [--dua-expires YYYY-MM-DD]]
 *          [--password-stdin]
 *   list
 *   set-role --username NAME --role ROLE [--provider KEY_OR_ID]
 *   disable --username NAME | enable --username NAME
 *   reset-password --username NAME [--password-stdin]
 *
 * Passwords are never taken as arguments (they would stay in the shell
 * history and the process list): typed at a prompt without echo, read from
 * stdin with --password-stdin, or generated and printed once.
 * Every change is written to the audit log as done by `cli:<os user>`.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createDb, migrateDb, type Db } from '../db/index.ts';
import { ROLES, type Role } from '../db/schema/auth.ts';
import { appendAudit } from '../server/auth/audit.ts';
import { cliActor } from '../server/auth/cli-actor.ts';
import { loadSecrets } from '../server/auth/secrets.ts';
import { createUser, getUserByName, listUsers, setPassword, updateUser, type UserAdminContext } from '../server/auth/users.ts';
import { parseEnv } from '../server/env.ts';
import { DomainError } from '../server/errors.ts';

const USAGE = `Usage:
  npm run user -- create --username NAME --role ROLE [--provider KEY_OR_ID] [--name "Display name"]
                         [--dua REFERENCE [--dua-expires YYYY-MM-DD]] [--password-stdin]
  npm run user -- list
  npm run user -- set-role --username NAME --role ROLE [--provider KEY_OR_ID]
  npm run user -- disable --username NAME
  npm run user -- enable --username NAME
  npm run user -- reset-password --username NAME [--password-stdin]
Roles: ${ROLES.join(', ')}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      provider: { type: 'string' },
      name: { type: 'string' },
      dua: { type: 'string' },
      'dua-expires': { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }

  const env = parseEnv();
  const db = createDb(env.DATABASE_PATH);
  migrateDb(db);
  const secrets = loadSecrets(env);
  const actor = cliActor();
  const ctx: UserAdminContext = {
    db,
    now: Date.now,
    audit: (entry) => appendAudit(db, secrets.audit, { ...entry, userId: null, username: actor, role: null, ip: null }, Date.now()),
  };

  try {
    switch (command) {
      case 'create': {
        const username = required(values.username, '--username');
        const role = roleOf(required(values.role, '--role'));
        const { password, generated } = await obtainPassword(values['password-stdin'] ?? false, username);
        const user = await createUser(ctx, {
          username,
          password,
          role,
          displayName: values.name ?? null,
          providerId: values.provider ? providerIdOf(db, values.provider) : null,
          dua: values.dua ? { reference: values.dua, expiresOn: values['dua-expires'] ?? null } : null,
        });
        console.log(`Created ${user.role} ${user.username} (id ${user.id})${user.providerName ? `, provider ${user.providerName}` : ''}.`);
        if (generated) console.log(`Password (shown once): ${password}`);
        return 0;
      }
      case 'list': {
        for (const u of listUsers(db)) {
          const extra = [u.providerName && `provider ${u.providerName}`, u.duaReference && `DUA ${u.duaReference}`, u.disabled && 'DISABLED']
            .filter(Boolean)
            .join(', ');
          console.log(`${String(u.id).padStart(4)}  ${u.username.padEnd(24)} ${u.role.padEnd(17)} ${extra}`);
        }
        return 0;
      }
      case 'set-role': {
        const user = userOf(db, required(values.username, '--username'));
        const role = roleOf(required(values.role, '--role'));
        const updated = updateUser(ctx, user.id, { role, providerId: values.provider ? providerIdOf(db, values.provider) : undefined }, null);
        console.log(`${updated.username} is now ${updated.role}; their sessions were ended.`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        const user = userOf(db, required(values.username, '--username'));
        updateUser(ctx, user.id, { disabled: command === 'disable' }, null);
        console.log(`${user.username} ${command}d.`);
        return 0;
      }
      case 'reset-password': {
        const user = userOf(db, required(values.username, '--username'));
        const { password, generated } = await obtainPassword(values['password-stdin'] ?? false, user.username);
        await setPassword(ctx, user.id, password, 'user.password_reset');
        console.log(`Password of ${user.username} changed; their sessions were ended.`);
        if (generated) console.log(`Password (shown once): ${password}`);
        return 0;
      }
      default:
        console.error(`Unknown command ${command}.\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof DomainError || err instanceof UsageError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    db.$client.close();
  }
}

class UsageError extends Error {}

function required(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`${flag} is required.\n${USAGE}`);
  return v;
}

function roleOf(v: string): Role {
  if (!(ROLES as readonly string[]).includes(v)) throw new UsageError(`Unknown role ${v}. Roles: ${ROLES.join(', ')}`);
  return v as Role;
}

function userOf(db: Db, username: string) {
  const user = getUserByName(db, username);
  if (!user) throw new UsageError(`No user ${username}.`);
  return user;
}

/** A provider by the practice's provider_id (key) or by surrogate id. */
function providerIdOf(db: Db, keyOrId: string): number {
  const row = (db.$client.prepare('SELECT id FROM providers WHERE key = ?').get(keyOrId) ??
    (/^\d+$/.test(keyOrId) ? db.$client.prepare('SELECT id FROM providers WHERE id = ?').get(Number(keyOrId)) : undefined)) as
    | { id: number }
    | undefined;
  if (!row) throw new UsageError(`No provider ${keyOrId}.`);
  return row.id;
}

async function obtainPassword(fromStdin: boolean, username: string): Promise<{ password: string; generated: boolean }> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return { password: Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, ''), generated: false };
  }
  if (process.stdin.isTTY) {
    const first = await promptHidden(`Password for ${username} (empty: generate one): `);
    if (!first) return { password: generated(), generated: true };
    const again = await promptHidden('Again: ');
    if (first !== again) throw new UsageError('The passwords differ.');
    return { password: first, generated: false };
  }
  return { password: generated(), generated: true };
}

function generated(): string {
  return randomBytes(15).toString('base64url');
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    out._writeToOutput = (s: string) => {
      // Echo the prompt, not the keystrokes.
      if (s.startsWith(question)) out.output.write(question);
      else if (s.includes('\n')) out.output.write('\n');
    };
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
