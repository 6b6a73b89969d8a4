import { describe, expect, it } from 'vitest'
import { cosine, DEFAULT_SCREENING, DeltaSketcher, screenOutliers, type DeltaStats } from './robust-aggregate.ts'
import { median } from '../median.ts'
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

describe('screening and sketch limits', () => {
  const stat = (norm: number, sketch: number[] = [1]) => ({ norm, distance: 0, sketch: Float32Array.from({ length: 256 }, (_, k) => sketch[k % sketch.length]! * norm) })

  it('flags norms past exactly 3× the median either way, and a non-finite one', () => {
    const trusted = [stat(1), stat(1), stat(1)]
    const screen = (norm: number) => screenOutliers(new Map([['x', stat(norm)]]), undefined, trusted).get('x')?.code
    expect(screen(3)).toBeUndefined()
    expect(screen(3.0001)).toBe('NORM_OUTLIER')
    expect(screen(1 / 3)).toBeUndefined()
    expect(screen(1 / 3 - 1e-4)).toBe('NORM_OUTLIER')
    expect(screenOutliers(new Map([['x', { norm: NaN, distance: 0, sketch: new Float32Array(256) }]]), undefined, trusted).get('x')).toMatchObject({ code: 'NORM_OUTLIER' })
  })

  it('scales the norm limits with the median norm: 3× and ⅓ of a median of 2', () => {
    const trusted = [stat(2), stat(2), stat(2)]
    const screen = (norm: number) => screenOutliers(new Map([['x', stat(norm)]]), undefined, trusted).get('x')
    expect(screen(6)).toBeUndefined()
    expect(screen(6.001)).toEqual({ code: 'NORM_OUTLIER', params: { norm: 6.001, median: 2 } })
    expect(screen(2 / 3)).toBeUndefined()
    expect(screen(0.666)).toEqual({ code: 'NORM_OUTLIER', params: { norm: 0.666, median: 2 } })
  })

  it('passes a cosine of exactly the minimum (−0.15)', () => {
    // (−3, 19, 5, 2, 1) has length 20, so its cosine with the axis is exactly −3/20.
    const sketch = new Float32Array(256)
    sketch.set([-3, 19, 5, 2, 1])
    const axis = [1, 2, 3].map(() => ({ norm: 1, distance: 0, sketch: Float32Array.from({ length: 256 }, (_, k) => (k === 0 ? 1 : 0)) }))
    expect(cosine(sketch, axis[0]!.sketch)).toBe(-0.15)
    expect(screenOutliers(new Map([['x', { norm: 1, distance: 0, sketch }]]), undefined, axis).size).toBe(0)
  })

  it('compares directions after scaling each reference sketch to unit length, so a long delta does not count for more', () => {
    const sketchOf = (...xs: number[]) => Float32Array.from({ length: 256 }, (_, k) => xs[k] ?? 0)
    // Unit directions (0.6, 0.8), (1, 0), (0.6, 0.8): the median direction is (0.6, 0.8). Unscaled, the first
    // (norm 2) would move it to (1, 0.8), against which (0.6, −0.8) no longer looks opposed.
    const trusted = [{ norm: 2, distance: 0, sketch: sketchOf(1.2, 1.6) }, { norm: 1, distance: 0, sketch: sketchOf(1, 0) }, { norm: 1, distance: 0, sketch: sketchOf(0.6, 0.8) }]
    const out = screenOutliers(new Map([['x', { norm: 1, distance: 0, sketch: sketchOf(0.6, -0.8) }]]), undefined, trusted)
    expect(out.get('x')).toEqual({ code: 'DIRECTION_OUTLIER', params: { cosine: -0.28 } })
    // A zero reference (a free rider that slipped into the yardstick) is scaled by 1, not divided by zero.
    const withZero = [...trusted, { norm: 0, distance: 0, sketch: new Float32Array(256) }, { norm: 1, distance: 0, sketch: sketchOf(0.6, 0.8) }]
    expect(screenOutliers(new Map([['x', { norm: 1, distance: 0, sketch: sketchOf(-0.6, -0.8) }]]), undefined, withZero).get('x')?.code).toBe('DIRECTION_OUTLIER')
  })

  it('flags a direction below the minimum cosine, only when directions are comparable', () => {
    const trusted = [stat(1, [1, 0]), stat(1, [1, 0]), stat(1, [1, 0])]
    const against = new Map([['x', stat(1, [-1, 0])]])
    expect(screenOutliers(against, undefined, trusted).get('x')).toMatchObject({ code: 'DIRECTION_OUTLIER', params: { cosine: -1 } })
    expect(screenOutliers(against, undefined, trusted, false).size).toBe(0)
    // At −0.15 exactly (the default minimum) it passes; just below it does not.
    const at = (c: number) => new Map([['x', { norm: 1, distance: 0, sketch: Float32Array.from({ length: 256 }, (_, k) => (k % 2 === 0 ? c : Math.sqrt(1 - c * c))) }]])
    const axis = [1, 2, 3].map(() => ({ norm: 1, distance: 0, sketch: Float32Array.from({ length: 256 }, (_, k) => (k % 2 === 0 ? 1 : 0)) }))
    expect(screenOutliers(at(-0.14), undefined, axis).size).toBe(0)
    expect(screenOutliers(at(-0.16), undefined, axis).get('x')?.code).toBe('DIRECTION_OUTLIER')
    expect(screenOutliers(at(-0.16), { ...DEFAULT_SCREENING, minCosine: -0.2 }, axis).size).toBe(0)
  })

  it('judges a round of exactly the minimum count by itself, and trusts a single trusted delta', () => {
    const three = new Map([['a', stat(1)], ['b', stat(1)], ['c', stat(10)]])
    expect(screenOutliers(three).get('c')?.code).toBe('NORM_OUTLIER')
    expect(screenOutliers(three, { ...DEFAULT_SCREENING, minCount: 4 }).size).toBe(0)
    expect(screenOutliers(new Map([['x', stat(10)]]), undefined, [stat(1)]).get('x')?.code).toBe('NORM_OUTLIER')
    expect(screenOutliers(new Map(), undefined, []).size).toBe(0)
  })

  it('takes medians of odd and even counts, and none of nothing', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([-5, 10])).toBe(2.5)
    expect(median([])).toBeNaN()
    const values = [5, 1, 4]
    median(values)
    expect(values).toEqual([5, 1, 4])
  })

  it('measures cosines exactly, zero for a zero vector', () => {
    expect(cosine([1, 0], [0, 1])).toBe(0)
    expect(cosine([1, 2], [2, 4])).toBeCloseTo(1, 12)
    expect(cosine([1, 2], [-1, -2])).toBeCloseTo(-1, 12)
    expect(cosine([3, 4], [4, 3])).toBeCloseTo(24 / 25, 12)
    expect(cosine([0, 0], [1, 1])).toBe(0)
    expect(cosine([1, 1], [0, 0])).toBe(0)
  })

  it('computes norm and distance to a centre exactly, for odd lengths and several blocks', () => {
    for (const length of [1, 7, 300, 513]) {
      const v = Float32Array.from({ length }, (_, i) => Math.sin(i + 1) * 0.01)
      const centre = Float32Array.from({ length }, (_, i) => Math.cos(i) * 0.005)
      const q = quantizeInt8(v, 64)
      const x = dequantize(q)
      const s = new DeltaSketcher(length).stats(q, centre)
      expect(s.norm).toBeCloseTo(Math.hypot(...x), 6)
      expect(s.distance).toBeCloseTo(Math.hypot(...Array.from(x, (xi, i) => xi - centre[i]!)), 6)
      const free = new DeltaSketcher(length).stats(q, null)
      expect(free.distance).toBeCloseTo(free.norm, 12)
      // The sketch is a signed count sketch: its squared norm estimates the squared norm.
      expect(Math.hypot(...free.sketch)).toBeLessThanOrEqual(free.norm * Math.sqrt(length) + 1e-6)
    }
  })

  it('sketches with signs from the seed: the same seed gives the same sketch, another seed another', () => {
    const q = quantizeInt8(Float32Array.from({ length: 600 }, (_, i) => Math.sin(i)))
    const a = new DeltaSketcher(600, 1).stats(q, null).sketch
    expect(new DeltaSketcher(600, 1).stats(q, null).sketch).toEqual(a)
    expect(new DeltaSketcher(600, 2).stats(q, null).sketch).not.toEqual(a)
    // Value i lands in bucket i mod 256 with a sign of ±1: bucket 0 of a 1-value delta is ±its value.
    const one = new DeltaSketcher(1, 9).stats(quantizeInt8(Float32Array.of(0.5)), null).sketch
    expect(Math.abs(one[0]!)).toBeCloseTo(0.5, 6)
    expect(one.subarray(1).every((x) => x === 0)).toBe(true)
  })

  it('adds each value into bucket i mod 256 with the sign the seed draws for it, with or without a centre', () => {
    // Computed independently: value i's sign is −1 when the i-th draw of seededRandom(seed) is below 0.5.
    const length = 301
    const v = Float32Array.from({ length }, (_, i) => Math.sin(3 * i + 1))
    const q = quantizeInt8(v, 64)
    const random = seededRandom(9)
    const expected = new Float64Array(256)
    for (let i = 0; i < length; i++) expected[i % 256]! += q.scales[Math.floor(i / 64)]! * ((random() < 0.5 ? -1 : 1) * q.values[i]!)
    const sketcher = new DeltaSketcher(length, 9)
    expect(sketcher.stats(q, null).sketch).toEqual(Float32Array.from(expected))
    expect(sketcher.stats(q, Float32Array.from({ length }, () => 0.25)).sketch).toEqual(Float32Array.from(expected))
  })

  it('reuses the centre\'s norm only for the same centre', () => {
    const sketcher = new DeltaSketcher(4)
    const q = quantizeInt8(Float32Array.of(1, 1, 1, 1))
    expect(sketcher.stats(q, Float32Array.of(1, 1, 1, 1)).distance).toBeCloseTo(0, 5)
    expect(sketcher.stats(q, Float32Array.of(0, 0, 0, 0)).distance).toBeCloseTo(2, 5)
  })
})
