// IDX reader (the MNIST / Fashion-MNIST format): big-endian header, magic 0x0000 + type + rank, then one
// uint32 per dimension, then the data. Every way a file can be wrong gets its own message naming the file.
import { DataFormatError } from './errors.ts'

export interface IdxArray {
  dims: number[]
  /** Unsigned bytes (the only element type MNIST-family files use). */
  data: Uint8Array
}

const UBYTE = 0x08
const TYPE_NAMES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' }
export const MAX_IDX_RANK = 4

export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  if (bytes.length < 4) throw new DataFormatError(fileName, `is ${bytes.length} bytes long, too short for an IDX header`)
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new DataFormatError(fileName, `is not an IDX file (the first two bytes are ${hex(bytes[0]!)} ${hex(bytes[1]!)}, expected 00 00)${bytes[0] === 0x1f && bytes[1] === 0x8b ? '; it looks gzip-compressed' : ''}`)
  const type = bytes[2]!
  if (type !== UBYTE) throw new DataFormatError(fileName, `has element type ${TYPE_NAMES[type] ?? hex(type)}; only unsigned bytes (0x08) are supported`)
  const rank = bytes[3]!
  if (rank < 1 || rank > MAX_IDX_RANK) throw new DataFormatError(fileName, `declares ${rank} dimensions; expected 1 to ${MAX_IDX_RANK}`)
  const headerBytes = 4 + 4 * rank
  if (bytes.length < headerBytes) throw new DataFormatError(fileName, `is truncated inside its header (${bytes.length} of ${headerBytes} bytes)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false))
  if (dims.some((d) => d === 0)) throw new DataFormatError(fileName, `has an empty dimension (${dims.join(' × ')})`)
  const expected = dims.reduce((a, b) => a * b, 1)
  const actual = bytes.length - headerBytes
  if (actual < expected) throw new DataFormatError(fileName, `is truncated: the header promises ${dims.join(' × ')} = ${expected} values but only ${actual} bytes follow`)
  if (actual > expected) throw new DataFormatError(fileName, `has ${actual - expected} unexpected bytes after its ${dims.join(' × ')} values`)
  return { dims, data: bytes.subarray(headerBytes) }
}

/** The inverse of parseIdx for unsigned bytes (demo subsets, test fixtures). */
export function encodeIdx(dims: readonly number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length)
  out.set([0, 0, UBYTE, dims.length])
  const view = new DataView(out.buffer)
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  out.set(data, 4 + 4 * dims.length)
  return out
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`
}
