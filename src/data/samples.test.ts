import { describe, expect, it } from 'vitest'
import { findDuplicates } from './duplicates.ts'
import { appendSamples, asLabelledImages, classCounts, describeShape, emptySamples, labelResolver, relabel, removeSamples, sameShape, selectSamples, unknownLabel, type SampleSet } from './samples.ts'

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

describe('sample limits', () => {
  it('relabels only to an existing class and only existing samples, at the last of each', () => {
    const s = set([1, 2, 3, 4, 5, 6], [0, 1, 2])
    expect([...relabel(s, [2], 2).labels]).toEqual([0, 1, 2])
    expect([...relabel(s, [0], 2).labels]).toEqual([2, 1, 2])
    for (const bad of [-1, 1.5, 3]) expect(() => relabel(s, [0], bad)).toThrow(`label ${bad} is not one of the 3 classes`)
    for (const bad of [-1, 0.5, 3]) expect(() => relabel(s, [bad], 0)).toThrow(`sample ${bad} does not exist (the dataset has 3)`)
  })

  it('resolves labels by trimmed, case-blind name or by a whole index below the class count', () => {
    const resolve = labelResolver(['T-shirt', 'Trouser', ' Bag '])
    expect(resolve('t-SHIRT')).toBe(0)
    expect(resolve('  trouser ')).toBe(1)
    expect(resolve('bag')).toBe(2)
    expect(resolve('2')).toBe(2)
    expect(resolve(' 02 ')).toBe(2)
    expect(resolve('3')).toBeNull()
    expect(resolve('-1')).toBeNull()
    expect(resolve('1e0')).toBeNull()
    expect(resolve('')).toBeNull()
    expect(unknownLabel('x'.repeat(100), ['a', 'b'])).toBe(`label "${'x'.repeat(60)}" is not a class of this dataset (expected one of "a", "b", or an index 0–1)`)
  })

  it('compares shapes by size and by every class name in order', () => {
    expect(sameShape(shape, { ...shape, classes: [...shape.classes] })).toBe(true)
    expect(sameShape(shape, { ...shape, height: 2 })).toBe(false)
    expect(sameShape(shape, { ...shape, width: 3 })).toBe(false)
    expect(sameShape(shape, { ...shape, classes: ['a', 'b'] })).toBe(false)
    expect(sameShape(shape, { ...shape, classes: ['a', 'c', 'b'] })).toBe(false)
    expect(describeShape(shape)).toBe('1×2 grayscale, 3 classes')
  })

  it('selects samples with their pixels, labels and sources, in the order asked', () => {
    const s = set([1, 2, 3, 4, 5, 6], [0, 1, 2])
    const picked = selectSamples(s, [2, 0])
    expect(picked).toMatchObject({ count: 2, pixels: Uint8Array.of(5, 6, 1, 2), labels: Uint8Array.of(2, 0) })
    expect(picked.sources.map((x) => x.row)).toEqual([3, 1])
    expect(removeSamples(s, [0, 1, 2]).count).toBe(0)
    expect(classCounts({ shape, labels: Uint8Array.of(2, 2, 0) })).toEqual([1, 0, 2])
    expect(appendSamples(emptySamples(shape), s)).toMatchObject({ count: 3, pixels: s.pixels, labels: s.labels })
    expect(asLabelledImages(s)).toEqual({ count: 3, height: 1, width: 2, pixels: s.pixels, labels: s.labels, classes: 3 })
  })
})
