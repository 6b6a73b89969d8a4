// The review's edits on samples of any format: each returns a new set, keeps the sources beside their samples,
// and refuses what the format cannot hold (another format, a class it does not have, a label for text).
import { describe, expect, it } from 'vitest'
import { blockTask, type SampleFormat } from './sample-format.ts'
import { makeBlock } from './task-block.ts'
import { appendTaskSamples, emptyTaskSamples, relabelTaskSamples, removeTaskSamples, taskClassCounts, type TaskSamples } from './task-sample-set.ts'
import { UNKNOWN } from './text.ts'

const IMAGE: SampleFormat = { kind: 'image', height: 4, width: 4, channels: 1, classes: ['a', 'b', 'c'] }
const TEXT: SampleFormat = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'x', 'y'], context: 2 } }
const PRICE: SampleFormat = { kind: 'tabular', schema: { kind: 'tabular', features: [{ name: 'size', kind: 'numeric' }], label: 'price', target: { kind: 'regression' } } }

/** `labels.length` pictures, sample i filled with the value i, from file f.png row i + 1. */
const pictures = (labels: number[], file = 'f.png'): TaskSamples => ({
  format: IMAGE,
  block: makeBlock(blockTask(IMAGE), Uint8Array.from({ length: labels.length * 16 }, (_, i) => Math.floor(i / 16)), Uint8Array.from(labels)),
  sources: labels.map((_, i) => ({ file, row: i + 1 })),
})
const firstValues = (s: TaskSamples) => Array.from({ length: s.block.count }, (_, i) => s.block.x[i * s.block.perSample])

describe('editing samples under review', () => {
  it('appends samples of the same format after the others, and refuses another format by name', () => {
    const both = appendTaskSamples(pictures([0, 1]), pictures([2], 'g.png'))
    expect([both.block.count, Array.from(both.block.y!), both.sources.map((s) => s.file)]).toEqual([3, [0, 1, 2], ['f.png', 'f.png', 'g.png']])
    expect(appendTaskSamples(emptyTaskSamples(IMAGE), pictures([1])).block.count).toBe(1)
    const renamed = { ...pictures([0]), format: { ...IMAGE, classes: ['a', 'b', 'd'] } }
    expect(() => appendTaskSamples(pictures([0]), renamed)).toThrow('f.png names its classes "a", "b", "d", but this dataset\'s are "a", "b", "c"')
    const rgb = { ...pictures([0]), format: { ...IMAGE, channels: 3 as const } }
    expect(() => appendTaskSamples(pictures([0]), rgb)).toThrow('f.png holds 4×4 RGB images, 3 classes, but this dataset holds 4×4 grayscale images, 3 classes')
    const vocab: SampleFormat = { ...TEXT, schema: { ...TEXT.schema, vocab: [UNKNOWN, 'y', 'z'] } }
    expect(() => appendTaskSamples(emptyTaskSamples(TEXT), emptyTaskSamples(vocab))).toThrow('the import holds character-level text, 3 tokens, context 2, but with other columns, categories or vocabulary than this dataset\'s')
    expect(() => appendTaskSamples(emptyTaskSamples(TEXT), { ...emptyTaskSamples(PRICE), sources: [] })).toThrow(/^the import holds table rows of 1 features/)
  })

  it('removes the listed samples and keeps the rest, with their sources, in order', () => {
    const set = pictures([0, 1, 2, 0, 1, 2, 0])
    const rest = removeTaskSamples(set, [0, 2, 3, 6])
    expect([firstValues(rest), Array.from(rest.block.y!), rest.sources.map((s) => s.row)]).toEqual([[1, 4, 5], [1, 1, 2], [2, 5, 6]])
    expect(removeTaskSamples(set, []).block.count).toBe(7)
    expect(removeTaskSamples(set, [0, 1, 2, 3, 4, 5, 6]).block.count).toBe(0)
    expect(() => removeTaskSamples(set, [7])).toThrow('sample 7 does not exist (the dataset has 7)')
    expect(Array.from(set.block.y!)).toEqual([0, 1, 2, 0, 1, 2, 0])
  })

  it('gives listed samples another class, only a class the format has, and counts samples per class', () => {
    const set = pictures([0, 0, 1])
    const moved = relabelTaskSamples(set, [0, 2], 2)
    expect([Array.from(moved.block.y!), taskClassCounts(moved), taskClassCounts(set)]).toEqual([[2, 0, 2], [1, 0, 2], [2, 1, 0]])
    expect(moved.block.x).toBe(set.block.x)
    expect(() => relabelTaskSamples(set, [0], 3)).toThrow('label 3 is not one of the 3 classes')
    expect(() => relabelTaskSamples(set, [3], 1)).toThrow('sample 3 does not exist')
    expect(() => relabelTaskSamples(emptyTaskSamples(TEXT), [], 0)).toThrow('samples of character-level text, 3 tokens, context 2 have no classes to relabel')
    expect(() => relabelTaskSamples(emptyTaskSamples(PRICE), [], 0)).toThrow(/have no classes to relabel/)
    expect([taskClassCounts(emptyTaskSamples(TEXT)), taskClassCounts(emptyTaskSamples(PRICE))]).toEqual([[], []])
  })
})
