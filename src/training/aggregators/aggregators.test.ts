import { describe, expect, it } from 'vitest'
import { AGGREGATORS, AGGREGATOR_NAMES, type AggregatorName } from './index.ts'
import { addScaled, CentredClipAggregator, clipRadius } from './centred-clip.ts'
import { DeltaSketcher, type DeltaStats } from '../robust-aggregate.ts'
import { dequantize, quantizeInt8, type QuantizedDelta } from '../quantize.ts'
import { seededRandom } from '../../random.ts'
import { decodeJob } from '../job.ts'
import { testJob } from '../testing/job-fixture.ts'

const DIM = 4096

function honestDeltas(n: number, seed = 1): Float32Array[] {
  const r = seededRandom(seed)
  const direction = Float32Array.from({ length: DIM }, () => r() * 2 - 1)
  return Array.from({ length: n }, () => Float32Array.from(direction, (d) => 0.01 * (d + (r() * 2 - 1) * 1.5)))
}

function run(name: AggregatorName, deltas: Float32Array[], centre: Float32Array | null = null): Float32Array {
  const sketcher = new DeltaSketcher(DIM)
  const qs = deltas.map((d) => quantizeInt8(d))
  const stats: DeltaStats[] = qs.map((q) => sketcher.stats(q, centre))
  const aggregation = AGGREGATORS[name].begin({ dim: DIM, centre, stats })
  qs.forEach((q, i) => aggregation.add(q, stats[i]!))
  return aggregation.result()
}

const meanOf = (vs: Float32Array[]) => Float32Array.from(vs[0]!, (_, i) => vs.reduce((s, v) => s + v[i]!, 0) / vs.length)
const dist = (a: Float32Array, b: Float32Array) => Math.hypot(...Array.from(a, (x, i) => x - b[i]!))

describe('aggregation rules', () => {
  for (const name of AGGREGATOR_NAMES) {
    it(`${name}: returns the common delta when every volunteer sent the same one, and zero for none`, () => {
      const [d] = honestDeltas(1)
      const q = dequantize(quantizeInt8(d!))
      const out = run(name, [d!, d!, d!, d!, d!])
      for (let i = 0; i < DIM; i += 101) expect(out[i]).toBeCloseTo(q[i]!, 6)
      expect(run(name, []).every((x) => x === 0)).toBe(true)
    })
  }

  for (const name of ['centred-clip', 'trimmed-mean', 'median'] as const) {
    it(`${name}: one huge delta among honest ones moves the result far less than it moves the mean`, () => {
      const honest = honestDeltas(6)
      const attacked = [...honest, Float32Array.from({ length: DIM }, () => 5)]
      const reference = meanOf(honest.map((d) => dequantize(quantizeInt8(d))))
      const robust = dist(run(name, attacked, new Float32Array(DIM)), reference)
      const plain = dist(run('mean', attacked), reference)
      expect(robust).toBeLessThan(plain / 10)
    })
  }

  it('a job names its rule; an unknown one is refused when the job is decoded', () => {
    expect(decodeJob({ ...testJob(), aggregator: 'median' }).aggregator).toBe('median')
    expect(decodeJob({ ...testJob(), aggregator: undefined }).aggregator).toBe('centred-clip')
    expect(() => decodeJob({ ...testJob(), aggregator: 'krum' })).toThrow(/unknown aggregator "krum"/)
  })
})

describe('centred clipping', () => {
  const statsOf = (vectors: Float32Array[], centre: Float32Array | null = null) => {
    const sketcher = new DeltaSketcher(DIM)
    return vectors.map((v) => sketcher.stats(quantizeInt8(v), centre))
  }

  it('is the plain mean when nothing is clipped', () => {
    const deltas = honestDeltas(4)
    const stats = statsOf(deltas)
    const agg = new CentredClipAggregator(null, Infinity, DIM)
    deltas.forEach((d, i) => agg.add(quantizeInt8(d), stats[i]!.distance))
    const out = agg.result()
    const q = deltas.map((d) => dequantize(quantizeInt8(d)))
    for (let i = 0; i < DIM; i += 97) expect(out[i]).toBeCloseTo((q[0]![i]! + q[1]![i]! + q[2]![i]! + q[3]![i]!) / 4, 6)
  })

  it('bounds the pull of a huge delta to the clip radius around the centre', () => {
    const deltas = honestDeltas(4)
    const centre = new Float32Array(DIM)
    deltas.push(Float32Array.from({ length: DIM }, () => 100))
    const stats = statsOf(deltas, centre)
    const tau = clipRadius(stats.map((s) => s.distance))
    const agg = new CentredClipAggregator(centre, tau, DIM)
    deltas.forEach((d, i) => agg.add(quantizeInt8(d), stats[i]!.distance))
    expect(Math.hypot(...agg.result())).toBeLessThanOrEqual(tau * 1.0001)
  })

  it('moves from a non-zero centre towards the deltas', () => {
    const deltas = honestDeltas(3, 7)
    const centre = Float32Array.from(deltas[0]!, (x) => x * 0.5)
    const stats = statsOf(deltas, centre)
    const agg = new CentredClipAggregator(centre, Infinity, DIM)
    deltas.forEach((d, i) => agg.add(quantizeInt8(d), stats[i]!.distance))
    const out = agg.result()
    const q = deltas.map((d) => dequantize(quantizeInt8(d)))
    expect(out[10]).toBeCloseTo((q[0]![10]! + q[1]![10]! + q[2]![10]!) / 3, 6)
  })
})

