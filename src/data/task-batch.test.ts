// A training batch of text reads each window from an offset drawn from the step's salt, continuing into the
// next window of the same stream; evaluation (no salt) reads the windows as stored.
import { describe, expect, it } from 'vitest'
import { taskBatch, shiftedWindow } from './task-batch.ts'
import { textBlock } from './task-samples.ts'
import type { TaskBlock } from './task-block.ts'
import type { TaskSpec } from './task.ts'
import { UNKNOWN } from './text.ts'

const vocab = [UNKNOWN, ...'abcdefghij']
const task: TaskSpec = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab, context: 4 } }
// The stream 1 2 3 … 10 1 2 3 … as windows of 5 tokens every 4: [1..5], [5..9], [9,10,1,2,3], …
const stream = Uint16Array.from({ length: 23 }, (_, i) => (i % 10) + 1)
const block = textBlock(task, { tokens: stream, characters: stream.length, sources: [] })
const decode = (x: Float32Array, rows: number) => Array.from({ length: rows * 4 }, (_, p) => x.subarray(p * vocab.length, (p + 1) * vocab.length).indexOf(1))

describe('text windows at drawn offsets', () => {
  it('reads a window from any offset on into the next one, as the stream runs', () => {
    expect(block.count).toBe(5)
    for (let i = 0; i + 1 < block.count; i++) {
      for (let offset = 0; offset < 4; offset++) expect(Array.from(shiftedWindow(block, i, offset))).toEqual(Array.from(stream.subarray(4 * i + offset, 4 * i + offset + 5)))
    }
  })

  it('reads a window as stored where the next one does not continue it: the last, or a seam between joined shards', () => {
    expect(Array.from(shiftedWindow(block, 4, 3))).toEqual(Array.from(stream.subarray(16, 21)))
    // Windows 0 and 2 joined (as a unit joins its shards): 0's last token (5) is not 2's first (9).
    const joined: TaskBlock = { count: 2, perSample: 5, x: Uint16Array.of(...block.x.subarray(0, 5), ...block.x.subarray(10, 15)), y: null }
    expect(Array.from(shiftedWindow(joined, 0, 2))).toEqual([1, 2, 3, 4, 5])
  })

  it('draws the offsets from the salt: the same salt gives the same batch, another salt another, none the stored windows', () => {
    const indices = Uint32Array.of(0, 1, 2, 3, 0, 1, 2, 3)
    const stored = taskBatch(task, block, indices)
    expect(decode(stored.x, 8).slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const a = taskBatch(task, block, indices, undefined, 7)
    expect(taskBatch(task, block, indices, undefined, 7)).toEqual(a)
    expect(taskBatch(task, block, indices, undefined, 8)).not.toEqual(a)
    expect(a).not.toEqual(stored)
    // Every row is a run of the stream and its targets are the run moved on by one.
    const xs = decode(a.x, 8)
    const ys = decode(a.y, 8)
    for (let r = 0; r < 8; r++) {
      const row = xs.slice(r * 4, r * 4 + 4)
      const first = row[0]!
      expect(row).toEqual([0, 1, 2, 3].map((k) => ((first - 1 + k) % 10) + 1))
      expect(ys.slice(r * 4, r * 4 + 4)).toEqual([1, 2, 3, 4].map((k) => ((first - 1 + k) % 10) + 1))
    }
  })

  it('leaves pictures and table rows alone', () => {
    const image: TaskSpec = { kind: 'image', height: 1, width: 2, channels: 1, classes: ['a', 'b'], normalisation: { mean: 0, std: 1 } } as TaskSpec
    const pictures: TaskBlock = { count: 2, perSample: 2, x: Uint8Array.of(0, 255, 255, 0), y: Uint8Array.of(0, 1) }
    expect(taskBatch(image, pictures, [1, 0], undefined, 5)).toEqual(taskBatch(image, pictures, [1, 0]))
  })
})
