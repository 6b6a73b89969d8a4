import { describe, expect, it } from 'vitest'
import { Throttle } from './throttle.ts'

describe('throttle', () => {
  it('rests so that work takes the requested share of time', () => {
    expect(Throttle.restMs(100, 1)).toBe(0)
    expect(Throttle.restMs(100, 0.5)).toBe(100)
    expect(Throttle.restMs(30, 0.25)).toBe(90)
  })

  it('sleeps for the rest period and holds while paused until resumed', async () => {
    const slept: number[] = []
    const throttle = new Throttle({ sleep: async (ms) => void slept.push(ms) })
    throttle.set(0.5, false)
    await throttle.afterWork(40)
    expect(slept).toEqual([40])

    throttle.set(1, true)
    let released = false
    const waiting = throttle.afterWork(10).then(() => (released = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(released).toBe(false)
    throttle.set(1, false)
    await waiting
    expect(released).toBe(true)
  })

  it('rejects a duty cycle outside (0, 1]', () => {
    const throttle = new Throttle({ sleep: async () => {} })
    expect(() => throttle.set(0, false)).toThrow(/duty cycle/)
    expect(() => throttle.set(1.5, false)).toThrow(/duty cycle/)
  })
})
