// A data shard as one content-addressed block: a fixed header and raw uint8 pixels and labels. Small enough
// for the block exchange (a few hundred KiB), and checked field by field on the way in, because a shard
// arrives from a peer.
import { DataFormatError } from './errors.ts'
import type { LabelledImages } from './labelled-images.ts'

const MAGIC = 0x31485354 // "TSH1"
export const SHARD_HEADER_BYTES = 16
const HEADER = SHARD_HEADER_BYTES
/** A shard is one block on the exchange. */
export const MAX_SHARD_BYTES = 2 ** 20

export function encodeShard(set: LabelledImages, start: number, count: number): Uint8Array {
  const size = set.height * set.width
  const bytes = new Uint8Array(HEADER + count * size + count)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, count, true)
  view.setUint16(8, set.height, true)
  view.setUint16(10, set.width, true)
  view.setUint16(12, set.classes, true)
  bytes.set(set.pixels.subarray(start * size, (start + count) * size), HEADER)
  bytes.set(set.labels.subarray(start, start + count), HEADER + count * size)
  return bytes
}

export function decodeShard(bytes: Uint8Array, name = 'shard'): LabelledImages {
  if (bytes.length > MAX_SHARD_BYTES) throw new DataFormatError(name, `is ${bytes.length} bytes, over the ${MAX_SHARD_BYTES}-byte shard limit`)
  if (bytes.length < HEADER) throw new DataFormatError(name, `is ${bytes.length} bytes, shorter than its ${HEADER}-byte header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw new DataFormatError(name, 'wrong magic number (not a Tesserae data shard)')
  const count = view.getUint32(4, true)
  const height = view.getUint16(8, true)
  const width = view.getUint16(10, true)
  const classes = view.getUint16(12, true)
  if (count === 0 || height === 0 || width === 0 || classes < 2) throw new DataFormatError(name, `has an empty dimension (count ${count}, ${height}×${width}, ${classes} classes)`)
  const expected = HEADER + count * height * width + count
  if (bytes.length !== expected) throw new DataFormatError(name, `is ${bytes.length} bytes; ${count} images of ${height}×${width} need ${expected}`)
  const pixels = bytes.slice(HEADER, HEADER + count * height * width)
  const labels = bytes.slice(HEADER + count * height * width)
  const bad = labels.findIndex((l) => l >= classes)
  if (bad !== -1) throw new DataFormatError(name, `sample ${bad} has label ${labels[bad]}, outside the ${classes} classes`)
  return { count, height, width, pixels, labels, classes }
}

/** Concatenates shards that share a shape, in order: a unit's sample indices address this. */
export function concatShards(shards: LabelledImages[]): LabelledImages {
  const first = shards[0]
  if (!first) throw new DataFormatError('unit data', 'has no shards')
  for (const s of shards) {
    if (s.height !== first.height || s.width !== first.width || s.classes !== first.classes) throw new DataFormatError('unit data', `mixes ${first.height}×${first.width}/${first.classes}-class shards with ${s.height}×${s.width}/${s.classes}`)
  }
  if (shards.length === 1) return first
  const count = shards.reduce((n, s) => n + s.count, 0)
  const pixels = new Uint8Array(count * first.height * first.width)
  const labels = new Uint8Array(count)
  let at = 0
  for (const s of shards) {
    pixels.set(s.pixels, at * first.height * first.width)
    labels.set(s.labels, at)
    at += s.count
  }
  return { count, height: first.height, width: first.width, pixels, labels, classes: first.classes }
}
