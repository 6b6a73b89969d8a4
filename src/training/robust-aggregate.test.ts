import { describe, expect, it } from 'vitest'
import { cosine, DeltaSketcher, screenOutliers, type DeltaStats } from './robust-aggregate.ts'
import { dequantize, quantizeInt8 } from './quantize.ts'
import { seededRandom } from '../random.ts'

const DIM = 4096

/** Honest deltas share a direction plus independent noise, like DiLoCo pseudo-gradients from one start. */
function honestDeltas(n: number, seed = 1): Float32Array[] {
  const r = seededRandom(seed)
  const direction = Float32Array.from({ length: DIM }, () => r() * 2 - 1)
  return Array.from({ length: n }, () => Float32Array.from(direction, (d) => 0.01 * (d + (r() * 2 - 1) * 1.5)))
}

function statsOf(vectors: Float32Array[], centre: Float32Array | null = null): Map<string, DeltaStats> {
  const sketcher = new DeltaSketcher(DIM)
  return new Map(vectors.map((v, i) => [`p${i}`, sketcher.stats(quantizeInt8(v), centre)]))
}

describe('sketches', () => {
  it('estimate norms exactly and cosines closely', () => {
    const [a, b] = honestDeltas(2)
    const s = statsOf([a!, b!])
    const qa = dequantize(quantizeInt8(a!))
    const qb = dequantize(quantizeInt8(b!))
    expect(s.get('p0')!.norm).toBeCloseTo(Math.hypot(...qa), 5)
    expect(Math.abs(cosine(s.get('p0')!.sketch, s.get('p1')!.sketch) - cosine(qa, qb))).toBeLessThan(0.2)
  })
})

describe('outlier screening', () => {
  it('accepts every honest delta', () => {
    expect(screenOutliers(statsOf(honestDeltas(8))).size).toBe(0)
  })

  it('catches a sign-flipped and a scaled delta among honest ones', () => {
    const deltas = honestDeltas(5)
    deltas.push(Float32Array.from(deltas[0]!, (x) => -x))
    deltas.push(Float32Array.from(deltas[1]!, (x) => 10 * x))
    const outliers = screenOutliers(statsOf(deltas))
    expect([...outliers.keys()].sort()).toEqual(['p5', 'p6'])
    expect(outliers.get('p5')?.code).toBe('DIRECTION_OUTLIER')
    expect(outliers.get('p6')).toMatchObject({ code: 'NORM_OUTLIER', params: { norm: expect.any(Number), median: expect.any(Number) } })
  })

  it('judges against trusted deltas when an attacker holds half the round', () => {
    const deltas = honestDeltas(4)
    const flipped = [Float32Array.from(deltas[2]!, (x) => -x), Float32Array.from(deltas[3]!, (x) => -x)]
    const stats = statsOf([deltas[0]!, deltas[1]!, ...flipped])
    const trusted = [...statsOf([deltas[0]!]).values()]
    expect([...screenOutliers(stats, undefined, trusted).keys()].sort()).toEqual(['p2', 'p3'])
  })

  it('flags an all-zero delta (a free rider) as far too small', () => {
    const deltas = [...honestDeltas(4), new Float32Array(DIM)]
    expect(screenOutliers(statsOf(deltas)).get('p4')?.code).toBe('NORM_OUTLIER')
  })

  it('does not judge with fewer than three deltas', () => {
    const [a] = honestDeltas(1)
    expect(screenOutliers(statsOf([a!, Float32Array.from(a!, (x) => -x)])).size).toBe(0)
  })
})
