// Inputs typed or dropped on the use page are encoded as training encoded samples, and outputs are read back
// as class probabilities or a value in the label's units.
import { describe, expect, it } from 'vitest'
import { pictureBlock, promptTokens, readPrediction, rowBlock } from './task-input.ts'
import { taskBatch } from './task-batch.ts'
import { UNKNOWN } from './text.ts'
import type { ImageTask, TabularTask } from './task.ts'

const TABLE: TabularTask = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'size', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'green'] }], label: 'kind', target: { kind: 'classification', classes: ['a', 'b', 'c'] } },
  stats: { features: [{ mean: 10, std: 2 }, null] },
  target: null,
}

describe('inputs on the use page', () => {
  it('a typed row: numbers and categories as training read them, missing values by the same rule, bad ones named', () => {
    expect(Array.from(taskBatch(TABLE, rowBlock(TABLE, { size: '14', colour: 'green' }), [0]).x)).toEqual([2, 0, 1])
    expect(Array.from(taskBatch(TABLE, rowBlock(TABLE, { size: '', colour: 'NA' }), [0]).x)).toEqual([0, 0, 0])
    expect(Array.from(taskBatch(TABLE, rowBlock(TABLE, {}), [0]).x)).toEqual([0, 0, 0])
    expect(() => rowBlock(TABLE, { size: 'ten' })).toThrow('"size" "ten" is not a number')
    expect(() => rowBlock(TABLE, { colour: 'blue' })).toThrow('"colour" "blue" is not one of its categories (red, green)')
  })

  it('a dropped picture fitted by the task\'s rule', () => {
    const task: ImageTask = { kind: 'image', height: 4, width: 4, channels: 3, classes: ['x', 'y'], fit: 'stretch', normalisation: { mean: 0, std: 1 } }
    const block = pictureBlock(task, { width: 2, height: 2, data: Uint8Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 255 : i % 4 === 3 ? 255 : 0)) })
    expect(Array.from(block.x.subarray(0, 16))).toEqual(new Array(16).fill(255))
    expect(Array.from(block.x.subarray(16))).toEqual(new Array(32).fill(0))
  })

  it('a prompt: padded with spaces to the context, cut to its last context tokens, unknown characters as token 0', () => {
    const schema = { kind: 'text' as const, tokens: 'characters' as const, vocab: [UNKNOWN, ' ', 'a', 'b'], context: 4 }
    expect(Array.from(promptTokens(schema, 'ab'))).toEqual([1, 1, 2, 3])
    expect(Array.from(promptTokens(schema, 'abzab'))).toEqual([3, 0, 2, 3])
    expect(Array.from(promptTokens({ ...schema, vocab: [UNKNOWN, 'a'] }, 'a'))).toEqual([0, 0, 0, 1])
    expect(Array.from(promptTokens({ kind: 'text', tokens: 'bytes', vocab: [], context: 3 }, 'é'))).toEqual([32, 0xc3, 0xa9])
  })

  it('outputs as class probabilities, most likely first, or as a value in the label\'s units', () => {
    const p = readPrediction(TABLE, [0, Math.log(3), 0])
    expect(p).toEqual({ kind: 'classes', classes: [{ name: 'b', probability: 0.6 }, { name: 'a', probability: 0.2 }, { name: 'c', probability: 0.2 }].map((c) => ({ ...c, probability: expect.closeTo(c.probability, 12) })) })
    const price: TabularTask = { ...TABLE, schema: { ...TABLE.schema, label: 'price', target: { kind: 'regression' } }, target: { mean: 100, std: 20 } }
    expect(readPrediction(price, [-0.5])).toEqual({ kind: 'value', value: 90, label: 'price' })
    expect(() => readPrediction({ kind: 'text', schema: { kind: 'text', tokens: 'bytes', vocab: [], context: 3 } }, [0])).toThrow('a text model writes tokens')
  })
})
