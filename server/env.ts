import { z } from 'zod';

const EnvSchema = z.object({
  DATABASE_PATH: z.string().min(1).default('./data/outcomes.db'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  /** Patients in the demo practice seeded into an empty database by `npm start`. */
  DEMO_PATIENTS: z.coerce.number().int().min(0).max(2_000_000).default(3000),
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
