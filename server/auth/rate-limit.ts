/**
 * Request rate limits weighted by cost: each client address has a bucket of
 * `capacity` tokens refilled at `refillPerSecond`; a request takes its cost
 * in tokens or is refused (429). Sign-in and exports cost more than a read,
 * so a client can read freely but cannot hammer the expensive paths.
 * In-memory, per process: a clinic runs one server process (decision 001).
 */
export type RateLimitOptions = { capacity: number; refillPerSecond: number; maxKeys?: number };

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { capacity: 600, refillPerSecond: 10, maxKeys: 10_000 };

/** Cost of one tRPC call by procedure path. */
export function procedureCost(path: string, type: 'query' | 'mutation' | 'unknown'): number {
  if (path === 'auth.login') return 30;
  if (/(^|\.)export/i.test(path)) return 60;
  if (path.startsWith('imports.') && type === 'mutation') return 60;
  if (type === 'mutation') return 5;
  return 1;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly opts: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `cost` tokens from `key`'s bucket; false (and nothing taken) when there are not enough. */
  take(key: string, cost: number): { ok: boolean; retryAfterSeconds: number } {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= (this.opts.maxKeys ?? 10_000)) this.evictFull(now);
      b = { tokens: this.opts.capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.opts.capacity, b.tokens + ((now - b.at) / 1000) * this.opts.refillPerSecond);
    b.at = now;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true, retryAfterSeconds: 0 };
    }
    return { ok: false, retryAfterSeconds: Math.ceil((cost - b.tokens) / this.opts.refillPerSecond) };
  }

  /** Drops buckets that have refilled completely (they hold no information). */
  private evictFull(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.opts.refillPerSecond >= this.opts.capacity) this.buckets.delete(k);
    }
    // Still full of active clients: forget the oldest rather than grow without bound.
    if (this.buckets.size >= (this.opts.maxKeys ?? 10_000)) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
