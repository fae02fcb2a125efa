import { createHash } from 'node:crypto';
import type { Db } from '../../../db/index.ts';
import { FOLLOW_UP_WINDOWS, type FollowUpWindow } from '../../../db/schema/vocabulary.ts';

/** A digest of every stored row of the practice's tables, in key order. */
export function contentHash(db: Db): string {
  const h = createHash('sha256');
  const tables: Array<[string, string]> = [
    ['sites', 'key'],
    ['providers', 'key'],
    ['patients', 'mrn'],
    ['episodes', 'key'],
    ['treatments', 'key'],
    ['observations', 'patient_id, measure, date'],
  ];
  for (const [table, order] of tables) {
    h.update(`\n#${table}\n`);
    for (const row of db.$client.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).raw().iterate() as Iterable<unknown[]>) {
      h.update(JSON.stringify(row));
      h.update('\n');
    }
  }
  return h.digest('hex');
}

export type ChangeRow = {
  episode_id: number;
  path: 'interventional' | 'conservative';
  category: string;
  condition: string;
  duration: number;
  baseline: number;
  follow_up: number;
  change: number;
};

/**
 * Pain NRS change per episode at a window, straight from the stored rows as
 * domain.md defines it: baseline = the last score in the 30 days up to and
 * including the index date; follow-up = the score nearest the window's target
 * day within the window, the earlier on a tie. Category = the category of the
 * treatment on the index date. Complete cases only.
 */
export function changesAt(db: Db, window: FollowUpWindow, measure = 'pain_nrs'): ChangeRow[] {
  const w = FOLLOW_UP_WINDOWS[window];
  return db.$client
    .prepare(
      `WITH ranked_base AS (
         SELECT o.episode_id, o.value,
           ROW_NUMBER() OVER (PARTITION BY o.episode_id ORDER BY o.date DESC) AS rn
         FROM observations o JOIN episodes e ON e.id = o.episode_id
         WHERE o.measure = :measure AND julianday(o.date) BETWEEN julianday(e.start_date) - 30 AND julianday(e.start_date)),
       ranked_fu AS (
         SELECT o.episode_id, o.value,
           ROW_NUMBER() OVER (PARTITION BY o.episode_id
             ORDER BY abs(julianday(o.date) - julianday(e.start_date) - :target), o.date) AS rn
         FROM observations o JOIN episodes e ON e.id = o.episode_id
         WHERE o.measure = :measure AND julianday(o.date) - julianday(e.start_date) BETWEEN :from AND :to),
       base AS MATERIALIZED (SELECT episode_id, value FROM ranked_base WHERE rn = 1),
       fu AS MATERIALIZED (SELECT episode_id, value FROM ranked_fu WHERE rn = 1)
       SELECT e.id AS episode_id, e.care_path AS path,
         (SELECT t.category FROM treatments t WHERE t.episode_id = e.id AND t.date = e.start_date ORDER BY t.id LIMIT 1) AS category,
         e.condition_group AS condition, e.pain_duration_months AS duration,
         b.value AS baseline, f.value AS follow_up, b.value - f.value AS change
       FROM episodes e
       JOIN base b ON b.episode_id = e.id
       JOIN fu f ON f.episode_id = e.id
       ORDER BY e.id`,
    )
    .all({ measure, target: w.target, from: w.from, to: w.to }) as ChangeRow[];
}

export type Summary = { n: number; mean: number; sd: number; se: number };

export function summarise(xs: number[]): Summary {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, se: sd / Math.sqrt(n) };
}

export function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(r);
  }
  return out;
}

/** Logistic regression by Newton-Raphson: coefficients for the columns of X (include an intercept column). */
export function logisticRegression(X: number[][], y: number[], iterations = 25): number[] {
  const p = X[0]!.length;
  let beta = new Array<number>(p).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(p).fill(0);
    const H = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    X.forEach((x, i) => {
      const eta = x.reduce((s, v, j) => s + v * beta[j]!, 0);
      const mu = 1 / (1 + Math.exp(-eta));
      const w = mu * (1 - mu);
      for (let j = 0; j < p; j++) {
        g[j]! += (y[i]! - mu) * x[j]!;
        for (let k = 0; k <= j; k++) H[j]![k]! += w * x[j]! * x[k]!;
      }
    });
    for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) H[j]![k] = H[k]![j]!;
    const step = solve(H, g);
    beta = beta.map((b, j) => b + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return beta;
}

/** Solves A x = b (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[pivot]![col]!)) pivot = r;
    [M[col], M[pivot]] = [M[pivot]!, M[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = M[r]![col]! / M[col]![col]!;
      for (let k = col; k <= n; k++) M[r]![k]! -= f * M[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}
