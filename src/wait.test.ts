import { describe, expect, it } from 'vitest'
import { backoffMs, Paced, sleep, Wake } from './wait.ts'

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

  it('a paced task runs at once, then at most once per gap however often it is asked for', async () => {
    const runs: number[] = []
    const started = Date.now()
    const paced = new Paced(100, () => runs.push(Date.now() - started))
    const asking = setInterval(() => paced.request(), 5)
    await sleep(450)
    clearInterval(asking)
    paced.stop()
    expect(runs[0]).toBeLessThan(50)
    expect(runs.length).toBeGreaterThanOrEqual(3)
    expect(runs.length).toBeLessThanOrEqual(5)
    for (let i = 1; i < runs.length; i++) expect(runs[i]! - runs[i - 1]!).toBeGreaterThanOrEqual(95)
  })

  it('a paced request with a delay gathers the requests made meanwhile into one run', async () => {
    let runs = 0
    const paced = new Paced(0, () => runs++)
    for (let i = 0; i < 10; i++) paced.request(30)
    expect(runs).toBe(0)
    await sleep(60)
    expect(runs).toBe(1)
  })
})
