import { describe, expect, it } from 'vitest'
import { assignStages, mergeStage, stageSlices } from './stage-rounds.ts'
import { quantizeInt8, dequantize } from './quantize.ts'
import { buildModel } from '../graph/model-spec.ts'
import { paramsOf } from '../graph/model.ts'
import { numel } from '../graph/shape.ts'
import { paramLayout } from './vector.ts'

describe('stage assignment', () => {
  it('spreads newcomers over the emptiest stages, lowest first', () => {
    expect([...assignStages(['a', 'b', 'c', 'd', 'e'], new Map(), 3)]).toEqual([['a', 0], ['b', 1], ['c', 2], ['d', 0], ['e', 1]])
    expect(assignStages([], new Map(), 3).size).toBe(0)
  })

  it('keeps what each peer held, fills an emptied stage from the fullest one, latest joiner moving', () => {
    // b (stage 1) left: stage 1 is empty while stage 0 has a and d; d joined later, so d moves.
    const previous = new Map([['a', 0], ['b', 1], ['c', 2], ['d', 0]])
    expect(Object.fromEntries(assignStages(['a', 'c', 'd'], previous, 3))).toEqual({ a: 0, c: 2, d: 1 })
    // Nobody to spare: a stage stays empty rather than emptying another.
    expect(Object.fromEntries(assignStages(['a', 'c'], previous, 3))).toEqual({ a: 0, c: 2 })
    // A stage number the job no longer has is assigned afresh.
    expect(Object.fromEntries(assignStages(['x'], new Map([['x', 7]]), 2))).toEqual({ x: 0 })
    // A newcomer goes where it is needed, not where a peer already is.
    expect(Object.fromEntries(assignStages(['a', 'c', 'n'], previous, 3))).toEqual({ a: 0, c: 2, n: 1 })
  })
})

describe('stage slices and merges', () => {
  it('finds each stage\'s contiguous range of the flat vector', () => {
    const model = buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 4 }, { kind: 'tokens', vocab: 10, context: 4 }, 10)
    const layout = paramLayout(model)
    const slices = stageSlices(model, [2, 4], layout)
    expect(slices[0]!.start).toBe(0)
    expect(slices.at(-1)!.end).toBe(layout.total)
    for (let s = 1; s < slices.length; s++) expect(slices[s]!.start).toBe(slices[s - 1]!.end)
    expect(slices[1]!.end - slices[1]!.start).toBe(paramsOf(model, 2, 4).reduce((n, p) => n + numel(p.shape), 0))
  })

  it('averages a group\'s replicas with the job\'s rule, and leaves a group without replicas where it was', () => {
    const a = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i))
    const b = Float32Array.from({ length: 300 }, (_, i) => Math.cos(i))
    const mean = mergeStage('mean', [quantizeInt8(a), quantizeInt8(b)], 300, null, 1)
    const expected = dequantize(quantizeInt8(a)).map((v, i) => (v + dequantize(quantizeInt8(b))[i]!) / 2)
    for (let i = 0; i < 300; i++) expect(mean[i]).toBeCloseTo(expected[i]!, 6)
    expect(mergeStage('median', [], 300, null, 1)).toEqual(new Float32Array(300))
    expect(() => mergeStage('mean', [quantizeInt8(a)], 299, null, 1)).toThrow('a stage delta of 300 values does not fit a stage of 299')
    // A replica far off the others is outvoted by the median.
    const far = a.map((v) => v + 100)
    const median = mergeStage('median', [quantizeInt8(a), quantizeInt8(a), quantizeInt8(far)], 300, null, 1)
    for (let i = 0; i < 300; i += 37) expect(Math.abs(median[i]! - a[i]!)).toBeLessThan(0.02)
  })
})
