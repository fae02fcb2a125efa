import { createHash } from 'node:crypto';

/** A cohort's episode set as a hash of its sorted episode ids: what "the same result" means on a re-run. */
export function fingerprintOf(ids: Int32Array): string {
  return createHash('sha256').update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength)).digest('hex').slice(0, 32);
}
