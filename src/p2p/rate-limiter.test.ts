import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limiter.ts'

describe('rate limiter', () => {
  it('allows a burst, then the refill rate, per key', () => {
    let nowMs = 0
    const limiter = new RateLimiter({ maxKeys: 10, now: () => nowMs })
    const limit = { burst: 3, perSecond: 2 }
    expect([1, 2, 3, 4].map(() => limiter.take('a', limit))).toEqual([true, true, true, false])
    expect(limiter.take('b', limit)).toBe(true)
    nowMs = 499
    expect(limiter.take('a', limit)).toBe(false)
    nowMs = 500
    expect(limiter.take('a', limit)).toBe(true)
    expect(limiter.take('a', limit)).toBe(false)
    // A long silence refills to the burst, never beyond it.
    nowMs = 60_000
    expect([1, 2, 3, 4].map(() => limiter.take('a', limit))).toEqual([true, true, true, false])
  })

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const limiter = new RateLimiter({ maxKeys: 100, now: () => 0 })
    const limit = { burst: 1, perSecond: 0 }
    expect(limiter.take('hot', limit)).toBe(true)
    for (let i = 0; i < 99; i++) limiter.take(`fresh-${i}`, limit)
    expect(limiter.take('hot', limit)).toBe(false)
    for (let i = 0; i < 10_000; i++) limiter.take(`sybil-${i}`, limit)
    expect(limiter.size).toBe(100)
  })
})
