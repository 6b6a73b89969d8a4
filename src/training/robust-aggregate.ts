// Robust aggregation of volunteer deltas in two streaming passes, so memory stays flat in the number of
// volunteers: one vector accumulator plus one small sketch per delta.
//  1. On arrival: norm, distance to the centre (last round's aggregate) and a 256-value count sketch, which
//     estimates cosines between deltas without keeping them.
//  2. Screening: a delta whose norm is far above the median, or that points away from the coordinate-wise
//     median sketch (sign-flipped, or pulling elsewhere), is an outlier.
//  3. At round close: centred clipping (Karimireddy et al., 2021), v + mean(clip(x_i − v, τ)), with τ the
//     median distance to the centre, fed one delta at a time from the block store.
import { seededRandom } from '../random.ts'
import type { QuantizedDelta } from './quantize.ts'

export const SKETCH_DIM = 256

export interface DeltaStats {
  norm: number
  /** ‖x − centre‖ */
  distance: number
  sketch: Float32Array
}

export class DeltaSketcher {
  private readonly signs: Int8Array
  readonly dim: number

  constructor(dim: number, seed = 0x5eed) {
    this.dim = dim
    const random = seededRandom(seed)
    this.signs = new Int8Array(dim)
    for (let i = 0; i < dim; i++) this.signs[i] = random() < 0.5 ? -1 : 1
  }

  private centreNorm2: { centre: Float32Array; norm2: number } | null = null

  /**
   * One pass in mostly integer arithmetic: per block, Σq² and Σq·c are accumulated and scaled once, and
   * ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖² with ‖c‖² computed once per centre. This is the per-arrival cost.
   */
  stats(q: QuantizedDelta, centre: Float32Array | null): DeltaStats {
    const sketch = new Float64Array(SKETCH_DIM)
    const { blockSize, scales, values } = q
    const signs = this.signs
    const mask = SKETCH_DIM - 1
    let norm2 = 0
    let dot = 0
    for (let b = 0; b < scales.length; b++) {
      const s = scales[b]!
      const start = b * blockSize
      const end = Math.min(start + blockSize, q.length)
      let qq = 0
      let qc0 = 0
      let qc1 = 0
      let i = start
      if (centre !== null) {
        for (; i + 1 < end; i += 2) {
          const q0 = values[i]!
          const q1 = values[i + 1]!
          qq += q0 * q0 + q1 * q1
          qc0 += q0 * centre[i]!
          qc1 += q1 * centre[i + 1]!
          sketch[i & mask]! += s * (signs[i]! * q0)
          sketch[(i + 1) & mask]! += s * (signs[i + 1]! * q1)
        }
      }
      for (; i < end; i++) {
        const q0 = values[i]!
        qq += q0 * q0
        if (centre !== null) qc0 += q0 * centre[i]!
        sketch[i & mask]! += s * (signs[i]! * q0)
      }
      norm2 += s * s * qq
      dot += s * (qc0 + qc1)
    }
    let dist2 = norm2
    if (centre !== null) {
      if (this.centreNorm2?.centre !== centre) {
        let c2 = 0
        for (let i = 0; i < centre.length; i++) c2 += centre[i]! * centre[i]!
        this.centreNorm2 = { centre, norm2: c2 }
      }
      dist2 = Math.max(0, norm2 - 2 * dot + this.centreNorm2.norm2)
    }
    return { norm: Math.sqrt(norm2), distance: Math.sqrt(dist2), sketch: Float32Array.from(sketch) }
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

export interface ScreeningOptions {
  /** Reject norms above this multiple of the median norm. */
  maxNormRatio: number
  /** Reject deltas whose sketch cosine with the median sketch is below this. */
  minCosine: number
  /** Below this many deltas there is no meaningful majority: screen nothing. */
  minCount: number
}

// Late in training honest deltas from different shards are nearly orthogonal (cosines around 0 ± 0.1 were
// seen on Fashion-MNIST), so only a clearly opposed direction counts against a delta; sign flips score about
// −0.5 early on, which is also when reputation excludes their sender.
export const DEFAULT_SCREENING: ScreeningOptions = { maxNormRatio: 3, minCosine: -0.15, minCount: 3 }

/**
 * Returns, for each outlier, why it was rejected. The yardstick is `trusted` when given (deltas two volunteers
 * agreed on, or last round's aggregate): a median over the round alone breaks down once one fast attacker
 * delivers half of a small round's units.
 */
export function screenOutliers(stats: ReadonlyMap<string, DeltaStats>, options: ScreeningOptions = DEFAULT_SCREENING, trusted: readonly DeltaStats[] = []): Map<string, string> {
  const outliers = new Map<string, string>()
  const reference = trusted.length > 0 ? trusted : [...stats.values()]
  if (trusted.length === 0 && stats.size < options.minCount) return outliers
  const medianNorm = median(reference.map((s) => s.norm))
  const centre = new Float32Array(SKETCH_DIM)
  for (let k = 0; k < SKETCH_DIM; k++) centre[k] = median(reference.map((s) => s.sketch[k]! / (s.norm || 1)))
  for (const [id, s] of stats) {
    if (!Number.isFinite(s.norm)) outliers.set(id, 'the delta is not finite')
    else if (s.norm > options.maxNormRatio * medianNorm) outliers.set(id, `norm ${s.norm.toPrecision(3)} is ${(s.norm / medianNorm).toFixed(1)}× the ${trusted.length > 0 ? 'verified' : "round's"} median`)
    else {
      const cos = cosine(s.sketch, centre)
      if (cos < options.minCosine) outliers.set(id, `points away from the ${trusted.length > 0 ? 'verified deltas' : 'other volunteers'} (cosine ${cos.toFixed(2)})`)
    }
  }
  return outliers
}

/** Σ_i w_i (x_i − v) accumulated as Σ (w_i s_b) q − (Σ w_i) v: one multiply-add per value and delta. */
export class CentredClipAggregator {
  private readonly acc: Float32Array
  private readonly centre: Float32Array | null
  private readonly tau: number
  private weightSum = 0
  private count = 0

  constructor(centre: Float32Array | null, tau: number, dim: number) {
    this.centre = centre
    this.tau = tau
    this.acc = new Float32Array(dim)
  }

  add(q: QuantizedDelta, distance: number): void {
    const w = distance > this.tau && distance > 0 ? this.tau / distance : 1
    const { blockSize, scales, values } = q
    const acc = this.acc
    for (let b = 0; b < scales.length; b++) {
      const ws = w * scales[b]!
      if (ws === 0) continue
      const end = Math.min((b + 1) * blockSize, q.length)
      let i = b * blockSize
      for (; i + 3 < end; i += 4) {
        acc[i]! += ws * values[i]!
        acc[i + 1]! += ws * values[i + 1]!
        acc[i + 2]! += ws * values[i + 2]!
        acc[i + 3]! += ws * values[i + 3]!
      }
      for (; i < end; i++) acc[i]! += ws * values[i]!
    }
    this.weightSum += w
    this.count++
  }

  get size(): number {
    return this.count
  }

  /** v + (1/n) Σ clip(x_i − v, τ) */
  result(): Float32Array {
    const out = new Float32Array(this.acc.length)
    if (this.count === 0) return out
    const n = this.count
    const c = this.centre
    for (let i = 0; i < out.length; i++) {
      const v = c === null ? 0 : c[i]!
      out[i] = v + (this.acc[i]! - this.weightSum * v) / n
    }
    return out
  }
}

/** τ for a round: the median distance to the centre, so at most half the deltas are shortened. */
export function clipRadius(distances: readonly number[]): number {
  return median(distances)
}
