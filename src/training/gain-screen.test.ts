import { describe, expect, it } from 'vitest'
import { GAIN_FLOOR, GAIN_FRACTION, GAIN_HISTORY_MIN, GAIN_WINDOW, gainScreen, recordGain } from './gain-screen.ts'

describe('the last-batch gain screen', () => {
  it('asks the fixed fraction until enough units were accepted', () => {
    expect(gainScreen(0.1, [])).toBe(0.1)
    expect(gainScreen(0.1, Array(GAIN_HISTORY_MIN - 1).fill(0.004))).toBe(0.1)
    expect(gainScreen(0.1, Array(GAIN_HISTORY_MIN).fill(0.004))).toBeCloseTo(GAIN_FRACTION * 0.004, 12)
  })

  it('asks a fraction of the median recent gain where that median is under the fixed fraction, never less than the floor', () => {
    // Median of an even count is the mean of the middle two; outliers at either end do not move it.
    const recent = [0.001, 0.003, 0.005, 0.007, 0.009, 0.011, 0.5, -0.2]
    expect(gainScreen(0.1, recent)).toBeCloseTo(GAIN_FRACTION * 0.006, 12)
    // Fashion-MNIST's honest units gain 40–60 %: the fixed 10 % stays, as it does with the median exactly at it.
    expect(gainScreen(0.1, Array(GAIN_HISTORY_MIN).fill(0.5))).toBe(0.1)
    expect(gainScreen(0.1, Array(GAIN_HISTORY_MIN).fill(0.1))).toBe(0.1)
    expect(gainScreen(0.1, Array(GAIN_HISTORY_MIN).fill(0.099))).toBeCloseTo(GAIN_FRACTION * 0.099, 12)
    expect(gainScreen(0.1, Array(GAIN_HISTORY_MIN).fill(0))).toBe(GAIN_FLOOR)
    expect(gainScreen(0.1, [...Array(GAIN_HISTORY_MIN).fill(1e-7), 0.01])).toBe(GAIN_FLOOR)
  })

  it('keeps the latest gains only, oldest first, and no non-finite one', () => {
    let recent: number[] | undefined
    for (let i = 0; i < GAIN_WINDOW + 5; i++) recent = recordGain(recent, i)
    expect(recent).toHaveLength(GAIN_WINDOW)
    expect(recent![0]).toBe(5)
    expect(recent!.at(-1)).toBe(GAIN_WINDOW + 4)
    expect(recordGain([1], NaN)).toEqual([1])
    expect(recordGain(undefined, Infinity)).toEqual([])
  })
})
