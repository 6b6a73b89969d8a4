// Data shards arrive from peers: every header field is checked, at its limit, before the bytes are used.
import { describe, expect, it } from 'vitest'
import { concatShards, decodeShard, encodeShard, MAX_SHARD_BYTES, SHARD_HEADER_BYTES } from './shard-block.ts'
import type { LabelledImages } from './labelled-images.ts'

const set = (count: number, height = 2, width = 3, classes = 4): LabelledImages => ({
  count, height, width, classes,
  pixels: Uint8Array.from({ length: count * height * width }, (_, i) => i & 0xff),
  labels: Uint8Array.from({ length: count }, (_, i) => i % classes),
})
const withHeader = (bytes: Uint8Array, offset: number, value: number, bits: 16 | 32) => {
  const b = bytes.slice()
  const view = new DataView(b.buffer)
  if (bits === 16) view.setUint16(offset, value, true)
  else view.setUint32(offset, value, true)
  return b
}

describe('data shard blocks', () => {
  it('round-trips a slice of a set with its header (a fixed vector)', () => {
    const bytes = encodeShard(set(3), 1, 2)
    expect([...bytes.subarray(0, SHARD_HEADER_BYTES)]).toEqual([0x54, 0x53, 0x48, 0x31, 2, 0, 0, 0, 2, 0, 3, 0, 4, 0, 0, 0])
    expect(decodeShard(bytes)).toEqual({ count: 2, height: 2, width: 3, classes: 4, pixels: Uint8Array.from({ length: 12 }, (_, i) => i + 6), labels: Uint8Array.of(1, 2) })
  })

  it('refuses a shard over one block, shorter than its header, or with a foreign magic', () => {
    expect(() => decodeShard(new Uint8Array(MAX_SHARD_BYTES + 1), 's')).toThrow(`s is ${MAX_SHARD_BYTES + 1} bytes, over the ${MAX_SHARD_BYTES}-byte shard limit`)
    // 16 images of 2×32767 and their labels fill one block exactly.
    const biggest = encodeShard(set(16, 2, 32767, 2), 0, 16)
    expect(biggest).toHaveLength(MAX_SHARD_BYTES)
    expect(decodeShard(biggest).count).toBe(16)
    expect(() => decodeShard(new Uint8Array(15), 's')).toThrow('s is 15 bytes, shorter than its 16-byte header')
    // A header alone is read, and refused for what it declares.
    expect(() => decodeShard(encodeShard(set(1), 0, 1).subarray(0, SHARD_HEADER_BYTES), 's')).toThrow(/^s is 16 bytes; 1 images of .* need \d+$/)
    expect(() => decodeShard(withHeader(encodeShard(set(1), 0, 1), 0, 0x31485355, 32), 's')).toThrow('s wrong magic number (not a Tesserae data shard)')
  })

  it('refuses empty dimensions and fewer than two classes', () => {
    const good = encodeShard(set(2), 0, 2)
    expect(() => decodeShard(withHeader(good, 4, 0, 32))).toThrow('has an empty dimension (count 0, 2×3, 4 classes)')
    expect(() => decodeShard(withHeader(good, 8, 0, 16))).toThrow('(count 2, 0×3, 4 classes)')
    expect(() => decodeShard(withHeader(good, 10, 0, 16))).toThrow('(count 2, 2×0, 4 classes)')
    expect(() => decodeShard(withHeader(good, 12, 1, 16))).toThrow('(count 2, 2×3, 1 classes)')
    expect(decodeShard(encodeShard(set(2, 2, 3, 2), 0, 2)).classes).toBe(2)
  })

  it('holds the length to the header exactly and every label below the class count', () => {
    const good = encodeShard(set(2), 0, 2)
    expect(() => decodeShard(good.subarray(0, good.length - 1), 'cut')).toThrow('cut is 29 bytes; 2 images of 2×3 need 30')
    expect(() => decodeShard(Uint8Array.from([...good, 0]), 'long')).toThrow('long is 31 bytes; 2 images of 2×3 need 30')
    const top = good.slice()
    top[top.length - 1] = 3
    expect(decodeShard(top).labels[1]).toBe(3)
    top[top.length - 1] = 4
    expect(() => decodeShard(top, 'lab')).toThrow('lab sample 1 has label 4, outside the 4 classes')
  })

  it('decodes from a view at an offset, and copies what it returns', () => {
    const good = encodeShard(set(2), 0, 2)
    const padded = new Uint8Array(good.length + 8)
    padded.set(good, 5)
    const decoded = decodeShard(padded.subarray(5, 5 + good.length))
    expect(decoded).toEqual(decodeShard(good))
    padded[5 + SHARD_HEADER_BYTES] = 99
    expect(decoded.pixels[0]).toBe(0)
  })

  it('concatenates shards of one shape in order and refuses mixed shapes or none', () => {
    const a = decodeShard(encodeShard(set(2), 0, 2))
    const b = decodeShard(encodeShard(set(3), 1, 2))
    const joined = concatShards([a, b])
    expect(joined.count).toBe(4)
    expect([...joined.labels]).toEqual([0, 1, 1, 2])
    expect(joined.pixels.subarray(12)).toEqual(b.pixels)
    expect(concatShards([a])).toBe(a)
    expect(() => concatShards([])).toThrow('unit data has no shards')
    for (const other of [set(1, 3, 3), set(1, 2, 2), set(1, 2, 3, 5)]) expect(() => concatShards([a, decodeShard(encodeShard(other, 0, 1))])).toThrow(/unit data mixes 2×3\/4-class shards with/)
  })
})
