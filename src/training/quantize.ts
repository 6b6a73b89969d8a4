// Int8 block quantisation of deltas: each block of values shares one float32 scale (max |v| / 127), so a
// delta costs about one byte per parameter on the wire instead of four. Rounding is to nearest, which keeps
// the quantisation error unbiased enough for averaging across volunteers.
import { DecodeError } from '../errors.ts'

export const DEFAULT_QUANT_BLOCK = 256
const MAGIC = 0x31445154 // "TQD1" little-endian
const HEADER_BYTES = 12
/** A delta never has more values than this (≈ 268M parameters); anything larger is hostile or corrupt. */
export const MAX_DELTA_VALUES = 1 << 28

export interface QuantizedDelta {
  length: number
  blockSize: number
  scales: Float32Array
  values: Int8Array
}

export function quantizeInt8(delta: Float32Array, blockSize = DEFAULT_QUANT_BLOCK): QuantizedDelta {
  const blocks = Math.ceil(delta.length / blockSize)
  const scales = new Float32Array(blocks)
  const values = new Int8Array(delta.length)
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize
    const end = Math.min(start + blockSize, delta.length)
    let max = 0
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(delta[i]!))
    const scale = max / 127
    scales[b] = scale
    if (scale === 0) continue
    const inv = 1 / scale
    for (let i = start; i < end; i++) values[i] = Math.max(-127, Math.min(127, Math.round(delta[i]! * inv)))
  }
  return { length: delta.length, blockSize, scales, values }
}

export function dequantize(q: QuantizedDelta, out = new Float32Array(q.length)): Float32Array {
  const { blockSize, scales, values } = q
  for (let b = 0; b < scales.length; b++) {
    const scale = scales[b]!
    const end = Math.min((b + 1) * blockSize, q.length)
    for (let i = b * blockSize; i < end; i++) out[i] = values[i]! * scale
  }
  return out
}

export function encodedDeltaBytes(length: number, blockSize: number): number {
  return HEADER_BYTES + Math.ceil(length / blockSize) * 4 + length
}

/** Layout: magic u32, length u32, blockSize u32, scales f32[blocks], values i8[length]; little-endian. */
export function encodeDelta(q: QuantizedDelta): Uint8Array {
  const bytes = new Uint8Array(encodedDeltaBytes(q.length, q.blockSize))
  const view = new DataView(bytes.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, q.length, true)
  view.setUint32(8, q.blockSize, true)
  for (let b = 0; b < q.scales.length; b++) view.setFloat32(HEADER_BYTES + 4 * b, q.scales[b]!, true)
  bytes.set(new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.byteLength), HEADER_BYTES + 4 * q.scales.length)
  return bytes
}

export function decodeDelta(bytes: Uint8Array, expectedLength?: number): QuantizedDelta {
  const what = 'delta'
  if (bytes.length < HEADER_BYTES) throw new DecodeError(what, `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw new DecodeError(what, 'wrong magic number (not a Tesserae int8 delta)')
  const length = view.getUint32(4, true)
  const blockSize = view.getUint32(8, true)
  if (length > MAX_DELTA_VALUES) throw new DecodeError(what, `${length} values is over the limit of ${MAX_DELTA_VALUES}`)
  if (expectedLength !== undefined && length !== expectedLength) throw new DecodeError(what, `has ${length} values, the model has ${expectedLength}`)
  if (blockSize < 1 || blockSize > 1 << 20) throw new DecodeError(what, `block size ${blockSize} is out of range`)
  const expected = encodedDeltaBytes(length, blockSize)
  if (bytes.length !== expected) throw new DecodeError(what, `is ${bytes.length} bytes, ${length} values in blocks of ${blockSize} need ${expected}`)
  const blocks = Math.ceil(length / blockSize)
  const scales = new Float32Array(blocks)
  for (let b = 0; b < blocks; b++) {
    const scale = view.getFloat32(HEADER_BYTES + 4 * b, true)
    if (!Number.isFinite(scale) || scale < 0) throw new DecodeError(what, `scale ${b} is ${scale}; scales must be finite and non-negative`)
    scales[b] = scale
  }
  // A copy through the view's own offset: a Node Buffer's slice() shares its pool's memory, so `.buffer` of
  // a slice is not these bytes (a delta read off a libp2p stream arrived as garbage that way).
  const values = new Int8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES + 4 * blocks, length).slice()
  return { length, blockSize, scales, values }
}
