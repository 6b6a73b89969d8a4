// Stage boundary tensors on the wire: exact in fp32, bounded error in fp16 and int8 (per-row scales), and a
// strict decoder for what a peer sends.
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { boundaryBytes, decodeBoundary, encodeBoundary, type BoundaryFormat } from './boundary-codec.ts'

const random = seededRandom(5)
/** Rows whose scales differ by orders of magnitude, as a gradient's do. */
const rows = 6
const width = 40
const values = Float32Array.from({ length: rows * width }, (_, i) => (random() * 2 - 1) * 10 ** (Math.floor(i / width) - 4))

describe('boundary codec', () => {
  it('keeps fp32 exactly, and bounds each value\'s error by its row\'s largest: fp16 2⁻¹², int8 1/254', () => {
    const bound: Record<BoundaryFormat, number> = { fp32: 0, fp16: 2 ** -12, int8: 1 / 254 }
    for (const format of ['fp32', 'fp16', 'int8'] as const) {
      const bytes = encodeBoundary({ rows, width, values }, format)
      expect(bytes.length).toBe(boundaryBytes(format, rows, width))
      const got = decodeBoundary(bytes, rows, width, 'x').values
      for (let r = 0; r < rows; r++) {
        const row = values.subarray(r * width, (r + 1) * width)
        const max = Math.max(...row.map(Math.abs))
        for (let i = 0; i < width; i++) expect(Math.abs(got[r * width + i]! - row[i]!), `${format} row ${r}`).toBeLessThanOrEqual(bound[format] * max * (1 + 1e-6))
      }
    }
    expect(boundaryBytes('fp16', rows, width) / boundaryBytes('fp32', rows, width)).toBeLessThan(0.6)
    expect(boundaryBytes('int8', rows, width) / boundaryBytes('fp32', rows, width)).toBeLessThan(0.35)
  })

  it('rounds fp16 to nearest even, exactly as IEEE half precision', () => {
    // A row whose largest value is 32768 has scale 1, so the halves are the values themselves.
    const row = Float32Array.from([32768, 1, 2049, 2051, 0.5, -3.25, 2 ** -20, 0, 65504 / 2, 1 + 2 ** -11, 1 + 3 * 2 ** -11])
    const got = decodeBoundary(encodeBoundary({ rows: 1, width: row.length, values: row }, 'fp16'), 1, row.length, 'x').values
    expect([...got]).toEqual([32768, 1, 2048, 2052, 0.5, -3.25, 2 ** -20, 0, 32752, 1, 1 + 2 ** -9])
  })

  it('encodes an all-zero row and refuses values that are not finite', () => {
    const zeros = new Float32Array(8)
    for (const format of ['fp16', 'int8'] as const) expect([...decodeBoundary(encodeBoundary({ rows: 2, width: 4, values: zeros }, format), 2, 4, 'x').values]).toEqual([...zeros])
    expect(() => encodeBoundary({ rows: 1, width: 2, values: Float32Array.from([1, NaN]) }, 'int8')).toThrow(/not finite/)
    expect(() => encodeBoundary({ rows: 2, width: 2, values: new Float32Array(3) }, 'fp16')).toThrow(/not 2 rows of 2/)
  })

  it('refuses a hostile or mistaken tensor with a clear error', () => {
    const good = encodeBoundary({ rows: 2, width: 3, values: Float32Array.from([1, 2, 3, 4, 5, 6]) }, 'int8')
    const mutate = (f: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice()
      f(b, new DataView(b.buffer))
      return b
    }
    const cases: Array<[Uint8Array, RegExp, number?, number?]> = [
      [good.subarray(0, 10), /shorter than its header/],
      [mutate((_, v) => v.setUint32(0, 7, true)), /not a stage boundary tensor/],
      [mutate((_, v) => v.setUint32(4, 9, true)), /unknown format 9/],
      [good, /is 2 × 3, expected 3 × 2/, 3, 2],
      [good.subarray(0, good.length - 1), /bytes, expected/],
      [mutate((_, v) => v.setFloat32(16, NaN, true)), /row 0 has scale NaN/],
      [mutate((_, v) => v.setFloat32(20, -1, true)), /row 1 has scale -1/],
    ]
    for (const [bytes, message, r, w] of cases) expect(() => decodeBoundary(bytes, r ?? 2, w ?? 3, 'stage 1\'s activation')).toThrow(message)
    const inf = encodeBoundary({ rows: 1, width: 2, values: Float32Array.from([1, 2]) }, 'fp16')
    new DataView(inf.buffer).setUint16(20, 0x7c00, true)
    expect(() => decodeBoundary(inf, 1, 2, 'x')).toThrow(/value 0 is not finite/)
  })
})
