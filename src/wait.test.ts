import { describe, expect, it } from 'vitest'
import { backoffMs } from './wait.ts'

describe('retry backoff', () => {
  it('backs off by doubling up to the cap', () => {
    const policy = { firstMs: 1000, maxMs: 5000 }
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, policy))).toEqual([1000, 2000, 4000, 5000, 5000])
  })
})
