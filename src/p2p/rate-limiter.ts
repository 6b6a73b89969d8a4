// Token buckets keyed by peer (and topic): a burst allowance refilled at a steady rate. The number of keys
// is capped, so a flood of fresh identities costs a bounded amount of memory: past the cap the least
// recently used key is forgotten, which only ever forgives a peer, never blocks one.

export interface RateLimit {
  /** Tokens a quiet key starts with: how many messages may arrive back to back. */
  burst: number
  perSecond: number
}

interface Bucket {
  tokens: number
  atMs: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly maxKeys: number
  private readonly now: () => number

  constructor(options: { maxKeys: number; now?: () => number }) {
    this.maxKeys = options.maxKeys
    this.now = options.now ?? Date.now
  }

  /** Takes one token from `key`'s bucket; false when it is empty (the message is over the limit). */
  take(key: string, limit: RateLimit): boolean {
    const nowMs = this.now()
    const bucket = this.buckets.get(key)
    let tokens = limit.burst
    if (bucket !== undefined) {
      tokens = Math.min(limit.burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * limit.perSecond)
      // Re-inserting moves the key to the end of the Map's order: the front is least recently used.
      this.buckets.delete(key)
    } else if (this.buckets.size >= this.maxKeys) {
      this.buckets.delete(this.buckets.keys().next().value!)
    }
    const allowed = tokens >= 1
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, atMs: nowMs })
    return allowed
  }

  get size(): number {
    return this.buckets.size
  }
}
