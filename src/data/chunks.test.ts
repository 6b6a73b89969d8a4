import { describe, expect, it } from 'vitest'
import { chunkImages, MAX_CHUNK_BYTES, MAX_SAMPLES_PER_CHUNK, samplesPerChunk } from './chunks.ts'
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
