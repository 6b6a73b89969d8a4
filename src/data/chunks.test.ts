import { describe, expect, it } from 'vitest'
import { chunkBlock, chunkImages, MAX_CHUNK_BYTES, MAX_SAMPLES_PER_CHUNK, samplesPerChunk } from './chunks.ts'
import { makeBlock, samplesPerBlock } from './task-block.ts'
import type { ImageTask } from './task.ts'
import type { LabelledImages } from './labelled-images.ts'

const images = (count: number, height: number, width: number): LabelledImages => ({ count, height, width, classes: 2, pixels: new Uint8Array(count * height * width), labels: new Uint8Array(count) })

describe('chunk sizes', () => {
  it('fits as many samples as one block holds, pixels and a label each, after the header', () => {
    expect(samplesPerChunk({ height: 28, width: 28 })).toBe(MAX_SAMPLES_PER_CHUNK)
    // (2^20 - 16) / (64·64 + 1) = 255.9…: 255 fit, 256 would not.
    expect(samplesPerChunk({ height: 64, width: 64 })).toBe(255)
    expect(samplesPerChunk({ height: 2048, width: 2048 })).toBe(1)
  })

  it('takes a chunk that fills its block to the byte and refuses one sample more', async () => {
    // 16 samples of 2×32767 pixels and a label, plus the 16-byte header, are exactly 2^20 bytes.
    const set = images(17, 2, 32767)
    const chunks = await chunkImages(set, 16)
    expect(chunks.map((c) => [c.samples, c.bytes.length])).toEqual([[16, MAX_CHUNK_BYTES], [1, 16 + 65535]])
    await expect(chunkImages(set, 17)).rejects.toThrow(new RangeError(`17 samples per chunk do not fit in one ${MAX_CHUNK_BYTES}-byte block`))
    const wide = images(256, 64, 64)
    expect((await chunkImages(wide, 255))[0]!.bytes.length).toBe(16 + 255 * 4097)
    await expect(chunkImages(wide, 256)).rejects.toThrow(RangeError)
  })
})

describe('task chunks', () => {
  const task: ImageTask = { kind: 'image', height: 64, width: 64, channels: 3, classes: ['a', 'b'], fit: 'crop', normalisation: { mean: 0, std: 1 } }
  const block = (count: number) => makeBlock(task, new Uint8Array(count * 3 * 64 * 64), new Uint8Array(count))

  it('holds what was asked per chunk, never more than a block holds, and no empty chunk at the end', async () => {
    const cap = samplesPerBlock(task)
    expect(cap).toBe(85)
    expect((await chunkBlock(task, block(20), 10)).map((c) => c.samples)).toEqual([10, 10])
    expect((await chunkBlock(task, block(21), 10)).map((c) => c.samples)).toEqual([10, 10, 1])
    // Asking for more than a block holds gets blocks of what one holds, each within the block limit.
    const big = await chunkBlock(task, block(cap + 1), 1000)
    expect(big.map((c) => c.samples)).toEqual([cap, 1])
    expect(big[0]!.bytes.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES)
  })

  it('refuses chunks of no samples or part of one', async () => {
    await expect(chunkBlock(task, block(2), 0)).rejects.toThrow('a chunk holds at least one sample, not 0')
    await expect(chunkBlock(task, block(2), 1.5)).rejects.toThrow('a chunk holds at least one sample, not 1.5')
    expect((await chunkBlock(task, block(2), 1)).map((c) => c.samples)).toEqual([1, 1])
  })
})

