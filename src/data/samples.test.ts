import { describe, expect, it } from 'vitest'
import { findDuplicates } from './duplicates.ts'
import { appendSamples, classCounts, relabel, removeSamples, type SampleSet } from './samples.ts'

const shape = { height: 1, width: 2, classes: ['a', 'b', 'c'] }
const set = (pixels: number[], labels: number[]): SampleSet => ({ shape, count: labels.length, pixels: Uint8Array.from(pixels), labels: Uint8Array.from(labels), sources: labels.map((_, i) => ({ file: 'f', row: i + 1 })) })

describe('reviewing samples', () => {
  it('relabels, removes, appends and counts classes without touching other samples', () => {
    const s = set([1, 2, 3, 4, 5, 6], [0, 1, 2])
    const r = relabel(s, [0, 2], 1)
    expect([...r.labels]).toEqual([1, 1, 1])
    expect([...s.labels]).toEqual([0, 1, 2])
    expect(() => relabel(s, [5], 1)).toThrow('sample 5 does not exist')
    expect(() => relabel(s, [0], 3)).toThrow('label 3 is not one of the 3 classes')
    const d = removeSamples(s, [1])
    expect([...d.pixels]).toEqual([1, 2, 5, 6])
    expect(d.sources.map((x) => x.row)).toEqual([1, 3])
    expect(classCounts(appendSamples(s, d))).toEqual([2, 1, 2])
    expect(() => appendSamples(s, { ...d, shape: { ...shape, width: 3 } })).toThrow(/has shape 1×3 grayscale/)
  })

  it('flags exact duplicates and label conflicts, never near-duplicates', () => {
    const s = set([1, 2, 3, 4, 1, 2, 1, 2, 1, 3], [0, 1, 0, 2, 0])
    const d = findDuplicates(s)
    expect([...d.firstCopy]).toEqual([-1, -1, 0, 0, -1])
    expect(d.count).toBe(2)
    expect(d.conflicts).toEqual([3])
  })
})
