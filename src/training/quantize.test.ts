import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeDelta, dequantize, encodedDeltaBytes, encodeDelta, MAX_DELTA_VALUES, quantizeInt8 } from './quantize.ts'
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

  it('refuses a negative or infinite block scale: a negative one would flip the sign of a whole block unseen', () => {
    const bytes = encodeDelta(quantizeInt8(randomVector(300, 2), 128))
    const withScale = (block: number, scale: number) => {
      const b = bytes.slice()
      new DataView(b.buffer).setFloat32(12 + 4 * block, scale, true)
      return b
    }
    expect(() => decodeDelta(withScale(1, -1e-3))).toThrow('delta: scale 1 is -0.0010000000474974513; scales must be finite and non-negative')
    expect(() => decodeDelta(withScale(2, Infinity))).toThrow('scale 2 is Infinity')
    expect(() => decodeDelta(withScale(0, -Infinity))).toThrow('scale 0 is -Infinity')
    // Zero (an all-zero block) and −0 are the same scale and legal.
    expect(decodeDelta(withScale(1, 0)).scales[1]).toBe(0)
    expect(dequantize(decodeDelta(withScale(1, -0))).subarray(128, 256).every((x) => x === 0)).toBe(true)
  })

  it('takes block sizes from 1 to 2^20 and nothing outside', () => {
    const one = encodeDelta(quantizeInt8(randomVector(3, 3), 1))
    expect(decodeDelta(one).blockSize).toBe(1)
    const widest = encodeDelta(quantizeInt8(randomVector(3, 3), 1 << 20))
    expect(decodeDelta(widest)).toMatchObject({ blockSize: 1 << 20, length: 3 })
    const tooWide = widest.slice()
    new DataView(tooWide.buffer).setUint32(8, (1 << 20) + 1, true)
    expect(() => decodeDelta(tooWide)).toThrow(`block size ${(1 << 20) + 1} is out of range`)
    const zero = one.slice()
    new DataView(zero.buffer).setUint32(8, 0, true)
    expect(() => decodeDelta(zero)).toThrow('block size 0 is out of range')
  })

  it('takes a header alone (an empty delta) and refuses anything shorter; the length limit is inclusive', () => {
    const empty = encodeDelta(quantizeInt8(new Float32Array(0)))
    expect(empty).toHaveLength(12)
    expect(decodeDelta(empty)).toMatchObject({ length: 0, scales: new Float32Array(0) })
    expect(() => decodeDelta(empty.subarray(0, 11))).toThrow('delta: 11 bytes is shorter than the 12-byte header')
    const header = (length: number) => {
      const b = empty.slice()
      new DataView(b.buffer).setUint32(4, length, true)
      return b
    }
    // At the limit the length passes and the size check refuses the missing values; one past, the limit does.
    expect(() => decodeDelta(header(MAX_DELTA_VALUES))).toThrow(`need ${encodedDeltaBytes(MAX_DELTA_VALUES, 256)}`)
    expect(() => decodeDelta(header(MAX_DELTA_VALUES + 1))).toThrow(`${MAX_DELTA_VALUES + 1} values is over the limit of ${MAX_DELTA_VALUES}`)
    const bytes = encodeDelta(quantizeInt8(randomVector(300, 1), 128))
    expect(() => decodeDelta(Uint8Array.from([...bytes, 0]))).toThrow('is 325 bytes, 300 values in blocks of 128 need 324')
    expect(decodeDelta(bytes, 300).length).toBe(300)
  })

  it('decodes from a view into a larger buffer without reading outside it', () => {
    const bytes = encodeDelta(quantizeInt8(randomVector(40, 4), 16))
    const padded = new Uint8Array(bytes.length + 20)
    padded.set(bytes, 7)
    const q = decodeDelta(padded.subarray(7, 7 + bytes.length), 40)
    expect(dequantize(q)).toEqual(dequantize(decodeDelta(bytes)))
    // A Node Buffer inside a larger pool (how a libp2p stream hands frames over): its slice() shares the pool.
    const pool = Buffer.alloc(bytes.length + 100, 0x55)
    pool.set(bytes, 33)
    expect(dequantize(decodeDelta(pool.subarray(33, 33 + bytes.length), 40))).toEqual(dequantize(decodeDelta(bytes)))
  })

  it('dequantises into a caller\'s larger buffer without touching anything past the delta\'s length', () => {
    // Scratch buffers are reused across deltas; a write past `length` would corrupt what follows.
    const q = { length: 5, blockSize: 2, scales: Float32Array.of(0.5, 0.25, 2), values: Int8Array.of(1, -2, 4, 8, -1) }
    const out = new Float32Array(8).fill(7)
    expect(dequantize(q, out)).toBe(out)
    expect([...out]).toEqual([0.5, -1, 1, 2, -2, 7, 7, 7])
  })

  it('encodes the documented layout: magic "TQD1", length, block size, scales, values (a fixed vector)', () => {
    const q = { length: 3, blockSize: 2, scales: Float32Array.of(0.5, 0.25), values: Int8Array.of(1, -2, 127) }
    expect([...encodeDelta(q)]).toEqual([0x54, 0x51, 0x44, 0x31, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x3f, 0, 0, 0x80, 0x3e, 1, 0xfe, 127])
    expect(dequantize(q)).toEqual(Float32Array.of(0.5, -1, 31.75))
  })

  it('quantises to nearest with values in [−127, 127] and scale max|v| / 127 per block', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (values, block) => {
        const v = Float32Array.from(values)
        const q = quantizeInt8(v, block)
        expect(q.scales).toHaveLength(Math.ceil(v.length / block))
        for (let b = 0; b < q.scales.length; b++) {
          const slice = v.subarray(b * block, (b + 1) * block)
          expect(q.scales[b]).toBe(Math.fround(Math.max(...slice.map(Math.abs)) / 127))
        }
        const back = dequantize(q)
        for (let i = 0; i < v.length; i++) {
          expect(Math.abs(q.values[i]!)).toBeLessThanOrEqual(127)
          expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(q.scales[Math.floor(i / block)]! * 0.5000001 + 1e-30)
        }
      }),
      { numRuns: 200 },
    )
  })
})
