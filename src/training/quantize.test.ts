import { describe, expect, it } from 'vitest'
import { decodeDelta, dequantize, encodeDelta, quantizeInt8 } from './quantize.ts'
import { seededRandom } from '../random.ts'

function randomVector(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed)
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale)
}

describe('int8 block quantisation', () => {
  it('round-trips through bytes with error at most half a step per block', () => {
    for (const [n, block] of [[1000, 256], [257, 256], [5, 1], [4096, 64]] as const) {
      const v = randomVector(n, n, 0.01)
      const q = quantizeInt8(v, block)
      const back = dequantize(decodeDelta(encodeDelta(q), n))
      for (let i = 0; i < n; i++) {
        const b = Math.floor(i / block)
        expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(q.scales[b]! / 2 + 1e-9)
      }
    }
  })

  it('keeps zero blocks exact and costs about one byte per value', () => {
    const v = new Float32Array(512)
    v[300] = 1
    const q = quantizeInt8(v, 256)
    expect(q.scales[0]).toBe(0)
    expect(dequantize(q)[300]).toBeCloseTo(1, 6)
    expect(encodeDelta(q).length).toBe(12 + 2 * 4 + 512)
  })

  it('rejects truncated, foreign, oversized and non-finite encodings with a reason', () => {
    const bytes = encodeDelta(quantizeInt8(randomVector(300, 1), 128))
    expect(() => decodeDelta(bytes.subarray(0, 8))).toThrow(/shorter than/)
    expect(() => decodeDelta(bytes.subarray(0, bytes.length - 1))).toThrow(/need/)
    const wrongMagic = bytes.slice()
    wrongMagic[0] = 0
    expect(() => decodeDelta(wrongMagic)).toThrow(/magic/)
    expect(() => decodeDelta(bytes, 301)).toThrow(/the model has 301/)
    const huge = bytes.slice()
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true)
    expect(() => decodeDelta(huge)).toThrow(/over the limit/)
    const nan = bytes.slice()
    new DataView(nan.buffer).setFloat32(12, NaN, true)
    expect(() => decodeDelta(nan)).toThrow(/finite/)
  })
})
