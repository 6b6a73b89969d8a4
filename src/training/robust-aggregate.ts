// Statistics of volunteer deltas computed on arrival, so memory stays flat in the number of volunteers: norm,
// distance to the centre (last round's aggregate) and a 256-value count sketch, which estimates cosines
// between deltas without keeping them. Screening compares a delta with a trusted reference (deltas the
// referee re-executed, or the round's other deltas): one whose norm is far above the median, or that points
// away from the median sketch, is suspicious and goes to the referee. The rules that combine deltas are in
// aggregators/.
import { median } from '../median.ts'
import { seededRandom } from '../random.ts'
import type { QuantizedDelta } from './quantize.ts'
import { measured, verdict, type Verdict } from './verdicts.ts'

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
  /** Flag norms above this multiple of the median norm, or below the median divided by it. */
  maxNormRatio: number
  /** Flag deltas whose sketch cosine with the median sketch is below this. */
  minCosine: number
  /** Below this many reference deltas there is no meaningful majority: screen nothing. */
  minCount: number
}

// Late in training honest deltas from different shards are nearly orthogonal (cosines around 0 ± 0.1 were
// seen on Fashion-MNIST), so only a clearly opposed direction counts against a delta; sign flips score about
// −0.5 early on, which is also when reputation excludes their sender.
export const DEFAULT_SCREENING: ScreeningOptions = { maxNormRatio: 3, minCosine: -0.15, minCount: 3 }

/**
 * Returns, for each outlier, why it looks wrong. The yardstick is `trusted` when given (deltas the referee
 * re-executed): a median over the round alone breaks down once one fast attacker delivers half its units.
 * Directions are only comparable between deltas from the same start; pass `directions: false` otherwise.
 */
export function screenOutliers(stats: ReadonlyMap<string, DeltaStats>, options: ScreeningOptions = DEFAULT_SCREENING, trusted: readonly DeltaStats[] = [], directions = true): Map<string, Verdict<'NORM_OUTLIER' | 'DIRECTION_OUTLIER'>> {
  const outliers = new Map<string, Verdict<'NORM_OUTLIER' | 'DIRECTION_OUTLIER'>>()
  const reference = trusted.length > 0 ? trusted : [...stats.values()]
  if (reference.length === 0 || (trusted.length === 0 && stats.size < options.minCount)) return outliers
  const medianNorm = median(reference.map((s) => s.norm))
  const centre = new Float32Array(SKETCH_DIM)
  for (let k = 0; k < SKETCH_DIM; k++) centre[k] = median(reference.map((s) => s.sketch[k]! / (s.norm || 1)))
  for (const [id, s] of stats) {
    if (!Number.isFinite(s.norm) || s.norm > options.maxNormRatio * medianNorm || s.norm < medianNorm / options.maxNormRatio) {
      outliers.set(id, verdict('NORM_OUTLIER', { norm: measured(s.norm), median: measured(medianNorm) }))
      continue
    }
    if (!directions) continue
    const cos = cosine(s.sketch, centre)
    if (cos < options.minCosine) outliers.set(id, verdict('DIRECTION_OUTLIER', { cosine: measured(cos, 3) }))
  }
  return outliers
}