describe('aggregation rules on fixed values', () => {
  /** One-value deltas with block size 1, so each value is exactly its scale × 1. */
  const scalar = (x: number): QuantizedDelta => ({ length: 1, blockSize: 1, scales: Float32Array.of(Math.abs(x)), values: Int8Array.of(Math.sign(x)) })
  const stats = (x: number, centre = 0): DeltaStats => ({ norm: Math.abs(x), distance: Math.abs(x - centre), sketch: new Float32Array(256) })
  const apply = (name: AggregatorName, xs: number[], centre: Float32Array | null = null) => {
    const s = xs.map((x) => stats(x, centre?.[0] ?? 0))
    const a = AGGREGATORS[name].begin({ dim: 1, centre, stats: s })
    xs.forEach((x, i) => a.add(scalar(x), s[i]!))
    return a.result()[0]!
  }

  it('trimmed mean drops a fifth at each end, rounded down, keeping at least the middle', () => {
    expect(apply('trimmed-mean', [1, 2, 3, 4, 100])).toBeCloseTo(3, 6)
    expect(apply('trimmed-mean', [1, 2, 3, 100])).toBeCloseTo(26.5, 5)
    expect(apply('trimmed-mean', [-100, 1, 2, 3, 4, 5, 6, 7, 8, 100])).toBeCloseTo(4.5, 5)
    expect(apply('trimmed-mean', [7])).toBeCloseTo(7, 6)
  })

  it('median keeps the middle value, or the two middle ones of an even count', () => {
    expect(apply('median', [5, 1, 100])).toBeCloseTo(5, 6)
    expect(apply('median', [1, 2, 3, 100])).toBeCloseTo(2.5, 6)
    expect(apply('median', [-3, 9])).toBeCloseTo(3, 6)
  })

  it('mean averages everything', () => {
    expect(apply('mean', [1, 2, 3, 100])).toBeCloseTo(26.5, 5)
  })

  it('centred clipping shortens only deltas farther than the median distance from the centre', () => {
    // Distances 1, 2, 9 from 0: τ = 2, the 9 is pulled to 2; the mean of 1, 2, 2 is 5/3.
    expect(apply('centred-clip', [1, 2, 9], new Float32Array(1))).toBeCloseTo(5 / 3, 5)
    // Around a centre of 10: 11, 12, 19 are 1, 2, 9 away: 10 + 5/3.
    expect(apply('centred-clip', [11, 12, 19], Float32Array.of(10))).toBeCloseTo(10 + 5 / 3, 4)
    // A delta at exactly the radius is not shortened; a zero distance is never divided by.
    expect(apply('centred-clip', [2, 2, 2], new Float32Array(1))).toBeCloseTo(2, 6)
    expect(apply('centred-clip', [0, 0, 4], new Float32Array(1))).toBeCloseTo(0, 6)
  })

  it('adds scaled blocks exactly, tails included', () => {
    const acc = new Float32Array(7)
    addScaled(acc, { length: 7, blockSize: 5, scales: Float32Array.of(0.5, 2), values: Int8Array.of(1, 2, 3, 4, 5, -1, -2) }, 2)
    expect([...acc]).toEqual([1, 2, 3, 4, 5, -4, -8])
    addScaled(acc, { length: 7, blockSize: 5, scales: Float32Array.of(0, 1), values: Int8Array.of(9, 9, 9, 9, 9, 1, 1) }, 1)
    expect([...acc]).toEqual([1, 2, 3, 4, 5, -3, -7])
    // Blocks of 3 end exactly where a group of four would: block 0's scale must not reach value 3.
    const three = new Float32Array(6)
    addScaled(three, { length: 6, blockSize: 3, scales: Float32Array.of(1, 10), values: Int8Array.of(1, 1, 1, 1, 1, 1) }, 1)
    expect([...three]).toEqual([1, 1, 1, 10, 10, 10])
  })

  it('describes each rule and says which stream', () => {
    expect(AGGREGATORS['centred-clip'].streaming).toBe(true)
    expect(AGGREGATORS.mean.streaming).toBe(true)
    expect(AGGREGATORS['trimmed-mean'].streaming).toBe(false)
    expect(AGGREGATORS.median.streaming).toBe(false)
    for (const name of AGGREGATOR_NAMES) expect(AGGREGATORS[name].description.length).toBeGreaterThan(10)
    expect(new CentredClipAggregator(null, 1, 3).size).toBe(0)
  })
})
