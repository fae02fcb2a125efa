/**
 * What the benches share: their command-line flags and how they print
 * timings. (compare and cohorts keep their own copies for now.)
 */

/** The value after `--name` in the arguments, or undefined. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A positive integer flag (`--rows 10_000_000`), the fallback when absent; anything else is refused. */
export function countFlag(args: readonly string[], name: string, fallback: number): number {
  const s = flagValue(args, name);
  if (s === undefined) return fallback;
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${s}`);
  return n;
}

/** The p-quantile of the timings (the smallest value with at least p of them at or below it). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** Milliseconds as printed: one decimal under 10 ms, whole numbers with separators above. */
export const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')} ms`;
