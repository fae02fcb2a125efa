/**
 * Radix sorts of doubles: least-significant-digit passes of 16 bits over the
 * IEEE-754 bit patterns mapped to unsigned integers with the same order. For
 * the million-row inputs of the Compare page they are several times faster
 * than Float64Array.prototype.sort, and the index version is stable.
 * Keys must not be NaN (callers validate their inputs); -0 sorts as +0.
 */

const probe = new Float64Array(1);
const probeWords = new Uint32Array(probe.buffer);
probe[0] = 1;
/** Index of the high 32-bit word of a double in a Uint32Array view (1 on little-endian machines). */
const HI = probeWords[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** Order-preserving 64-bit keys as two word arrays. */
function orderedWords(keys: ArrayLike<number>): { hi: Uint32Array; lo: Uint32Array } {
  const n = keys.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    probe[0] = keys[i]! + 0;
    let h = probeWords[HI]!;
    let l = probeWords[LO]!;
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else {
      h = (h | 0x80000000) >>> 0;
    }
    hi[i] = h;
    lo[i] = l;
  }
  return { hi, lo };
}

/**
 * Four stable counting passes; `idx`, when given, is permuted along with the
 * keys. Returns the final arrays (the passes swap buffers).
 */
function radixPasses(hi: Uint32Array, lo: Uint32Array, idx: Int32Array | null): { hi: Uint32Array; lo: Uint32Array; idx: Int32Array | null } {
  const n = hi.length;
  let hi2: Uint32Array = new Uint32Array(n);
  let lo2: Uint32Array = new Uint32Array(n);
  let idx2: Int32Array | null = idx ? new Int32Array(n) : null;
  const count = new Int32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const d = (src[i]! >>> shift) & 0xffff;
      count[d] = count[d]! + 1;
    }
    if (n === 0 || count[(src[0]! >>> shift) & 0xffff] === n) continue; // one digit value: already in order
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const d = (src[i]! >>> shift) & 0xffff;
      const to = count[d]!;
      count[d] = to + 1;
      hi2[to] = hi[i]!;
      lo2[to] = lo[i]!;
      if (idx) idx2![to] = idx[i]!;
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
    if (idx) [idx, idx2] = [idx2!, idx];
  }
  return { hi, lo, idx };
}

/** Positions 0..n-1 ordered by key, ties in position order. */
export function argsortStable(keys: ArrayLike<number>): Int32Array {
  const { hi, lo } = orderedWords(keys);
  const idx = new Int32Array(keys.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return radixPasses(hi, lo, idx).idx!;
}

/** A sorted Float64Array copy of the keys (numeric order). */
export function sortedCopy(keys: ArrayLike<number>): Float64Array {
  const n = keys.length;
  if (n < 2048) {
    const small = Float64Array.from(keys);
    small.sort();
    // Float64Array sort puts -0 before +0; both are 0 for every use here.
    return small;
  }
  const w = orderedWords(keys);
  const { hi, lo } = radixPasses(w.hi, w.lo, null);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = hi[i]!;
    let l = lo[i]!;
    if (h & 0x80000000) {
      h = (h & 0x7fffffff) >>> 0;
    } else {
      h = ~h >>> 0;
      l = ~l >>> 0;
    }
    probeWords[HI] = h;
    probeWords[LO] = l;
    out[i] = probe[0]!;
  }
  return out;
}
