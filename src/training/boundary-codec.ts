// What crosses a stage boundary for one micro-batch (an activation going forward, or the gradient of one coming
// back) in fewer bytes: float32 as is; fp16 under a scale per row (a row is the last axis: one token's or one
// sample's features), so neither overflows fp16's 65504 nor loses small gradients to underflow; or int8 under
// a scale per row (max |v| / 127). There is no error feedback here as there is for deltas: a residual left over
// from one micro-batch belongs to its own samples, and adding it to the next micro-batch's gradient would send
// it back through the wrong samples' Jacobian.
import { DecodeError, TesseraeError } from '../errors.ts'

export type BoundaryFormat = 'fp32' | 'fp16' | 'int8'
const FORMATS: readonly BoundaryFormat[] = ['fp32', 'fp16', 'int8']
const MAGIC = 0x31425354 // "TSB1" little-endian
const HEADER_BYTES = 16

export interface BoundaryTensor {
  rows: number
  width: number
  values: Float32Array
}

const bytesPer: Record<BoundaryFormat, number> = { fp32: 4, fp16: 2, int8: 1 }

/** The encoded size of `rows` × `width` values in `format`. */
export function boundaryBytes(format: BoundaryFormat, rows: number, width: number): number {
  return HEADER_BYTES + (format === 'fp32' ? 0 : 4 * rows) + bytesPer[format] * rows * width
}

// float32 ↔ float16 bits, rounding to nearest even (values here are within ±32768 by construction).
const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
function toHalf(value: number): number {
  f32[0] = value
  const x = u32[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  let e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0))
  }
  const half = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  const rounded = half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0)
  e = rounded >>> 10
  return sign | (e >= 0x1f ? 0x7c00 : rounded)
}
function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

/** The largest magnitude a scaled fp16 row is mapped onto: exact integers up to 2048, headroom to 65504. */
const HALF_RANGE = 32768

export function encodeBoundary(tensor: BoundaryTensor, format: BoundaryFormat): Uint8Array {
  const { rows, width, values } = tensor
  if (values.length !== rows * width) throw new RangeError(`${values.length} values are not ${rows} rows of ${width}`)
  const out = new Uint8Array(boundaryBytes(format, rows, width))
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, FORMATS.indexOf(format), true)
  view.setUint32(8, rows, true)
  view.setUint32(12, width, true)
  if (format === 'fp32') {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), HEADER_BYTES)
    return out
  }
  const body = HEADER_BYTES + 4 * rows
  for (let r = 0; r < rows; r++) {
    let max = 0
    for (let i = r * width; i < (r + 1) * width; i++) max = Math.max(max, Math.abs(values[i]!))
    // A model that diverged: said as such, not as a transport failure.
    if (!Number.isFinite(max)) throw new TesseraeError('NOT_FINITE', `row ${r} of a stage boundary holds a value that is not finite (the model has diverged)`)
    const scale = max / (format === 'int8' ? 127 : HALF_RANGE)
    view.setFloat32(HEADER_BYTES + 4 * r, scale, true)
    const inv = scale === 0 ? 0 : 1 / scale
    for (let i = r * width; i < (r + 1) * width; i++) {
      if (format === 'int8') view.setInt8(body + i, Math.max(-127, Math.min(127, Math.round(values[i]! * inv))))
      else view.setUint16(body + 2 * i, toHalf(values[i]! * inv), true)
    }
  }
  return out
}

/** Decodes what a peer sent for a boundary of exactly `rows` × `width` values; anything else is refused. */
export function decodeBoundary(bytes: Uint8Array, rows: number, width: number, what: string): BoundaryTensor {
  if (bytes.length < HEADER_BYTES) throw new DecodeError(what, `is ${bytes.length} bytes, shorter than its header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw new DecodeError(what, 'is not a stage boundary tensor')
  const format = FORMATS[view.getUint32(4, true)]
  if (format === undefined) throw new DecodeError(what, `has unknown format ${view.getUint32(4, true)}`)
  if (view.getUint32(8, true) !== rows || view.getUint32(12, true) !== width) throw new DecodeError(what, `is ${view.getUint32(8, true)} × ${view.getUint32(12, true)}, expected ${rows} × ${width}`)
  if (bytes.length !== boundaryBytes(format, rows, width)) throw new DecodeError(what, `is ${bytes.length} bytes, expected ${boundaryBytes(format, rows, width)} for ${format}`)
  const values = new Float32Array(rows * width)
  if (format === 'fp32') {
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(HEADER_BYTES + 4 * i, true)
  } else {
    const body = HEADER_BYTES + 4 * rows
    for (let r = 0; r < rows; r++) {
      const scale = view.getFloat32(HEADER_BYTES + 4 * r, true)
      if (!(Number.isFinite(scale) && scale >= 0)) throw new DecodeError(what, `row ${r} has scale ${scale}`)
      for (let i = r * width; i < (r + 1) * width; i++) values[i] = scale * (format === 'int8' ? view.getInt8(body + i) : fromHalf(view.getUint16(body + 2 * i, true)))
    }
  }
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new DecodeError(what, `value ${i} is not finite`)
  return { rows, width, values }
}
