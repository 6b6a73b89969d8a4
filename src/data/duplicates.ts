// Exact duplicate detection by content hash: a 64-bit FNV-1a over each sample's pixels groups candidates,
// and candidates are compared byte for byte, so a hash collision can never flag two different images.
import { pixelsPerSample, type SampleSet } from './samples.ts'

export interface Duplicates {
  /** For each sample: the index of the first identical sample before it, or -1. */
  firstCopy: Int32Array
  /** Number of samples that repeat an earlier one. */
  count: number
  /** Indices of repeated samples whose label differs from their first copy's. */
  conflicts: number[]
}

export function sampleHash(pixels: Uint8Array): string {
  // Two 32-bit FNV-1a lanes with different offsets make a 64-bit key.
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  for (let i = 0; i < pixels.length; i++) {
    a = Math.imul(a ^ pixels[i]!, 0x01000193)
    b = Math.imul(b ^ pixels[i]!, 0x01000193) ^ (b >>> 13)
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function findDuplicates(set: SampleSet): Duplicates {
  const size = pixelsPerSample(set.shape)
  const seen = new Map<string, number[]>()
  const firstCopy = new Int32Array(set.count).fill(-1)
  const conflicts: number[] = []
  let count = 0
  for (let i = 0; i < set.count; i++) {
    const pixels = set.pixels.subarray(i * size, (i + 1) * size)
    const key = sampleHash(pixels)
    const bucket = seen.get(key)
    const match = bucket?.find((j) => equalBytes(pixels, set.pixels.subarray(j * size, (j + 1) * size)))
    if (match === undefined) {
      if (bucket) bucket.push(i)
      else seen.set(key, [i])
      continue
    }
    firstCopy[i] = match
    count++
    if (set.labels[i] !== set.labels[match]) conflicts.push(i)
  }
  return { firstCopy, count, conflicts }
}
