import { z } from 'zod';

const EnvSchema = z.object({
  DATABASE_PATH: z.string().min(1).default('./data/outcomes.db'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  /** Patients in the demo practice seeded into an empty database by `npm start`. */
  DEMO_PATIENTS: z.coerce.number().int().min(0).max(2_000_000).default(3000),
  /** Master secret for cookie signing and the audit chain; default: a key file next to the database. */
  SECRET_KEY: z.string().min(32, 'SECRET_KEY must be at least 32 characters').optional(),
  /** Where the master key file lives (default: secret.key next to DATABASE_PATH). */
  SECRET_KEY_PATH: z.string().min(1).optional(),
  /** Small-cell suppression threshold: counts 1..N-1 are shown as "<N" to roles without patient-level access. */
  SMALL_CELL_THRESHOLD: z.coerce.number().int().min(3).max(1000).default(11),
  /** Behind a reverse proxy: "true", a hop count, or a comma-separated list of proxy addresses (Fastify trustProxy). */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** Origins besides the server's own allowed to send mutations (comma-separated), e.g. a dev server. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
  /** Largest import upload, in MiB. */
  UPLOAD_LIMIT_MB: z.coerce.number().int().min(1).max(1024).default(64),
});
export type Env = z.infer<typeof EnvSchema>;

/** Parses the environment once at start and fails loudly, naming every bad field. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid environment:\n${fields}`);
  }
  return parsed.data;
}
