// Centred clipping (Karimireddy et al., 2021): v + mean(clip(x_i − v, τ)) around last round's aggregate v,
// with τ the median distance to it, so at most half the deltas are shortened and none can pull further than
// τ. Streams: one accumulator whatever the number of deltas.
import type { QuantizedDelta } from '../quantize.ts'
import { median } from '../../median.ts'
import type { AggregatorRule } from './index.ts'

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
    addScaled(this.acc, q, w)
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

/** acc += w · q, one multiply-add per value (the inner loop of every streaming rule). */
export function addScaled(acc: Float32Array, q: QuantizedDelta, w: number): void {
  const { blockSize, scales, values } = q
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
}

/** τ for a round: the median distance to the centre, so at most half the deltas are shortened. */
export function clipRadius(distances: readonly number[]): number {
  return median(distances)
}

export const centredClip: AggregatorRule = {
  description: 'centred clipping around last round\'s aggregate, radius = median distance (default)',
  streaming: true,
  begin({ centre, dim, stats }) {
    const aggregator = new CentredClipAggregator(centre, clipRadius(stats.map((s) => s.distance)), dim)
    return { add: (q, s) => aggregator.add(q, s.distance), result: () => aggregator.result() }
  },
}
