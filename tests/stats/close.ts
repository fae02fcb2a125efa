import { expect } from 'vitest';

/**
 * |actual - expected| <= rel * |expected| + abs, elementwise. NaN/NA in the
 * reference must be NaN or null here; Infinity must match exactly.
 * rel defaults to 1e-9: the same algorithm in double precision agrees to
 * about 1e-12..1e-15; 1e-9 leaves room for a different summation order.
 */
export function expectClose(
  actual: number | null | undefined | ArrayLike<number | null>,
  expected: number | null | ArrayLike<number | null>,
  rel = 1e-9,
  abs = 0,
  label = '',
): void {
  const a = typeof actual === 'object' && actual !== null ? Array.from(actual) : [actual];
  const e = typeof expected === 'object' && expected !== null ? Array.from(expected) : [expected];
  expect(a.length, `${label} length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    const where = `${label}[${i}]: got ${x}, expected ${y}`;
    if (y === null || y === undefined || Number.isNaN(y)) {
      expect(x === null || x === undefined || Number.isNaN(x), where).toBe(true);
      continue;
    }
    expect(typeof x === 'number', where).toBe(true);
    if (!Number.isFinite(y)) {
      expect(x, where).toBe(y);
      continue;
    }
    expect(Math.abs((x as number) - y) <= rel * Math.abs(y) + abs, where).toBe(true);
  }
}

/** 1e6 + 0.1 etc. from R: the reference prints NA as null here. */
export const NA = null;
