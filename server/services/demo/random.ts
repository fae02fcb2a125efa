/**
 * The demo generator's own pseudo-random numbers: sfc32 (Chris Doty-Humphrey's
 * Small Fast Counting generator, 128-bit state, passes PractRand and BigCrush),
 * seeded per patient from (seed, patient number) through splitmix32. Seeding
 * per patient makes a practice independent of batch size and lets any patient
 * be regenerated on its own. Math.random is never used: a seed is a practice.
 */

/** splitmix32 finaliser: a well-mixed 32-bit hash of a 32-bit input. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  /** A stream for (seed, stream): patient n of practice `seed` is `new Rng(seed, n)`. */
  constructor(seed: number, stream = 0) {
    const s = mix32(seed >>> 0) ^ mix32((Math.floor(seed / TWO_POW_32) >>> 0) + 0x51ed27);
    this.a = mix32(s);
    this.b = mix32(s ^ mix32(stream >>> 0));
    this.c = mix32(this.b ^ 0x6a09e667 ^ (Math.floor(stream / TWO_POW_32) >>> 0));
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on [0, 1), 32 bits of resolution. */
  float(): number {
    return this.next() / TWO_POW_32;
  }

  /** Uniform on (0, 1): safe under a logarithm. */
  open(): number {
    return (this.next() + 0.5) / TWO_POW_32;
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A standard normal variate (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.open()));
    const theta = 2 * Math.PI * this.float();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** An index drawn from cumulative weights (the last entry is the total). */
  pickCumulative(cumulative: ArrayLike<number>): number {
    const n = cumulative.length;
    const u = this.float() * cumulative[n - 1]!;
    for (let i = 0; i < n - 1; i++) if (u < cumulative[i]!) return i;
    return n - 1;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /**
   * Unbiased ("stochastic") rounding to a multiple of 1/perUnit (perUnit 1:
   * integers, 10: tenths, 0.5: even integers): x rounds up with probability
   * equal to its fractional part, so E[round(x)] = x exactly. This is what keeps
   * the planted means exact on integer scales (docs/demo-practice.md).
   */
  roundUnbiased(x: number, perUnit = 1): number {
    const q = x * perUnit;
    const lo = Math.floor(q);
    return (this.float() < q - lo ? lo + 1 : lo) / perUnit;
  }
}

/** Cumulative sums of a weight list, for Rng.pickCumulative. */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => (out[i] = s += w));
  return out;
}
