// Redundant-assignment checks: two volunteers ran the same unit (same start, data, seed and steps), so their
// deltas must match up to float32 noise between engines. Bit-identical replays (same loss-trajectory hash)
// are the strong case; otherwise direction and size must agree closely. A sign flip, a scaled delta or made-up
// work fails both.
import type { QuantizedDelta } from './quantize.ts'

export interface ReplicaComparison {
  cosine: number
  /** ‖a − b‖ / max(‖a‖, ‖b‖) */
  relativeL2: number
  normRatio: number
  sameTrajectory: boolean
  agree: boolean
}

export interface AgreementThresholds {
  minCosine: number
  maxRelativeL2: number
}

/** Loose enough for WebGPU against wasm after hundreds of AdamW steps, tight enough that any tampering fails. */
export const DEFAULT_AGREEMENT: AgreementThresholds = { minCosine: 0.9, maxRelativeL2: 0.45 }

export function compareReplicas(a: QuantizedDelta, b: QuantizedDelta, hashA: string, hashB: string, thresholds = DEFAULT_AGREEMENT): ReplicaComparison {
  let dot = 0
  let na = 0
  let nb = 0
  let diff = 0
  const blocks = Math.max(a.scales.length, b.scales.length)
  if (a.length !== b.length) return { cosine: 0, relativeL2: Infinity, normRatio: 0, sameTrajectory: false, agree: false }
  for (let k = 0; k < blocks; k++) {
    const sa = a.scales[k]!
    const sb = b.scales[k]!
    const end = Math.min((k + 1) * a.blockSize, a.length)
    for (let i = k * a.blockSize; i < end; i++) {
      const x = a.values[i]! * sa
      const y = b.values[i]! * sb
      dot += x * y
      na += x * x
      nb += y * y
      diff += (x - y) * (x - y)
    }
  }
  const normA = Math.sqrt(na)
  const normB = Math.sqrt(nb)
  const cosine = normA === 0 || normB === 0 ? (normA === normB ? 1 : 0) : dot / (normA * normB)
  const relativeL2 = Math.max(normA, normB) === 0 ? 0 : Math.sqrt(diff) / Math.max(normA, normB)
  const normRatio = normB === 0 ? (normA === 0 ? 1 : Infinity) : normA / normB
  const sameTrajectory = hashA === hashB
  const agree = cosine >= thresholds.minCosine && relativeL2 <= thresholds.maxRelativeL2
  return { cosine, relativeL2, normRatio, sameTrajectory, agree }
}
