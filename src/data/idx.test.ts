import { describe, expect, it } from 'vitest'

import { gzipSync } from 'node:zlib'
import { encodeIdx, parseIdx } from './idx.ts'
import { readIdxPair } from './labelled-images.ts'

import { readFashionFile } from './testing/fashion-files.ts'

function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const bytes = encodeIdx(dims, data)
  bytes[2] = type
  return bytes
}

describe('IDX parser', () => {
  it('reads dimensions and data', () => {
    expect(parseIdx(idx([2, 2], [1, 2, 3, 4]), 'a.idx')).toEqual({ dims: [2, 2], data: new Uint8Array([1, 2, 3, 4]) })
  })

  it('names the file and the problem for every malformed input', () => {
    expect(() => parseIdx(new Uint8Array([0, 0]), 'short.idx')).toThrow('short.idx is 2 bytes long, too short for an IDX header')
    expect(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'magic.idx')).toThrow(/magic.idx is not an IDX file/)
    expect(() => parseIdx(gzipSync(idx([1], [1])), 'x.gz')).toThrow(/looks gzip-compressed/)
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), 'float.idx')).toThrow(/element type float/)
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 7]), 'rank.idx')).toThrow(/declares 7 dimensions/)
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1]), 'hdr.idx')).toThrow(/truncated inside its header/)
    expect(() => parseIdx(idx([2, 3], [1, 2, 3]), 'trunc.idx')).toThrow('trunc.idx is truncated: the header promises 2 × 3 = 6 values but only 3 bytes follow')
    expect(() => parseIdx(idx([1], [1, 2]), 'extra.idx')).toThrow(/1 unexpected bytes/)
    expect(() => parseIdx(idx([0, 2], []), 'empty.idx')).toThrow(/empty dimension/)
  })

  it('pairs images with labels and rejects mismatched counts or labels out of range', async () => {
    const images = { bytes: idx([2, 1, 2], [0, 255, 10, 20]), name: 'img.idx' }
    const pair = await readIdxPair(images, { bytes: gzipSync(idx([2], [3, 9])), name: 'lab.idx.gz' })
    expect(pair).toMatchObject({ count: 2, height: 1, width: 2, classes: 10 })
    await expect(readIdxPair(images, { bytes: idx([3], [1, 2, 3]), name: 'lab.idx' })).rejects.toThrow('lab.idx has 3 labels but img.idx has 2 images')
    await expect(readIdxPair(images, { bytes: idx([2], [1, 12]), name: 'lab.idx' })).rejects.toThrow(/row 1 has label 12/)
    await expect(readIdxPair(images, { bytes: new Uint8Array([0x1f, 0x8b, 1, 2, 3]), name: 'bad.gz' })).rejects.toThrow(/bad.gz is not valid gzip data/)
  })

  it('reads the real Fashion-MNIST test set and rejects a truncated copy of it', async () => {
    const images = { bytes: await readFashionFile('t10k-images-idx3-ubyte.gz'), name: 't10k-images-idx3-ubyte.gz' }
    const labels = { bytes: await readFashionFile('t10k-labels-idx1-ubyte.gz'), name: 't10k-labels-idx1-ubyte.gz' }
    const set = await readIdxPair(images, labels)
    expect(set).toMatchObject({ count: 10_000, height: 28, width: 28 })
    expect(new Set(set.labels).size).toBe(10)
    const raw = gzipSync(new Uint8Array(await new Response(new Blob([images.bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()).subarray(0, 50_000))
    await expect(readIdxPair({ bytes: raw, name: 'cut.gz' }, labels)).rejects.toThrow(/cut.gz is truncated/)
  })
})

describe('IDX limits', () => {
  it('reads ranks 1 to 4 and refuses 0 and 5', () => {
    for (let rank = 1; rank <= 4; rank++) expect(parseIdx(idx(Array(rank).fill(1), [7]), 'r.idx').dims).toHaveLength(rank)
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 0), 'r0.idx')).toThrow('r0.idx declares 0 dimensions; expected 1 to 4')
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 5, ...new Array(20).fill(0)), 'r5.idx')).toThrow('r5.idx declares 5 dimensions; expected 1 to 4')
  })

  it('reads a 4-byte prefix as a header start and refuses 3 bytes; names each foreign element type', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0, 8), 'three.idx')).toThrow('three.idx is 3 bytes long, too short for an IDX header')
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 1), 'four.idx')).toThrow('four.idx is truncated inside its header (4 of 8 bytes)')
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0), 'seven.idx')).toThrow('(7 of 8 bytes)')
    for (const [type, name] of [[0x09, 'byte'], [0x0b, 'short'], [0x0c, 'int'], [0x0d, 'float'], [0x0e, 'double'], [0x42, '0x42']] as const) {
      expect(() => parseIdx(idx([1], [0], type), 't.idx')).toThrow(`t.idx has element type ${name}; only unsigned bytes (0x08) are supported`)
    }
    expect(() => parseIdx(Uint8Array.of(0, 1, 8, 1, 0, 0, 0, 1, 5), 'b.idx')).toThrow('b.idx is not an IDX file (the first two bytes are 0x00 0x01, expected 00 00)')
    expect(() => parseIdx(Uint8Array.of(0x1f, 0, 8, 1), 'g.idx')).not.toThrow(/gzip/)
    expect(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 1), 'g.idx')).toThrow('g.idx is not an IDX file (the first two bytes are 0x1f 0x8b, expected 00 00); it looks gzip-compressed')
    // Only both gzip bytes earn the hint.
    for (const start of [[0x05, 0x8b], [0x1f, 0x05]]) expect(() => parseIdx(Uint8Array.of(...start, 8, 1), 'n.idx')).toThrow(/expected 00 00\)$/)
  })

  it('reads big-endian dimensions and takes exactly their product of values', () => {
    const bytes = Uint8Array.of(0, 0, 8, 2, 0, 0, 1, 0, 0, 0, 0, 1, ...new Array(256).fill(9))
    expect(parseIdx(bytes, 'be.idx').dims).toEqual([256, 1])
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 0), 'z.idx')).toThrow('z.idx has an empty dimension (2 × 0)')
    expect(parseIdx(encodeIdx([2, 2], [1, 2, 3, 4]).subarray(0), 'ok.idx').data).toEqual(Uint8Array.of(1, 2, 3, 4))
  })

  it('pairs only 3-dimensional images with 1-dimensional labels, labels 0 to classes − 1', async () => {
    const images = { bytes: idx([2, 1, 1], [1, 2]), name: 'img.idx' }
    const labels = { bytes: idx([2], [0, 9]), name: 'lab.idx' }
    expect((await readIdxPair(images, labels)).labels).toEqual(Uint8Array.of(0, 9))
    await expect(readIdxPair(images, { bytes: idx([2], [0, 10]), name: 'lab.idx' })).rejects.toThrow('lab.idx row 1 has label 10, outside the 10 classes 0–9')
    expect((await readIdxPair(images, { bytes: idx([2], [0, 2]), name: 'lab.idx' }, 3)).classes).toBe(3)
    await expect(readIdxPair(images, { bytes: idx([2], [0, 3]), name: 'lab.idx' }, 3)).rejects.toThrow('outside the 3 classes 0–2')
    await expect(readIdxPair({ bytes: idx([2, 1], [1, 2]), name: 'flat.idx' }, labels)).rejects.toThrow('flat.idx has 2 dimensions; an image file needs 3 (count × height × width)')
    await expect(readIdxPair(images, { bytes: idx([2, 1], [0, 1]), name: 'lab2.idx' })).rejects.toThrow('lab2.idx has 2 dimensions; a label file needs 1')
  })
})
