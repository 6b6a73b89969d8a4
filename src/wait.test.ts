import { describe, expect, it } from 'vitest'
import { backoffMs, sleep, Wake } from './wait.ts'

describe('waiting', () => {
  it('a wake releases a long wait at once, and an abort does too', async () => {
    const wake = new Wake()
    const started = Date.now()
    const waiting = wake.wait(60_000)
    setTimeout(() => wake.wake(), 10)
    await waiting
    const controller = new AbortController()
    const aborted = wake.wait(60_000, controller.signal)
    controller.abort()
    await aborted
    await sleep(60_000, controller.signal)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('a wait without a wake ends at its timeout', async () => {
    const started = Date.now()
    await new Wake().wait(30)
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })

  it('backs off by doubling up to the cap', () => {
    const policy = { firstMs: 1000, maxMs: 5000 }
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, policy))).toEqual([1000, 2000, 4000, 5000, 5000])
  })
})
