// Aggregation at scale: 1,000 int8 deltas of 1M parameters through the coordinator's two streaming passes
// (arrival statistics, then centred clipping), timing each and sampling memory at 10, 100 and 1,000 deltas
// to show it does not grow with the number of volunteers. Deltas cycle through a pre-generated pool so that
// generating random numbers is not what gets timed.
import { seededRandom } from '../src/random.ts'
import { quantizeInt8, type QuantizedDelta } from '../src/training/quantize.ts'
import { DeltaSketcher, screenOutliers, type DeltaStats } from '../src/training/robust-aggregate.ts'
import { AGGREGATORS } from '../src/training/aggregators/index.ts'

export interface AggregationResult {
  deltas: number
  parameters: number
  statsMs: number
  screenMs: number
  clipMs: number
  totalMs: number
  memoryMiB: Array<{ deltas: number; heapAndBuffersMiB: number }>
}

const mib = () => {
  const m = process.memoryUsage()
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20
}

export function benchAggregation(count = 1000, dim = 1 << 20, pool = 16): AggregationResult {
  const r = seededRandom(3)
  const base = Float32Array.from({ length: dim }, () => (r() * 2 - 1) * 0.01)
  const deltas: QuantizedDelta[] = Array.from({ length: pool }, () => quantizeInt8(Float32Array.from(base, (b) => b + (r() * 2 - 1) * 0.01)))
  const centre = Float32Array.from(base, (b) => b * 0.5)
  const sketcher = new DeltaSketcher(dim)
  globalThis.gc?.()
  const baseline = mib()
  const memory: AggregationResult['memoryMiB'] = []
  const stats = new Map<string, DeltaStats>()
  let started = performance.now()
  for (let i = 0; i < count; i++) {
    stats.set(`d${i}`, sketcher.stats(deltas[i % pool]!, centre))
    if (i + 1 === 10 || i + 1 === 100 || i + 1 === count) {
      globalThis.gc?.()
      memory.push({ deltas: i + 1, heapAndBuffersMiB: mib() - baseline })
    }
  }
  const statsMs = performance.now() - started
  started = performance.now()
  const outliers = screenOutliers(stats)
  const screenMs = performance.now() - started
  started = performance.now()
  const accepted = [...stats.entries()].filter(([id]) => !outliers.has(id))
  const aggregation = AGGREGATORS['centred-clip'].begin({ dim, centre, stats: accepted.map(([, s]) => s) })
  for (const [id, s] of accepted) aggregation.add(deltas[Number(id.slice(1)) % pool]!, s)
  aggregation.result()
  const clipMs = performance.now() - started
  return { deltas: count, parameters: dim, statsMs, screenMs, clipMs, totalMs: statsMs + screenMs + clipMs, memoryMiB: memory }
}
