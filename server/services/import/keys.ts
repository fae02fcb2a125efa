/**
 * Remembering every id seen in an import (to report duplicates with the line
 * of the first occurrence) without running into V8's limit of 2^24 entries
 * per Map, and without a string per observation for the natural key.
 */

const SHARD_LIMIT = 8_000_000;

/** A Map<string, line> that grows past one Map's size limit. */
export class LineByKey {
  private readonly shards: Array<Map<string, number>> = [new Map()];

  get(key: string): number | undefined {
    const shards = this.shards;
    for (let i = 0; i < shards.length; i++) {
      const v = shards[i]!.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Records the line of `key` unless it is already known; returns the earlier line if there was one. */
  addIfAbsent(key: string, line: number): number | undefined {
    const before = this.get(key);
    if (before !== undefined) return before;
    let last = this.shards[this.shards.length - 1]!;
    if (last.size >= SHARD_LIMIT) this.shards.push((last = new Map()));
    last.set(key, line);
    return undefined;
  }
}

/**
 * An open-addressing hash map from non-negative integer keys below 2^53 to
 * lines, in typed arrays: 12 bytes per slot, about 20 bytes per entry.
 */
export class LineByNumber {
  private keys: Float64Array;
  private lines: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.keys = new Float64Array(cap).fill(-1);
    this.lines = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  addIfAbsent(key: number, line: number): number | undefined {
    if ((this.count + 1) * 4 > this.keys.length * 3) this.grow();
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === -1) {
        keys[i] = key;
        this.lines[i] = line;
        this.count++;
        return undefined;
      }
      if (k === key) return this.lines[i];
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldLines = this.lines;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.lines = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j]!;
      if (k === -1) continue;
      let i = hash(k) & this.mask;
      while (this.keys[i] !== -1) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.lines[i] = oldLines[j]!;
    }
  }
}

function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
