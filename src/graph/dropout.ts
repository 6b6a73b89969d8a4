// Dropout masks as train-step inputs. ORT's WebGPU provider runs no random ops, and a referee that replays a
// unit must see the very masks the volunteer's engine used, so the masks are drawn here, on the CPU, from
// what every replica of a step already shares: the batch's bytes and the step's number. Any engine (a tab's
// WebGPU or wasm worker, a headless volunteer, the referee) that runs the same batch as the same step draws
// the same masks, with no seed to send and nothing a volunteer could choose.
import type { TrainStep } from './train-step.ts'
import { numel } from './shape.ts'

/** Hash of a batch's inputs and its step number: the seed of that step's masks. */
export function maskSeed(x: Float32Array, stepNumber: number): number {
  const words = new Uint32Array(x.buffer, x.byteOffset, x.length)
  // FNV-1a over 32-bit words, then the step, then a final avalanche (murmur3's fmix32).
  let h = 0x811c9dc5
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193)
  h = Math.imul(h ^ (stepNumber >>> 0), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * One step's masks for its whole batch (`rows` rows), one array per mask input in the step's order: each value
 * is 0 with probability `rate`, else 1 / (1 − rate), so the expected activation is the same as without
 * dropout and inference needs no rescaling. A micro-batch takes its rows' contiguous slice.
 */
export function dropoutMasks(dropout: NonNullable<TrainStep['dropout']>, rows: number, x: Float32Array, stepNumber: number, into?: Float32Array[]): Float32Array[] {
  const keep = 1 / (1 - dropout.rate)
  // A 32-bit draw below this is dropped: rate × 2³², exact for any rate a spec allows.
  const threshold = Math.floor(dropout.rate * 4294967296)
  let a = maskSeed(x, stepNumber)
  return dropout.masks.map((mask, m) => {
    const size = rows * numel(mask.shape)
    const values = into?.[m]?.length === size ? into[m]! : new Float32Array(size)
    for (let i = 0; i < size; i++) {
      // mulberry32 (random.ts), inlined: a step of a large model draws millions of these.
      a = (a + 0x6d2b79f5) | 0
      let t = Math.imul(a ^ (a >>> 15), a | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      values[i] = ((t ^ (t >>> 14)) >>> 0) < threshold ? 0 : keep
    }
    return values
  })
}
