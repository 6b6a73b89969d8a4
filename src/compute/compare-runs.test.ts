import { describe, expect, it } from 'vitest'
import { compareRuns } from './compare-runs.ts'

describe('compareRuns', () => {
  it('reports the worst parameter and loss disagreement', () => {
    const b = { params: { w: Float32Array.from([3, 4]), v: Float32Array.from([1, 0]) }, losses: [2, 1] }
    const a = { params: { w: Float32Array.from([3, 4.5]), v: Float32Array.from([1, 0]) }, losses: [2, 1.1] }
    const result = compareRuns(a, b)
    expect(result.worstParam).toBe('w')
    expect(result.maxParamRelativeL2).toBeCloseTo(0.1, 6)
    expect(result.maxLossRelative).toBeCloseTo(0.1, 6)
  })

  it('never agrees with an engine that computed NaN', () => {
    const b = { params: { w: Float32Array.from([3, 4]), v: Float32Array.from([1, 0]) }, losses: [2, 1] }
    const a = { params: { w: Float32Array.from([3, 4]), v: Float32Array.from([Number.NaN, 0]) }, losses: [2, Number.NaN] }
    expect(compareRuns(a, b)).toEqual({ maxParamRelativeL2: Infinity, worstParam: 'v', maxLossRelative: Infinity })
  })

  it('refuses to compare runs of different shapes', () => {
    expect(() => compareRuns({ params: { w: new Float32Array(1) }, losses: [] }, { params: { w: new Float32Array(2) }, losses: [] })).toThrow(/different size/)
    expect(() => compareRuns({ params: {}, losses: [1] }, { params: {}, losses: [] })).toThrow(/took 1 and 0 steps/)
  })
})
