import { describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { encodeIdx, parseIdx } from './idx.ts'
import { readIdxPair } from './labelled-images.ts'

const FASHION = new URL('../../../shared/datasets/fashion-mnist/', import.meta.url)

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
    const images = { bytes: new Uint8Array(await readFile(new URL('t10k-images-idx3-ubyte.gz', FASHION))), name: 't10k-images-idx3-ubyte.gz' }
    const labels = { bytes: new Uint8Array(await readFile(new URL('t10k-labels-idx1-ubyte.gz', FASHION))), name: 't10k-labels-idx1-ubyte.gz' }
    const set = await readIdxPair(images, labels)
    expect(set).toMatchObject({ count: 10_000, height: 28, width: 28 })
    expect(new Set(set.labels).size).toBe(10)
    const raw = gzipSync(new Uint8Array(await new Response(new Blob([images.bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()).subarray(0, 50_000))
    await expect(readIdxPair({ bytes: raw, name: 'cut.gz' }, labels)).rejects.toThrow(/cut.gz is truncated/)
  })
})
