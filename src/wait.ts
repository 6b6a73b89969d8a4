// Leaf utility for retries: the capped exponential backoff every retry uses.

export interface Backoff {
  firstMs: number
  maxMs: number
}

/** The wait before retry number `failures` (1 for the first retry): doubling from `firstMs`, capped at `maxMs`. */
export function backoffMs(failures: number, { firstMs, maxMs }: Backoff): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1))
}
