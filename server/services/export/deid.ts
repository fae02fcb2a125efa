/**
 * HIPAA Safe Harbor (45 CFR 164.514(b)(2)) as ../shared/spec/domain.md states
 * it for de-identified exports, in pure functions: random study ids per
 * export, dates as days relative to the index date plus the index year, ages
 * over 89 as 90, ZIP codes as their first three digits with the restricted
 * prefixes (three-digit areas of 20,000 people or fewer) as 000, no free text.
 */
import { getRandomValues } from 'node:crypto';

/** Three-digit ZIP prefixes whose area has 20,000 people or fewer (domain.md, from the Census list Safe Harbor refers to). */
export const RESTRICTED_ZIP3 = [
  '036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893',
] as const;
const restricted = new Set<string>(RESTRICTED_ZIP3);

/** The first three digits of a 5-digit ZIP, 000 for a restricted prefix; null for none or anything malformed. */
export function zip3(zip: string | null | undefined): string | null {
  if (!zip || !/^[0-9]{5}$/.test(zip)) return null;
  const p = zip.slice(0, 3);
  return restricted.has(p) ? '000' : p;
}

/** Ages over 89 are reported as 90 ("90 or older"). */
export const AGE_CAP = 90;
export function safeHarborAge(age: number | null): number | null {
  if (age === null) return null;
  return age > 89 ? AGE_CAP : age;
}

/**
 * A random permutation of 1..n (Fisher-Yates with a cryptographic source):
 * study ids that are unique within the export, say nothing about the records'
 * order or ids, and differ from one export to the next.
 */
export function randomStudyIds(n: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i + 1;
  const pool = new Uint32Array(8192);
  let k = pool.length;
  for (let i = n - 1; i > 0; i--) {
    if (k + 2 > pool.length) {
      getRandomValues(pool);
      k = 0;
    }
    // A uniform double in [0, 1) from 53 random bits: the bias of scaling is below 2^-30 for any n here.
    const u = (pool[k++]! * 2 ** 21 + (pool[k++]! >>> 11)) / 2 ** 53;
    const j = Math.floor(u * (i + 1));
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return ids;
}
